//! Replies and threads (issue #15; `protocol::threads`): `send-reply`,
//! `thread-history` and `follow-thread`. A reply is stored
//! (`store::threads`), then everyone in the room, on every node, gets it
//! as `new-message` and its root's new summary as `message-changed`; the
//! thread's followers who are not looking at it are alerted.

use super::direct::{alert, alert_mentions, is_looking};
use super::emit::{emit_to, now};
use super::guards::{Drained, Follower, Joined, Reader, Replier};
use super::pipeline::{Ctx, Routes};
use crate::protocol::ack::texts;
use crate::protocol::chat::NewMessage;
use crate::protocol::direct::Focus;
use crate::protocol::message_changes::MessageChanged;
use crate::protocol::notifications::AlertKind;
use crate::protocol::rooms::RoomKind;
use crate::protocol::threads::{
    FollowThread, Following, ReplySent, SendReply, ThreadHistory, ThreadPage, REPLY_SENT,
};
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Rooms, Sends};
use crate::server::store::{Author, NewReply, Replied, RoomMeta};
use socketioxide::adapter::Adapter;

/// Registers the thread events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Sends, send_reply::<A>);
    r.on(Reads, thread_history::<A>);
    r.on(Rooms, follow_thread::<A>);
}

async fn send_reply<A: Adapter>(
    cx: Ctx<A>,
    (Joined(username), Replier(meta)): (Joined, Replier),
    send: SendReply,
) -> Result<ReplySent, Error> {
    let by = match Identity::of(&cx.socket).user_id() {
        Some(id) => Author::Account(id),
        None => cx
            .socket
            .extensions
            .get::<Author>()
            .unwrap_or_else(|| Author::connection(&cx.socket.id.to_string())),
    };
    let reply = NewReply {
        thread: send.thread,
        author: &username,
        by: &by,
        body: &send.message,
        in_room: send.also_to_room,
        client_id: send.client_id.as_ref(),
        timestamp: &now(),
    };
    let replied = cx
        .state
        .store
        .append_reply(&meta, reply)
        .await
        .internal_answer("cannot store a reply", texts::NOT_STORED)?;
    let reply = match replied {
        Replied::New {
            reply,
            root,
            followers,
        } => {
            // The sender is in the room: both reach it before the ack.
            let within = || cx.socket.within(meta.name.as_str().to_owned());
            emit_to(within(), &reply).await;
            emit_to(within(), &MessageChanged(*root)).await;
            alert_followers(&cx, &meta, &reply, &followers).await;
            reply
        }
        // A retry of a reply that was stored: ack it again, send nothing.
        Replied::Duplicate(reply) => reply,
        Replied::Gone => {
            return Err(Error::refused(format!(
                "{} has no message {} to reply to",
                send.room, send.thread
            )))
        }
    };
    Ok(ReplySent {
        message: REPLY_SENT.to_owned(),
        reply,
    })
}

/// Alerts those `reply` mentions (as any message), then the thread's
/// `followers` it did not mention who are not looking at the thread.
async fn alert_followers<A: Adapter>(
    cx: &Ctx<A>,
    meta: &RoomMeta,
    reply: &NewMessage,
    followers: &[i64],
) {
    let private = (meta.kind == RoomKind::Private).then_some(meta.id);
    let mentioned = alert_mentions(&cx.io, &cx.state, reply, private).await;
    let Some(thread) = reply.thread else { return };
    let shows = |f: &Focus| f.room.as_ref() == Some(&reply.room) && f.thread == Some(thread);
    for &user in followers {
        if mentioned.contains(&user) || is_looking(&cx.io, user, shows) {
            continue;
        }
        alert(
            &cx.io,
            user,
            AlertKind::Thread,
            &reply.username,
            (Some(reply.room.clone()), Some(thread)),
            reply.message.as_str(),
        )
        .await;
    }
}

async fn thread_history<A: Adapter>(
    cx: Ctx<A>,
    (_, Reader(meta, _)): ((Joined, Drained), Reader),
    request: ThreadHistory,
) -> Result<ThreadPage, Error> {
    let (cursor, limit) = request.cursor().map_err(Error::refused)?;
    let user = Identity::of(&cx.socket).user_id();
    let read = cx
        .state
        .store
        .thread_page(&meta, request.id, cursor, limit, user)
        .await
        .internal("cannot read a thread")?
        .ok_or_else(|| Error::refused(format!("{} has no message {}", request.room, request.id)))?;
    Ok(ThreadPage {
        room: request.room,
        root: read.root,
        replies: read.replies,
        has_more: read.has_more,
        following: read.following,
        last_change: read.last_change,
    })
}

async fn follow_thread<A: Adapter>(
    cx: Ctx<A>,
    Follower { meta, actor }: Follower,
    FollowThread { room, id, on }: FollowThread,
) -> Result<Following, Error> {
    let root = cx
        .state
        .store
        .follow_thread(meta.id, id, actor.id, on)
        .await
        .internal("cannot follow a thread")?
        .ok_or_else(|| Error::refused(format!("{room} has no message {id}")))?;
    let message = match on {
        true => "Following the thread",
        false => "Not following the thread",
    };
    Ok(Following {
        message: message.to_owned(),
        thread: root,
        following: on,
    })
}
