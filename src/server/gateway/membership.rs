//! Rooms, memberships and roles, on `/chat` (issue #14): `create-room`,
//! `room-directory`, `my-rooms`, `room-info`, `invite`, `set-role`,
//! `room-settings`. Who may send each is its guard's business
//! (`guards.rs`); the handlers only do it.

use super::emit::emit_to;
use super::guards::{account_named, Drained, Inviter, Moderator, Owner, Reader, Signed};
use super::pipeline::{Ctx, Routes};
use super::rooms::{joined_rooms, user_room};
use crate::protocol::ack::OkMessage;
use crate::protocol::chat::NAMESPACE;
use crate::protocol::limits::{MAX_DIRECTORY_ROOMS, MAX_JOINED_ROOMS};
use crate::protocol::moderation::AuditAction;
use crate::protocol::rooms::{
    self, CreateRoom, Directory, Invite, MyRoomList, MyRooms, Role, RoomAdded, RoomDirectory,
    RoomInfo, RoomInfoRequest, RoomKind, RoomSettings, SetRole,
};
use crate::protocol::{RoomName, Username};
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Rooms};
use crate::server::store::{Added, Audit, Created, RoleSet, RoomMeta};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

/// Registers the room events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Rooms, create_room::<A>);
    r.on(Reads, room_directory::<A>);
    r.on(Reads, my_rooms::<A>);
    r.on(Reads, room_info::<A>);
    r.on(Rooms, invite::<A>);
    r.on(Rooms, set_role::<A>);
    r.on(Rooms, room_settings::<A>);
}

/// The refusal of a membership past [`MAX_JOINED_ROOMS`] of one's own.
pub fn keeps_too_many() -> String {
    format!(
        "Your account keeps {MAX_JOINED_ROOMS} rooms besides general, the most it may: leave one first"
    )
}

/// A room's [`RoomInfo`], with the role in it of `account`, if any.
pub async fn info_of<A: Adapter>(
    cx: &Ctx<A>,
    meta: &RoomMeta,
    account: Option<i64>,
) -> Result<RoomInfo, Error> {
    let store = &cx.state.store;
    let Some(mut info) = store
        .room_info(meta.id)
        .await
        .internal("cannot read a room")?
    else {
        return Err(Error::refused(rooms::no_such_room(&meta.name)));
    };
    if let Some(account) = account {
        info.role = store
            .role_of(meta.id, account)
            .await
            .internal("cannot look a membership up")?;
    }
    Ok(info)
}

/// Puts `socket` in `room` unless it is in as many rooms as one socket may
/// be already (the room is then entered on its next `join`, or by
/// `join-room`).
fn enter<A: Adapter>(socket: &SocketRef<A>, meta: &RoomMeta) {
    let (joined, already) = joined_rooms(socket, meta.name.as_str());
    if already || joined < MAX_JOINED_ROOMS {
        socket.join(meta.name.as_str().to_owned());
    }
}

/// `create-room`: a new room, its creator its owner; the creating socket
/// enters it.
async fn create_room<A: Adapter>(
    cx: Ctx<A>,
    Signed(me): Signed,
    create: CreateRoom,
) -> Result<RoomInfo, Error> {
    let made = cx
        .state
        .store
        .create_room(crate::server::store::NewRoom {
            name: &create.room,
            kind: create.kind(),
            topic: &create.topic,
            accounts_only: create.accounts_only,
            creator: me.id,
        })
        .await
        .internal("cannot make a room")?;
    let meta = match made {
        Created::Yes(meta) => meta,
        Created::Taken => return Err(Error::refused(rooms::name_taken(&create.room))),
        Created::Full => return Err(Error::refused(keeps_too_many())),
    };
    enter(&cx.socket, &meta);
    tracing::info!(sid = %cx.socket.id, kind = meta.kind.as_str(), "made a room");
    info_of(&cx, &meta, Some(me.id)).await
}

async fn room_directory<A: Adapter>(
    cx: Ctx<A>,
    _: Drained,
    RoomDirectory { query }: RoomDirectory,
) -> Result<Directory, Error> {
    let rooms = cx
        .state
        .store
        .directory(query.as_ref(), MAX_DIRECTORY_ROOMS)
        .await
        .internal("cannot read the room directory")?;
    Ok(Directory { rooms })
}

async fn my_rooms<A: Adapter>(
    cx: Ctx<A>,
    Signed(me): Signed,
    _: MyRooms,
) -> Result<MyRoomList, Error> {
    let rooms = cx
        .state
        .store
        .memberships_of(me.id)
        .await
        .internal("cannot read memberships")?;
    Ok(MyRoomList { rooms })
}

async fn room_info<A: Adapter>(
    cx: Ctx<A>,
    Reader(meta, _): Reader,
    _: RoomInfoRequest,
) -> Result<RoomInfo, Error> {
    let account = Identity::of(&cx.socket).user_id();
    info_of(&cx, &meta, account).await
}

