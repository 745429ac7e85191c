//! The socket.io rooms Huddle uses internally, by name. Each starts with a
//! control character, which no room name a client sends may hold, so
//! `join-room` can never enter them. Also the rooms a socket was asked to
//! join, and the boards it has open: both bounded per socket.

use crate::protocol::RoomName;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
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

/// How many rooms a client asked `socket` into (`join-room`, or
/// `subscribe-to-notifications`), not counting `general` and the internal
/// rooms; and whether `room` is one of them. Reads the socket's rooms on
/// this node (where a socket's own rooms are kept, whatever the adapter).
pub fn joined_rooms<A: Adapter>(socket: &SocketRef<A>, room: &str) -> (usize, bool) {
    let rooms = socket.rooms();
    let chosen = rooms
        .iter()
        .filter(|r| !r.starts_with(INTERNAL) && *r != RoomName::GENERAL)
        .count();
    (chosen, rooms.iter().any(|r| r == room))
}

/// The boards one socket has open; kept in its extensions.
#[derive(Debug, Default)]
pub struct OpenBoards(Mutex<HashSet<RoomName>>);

impl OpenBoards {
    fn lock(&self) -> MutexGuard<'_, HashSet<RoomName>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens the board of `room` (`board-join`), unless `most` boards are
    /// open already (a board open already stays open): false then.
    pub fn open(&self, room: RoomName, most: usize) -> bool {
        let mut open = self.lock();
        if open.len() >= most && !open.contains(&room) {
            return false;
        }
        open.insert(room);
        true
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
