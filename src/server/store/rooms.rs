//! A room's row as the message writer makes it: `rooms` holds each room's
//! message numbering (`last_seq`). What else a room is (its kind, topic,
//! members) is in `membership.rs`.

use super::{now_text, StoreError};
use crate::protocol::RoomName;

/// The id of `room`, created on first use (by the message writer, for the
/// room's first message).
pub(super) async fn room_id(
    conn: &mut sqlx::AnyConnection,
    room: &RoomName,
) -> Result<i64, StoreError> {
    sqlx::query("INSERT INTO rooms (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(room.as_str())
        .bind(now_text())
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM rooms WHERE name = $1")
        .bind(room.as_str())
        .fetch_one(&mut *conn)
        .await?)
}
