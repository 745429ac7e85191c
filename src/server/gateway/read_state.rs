//! Read state (issue #15): `mark-room-read` keeps where an account has
//! read a room to and tells each of its sockets (`room-read`), on every
//! node; `read-state` gives its rooms' unread counts.

use super::emit::emit_to;
use super::guards::{Reader, Signed};
use super::pipeline::{Ctx, Routes};
use super::rooms::user_room;
use crate::protocol::ack::OkMessage;
use crate::protocol::read_state::{
    MarkRoomRead, ReadState, RoomRead, RoomReadStates, MARKED_AS_READ,
};
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Rooms};
use socketioxide::adapter::Adapter;

/// Registers the read-state events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Rooms, mark_room_read::<A>);
    r.on(Reads, read_state::<A>);
}

async fn mark_room_read<A: Adapter>(
    cx: Ctx<A>,
    (Signed(me), Reader(meta, _)): (Signed, Reader),
    MarkRoomRead { room, seq }: MarkRoomRead,
) -> Result<OkMessage, Error> {
    let mark = cx
        .state
        .store
        .mark_room_read(me.id, &meta, seq)
        .await
        .internal("cannot keep the read state")?;
    emit_to(
        cx.socket.within(user_room(me.id)),
        &RoomRead { room, seq: mark },
    )
    .await;
    Ok(OkMessage::new(MARKED_AS_READ))
}

async fn read_state<A: Adapter>(
    cx: Ctx<A>,
    Signed(me): Signed,
    _: ReadState,
) -> Result<RoomReadStates, Error> {
    let rooms = cx
        .state
        .store
        .read_states(me.id)
        .await
        .internal("cannot read the read state")?;
    Ok(RoomReadStates { rooms })
}
