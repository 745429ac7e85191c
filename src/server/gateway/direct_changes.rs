//! Changes to direct messages (issue #15): `edit-dm`, `delete-dm`,
//! `react-dm`, `dm-versions` and the change feed `dm-changes`. A change is
//! stored (`store::direct_changes`), then every socket of both people, on
//! every node, gets the message's new state as `dm-changed`; a client that
//! was away asks `dm-changes` for what it missed.

use super::emit::emit_to;
use super::guards::{no_dm, Conversation, DmAuthor, Drained};
use super::pipeline::{Ctx, Routes};
use super::rooms::user_room;
use crate::protocol::direct_changes::{
    DeleteDm, DmChangeApplied, DmChangePage, DmChanged, DmChanges, DmVersionList, DmVersions,
    EditDm, ReactDm,
};
use crate::protocol::limits::MAX_REACTIONS_PER_MESSAGE;
use crate::protocol::reactions::too_many_reactions;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Sends};
use crate::server::store::{DmChange, User};
use socketioxide::adapter::Adapter;

/// Registers the direct-message change events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Sends, edit_dm::<A>);
    r.on(Sends, delete_dm::<A>);
    r.on(Sends, react_dm::<A>);
    r.on(Reads, dm_versions::<A>);
    r.on(Reads, dm_changes::<A>);
}

/// Tells both people of a change (every socket of each, on every node),
/// and answers its sender.
async fn answer<A: Adapter>(
    cx: &Ctx<A>,
    (me, other): (&User, &User),
    id: i64,
    changed: DmChange,
    done: &str,
) -> Result<DmChangeApplied, Error> {
    match changed {
        DmChange::Applied(state) => {
            // The sender's socket is among them: it gets the event before
            // the ack.
            emit_to(
                cx.socket
                    .within(user_room(me.id))
                    .within(user_room(other.id)),
                &DmChanged(state.clone()),
            )
            .await;
            Ok(DmChangeApplied {
                message: done.to_owned(),
                state,
            })
        }
        DmChange::Unchanged(state) => Ok(DmChangeApplied {
            message: "Nothing to change".to_owned(),
            state,
        }),
        DmChange::Gone => Err(no_dm(&other.username, id)),
        DmChange::TooManyReactions => Err(Error::refused(too_many_reactions(
            MAX_REACTIONS_PER_MESSAGE,
        ))),
    }
}

async fn edit_dm<A: Adapter>(
    cx: Ctx<A>,
    DmAuthor { me, other }: DmAuthor,
    edit: EditDm,
) -> Result<DmChangeApplied, Error> {
    let changed = cx
        .state
        .store
        .edit_dm(&me, &other, edit.id, &edit.message, edit.client_id.as_ref())
        .await
        .internal("cannot edit a direct message")?;
    answer(&cx, (&me, &other), edit.id, changed, "Message edited").await
}

async fn delete_dm<A: Adapter>(
    cx: Ctx<A>,
    DmAuthor { me, other }: DmAuthor,
    delete: DeleteDm,
) -> Result<DmChangeApplied, Error> {
    let changed = cx
        .state
        .store
        .delete_dm(&me, &other, delete.id)
        .await
        .internal("cannot delete a direct message")?;
    answer(&cx, (&me, &other), delete.id, changed, "Message deleted").await
}

async fn react_dm<A: Adapter>(
    cx: Ctx<A>,
    Conversation { me, other }: Conversation,
    react: ReactDm,
) -> Result<DmChangeApplied, Error> {
    let changed = cx
        .state
        .store
        .react_dm(
            &me,
            &other,
            react.id,
            &react.emoji,
            react.on,
            react.client_id.as_ref(),
        )
        .await
        .internal("cannot store a reaction")?;
    let done = match react.on {
        true => "Reaction added",
        false => "Reaction removed",
    };
    answer(&cx, (&me, &other), react.id, changed, done).await
}

async fn dm_versions<A: Adapter>(
    cx: Ctx<A>,
    DmAuthor { me, other }: DmAuthor,
    DmVersions { id, .. }: DmVersions,
) -> Result<DmVersionList, Error> {
    let versions = cx
        .state
        .store
        .dm_versions(&me, &other, id)
        .await
        .internal("cannot read a direct message's versions")?;
    Ok(DmVersionList {
        with: other.username,
        id,
        versions,
    })
}

async fn dm_changes<A: Adapter>(
    cx: Ctx<A>,
    (Conversation { me, other }, Drained): (Conversation, Drained),
    request: DmChanges,
) -> Result<DmChangePage, Error> {
    let (messages, last, has_more) = cx
        .state
        .store
        .dm_changes_after(&me, &other, request.after, request.limit())
        .await
        .internal("cannot read a conversation's changes")?;
    Ok(DmChangePage {
        with: other.username,
        messages,
        last,
        has_more,
    })
}
