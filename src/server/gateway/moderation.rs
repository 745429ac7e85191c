//! Moderation on `/chat` (issue #14, phase 2): `room-members`,
//! `remove-member`, `ban`, `unban`, `mute`, `unmute`, `room-bans`,
//! `delete-message`, `audit-log`, and for server admins `ban-account`,
//! `unban-account`, `delete-room` (also the room's owner), `all-rooms`.
//! Who may send each is its guard's business (`guards/moderation.rs`).
//!
//! A removed or banned account's sockets leave the room (and its board) on
//! every node at once, through the adapter's broadcast, then get
//! `room-removed`; each node also reads the change from the database
//! (`changes.rs`) and makes its own sockets that may no longer read the
//! room leave it, should the broadcast not have reached it.

use super::emit::emit_to;
use super::guards::{
    account_named, Admin, AuditReader, Deleter, Drained, Moderator, Owner, Reader, Sanctioner,
    Signed,
};
use super::pipeline::{Ctx, Routes};
use super::rooms::{board_room, user_room};
use super::sessions::end_session;
use crate::protocol::ack::OkMessage;
use crate::protocol::chat::{SessionEnded, NAMESPACE};
use crate::protocol::limits::{MAX_AUDIT_ENTRIES, MAX_DIRECTORY_ROOMS, MAX_MEMBERS_LISTED};
use crate::protocol::message_changes::MessageChanged;
use crate::protocol::moderation::{
    account_banned, AllRoomList, AllRooms, AuditAction, AuditEntries, AuditLog, Ban, BanAccount,
    BanList, DeleteMessage, DeleteRoom, Lift, MemberList, MessageDeleted, Mute, Reason,
    RemoveMember, RoomBans, RoomMembers, RoomMuted, RoomRemoved, Sanction, Unban, UnbanAccount,
    Unmute, NOT_YOURSELF,
};
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Rooms};
use crate::server::store::{now_ms, Audit, RoomMeta, SanctionKind, Until, User};
use socketioxide::adapter::Adapter;

/// Registers the moderation events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Reads, room_members::<A>);
    r.on(Rooms, remove_member::<A>);
    r.on(Rooms, ban::<A>);
    r.on(Rooms, unban::<A>);
    r.on(Rooms, mute::<A>);
    r.on(Rooms, unmute::<A>);
    r.on(Reads, room_bans::<A>);
    r.on(Rooms, delete_message::<A>);
    r.on(Reads, audit_log::<A>);
    r.on(Rooms, ban_account::<A>);
    r.on(Rooms, unban_account::<A>);
    r.on(Rooms, delete_room::<A>);
    r.on(Reads, all_rooms::<A>);
}

/// An audit entry of `actor` on `target` in `meta`.
fn entry<'a>(
    actor: &User,
    action: AuditAction,
    meta: &'a RoomMeta,
    target: &User,
    reason: Option<&'a Reason>,
    detail: String,
) -> Audit<'a> {
    Audit {
        actor: actor.id,
        action,
        room: Some((meta.id, &meta.name)),
        target: Some(target.id),
        reason,
        detail,
    }
}

/// When a sanction of `minutes` (none: for good) given now ends.
fn until(minutes: Option<u32>) -> Until {
    match minutes {
        Some(m) => Until::At(now_ms() + i64::from(m) * 60_000),
        None => Until::Forever,
    }
}

/// Makes every socket of `account`, on every node, leave `room` and its
/// board, then tells them why.
async fn evict<A: Adapter>(cx: &Ctx<A>, account: i64, notice: &RoomRemoved) {
    let Some(chat) = cx.io.of(NAMESPACE) else {
        return;
    };
    let theirs = || chat.clone().within(user_room(account));
    for room in [notice.room.as_str().to_owned(), board_room(&notice.room)] {
        if let Err(e) = theirs().leave(room).await {
            tracing::warn!(error = %e, "cannot make a removed account's sockets leave a room");
        }
    }
    emit_to(theirs(), notice).await;
}

async fn room_members<A: Adapter>(
    cx: Ctx<A>,
    (_, Reader(meta, _)): (Drained, Reader),
    _: RoomMembers,
) -> Result<MemberList, Error> {
    let (members, total) = cx
        .state
        .store
        .room_members(meta.id, MAX_MEMBERS_LISTED)
        .await
        .internal("cannot read a room's members")?;
    Ok(MemberList { members, total })
}

/// `remove-member`: the account leaves the room's members and its sockets
/// leave the room.
async fn remove_member<A: Adapter>(
    cx: Ctx<A>,
    Sanctioner {
        meta,
        actor,
        target,
    }: Sanctioner,
    RemoveMember { room, reason, .. }: RemoveMember,
) -> Result<OkMessage, Error> {
    let audit = entry(
        &actor,
        AuditAction::Remove,
        &meta,
        &target,
        reason.as_ref(),
        String::new(),
    );
    let was = cx
        .state
        .store
        .remove_member(&meta, target.id, audit)
        .await
        .internal("cannot remove a member")?;
    if !was {
        return Err(Error::refused(format!(
            "{} is not a member of {room}",
            target.username
        )));
    }
    let notice = RoomRemoved {
        room: room.clone(),
        by: Some(actor.username),
        reason,
        banned: false,
        until: None,
        deleted: false,
    };
    evict(&cx, target.id, &notice).await;
    Ok(OkMessage::new(format!(
        "{} was removed from {room}",
        target.username
    )))
}

