//! Read state (issue #15), for accounts: the server keeps where each room
//! was read to, so unread counts and the "new messages" line are the same
//! after a reload and on another device. A room shown is marked read up to
//! its newest message while the page is visible (not a background tab or
//! a minimised window: what arrives then waits until the page is looked
//! at again); the line stays where it was when the room opened.

use crate::app::state::{ChatState, View};
use crate::protocol::limits::MAX_UNREAD_COUNTED;
use crate::protocol::read_state::{MarkRoomRead, ReadState, RoomRead};
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// Reads the account's read state, then keeps it: `room-read` from its
/// other sockets, and marking what this page shows.
pub fn follow_read_state(state: ChatState) {
    state.client.on::<RoomRead>(move |e| {
        state.read_marks.update(|marks| {
            if let Some(marks) = marks {
                let mark = marks.entry(e.room.clone()).or_default();
                *mark = (*mark).max(e.seq);
            }
        });
        // Read on another device: the count here follows.
        spawn_local(refresh_read_state(state));
    });
    // Once joined with an account (again after a reconnect: `me` is set
    // anew by the join), the server's counts replace the page's.
    Effect::new(move |_| {
        if state.me.get().is_some() && state.account.get_untracked().is_some() {
            spawn_local(refresh_read_state(state));
        }
    });
    // The room shown is read up to its newest message, once looked at.
    let visible = page_visible();
    Effect::new(move |_| {
        let View::Room(room) = state.current.get() else {
            return;
        };
        if !visible.get() {
            return;
        }
        let newest = state.newest_seq(&View::Room(room.clone()));
        let Some(mark) = state
            .read_marks
            .with(|m| m.as_ref().map(|m| m.get(&room).copied().unwrap_or(0)))
        else {
            return;
        };
        if state
            .divider
            .with_untracked(|d| d.as_ref().is_none_or(|(r, _)| *r != room))
        {
            state.divider.set(Some((room.clone(), mark)));
        }
        if let Some(newest) = newest.filter(|n| *n > mark) {
            mark_read(state, room, newest);
        }
    });
}

/// Whether the page is visible (`document.hidden` is false), kept up to
/// date by `visibilitychange`; true until the browser says (and on the
/// server).
fn page_visible() -> ReadSignal<bool> {
    let visible = RwSignal::new(true);
    // Effects run in the browser only, once here (nothing tracked).
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let document = document();
        visible.set(!document.hidden());
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            visible.set(!leptos::prelude::document().hidden());
        });
        if let Err(e) = document
            .add_event_listener_with_callback("visibilitychange", listener.as_ref().unchecked_ref())
        {
            leptos::logging::warn!("cannot follow the page's visibility: {e:?}");
        }
        // Listens for the page's lifetime; the page has one read state.
        listener.forget();
    });
    visible.read_only()
}

/// Marks `room` read up to `seq` here and on the server.
fn mark_read(state: ChatState, room: RoomName, seq: i64) {
    state.read_marks.update(|marks| {
        if let Some(marks) = marks {
            marks.insert(room.clone(), seq);
        }
    });
    state.set_unread(room.clone(), 0);
    state.client.emit(&MarkRoomRead { room, seq });
}

/// Marks every room read up to its newest message.
pub async fn mark_all_read(state: ChatState) {
    let Ok(states) = state.client.emit_with_ack(&ReadState {}).await else {
        return;
    };
    for room in states.rooms.into_iter().filter(|r| r.unread > 0) {
        mark_read(state, room.room, room.last_seq);
    }
}

/// Asks the server where the account has read to, and shows its counts.
pub async fn refresh_read_state(state: ChatState) {
    if state.account.get_untracked().is_none() {
        return;
    }
    let Ok(states) = state.client.emit_with_ack(&ReadState {}).await else {
        return;
    };
    let shown = match state.current.get_untracked() {
        View::Room(room) => Some(room),
        View::Dm(_) => None,
    };
    let mut marks = HashMap::new();
    for room in states.rooms {
        let count = match shown.as_ref() == Some(&room.room) {
            true => 0,
            false => u32::try_from(room.unread.clamp(0, MAX_UNREAD_COUNTED)).unwrap_or(0),
        };
        state.set_unread(room.room.clone(), count);
        marks.insert(room.room, room.last_read);
    }
    state.read_marks.update(|m| match m {
        // Keep this page's own marks where they are ahead.
        Some(held) => {
            for (room, seq) in marks {
                let mark = held.entry(room).or_default();
                *mark = (*mark).max(seq);
            }
        }
        None => *m = Some(marks),
    });
}

/// The unread count as the room list shows it.
pub fn unread_label(count: u32) -> String {
    match i64::from(count) >= MAX_UNREAD_COUNTED {
        true => format!("{}+", MAX_UNREAD_COUNTED - 1),
        false => count.to_string(),
    }
}