/// `invite`: the account becomes a member; each of its logged-in `/chat`
/// sockets enters the room and gets `room-added`.
async fn invite<A: Adapter>(
    cx: Ctx<A>,
    (Signed(me), Inviter(meta)): (Signed, Inviter),
    Invite { room, username }: Invite,
) -> Result<OkMessage, Error> {
    let them = account_named(&cx, &username).await?;
    let added = cx
        .state
        .store
        .add_member(meta.id, them.id)
        .await
        .internal("cannot add a member")?;
    match added {
        Added::Yes => {}
        Added::Already => {
            return Err(Error::refused(format!(
                "{} is a member of {room} already",
                them.username
            )))
        }
        Added::Banned => {
            return Err(Error::refused(format!(
                "{} is banned from {room}: lift the ban first (unban)",
                them.username
            )))
        }
        Added::Full => {
            return Err(Error::refused(format!(
            "{} keeps {MAX_JOINED_ROOMS} rooms, the most an account may: they must leave one first",
            them.username
        )))
        }
    }
    welcome(&cx, &meta, them.id, Some(me.username)).await?;
    Ok(OkMessage::new(rooms::invited(&them.username, &room)))
}

/// What follows an account's becoming a member of `meta` (`invite`,
/// `accept-invite`): each of its logged-in `/chat` sockets enters the
/// room and gets `room-added` (with `by`, who added it, if someone did).
/// Gives the room's [`RoomInfo`] with the account's role.
pub async fn welcome<A: Adapter>(
    cx: &Ctx<A>,
    meta: &RoomMeta,
    account: i64,
    by: Option<Username>,
) -> Result<RoomInfo, Error> {
    let info = info_of(cx, meta, Some(account)).await?;
    if let Some(chat) = cx.io.of(NAMESPACE) {
        // In the room before they are told, so that nothing posted after
        // `room-added` misses them.
        if let Err(e) = chat
            .clone()
            .within(user_room(account))
            .join(meta.name.as_str().to_owned())
            .await
        {
            tracing::warn!(error = %e, "cannot put an invited account's sockets in the room");
        }
        let added = RoomAdded {
            info: info.clone(),
            by,
        };
        emit_to(chat.to(user_room(account)), &added).await;
    }
    Ok(info)
}

/// `set-role`: names a moderator, makes one a member again, or hands the
/// room over.
async fn set_role<A: Adapter>(
    cx: Ctx<A>,
    (Signed(me), Owner(meta)): (Signed, Owner),
    SetRole {
        room,
        username,
        role,
    }: SetRole,
) -> Result<OkMessage, Error> {
    let them = account_named(&cx, &username).await?;
    let audit = Audit {
        actor: me.id,
        action: AuditAction::SetRole,
        room: Some((meta.id, &meta.name)),
        target: Some(them.id),
        reason: None,
        detail: role.as_str().to_owned(),
    };
    let set = cx
        .state
        .store
        .set_role(meta.id, them.id, role, Some(audit))
        .await
        .internal("cannot change a role")?;
    match set {
        RoleSet::Yes => Ok(OkMessage::new(rooms::role_set(&them.username, role, &room))),
        RoleSet::NotMember => Err(Error::refused(format!(
            "{} is not a member of {room}: invite them first",
            them.username
        ))),
        RoleSet::KeepsOwner => Err(Error::refused(format!(
            "{} owns {room}: hand it over first (set-role {} to another member)",
            them.username,
            Role::Owner.as_str()
        ))),
    }
}

/// `room-settings`: changes what is given; answers the room as it is now.
async fn room_settings<A: Adapter>(
    cx: Ctx<A>,
    (Signed(me), Moderator(meta)): (Signed, Moderator),
    settings: RoomSettings,
) -> Result<RoomInfo, Error> {
    if meta.kind == RoomKind::Private && settings.accounts_only == Some(false) {
        return Err(Error::refused(format!(
            "{} is a private room, which is always for accounts only",
            settings.room
        )));
    }
    let audit = Audit {
        actor: me.id,
        action: AuditAction::Settings,
        room: Some((meta.id, &meta.name)),
        target: None,
        reason: None,
        detail: settings_detail(&settings),
    };
    cx.state
        .store
        .change_settings(&meta, &settings, audit)
        .await
        .internal("cannot change a room's settings")?;
    info_of(&cx, &meta, Some(me.id)).await
}

/// What a `room-settings` changed, for the audit log: `topic, locked=true`.
fn settings_detail(settings: &RoomSettings) -> String {
    let mut changed = Vec::new();
    if settings.topic.is_some() {
        changed.push("topic".to_owned());
    }
    let flags = [
        ("accountsOnly", settings.accounts_only),
        ("archived", settings.archived),
        ("locked", settings.locked),
    ];
    for (name, value) in flags {
        if let Some(value) = value {
            changed.push(format!("{name}={value}"));
        }
    }
    if let Some(by) = settings.invites_by {
        changed.push(format!("invitesBy={}", by.as_str()));
    }
    if let Some(seconds) = settings.slow_seconds {
        changed.push(format!("slowSeconds={seconds}"));
    }
    changed.join(", ")
}

/// Whether `room` is one no socket of this node is in (a room left by its
/// last socket here may go, if it holds nothing).
pub fn deserted<A: Adapter>(cx: &Ctx<A>, room: &RoomName) -> bool {
    cx.io
        .of(NAMESPACE)
        .is_none_or(|chat| chat.within(room.as_str().to_owned()).sockets().is_empty())
}
