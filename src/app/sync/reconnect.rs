//! After a reconnect the socket is new to the server: what to send again
//! first, and the catching up that follows.

use super::history::catch_up;
use super::lists::{refresh_dms, refresh_users};
use super::message_changes::catch_up_changes;
use super::read_state::refresh_read_state;
use crate::app::state::ChatState;
use crate::client::{ConnectionState, Outgoing};
use crate::protocol::chat::{Join, JoinRoom};
use crate::protocol::notifications::{SubscribeToNotifications, UserId};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A reconnected socket is new to the server: take the name again, re-enter
/// the rooms, say what is shown, re-subscribe to alerts (all before anything
/// typed while offline). Set up with the page: the first connection of a
/// saved login subscribes to its alerts here too.
pub fn resend_on_connect(state: ChatState) {
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
            out.push(Outgoing::of(
                &state.focus_of(&state.current.get_untracked()),
            ));
        }
        if let Some(account) = state.account.get_untracked() {
            if let Ok(user_id) = UserId::parse(&account.user.id.to_string()) {
                out.push(Outgoing::of(&SubscribeToNotifications { user_id }));
            }
        }
        out.into_iter().flatten().collect()
    });
}

/// Once in the chat, after each reconnect: catch up on what was missed
/// (the people, each loaded conversation and its changes, the direct
/// conversations, the read marks).
pub fn catch_up_on_reconnect(state: ChatState) {
    let connection = state.client.state();
    Effect::new(move |was_connected: Option<bool>| {
        let connected = connection.get() == ConnectionState::Connected;
        if connected && was_connected == Some(false) && state.me.with_untracked(Option::is_some) {
            spawn_local(async move {
                refresh_users(state).await;
                for (view, newest) in state.loaded_views() {
                    catch_up(state, view.clone(), newest).await;
                    catch_up_changes(state, view).await;
                }
                refresh_dms(state).await;
                refresh_read_state(state).await;
            });
        }
        connected
    });
}