/// What a sanction's ack says of its end.
fn until_text(until: Until) -> String {
    match until.time() {
        Some(time) => format!(" until {time}"),
        None => String::new(),
    }
}

/// Bans or mutes the target of `who` as `sanction` says; when it ends.
async fn impose<A: Adapter>(
    cx: &Ctx<A>,
    who: &Sanctioner,
    kind: SanctionKind,
    sanction: &Sanction,
) -> Result<Until, Error> {
    let until = until(sanction.minutes);
    let action = match kind {
        SanctionKind::Ban => AuditAction::Ban,
        SanctionKind::Mute => AuditAction::Mute,
    };
    let reason = sanction.reason.as_ref();
    let audit = entry(
        &who.actor,
        action,
        &who.meta,
        &who.target,
        reason,
        until.text(),
    );
    cx.state
        .store
        .sanction(&who.meta, who.target.id, kind, until, reason, audit)
        .await
        .internal("cannot ban or mute an account")?;
    Ok(until)
}

async fn ban<A: Adapter>(cx: Ctx<A>, who: Sanctioner, Ban(ban): Ban) -> Result<OkMessage, Error> {
    let until = impose(&cx, &who, SanctionKind::Ban, &ban).await?;
    let notice = RoomRemoved {
        room: ban.room.clone(),
        by: Some(who.actor.username),
        reason: ban.reason,
        banned: true,
        until: until.time(),
        deleted: false,
    };
    evict(&cx, who.target.id, &notice).await;
    Ok(OkMessage::new(format!(
        "{} is banned from {}{}",
        who.target.username,
        ban.room,
        until_text(until)
    )))
}

async fn mute<A: Adapter>(
    cx: Ctx<A>,
    who: Sanctioner,
    Mute(mute): Mute,
) -> Result<OkMessage, Error> {
    let until = impose(&cx, &who, SanctionKind::Mute, &mute).await?;
    if let Some(chat) = cx.io.of(NAMESPACE) {
        let notice = RoomMuted {
            room: mute.room.clone(),
            muted: true,
            by: Some(who.actor.username),
            reason: mute.reason,
            until: until.time(),
        };
        emit_to(chat.to(user_room(who.target.id)), &notice).await;
    }
    Ok(OkMessage::new(format!(
        "{} is muted in {}{}",
        who.target.username,
        mute.room,
        until_text(until)
    )))
}

/// `unban`, `unmute`: lifts a sanction in force.
async fn lift<A: Adapter>(
    cx: &Ctx<A>,
    Sanctioner {
        meta,
        actor,
        target,
    }: Sanctioner,
    kind: SanctionKind,
) -> Result<bool, Error> {
    let action = match kind {
        SanctionKind::Ban => AuditAction::Unban,
        SanctionKind::Mute => AuditAction::Unmute,
    };
    let audit = entry(&actor, action, &meta, &target, None, String::new());
    cx.state
        .store
        .lift(&meta, target.id, kind, audit)
        .await
        .internal("cannot lift a sanction")
}

async fn unban<A: Adapter>(
    cx: Ctx<A>,
    who: Sanctioner,
    Unban(Lift { room, username }): Unban,
) -> Result<OkMessage, Error> {
    match lift(&cx, who, SanctionKind::Ban).await? {
        true => Ok(OkMessage::new(format!("{username} may join {room} again"))),
        false => Err(Error::refused(format!(
            "{username} is not banned from {room}"
        ))),
    }
}

async fn unmute<A: Adapter>(
    cx: Ctx<A>,
    who: Sanctioner,
    Unmute(Lift { room, username }): Unmute,
) -> Result<OkMessage, Error> {
    let target = who.target.id;
    let by = who.actor.username.clone();
    if !lift(&cx, who, SanctionKind::Mute).await? {
        return Err(Error::refused(format!("{username} is not muted in {room}")));
    }
    if let Some(chat) = cx.io.of(NAMESPACE) {
        let notice = RoomMuted {
            room: room.clone(),
            muted: false,
            by: Some(by),
            reason: None,
            until: None,
        };
        emit_to(chat.to(user_room(target)), &notice).await;
    }
    Ok(OkMessage::new(format!(
        "{username} may post in {room} again"
    )))
}

async fn room_bans<A: Adapter>(
    cx: Ctx<A>,
    (_, Moderator(meta)): (Signed, Moderator),
    _: RoomBans,
) -> Result<BanList, Error> {
    let bans = cx
        .state
        .store
        .room_bans(meta.id)
        .await
        .internal("cannot read a room's bans")?;
    Ok(BanList { bans })
}

