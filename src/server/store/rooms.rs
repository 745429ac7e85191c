//! Rooms (`rooms`, each created on first use) and the rooms each
//! registered user has joined (`room_members`), remembered across logins.

use super::{Store, StoreError};
use crate::protocol::RoomName;

impl Store {
    pub async fn remember_room(&self, user_id: i64, room: &RoomName) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let room_id = room_id(&mut tx, room).await?;
        sqlx::query(
            "INSERT INTO room_members (user_id, room_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(room_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn forget_room(&self, user_id: i64, room: &RoomName) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM room_members WHERE user_id = $1 \
             AND room_id = (SELECT id FROM rooms WHERE name = $2)",
        )
        .bind(user_id)
        .bind(room.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The rooms `user_id` has joined, by name.
    pub async fn rooms_of(&self, user_id: i64) -> Result<Vec<RoomName>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT r.name FROM room_members m JOIN rooms r ON r.id = m.room_id \
             WHERE m.user_id = $1 ORDER BY r.name",
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

/// The id of `room`, created on first use.
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
    }

    crate::server::store::test_db::on_both_backends!(rooms_are_remembered_per_user);
}
