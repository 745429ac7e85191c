//! An account's standing in a room: its role (if it belongs to it), and a
//! ban or a mute in force. The guards read it on every event an account
//! sends about a room, so it is cached (bounded, least recently used going
//! first), and every change goes through the store, which drops the entry
//! it changed; the other nodes of a cluster drop theirs when they read the
//! change from `room_changes` (see `changes.rs`).

use super::{Store, StoreError, User};
use crate::protocol::moderation::FOREVER;
use crate::protocol::rooms::Role;
use crate::protocol::Username;
use crate::server::names;
use hashlink::LruCache;
use sqlx::Row;
use std::sync::{Mutex, MutexGuard};

/// Standings kept: (room, account) pairs.
const CACHED_STANDINGS: usize = 65_536;

/// When a ban or a mute ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Forever,
    /// Unix milliseconds.
    At(i64),
}

impl Until {
    /// From a stored `until_ms` (NULL: no end).
    pub fn from_ms(ms: Option<i64>) -> Self {
        ms.map_or(Until::Forever, Until::At)
    }

    /// Whether it still holds at `now_ms`.
    pub fn holds(self, now_ms: i64) -> bool {
        match self {
            Until::Forever => true,
            Until::At(end) => now_ms < end,
        }
    }

    /// As the protocol tells it: an ISO 8601 UTC time, or `forever`.
    pub fn text(self) -> String {
        match self.time() {
            Some(time) => time,
            None => FOREVER.to_owned(),
        }
    }

    /// The end as an ISO 8601 UTC time; `None` for no end.
    pub fn time(self) -> Option<String> {
        match self {
            Until::Forever => None,
            Until::At(ms) => Some(
                chrono::DateTime::from_timestamp_millis(ms)
                    .map_or_else(|| FOREVER.to_owned(), super::time_text),
            ),
        }
    }
}

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An account's standing in one room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    pub role: Option<Role>,
    pub banned: Option<Until>,
    pub muted: Option<Until>,
}

impl Standing {
    /// The ban in force at `now_ms`, if any.
    pub fn ban(&self, now_ms: i64) -> Option<Until> {
        self.banned.filter(|u| u.holds(now_ms))
    }

    /// The mute in force at `now_ms`, if any.
    pub fn mute(&self, now_ms: i64) -> Option<Until> {
        self.muted.filter(|u| u.holds(now_ms))
    }
}

/// The cache, by (room id, account id).
pub(super) struct Standings(Mutex<LruCache<(i64, i64), Standing>>);

impl Default for Standings {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(CACHED_STANDINGS)))
    }
}

impl Standings {
    fn lock(&self) -> MutexGuard<'_, LruCache<(i64, i64), Standing>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: (i64, i64)) -> Option<Standing> {
        self.lock().get(&key).copied()
    }

    fn put(&self, key: (i64, i64), standing: Standing) {
        self.lock().insert(key, standing);
    }

    /// Drops one account's standing in a room.
    pub(super) fn forget(&self, room: i64, account: i64) {
        self.lock().remove(&(room, account));
    }

    /// Drops every standing in a room (it was deleted).
    pub(super) fn forget_room(&self, room: i64) {
        self.lock().retain(|(r, _), _| *r != room);
    }
}

/// Whether accounts are server admins, by account id (bounded the same
/// way; `huddle admin grant` writes a room change for the account, so
/// every running node drops its entry).
pub(super) struct Admins(Mutex<LruCache<i64, bool>>);

impl Default for Admins {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(CACHED_STANDINGS)))
    }
}

impl Admins {
    fn lock(&self) -> MutexGuard<'_, LruCache<i64, bool>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn forget(&self, account: i64) {
        self.lock().remove(&account);
    }
}

impl Store {
    /// Whether `account` is a server admin (cached).
    pub async fn is_admin(&self, account: i64) -> Result<bool, StoreError> {
        if let Some(admin) = self.admins.lock().get(&account).copied() {
            return Ok(admin);
        }
        let admin: Option<i64> = sqlx::query_scalar("SELECT admin FROM users WHERE id = $1")
            .bind(account)
            .fetch_optional(&self.reader)
            .await?;
        let admin = admin.is_some_and(|a| a != 0);
        self.admins.lock().insert(account, admin);
        Ok(admin)
    }

    /// Makes the account named `name` (any case) a server admin (`huddle
    /// admin grant`); `None` when no account has that name.
    pub async fn grant_admin(&self, name: &Username) -> Result<Option<User>, StoreError> {
        let row =
            sqlx::query("UPDATE users SET admin = 1 WHERE name_key = $1 RETURNING id, username")
                .bind(names::key(name.as_str()))
                .fetch_optional(&self.writer)
                .await?;
        let user = row
            .map(|r| {
                let username: String = r.try_get("username")?;
                Ok::<_, StoreError>(User {
                    id: r.try_get("id")?,
                    username: Username::parse(&username)
                        .map_err(|e| StoreError::Failed(e.to_string()))?,
                })
            })
            .transpose()?;
        if let Some(user) = &user {
            // Room 0 is no room: the change is the account's admin flag,
            // which every running node drops from its cache.
            self.changed(0, None, Some(user.id)).await?;
        }
        Ok(user)
    }
    /// `account`'s standing in the room with id `room`: from the cache, or
    /// from the database (two indexed reads), then cached.
    pub async fn standing(&self, room: i64, account: i64) -> Result<Standing, StoreError> {
        if let Some(standing) = self.standings.get((room, account)) {
            return Ok(standing);
        }
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE room_id = $1 AND user_id = $2")
                .bind(room)
                .bind(account)
                .fetch_optional(&self.reader)
                .await?;
        let sanctions: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT kind, until_ms FROM room_sanctions WHERE room_id = $1 AND user_id = $2",
        )
        .bind(room)
        .bind(account)
        .fetch_all(&self.reader)
        .await?;
        let mut standing = Standing {
            role: role.as_deref().and_then(Role::from_name),
            ..Standing::default()
        };
        for (kind, until) in sanctions {
            match kind.as_str() {
                "ban" => standing.banned = Some(Until::from_ms(until)),
                "mute" => standing.muted = Some(Until::from_ms(until)),
                _ => {}
            }
        }
        self.standings.put((room, account), standing);
        Ok(standing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sanction_holds_until_its_end() {
        assert!(Until::Forever.holds(i64::MAX));
        assert!(Until::At(1000).holds(999));
        assert!(!Until::At(1000).holds(1000));
        let standing = Standing {
            role: None,
            banned: Some(Until::At(1000)),
            muted: Some(Until::Forever),
        };
        assert_eq!(standing.ban(10), Some(Until::At(1000)));
        assert_eq!(standing.ban(2000), None);
        assert_eq!(standing.mute(2000), Some(Until::Forever));
        assert_eq!(Until::At(0).text(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Until::Forever.text(), "forever");
    }

    #[test]
    fn standings_are_bounded_and_forgotten() {
        let cache = Standings::default();
        let some = Standing {
            role: Some(Role::Member),
            ..Standing::default()
        };
        for i in 0..=CACHED_STANDINGS as i64 {
            cache.put((1, i), some);
        }
        assert_eq!(cache.get((1, 0)), None);
        assert_eq!(cache.get((1, 1)), Some(some));
        cache.put((2, 1), some);
        cache.forget(1, 1);
        assert_eq!(cache.get((1, 1)), None);
        cache.forget_room(2);
        assert_eq!(cache.get((2, 1)), None);
        let newest = CACHED_STANDINGS as i64;
        assert_eq!(cache.get((1, newest)), Some(some), "the others stay");
    }
}
