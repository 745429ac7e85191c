//! Direct messages between two accounts: the conversations (`dm_pairs`,
//! each numbering its own messages), their messages (`direct_messages`)
//! and how far each side has read (`dm_reads`).

use super::message_changes::{reactions_of, ReactionTable};
use super::page::fetch_page;
use super::{Appended, Store, StoreError, User};
use crate::protocol::chat::{ClientMessageId, Timestamp};
use crate::protocol::direct::{DmSummary, NewDm};
use crate::protocol::history::Cursor;
use crate::protocol::{MessageText, Username};
use sqlx::any::AnyRow;
use sqlx::Row;

/// What [`dm_from_row`] reads of a direct message.
macro_rules! dm_columns {
    () => {
        "id, seq, sender_id, body, created_at, client_id, edited_at, deleted_at, change_seq"
    };
}
pub(super) use dm_columns;

/// The start of every direct-message page query.
macro_rules! dm_page_query {
    () => {
        concat!(
            "SELECT ",
            dm_columns!(),
            " FROM direct_messages WHERE user_lo = $1 AND user_hi = $2"
        )
    };
}

impl Store {
    /// Stores a direct message under the conversation's next sequence
    /// number, unless the sender already stored one with `client_id` in
    /// this conversation.
    pub async fn append_dm(
        &self,
        from: &User,
        to: &User,
        body: &MessageText,
        client_id: Option<&ClientMessageId>,
        timestamp: &Timestamp,
    ) -> Result<Appended<NewDm>, StoreError> {
        let (lo, hi) = pair(from.id, to.id);
        let client_id = client_id.map(ClientMessageId::as_str);
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO dm_pairs (user_lo, user_hi) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(lo)
        .bind(hi)
        .execute(&mut *tx)
        .await?;
        if let Some(cid) = client_id {
            // Locks the conversation first (on PostgreSQL a retry reaching
            // two nodes at once queues here, and the second finds the
            // first's message instead of colliding with it).
            sqlx::query(
                "UPDATE dm_pairs SET last_seq = last_seq WHERE user_lo = $1 AND user_hi = $2",
            )
            .bind(lo)
            .bind(hi)
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query(concat!(
                "SELECT ",
                dm_columns!(),
                " FROM direct_messages \
                 WHERE sender_id = $1 AND user_lo = $2 AND user_hi = $3 AND client_id = $4"
            ))
            .bind(from.id)
            .bind(lo)
            .bind(hi)
            .bind(cid)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = row {
                let mut dm = [dm_from_row(&r, from, to)?];
                attach_dm_reactions(&mut tx, &mut dm).await?;
                let [dm] = dm;
                return Ok(Appended::Duplicate(dm));
            }
        }
        let seq: i64 = sqlx::query_scalar(
            "UPDATE dm_pairs SET last_seq = last_seq + 1 WHERE user_lo = $1 AND user_hi = $2 \
             RETURNING last_seq",
        )
        .bind(lo)
        .bind(hi)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO direct_messages (user_lo, user_hi, seq, sender_id, body, created_at, client_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(lo)
        .bind(hi)
        .bind(seq)
        .bind(from.id)
        .bind(body.as_str())
        .bind(timestamp.0.as_str())
        .bind(client_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Appended::New(NewDm {
            id,
            seq,
            from: from.username.clone(),
            to: to.username.clone(),
            message: body.clone(),
            timestamp: timestamp.clone(),
            client_id: client_id.and_then(|c| ClientMessageId::parse(c).ok()),
            edited: None,
            deleted: false,
            reactions: Vec::new(),
            change: 0,
        }))
    }

    /// One page of the conversation between `me` and `other`, ascending.
    pub async fn dm_history(
        &self,
        me: &User,
        other: &User,
        cursor: Cursor,
        limit: u32,
    ) -> Result<(Vec<NewDm>, bool), StoreError> {
        let (lo, hi) = pair(me.id, other.id);
        let (rows, has_more) = fetch_page(
            &self.reader,
            [
                concat!(dm_page_query!(), " ORDER BY seq DESC LIMIT $3"),
                concat!(dm_page_query!(), " AND seq < $3 ORDER BY seq DESC LIMIT $4"),
                concat!(dm_page_query!(), " AND seq > $3 ORDER BY seq ASC LIMIT $4"),
            ],
            |q| q.bind(lo).bind(hi),
            cursor,
            limit,
        )
        .await?;
        let mut page = Vec::with_capacity(rows.len());
        for r in &rows {
            let sender: i64 = r.try_get("sender_id")?;
            let (from, to) = if sender == me.id {
                (me, other)
            } else {
                (other, me)
            };
            page.push(dm_from_row(r, from, to)?);
        }
        let mut conn = self.reader.acquire().await?;
        attach_dm_reactions(&mut conn, &mut page).await?;
        Ok((page, has_more))
    }

    /// The conversations of `me`, most recent first, with unread counts.
    pub async fn dm_list(&self, me: i64) -> Result<Vec<DmSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.username AS other, p.last_seq, \
               (SELECT COUNT(*) FROM direct_messages m \
                 WHERE m.user_lo = p.user_lo AND m.user_hi = p.user_hi \
                   AND m.sender_id <> $1 AND m.deleted_at IS NULL \
                   AND m.seq > COALESCE((SELECT last_read_seq FROM dm_reads r \
                                         WHERE r.user_id = $2 AND r.other_id = u.id), 0)) AS unread, \
               (SELECT MAX(id) FROM direct_messages m \
                 WHERE m.user_lo = p.user_lo AND m.user_hi = p.user_hi) AS newest \
             FROM dm_pairs p JOIN users u \
               ON u.id = CASE WHEN p.user_lo = $3 THEN p.user_hi ELSE p.user_lo END \
             WHERE p.user_lo = $4 OR p.user_hi = $5 \
             ORDER BY newest DESC",
        )
        .bind(me)
        .bind(me)
        .bind(me)
        .bind(me)
        .bind(me)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let other: String = r.try_get("other")?;
                Ok(DmSummary {
                    with: Username::parse(&other).map_err(|e| sqlx::Error::Decode(e.into()))?,
                    last_seq: r.try_get("last_seq")?,
                    unread: r.try_get("unread")?,
                })
            })
            .collect()
    }

    /// Records that `me` has read the conversation with `other` up to `seq`.
    pub async fn mark_dm_read(&self, me: i64, other: i64, seq: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dm_reads (user_id, other_id, last_read_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, other_id) \
             DO UPDATE SET last_read_seq = CASE WHEN excluded.last_read_seq > dm_reads.last_read_seq \
               THEN excluded.last_read_seq ELSE dm_reads.last_read_seq END",
        )
        .bind(me)
        .bind(other)
        .bind(seq)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

