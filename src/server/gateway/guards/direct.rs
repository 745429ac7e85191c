//! The guards of changes to direct messages (issue #15): who may change a
//! direct message, react to one, read its earlier versions and its
//! conversation's change feed. Guests have no direct messages: every one
//! of these events is refused to them before its payload is read.

use super::{logged_in, LOG_IN_FOR_DMS};
use crate::protocol::direct_changes::{DeleteDm, DmChanges, DmVersions, EditDm, ReactDm};
use crate::protocol::{ClientEvent, Username};
use crate::server::error::{Error, Internal};
use crate::server::gateway::pipeline::{Ctx, Guard};
use crate::server::store::User;
use serde_json::Value;
use socketioxide::adapter::Adapter;

/// An event about the conversation with one person, `with`.
pub trait AboutConversation: ClientEvent {
    fn with(&self) -> &Username;
}

macro_rules! about_conversation {
    ($($event:ty),*) => {$(
        impl AboutConversation for $event {
            fn with(&self) -> &Username {
                &self.with
            }
        }
    )*};
}

about_conversation!(EditDm, DeleteDm, ReactDm, DmVersions, DmChanges);

/// An event that only the author of a direct message may send.
pub trait ByDmAuthor: AboutConversation {
    /// The message it is about.
    fn dm_id(&self) -> i64;
    /// What is refused to the other person: `Only its author may <this>`.
    const ONLY_THE_AUTHOR_MAY: &'static str;
    /// Whether a deleted message still counts (deleting again is
    /// harmless; editing a tombstone or reading its versions is not).
    const DELETED_TOO: bool = false;
}

impl ByDmAuthor for EditDm {
    fn dm_id(&self) -> i64 {
        self.id
    }
    const ONLY_THE_AUTHOR_MAY: &'static str = "edit a direct message";
}

impl ByDmAuthor for DeleteDm {
    fn dm_id(&self) -> i64 {
        self.id
    }
    const ONLY_THE_AUTHOR_MAY: &'static str = "delete a direct message";
    const DELETED_TOO: bool = true;
}

impl ByDmAuthor for DmVersions {
    fn dm_id(&self) -> i64 {
        self.id
    }
    const ONLY_THE_AUTHOR_MAY: &'static str = "see a direct message's earlier versions";
}

/// The refusal of a message the conversation does not hold (or holds no
/// more): the same for a third person, who has no such conversation.
pub fn no_dm(with: &Username, id: i64) -> Error {
    Error::refused(format!("Your conversation with {with} has no message {id}"))
}

/// The account `event` names as the other person, or the refusal to say
/// there is none.
async fn other_person<A: Adapter, E: AboutConversation>(
    cx: &Ctx<A>,
    event: &E,
) -> Result<User, Error> {
    let name = event.with();
    cx.state
        .store
        .user_by_name(name)
        .await
        .internal("cannot look up a user")?
        .ok_or_else(|| Error::refused(format!("{}: no registered user is named {name}", E::NAME)))
}

/// `react-dm`, `dm-changes`: a logged-in account and the account it names
/// as the other person of the conversation (itself for notes to self).
/// Whether the conversation holds the message is the store's to say, in
/// the change's transaction: a third person finds none.
pub struct Conversation {
    pub me: User,
    pub other: User,
}

impl<A: Adapter, E: AboutConversation + Sync> Guard<A, E> for Conversation {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_FOR_DMS)
    }

    async fn admit(me: User, cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let other = other_person(cx, event).await?;
        Ok(Conversation { me, other })
    }
}

/// `edit-dm`, `delete-dm`, `dm-versions`: [`Conversation`], and the
/// message is the account's own. The store checks it again in the
/// change's transaction.
pub struct DmAuthor {
    pub me: User,
    pub other: User,
}

impl<A: Adapter, E: ByDmAuthor + Sync> Guard<A, E> for DmAuthor {
    type Before = User;

    fn before(cx: &Ctx<A>, _: Option<&Value>) -> Result<User, Error> {
        logged_in(cx, LOG_IN_FOR_DMS)
    }

    async fn admit(me: User, cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        let other = other_person(cx, event).await?;
        let id = event.dm_id();
        let authorship = cx
            .state
            .store
            .dm_author(&me, &other, id)
            .await
            .internal("cannot look a direct message up")?;
        match authorship {
            Some(a) if a.deleted && !E::DELETED_TOO => Err(no_dm(&other.username, id)),
            Some(a) if a.sender == me.id => Ok(DmAuthor { me, other }),
            Some(_) => Err(Error::refused(format!(
                "Only its author may {}",
                E::ONLY_THE_AUTHOR_MAY
            ))),
            None => Err(no_dm(&other.username, id)),
        }
    }
}
