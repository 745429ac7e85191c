//! What an event needs of its sender before its handler may act on it: one
//! type per requirement, named in the handler's arguments and checked by
//! the pipeline (`pipeline::Guard`), never inside the handler.
//!
//! - [`Anyone`]: nothing (`join`, `get-users`, `focus`, `board-leave`).
//! - [`Joined`]: the socket has joined the chat; gives its name.
//! - [`Account`]: the socket is logged in; gives the account.
//! - [`Drained`]: the socket has read what it was sent (a large read is
//!   refused before any work while its queue holds more than a bound).
//! - [`Drawer`]: joined, and the board the event names is open.
//! - [`Token`]: the payload carries a valid login token of an open session
//!   (`protected-message`, answered with `exception` as in the tutorial).
//!
//! Rooms (issue #14), for the events that name one ([`InRoom`]); what a
//! socket may do in a room is worked out in `access.rs`:
//!
//! - [`Signed`]: logged in (a room event only an account may send).
//! - [`Entrant`]: may enter the room (`join-room`): a public room or a new
//!   name, or a private room it belongs to.
//! - [`Reader`]: may read the room: a public one, or a private one it
//!   belongs to (or a server admin).
//! - [`Writer`]: may post there: a reader, the room not archived, not a
//!   guest in a room for accounts only (`send-message` of a new name makes
//!   a public room, as in the tutorial).
//! - [`Inviter`]: may invite (a member, or a moderator when the room says),
//!   by name or by making invite links.
//! - [`Moderator`], [`Owner`]: holds that role in the room, or is a
//!   server admin.
//! - `LinkKeeper` (in `invites.rs`, the one event that needs it):
//!   `revoke-invite-link` by a moderator, or by the link's creator.
//!
//! A room a socket may not read, or that does not exist, is refused with
//! one text ([`no_such_room`]), so that a private room's existence does
//! not leak.

use super::access::{self, may_read, rank};
use super::pipeline::{Ctx, Guard};
use super::rooms::OpenBoards;
use crate::protocol::ack::texts;
use crate::protocol::board::{BoardCursor, BoardDraw, BoardJoin, BoardOp};
use crate::protocol::chat::{JoinRoom, SendMessage, TokenField};
use crate::protocol::history::History;
use crate::protocol::invites::{CreateInviteLink, InviteLinks, RevokeInviteLink};
use crate::protocol::rooms::{
    self, no_such_room, private_room, Invite, Role, RoomInfoRequest, RoomKind, RoomSettings,
    SetRole, LOG_IN_FOR_ROOMS,
};
use crate::protocol::{payload_object, ClientEvent, RoomName, Username};
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::store::{RoomMeta, User};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use std::sync::Arc;

/// The refusal of a DM event from a guest.
pub const LOG_IN_FOR_DMS: &str = "Log in to use direct messages";

/// No requirement.
pub struct Anyone;

impl<A: Adapter, E: Sync> Guard<A, E> for Anyone {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Anyone)
    }
}

/// A socket that has joined the chat, under this name; else "join first",
/// before the payload is read (as the tutorial answers any event of a
/// socket that has not joined).
pub struct Joined(pub Username);

impl<A: Adapter, E: Sync> Guard<A, E> for Joined {
    type Before = Username;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<Username, Error> {
        cx.state
            .presence
            .username(cx.socket.id)
            .ok_or_else(|| Error::refused(texts::JOIN_FIRST))
    }

    async fn admit(name: Username, _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Joined(name))
    }
}

/// The socket's account, or `refusal` for a guest.
fn logged_in<A: Adapter>(cx: &Ctx<A>, refusal: &str) -> Result<User, Error> {
    match Identity::of(&cx.socket) {
        Identity::User { id, username, .. } => Ok(User { id, username }),
        Identity::Guest => Err(Error::refused(refusal)),
    }
}

/// A logged-in socket's account; a guest is refused before the payload is
/// read.
pub struct Account(pub User);

impl<A: Adapter, E: Sync> Guard<A, E> for Account {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_FOR_DMS)
    }

    async fn admit(me: User, _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Account(me))
    }
}

