//! Threads on the connection (issue #15, item 3): opening a thread beside
//! its room (`thread-history`, newest page first, older ones on demand),
//! telling the server which thread is open (`focus {room, thread}`, so its
//! replies do not alert this account while it reads them), catching up
//! after a reconnect, sending replies (`send-reply`, retried with the same
//! client id) and following (`follow-thread`). Live replies and the root's
//! new states reach the open thread through `ChatState` (`new-message`,
//! `message-changed`, the change feed, deletions), like the room's lines.

use super::moderation::{after_refusal, after_send};
use crate::app::state::{ChatState, Thread, View};
use crate::client::{new_client_message_id, ConnectionState, EmitError};
use crate::protocol::history::MAX_PAGE;
use crate::protocol::threads::{FollowThread, SendReply, ThreadHistory, ThreadPage};
use crate::protocol::{MessageText, RoomName};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A rate-limit wait up to this long is waited out quietly and the reply
/// sent again (as the composer does); a longer one is shown.
const QUIET_RETRY_MS: u64 = 1000;

/// The thread open, as (room, root id), if any (tracked).
pub fn open_thread_key(state: ChatState) -> Option<(RoomName, i64)> {
    state
        .thread
        .with(|t| t.as_ref().map(|t| (t.room.clone(), t.root_id)))
}

/// Keeps the open thread with its room: closed when another conversation
/// is shown; the server told which thread is open; caught up after a
/// reconnect.
pub fn follow_threads(state: ChatState) {
    Effect::new(move |_| {
        let view = state.current.get();
        let elsewhere = state.thread.with_untracked(|t| {
            t.as_ref()
                .is_some_and(|t| view != View::Room(t.room.clone()))
        });
        if elsewhere {
            state.thread.set(None);
        }
    });
    let open = Memo::new(move |_| open_thread_key(state));
    Effect::new(move |before: Option<Option<(RoomName, i64)>>| {
        let now = open.get();
        // A change (the first run is the page's own `focus`).
        if before.is_some() && state.me.with_untracked(Option::is_some) {
            state
                .client
                .emit(&state.focus_of(&state.current.get_untracked()));
        }
        now
    });
    let connection = state.client.state();
    Effect::new(move |was_connected: Option<bool>| {
        let connected = connection.get() == ConnectionState::Connected;
        if connected && was_connected == Some(false) {
            spawn_local(catch_up(state));
        }
        connected
    });
}

/// Opens the thread of message `root` of `room` beside it (shown at once
/// with its root, when the room holds it; its replies follow). `opener`:
/// a CSS selector of what opened it, where the focus goes back after.
pub fn open_thread(state: ChatState, room: RoomName, root: i64, opener: Option<String>) {
    state.thread_opener.set_value(opener);
    let open = state.thread.with_untracked(|t| {
        t.as_ref()
            .is_some_and(|t| t.room == room && t.root_id == root)
    });
    if open {
        return;
    }
    let mut thread = Thread::new(room.clone(), root);
    let held = state.timeline_untracked(&View::Room(room));
    if let Some(line) = held.message(root) {
        thread.set_root(line.clone());
    }
    state.thread.set(Some(thread));
}

/// Closes the thread open.
pub fn close_thread(state: ChatState) {
    state.thread.set(None);
}

/// Reads a page of the open thread: the newest (`before: None`) or the
/// one before reply `before`.
pub async fn load_page(state: ChatState, before: Option<i64>) -> Result<(), EmitError> {
    let Some((room, id)) = state
        .thread
        .with_untracked(|t| t.as_ref().map(|t| (t.room.clone(), t.root_id)))
    else {
        return Ok(());
    };
    let request = ThreadHistory {
        room,
        id,
        before,
        after: None,
        limit: None,
    };
    let page = state.client.emit_with_ack(&request).await?;
    apply_page(state, id, page, before.is_some());
    Ok(())
}

