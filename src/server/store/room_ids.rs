//! The writer's cache of room ids, by name: bounded, so that messages to
//! ever more room names cannot grow it without end. A room that fell out
//! is looked up again (two statements) the next time it gets a message.
//!
//! Also [`RoomMetas`], the store's cache of what each room is (its kind and
//! flags), which the gateway's guards read on every event that names a
//! room: bounded the same way, and kept right by the store itself, which
//! is the only place that changes a room (see `membership.rs`).

use crate::protocol::rooms::{InvitesBy, RoomKind};
use crate::protocol::RoomName;
use hashlink::LruCache;
use std::sync::{Mutex, MutexGuard};

/// Room ids kept: far more than the rooms active at once on a busy
/// server, and more than the distinct rooms of one batch of the writer
/// (256 messages), which must all be in the cache at once.
pub(super) const CACHED_ROOMS: usize = 4096;

/// The least recently used room goes first.
pub(super) struct RoomIds(LruCache<RoomName, i64>);

impl Default for RoomIds {
    fn default() -> Self {
        Self(LruCache::new(CACHED_ROOMS))
    }
}

impl RoomIds {
    /// Whether `room` is cached; if so it becomes the most recently used
    /// (a batch asks for each of its rooms first, then reads them all).
    pub(super) fn contains_key(&mut self, room: &RoomName) -> bool {
        self.0.get(room).is_some()
    }

    pub(super) fn get(&self, room: &RoomName) -> Option<&i64> {
        self.0.peek(room)
    }

    pub(super) fn insert(&mut self, room: RoomName, id: i64) {
        self.0.insert(room, id);
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

/// What a room is, as the guards need it on every event: one row of
/// `rooms` without its topic and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMeta {
    pub id: i64,
    pub name: RoomName,
    pub kind: RoomKind,
    pub archived: bool,
    pub accounts_only: bool,
    pub invites_by: InvitesBy,
    /// Slow mode: seconds between two posts of a member (0: off).
    pub slow_seconds: u32,
    /// Only moderators may post.
    pub locked: bool,
}

/// The store's cache of [`RoomMeta`]s, by name, least recently used going
/// first past [`CACHED_ROOMS`]. Only rooms that exist are kept; every
/// change of a room (made, its settings changed, deleted) goes through the
/// store, which updates or drops its entry in the same call.
pub(super) struct RoomMetas(Mutex<LruCache<RoomName, RoomMeta>>);

impl Default for RoomMetas {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(CACHED_ROOMS)))
    }
}

impl RoomMetas {
    fn lock(&self) -> MutexGuard<'_, LruCache<RoomName, RoomMeta>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn get(&self, room: &RoomName) -> Option<RoomMeta> {
        self.lock().get(room).cloned()
    }

    pub(super) fn put(&self, meta: RoomMeta) {
        self.lock().insert(meta.name.clone(), meta);
    }

    pub(super) fn forget(&self, room: &RoomName) {
        self.lock().remove(room);
    }

    pub(super) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_metas_are_bounded_and_forgotten() {
        let room = |i: usize| RoomName::parse(&format!("r{i}")).unwrap();
        let meta = |i: usize| RoomMeta {
            id: i as i64,
            name: room(i),
            kind: RoomKind::Public,
            archived: false,
            accounts_only: false,
            invites_by: InvitesBy::Members,
            slow_seconds: 0,
            locked: false,
        };
        let metas = RoomMetas::default();
        for i in 0..=CACHED_ROOMS {
            metas.put(meta(i));
        }
        assert_eq!(metas.get(&room(0)), None);
        assert_eq!(metas.get(&room(1)), Some(meta(1)));
        metas.forget(&room(1));
        assert_eq!(metas.get(&room(1)), None);
        metas.clear();
        assert_eq!(metas.get(&room(2)), None);
    }

    #[test]
    fn the_least_recently_used_room_goes_first() {
        let room = |i: usize| RoomName::parse(&format!("r{i}")).unwrap();
        let mut ids = RoomIds::default();
        for i in 0..CACHED_ROOMS {
            ids.insert(room(i), i as i64);
        }
        // r0 asked for: r1 is now the oldest.
        assert!(ids.contains_key(&room(0)));
        ids.insert(room(CACHED_ROOMS), 0);
        assert_eq!(ids.len(), CACHED_ROOMS);
        assert!(ids.get(&room(0)).is_some());
        assert!(ids.get(&room(1)).is_none());
    }
}
