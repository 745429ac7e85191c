//! The room guards (issue #14): what an event about one room ([`InRoom`])
//! needs of its sender there. How a socket stands in a room is worked out
//! in `access.rs`.

use super::logged_in;
use crate::protocol::ack::texts;
use crate::protocol::board::{BoardCursor, BoardDraw, BoardJoin, BoardOp};
use crate::protocol::chat::{JoinRoom, SendMessage};
use crate::protocol::history::History;
use crate::protocol::invites::{CreateInviteLink, InviteLinks, RevokeInviteLink};
use crate::protocol::moderation::{
    self, Ban, DeleteMessage, DeleteRoom, Mute, RemoveMember, RoomBans, RoomMembers, Unban, Unmute,
};
use crate::protocol::rooms::{
    self, no_such_room, private_room, Invite, Role, RoomInfoRequest, RoomKind, RoomSettings,
    SetRole, LOG_IN_FOR_ROOMS,
};
use crate::protocol::RoomName;
use crate::server::auth::identity::Identity;
use crate::server::error::Error;
use crate::server::gateway::access::{self, View};
use crate::server::gateway::pipeline::{Ctx, Guard};
use crate::server::gateway::slow::Poster;
use crate::server::store::{RoomMeta, Until, User};
use serde_json::Value;
use socketioxide::adapter::Adapter;

/// An event about one room: the room it names.
pub trait InRoom {
    /// Whether the event makes a public room of a name no room has
    /// (`join-room`, `send-message`, as in the tutorial). Such an event
    /// cannot hide that a private room has the name; the others can.
    const MAKES_ROOM: bool = false;

    /// What the client is told when the room cannot be looked up (the
    /// database is down).
    const UNAVAILABLE: &'static str = texts::TRY_AGAIN;

    /// Whether the event is a post that slow mode paces (`send-message`).
    const PACED: bool = false;

    fn room(&self) -> &RoomName;
}

macro_rules! in_room {
    ($($event:ty),*) => {$(
        impl InRoom for $event {
            fn room(&self) -> &RoomName {
                &self.room
            }
        }
    )*};
}

impl InRoom for SendMessage {
    const MAKES_ROOM: bool = true;
    const UNAVAILABLE: &'static str = texts::NOT_STORED;
    const PACED: bool = true;

    fn room(&self) -> &RoomName {
        &self.room
    }
}

impl InRoom for JoinRoom {
    const MAKES_ROOM: bool = true;

    fn room(&self) -> &RoomName {
        &self.room
    }
}

in_room!(
    History,
    BoardJoin,
    BoardOp,
    BoardDraw,
    BoardCursor,
    RoomInfoRequest,
    Invite,
    SetRole,
    RoomSettings,
    RoomMembers,
    RemoveMember,
    RoomBans,
    DeleteMessage,
    DeleteRoom,
    CreateInviteLink,
    InviteLinks,
    RevokeInviteLink
);

macro_rules! in_room_sanction {
    ($($event:ty),*) => {$(
        impl InRoom for $event {
            fn room(&self) -> &RoomName {
                &self.0.room
            }
        }
    )*};
}

in_room_sanction!(Ban, Mute, Unban, Unmute);

/// A logged-in socket's account, for the room events only accounts may
/// send (`create-room`, `my-rooms`, `invite`, `set-role`,
/// `room-settings`, the invite links', moderation's); a guest is refused before the payload is read, so
/// the refusal says nothing of the room it names.
pub struct Signed(pub User);

impl<A: Adapter, E: Sync> Guard<A, E> for Signed {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_FOR_ROOMS)
    }

    async fn admit(me: User, _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Signed(me))
    }
}

/// The room the event names, which the socket may read: public (and its
/// account not banned from it), or private and its account belongs to it
/// (or is a server admin). Else, and when there is no such room,
/// [`no_such_room`]; a banned account is told it is banned from a public
/// room ([`moderation::banned`]). Gives what the room is and how the
/// socket stands in it.
pub struct Reader(pub RoomMeta, pub View);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Reader {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let (meta, view) = readable(cx, event.room(), E::UNAVAILABLE).await?;
        Ok(Reader(meta, view))
    }
}

/// The room `room`, which the socket may read, and how it stands there
/// (see [`Reader`]).
pub(super) async fn readable<A: Adapter>(
    cx: &Ctx<A>,
    room: &RoomName,
    unavailable: &'static str,
) -> Result<(RoomMeta, View), Error> {
    let Some(meta) = access::meta(cx, room, unavailable).await? else {
        return Err(Error::refused(no_such_room(room)));
    };
    let view = access::view(cx, &meta).await?;
    match (meta.kind, view.ban()) {
        (RoomKind::Public, Some(until)) => Err(banned_from(room, until)),
        _ if view.may_read(&meta) => Ok((meta, view)),
        _ => Err(Error::refused(no_such_room(room))),
    }
}

/// The refusal of a banned account.
fn banned_from(room: &RoomName, until: Until) -> Error {
    Error::refused(moderation::banned(room, until.time().as_deref()))
}

