//! Who may do what in a room: what the room guards (`guards.rs`) ask.
//!
//! Kept fast for the hot path: what a room is (its kind and flags) comes
//! from the store's cache (`Store::room_meta`), and so do an account's
//! standing in it (role, ban, mute: `Store::standing`) and whether it is a
//! server admin (`Store::is_admin`). The store drops an entry with every
//! change it makes, and every node drops its entries for the changes it
//! reads from the database's feed of room changes (`changes.rs`), so a
//! message to a room costs no query once these are cached, and a ban or a
//! removal holds on every node within that feed's period.

use super::pipeline::Ctx;
use crate::protocol::rooms::{Role, RoomKind};
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::store::{now_ms, RoomMeta, Standing, Store, StoreError, Until};
use socketioxide::adapter::Adapter;

/// What a room is, or `None` when no room has that name. Should the
/// database fail, the client is told `unavailable`.
pub async fn meta<A: Adapter>(
    cx: &Ctx<A>,
    room: &crate::protocol::RoomName,
    unavailable: &'static str,
) -> Result<Option<RoomMeta>, Error> {
    cx.state
        .store
        .room_meta(room)
        .await
        .internal_answer("cannot look a room up", unavailable)
}

/// How a socket stands in a room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    /// Its account's powers there: its role, or an owner's for a server
    /// admin; `None` for a guest or an account with no role.
    pub rank: Option<Role>,
    /// Its account's standing (all `None` for a guest).
    pub standing: Standing,
    /// Its account is a server admin.
    pub admin: bool,
}

impl View {
    /// The ban in force, unless a server admin (whom nothing keeps out).
    pub fn ban(&self) -> Option<Until> {
        (!self.admin).then(|| self.standing.ban(now_ms())).flatten()
    }

    /// The mute in force, unless a moderator or above.
    pub fn mute(&self) -> Option<Until> {
        match self.rank {
            Some(r) if r >= Role::Moderator => None,
            _ => self.standing.mute(now_ms()),
        }
    }

    /// Whether it may read `meta` at all: a public room unless banned, a
    /// private room with a role there (or as a server admin).
    pub fn may_read(&self, meta: &RoomMeta) -> bool {
        match meta.kind {
            RoomKind::Public => self.ban().is_none(),
            RoomKind::Private => self.rank.is_some(),
        }
    }

    /// Whether its posts are exempt from the lock and slow mode.
    pub fn moderates(&self) -> bool {
        self.rank.is_some_and(|r| r >= Role::Moderator)
    }
}

/// How `account` (`None`: a guest) stands in the room `meta`.
pub async fn view_of(
    store: &Store,
    meta: &RoomMeta,
    account: Option<i64>,
) -> Result<View, StoreError> {
    let Some(account) = account else {
        return Ok(View::default());
    };
    let standing = store.standing(meta.id, account).await?;
    let admin = store.is_admin(account).await?;
    Ok(View {
        rank: if admin {
            Some(Role::Owner)
        } else {
            standing.role
        },
        standing,
        admin,
    })
}

/// How the socket stands in the room `meta`.
pub async fn view<A: Adapter>(cx: &Ctx<A>, meta: &RoomMeta) -> Result<View, Error> {
    let account = Identity::of(&cx.socket).user_id();
    view_of(&cx.state.store, meta, account)
        .await
        .internal("cannot look a membership up")
}
