//! What an event needs of its sender before its handler may act on it: one
//! type per requirement, named in the handler's arguments and checked by
//! the pipeline (`pipeline::Guard`), never inside the handler.
//!
//! - [`Anyone`]: nothing (`join`, `get-users`, `focus`, `board-leave`).
//! - [`Joined`]: the socket has joined the chat; gives its name.
//! - [`Account`]: the socket is logged in; gives the account.
//! - [`Drawer`]: joined, and the board the event names is open.
//! - [`Token`]: the payload carries a valid token (`protected-message`,
//!   answered with `exception` as in the tutorial).
//! - [`Subscriber`]: may receive the notifications it subscribes to.

use super::pipeline::{Ctx, Guard};
use super::rooms::OpenBoards;
use crate::protocol::ack::texts;
use crate::protocol::board::{BoardCursor, BoardDraw, BoardOp};
use crate::protocol::chat::TokenField;
use crate::protocol::notifications::SubscribeToNotifications;
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

/// A logged-in socket's account; a guest is refused before the payload is
/// read.
pub struct Account(pub User);

impl<A: Adapter, E: Sync> Guard<A, E> for Account {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        match Identity::of(&cx.socket) {
            Identity::User { id, username, .. } => Ok(User { id, username }),
            Identity::Guest => Err(Error::refused(LOG_IN_FOR_DMS)),
        }
    }

    async fn admit(me: User, _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Account(me))
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

/// The payload's `token` field holds a token this server signed and that
/// has not expired. The tutorial's guard: it runs before anything else and
/// fails with the `exception` event only (`Unauthorized`, `Invalid
/// token`). A payload that is not an object has no token to guard: it is
/// refused as malformed.
pub struct Token;

impl<A: Adapter, E: ClientEvent + Sync> Guard<A, E> for Token {
    type Before = ();

    fn before(cx: &Ctx<A>, payload: Option<&Value>) -> Result<(), Error> {
        let fields = match payload {
            Some(Value::Object(fields)) => fields,
            other => {
                let why = payload_object::<E>(other.cloned()).err();
                return Err(Error::refused(why.map(|e| e.0).unwrap_or_default()));
            }
        };
        match TokenField::of(fields) {
            TokenField::Absent => Err(Error::Exception(texts::UNAUTHORIZED.into())),
            TokenField::Malformed => Err(Error::Exception(texts::INVALID_TOKEN.into())),
            TokenField::Present(token) => match cx.state.tokens.verify(token) {
                Ok(_) => Ok(()),
                Err(e) => {
                    tracing::debug!(sid = %cx.socket.id, reason = %e, "token refused");
                    Err(Error::Exception(texts::INVALID_TOKEN.into()))
                }
            },
        }
    }

    async fn admit(_: (), _: &Ctx<A>, _: &E) -> Result<Self, Error> {
        Ok(Token)
    }
}

/// May subscribe to the notifications of the id it names. An account's
/// notifications carry its direct messages: only that account may
/// subscribe to them. Other ids stay open, as in the tutorial.
pub struct Subscriber;

impl<A: Adapter> Guard<A, SubscribeToNotifications> for Subscriber {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &SubscribeToNotifications) -> Result<Self, Error> {
        let Ok(account) = event.user_id.as_str().parse::<i64>() else {
            return Ok(Subscriber);
        };
        if Identity::of(&cx.socket).user_id() == Some(account) {
            return Ok(Subscriber);
        }
        let exists = cx
            .state
            .store
            .user_exists(account)
            .await
            .internal("cannot look up an account")?;
        if exists {
            return Err(Error::refused(format!(
                "Log in as user {} to subscribe to their notifications",
                event.user_id
            )));
        }
        Ok(Subscriber)
    }
}
