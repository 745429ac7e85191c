//! Who this page is in the chat as: joining (as a guest or with an
//! account), logging in and out, and what ends a login here (a logout
//! elsewhere, expiry, a refused token).

use super::following::follow_the_chat;
use super::lists::{refresh_dms, refresh_users};
use super::rooms::load_my_rooms;
use super::saved_login;
use crate::app::state::{ChatState, View};
use crate::client::EmitError;
use crate::protocol::account::Session;
use crate::protocol::chat::{self, Join, Kicked, ServerRestarting, SessionEnded, Welcome};
use crate::protocol::notifications::{Alert, Notification};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Called once a `join` succeeded: this page is in the chat as `username`.
fn after_join(state: ChatState, username: Username, welcome: Welcome) {
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
    load_my_rooms(state);
    spawn_local(async move {
        refresh_users(state).await;
        refresh_dms(state).await;
    });
}

/// Joins the chat as `username` (a guest's name, or the account's): first
/// waits until what follows the chat is set up (`following`: its code is
/// fetched the first time), so nothing the server sends after the `join`
/// goes unheard.
pub async fn join(state: ChatState, username: Username) -> Result<(), EmitError> {
    follow_the_chat(state).await;
    let welcome = state
        .client
        .emit_with_ack(&Join {
            username: username.clone(),
        })
        .await?;
    after_join(state, username, welcome);
    Ok(())
}

/// Joins with the account of `session` (after login or on page load).
pub async fn join_account(state: ChatState, session: Session) {
    if let Err(e) = join(state, session.user.username).await {
        state.signed_out_reason.set(Some(e.to_string()));
    }
}

/// Logs in on this page: keeps the session, reconnects with its token,
/// joins with its name.
pub fn sign_in(state: ChatState, session: Session) {
    saved_login::save(&session);
    state.signed_out_reason.set(None);
    state.account.set(Some(session.clone()));
    state.client.log_in_as(Some(session.token.clone()));
    spawn_local(join_account(state, session));
}

/// Forgets the login and goes back to the name form as a guest.
pub fn sign_out(state: ChatState, reason: Option<String>) {
    // The client may hold a saved token even before `account` is set.
    let had_account = state.account.get_untracked().is_some() || saved_login::load().is_some();
    saved_login::clear();
    super::drafts::clear_all();
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
pub fn follow_the_session(state: ChatState) {
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
        if state.account.get_untracked().is_some() || saved_login::load().is_some() {
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
