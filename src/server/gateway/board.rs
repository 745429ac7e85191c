//! The whiteboards, on `/chat`: open a room's board, change it, stream a
//! stroke being drawn, show pointers. See `protocol::board`.
//!
//! Every board event is refused, with the reason, unless its socket has
//! joined the chat and (but for `board-join`) opened that board. Changes
//! are stored before they are acked or sent on; strokes in progress and
//! pointers are only relayed.

use super::chat::joined_request;
use super::reply::Reply;
use super::turn::Turn;
use super::{emit_to, GatewayState, INTERNAL};
use crate::protocol::ack::texts;
use crate::protocol::board::{
    self, BoardChanged, BoardCursor, BoardCursors, BoardDraw, BoardDrawing, BoardJoin, BoardLeave,
    BoardOp, CursorAt, CURSOR_EVERY_MS,
};
use crate::protocol::{ClientEvent, RoomName, Username};
use crate::server::limits::{Budget, Draws, Rooms};
use crate::server::store::BoardApplied;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::SocketIo;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
}

fn has_open<A: Adapter>(socket: &SocketRef<A>, room: &RoomName) -> bool {
    socket
        .extensions
        .get::<Arc<OpenBoards>>()
        .is_some_and(|open| open.lock().contains(room))
}

/// The name of a socket that has joined the chat and opened the board of
/// `room`; otherwise the event is refused and `None` returned.
fn drawer<A: Adapter>(
    state: &GatewayState,
    socket: &SocketRef<A>,
    room: &RoomName,
    event: &str,
    reply: Reply<A>,
) -> Option<(Username, Reply<A>)> {
    let Some(username) = state.presence.username(socket.id) else {
        reply.refuse(event, texts::JOIN_FIRST);
        return None;
    };
    if !has_open(socket, room) {
        reply.refuse(
            event,
            format!("Open the board of {room} first (board-join)"),
        );
        return None;
    }
    Some((username, reply))
}

pub async fn on_board_join<A: Adapter>(
    _budget: Budget<Rooms>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((join, reply)) = joined_request::<A, BoardJoin>(&state, &socket, data, reply) else {
        return;
    };
    // In the room before reading: a change stored meanwhile is either in
    // the snapshot or sent after it (and the client skips what it has).
    socket.join(board_room(&join.room));
    if let Some(open) = socket.extensions.get::<Arc<OpenBoards>>() {
        open.lock().insert(join.room.clone());
    }
    match state.store.board_snapshot(&join.room, join.since).await {
        Ok(snapshot) => reply.ok(snapshot),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a board");
            reply.refuse(BoardJoin::NAME, texts::TRY_AGAIN)
        }
    }
}

pub async fn on_board_leave<A: Adapter>(
    _budget: Budget<Rooms>,
    socket: SocketRef<A>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((BoardLeave { room }, reply)) = reply.parse::<BoardLeave>(data) else {
        return;
    };
    socket.leave(board_room(&room));
    if let Some(open) = socket.extensions.get::<Arc<OpenBoards>>() {
        open.lock().remove(&room);
    }
    reply.ok_message(board::left_board(&room));
}

pub async fn on_board_op<A: Adapter>(
    _budget: Budget<Draws>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((BoardOp { room, op }, reply)) = reply.parse::<BoardOp>(data) else {
        return;
    };
    let Some((username, reply)) = drawer(&state, &socket, &room, BoardOp::NAME, reply) else {
        return;
    };
    match state.store.apply_board_op(&room, &username, &op).await {
        Ok(BoardApplied::Changed(change)) => {
            emit_to(socket.to(board_room(&room)), &BoardChanged(change.clone())).await;
            reply.ok(change);
        }
        Ok(BoardApplied::Unchanged(change)) => reply.ok(change),
        Ok(BoardApplied::Refused(reason)) => reply.refuse(BoardOp::NAME, reason),
        Err(e) => {
            tracing::error!(error = %e, "cannot store a board change");
            reply.refuse(
                BoardOp::NAME,
                "The change could not be stored, so nobody else sees it: it is sent again when you reconnect",
            );
        }
    }
}

