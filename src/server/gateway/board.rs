//! The whiteboards, on `/chat`: open a room's board, change it, stream a
//! stroke being drawn, show pointers. See `protocol::board`.
//!
//! Every board event is refused, with the reason, unless its socket has
//! joined the chat and (but for `board-join`) opened that board. Changes
//! are stored before they are acked or sent on; strokes in progress and
//! pointers are only relayed.

use super::emit::emit_to;
use super::guards::joined_request;
use super::reply::Reply;
use super::rooms::board_room;
use super::state::GatewayState;
use super::turn::Turn;
use crate::protocol::ack::texts;
use crate::protocol::board::{
    self, BoardChanged, BoardCursor, BoardDraw, BoardDrawing, BoardJoin, BoardLeave, BoardOp,
    CursorAt,
};
use crate::protocol::{ClientEvent, RoomName, Username};
use crate::server::limits::{Budget, Draws, Rooms};
use crate::server::store::BoardApplied;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::SocketIo;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

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
