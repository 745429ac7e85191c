//! What the page knows about rooms beyond their names: each joined room's
//! kind, this account's role in it and whether it is archived (from
//! `my-rooms`, `create-room`, `room-added`, `room-info`), and the polite
//! notices about rooms ("ann added you to #plans").

use crate::protocol::rooms::{MyRoom, Role, RoomInfo, RoomKind};
use crate::protocol::RoomName;
use leptos::prelude::*;
use std::collections::HashMap;

/// How long a room notice stays on screen.
pub const NOTICE_MS: u64 = 10_000;

/// What the room list and the settings show of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomMark {
    pub kind: RoomKind,
    /// This account's role, if it is a member.
    pub role: Option<Role>,
    pub archived: bool,
}

impl From<&RoomInfo> for RoomMark {
    fn from(info: &RoomInfo) -> Self {
        Self {
            kind: info.kind,
            role: info.role,
            archived: info.archived,
        }
    }
}

impl From<&MyRoom> for RoomMark {
    fn from(room: &MyRoom) -> Self {
        Self {
            kind: room.kind,
            role: Some(room.role),
            archived: room.archived,
        }
    }
}

/// The rooms' side of the chat screen's state: signals, `Copy`.
#[derive(Clone, Copy)]
pub struct RoomsState {
    marks: RwSignal<HashMap<RoomName, RoomMark>>,
    /// Notices about rooms, each with an id, newest last.
    pub notices: RwSignal<Vec<(u64, String)>>,
    next_notice: StoredValue<u64>,
}

impl Default for RoomsState {
    fn default() -> Self {
        Self::new()
    }
}

impl RoomsState {
    pub fn new() -> Self {
        Self {
            marks: RwSignal::new(HashMap::new()),
            notices: RwSignal::new(Vec::new()),
            next_notice: StoredValue::new(0),
        }
    }

    /// What is known of `room` (nothing for a public room joined by name
    /// as a guest).
    pub fn mark(&self, room: &RoomName) -> Option<RoomMark> {
        self.marks.with(|m| m.get(room).copied())
    }

    pub fn is_private(&self, room: &RoomName) -> bool {
        self.mark(room).is_some_and(|m| m.kind == RoomKind::Private)
    }

    pub fn set_mark(&self, room: RoomName, mark: RoomMark) {
        self.marks.update(|m| {
            m.insert(room, mark);
        });
    }

    pub fn forget(&self, room: &RoomName) {
        self.marks.update(|m| {
            m.remove(room);
        });
    }

    /// Shows a notice for [`NOTICE_MS`]; returns its id.
    pub fn notify(&self, text: String) -> u64 {
        let id = self.next_notice.get_value();
        self.next_notice.set_value(id + 1);
        self.notices.update(|n| {
            n.push((id, text));
            if n.len() > 4 {
                n.remove(0);
            }
        });
        let this = *self;
        set_timeout(
            move || this.dismiss(id),
            std::time::Duration::from_millis(NOTICE_MS),
        );
        id
    }

    pub fn dismiss(&self, id: u64) {
        self.notices.update(|n| n.retain(|(i, _)| *i != id));
    }

    /// Forgets everything (on logout).
    pub fn reset(&self) {
        self.marks.set(HashMap::new());
        self.notices.set(Vec::new());
    }
}
