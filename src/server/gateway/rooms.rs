//! The socket.io rooms Huddle uses internally, by name. Each starts with a
//! control character, which no room name a client sends may hold, so
//! `join-room` can never enter them. Also the boards a socket has open.

use crate::protocol::RoomName;
use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

/// The first character of every internal room.
pub(crate) const INTERNAL: char = '\u{1}';

/// Every `/chat` socket of one account.
pub fn user_room(user_id: i64) -> String {
    format!("{INTERNAL}user:{user_id}")
}

/// Every socket of one login session.
pub fn session_room(session: &str) -> String {
    format!("{INTERNAL}session:{session}")
}

/// The socket.io room of the board of `room`: the sockets that opened it.
pub fn board_room(room: &RoomName) -> String {
    format!("{INTERNAL}board:{room}")
}

/// The boards one socket has open; kept in its extensions.
#[derive(Debug, Default)]
pub struct OpenBoards(Mutex<HashSet<RoomName>>);

impl OpenBoards {
    fn lock(&self) -> MutexGuard<'_, HashSet<RoomName>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens the board of `room` (`board-join`).
    pub fn insert(&self, room: RoomName) {
        self.lock().insert(room);
    }

    /// Closes the board of `room` (`board-leave`).
    pub fn remove(&self, room: &RoomName) {
        self.lock().remove(room);
    }

    /// Whether the board of `room` is open.
    pub fn contains(&self, room: &RoomName) -> bool {
        self.lock().contains(room)
    }
}