/// A socket that has taken what it was sent: at most
/// `HUDDLE_MAX_UNREAD_BYTES` are still queued for it. Large reads
/// (`history`, `dm-history`, `board-join`, `get-users`) take this guard, so
/// that a socket that asks and does not read is refused before the server
/// reads or encodes anything, instead of piling replies of hundreds of
/// kilobytes each in its queue: what a socket that stops reading pins is
/// then this bound and the reply its writer holds, not its queue's 256
/// packets times the largest reply.
pub struct Drained;

/// The refusal of a large read while `queued` bytes wait for the socket.
pub fn unread_refusal(queued: usize) -> String {
    let kib = queued.div_ceil(1024);
    format!("{kib} KiB sent to you is still unread: read it, then ask again")
}

impl<A: Adapter, E: Sync> Guard<A, E> for Drained {
    type Before = ();

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        let queued = cx
            .socket
            .req_parts()
            .extensions
            .get::<engineioxide::QueuedBytes>()
            .map_or(0, engineioxide::QueuedBytes::get);
        if queued > cx.state.limits.config.max_unread_bytes {
            metrics::counter!("huddle_unread_refusals_total").increment(1);
            return Err(Error::refused(unread_refusal(queued)));
        }
        Ok(())
    }

    async fn admit(_: (), _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Drained)
    }
}

/// A board event: the board it is for.
pub trait OnBoard {
    fn board(&self) -> &RoomName;
}

impl OnBoard for BoardOp {
    fn board(&self) -> &RoomName {
        &self.room
    }
}

impl OnBoard for BoardDraw {
    fn board(&self) -> &RoomName {
        &self.room
    }
}

impl OnBoard for BoardCursor {
    fn board(&self) -> &RoomName {
        &self.room
    }
}

/// A joined socket that has opened the board the event is for
/// (`board-join`), under this name. Checked once the event is parsed: a
/// malformed board event is answered with what is wrong with it.
pub struct Drawer(pub Username);

impl<A: Adapter, E: OnBoard + Sync> Guard<A, E> for Drawer {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let Some(username) = cx.state.presence.username(cx.socket.id) else {
            return Err(Error::refused(texts::JOIN_FIRST));
        };
        let room = event.board();
        let open = cx
            .socket
            .extensions
            .get::<Arc<OpenBoards>>()
            .is_some_and(|open| open.contains(room));
        if !open {
            return Err(Error::refused(format!(
                "Open the board of {room} first (board-join)"
            )));
        }
        Ok(Drawer(username))
    }
}

/// The payload's `token` field holds a login token this server signed,
/// unexpired, whose login session is still open (a logged-out token opens
/// nothing), and, on a logged-in socket, of that socket's own account.
/// The tutorial's guard: it runs before anything else and fails with the
/// `exception` event only (`Unauthorized`, `Invalid token`). A payload
/// that is not an object has no token to guard: it is refused as
/// malformed. Gives the account that vouched.
pub struct Token(pub Username);

/// The refusal of another account's token on a logged-in socket.
pub const NOT_YOUR_TOKEN: &str = "This token is another account's: send your own";

impl<A: Adapter, E: ClientEvent + Sync> Guard<A, E> for Token {
    /// The token's login session and account name, checked in `admit`.
    type Before = (String, Username);

    fn before(cx: &Ctx<A>, payload: Option<&Value>) -> Result<Self::Before, Error> {
        let fields = match payload {
            Some(Value::Object(fields)) => fields,
            other => {
                let why = payload_object::<E>(other.cloned()).err();
                return Err(Error::refused(why.map(|e| e.0).unwrap_or_default()));
            }
        };
        let token = match TokenField::of(fields) {
            TokenField::Absent => return Err(Error::Exception(texts::UNAUTHORIZED.into())),
            TokenField::Malformed => return Err(Error::Exception(texts::INVALID_TOKEN.into())),
            TokenField::Present(token) => token,
        };
        let invalid = |reason: &str| {
            tracing::debug!(sid = %cx.socket.id, reason, "token refused");
            Error::Exception(texts::INVALID_TOKEN.into())
        };
        let claims = cx
            .state
            .tokens
            .verify(token)
            .map_err(|e| invalid(&e.to_string()))?;
        let (Some(session), Some(name), Ok(account)) =
            (claims.sid, claims.name, claims.sub.parse::<i64>())
        else {
            return Err(invalid("not a login token"));
        };
        let name = Username::parse(&name).map_err(|_| invalid("a bad name"))?;
        if let Some(own) = Identity::of(&cx.socket).user_id() {
            if own != account {
                return Err(Error::Exception(NOT_YOUR_TOKEN.into()));
            }
        }
        Ok((session, name))
    }

