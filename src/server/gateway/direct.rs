//! Direct messages and focus, on `/chat`; and the alerts (DMs, mentions)
//! that go to `/notifications` for people not looking at the conversation.

use super::emit::{emit_to, now};
use super::reply::Reply;
use super::rooms::user_room;
use super::state::GatewayState;
use super::turn::Turn;
use crate::protocol::ack::texts;
use crate::protocol::chat::{MessageSent, NewMessage, NAMESPACE};
use crate::protocol::direct::{
    DmConversations, DmHistory, DmHistoryPage, DmList, Focus, MarkRead, SendDm,
};
use crate::protocol::notifications::{mentions, Alert, AlertKind, UserId};
use crate::protocol::{ClientEvent, Username};
use crate::server::auth::identity::Identity;
use crate::server::limits::{Budget, Reads, Sends};
use crate::server::notifier::Notifier;
use crate::server::store::{Appended, User};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::SocketIo;

pub const LOG_IN_FOR_DMS: &str = "Log in to use direct messages";

/// The logged-in user behind `socket`, if any.
fn account<A: Adapter>(socket: &SocketRef<A>) -> Option<User> {
    match Identity::of(socket) {
        Identity::User { id, username, .. } => Some(User { id, username }),
        Identity::Guest => None,
    }
}

/// The account behind `socket` and the parsed payload of event `E`, with
/// the way to answer; otherwise the event is refused and `None` returned.
fn account_request<A: Adapter, E: ClientEvent>(
    socket: &SocketRef<A>,
    data: TryData<Value>,
    reply: Reply<A>,
) -> Option<(User, E, Reply<A>)> {
    let Some(me) = account(socket) else {
        reply.refuse(E::NAME, LOG_IN_FOR_DMS);
        return None;
    };
    let (request, reply) = reply.parse::<E>(data)?;
    Some((me, request, reply))
}

/// The account named `name`, or the error text to answer.
async fn recipient(state: &GatewayState, event: &str, name: &Username) -> Result<User, String> {
    match state.store.user_by_name(name).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(format!("{event}: no registered user is named {name}")),
        Err(e) => {
            tracing::error!(error = %e, "cannot look up a user");
            Err(texts::TRY_AGAIN.to_owned())
        }
    }
}

pub async fn on_send_dm<A: Adapter>(
    _budget: Budget<Sends>,
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((me, send, reply)) = account_request::<A, SendDm>(&socket, data, reply) else {
        return;
    };
    let to = match recipient(&state, SendDm::NAME, &send.to).await {
        Ok(to) => to,
        Err(e) => return reply.refuse(SendDm::NAME, e),
    };
    let stored = state
        .store
        .append_dm(&me, &to, &send.message, send.client_id.as_ref(), &now())
        .await;
    let dm = match stored {
        Ok(Appended::New(dm)) => {
            // Every socket (tab, device) of both people.
            emit_to(
                socket.within(user_room(me.id)).within(user_room(to.id)),
                &dm,
            )
            .await;
            if !is_looking(&io, to.id, |f| {
                f.with
                    .as_ref()
                    .is_some_and(|w| w.as_str().eq_ignore_ascii_case(me.username.as_str()))
            }) {
                alert(
                    &state.notifier(&io),
                    to.id,
                    AlertKind::Dm,
                    &dm.from,
                    None,
                    dm.message.as_str(),
                )
                .await;
            }
            dm
        }
        Ok(Appended::Duplicate(dm)) => dm,
        Err(e) => {
            tracing::error!(error = %e, "cannot store a direct message");
            return reply.refuse(SendDm::NAME, texts::NOT_STORED);
        }
    };
    reply.ok(MessageSent {
        message: texts::MESSAGE_SENT.to_owned(),
        id: dm.id,
        seq: dm.seq,
    });
}

