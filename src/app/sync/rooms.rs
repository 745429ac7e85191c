//! Rooms on the connection: the account's rooms after login, rooms it is
//! added to, the directory, making, joining and leaving rooms, and a
//! room's settings, members and roles. The components call these and show
//! what they answer; a refusal comes back as the server's text.

use crate::app::room_state::RoomMark;
use crate::app::state::{ChatState, View};
use crate::client::EmitError;
use crate::protocol::chat::{JoinRoom, LeaveRoom};
use crate::protocol::rooms::{
    CreateRoom, DirectoryEntry, DirectoryQuery, Invite, MyRooms, Role, RoomAdded, RoomDirectory,
    RoomInfo, RoomInfoRequest, RoomSettings, SetRole,
};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// "ann added you to #plans" (or without a name when the server gave none).
pub fn added_notice(added: &RoomAdded) -> String {
    match &added.by {
        Some(by) => format!("{by} added you to #{}", added.info.room),
        None => format!("You were added to #{}", added.info.room),
    }
}

/// Listens for the rooms this account is added to: each appears in the
/// list at once, with a notice saying who added it.
pub fn follow_rooms(state: ChatState) {
    state.client.on::<RoomAdded>(move |added| {
        let room = added.info.room.clone();
        state
            .room_state
            .set_mark(room.clone(), RoomMark::from(&added.info));
        // Back in a room one was removed from: the composer is back too.
        state.room_state.set_hold(room.clone(), None);
        state.rooms.update(|rooms| {
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        });
        state.room_state.notify(added_notice(&added));
    });
}

/// Asks what each room is when it is opened (its slow mode, the lock, the
/// role here), so the composer and the settings know.
pub fn follow_current_room(state: ChatState) {
    Effect::new(move |_| {
        let View::Room(room) = state.current.get() else {
            return;
        };
        if room.is_general() || state.me.with(Option::is_none) {
            return;
        }
        spawn_local(async move {
            if let Err(e) = room_info(state, room).await {
                leptos::logging::warn!("room-info failed: {e}");
            }
        });
    });
}

/// After an account joined: its rooms (`my-rooms`), with their kinds and
/// its roles, in the list.
pub fn load_my_rooms(state: ChatState) {
    if state.account.with_untracked(Option::is_none) {
        return;
    }
    spawn_local(async move {
        match state.client.emit_with_ack(&MyRooms {}).await {
            Ok(list) => {
                for room in &list.rooms {
                    state
                        .room_state
                        .set_mark(room.room.clone(), RoomMark::from(room));
                }
                state.rooms.update(|rooms| {
                    for room in list.rooms {
                        if !rooms.contains(&room.room) {
                            rooms.push(room.room);
                        }
                    }
                });
            }
            Err(e) => leptos::logging::warn!("my-rooms failed: {e}"),
        }
    });
}

/// The public rooms whose name or topic holds `query` (every one for an
/// empty query), most members first.
pub async fn search_directory(
    state: ChatState,
    query: &str,
) -> Result<Vec<DirectoryEntry>, String> {
    let query = if query.trim().is_empty() {
        None
    } else {
        Some(DirectoryQuery::parse(query).map_err(|e| e.to_string())?)
    };
    state
        .client
        .emit_with_ack(&RoomDirectory { query })
        .await
        .map(|d| d.rooms)
        .map_err(|e| e.to_string())
}

/// Makes a room and opens it.
pub async fn create_room(state: ChatState, create: CreateRoom) -> Result<RoomInfo, EmitError> {
    let info = state.client.emit_with_ack(&create).await?;
    remember(state, &info);
    state.open(View::Room(info.room.clone()));
    Ok(info)
}

/// Joins (or, for a free name, makes) a public room and opens it; a room
/// already in the list is only opened.
pub async fn join_room(state: ChatState, room: RoomName) -> Result<(), EmitError> {
    if !state.rooms.with_untracked(|r| r.contains(&room)) {
        state
            .client
            .emit_with_ack(&JoinRoom { room: room.clone() })
            .await?;
        state.room_state.set_hold(room.clone(), None);
    }
    state.open(View::Room(room));
    Ok(())
}

/// Leaves a room: out of the list, its messages forgotten here.
pub async fn leave_room(state: ChatState, room: RoomName) -> Result<(), EmitError> {
    state
        .client
        .emit_with_ack(&LeaveRoom { room: room.clone() })
        .await?;
    state.forget_room(&room);
    Ok(())
}

/// What a room is now; its mark follows.
pub async fn room_info(state: ChatState, room: RoomName) -> Result<RoomInfo, EmitError> {
    let info = state
        .client
        .emit_with_ack(&RoomInfoRequest { room })
        .await?;
    remember(state, &info);
    Ok(info)
}

/// Adds an account to a room; answers the server's confirmation.
pub async fn invite(
    state: ChatState,
    room: RoomName,
    username: Username,
) -> Result<String, EmitError> {
    let ok = state
        .client
        .emit_with_ack(&Invite { room, username })
        .await?;
    Ok(ok.message)
}

/// Names a moderator, makes one a member again, or hands the room over.
pub async fn set_role(
    state: ChatState,
    room: RoomName,
    username: Username,
    role: Role,
) -> Result<String, EmitError> {
    let ok = state
        .client
        .emit_with_ack(&SetRole {
            room,
            username,
            role,
        })
        .await?;
    Ok(ok.message)
}

/// Changes a room's settings; answers the room as it is now.
pub async fn change_settings(
    state: ChatState,
    settings: RoomSettings,
) -> Result<RoomInfo, EmitError> {
    let info = state.client.emit_with_ack(&settings).await?;
    remember(state, &info);
    Ok(info)
}

fn remember(state: ChatState, info: &RoomInfo) {
    state
        .room_state
        .set_mark(info.room.clone(), RoomMark::from(info));
}
