//! The lists the server keeps for this page: who is online, and the
//! conversations (logged in only).

use crate::app::state::{ChatState, View};
use crate::protocol::chat::GetUsers;
use crate::protocol::direct::DmList;
use leptos::prelude::*;

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
