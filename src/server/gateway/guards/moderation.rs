//! The moderation guards (issue #14, phase 2): who may sanction whom,
//! delete which message, and act for the whole server.

use super::logged_in;
use super::rooms::{ranked, readable, InRoom};
use crate::protocol::ack::texts;
use crate::protocol::moderation::{
    self, AuditLog, Ban, DeleteMessage, Mute, RemoveMember, Unban, Unmute, ADMINS_ONLY,
    NOT_YOURSELF,
};
use crate::protocol::rooms::{Role, LOG_IN_FOR_ROOMS};
use crate::protocol::Username;
use crate::server::error::{Error, Internal};
use crate::server::gateway::access::{self, View};
use crate::server::gateway::pipeline::{Ctx, Guard};
use crate::server::store::{RoomMeta, User};
use serde_json::Value;
use socketioxide::adapter::Adapter;

/// An event that acts on one account in a room.
pub trait Targets: InRoom {
    fn target(&self) -> &Username;
}

impl Targets for RemoveMember {
    fn target(&self) -> &Username {
        &self.username
    }
}

macro_rules! targets {
    ($($event:ty),*) => {$(
        impl Targets for $event {
            fn target(&self) -> &Username {
                &self.0.username
            }
        }
    )*};
}

targets!(Ban, Mute, Unban, Unmute);

/// The account named `name`, or a refusal saying there is none.
pub async fn account_named<A: Adapter>(cx: &Ctx<A>, name: &Username) -> Result<User, Error> {
    cx.state
        .store
        .user_by_name(name)
        .await
        .internal("cannot look an account up")?
        .ok_or_else(|| Error::refused(format!("No account is named {name}")))
}

/// A moderator of the room (or its owner, or a server admin) acting on an
/// account below it: a member or an account with no role there; on a
/// moderator only the owner or an admin; on the owner, or a server admin,
/// nobody. Never on oneself. Gives the room, the actor and the target.
pub struct Sanctioner {
    pub meta: RoomMeta,
    pub actor: User,
    pub target: User,
}

impl<A: Adapter, E: Targets + Sync> Guard<A, E> for Sanctioner {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_FOR_ROOMS)
    }

    async fn admit(actor: User, cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let room = event.room();
        let (meta, mine) = ranked(cx, room, Role::Moderator).await?;
        let target = account_named(cx, event.target()).await?;
        if target.id == actor.id {
            return Err(Error::refused(NOT_YOURSELF));
        }
        let theirs = access::view_of(&cx.state.store, &meta, Some(target.id))
            .await
            .internal("cannot look a membership up")?;
        if !outranks(&mine, &theirs) {
            return Err(Error::refused(moderation::outranks(&target.username, room)));
        }
        Ok(Sanctioner {
            meta,
            actor,
            target,
        })
    }
}

/// Whether `actor` may sanction `target` in a room.
fn outranks(actor: &View, target: &View) -> bool {
    match target.rank {
        None | Some(Role::Member) => actor.moderates(),
        Some(Role::Moderator) => actor.rank == Some(Role::Owner),
        Some(Role::Owner) => false,
    }
}

/// `delete-message`: a room the socket may read, and a message of it that
/// its account wrote, or any message of it when the account moderates the
/// room. Gives the room and whether it deletes as a moderator (someone
/// else's message, recorded in the audit log).
pub struct Deleter {
    pub meta: RoomMeta,
    pub actor: User,
    pub as_moderator: bool,
}

impl<A: Adapter> Guard<A, DeleteMessage> for Deleter {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(
            cx,
            "Log in to delete messages: a guest's messages cannot be told apart",
        )
    }

    async fn admit(actor: User, cx: &Ctx<A>, event: &DeleteMessage) -> Result<Self, Error> {
        let room = &event.room;
        let (meta, view) = readable(cx, room, texts::TRY_AGAIN).await?;
        let author = cx
            .state
            .store
            .message_author(meta.id, event.id)
            .await
            .internal("cannot look a message up")?;
        let Some(author) = author else {
            return Err(Error::refused(format!(
                "{room} has no message {} to delete",
                event.id
            )));
        };
        let own = author == Some(actor.id);
        if !own && !view.moderates() {
            return Err(Error::refused(format!(
                "Only its author or a moderator of {room} may delete this message"
            )));
        }
        Ok(Deleter {
            meta,
            actor,
            as_moderator: !own,
        })
    }
}

/// A server admin's account.
pub struct Admin(pub User);

impl<A: Adapter, E: Sync> Guard<A, E> for Admin {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, ADMINS_ONLY)
    }

    async fn admit(me: User, cx: &Ctx<A>, _: &E) -> Result<Self, Error> {
        admin(cx, me).await.map(Admin)
    }
}

async fn admin<A: Adapter>(cx: &Ctx<A>, me: User) -> Result<User, Error> {
    let admin = cx
        .state
        .store
        .is_admin(me.id)
        .await
        .internal("cannot look an account up")?;
    match admin {
        true => Ok(me),
        false => Err(Error::refused(ADMINS_ONLY)),
    }
}

/// `audit-log`: of a room, one of its moderators (or a server admin); of
/// the whole server, an admin. Gives the room, if one was named.
pub struct AuditReader(pub Option<RoomMeta>);

impl<A: Adapter> Guard<A, AuditLog> for AuditReader {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_FOR_ROOMS)
    }

    async fn admit(me: User, cx: &Ctx<A>, event: &AuditLog) -> Result<Self, Error> {
        match &event.room {
            Some(room) => {
                let (meta, _) = ranked(cx, room, Role::Moderator).await?;
                Ok(AuditReader(Some(meta)))
            }
            None => admin(cx, me).await.map(|_| AuditReader(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::Standing;

    fn as_rank(rank: Option<Role>) -> View {
        View {
            rank,
            standing: Standing::default(),
            admin: false,
        }
    }

    #[test]
    fn only_someone_above_may_sanction() {
        let [none, member, moderator, owner] = [
            None,
            Some(Role::Member),
            Some(Role::Moderator),
            Some(Role::Owner),
        ]
        .map(as_rank);
        assert!(outranks(&moderator, &member));
        assert!(outranks(&moderator, &none));
        assert!(!outranks(&moderator, &moderator));
        assert!(outranks(&owner, &moderator));
        assert!(!outranks(&owner, &owner));
        assert!(!outranks(&member, &none));
        let admin = View {
            admin: true,
            ..owner
        };
        assert!(
            !outranks(&moderator, &admin),
            "an admin has an owner's rank"
        );
    }
}
