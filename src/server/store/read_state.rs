//! Where each account has read each room to (`room_reads`): marked by
//! `mark-room-read`, read back with the unread counts by `read-state`.

use super::{RoomMeta, Store, StoreError};
use crate::protocol::limits::MAX_UNREAD_COUNTED;
use crate::protocol::read_state::RoomReadState;
use crate::protocol::RoomName;
use sqlx::Row;

impl Store {
    /// `user` has read `room` up to `seq` (kept at the highest mark, and
    /// never past the room's last message); the mark now.
    pub async fn mark_room_read(
        &self,
        user: i64,
        room: &RoomMeta,
        seq: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let last: i64 = sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = $1")
            .bind(room.id)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(0);
        let seq = seq.min(last);
        let mark: i64 = sqlx::query_scalar(
            "INSERT INTO room_reads (user_id, room_id, seq) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, room_id) DO UPDATE SET seq = \
             CASE WHEN excluded.seq > room_reads.seq THEN excluded.seq ELSE room_reads.seq END \
             RETURNING seq",
        )
        .bind(user)
        .bind(room.id)
        .bind(seq)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(mark)
    }

    /// The read state of `user`'s rooms (its memberships, and `general`),
    /// by name.
    pub async fn read_states(&self, user: i64) -> Result<Vec<RoomReadState>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.name, r.last_seq, COALESCE(rr.seq, 0) AS last_read, \
               (SELECT COUNT(*) FROM (SELECT 1 FROM messages x \
                  WHERE x.room_id = r.id AND x.seq > COALESCE(rr.seq, 0) \
                    AND x.deleted_at IS NULL AND (x.user_id IS NULL OR x.user_id <> $1) \
                    AND (x.thread_id IS NULL OR x.in_room <> 0) \
                  LIMIT $2) u) AS unread \
             FROM rooms r \
             LEFT JOIN room_reads rr ON rr.room_id = r.id AND rr.user_id = $1 \
             WHERE r.name = $3 \
                OR r.id IN (SELECT m.room_id FROM memberships m WHERE m.user_id = $1) \
             ORDER BY r.name",
        )
        .bind(user)
        .bind(MAX_UNREAD_COUNTED)
        .bind(RoomName::GENERAL)
        .fetch_all(&self.reader)
        .await?;
        let mut states = Vec::with_capacity(rows.len());
        for row in &rows {
            let Ok(room) = RoomName::parse(&row.try_get::<String, _>("name")?) else {
                continue;
            };
            states.push(RoomReadState {
                room,
                last_seq: row.try_get("last_seq")?,
                last_read: row.try_get("last_read")?,
                unread: row.try_get("unread")?,
            });
        }
        Ok(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::test_db::{name, room, text, ts};
    use crate::server::store::{Author, Entered};

    async fn marks_only_go_forward_and_count_what_others_wrote(s: Store) {
        let ann = s.create_user(&name("ann"), "h").await.unwrap();
        let bob = s.create_user(&name("bob"), "h").await.unwrap();
        let Entered::Public(dev) = s.enter_public(&room("dev"), Some(ann.id)).await.unwrap() else {
            panic!("public")
        };
        s.enter_public(&room("dev"), Some(bob.id)).await.unwrap();
        for (who, n) in [(&bob, 3), (&ann, 1), (&bob, 2)] {
            for _ in 0..n {
                let by = Author::Account(who.id);
                s.append_message(&room("dev"), &who.username, &by, &text("x"), None, &ts())
                    .await
                    .unwrap();
            }
        }
        let state = |states: Vec<RoomReadState>| {
            states
                .into_iter()
                .map(|r| (r.room.to_string(), r.last_seq, r.last_read, r.unread))
                .collect::<Vec<_>>()
        };
        // ann wrote message 4: the other five are unread.
        assert_eq!(
            state(s.read_states(ann.id).await.unwrap()),
            [("dev".to_owned(), 6, 0, 5), ("general".to_owned(), 0, 0, 0)]
        );
        assert_eq!(s.mark_room_read(ann.id, &dev, 3).await.unwrap(), 3);
        assert_eq!(
            s.mark_room_read(ann.id, &dev, 2).await.unwrap(),
            3,
            "never back"
        );
        assert_eq!(
            s.mark_room_read(ann.id, &dev, 99).await.unwrap(),
            6,
            "never past the last"
        );
        assert_eq!(
            state(s.read_states(ann.id).await.unwrap())[0],
            ("dev".to_owned(), 6, 6, 0)
        );
        // bob's own messages never count; general's are everyone's.
        s.append_message(
            &room("general"),
            &name("gus"),
            &Author::Guest("g".into()),
            &text("hi"),
            None,
            &ts(),
        )
        .await
        .unwrap();
        assert_eq!(
            state(s.read_states(bob.id).await.unwrap()),
            [("dev".to_owned(), 6, 0, 1), ("general".to_owned(), 1, 0, 1)]
        );
    }

    /// Counting stops at exactly [`MAX_UNREAD_COUNTED`]: one more
    /// message is still that many.
    async fn unread_counts_stop_at_the_bound(s: Store) {
        let ann = s.create_user(&name("ann"), "h").await.unwrap();
        s.enter_public(&room("dev"), Some(ann.id)).await.unwrap();
        let count = |s: &Store| {
            let s = s.clone();
            async move {
                let states = s.read_states(ann.id).await.unwrap();
                states
                    .iter()
                    .find(|r| r.room == room("dev"))
                    .unwrap()
                    .unread
            }
        };
        let (guest, dev, gus, x, stamp) = (
            Author::Guest("g".into()),
            room("dev"),
            name("gus"),
            text("x"),
            ts(),
        );
        let send = |n: i64| {
            let sends = (0..n).map(|_| s.append_message(&dev, &gus, &guest, &x, None, &stamp));
            async move {
                for sent in futures_util::future::join_all(sends).await {
                    sent.unwrap();
                }
            }
        };
        send(MAX_UNREAD_COUNTED - 1).await;
        assert_eq!(count(&s).await, MAX_UNREAD_COUNTED - 1);
        send(1).await;
        assert_eq!(count(&s).await, MAX_UNREAD_COUNTED);
        send(1).await;
        assert_eq!(
            count(&s).await,
            MAX_UNREAD_COUNTED,
            "counted up to the bound"
        );
    }

    crate::server::store::test_db::on_both_backends!(
        marks_only_go_forward_and_count_what_others_wrote,
        unread_counts_stop_at_the_bound
    );
}
