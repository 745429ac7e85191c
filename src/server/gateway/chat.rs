//! Namespace `/chat`: the tutorial's chat events, validated. Each handler
//! runs through the event pipeline (`pipeline`): its payload is parsed into
//! the `protocol::chat` type and its guard checked before it runs; what
//! refuses is answered with the reason, and nothing changes on the server.

use super::emit::{emit_to, everyone, now};
use super::guards::{Anyone, Drained, Entrant, Joined, Reader, Token, Writer};
use super::membership::{deserted, keeps_too_many};
use super::pipeline::{Ctx, Dispatcher, Routes};
use super::rooms::joined_rooms;
use super::state::GatewayState;
use super::turn::Turn;
use super::{
    board, direct, invites, membership, message_changes, moderation, read_state, threads, typing,
};
use crate::protocol::ack::{texts, OkMessage};
use crate::protocol::chat::{
    self, GetUsers, Join, JoinRoom, LeaveRoom, MessageSent, NewProtectedMessage, ProtectedMessage,
    SendMessage, UserJoined, UserLeft, UserList, Welcome,
};
use crate::protocol::history::{History, HistoryPage};
use crate::protocol::limits::MAX_JOINED_ROOMS;
use crate::protocol::rooms::{private_room, RoomKind};
use crate::protocol::RoomName;
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Rooms, Sends};
use crate::server::names;
use crate::server::store::{Appended, Author, Entered, NameClash};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State};
use socketioxide::socket::DisconnectReason;
use socketioxide::SocketIo;
use std::sync::Arc;

/// Logs a new socket. Its handlers are already attached by [`attach`].
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    tracing::info!(sid = %socket.id, ns = socket.ns(), transport = ?socket.transport_type(), "connected");
}

/// `/chat`'s events: the tutorial's and every area's. Built once, when the
/// server starts.
pub fn routes<A: Adapter>(state: GatewayState) -> Routes<A> {
    let mut r = Routes::new(state);
    r.on(Rooms, join::<A>);
    r.on(Sends, send_message::<A>);
    r.on(Rooms, join_room::<A>);
    r.on(Rooms, leave_room::<A>);
    r.on(Reads, get_users::<A>);
    r.on(Reads, history::<A>);
    r.on(Sends, protected_message::<A>);
    direct::routes(&mut r);
    super::direct_changes::routes(&mut r);
    board::routes(&mut r);
    membership::routes(&mut r);
    moderation::routes(&mut r);
    message_changes::routes(&mut r);
    read_state::routes(&mut r);
    invites::routes(&mut r);
    typing::routes(&mut r);
    threads::routes(&mut r);
    r
}

/// Connect middleware: gives the socket its turns and `/chat`'s events
/// (one [`Dispatcher`] for all of them) before socketioxide confirms the
/// namespace connection to the client. (The connect handler runs on a
/// spawned task after the confirmation, so an event sent right after
/// connecting could otherwise arrive before its handler exists.)
pub async fn attach<A: Adapter>(
    socket: SocketRef<A>,
    routes: Arc<Routes<A>>,
) -> Result<(), std::convert::Infallible> {
    Dispatcher::attach(&socket, routes);
    socket.on_disconnect(on_disconnect::<A>);
    Ok(())
}

/// `join`: who may use the name: a logged-in socket its own (in any case),
/// a guest any name that is no account's and does not look like one.
async fn join<A: Adapter>(cx: Ctx<A>, _: Anyone, join: Join) -> Result<Welcome, Error> {
    let Ctx { socket, io, state } = cx;
    let (username, rooms) = match Identity::of(&socket) {
        Identity::User { id, username, .. } => {
            if !names::same(username.as_str(), join.username.as_str()) {
                return Err(Error::refused(format!(
                    "You are logged in as {username}: join with that name"
                )));
            }
            // The rooms it belongs to.
            match state.store.memberships_of(id).await {
                Ok(rooms) => (username, Some(rooms.into_iter().map(|r| r.room).collect())),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read memberships");
                    (username, Some(Vec::new()))
                }
            }
        }
        Identity::Guest => {
            let clash = state
                .store
                .name_clash(&join.username)
                .await
                .internal("cannot check a name")?;
            match clash {
                Some(NameClash::Taken(_)) => {
                    return Err(Error::refused(format!(
                        "{} is a registered name: log in to use it, or pick another",
                        join.username
                    )))
                }
                Some(NameClash::LooksLike(account)) => {
                    return Err(Error::refused(format!(
                        "{} looks like the registered name {account}: log in as {account}, or pick another",
                        join.username
                    )))
                }
                None => {}
            }
            (join.username, None)
        }
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
    Ok(Welcome {
        message: chat::welcome(&username),
        rooms,
    })
}

