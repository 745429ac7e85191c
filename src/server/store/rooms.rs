//! Rooms (`rooms`, a row made when the room's first message is stored,
//! which holds its message numbering) and the rooms each registered user
//! has joined (`remembered_rooms`, by name), remembered across logins.
//!
//! Joining a room makes no `rooms` row: a row for every name ever typed
//! into "Join a room…" would stay forever. An account keeps at most
//! [`MAX_JOINED_ROOMS`] rooms.

use super::{Store, StoreError};
use crate::protocol::limits::MAX_JOINED_ROOMS;
use crate::protocol::RoomName;

/// What [`Store::remember_room`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembered {
    /// The room is remembered (now, or already was).
    Yes,
    /// The account keeps [`MAX_JOINED_ROOMS`] rooms already: leave one first.
    Full,
}

impl Store {
    /// Remembers that `user_id` joined `room`, unless the account keeps
    /// [`MAX_JOINED_ROOMS`] rooms already.
    pub async fn remember_room(
        &self,
        user_id: i64,
        room: &RoomName,
    ) -> Result<Remembered, StoreError> {
        let added = sqlx::query(
            "INSERT INTO remembered_rooms (user_id, room) SELECT $1, $2 \
             WHERE (SELECT COUNT(*) FROM remembered_rooms WHERE user_id = $3) < $4 \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(room.as_str())
        .bind(user_id)
        .bind(MAX_JOINED_ROOMS as i64)
        .execute(&self.writer)
        .await?
        .rows_affected();
        if added > 0 || self.remembers(user_id, room).await? {
            Ok(Remembered::Yes)
        } else {
            Ok(Remembered::Full)
        }
    }

    async fn remembers(&self, user_id: i64, room: &RoomName) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM remembered_rooms WHERE user_id = $1 AND room = $2")
            .bind(user_id)
            .bind(room.as_str())
            .fetch_optional(&self.writer)
            .await?;
        Ok(row.is_some())
    }

    pub async fn forget_room(&self, user_id: i64, room: &RoomName) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM remembered_rooms WHERE user_id = $1 AND room = $2")
            .bind(user_id)
            .bind(room.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The rooms `user_id` has joined, by name.
    pub async fn rooms_of(&self, user_id: i64) -> Result<Vec<RoomName>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT room FROM remembered_rooms WHERE user_id = $1 ORDER BY room",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(names
            .into_iter()
            .filter_map(|n| RoomName::parse(&n).ok())
            .collect())
    }
}

/// The id of `room`, created on first use (by the message writer, for the
/// room's first message).
pub(super) async fn room_id(
    conn: &mut sqlx::AnyConnection,
    room: &RoomName,
) -> Result<i64, StoreError> {
    sqlx::query("INSERT INTO rooms (name) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(room.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM rooms WHERE name = $1")
        .bind(room.as_str())
        .fetch_one(&mut *conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::test_db::{name, room};

    async fn rooms_are_remembered_per_user(s: Store) {
        let u = s.create_user(&name("ann"), "h").await.unwrap();
        s.remember_room(u.id, &room("dev")).await.unwrap();
        s.remember_room(u.id, &room("dev")).await.unwrap();
        s.remember_room(u.id, &room("ops")).await.unwrap();
        s.forget_room(u.id, &room("ops")).await.unwrap();
        assert_eq!(s.rooms_of(u.id).await.unwrap(), [room("dev")]);
        // Remembering makes no room row: only a stored message does.
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rooms")
            .fetch_one(&s.reader)
            .await
            .unwrap();
        assert_eq!(rows, 0);
    }

    async fn an_account_keeps_a_bounded_number_of_rooms(s: Store) {
        let u = s.create_user(&name("ann"), "h").await.unwrap();
        for i in 0..MAX_JOINED_ROOMS {
            let kept = s.remember_room(u.id, &room(&format!("r{i}"))).await;
            assert_eq!(kept.unwrap(), Remembered::Yes);
        }
        let more = s.remember_room(u.id, &room("one-more")).await.unwrap();
        assert_eq!(more, Remembered::Full);
        // One it keeps already is still kept.
        let again = s.remember_room(u.id, &room("r0")).await.unwrap();
        assert_eq!(again, Remembered::Yes);
        s.forget_room(u.id, &room("r0")).await.unwrap();
        let more = s.remember_room(u.id, &room("one-more")).await.unwrap();
        assert_eq!(more, Remembered::Yes);
        assert_eq!(s.rooms_of(u.id).await.unwrap().len(), MAX_JOINED_ROOMS);
    }

    crate::server::store::test_db::on_both_backends!(
        rooms_are_remembered_per_user,
        an_account_keeps_a_bounded_number_of_rooms
    );
}
