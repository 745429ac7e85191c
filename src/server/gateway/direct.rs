//! Direct messages and focus, on `/chat`; and the alerts (DMs, mentions)
//! that go to `/notifications` for people not looking at the conversation.

use super::emit::{emit_to, now};
use super::guards::{Account, Anyone, Drained};
use super::pipeline::{Ctx, Routes};
use super::rooms::user_room;
use super::state::GatewayState;
use crate::protocol::ack::{texts, OkMessage};
use crate::protocol::chat::{MessageSent, NewMessage, NAMESPACE};
use crate::protocol::direct::{
    DmConversations, DmHistory, DmHistoryPage, DmList, Focus, MarkRead, SendDm,
};
use crate::protocol::limits::MAX_MENTIONS_NOTIFIED;
use crate::protocol::notifications::{mentions, Alert, AlertKind, Notification};
use crate::protocol::{ClientEvent, ServerEvent, Username};
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Sends};
use crate::server::names;
use crate::server::store::{Appended, User};
use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use std::collections::HashSet;

/// Registers the direct-message events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Sends, send_dm::<A>);
    r.on(Reads, dm_history::<A>);
    r.on(Reads, dm_list::<A>);
    r.on(Reads, mark_read::<A>);
    r.on(Reads, focus::<A>);
}

/// The account named `name`, or the refusal to answer.
async fn recipient(state: &GatewayState, event: &str, name: &Username) -> Result<User, Error> {
    state
        .store
        .user_by_name(name)
        .await
        .internal("cannot look up a user")?
        .ok_or_else(|| Error::refused(format!("{event}: no registered user is named {name}")))
}

async fn send_dm<A: Adapter>(
    cx: Ctx<A>,
    Account(me): Account,
    send: SendDm,
) -> Result<MessageSent, Error> {
    let Ctx { socket, io, state } = cx;
    let to = recipient(&state, SendDm::NAME, &send.to).await?;
    let stored = state
        .store
        .append_dm(&me, &to, &send.message, send.client_id.as_ref(), &now())
        .await
        .internal_answer("cannot store a direct message", texts::NOT_STORED)?;
    let dm = match stored {
        Appended::New(dm) => {
            // Every socket (tab, device) of both people.
            emit_to(
                socket.within(user_room(me.id)).within(user_room(to.id)),
                &dm,
            )
            .await;
            if !is_looking(&io, to.id, |f| {
                f.with
                    .as_ref()
                    .is_some_and(|w| names::same(w.as_str(), me.username.as_str()))
            }) {
                alert(
                    &io,
                    to.id,
                    AlertKind::Dm,
                    &dm.from,
                    (None, None),
                    dm.message.as_str(),
                )
                .await;
            }
            dm
        }
        Appended::Duplicate(dm) => dm,
    };
    Ok(MessageSent {
        message: texts::MESSAGE_SENT.to_owned(),
        id: dm.id,
        seq: dm.seq,
    })
}

async fn dm_history<A: Adapter>(
    cx: Ctx<A>,
    (Account(me), Drained): (Account, Drained),
    request: DmHistory,
) -> Result<DmHistoryPage, Error> {
    let (cursor, limit) = request.cursor().map_err(Error::refused)?;
    let other = recipient(&cx.state, DmHistory::NAME, &request.with).await?;
    let store = &cx.state.store;
    // Read before the page: a change made while the page is read comes
    // after it, and is caught up on (`direct_changes`).
    let last_change = store
        .dm_last_change(&me, &other)
        .await
        .internal("cannot read direct messages")?;
    let (messages, has_more) = store
        .dm_history(&me, &other, cursor, limit)
        .await
        .internal("cannot read direct messages")?;
    Ok(DmHistoryPage {
        with: other.username,
        messages,
        has_more,
        last_change,
    })
}

async fn dm_list<A: Adapter>(
    cx: Ctx<A>,
    Account(me): Account,
    _: DmList,
) -> Result<DmConversations, Error> {
    let conversations = cx
        .state
        .store
        .dm_list(me.id)
        .await
        .internal("cannot list conversations")?;
    Ok(DmConversations { conversations })
}

