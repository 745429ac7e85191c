//! Changes to messages (issue #15), in rooms and direct conversations
//! alike: applying `message-changed` and `dm-changed`, reading the change
//! feed (`changes`, `dm-changes`) when a number is missing or after a
//! reconnect, and asking for edits, deletions and reactions. The
//! components name the view they show; which event that takes (a room's
//! or a conversation's) is decided here. How the numbers work: README,
//! "Edits, reactions and the change feed".

use crate::app::state::{ChangeGap, ChatState, View};
use crate::client::{new_client_message_id, EmitError};
use crate::protocol::direct_changes::{
    DeleteDm, DmChangeApplied, DmChanged, DmChanges, DmVersions, EditDm, ReactDm,
};
use crate::protocol::emoji::Emoji;
use crate::protocol::message_changes::{
    ChangeApplied, Changes, EditMessage, MessageChanged, MessageVersions, Version, MAX_CHANGES_PAGE,
};
use crate::protocol::reactions::React;
use crate::protocol::{ClientEvent, MessageText};
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashSet;

thread_local! {
    /// The views whose feed is being read, so that a burst of gaps reads
    /// it once (the page has one thread).
    static READING: RefCell<HashSet<View>> = RefCell::new(HashSet::new());
}

/// Subscribes to `message-changed` and `dm-changed`.
pub fn listen(state: ChatState) {
    state.client.on::<MessageChanged>(move |MessageChanged(m)| {
        let view = View::Room(m.room.clone());
        state.apply_change(&m);
        noted(state, view, m.change);
    });
    state.client.on::<DmChanged>(move |DmChanged(m)| {
        let Some(view) = state.apply_dm_change(&m) else {
            return;
        };
        noted(state, view, m.change);
    });
}

/// Notes live change `change` of `view`; reads the feed for what is
/// missing before it.
fn noted(state: ChatState, view: View, change: i64) {
    if let ChangeGap::FetchAfter(after) = state.note_change(&view, change) {
        spawn_local(read_feed(state, view, after));
    }
}

/// After a reconnect: the changes `view` missed (once its history is
/// caught up, so that every changed message is held).
pub async fn catch_up_changes(state: ChatState, view: View) {
    if let Some(after) = state.changes_upto(&view) {
        read_feed(state, view, after).await;
    }
}

/// One page of `view`'s feed after `after`, applied: whether more follow,
/// and the number it is read up to.
async fn feed_page(
    state: ChatState,
    view: &View,
    mut after: i64,
) -> Result<(bool, i64), EmitError> {
    let (has_more, last) = match view {
        View::Room(room) => {
            let request = Changes {
                room: room.clone(),
                after,
                limit: Some(MAX_CHANGES_PAGE),
            };
            let page = state.client.emit_with_ack(&request).await?;
            for m in &page.messages {
                state.apply_change(m);
                after = after.max(m.change);
            }
            (page.has_more, page.last)
        }
        View::Dm(with) => {
            let request = DmChanges {
                with: with.clone(),
                after,
                limit: Some(MAX_CHANGES_PAGE),
            };
            let page = state.client.emit_with_ack(&request).await?;
            for m in &page.messages {
                state.apply_dm_change(m);
                after = after.max(m.change);
            }
            (page.has_more, page.last)
        }
    };
    Ok((has_more, if has_more { after } else { last.max(after) }))
}

/// Reads `view`'s feed after `after`, page by page, applying each state.
async fn read_feed(state: ChatState, view: View, mut after: i64) {
    if !READING.with(|r| r.borrow_mut().insert(view.clone())) {
        return;
    }
    loop {
        let Ok((has_more, upto)) = feed_page(state, &view, after).await else {
            // Offline: the reconnect reads it again.
            break;
        };
        if !has_more {
            state.caught_up_to(&view, upto, false);
            break;
        }
        after = upto;
    }
    READING.with(|r| r.borrow_mut().remove(&view));
}

/// Asks to replace the text of message `id` of `view`; applies the state
/// it answers with, or says why not. Retried with the same client id
/// when no answer came.
pub async fn edit(
    state: ChatState,
    view: View,
    id: i64,
    text: MessageText,
) -> Result<(), EmitError> {
    let client_id = new_client_message_id();
    match view {
        View::Room(room) => {
            let request = EditMessage {
                room,
                id,
                message: text,
                client_id,
            };
            room_change(state, &request).await
        }
        View::Dm(with) => {
            let request = EditDm {
                with,
                id,
                message: text,
                client_id,
            };
            dm_change(state, &request).await
        }
    }
}

/// Makes `emoji` on message `id` of `view` so (`on`) or not.
pub async fn react(
    state: ChatState,
    view: View,
    id: i64,
    emoji: Emoji,
    on: bool,
) -> Result<(), EmitError> {
    let client_id = new_client_message_id();
    match view {
        View::Room(room) => {
            let request = React {
                room,
                id,
                emoji,
                on,
                client_id,
            };
            room_change(state, &request).await
        }
        View::Dm(with) => {
            let request = ReactDm {
                with,
                id,
                emoji,
                on,
                client_id,
            };
            dm_change(state, &request).await
        }
    }
}

/// Deletes message `id` of `view` (in a room, a moderator's or one's own;
/// in a conversation, one's own), and shows it deleted at once.
pub async fn delete(state: ChatState, view: View, id: i64) -> Result<(), EmitError> {
    match view {
        View::Room(room) => {
            super::moderation::delete_message(state, room.clone(), id).await?;
            // Everyone (this page too) also gets `message-deleted`.
            state.delete_message(&View::Room(room), id);
            Ok(())
        }
        // Deleting again changes nothing: a retry is harmless.
        View::Dm(with) => dm_change(state, &DeleteDm { with, id }).await,
    }
}

/// The earlier texts of message `id` of `view`, oldest first.
pub async fn versions(state: ChatState, view: View, id: i64) -> Result<Vec<Version>, EmitError> {
    match view {
        View::Room(room) => {
            let request = MessageVersions { room, id };
            let answer = state.client.emit_with_ack(&request).await?;
            Ok(answer.versions)
        }
        View::Dm(with) => {
            let request = DmVersions { with, id };
            let answer = state.client.emit_with_ack(&request).await?;
            Ok(answer.versions)
        }
    }
}

/// A change of a room message, applied at once with the state it answers.
async fn room_change<E>(state: ChatState, request: &E) -> Result<(), EmitError>
where
    E: ClientEvent<Reply = ChangeApplied>,
{
    let applied = with_retries(state, request).await?;
    state.apply_change(&applied.state);
    Ok(())
}

/// A change of a direct message, applied at once with the state it
/// answers.
async fn dm_change<E>(state: ChatState, request: &E) -> Result<(), EmitError>
where
    E: ClientEvent<Reply = DmChangeApplied>,
{
    let applied = with_retries(state, request).await?;
    state.apply_dm_change(&applied.state);
    Ok(())
}

/// Sends a change, again (same client id: applied once) when no answer
/// came.
async fn with_retries<E: ClientEvent>(
    state: ChatState,
    request: &E,
) -> Result<E::Reply, EmitError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match state.client.emit_with_ack(request).await {
            Ok(reply) => return Ok(reply),
            Err(EmitError::Timeout | EmitError::Disconnected) if attempts < 3 => {}
            Err(e) => return Err(e),
        }
    }
}
