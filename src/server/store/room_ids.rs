//! The writer's cache of room ids, by name: bounded, so that messages to
//! ever more room names cannot grow it without end. A room that fell out
//! is looked up again (two statements) the next time it gets a message.

use crate::protocol::RoomName;
use hashlink::LruCache;

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

#[cfg(test)]
mod tests {
    use super::*;

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