async fn mark_read<A: Adapter>(
    cx: Ctx<A>,
    Account(me): Account,
    request: MarkRead,
) -> Result<OkMessage, Error> {
    let other = recipient(&cx.state, MarkRead::NAME, &request.with).await?;
    cx.state
        .store
        .mark_dm_read(me.id, other.id, request.seq)
        .await
        .internal("cannot mark as read")?;
    Ok(OkMessage::new("Marked as read"))
}

async fn focus<A: Adapter>(cx: Ctx<A>, _: Anyone, focus: Focus) -> Result<OkMessage, Error> {
    cx.socket.extensions.insert(focus);
    Ok(OkMessage::new("Focus set"))
}

/// Whether any `/chat` socket of `user` shows what `shows` matches.
pub(super) fn is_looking<A: Adapter>(
    io: &SocketIo<A>,
    user: i64,
    shows: impl Fn(&Focus) -> bool,
) -> bool {
    io.of(NAMESPACE).is_some_and(|chat| {
        chat.within(user_room(user))
            .sockets()
            .iter()
            .any(|s| s.extensions.get::<Focus>().is_some_and(|f| shows(&f)))
    })
}

/// Alerts each registered user `message` mentions who is not looking at its
/// room (never the author): the first [`MAX_MENTIONS_NOTIFIED`] distinct
/// names (by key: `@Ann` and `@ann` are one), looked up in one query. In
/// a private room (`private`: its id) only its members are alerted: an
/// alert carries the message's text. A reply's mention is for its thread:
/// those looking at that thread are not alerted. Returns the accounts
/// mentioned (alerted or looking), whom a thread alert would repeat.
pub async fn alert_mentions<A: Adapter>(
    io: &SocketIo<A>,
    state: &GatewayState,
    message: &NewMessage,
    private: Option<i64>,
) -> HashSet<i64> {
    let author = names::key(message.username.as_str());
    let mut seen = HashSet::new();
    let mut wanted = Vec::new();
    for raw in mentions(message.message.as_str()) {
        if wanted.len() == MAX_MENTIONS_NOTIFIED {
            break;
        }
        let Ok(name) = Username::parse(raw) else {
            continue;
        };
        let key = names::key(name.as_str());
        if key != author && seen.insert(key) {
            wanted.push(name);
        }
    }
    let mut mentioned = HashSet::new();
    if wanted.is_empty() {
        return mentioned;
    }
    let users = match state.store.users_by_names(&wanted).await {
        Ok(users) => users,
        Err(e) => {
            tracing::error!(error = %e, "cannot look up mentions");
            return mentioned;
        }
    };
    for user in users {
        if let Some(room) = private {
            match state.store.role_of(room, user.id).await {
                Ok(Some(_)) => {}
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(error = %e, "cannot look a membership up");
                    continue;
                }
            }
        }
        mentioned.insert(user.id);
        let shows = |f: &Focus| match message.thread {
            Some(thread) => f.room.as_ref() == Some(&message.room) && f.thread == Some(thread),
            None => f.room.as_ref() == Some(&message.room),
        };
        if !is_looking(io, user.id, shows) {
            alert(
                io,
                user.id,
                AlertKind::Mention,
                &message.username,
                (Some(message.room.clone()), message.thread),
                message.message.as_str(),
            )
            .await;
        }
    }
    mentioned
}

/// Sends an alert to the account's own logged-in `/notifications`
/// sockets, on every node: through the internal room they joined when
/// their token was checked ([`user_room`]), which no subscription can
/// name. Never through `user-<id>`, which the tutorial lets any socket
/// subscribe to.
pub(super) async fn alert<A: Adapter>(
    io: &SocketIo<A>,
    user: i64,
    kind: AlertKind,
    from: &Username,
    (room, thread): (Option<crate::protocol::RoomName>, Option<i64>),
    text: &str,
) {
    let alert = Alert {
        kind,
        from: from.clone(),
        room,
        thread,
        preview: Alert::preview_of(text),
    };
    let notification = match serde_json::to_value(&alert) {
        Ok(value) => Notification(value),
        Err(e) => {
            tracing::warn!(error = %e, "cannot encode an alert");
            return;
        }
    };
    if let Some(notifications) = io.of(Notification::NAMESPACE) {
        emit_to(notifications.to(user_room(user)), &notification).await;
    }
}