/// `join-room`: a room the socket may enter: a new name (the handler makes
/// it a public room), a public room it is not banned from, or a private
/// room it may read. A private room it may not read is refused with
/// [`private_room`]: here its existence cannot be hidden, since the same
/// name would otherwise make a public room. Gives what the room is, if it
/// exists.
pub struct Entrant(pub Option<RoomMeta>);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Entrant {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let room = event.room();
        let Some(meta) = access::meta(cx, room, E::UNAVAILABLE).await? else {
            return Ok(Entrant(None));
        };
        let view = access::view(cx, &meta).await?;
        match (meta.kind, view.ban()) {
            (RoomKind::Public, Some(until)) => Err(banned_from(room, until)),
            _ if view.may_read(&meta) => Ok(Entrant(Some(meta))),
            _ => Err(Error::refused(private_room(room))),
        }
    }
}

/// A room the socket may post in: it may read it, the room is not
/// archived, a guest is not posting in a room for accounts only, its
/// account is not muted there, and the room is not locked (or it
/// moderates it). For an event that makes a room ([`InRoom::MAKES_ROOM`]:
/// `send-message`) a name no room has passes (`None`: the message makes
/// the public room, as in the tutorial), and a private room it may not
/// read is refused with [`private_room`]; for the others (the board's)
/// both are [`no_such_room`]. A post ([`InRoom::PACED`]) in slow mode
/// also waits its turn (moderators do not).
pub struct Writer(pub Option<RoomMeta>);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Writer {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let room = event.room();
        let unseen = || match E::MAKES_ROOM {
            true => Error::refused(private_room(room)),
            false => Error::refused(no_such_room(room)),
        };
        let Some(meta) = access::meta(cx, room, E::UNAVAILABLE).await? else {
            return match E::MAKES_ROOM {
                true => Ok(Writer(None)),
                false => Err(unseen()),
            };
        };
        let view = access::view(cx, &meta).await?;
        if let (RoomKind::Public, Some(until)) = (meta.kind, view.ban()) {
            return Err(banned_from(room, until));
        }
        if !view.may_read(&meta) {
            return Err(unseen());
        }
        if meta.archived {
            return Err(Error::refused(rooms::archived(room)));
        }
        let account = Identity::of(&cx.socket).user_id();
        if meta.accounts_only && account.is_none() {
            return Err(Error::refused(rooms::accounts_only(room)));
        }
        if let Some(until) = view.mute() {
            return Err(Error::refused(moderation::muted(
                room,
                until.time().as_deref(),
            )));
        }
        if meta.locked && !view.moderates() {
            return Err(Error::refused(moderation::locked(room)));
        }
        if E::PACED && meta.slow_seconds > 0 && !view.moderates() {
            let poster = match account {
                Some(id) => Poster::Account(id),
                None => Poster::Socket(cx.socket.id.to_string()),
            };
            if let Err(wait) = cx
                .state
                .slow_mode
                .take_turn(meta.id, poster, meta.slow_seconds)
            {
                return Err(Error::refused(moderation::slowed(room, wait)));
            }
        }
        Ok(Writer(Some(meta)))
    }
}

/// The room the event names, in which the socket's account has at least
/// `least` (a server admin has an owner's powers everywhere). One it may
/// not read, or none, is [`no_such_room`]; one it may read without the
/// role, [`rooms::needs_role`].
pub(super) async fn ranked<A: Adapter>(
    cx: &Ctx<A>,
    room: &RoomName,
    least: Role,
) -> Result<(RoomMeta, View), Error> {
    let Some(meta) = access::meta(cx, room, texts::TRY_AGAIN).await? else {
        return Err(Error::refused(no_such_room(room)));
    };
    let view = access::view(cx, &meta).await?;
    if view.rank.is_none() && meta.kind == RoomKind::Private {
        return Err(Error::refused(no_such_room(room)));
    }
    if view.rank.is_none_or(|r| r < least) {
        return Err(Error::refused(rooms::needs_role(room, least)));
    }
    Ok((meta, view))
}

/// A room in which the socket's account may invite: a member (or, when
/// the room says so, a moderator) of it, or a server admin.
pub struct Inviter(pub RoomMeta);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Inviter {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let room = event.room();
        // What the room asks is known only once it is found; a room the
        // socket may not see says nothing more than `no_such_room`.
        let least = match access::meta(cx, room, E::UNAVAILABLE).await? {
            Some(meta) => meta.invites_by.least(),
            None => Role::Member,
        };
        ranked(cx, room, least).await.map(|(meta, _)| Inviter(meta))
    }
}

/// A room of which the socket's account is a moderator (or its owner, or
/// a server admin).
pub struct Moderator(pub RoomMeta);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Moderator {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        ranked(cx, event.room(), Role::Moderator)
            .await
            .map(|(meta, _)| Moderator(meta))
    }
}

/// A room of which the socket's account is the owner (or a server admin).
pub struct Owner(pub RoomMeta);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Owner {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        ranked(cx, event.room(), Role::Owner)
            .await
            .map(|(meta, _)| Owner(meta))
    }
}
