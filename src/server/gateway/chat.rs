//! Namespace `/chat`: the tutorial's chat events, validated.
//!
//! Each handler parses its payload into the `protocol::chat` type first; a
//! payload that does not parse is refused with a message that says why, and
//! nothing changes on the server.

use super::emit::{emit_to, everyone, now};
use super::guards::joined_request;
use super::reply::Reply;
use super::state::GatewayState;
use super::turn::{Sequencer, Turn};
use super::{board, direct};
use crate::protocol::ack::texts;
use crate::protocol::board::{BoardCursor, BoardDraw, BoardJoin, BoardLeave, BoardOp};
use crate::protocol::chat::{
    self, GetUsers, Join, JoinRoom, LeaveRoom, MessageSent, NewProtectedMessage, ProtectedMessage,
    SendMessage, TokenField, UserJoined, UserLeft, UserList, Welcome,
};
use crate::protocol::direct::{DmHistory, DmList, Focus, MarkRead, SendDm};
use crate::protocol::history::{History, HistoryPage};
use crate::protocol::{parse_object, payload_object, ClientEvent, RoomName};
use crate::server::auth::identity::Identity;
use crate::server::limits::{Budget, Reads, Rooms, Sends};
use crate::server::store::Appended;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;
use socketioxide::SocketIo;
use std::sync::Arc;

/// Logs a new socket. Its handlers are already attached by [`attach`].
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    tracing::info!(sid = %socket.id, ns = socket.ns(), transport = ?socket.transport_type(), "connected");
}

/// Connect middleware: attaches the event handlers before socketioxide
/// confirms the namespace connection to the client. (The connect handler
/// runs on a spawned task after the confirmation, so an event sent right
/// after connecting could otherwise arrive before its handler exists.)
pub async fn attach<A: Adapter>(
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
) -> Result<(), std::convert::Infallible> {
    Sequencer::attach(&socket, &state.in_flight);
    socket.on(Join::NAME, on_join::<A>);
    socket.on(SendMessage::NAME, on_send_message::<A>);
    socket.on(JoinRoom::NAME, on_join_room::<A>);
    socket.on(LeaveRoom::NAME, on_leave_room::<A>);
    socket.on(GetUsers::NAME, on_get_users::<A>);
    socket.on(History::NAME, on_history::<A>);
    socket.on(SendDm::NAME, direct::on_send_dm::<A>);
    socket.on(DmHistory::NAME, direct::on_dm_history::<A>);
    socket.on(DmList::NAME, direct::on_dm_list::<A>);
    socket.on(MarkRead::NAME, direct::on_mark_read::<A>);
    socket.on(Focus::NAME, direct::on_focus::<A>);
    socket.on(ProtectedMessage::NAME, on_protected_message::<A>);
    socket
        .extensions
        .insert(Arc::new(board::OpenBoards::default()));
    socket.on(BoardJoin::NAME, board::on_board_join::<A>);
    socket.on(BoardLeave::NAME, board::on_board_leave::<A>);
    socket.on(BoardOp::NAME, board::on_board_op::<A>);
    socket.on(BoardDraw::NAME, board::on_board_draw::<A>);
    socket.on(BoardCursor::NAME, board::on_board_cursor::<A>);
    socket.on_fallback(super::reply::unknown_event::<A>);
    socket.on_disconnect(on_disconnect::<A>);
    Ok(())
}

async fn on_join<A: Adapter>(
    _budget: Budget<Rooms>,
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((join, reply)) = reply.parse::<Join>(data) else {
        return;
    };
    // Who may use the name: a logged-in socket its own, a guest any name
    // that no account holds.
    let (username, rooms) = match Identity::of(&socket) {
        Identity::User { id, username, .. } => {
            if !username
                .as_str()
                .eq_ignore_ascii_case(join.username.as_str())
            {
                return reply.refuse(
                    Join::NAME,
                    format!("You are logged in as {username}: join with that name"),
                );
            }
            match state.store.rooms_of(id).await {
                Ok(rooms) => (username, Some(rooms)),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read remembered rooms");
                    (username, Some(Vec::new()))
                }
            }
        }
        Identity::Guest => match state.store.is_registered(&join.username).await {
            Ok(false) => (join.username, None),
            Ok(true) => {
                return reply.refuse(
                    Join::NAME,
                    format!(
                        "{} is a registered name: log in to use it, or pick another",
                        join.username
                    ),
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot check a name");
                return reply.refuse(Join::NAME, texts::TRY_AGAIN);
            }
        },
    };
    state.presence.join(socket.id, username.clone());
    socket.join(RoomName::GENERAL);
    for room in rooms.iter().flatten() {
        socket.join(room.as_str().to_owned());
    }
    tracing::info!(sid = %socket.id, "joined the chat");
    // In a cluster a name is announced once, by its first socket.
    let announce = match &state.roster {
        Some(roster) => roster.join(socket.id, &username).await,
        None => true,
    };
    if announce {
        if let Some(all) = everyone::<A, UserJoined>(&io) {
            emit_to(all, &UserJoined::new(username.clone())).await;
        }
    }
    reply.ok(Welcome {
        message: chat::welcome(&username),
        rooms,
    });
}