/// A conversation's key: the two user ids, lower first.
pub(super) fn pair(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

/// A direct message from a row of [`dm_columns`], sent by `from` to `to`
/// (its reactions are read apart: [`attach_dm_reactions`]).
pub(super) fn dm_from_row(r: &AnyRow, from: &User, to: &User) -> Result<NewDm, StoreError> {
    let body: String = r.try_get("body")?;
    let deleted = r.try_get::<Option<String>, _>("deleted_at")?.is_some();
    let message = match deleted {
        true => MessageText::tombstone(),
        false => MessageText::parse(&body).map_err(|e| sqlx::Error::Decode(e.into()))?,
    };
    Ok(NewDm {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        from: from.username.clone(),
        to: to.username.clone(),
        message,
        timestamp: Timestamp(r.try_get("created_at")?),
        client_id: r
            .try_get::<Option<String>, _>("client_id")?
            .and_then(|c| ClientMessageId::parse(&c).ok()),
        edited: r.try_get::<Option<String>, _>("edited_at")?.map(Timestamp),
        deleted,
        reactions: Vec::new(),
        change: r.try_get("change_seq")?,
    })
}

/// Fills in the reactions of direct messages (not deleted ones: theirs
/// are gone).
pub(super) async fn attach_dm_reactions(
    conn: &mut sqlx::AnyConnection,
    dms: &mut [NewDm],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = dms.iter().filter(|m| !m.deleted).map(|m| m.id).collect();
    for (id, reactions) in reactions_of(conn, ReactionTable::Direct, &ids).await? {
        if let Some(dm) = dms.iter_mut().find(|m| m.id == id) {
            dm.reactions = reactions;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::test_db::{cid, name, text, ts};

    async fn direct_messages_have_their_own_sequence_and_unread_counts(s: Store) {
        let ann = s.create_user(&name("ann"), "h").await.unwrap();
        let bob = s.create_user(&name("bob"), "h").await.unwrap();
        let cat = s.create_user(&name("cat"), "h").await.unwrap();
        for (from, to, body) in [
            (&ann, &bob, "1"),
            (&bob, &ann, "2"),
            (&bob, &ann, "3"),
            (&cat, &ann, "x"),
        ] {
            s.append_dm(from, to, &text(body), None, &ts())
                .await
                .unwrap();
        }
        let (page, more) = s.dm_history(&ann, &bob, Cursor::Latest, 10).await.unwrap();
        assert!(!more);
        let got: Vec<_> = page
            .iter()
            .map(|m| (m.seq, m.from.as_str(), m.message.as_str()))
            .collect();
        assert_eq!(got, [(1, "ann", "1"), (2, "bob", "2"), (3, "bob", "3")]);
        let list = s.dm_list(ann.id).await.unwrap();
        let summary: Vec<_> = list.iter().map(|c| (c.with.as_str(), c.unread)).collect();
        assert_eq!(summary, [("cat", 1), ("bob", 2)]);
        s.mark_dm_read(ann.id, bob.id, 2).await.unwrap();
        s.mark_dm_read(ann.id, bob.id, 1).await.unwrap(); // never backwards
        let list = s.dm_list(ann.id).await.unwrap();
        assert_eq!(
            list.iter()
                .find(|c| c.with.as_str() == "bob")
                .unwrap()
                .unread,
            1
        );
        // bob sent "2" and "3" himself: nothing unread for him but "1".
        let bobs = s.dm_list(bob.id).await.unwrap();
        assert_eq!(bobs[0].unread, 1);
        // Idempotent by client id.
        let first = s
            .append_dm(&ann, &bob, &text("once"), Some(&cid("d-1")), &ts())
            .await
            .unwrap();
        let again = s
            .append_dm(&ann, &bob, &text("once"), Some(&cid("d-1")), &ts())
            .await
            .unwrap();
        assert!(matches!((first, again), (Appended::New(a), Appended::Duplicate(b)) if a == b));
    }

    crate::server::store::test_db::on_both_backends!(
        direct_messages_have_their_own_sequence_and_unread_counts
    );
}