/// After a reconnect: the replies the open thread missed (page by page),
/// and its root now. A thread whose first page never came reads it.
async fn catch_up(state: ChatState) {
    let Some((room, id, loaded, mut after)) = state.thread.with_untracked(|t| {
        t.as_ref()
            .map(|t| (t.room.clone(), t.root_id, t.loaded, t.newest_seq()))
    }) else {
        return;
    };
    if !loaded || after.is_none() {
        let _ = load_page(state, None).await;
        return;
    }
    while let Some(seq) = after {
        let request = ThreadHistory {
            room: room.clone(),
            id,
            before: None,
            after: Some(seq),
            limit: Some(MAX_PAGE),
        };
        let Ok(page) = state.client.emit_with_ack(&request).await else {
            // Offline again: the next reconnect reads it.
            return;
        };
        let has_more = page.has_more;
        let newest = page.replies.last().map(|m| m.seq);
        if !apply_page(state, id, page, false) || !has_more {
            return;
        }
        after = newest;
    }
}

/// Puts a page into the open thread, if it is still thread `root`; the
/// root's state goes to the room's timeline too. Whether it was applied.
fn apply_page(state: ChatState, root: i64, page: ThreadPage, older: bool) -> bool {
    state.apply_change(&page.root);
    let root_line = state.message_line(&page.root);
    let replies = page.replies.iter().map(|m| state.message_line(m)).collect();
    state.in_open_thread(&page.room, move |t| {
        if t.root_id != root {
            return false;
        }
        t.add_page(root_line, replies, page.has_more, older);
        t.following = page.following;
        true
    })
}

/// Sends a reply to thread `root` of `room` (`also_to_room`: shown in the
/// room too), again with the same client id when no answer came (stored
/// once), and after a short rate-limit wait. The reply itself comes back
/// as `new-message`, before the ack. Slow mode counts it as a message.
pub async fn send_reply(
    state: ChatState,
    room: RoomName,
    root: i64,
    message: MessageText,
    also_to_room: bool,
) -> Result<(), EmitError> {
    let client_id = new_client_message_id();
    let has_id = client_id.is_some();
    let request = SendReply {
        room: room.clone(),
        thread: root,
        message,
        also_to_room,
        client_id,
    };
    let mut attempts = 0;
    let mut waits = 0;
    let result = loop {
        attempts += 1;
        match state.client.emit_with_ack(&request).await {
            Ok(_) => break Ok(()),
            Err(EmitError::Timeout | EmitError::Disconnected) if attempts < 3 && has_id => {}
            Err(EmitError::RateLimited(ms)) if ms <= QUIET_RETRY_MS && waits < 5 => {
                waits += 1;
                sleep_ms(ms).await;
            }
            Err(e) => break Err(e),
        }
    };
    match &result {
        Ok(()) => after_send(state, &room),
        Err(EmitError::Refused(text)) => after_refusal(state, &room, text),
        Err(_) => {}
    }
    result
}

/// Follows the open thread (`on`) or stops: whether new replies alert
/// this account. The open thread shows the server's answer.
pub async fn follow(state: ChatState, on: bool) -> Result<(), EmitError> {
    let Some((room, id)) = state
        .thread
        .with_untracked(|t| t.as_ref().map(|t| (t.room.clone(), t.root_id)))
    else {
        return Ok(());
    };
    let ack = state
        .client
        .emit_with_ack(&FollowThread {
            room: room.clone(),
            id,
            on,
        })
        .await?;
    state.in_open_thread(&room, |t| {
        let this = t.root_id == ack.thread;
        if this {
            t.following = ack.following;
        }
        this
    });
    Ok(())
}

/// Resolves after `ms` milliseconds (the browser's timer).
async fn sleep_ms(ms: u64) {
    let (tx, rx) = futures_channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = tx.send(());
        },
        std::time::Duration::from_millis(ms),
    );
    let _ = rx.await;
}
