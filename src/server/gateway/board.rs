//! The whiteboards, on `/chat`: open a room's board, change it, stream a
//! stroke being drawn, show pointers. See `protocol::board`.
//!
//! Every board event is refused, with the reason, unless its socket has
//! joined the chat, may read the room (the [`Reader`] guard: public, or a
//! private room it belongs to; a change or a stroke needs the [`Writer`]
//! guard: not archived, accounts only respected) and (but for
//! `board-join`) opened that board (the [`Drawer`] guard). The room is
//! checked first, so that a board event about a private room one does not
//! belong to is refused as one about no room at all. Changes are stored before they are acked or sent on;
//! strokes in progress and pointers are only relayed.

use super::emit::emit_to;
use super::guards::{Anyone, Drained, Drawer, Joined, Reader, Writer};
use super::pipeline::{Ctx, Routes};
use super::rooms::{board_room, OpenBoards};
use crate::protocol::ack::OkMessage;
use crate::protocol::board::{
    self, BoardChange, BoardChanged, BoardCursor, BoardDraw, BoardDrawing, BoardJoin, BoardLeave,
    BoardOp, BoardSnapshot, CursorAt,
};
use crate::protocol::limits::MAX_OPEN_BOARDS;
use crate::protocol::ClientEvent;
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Draws, Rooms};
use crate::server::store::{BoardApplied, BoardClient};
use socketioxide::adapter::Adapter;
use std::sync::Arc;

/// Registers the whiteboard events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Rooms, board_join::<A>);
    r.on(Rooms, board_leave::<A>);
    r.on(Draws, board_op::<A>);
    r.on_quiet(Draws, board_draw::<A>);
    r.on_latest(Draws, board_cursor::<A>);
}

async fn board_join<A: Adapter>(
    cx: Ctx<A>,
    _: ((Joined, Drained), Reader),
    join: BoardJoin,
) -> Result<BoardSnapshot, Error> {
    // A socket's set of open boards is made at its first `board-join`
    // (most sockets never open one); `board-join`s take turns, so two
    // cannot both make it.
    let open = match cx.socket.extensions.get::<Arc<OpenBoards>>() {
        Some(open) => open,
        None => {
            let open = Arc::new(OpenBoards::default());
            cx.socket.extensions.insert(open.clone());
            open
        }
    };
    let opened = open.open(join.room.clone(), MAX_OPEN_BOARDS);
    if !opened {
        return Err(Error::refused(format!(
            "You have {MAX_OPEN_BOARDS} boards open, the most one connection may: close one first (board-leave)"
        )));
    }
    // In the room before reading: a change stored meanwhile is either in
    // the snapshot or sent after it (and the client skips what it has).
    cx.socket.join(board_room(&join.room));
    cx.state
        .store
        .board_snapshot(&join.room, join.since)
        .await
        .internal("cannot read a board")
}

async fn board_leave<A: Adapter>(
    cx: Ctx<A>,
    _: Anyone,
    BoardLeave { room }: BoardLeave,
) -> Result<OkMessage, Error> {
    cx.socket.leave(board_room(&room));
    if let Some(open) = cx.socket.extensions.get::<Arc<OpenBoards>>() {
        open.remove(&room);
    }
    Ok(OkMessage::new(board::left_board(&room)))
}

async fn board_op<A: Adapter>(
    cx: Ctx<A>,
    (_, Drawer(username)): (Writer, Drawer),
    BoardOp { room, op }: BoardOp,
) -> Result<BoardChange, Error> {
    let client = match Identity::of(&cx.socket).user_id() {
        Some(id) => BoardClient::Account(id),
        None => BoardClient::Address(cx.state.limits.client_ip(cx.socket.req_parts())),
    };
    let applied = cx
        .state
        .store
        .apply_board_op(&room, &username, client, &op)
        .await
        .internal_answer(
            "cannot store a board change",
            "The change could not be stored, so nobody else sees it: it is sent again when you reconnect",
        )?;
    match applied {
        BoardApplied::Changed(change) => {
            emit_to(
                cx.socket.to(board_room(&room)),
                &BoardChanged(change.clone()),
            )
            .await;
            Ok(change)
        }
        BoardApplied::Unchanged(change) => Ok(change),
        BoardApplied::Refused(rule) => Err(Error::refused(format!("{}: {rule}", BoardOp::NAME))),
    }
}

async fn board_draw<A: Adapter>(
    cx: Ctx<A>,
    (_, Drawer(by)): (Writer, Drawer),
    draw: BoardDraw,
) -> Result<(), Error> {
    let to = cx.socket.to(board_room(&draw.room));
    emit_to(to, &BoardDrawing { by, draw }).await;
    Ok(())
}

async fn board_cursor<A: Adapter>(
    cx: Ctx<A>,
    (_, Drawer(by)): (Reader, Drawer),
    cursor: BoardCursor,
) -> Result<(), Error> {
    cx.state.cursors.moved(
        &cx.io,
        cursor.room,
        CursorAt {
            by,
            x: cursor.x,
            y: cursor.y,
        },
    );
    Ok(())
}