pub async fn on_dm_history<A: Adapter>(
    _budget: Budget<Reads>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((me, request, reply)) = account_request::<A, DmHistory>(&socket, data, reply) else {
        return;
    };
    let (cursor, limit) = match request.cursor() {
        Ok(c) => c,
        Err(e) => return reply.refuse(DmHistory::NAME, e),
    };
    let other = match recipient(&state, DmHistory::NAME, &request.with).await {
        Ok(u) => u,
        Err(e) => return reply.refuse(DmHistory::NAME, e),
    };
    match state.store.dm_history(&me, &other, cursor, limit).await {
        Ok((messages, has_more)) => reply.ok(DmHistoryPage {
            with: other.username,
            messages,
            has_more,
        }),
        Err(e) => {
            tracing::error!(error = %e, "cannot read direct messages");
            reply.refuse(DmHistory::NAME, texts::TRY_AGAIN)
        }
    }
}

pub async fn on_dm_list<A: Adapter>(
    _budget: Budget<Reads>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some(me) = account(&socket) else {
        return reply.refuse(DmList::NAME, LOG_IN_FOR_DMS);
    };
    match state.store.dm_list(me.id).await {
        Ok(conversations) => reply.ok(DmConversations { conversations }),
        Err(e) => {
            tracing::error!(error = %e, "cannot list conversations");
            reply.refuse(DmList::NAME, texts::TRY_AGAIN)
        }
    }
}

pub async fn on_mark_read<A: Adapter>(
    _budget: Budget<Reads>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((me, request, reply)) = account_request::<A, MarkRead>(&socket, data, reply) else {
        return;
    };
    let other = match recipient(&state, MarkRead::NAME, &request.with).await {
        Ok(u) => u,
        Err(e) => return reply.refuse(MarkRead::NAME, e),
    };
    match state.store.mark_dm_read(me.id, other.id, request.seq).await {
        Ok(()) => reply.ok_message("Marked as read"),
        Err(e) => {
            tracing::error!(error = %e, "cannot mark as read");
            reply.refuse(MarkRead::NAME, texts::TRY_AGAIN)
        }
    }
}

pub async fn on_focus<A: Adapter>(
    _budget: Budget<Reads>,
    socket: SocketRef<A>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    if let Some((focus, reply)) = reply.parse::<Focus>(data) {
        socket.extensions.insert(focus);
        reply.ok_message("Focus set");
    }
}

/// Whether any `/chat` socket of `user` shows what `shows` matches.
fn is_looking<A: Adapter>(io: &SocketIo<A>, user: i64, shows: impl Fn(&Focus) -> bool) -> bool {
    io.of(NAMESPACE).is_some_and(|chat| {
        chat.within(user_room(user))
            .sockets()
            .iter()
            .any(|s| s.extensions.get::<Focus>().is_some_and(|f| shows(&f)))
    })
}

/// Alerts each registered user `message` mentions who is not looking at its
/// room (never the author).
pub async fn alert_mentions<A: Adapter>(
    io: &SocketIo<A>,
    state: &GatewayState,
    message: &NewMessage,
) {
    for name in mentions(message.message.as_str()) {
        let Ok(name) = Username::parse(&name) else {
            continue;
        };
        if name
            .as_str()
            .eq_ignore_ascii_case(message.username.as_str())
        {
            continue;
        }
        let user = match state.store.user_by_name(&name).await {
            Ok(Some(user)) => user,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(error = %e, "cannot look up a mention");
                continue;
            }
        };
        if !is_looking(io, user.id, |f| f.room.as_ref() == Some(&message.room)) {
            alert(
                &state.notifier(io),
                user.id,
                AlertKind::Mention,
                &message.username,
                Some(message.room.clone()),
                message.message.as_str(),
            )
            .await;
        }
    }
}

async fn alert<A: Adapter>(
    notifier: &Notifier<A>,
    user: i64,
    kind: AlertKind,
    from: &Username,
    room: Option<crate::protocol::RoomName>,
    text: &str,
) {
    let Ok(user_id) = UserId::parse(&user.to_string()) else {
        return;
    };
    let alert = Alert {
        kind,
        from: from.clone(),
        room,
        preview: Alert::preview_of(text),
    };
    if let Err(e) = notifier.notify(&user_id, &alert).await {
        tracing::warn!(error = %e, "cannot send a notification");
    }
}