pub async fn on_board_draw<A: Adapter>(
    _budget: Budget<Draws>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((draw, reply)) = reply.parse::<BoardDraw>(data) else {
        return;
    };
    let Some((by, _reply)) = drawer(&state, &socket, &draw.room, BoardDraw::NAME, reply) else {
        return;
    };
    let to = socket.to(board_room(&draw.room));
    emit_to(to, &BoardDrawing { by, draw }).await;
}

pub async fn on_board_cursor<A: Adapter>(
    _budget: Budget<Draws>,
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
) {
    let Some((cursor, reply)) = reply.parse::<BoardCursor>(data) else {
        return;
    };
    let Some((by, _reply)) = drawer(&state, &socket, &cursor.room, BoardCursor::NAME, reply) else {
        return;
    };
    state.cursors.moved(
        &io,
        cursor.room,
        CursorAt {
            by,
            x: cursor.x,
            y: cursor.y,
        },
    );
}

/// Pointer positions waiting to be sent, per board. A board's entry exists
/// from its first move until its batch is sent, [`CURSOR_EVERY_MS`] later:
/// whatever moves meanwhile replaces that person's position in the batch.
/// So each socket on a board gets at most one `board-cursors` per interval,
/// however many people move their pointer, and positions a connection is
/// too slow for are dropped (an emit to a full socket queue fails) rather
/// than queued.
#[derive(Debug, Default)]
pub struct Cursors {
    pending: Mutex<PendingCursors>,
}

/// The batches themselves, apart from the timer that sends them.
#[derive(Debug, Default)]
struct PendingCursors(HashMap<RoomName, Vec<CursorAt>>);

impl PendingCursors {
    /// Puts `at` in the batch of `room`, in place of that person's earlier
    /// position; true when it opened the batch (its sender must be started).
    fn moved(&mut self, room: &RoomName, at: CursorAt) -> bool {
        match self.0.get_mut(room) {
            Some(batch) => {
                match batch.iter_mut().find(|c| c.by == at.by) {
                    Some(old) => *old = at,
                    None => batch.push(at),
                }
                false
            }
            None => {
                self.0.insert(room.clone(), vec![at]);
                true
            }
        }
    }

    /// The batch of `room`, to send now.
    fn take(&mut self, room: &RoomName) -> Option<Vec<CursorAt>> {
        self.0.remove(room)
    }
}

impl Cursors {
    fn lock(&self) -> MutexGuard<'_, PendingCursors> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records where `at.by`'s pointer is on the board of `room`.
    pub fn moved<A: Adapter>(self: &Arc<Self>, io: &SocketIo<A>, room: RoomName, at: CursorAt) {
        let mut pending = self.lock();
        if !pending.moved(&room, at) {
            return;
        }
        drop(pending);
        let (cursors, io) = (self.clone(), io.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(CURSOR_EVERY_MS)).await;
            let Some(batch) = cursors.lock().take(&room) else {
                return;
            };
            let Some(chat) = io.of(crate::protocol::chat::NAMESPACE) else {
                return;
            };
            let to = chat.to(board_room(&room));
            emit_to(
                to,
                &BoardCursors {
                    room,
                    cursors: batch,
                },
            )
            .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(by: &str, x: f32) -> CursorAt {
        CursorAt {
            by: Username::parse(by).unwrap(),
            x,
            y: 50.0,
        }
    }

    #[test]
    fn moves_within_a_batch_keep_each_persons_newest_position() {
        let (sketch, other) = (
            RoomName::parse("sketch").unwrap(),
            RoomName::parse("other").unwrap(),
        );
        let mut pending = PendingCursors::default();
        // Only the first move of a board opens a batch (starts its timer).
        let opened: Vec<bool> = (0..20)
            .map(|i| pending.moved(&sketch, at("ann", 100.0 + i as f32)))
            .collect();
        assert_eq!(opened.iter().filter(|o| **o).count(), 1);
        assert!(opened[0]);
        assert!(!pending.moved(&sketch, at("bob", 7.0)));
        assert!(pending.moved(&other, at("ann", 1.0)), "boards batch apart");
        let batch = pending.take(&sketch).expect("a batch");
        assert_eq!(batch, [at("ann", 119.0), at("bob", 7.0)]);
        assert_eq!(pending.take(&sketch), None);
        // The next move opens the next batch.
        assert!(pending.moved(&sketch, at("ann", 120.0)));
    }
}