async fn send_message<A: Adapter>(
    cx: Ctx<A>,
    (Joined(username), Writer(room)): (Joined, Writer),
    send: SendMessage,
) -> Result<MessageSent, Error> {
    let Ctx { socket, io, state } = cx;
    let private = match room {
        Some(meta) => (meta.kind == RoomKind::Private).then_some(meta.id),
        // A name no room has: a public room, made now (in a race with a
        // `create-room` of the same name, whichever came first decides).
        None => match state.store.enter_public(&send.room, None).await {
            Ok(Entered::Private(_)) => return Err(Error::refused(private_room(&send.room))),
            Ok(_) => None,
            Err(e) => {
                return Err(e).internal_answer("cannot make a room", texts::NOT_STORED);
            }
        },
    };
    // The retry key's author: the account, or the guest as the connect
    // step knew it (never the name, which guests may share).
    let by = match Identity::of(&socket).user_id() {
        Some(id) => Author::Account(id),
        None => socket
            .extensions
            .get::<Author>()
            .unwrap_or_else(|| Author::connection(&socket.id.to_string())),
    };
    let stored = state
        .store
        .append_message(
            &send.room,
            &username,
            &by,
            &send.message,
            send.client_id.as_ref(),
            &now(),
        )
        .await
        .internal_answer("cannot store a message", texts::NOT_STORED)?;
    let message = match stored {
        Appended::New(message) => {
            // `within` includes the sender when it is in the room; the
            // broadcast is queued before the ack, so the sender sees
            // `new-message` first.
            emit_to(socket.within(message.room.as_str().to_owned()), &message).await;
            direct::alert_mentions(&io, &state, &message, private).await;
            message
        }
        // A retry of a send that was stored: ack it again, send nothing.
        Appended::Duplicate(message) => message,
    };
    Ok(MessageSent {
        message: texts::MESSAGE_SENT.to_owned(),
        id: message.id,
        seq: message.seq,
    })
}

/// `join-room`: at most [`MAX_JOINED_ROOMS`] rooms per socket besides
/// `general`, and as many memberships per account. A new name makes a
/// public room (its owner the account, if the socket has one); an account
/// becomes a member of the public room it enters. A private room is
/// entered by its members only (the [`Entrant`] guard).
async fn join_room<A: Adapter>(
    cx: Ctx<A>,
    (_, Entrant(meta)): (Joined, Entrant),
    JoinRoom { room }: JoinRoom,
) -> Result<OkMessage, Error> {
    if room.is_general() {
        cx.socket.join(RoomName::GENERAL);
        return Ok(OkMessage::new(chat::joined_room(&room)));
    }
    let (joined, already) = joined_rooms(&cx.socket, room.as_str());
    if !already && joined >= MAX_JOINED_ROOMS {
        return Err(Error::refused(format!(
            "You are in {MAX_JOINED_ROOMS} rooms besides general, the most one connection may join: leave one first"
        )));
    }
    let account = Identity::of(&cx.socket).user_id();
    let public = meta.as_ref().is_none_or(|m| m.kind == RoomKind::Public);
    // A guest entering a public room that exists changes nothing stored.
    if public && (meta.is_none() || account.is_some()) {
        let entered = cx
            .state
            .store
            .enter_public(&room, account)
            .await
            .internal("cannot enter a room")?;
        match entered {
            Entered::Public(_) => {}
            Entered::Private(_) => return Err(Error::refused(private_room(&room))),
            Entered::Full => return Err(Error::refused(keeps_too_many())),
        }
    }
    cx.socket.join(room.as_str().to_owned());
    Ok(OkMessage::new(chat::joined_room(&room)))
}

/// `leave-room`: the socket leaves the room; an account's membership of a
/// public room ends (an owner's stays: a room keeps its owner). A private
/// room's membership stays (leaving one for good comes with moderation).
/// A public room left holding nothing, with no socket of this node in it,
/// is deleted.
async fn leave_room<A: Adapter>(
    cx: Ctx<A>,
    _: Joined,
    LeaveRoom { room }: LeaveRoom,
) -> Result<OkMessage, Error> {
    cx.socket.leave(room.as_str().to_owned());
    if !room.is_general() {
        let store = &cx.state.store;
        if let Some(user) = Identity::of(&cx.socket).user_id() {
            if let Err(e) = store.leave_public(&room, user).await {
                tracing::error!(error = %e, "cannot end a membership");
            }
        }
        if deserted(&cx, &room) {
            if let Err(e) = store.drop_if_empty(&room).await {
                tracing::error!(error = %e, "cannot delete an empty room");
            }
        }
    }
    Ok(OkMessage::new(chat::left_room(&room)))
}

async fn history<A: Adapter>(
    cx: Ctx<A>,
    _: ((Joined, Drained), Reader),
    request: History,
) -> Result<HistoryPage, Error> {
    let (cursor, limit) = request.cursor().map_err(Error::refused)?;
    let store = &cx.state.store;
    // Read before the page: a change made while the page is read comes
    // after it, and is caught up on (`message_changes`).
    let last_change = store
        .last_change(&request.room)
        .await
        .internal("cannot read history")?;
    let (messages, has_more) = store
        .history(&request.room, cursor, limit)
        .await
        .internal("cannot read history")?;
    Ok(HistoryPage {
        room: request.room,
        messages,
        has_more,
        last_change,
    })
}

/// `get-users` takes no payload; whatever comes is ignored, as in the tutorial.
async fn get_users<A: Adapter>(cx: Ctx<A>, _: Drained, _: GetUsers) -> Result<UserList, Error> {
    let roster = cx.state.roster.as_deref();
    let users = cx.state.presence.who_is_here(roster).await;
    Ok(UserList { users })
}

/// `protected-message`: the token guard runs first and answers with
/// `exception`, as in the tutorial; then "join first".
async fn protected_message<A: Adapter>(
    cx: Ctx<A>,
    (Token(vouched_by), Joined(username)): (Token, Joined),
    ProtectedMessage { message, .. }: ProtectedMessage,
) -> Result<OkMessage, Error> {
    let event = NewProtectedMessage {
        username,
        message,
        timestamp: now(),
        protected: true,
        vouched_by: Some(vouched_by),
    };
    if let Some(all) = everyone::<A, NewProtectedMessage>(&cx.io) {
        emit_to(all, &event).await;
    }
    Ok(OkMessage::new(texts::PROTECTED_MESSAGE_SENT))
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
