//! The guards of changes to room messages (issue #15): who may edit a
//! message, react to one, and read its earlier versions. The change feed
//! (`changes`) needs only [`Reader`](super::Reader).

use super::logged_in;
use super::rooms::{readable, InRoom, Writer};
use crate::protocol::ack::texts;
use crate::protocol::message_changes::{Changes, EditMessage, MessageVersions};
use crate::protocol::reactions::React;
use crate::protocol::read_state::MarkRoomRead;
use crate::protocol::threads::{FollowThread, SendReply, ThreadHistory};
use crate::protocol::RoomName;
use crate::server::error::{Error, Internal};
use crate::server::gateway::pipeline::{Ctx, Guard};
use crate::server::store::{RoomMeta, User};
use serde_json::Value;
use socketioxide::adapter::Adapter;

/// The refusal of a guest's edit: a guest's messages cannot be told apart.
pub const LOG_IN_TO_EDIT: &str = "Log in to edit messages: a guest's messages cannot be told apart";
/// The refusal of a guest's reaction.
pub const LOG_IN_TO_REACT: &str = "Log in to react to messages";
/// The refusal of a guest's `follow-thread`: alerts go to accounts.
pub const LOG_IN_TO_FOLLOW: &str = "Log in to follow threads";

macro_rules! in_room {
    ($($event:ty),*) => {$(
        impl InRoom for $event {
            fn room(&self) -> &RoomName {
                &self.room
            }
        }
    )*};
}

in_room!(
    EditMessage,
    React,
    MessageVersions,
    Changes,
    MarkRoomRead,
    ThreadHistory,
    FollowThread
);

impl InRoom for SendReply {
    const UNAVAILABLE: &'static str = texts::NOT_STORED;
    const PACED: bool = true;

    fn room(&self) -> &RoomName {
        &self.room
    }
}

/// An event about one message of a room.
pub trait AboutMessage: InRoom {
    fn message_id(&self) -> i64;
}

macro_rules! about_message {
    ($($event:ty),*) => {$(
        impl AboutMessage for $event {
            fn message_id(&self) -> i64 {
                self.id
            }
        }
    )*};
}

about_message!(EditMessage, React, MessageVersions);

/// The author of message `id` of `meta`: `Some(account)`, `Some(None)`
/// for a guest's, `None` when there is no such message (or it is deleted).
async fn author_of<A: Adapter>(
    cx: &Ctx<A>,
    meta: &RoomMeta,
    id: i64,
) -> Result<Option<Option<i64>>, Error> {
    cx.state
        .store
        .message_author(meta.id, id)
        .await
        .internal("cannot look a message up")
}

fn no_message(room: &RoomName, id: i64) -> Error {
    Error::refused(format!("{room} has no message {id}"))
}

/// `edit-message`: a logged-in account that may post in the room
/// ([`Writer`]: not muted, the room not locked or archived) and wrote the
/// message. A moderator edits nobody else's words: it may delete them.
pub struct Editor {
    pub meta: RoomMeta,
    pub actor: User,
}

impl<A: Adapter> Guard<A, EditMessage> for Editor {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_TO_EDIT)
    }

    async fn admit(actor: User, cx: &Ctx<A>, event: &EditMessage) -> Result<Self, Error> {
        let meta = posting_room(cx, event).await?;
        match author_of(cx, &meta, event.id).await? {
            None => Err(no_message(&event.room, event.id)),
            Some(author) if author == Some(actor.id) => Ok(Editor { meta, actor }),
            Some(_) => Err(Error::refused(
                "Only its author may edit a message".to_owned(),
            )),
        }
    }
}

/// `react`: a logged-in account that may post in the room ([`Writer`]).
/// Whether the message exists is the store's to say, in the change's
/// transaction.
pub struct Reactor {
    pub meta: RoomMeta,
    pub actor: User,
}

impl<A: Adapter> Guard<A, React> for Reactor {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_TO_REACT)
    }

    async fn admit(actor: User, cx: &Ctx<A>, event: &React) -> Result<Self, Error> {
        let meta = posting_room(cx, event).await?;
        Ok(Reactor { meta, actor })
    }
}

/// `send-reply`: a room the socket may post in ([`Writer`]: a guest too,
/// where guests may post; slow mode paces replies as it does messages).
/// Whether the message replied to exists is the store's to say, in the
/// reply's transaction.
pub struct Replier(pub RoomMeta);

impl<A: Adapter> Guard<A, SendReply> for Replier {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &SendReply) -> Result<Self, Error> {
        posting_room(cx, event).await.map(Replier)
    }
}

/// `follow-thread`: a logged-in account that may read the room. Whether
/// the message exists is the store's to say.
pub struct Follower {
    pub meta: RoomMeta,
    pub actor: User,
}

impl<A: Adapter> Guard<A, FollowThread> for Follower {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_TO_FOLLOW)
    }

    async fn admit(actor: User, cx: &Ctx<A>, event: &FollowThread) -> Result<Self, Error> {
        let (meta, _) = readable(cx, &event.room, texts::TRY_AGAIN).await?;
        Ok(Follower { meta, actor })
    }
}

/// The room of `event`, in which the socket may post.
async fn posting_room<A: Adapter, E: InRoom + Sync>(
    cx: &Ctx<A>,
    event: &E,
) -> Result<RoomMeta, Error> {
    match <Writer as Guard<A, E>>::admit((), cx, event).await? {
        Writer(Some(meta)) => Ok(meta),
        // Only an event that makes rooms passes a name no room has.
        Writer(None) => Err(Error::refused(crate::protocol::rooms::no_such_room(
            event.room(),
        ))),
    }
}

/// `message-versions`: a room the socket may read, and a message of it
/// that its account wrote, or any message when it moderates the room.
pub struct VersionReader(pub RoomMeta);

impl<A: Adapter> Guard<A, MessageVersions> for VersionReader {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_TO_EDIT)
    }

    async fn admit(actor: User, cx: &Ctx<A>, event: &MessageVersions) -> Result<Self, Error> {
        let (meta, view) = readable(cx, &event.room, texts::TRY_AGAIN).await?;
        match author_of(cx, &meta, event.message_id()).await? {
            None => Err(no_message(&event.room, event.id)),
            Some(author) if author == Some(actor.id) || view.moderates() => Ok(VersionReader(meta)),
            Some(_) => Err(Error::refused(format!(
                "Only its author or a moderator of {} may see a message's earlier versions",
                event.room
            ))),
        }
    }
}
