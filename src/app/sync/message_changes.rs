//! Changes to room messages (issue #15): applying `message-changed`,
//! reading the change feed when a number is missing or after a reconnect,
//! and asking for edits and reactions. How the numbers work: README,
//! "Edits, reactions and the change feed".

use crate::app::state::{ChangeGap, ChatState, View};
use crate::client::{new_client_message_id, EmitError};
use crate::protocol::chat::NewMessage;
use crate::protocol::emoji::Emoji;
use crate::protocol::message_changes::{
    Changes, EditMessage, MessageChanged, MessageVersions, Version, MAX_CHANGES_PAGE,
};
use crate::protocol::reactions::React;
use crate::protocol::{MessageText, RoomName};
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashSet;

thread_local! {
    /// The rooms whose feed is being read, so that a burst of gaps reads
    /// it once (the page has one thread).
    static READING: RefCell<HashSet<RoomName>> = RefCell::new(HashSet::new());
}

/// Subscribes to `message-changed`.
pub fn listen(state: ChatState) {
    state.client.on::<MessageChanged>(move |MessageChanged(m)| {
        let view = View::Room(m.room.clone());
        state.apply_change(&m);
        if let ChangeGap::FetchAfter(after) = state.note_change(&view, m.change) {
            spawn_local(read_feed(state, m.room, after));
        }
    });
}

/// After a reconnect: the changes `room` missed (once its history is
/// caught up, so that every changed message is held).
pub async fn catch_up_changes(state: ChatState, room: RoomName) {
    if let Some(after) = state.changes_upto(&View::Room(room.clone())) {
        read_feed(state, room, after).await;
    }
}

/// Reads `room`'s feed after `after`, page by page, applying each state.
async fn read_feed(state: ChatState, room: RoomName, mut after: i64) {
    if !READING.with(|r| r.borrow_mut().insert(room.clone())) {
        return;
    }
    let view = View::Room(room.clone());
    loop {
        let request = Changes {
            room: room.clone(),
            after,
            limit: Some(MAX_CHANGES_PAGE),
        };
        let Ok(page) = state.client.emit_with_ack(&request).await else {
            // Offline: the reconnect reads it again.
            break;
        };
        for m in &page.messages {
            state.apply_change(m);
            after = after.max(m.change);
        }
        if !page.has_more {
            state.caught_up_to(&view, page.last.max(after), false);
            break;
        }
    }
    READING.with(|r| r.borrow_mut().remove(&room));
}

/// Asks to replace the text of message `id`; the state after it, or why
/// not. Retried with the same client id when no answer came.
pub async fn edit(
    state: ChatState,
    room: RoomName,
    id: i64,
    text: MessageText,
) -> Result<NewMessage, EmitError> {
    let request = EditMessage {
        room,
        id,
        message: text,
        client_id: new_client_message_id(),
    };
    with_retries(state, &request).await.map(|a| a.state)
}

/// Makes `emoji` on message `id` so (`on`) or not.
pub async fn react(
    state: ChatState,
    room: RoomName,
    id: i64,
    emoji: Emoji,
    on: bool,
) -> Result<NewMessage, EmitError> {
    let request = React {
        room,
        id,
        emoji,
        on,
        client_id: new_client_message_id(),
    };
    with_retries(state, &request).await.map(|a| a.state)
}

/// The earlier texts of message `id`, oldest first.
pub async fn versions(
    state: ChatState,
    room: RoomName,
    id: i64,
) -> Result<Vec<Version>, EmitError> {
    let request = MessageVersions { room, id };
    state
        .client
        .emit_with_ack(&request)
        .await
        .map(|v| v.versions)
}

/// Sends a change, again (same client id: applied once) when no answer
/// came; applies the state it answers with at once.
async fn with_retries<E>(state: ChatState, request: &E) -> Result<E::Reply, EmitError>
where
    E: crate::protocol::ClientEvent<Reply = crate::protocol::message_changes::ChangeApplied>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match state.client.emit_with_ack(request).await {
            Ok(applied) => {
                state.apply_change(&applied.state);
                return Ok(applied);
            }
            Err(EmitError::Timeout | EmitError::Disconnected) if attempts < 3 => {}
            Err(e) => return Err(e),
        }
    }
}
