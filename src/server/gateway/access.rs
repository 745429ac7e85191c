//! Who may do what in a room: what the room guards (`guards.rs`) ask.
//!
//! Kept fast for the hot path: what a room is (its kind and flags) comes
//! from the store's cache (`Store::room_meta`: no query once a room is
//! cached, the store updates it with every change it makes), and the
//! private rooms a socket was found to belong to are kept on the socket
//! ([`Admitted`], like its open boards). So a message to a public room, or
//! to a private room the socket was admitted to, costs no query. Nobody
//! loses a membership in this phase (no removal yet, and leaving a private
//! room keeps it), so an admission stays right for the socket's life.

use super::pipeline::Ctx;
use crate::protocol::rooms::{Role, RoomKind};
use crate::protocol::RoomName;
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::store::RoomMeta;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

/// Most private rooms one socket keeps admissions for (a member belongs
/// to at most 100; an admin may read any number, and is looked up again
/// once past this).
const MOST_ADMITTED: usize = 256;

/// The private rooms a socket may read, found so: kept in its extensions.
#[derive(Debug, Default)]
pub struct Admitted(Mutex<HashSet<RoomName>>);

impl Admitted {
    fn lock(&self) -> MutexGuard<'_, HashSet<RoomName>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn contains(&self, room: &RoomName) -> bool {
        self.lock().contains(room)
    }

    pub fn insert(&self, room: RoomName) {
        let mut admitted = self.lock();
        if admitted.len() >= MOST_ADMITTED {
            admitted.clear();
        }
        admitted.insert(room);
    }
}

/// The admissions of `socket` (made with it, by `chat::attach`).
pub fn admitted<A: Adapter>(socket: &SocketRef<A>) -> Option<Arc<Admitted>> {
    socket.extensions.get::<Arc<Admitted>>()
}

/// What `room` is, or `None` when no room has that name. Should the
/// database fail, the client is told `unavailable`.
pub async fn meta<A: Adapter>(
    cx: &Ctx<A>,
    room: &RoomName,
    unavailable: &'static str,
) -> Result<Option<RoomMeta>, Error> {
    cx.state
        .store
        .room_meta(room)
        .await
        .internal_answer("cannot look a room up", unavailable)
}

/// Whether the socket may read the room `meta`: any room that is public;
/// a private one if its account belongs to it or is a server admin.
pub async fn may_read<A: Adapter>(cx: &Ctx<A>, meta: &RoomMeta) -> Result<bool, Error> {
    if meta.kind == RoomKind::Public {
        return Ok(true);
    }
    if Identity::of(&cx.socket).user_id().is_none() {
        return Ok(false);
    }
    let admitted = admitted(&cx.socket);
    if admitted.as_ref().is_some_and(|a| a.contains(&meta.name)) {
        return Ok(true);
    }
    let may = rank(cx, meta).await?.is_some();
    if let (true, Some(admitted)) = (may, admitted) {
        admitted.insert(meta.name.clone());
    }
    Ok(may)
}

/// The socket's account's powers in the room `meta`: its role there, or an
/// owner's for a server admin; `None` for a guest or a non-member.
pub async fn rank<A: Adapter>(cx: &Ctx<A>, meta: &RoomMeta) -> Result<Option<Role>, Error> {
    let Some(account) = Identity::of(&cx.socket).user_id() else {
        return Ok(None);
    };
    let store = &cx.state.store;
    let role = store
        .role_of(meta.id, account)
        .await
        .internal("cannot look a membership up")?;
    if role == Some(Role::Owner) {
        return Ok(role);
    }
    let admin = store
        .is_admin(account)
        .await
        .internal("cannot look an account up")?;
    Ok(if admin { Some(Role::Owner) } else { role })
}
