//! The page at `/`: pick a name, then chat.

use super::composer::Composer;
use super::connection_banner::ConnectionBanner;
use super::login_form::LoginForm;
use super::message_list::MessageList;
use super::room_list::RoomList;
use super::state::ChatState;
use super::user_list::UserList;
use crate::client::{Client, ConnectionState, Outgoing};
use crate::protocol::chat::{self, GetUsers, Join, JoinRoom};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ChatPage() -> impl IntoView {
    let client = Client::connect(&[chat::NAMESPACE]);
    let state = ChatState::new(client);
    state.listen();
    provide_context(state);
    rejoin_after_reconnect(state);

    view! {
        <div class="app">
            <ConnectionBanner state=client.state()/>
            <Show
                when=move || state.me.with(Option::is_some)
                fallback=|| view! { <LoginForm/> }
            >
                <div class="chat">
                    <RoomList/>
                    <section class="room" aria-label="Messages">
                        <header class="room-header">
                            <h2># {move || state.current.get().to_string()}</h2>
                            <span class="me">
                                "Signed in as "
                                <strong data-testid="me">
                                    {move || state.me.get().map(|m| m.to_string()).unwrap_or_default()}
                                </strong>
                            </span>
                        </header>
                        <MessageList/>
                        <Composer/>
                    </section>
                    <UserList/>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

/// After a dropped connection comes back, the server has forgotten this
/// socket: take the name again and re-enter the rooms (sent before anything
/// typed while offline), then refresh the user list.
fn rejoin_after_reconnect(state: ChatState) {
    state.client.on_connect_send(move || {
        let Some(username) = state.me.get_untracked() else {
            return Vec::new();
        };
        let rooms = state.rooms.get_untracked();
        std::iter::once(Outgoing::of(&Join { username }))
            .chain(
                rooms
                    .into_iter()
                    .filter(|r| !r.is_general())
                    .map(|room| Outgoing::of(&JoinRoom { room })),
            )
            .flatten()
            .collect()
    });
    let connection = state.client.state();
    Effect::new(move |was_connected: Option<bool>| {
        let connected = connection.get() == ConnectionState::Connected;
        if connected && was_connected == Some(false) && state.me.with_untracked(Option::is_some) {
            spawn_local(refresh_users(state));
        }
        connected
    });
}

/// Replaces the user list with the server's.
pub async fn refresh_users(state: ChatState) {
    match state.client.emit_with_ack(&GetUsers {}).await {
        Ok(list) => state.users.set(list.users),
        Err(e) => leptos::logging::warn!("get-users failed: {e}"),
    }
}