    async fn admit((session, name): Self::Before, cx: &Ctx<A>, _: &E) -> Result<Self, Error> {
        let open = cx
            .state
            .store
            .session_active(&session)
            .await
            .internal("cannot check a login session")?;
        if !open {
            tracing::debug!(sid = %cx.socket.id, "token of an ended session refused");
            return Err(Error::Exception(texts::INVALID_TOKEN.into()));
        }
        Ok(Token(name))
    }
}

/// An event about one room: the room it names.
pub trait InRoom {
    /// Whether the event makes a public room of a name no room has
    /// (`join-room`, `send-message`, as in the tutorial). Such an event
    /// cannot hide that a private room has the name; the others can.
    const MAKES_ROOM: bool = false;

    /// What the client is told when the room cannot be looked up (the
    /// database is down).
    const UNAVAILABLE: &'static str = texts::TRY_AGAIN;

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
    CreateInviteLink,
    InviteLinks,
    RevokeInviteLink
);

/// A logged-in socket's account, for the room events only accounts may
/// send (`create-room`, `my-rooms`, `invite`, `set-role`,
/// `room-settings`, and the invite links'); a guest is refused before the payload is read, so
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

/// The room the event names, which the socket may read: public, or
/// private and its account belongs to it (or is a server admin). Else,
/// and when there is no such room, [`no_such_room`].
pub struct Reader(pub RoomMeta);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Reader {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let room = event.room();
        match access::meta(cx, room, E::UNAVAILABLE).await? {
            Some(meta) if may_read(cx, &meta).await? => Ok(Reader(meta)),
            _ => Err(Error::refused(no_such_room(room))),
        }
    }
}

/// `join-room`: a room the socket may enter: a new name (the handler makes
/// it a public room), a public room, or a private room it may read. A
/// private room it may not read is refused with [`private_room`]: here its
/// existence cannot be hidden, since the same name would otherwise make a
/// public room. Gives what the room is, if it exists.
pub struct Entrant(pub Option<RoomMeta>);

impl<A: Adapter, E: InRoom + Sync> Guard<A, E> for Entrant {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let room = event.room();
        match access::meta(cx, room, E::UNAVAILABLE).await? {
            Some(meta) if !may_read(cx, &meta).await? => Err(Error::refused(private_room(room))),
            meta => Ok(Entrant(meta)),
        }
    }
}

/// A room the socket may post in: it may read it, the room is not
/// archived, and a guest is not posting in a room for accounts only. For
/// an event that makes a room ([`InRoom::MAKES_ROOM`]: `send-message`) a
/// name no room has passes (`None`: the message makes the public room, as
/// in the tutorial), and a private room it may not read is refused with
/// [`private_room`]; for the others (the board's) both are
/// [`no_such_room`].
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
        if !may_read(cx, &meta).await? {
            return Err(unseen());
        }
        if meta.archived {
            return Err(Error::refused(rooms::archived(room)));
        }
        if meta.accounts_only && Identity::of(&cx.socket).user_id().is_none() {
            return Err(Error::refused(rooms::accounts_only(room)));
        }
        Ok(Writer(Some(meta)))
    }
}

/// The room the event names, in which the socket's account has at least
/// `least` (a server admin has an owner's powers everywhere). One it may
/// not read, or none, is [`no_such_room`]; one it may read without the
/// role, [`rooms::needs_role`].
async fn ranked<A: Adapter>(cx: &Ctx<A>, room: &RoomName, least: Role) -> Result<RoomMeta, Error> {
    let Some(meta) = access::meta(cx, room, texts::TRY_AGAIN).await? else {
        return Err(Error::refused(no_such_room(room)));
    };
    let role = rank(cx, &meta).await?;
    if role.is_none() && meta.kind == RoomKind::Private {
        return Err(Error::refused(no_such_room(room)));
    }
    if role.is_none_or(|r| r < least) {
        return Err(Error::refused(rooms::needs_role(room, least)));
    }
    Ok(meta)
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
        ranked(cx, room, least).await.map(Inviter)
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
            .map(Moderator)
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
        ranked(cx, event.room(), Role::Owner).await.map(Owner)
    }
}
