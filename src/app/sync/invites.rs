//! Invite links on the connection: making, listing and revoking a room's
//! links (its settings), and accepting the one a page was opened with
//! (`/invite/<code>`), once, as soon as the page is logged in.

use crate::app::state::{ChatState, View};
use crate::client::EmitError;
use crate::protocol::invites::{
    AcceptInvite, CreateInviteLink, InviteCode, InviteLinkInfo, InviteLinkMade, InviteLinks,
    RevokeInviteLink,
};
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Makes a link to `room`; its url is shown only in this answer.
pub async fn create_link(
    state: ChatState,
    room: RoomName,
    minutes: u32,
    max_uses: Option<u32>,
) -> Result<InviteLinkMade, EmitError> {
    state
        .client
        .emit_with_ack(&CreateInviteLink {
            room,
            expires_in_minutes: Some(minutes),
            max_uses,
        })
        .await
}

/// The room's live links, newest first.
pub async fn list_links(
    state: ChatState,
    room: RoomName,
) -> Result<Vec<InviteLinkInfo>, EmitError> {
    state
        .client
        .emit_with_ack(&InviteLinks { room })
        .await
        .map(|l| l.links)
}

/// Revokes link `id` of `room`; answers the server's confirmation.
pub async fn revoke_link(state: ChatState, room: RoomName, id: i64) -> Result<String, EmitError> {
    state
        .client
        .emit_with_ack(&RevokeInviteLink { room, id })
        .await
        .map(|ok| ok.message)
}

/// A date and time the server gave (ISO 8601), in the browser's locale;
/// on the server, as UTC.
pub fn date_time(iso: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
        if !date.get_time().is_nan() {
            return String::from(
                date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED),
            );
        }
    }
    match iso.get(..16) {
        Some(start) => format!("{} UTC", start.replace('T', " ")),
        None => iso.to_owned(),
    }
}

/// Copies `text` to the clipboard; whether it could.
pub async fn copy_text(text: String) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let navigator = window.navigator();
        // Missing outside secure contexts (a page over plain http): calling
        // it then would throw.
        let present = js_sys::Reflect::get(&navigator, &"clipboard".into())
            .is_ok_and(|c| !c.is_undefined() && !c.is_null());
        if !present {
            return false;
        }
        let promise = navigator.clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// Puts `/` in the address bar instead of the invite's path (without a
/// new history entry), so a reload does not accept it again.
fn forget_invite_url() {
    #[cfg(feature = "hydrate")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"));
    }
}

/// Accepts the invite this page was opened with, once, as soon as it is
/// in the chat with an account: the room opens with a notice; a refusal
/// is put in `refused` (the server's text).
pub fn accept_when_logged_in(state: ChatState, code: String, refused: RwSignal<Option<String>>) {
    let sent = StoredValue::new(false);
    Effect::new(move |_| {
        let ready = state.me.with(Option::is_some) && state.account.with(Option::is_some);
        if !ready || sent.get_value() {
            return;
        }
        sent.set_value(true);
        forget_invite_url();
        let code = match InviteCode::parse(&code) {
            Ok(code) => code,
            Err(e) => return refused.set(Some(e)),
        };
        spawn_local(async move {
            match state.client.emit_with_ack(&AcceptInvite { code }).await {
                Ok(info) => {
                    let room = info.room;
                    state.open(View::Room(room.clone()));
                    // `room-added` came first and said "You were added":
                    // this says it as it happened.
                    let added = format!("You were added to #{room}");
                    state
                        .room_state
                        .notices
                        .update(|n| n.retain(|(_, text)| *text != added));
                    state.room_state.notify(format!("You joined #{room}"));
                }
                Err(e) => refused.set(Some(e.to_string())),
            }
        });
    });
}
