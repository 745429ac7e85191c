//! Slow mode (`room-settings {slowSeconds}`): one post per member per that
//! many seconds. Kept per node, in memory: when a poster last posted in a
//! room, bounded (least recently used going first). A guest is paced by
//! its connection, an account by its id across all its sockets on the
//! node. (In a cluster each node paces the posts it receives: an account
//! with sockets on two nodes could post once on each per interval.)

use hashlink::LruCache;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Posters remembered, across rooms in slow mode.
const REMEMBERED: usize = 65_536;

/// Who posts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Poster {
    Account(i64),
    /// A guest, by its socket's id.
    Socket(String),
}

/// When each poster last posted in each room in slow mode.
pub struct SlowMode(Mutex<LruCache<(i64, Poster), Instant>>);

impl Default for SlowMode {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(REMEMBERED)))
    }
}

impl SlowMode {
    fn lock(&self) -> MutexGuard<'_, LruCache<(i64, Poster), Instant>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `poster`'s turn in `room` (`seconds` apart): `Ok` and the turn
    /// is spent, or how many seconds (rounded up) it must still wait.
    pub fn take_turn(&self, room: i64, poster: Poster, seconds: u32) -> Result<(), u64> {
        self.take_turn_at(room, poster, seconds, Instant::now())
    }

    fn take_turn_at(
        &self,
        room: i64,
        poster: Poster,
        seconds: u32,
        now: Instant,
    ) -> Result<(), u64> {
        let interval = Duration::from_secs(u64::from(seconds));
        let mut last = self.lock();
        let key = (room, poster);
        if let Some(&at) = last.get(&key) {
            let since = now.saturating_duration_since(at);
            if since < interval {
                let wait = interval - since;
                return Err(wait.as_millis().div_ceil(1000) as u64);
            }
        }
        last.insert(key, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poster_waits_its_turn_per_room() {
        let slow = SlowMode::default();
        let t0 = Instant::now();
        let ann = || Poster::Account(1);
        assert_eq!(slow.take_turn_at(7, ann(), 30, t0), Ok(()));
        assert_eq!(
            slow.take_turn_at(7, ann(), 30, t0 + Duration::from_millis(17_500)),
            Err(13),
            "12.5 s left is said as 13"
        );
        assert_eq!(slow.take_turn_at(8, ann(), 30, t0), Ok(()), "another room");
        assert_eq!(
            slow.take_turn_at(7, Poster::Socket("x".into()), 30, t0),
            Ok(()),
            "another poster"
        );
        assert_eq!(
            slow.take_turn_at(7, ann(), 30, t0 + Duration::from_secs(30)),
            Ok(())
        );
    }
}
