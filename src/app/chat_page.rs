//! The page at `/`: sign in (or pick a guest name), then chat. This file
//! wires the connection to the state: who we are, what to resend after a
//! reconnect, history loading and catching up.

use super::alerts::Alerts;
use super::board::{Board, BoardState};
use super::composer::Composer;
use super::connection_banner::ConnectionBanner;
use super::login_form::LoginForm;
use super::message_list::MessageList;
use super::room_list::RoomList;
use super::session;
use super::state::{ChatState, Line, View};
use super::user_list::UserList;
use crate::client::{http, Client, ConnectionState, EmitError, Outgoing};
use crate::protocol::account::Session;
use crate::protocol::chat::{
    self, GetUsers, Join, JoinRoom, Kicked, ServerRestarting, SessionEnded, Welcome,
};
use crate::protocol::direct::{DmHistory, DmList, Focus, MarkRead};
use crate::protocol::history::{History, MAX_PAGE};
use crate::protocol::notifications::{self, Alert, Notification, SubscribeToNotifications, UserId};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ChatPage() -> impl IntoView {
    let saved = session::load();
    let client = Client::connect(
        &[chat::NAMESPACE, notifications::NAMESPACE],
        saved.as_ref().map(|s| s.token.clone()),
    );
    let state = ChatState::new(client, None);
    state.listen();
    provide_context(state);
    provide_context(BoardState::new(&state));
    // The room's whiteboard instead of its messages.
    let show_board = RwSignal::new(false);
    let board_room = move || match state.current.get() {
        View::Room(room) => Some(room),
        View::Dm(_) => None,
    };
    // Changes only when the board shown changes (not on every room switch
    // while the messages are shown, which would rebuild them).
    let board_shown = Memo::new(move |_| board_room().filter(|_| show_board.get()));
    resend_on_connect(state);
    follow_the_session(state);
    load_what_is_shown(state);
    // After hydration: a saved login joins at once.
    Effect::new(move |_| {
        if let Some(saved) = session::load() {
            state.account.set(Some(saved.clone()));
            spawn_local(join_account(state, saved));
        }
    });

    let log_out = move |_| {
        spawn_local(async move {
            if let Some(account) = state.account.get_untracked() {
                if let Err(e) = http::logout(&account.token).await {
                    leptos::logging::warn!("logout: {e}");
                }
            }
            sign_out(state, None);
        })
    };

    view! {
        <div class="app">
            <ConnectionBanner state=client.state()/>
            <Alerts/>
            <Show
                when=move || state.me.with(Option::is_some)
                fallback=|| view! { <LoginForm/> }
            >
                <div class="chat">
                    <RoomList/>
                    <section class="room" aria-label="Messages">
                        <header class="room-header">
                            <h2>{move || state.current.get().title()}</h2>
                            <span class="me">
                                {move || if state.account.with(Option::is_some) { "" } else { "Guest " }}
                                <strong data-testid="me">
                                    {move || state.me.get().map(|m| m.to_string()).unwrap_or_default()}
                                </strong>
                                <Show when=move || state.account.with(Option::is_some)>
                                    <button class="link" data-testid="logout" on:click=log_out>
                                        "Log out"
                                    </button>
                                </Show>
                            </span>
                        </header>
                        <Show when=move || board_room().is_some()>
                            <nav class="room-tabs" aria-label="Room views">
                                <button
                                    data-testid="messages-tab"
                                    aria-pressed=move || (!show_board.get()).to_string()
                                    on:click=move |_| show_board.set(false)
                                >
                                    "Messages"
                                </button>
                                <button
                                    data-testid="board-tab"
                                    aria-pressed=move || show_board.get().to_string()
                                    on:click=move |_| show_board.set(true)
                                >
                                    "Board"
                                </button>
                            </nav>
                        </Show>
                        {move || match board_shown.get() {
                            Some(room) => view! { <Board room/> }.into_any(),
                            None => view! { <MessageList/><Composer/> }.into_any(),
                        }}
                    </section>
                    <UserList/>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

/// Called once a `join` succeeded: this page is in the chat as `username`.
pub fn after_join(state: ChatState, username: Username, welcome: Welcome) {
    state.me.set(Some(username));
    let mut rooms = vec![RoomName::general()];
    rooms.extend(
        welcome
            .rooms
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r.is_general()),
    );
    state.rooms.set(rooms);
    state.open(View::general());
    spawn_local(async move {
        refresh_users(state).await;
        refresh_dms(state).await;
    });
}

/// Joins with the account of `session` (after login or on page load).
pub async fn join_account(state: ChatState, session: Session) {
    let username = session.user.username.clone();
    match state
        .client
        .emit_with_ack(&Join {
            username: username.clone(),
        })
        .await
    {
        Ok(welcome) => after_join(state, username, welcome),
        Err(e) => state.signed_out_reason.set(Some(e.to_string())),
    }
}

/// Logs in on this page: keeps the session, reconnects with its token,
/// joins with its name.
pub fn sign_in(state: ChatState, session: Session) {
    session::save(&session);
    state.signed_out_reason.set(None);
    state.account.set(Some(session.clone()));
    state.client.log_in_as(Some(session.token.clone()));
    spawn_local(join_account(state, session));
}

/// Forgets the login and goes back to the name form as a guest.
pub fn sign_out(state: ChatState, reason: Option<String>) {
    // The client may hold a saved token even before `account` is set.
    let had_account = state.account.get_untracked().is_some() || session::load().is_some();
    session::clear();
    state.account.set(None);
    state.reset();
    if had_account {
        state.client.log_in_as(None);
    }
    if reason.is_some() {
        state.signed_out_reason.set(reason);
    }
}

/// Logout elsewhere, expiry and refused tokens end the login here too;
/// alerts become toasts.
fn follow_the_session(state: ChatState) {
    state
        .client
        .on::<SessionEnded>(move |e| sign_out(state, Some(e.message)));
    // The server's reason for a disconnect that is not about the login
    // (it kept sending far over the rate limit): said where the person
    // reads; the client reconnects by itself.
    state.client.on::<Kicked>(move |e| state.notice(e.message));
    state
        .client
        .on::<ServerRestarting>(move |e| state.notice(e.message));
    state.client.on_connect_error(move |nsp, message| {
        if nsp != chat::NAMESPACE {
            return;
        }
        if state.account.get_untracked().is_some() || session::load().is_some() {
            sign_out(state, Some(message));
        } else {
            // A guest refused by a limit (too many connections from this
            // address, server full): say why while the client retries.
            state.notice(format!("The server refused the connection: {message}"));
        }
    });
    state.client.on::<Notification>(move |n| {
        if let Ok(alert) = serde_json::from_value::<Alert>(n.0) {
            let id = state.push_alert(alert);
            set_timeout(
                move || state.dismiss_alert(id),
                std::time::Duration::from_secs(8),
            );
        }
    });
}

/// A reconnected socket is new to the server: take the name again, re-enter
/// the rooms, say what is shown, re-subscribe to alerts (all before anything
/// typed while offline); then catch up on what was missed.
fn resend_on_connect(state: ChatState) {
    state.client.on_connect_send(move || {
        let mut out = Vec::new();
        if let Some(username) = state.me.get_untracked() {
            out.push(Outgoing::of(&Join { username }));
            for room in state
                .rooms
                .get_untracked()
                .into_iter()
                .filter(|r| !r.is_general())
            {
                out.push(Outgoing::of(&JoinRoom { room }));
            }
            out.push(Outgoing::of(&focus_of(&state.current.get_untracked())));
        }
        if let Some(account) = state.account.get_untracked() {
            if let Ok(user_id) = UserId::parse(&account.user.id.to_string()) {
                out.push(Outgoing::of(&SubscribeToNotifications { user_id }));
            }
        }
        out.into_iter().flatten().collect()
    });
    let connection = state.client.state();
    Effect::new(move |was_connected: Option<bool>| {
        let connected = connection.get() == ConnectionState::Connected;
        if connected && was_connected == Some(false) && state.me.with_untracked(Option::is_some) {
            spawn_local(async move {
                refresh_users(state).await;
                for (view, newest) in state.loaded_views() {
                    catch_up(state, view, newest).await;
                }
                refresh_dms(state).await;
            });
        }
        connected
    });
}

fn focus_of(view: &View) -> Focus {
    match view {
        View::Room(room) => Focus {
            room: Some(room.clone()),
            with: None,
        },
        View::Dm(with) => Focus {
            room: None,
            with: Some(with.clone()),
        },
    }
}

/// Loads the newest page of whatever is shown, once; tells the server.
fn load_what_is_shown(state: ChatState) {
    Effect::new(move |_| {
        let view = state.current.get();
        if state.me.with(Option::is_none) {
            return;
        }
        state.client.emit(&focus_of(&view));
        if !state.timeline_untracked(&view).loaded {
            spawn_local(load_page(state, view, None));
        } else if let View::Dm(with) = &view {
            if let Some(seq) = state.timeline_untracked(&view).newest_seq() {
                state.client.emit(&MarkRead {
                    with: with.clone(),
                    seq,
                });
            }
        }
    });
}

/// Loads the page before `before` (or the newest page) of `view`.
pub async fn load_page(state: ChatState, view: View, before: Option<i64>) {
    match fetch_page(state, &view, before, None, None).await {
        Ok((lines, has_more)) => {
            let newest = lines.last().map(|(seq, _)| *seq);
            state.add_lines(&view, lines.into_iter().map(|(_, l)| l));
            state.set_loaded(&view, Some(has_more));
            if let (View::Dm(with), Some(seq), None) = (&view, newest, before) {
                state.client.emit(&MarkRead {
                    with: with.clone(),
                    seq,
                });
            }
        }
        Err(e) => {
            state.set_loaded(&view, None);
            state.add_lines(
                &view,
                [Line::Notice {
                    text: e.to_string(),
                }],
            );
        }
    }
}

/// Fetches everything after `after` in `view`, page by page.
async fn catch_up(state: ChatState, view: View, mut after: i64) {
    loop {
        let Ok((lines, has_more)) =
            fetch_page(state, &view, None, Some(after), Some(MAX_PAGE)).await
        else {
            return;
        };
        if let Some((seq, _)) = lines.last() {
            after = *seq;
        }
        state.add_lines(&view, lines.into_iter().map(|(_, l)| l));
        if !has_more {
            return;
        }
    }
}

/// One page of `view`'s history (`history` for a room, `dm-history` for a
/// conversation): its lines, oldest first, each with its `seq`, and
/// whether there is more.
async fn fetch_page(
    state: ChatState,
    view: &View,
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<u32>,
) -> Result<(Vec<(i64, Line)>, bool), EmitError> {
    match view {
        View::Room(room) => {
            let request = History {
                room: room.clone(),
                before,
                after,
                limit,
            };
            let page = state.client.emit_with_ack(&request).await?;
            let lines = page.messages.iter().map(|m| (m.seq, state.message_line(m)));
            Ok((lines.collect(), page.has_more))
        }
        View::Dm(with) => {
            let request = DmHistory {
                with: with.clone(),
                before,
                after,
                limit,
            };
            let page = state.client.emit_with_ack(&request).await?;
            let lines = page.messages.iter().map(|m| (m.seq, state.dm_line(m)));
            Ok((lines.collect(), page.has_more))
        }
    }
}

/// Replaces the user list with the server's.
pub async fn refresh_users(state: ChatState) {
    match state.client.emit_with_ack(&GetUsers {}).await {
        Ok(list) => state.users.set(list.users),
        Err(e) => leptos::logging::warn!("get-users failed: {e}"),
    }
}

/// Replaces the conversation list with the server's (logged in only).
pub async fn refresh_dms(state: ChatState) {
    if state.account.with_untracked(Option::is_none) {
        return;
    }
    match state.client.emit_with_ack(&DmList {}).await {
        Ok(list) => {
            let current = state.current.get_untracked();
            state.dms.set(
                list.conversations
                    .into_iter()
                    .map(|mut c| {
                        if current == View::Dm(c.with.clone()) {
                            c.unread = 0;
                        }
                        c
                    })
                    .collect(),
            );
        }
        Err(e) => leptos::logging::warn!("dm-list failed: {e}"),
    }
}
