//! The socket.io rooms Huddle uses internally, by name. Each starts with a
//! control character, which no room name a client sends may hold, so
//! `join-room` can never enter them.

use crate::protocol::RoomName;

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
