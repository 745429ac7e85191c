//! The page at `/` (and `/invite/<code>`, which accepts that link once
//! logged in): sign in (or pick a guest name), then chat. It renders
//! and wires; what happens on the connection (signing in and out, what to
//! resend after a reconnect, history and catching up) is in `super::sync`.

use super::alerts::Alerts;
use super::board::Board;
use super::connection_banner::ConnectionBanner;
use super::invite_links::InviteRefused;
use super::login_form::LoginForm;
use super::message_list::MessageList;
use super::room_list::RoomList;
use super::room_notices::RoomNotices;
use super::room_settings::RoomSettingsDialog;
use super::room_state::Hold;
use super::state::{ChatState, View};
use super::sync::invites::accept_when_logged_in;
use super::sync::reconnect::resend_on_connect;
use super::sync::saved_login;
use super::sync::session::{follow_the_session, join_account, sign_out};
use super::thread_panel::ThreadPanel;
use super::typing_line::TypingLine;
use super::user_list::UserList;
use super::write_area::WriteArea;
use crate::client::{http, Client};
use crate::protocol::{chat, notifications};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

/// The page at `/invite/<code>`: the chat page, which accepts the link
/// once logged in.
#[component]
pub fn InvitePage() -> impl IntoView {
    let code = use_params_map().with_untracked(|p| p.get("code"));
    view! { <ChatPage invite=code/> }
}

#[component]
pub fn ChatPage(
    /// The code of the invite link the page was opened with.
    invite: Option<String>,
) -> impl IntoView {
    let saved = saved_login::load();
    let client = Client::connect(
        &[chat::NAMESPACE, notifications::NAMESPACE],
        saved.as_ref().map(|s| s.token.clone()),
    );
    let state = ChatState::new(client, None);
    provide_context(state);
    // The room's whiteboard instead of its messages.
    let show_board = RwSignal::new(false);
    let settings_open = RwSignal::new(false);
    // The chat view's code is a chunk of the WASM of its own, fetched while
    // the login form is shown (a first visit loads the form's code alone).
    let _ = lazy_preload!(chat_view);
    // What follows the chat (messages, rooms, the board…) is set up, from
    // a chunk of its own too, before the first `join` (`sync::following`);
    // what the page hears before it (the session, alerts) is set up here.
    let _ = lazy_preload!(super::sync::following::follow_the_chat);
    resend_on_connect(state);
    follow_the_session(state);
    let invite_refused = RwSignal::new(None::<String>);
    if let Some(code) = invite {
        accept_when_logged_in(state, code, invite_refused);
    }
    // After hydration: a saved login joins at once.
    Effect::new(move |_| {
        if let Some(saved) = saved_login::load() {
            state.account.set(Some(saved.clone()));
            spawn_local(join_account(state, saved));
        }
    });

    view! {
        <div class="app">
            <ConnectionBanner state=client.state()/>
            <Alerts/>
            <RoomNotices/>
            <InviteRefused refused=invite_refused/>
            <Show
                when=move || state.me.with(Option::is_some)
                fallback=|| view! { <LoginForm/> }
            >
                <Suspense fallback=|| {
                    view! { <p class="chat-loading" role="status">"Opening the chat…"</p> }
                }>
                    {move || Suspend::new(async move { chat_view(settings_open, show_board).await })}
                </Suspense>
            </Show>
        </div>
    }
    .into_any()
}

/// The chat once signed in: rooms, messages or the board, threads, people,
/// room settings. `#[lazy]`: its code is split from the WASM the login
/// form needs (`cargo leptos build --split`) and fetched by the browser
/// before it is first called; on the server it runs as it is.
#[lazy]
fn chat_view(settings_open: RwSignal<bool>, show_board: RwSignal<bool>) -> AnyView {
    let state = expect_context::<ChatState>();
    let board_room = move || match state.current.get() {
        View::Room(room) => Some(room),
        View::Dm(_) => None,
    };
    // Changes only when the board shown changes (not on every room switch
    // while the messages are shown, which would rebuild them).
    let board_shown = Memo::new(move |_| board_room().filter(|_| show_board.get()));
    // Not for general (nothing to set), nor for a room one was removed from.
    let has_settings = move || {
        board_room().is_some_and(|room| {
            !room.is_general() && !matches!(state.room_state.hold(&room), Some(Hold::Removed(_)))
        })
    };
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
        // A thread open: its panel is a column of its own (on a phone, the
        // view: style/_threads.scss).
        <div class="chat" class:with-thread=move || state.thread.with(Option::is_some)>
            <RoomList/>
            <section class="room" aria-label="Messages">
                <header class="room-header">
                    <div class="room-title">
                        <h2>{move || state.current.get().title()}</h2>
                        <Show when=has_settings>
                            <button
                                type="button"
                                class="secondary small"
                                data-testid="open-room-settings"
                                aria-haspopup="dialog"
                                on:click=move |_| settings_open.set(true)
                            >
                                "Settings"
                            </button>
                        </Show>
                    </div>
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
                    None => view! { <MessageList/><WriteArea/><TypingLine/> }.into_any(),
                }}
            </section>
            <ThreadPanel/>
            <UserList/>
            <RoomSettingsDialog open=settings_open/>
        </div>
    }
    .into_any()
}