/// `delete-message`: a tombstone in its place; everyone in the room is told.
async fn delete_message<A: Adapter>(
    cx: Ctx<A>,
    Deleter {
        meta,
        actor,
        as_moderator,
    }: Deleter,
    DeleteMessage { room, id }: DeleteMessage,
) -> Result<OkMessage, Error> {
    let audit = as_moderator.then(|| Audit {
        actor: actor.id,
        action: AuditAction::DeleteMessage,
        room: Some((meta.id, &meta.name)),
        target: None,
        reason: None,
        detail: format!("message {id}"),
    });
    let deleted = cx
        .state
        .store
        .delete_message(&meta, id, audit)
        .await
        .internal("cannot delete a message")?;
    let Some(deleted) = deleted else {
        return Err(Error::refused(format!(
            "{room} has no message {id} to delete"
        )));
    };
    let notice = MessageDeleted {
        room: room.clone(),
        id: deleted.id,
        seq: deleted.seq,
        by: Some(actor.username),
    };
    let within = || cx.socket.within(room.as_str().to_owned());
    emit_to(within(), &notice).await;
    emit_to(within(), &MessageChanged(deleted.state)).await;
    // A reply's thread counts one fewer.
    if let Some(root) = deleted.root {
        emit_to(within(), &MessageChanged(root)).await;
    }
    Ok(OkMessage::new("Message deleted"))
}

async fn audit_log<A: Adapter>(
    cx: Ctx<A>,
    AuditReader(meta): AuditReader,
    AuditLog { before, .. }: AuditLog,
) -> Result<AuditEntries, Error> {
    let entries = cx
        .state
        .store
        .audit_log(meta.map(|m| m.id), before, MAX_AUDIT_ENTRIES)
        .await
        .internal("cannot read the audit log")?;
    Ok(AuditEntries { entries })
}

/// `ban-account`: the account's sessions end, on every node.
async fn ban_account<A: Adapter>(
    cx: Ctx<A>,
    Admin(me): Admin,
    BanAccount { username, reason }: BanAccount,
) -> Result<OkMessage, Error> {
    let them = account_named(&cx, &username).await?;
    if them.id == me.id {
        return Err(Error::refused(NOT_YOURSELF));
    }
    let audit = Audit {
        actor: me.id,
        action: AuditAction::BanAccount,
        room: None,
        target: Some(them.id),
        reason: reason.as_ref(),
        detail: String::new(),
    };
    let sessions = cx
        .state
        .store
        .ban_account(them.id, reason.as_ref(), audit)
        .await
        .internal("cannot ban an account")?;
    let ended = SessionEnded {
        message: account_banned(reason.as_ref()),
    };
    for session in sessions {
        end_session(&cx.io, &session, &ended).await;
    }
    Ok(OkMessage::new(format!(
        "{} is banned from this server",
        them.username
    )))
}

async fn unban_account<A: Adapter>(
    cx: Ctx<A>,
    Admin(me): Admin,
    UnbanAccount { username }: UnbanAccount,
) -> Result<OkMessage, Error> {
    let them = account_named(&cx, &username).await?;
    let audit = Audit {
        actor: me.id,
        action: AuditAction::UnbanAccount,
        room: None,
        target: Some(them.id),
        reason: None,
        detail: String::new(),
    };
    let lifted = cx
        .state
        .store
        .unban_account(them.id, audit)
        .await
        .internal("cannot lift a server ban")?;
    match lifted {
        true => Ok(OkMessage::new(format!(
            "{} may log in again",
            them.username
        ))),
        false => Err(Error::refused(format!(
            "{} is not banned from this server",
            them.username
        ))),
    }
}

/// `delete-room`: everyone in it is told and leaves it, on every node;
/// then it is gone with its history and board.
async fn delete_room<A: Adapter>(
    cx: Ctx<A>,
    (Signed(me), Owner(meta)): (Signed, Owner),
    DeleteRoom { room, reason }: DeleteRoom,
) -> Result<OkMessage, Error> {
    let audit = Audit {
        actor: me.id,
        action: AuditAction::DeleteRoom,
        room: Some((meta.id, &meta.name)),
        target: None,
        reason: reason.as_ref(),
        detail: String::new(),
    };
    cx.state
        .store
        .delete_room(&meta, audit)
        .await
        .internal("cannot delete a room")?;
    let notice = RoomRemoved {
        room: room.clone(),
        by: Some(me.username),
        reason,
        banned: false,
        until: None,
        deleted: true,
    };
    if let Some(chat) = cx.io.of(NAMESPACE) {
        emit_to(chat.clone().within(room.as_str().to_owned()), &notice).await;
        for left in [room.as_str().to_owned(), board_room(&room)] {
            if let Err(e) = chat.clone().within(left.clone()).leave(left).await {
                tracing::warn!(error = %e, "cannot empty a deleted room");
            }
        }
    }
    Ok(OkMessage::new(format!("{room} was deleted")))
}

async fn all_rooms<A: Adapter>(
    cx: Ctx<A>,
    (_, Admin(_)): (Drained, Admin),
    AllRooms { query }: AllRooms,
) -> Result<AllRoomList, Error> {
    let rooms = cx
        .state
        .store
        .all_rooms(query.as_ref(), MAX_DIRECTORY_ROOMS)
        .await
        .internal("cannot list the rooms")?;
    Ok(AllRoomList { rooms })
}
