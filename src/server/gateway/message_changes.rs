//! Changes to room messages (issue #15): `edit-message`, `react`,
//! `message-versions` and the change feed `changes`. A change is stored
//! (`store::message_changes`), then everyone in the room, on every node,
//! gets the message's new state as `message-changed`; a client that was
//! away asks `changes` for what it missed.

use super::emit::emit_to;
use super::guards::{Drained, Editor, Joined, Reactor, Reader, VersionReader};
use super::pipeline::{Ctx, Routes};
use crate::protocol::limits::MAX_REACTIONS_PER_MESSAGE;
use crate::protocol::message_changes::{
    ChangeApplied, ChangePage, Changes, EditMessage, MessageChanged, MessageVersions, Versions,
};
use crate::protocol::reactions::{too_many_reactions, React};
use crate::protocol::RoomName;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Sends};
use crate::server::store::Changed;
use socketioxide::adapter::Adapter;

/// Registers the message change events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Sends, edit_message::<A>);
    r.on(Sends, react::<A>);
    r.on(Reads, message_versions::<A>);
    r.on(Reads, changes::<A>);
}

/// Tells the room of a change, and answers its sender.
async fn answer<A: Adapter>(
    cx: &Ctx<A>,
    room: &RoomName,
    id: i64,
    changed: Changed,
    done: &str,
) -> Result<ChangeApplied, Error> {
    match changed {
        Changed::Applied(state) => {
            // The sender is in the room: it gets the event before the ack.
            emit_to(
                cx.socket.within(room.as_str().to_owned()),
                &MessageChanged(state.clone()),
            )
            .await;
            Ok(ChangeApplied {
                message: done.to_owned(),
                state,
            })
        }
        Changed::Unchanged(state) => Ok(ChangeApplied {
            message: "Nothing to change".to_owned(),
            state,
        }),
        Changed::Gone => Err(Error::refused(format!("{room} has no message {id}"))),
        Changed::TooManyReactions => Err(Error::refused(too_many_reactions(
            MAX_REACTIONS_PER_MESSAGE,
        ))),
    }
}

async fn edit_message<A: Adapter>(
    cx: Ctx<A>,
    Editor { meta, actor }: Editor,
    edit: EditMessage,
) -> Result<ChangeApplied, Error> {
    let changed = cx
        .state
        .store
        .edit_message(
            &meta,
            edit.id,
            actor.id,
            &edit.message,
            edit.client_id.as_ref(),
        )
        .await
        .internal("cannot edit a message")?;
    answer(&cx, &edit.room, edit.id, changed, "Message edited").await
}

async fn react<A: Adapter>(
    cx: Ctx<A>,
    Reactor { meta, actor }: Reactor,
    react: React,
) -> Result<ChangeApplied, Error> {
    let changed = cx
        .state
        .store
        .react(
            &meta,
            react.id,
            actor.id,
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
    answer(&cx, &react.room, react.id, changed, done).await
}

async fn message_versions<A: Adapter>(
    cx: Ctx<A>,
    VersionReader(meta): VersionReader,
    MessageVersions { room, id }: MessageVersions,
) -> Result<Versions, Error> {
    let versions = cx
        .state
        .store
        .message_versions(meta.id, id)
        .await
        .internal("cannot read a message's versions")?;
    Ok(Versions { room, id, versions })
}

async fn changes<A: Adapter>(
    cx: Ctx<A>,
    _: ((Joined, Drained), Reader),
    request: Changes,
) -> Result<ChangePage, Error> {
    let (messages, last, has_more) = cx
        .state
        .store
        .changes_after(&request.room, request.after, request.limit())
        .await
        .internal("cannot read a room's changes")?;
    Ok(ChangePage {
        room: request.room,
        messages,
        last,
        has_more,
    })
}