async fn on_send_message<A: Adapter>(
    _budget: Budget<Sends>,
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some(username) = state.presence.username(socket.id) else {
        return reply.refuse(SendMessage::NAME, texts::JOIN_FIRST);
    };
    let Some((send, reply)) = reply.parse::<SendMessage>(data) else {
        return;
    };
    let user_id = Identity::of(&socket).user_id();
    let stored = state
        .store
        .append_message(
            &send.room,
            &username,
            user_id,
            &send.message,
            send.client_id.as_ref(),
            &now(),
        )
        .await;
    let message = match stored {
        Ok(Appended::New(message)) => {
            // `within` includes the sender when it is in the room; the
            // broadcast is queued before the ack, so the sender sees
            // `new-message` first.
            emit_to(socket.within(message.room.as_str().to_owned()), &message).await;
            direct::alert_mentions(&io, &state, &message).await;
            message
        }
        // A retry of a send that was stored: ack it again, send nothing.
        Ok(Appended::Duplicate(message)) => message,
        Err(e) => {
            tracing::error!(error = %e, "cannot store a message");
            return reply.refuse(SendMessage::NAME, texts::NOT_STORED);
        }
    };
    reply.ok(MessageSent {
        message: texts::MESSAGE_SENT.to_owned(),
        id: message.id,
        seq: message.seq,
    });
}

async fn on_join_room<A: Adapter>(
    _budget: Budget<Rooms>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((JoinRoom { room }, reply)) = joined_request(&state, &socket, data, reply) else {
        return;
    };
    socket.join(room.as_str().to_owned());
    if let Some(user) = Identity::of(&socket).user_id() {
        if let Err(e) = state.store.remember_room(user, &room).await {
            tracing::error!(error = %e, "cannot remember a room");
        }
    }
    reply.ok_message(chat::joined_room(&room));
}

async fn on_leave_room<A: Adapter>(
    _budget: Budget<Rooms>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((LeaveRoom { room }, reply)) = joined_request(&state, &socket, data, reply) else {
        return;
    };
    socket.leave(room.as_str().to_owned());
    if let Some(user) = Identity::of(&socket).user_id() {
        if let Err(e) = state.store.forget_room(user, &room).await {
            tracing::error!(error = %e, "cannot forget a room");
        }
    }
    reply.ok_message(chat::left_room(&room));
}

async fn on_history<A: Adapter>(
    _budget: Budget<Reads>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((request, reply)) = joined_request::<A, History>(&state, &socket, data, reply) else {
        return;
    };
    let (cursor, limit) = match request.cursor() {
        Ok(c) => c,
        Err(e) => return reply.refuse(History::NAME, e),
    };
    match state.store.history(&request.room, cursor, limit).await {
        Ok((messages, has_more)) => reply.ok(HistoryPage {
            room: request.room,
            messages,
            has_more,
        }),
        Err(e) => {
            tracing::error!(error = %e, "cannot read history");
            reply.refuse(History::NAME, texts::TRY_AGAIN)
        }
    }
}

/// `get-users` takes no payload; whatever comes is ignored, as in the tutorial.
async fn on_get_users<A: Adapter>(
    _budget: Budget<Reads>,
    State(state): State<GatewayState>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let users = match &state.roster {
        Some(roster) => roster.usernames().await,
        None => state.presence.usernames(),
    };
    reply.ok(UserList { users });
}

async fn on_protected_message<A: Adapter>(
    _budget: Budget<Sends>,
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    const EVENT: &str = ProtectedMessage::NAME;
    // The guard runs first and answers with `exception`, as in the tutorial;
    // a payload that is not an object has no token to guard.
    let fields = match payload_object::<ProtectedMessage>(data.0.ok()) {
        Ok(fields) => fields,
        Err(e) => return reply.refuse(EVENT, e.0),
    };
    match TokenField::of(&fields) {
        TokenField::Absent => return reply.exception(EVENT, texts::UNAUTHORIZED),
        TokenField::Malformed => return reply.exception(EVENT, texts::INVALID_TOKEN),
        TokenField::Present(token) => {
            if let Err(e) = state.tokens.verify(token) {
                tracing::debug!(sid = %socket.id, reason = %e, "token refused");
                return reply.exception(EVENT, texts::INVALID_TOKEN);
            }
        }
    }
    let Some(username) = state.presence.username(socket.id) else {
        return reply.refuse(EVENT, texts::JOIN_FIRST);
    };
    let message = match parse_object::<ProtectedMessage>(fields) {
        Ok(m) => m.message,
        Err(e) => return reply.refuse(EVENT, e.0),
    };
    let event = NewProtectedMessage {
        username,
        message,
        timestamp: now(),
        protected: true,
    };
    if let Some(all) = everyone::<A, NewProtectedMessage>(&io) {
        emit_to(all, &event).await;
    }
    reply.ok_message(texts::PROTECTED_MESSAGE_SENT);
}

async fn on_disconnect<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    reason: DisconnectReason,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    match state.presence.leave(socket.id) {
        Some(username) => {
            tracing::info!(sid = %socket.id, ?reason, "left the chat");
            // In a cluster a name leaves with its last socket.
            let last = match &state.roster {
                Some(roster) => roster.leave(socket.id).await.is_none_or(|(_, last)| last),
                None => true,
            };
            if last {
                if let Some(all) = everyone::<A, UserLeft>(&io) {
                    emit_to(all, &UserLeft::new(username)).await;
                }
            }
        }
        None => tracing::info!(sid = %socket.id, ?reason, "disconnected"),
    }
}
