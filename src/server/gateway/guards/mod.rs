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
//! Rooms (issue #14), for the events that name one ([`InRoom`], in
//! `rooms.rs`); how a socket stands in a room is worked out in
//! `access.rs`:
//!
//! - [`Signed`]: logged in (a room event only an account may send).
//! - [`Entrant`]: may enter the room (`join-room`): a public room it is
//!   not banned from or a new name, or a private room it belongs to.
//! - [`Reader`]: may read the room: a public one it is not banned from, or
//!   a private one it belongs to (or a server admin).
//! - [`Writer`]: may post there: a reader, the room not archived, not a
//!   guest in a room for accounts only, not muted, the room not locked (or
//!   a moderator), and in slow mode its turn has come (`send-message` of
//!   a new name makes a public room, as in the tutorial).
//! - [`Inviter`]: may invite (a member, or a moderator when the room says),
//!   by name or by making invite links.
//! - [`Moderator`], [`Owner`]: holds that role in the room, or is a
//!   server admin.
//! - `LinkKeeper` (in `invites.rs`, the one event that needs it):
//!   `revoke-invite-link` by a moderator, or by the link's creator.
//!
//! Moderation (in `moderation.rs`):
//!
//! - [`Sanctioner`]: a moderator of the room acting on an account below
//!   it (`remove-member`, `ban`, `mute`, `unban`, `unmute`).
//! - [`Deleter`]: the author of the message, or a moderator of its room.
//! - [`Admin`]: a server admin.
//! - [`AuditReader`]: a room's moderator, or for the whole log an admin.
//!
//! Changes to messages (in `messages.rs`, issue #15):
//!
//! - [`Editor`]: the message's author, who may post in the room.
//! - [`Reactor`]: an account that may post in the room.
//! - [`VersionReader`]: the message's author, or a moderator of its room.
//!
//! Changes to direct messages (in `direct.rs`, issue #15):
//!
//! - [`Conversation`]: logged in, and the other person it names is an
//!   account (`react-dm`, `dm-changes`).
//! - [`DmAuthor`]: that, and the message is the account's own (`edit-dm`,
//!   `delete-dm`, `dm-versions`).
//!
//! A room a socket may not read, or that does not exist, is refused with
//! one text (`rooms::no_such_room`), so that a private room's existence
//! does not leak.

use super::pipeline::{Ctx, Guard};
use super::rooms::OpenBoards;
use crate::protocol::ack::texts;
use crate::protocol::board::{BoardCursor, BoardDraw, BoardOp};
use crate::protocol::chat::TokenField;
use crate::protocol::{payload_object, ClientEvent, RoomName, Username};
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::store::User;
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
pub(super) fn logged_in<A: Adapter>(cx: &Ctx<A>, refusal: &str) -> Result<User, Error> {
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

mod direct;
mod messages;
mod moderation;
mod rooms;

pub use direct::{no_dm, Conversation, DmAuthor};

pub use messages::{Editor, Follower, Reactor, Replier, VersionReader};
pub use moderation::{account_named, Admin, AuditReader, Deleter, Sanctioner, Targets};
pub use rooms::{Entrant, InRoom, Inviter, Moderator, Owner, Reader, Signed, Writer};
