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

/// Now, in milliseconds since the epoch (the browser's clock; 0 on the
/// server, which renders no countdown).
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// What the room list and the settings show of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomMark {
    pub kind: RoomKind,
    /// This account's role, if it is a member.
    pub role: Option<Role>,
    pub archived: bool,
    /// Slow mode's interval (0: off); known once `room-info` answered.
    pub slow_seconds: u32,
    pub locked: bool,
}

impl RoomMark {
    /// Whether this account may moderate the room (as far as the page
    /// knows: the server decides).
    pub fn moderates(&self) -> bool {
        self.role.is_some_and(|r| r >= Role::Moderator)
    }
}

impl From<&RoomInfo> for RoomMark {
    fn from(info: &RoomInfo) -> Self {
        Self {
            kind: info.kind,
            role: info.role,
            archived: info.archived,
            slow_seconds: info.slow_seconds,
            locked: info.locked,
        }
    }
}

impl From<&MyRoom> for RoomMark {
    fn from(room: &MyRoom) -> Self {
        Self {
            kind: room.kind,
            role: Some(room.role),
            archived: room.archived,
            slow_seconds: 0,
            locked: false,
        }
    }
}

/// Why this page may not write in a room now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Removed or banned: the room left the list; what was received stays
    /// readable. The text says by whom and why.
    Removed(String),
    /// Muted: may read, not write. The text says until when and why.
    Muted(String),
    /// The room takes no messages from this page: archived, or locked
    /// (for who does not moderate it).
    Closed(String),
}

/// The rooms' side of the chat screen's state: signals, `Copy`.
#[derive(Clone, Copy)]
pub struct RoomsState {
    marks: RwSignal<HashMap<RoomName, RoomMark>>,
    /// Notices about rooms, each with an id, newest last.
    pub notices: RwSignal<Vec<(u64, String)>>,
    next_notice: StoredValue<u64>,
    holds: RwSignal<HashMap<RoomName, Hold>>,
    /// Slow mode: when (ms since the epoch, the browser's clock) this page
    /// may send in a room again.
    slow_until: RwSignal<HashMap<RoomName, f64>>,
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
            holds: RwSignal::new(HashMap::new()),
            slow_until: RwSignal::new(HashMap::new()),
        }
    }

    /// Why this page may not write in `room`, if it may not.
    pub fn hold(&self, room: &RoomName) -> Option<Hold> {
        self.holds.with(|h| h.get(room).cloned())
    }

    pub fn set_hold(&self, room: RoomName, hold: Option<Hold>) {
        self.holds.update(|h| match hold {
            Some(hold) => {
                h.insert(room, hold);
            }
            None => {
                h.remove(&room);
            }
        });
    }

    /// When this page may send in `room` again (slow mode), if later than
    /// `now_ms`.
    pub fn slow_until(&self, room: &RoomName, now_ms: f64) -> Option<f64> {
        self.slow_until
            .with(|s| s.get(room).copied())
            .filter(|until| *until > now_ms)
    }

    pub fn set_slow_until(&self, room: RoomName, until_ms: f64) {
        self.slow_until.update(|s| {
            s.insert(room, until_ms);
        });
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
        self.holds.set(HashMap::new());
        self.slow_until.set(HashMap::new());
    }
}
