//! Room messages (`messages`, numbered per room by `rooms.last_seq`):
//! storing one (through the writer task, see `writer`), a room's history
//! a page at a time, and a message found by its author's client id.

use super::message_changes::attach_reactions;
use super::message_rows::{attach_repliers, message_columns, message_from_row};

use super::page::fetch_page;
use super::writer::AppendJob;
use super::{Appended, Author, Store, StoreError};
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::history::Cursor;
use crate::protocol::{MessageText, RoomName, Username};

/// The start of every history query; `concat!` keeps the SQL static.
macro_rules! page_query {
    () => {
        concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.name = $1"
        )
    };
}

impl Store {
    /// Stores a message under the room's next sequence number, unless this
    /// author (`by`: an account, or a guest's connection) already stored one
    /// with `client_id` in this room.
    pub async fn append_message(
        &self,
        room: &RoomName,
        author: &Username,
        by: &Author,
        body: &MessageText,
        client_id: Option<&ClientMessageId>,
        timestamp: &Timestamp,
    ) -> Result<Appended<StoredMessage>, StoreError> {
        let (job, answer) = AppendJob::new(room, author, by, body, client_id, timestamp);
        self.appends
            .send(job)
            .await
            .map_err(|_| StoreError::Failed("the message writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Failed("the message writer has stopped".into()))?
    }

    /// One page of a room's history, in ascending sequence order, and
    /// whether there is more in the direction of the cursor.
    pub async fn history(
        &self,
        room: &RoomName,
        cursor: Cursor,
        limit: u32,
    ) -> Result<(Vec<StoredMessage>, bool), StoreError> {
        let (rows, has_more) = fetch_page(
            &self.reader,
            [
                concat!(page_query!(), " ORDER BY m.seq DESC LIMIT $2"),
                concat!(
                    page_query!(),
                    " AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"
                ),
                concat!(page_query!(), " AND m.seq > $2 ORDER BY m.seq ASC LIMIT $3"),
            ],
            |q| q.bind(room.as_str()),
            cursor,
            limit,
        )
        .await?;
        let mut messages = rows
            .iter()
            .map(|r| message_from_row(r, room))
            .collect::<Result<Vec<_>, _>>()?;
        let mut conn = self.reader.acquire().await?;
        attach_reactions(&mut conn, &mut messages).await?;
        attach_repliers(&mut conn, &mut messages).await?;
        Ok((messages, has_more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::test_db::{cid, name, room, text, ts, x};

    async fn sequence_numbers_are_per_room_and_gapless(s: Store) {
        for i in 1..=3 {
            let Appended::New(m) = s
                .append_message(&room("a"), &name("x"), &x(), &text("hi"), None, &ts())
                .await
                .unwrap()
            else {
                panic!("new")
            };
            assert_eq!(m.seq, i);
        }
        let Appended::New(m) = s
            .append_message(&room("b"), &name("x"), &x(), &text("hi"), None, &ts())
            .await
            .unwrap()
        else {
            panic!("new")
        };
        assert_eq!(m.seq, 1);
    }

    async fn a_retried_client_id_is_stored_once(s: Store) {
        let first = s
            .append_message(
                &room("a"),
                &name("x"),
                &x(),
                &text("once"),
                Some(&cid("c-1")),
                &ts(),
            )
            .await
            .unwrap();
        let again = s
            .append_message(
                &room("a"),
                &name("x"),
                &x(),
                &text("once"),
                Some(&cid("c-1")),
                &ts(),
            )
            .await
            .unwrap();
        let (Appended::New(a), Appended::Duplicate(b)) = (first, again) else {
            panic!("expected new then duplicate")
        };
        assert_eq!(a, b);
        let (page, _) = s.history(&room("a"), Cursor::Latest, 10).await.unwrap();
        assert_eq!(page.len(), 1);
    }

    async fn history_pages_both_ways(s: Store) {
        for i in 1..=25 {
            s.append_message(
                &room("a"),
                &name("x"),
                &x(),
                &text(&format!("m{i}")),
                None,
                &ts(),
            )
            .await
            .unwrap();
        }
        let seqs = |p: &[StoredMessage]| p.iter().map(|m| m.seq).collect::<Vec<_>>();
        let (last, more) = s.history(&room("a"), Cursor::Latest, 10).await.unwrap();
        assert_eq!((seqs(&last), more), ((16..=25).collect(), true));
        let (older, more) = s.history(&room("a"), Cursor::Before(16), 10).await.unwrap();
        assert_eq!((seqs(&older), more), ((6..=15).collect(), true));
        let (oldest, more) = s.history(&room("a"), Cursor::Before(6), 10).await.unwrap();
        assert_eq!((seqs(&oldest), more), ((1..=5).collect(), false));
        let (after, more) = s.history(&room("a"), Cursor::After(20), 10).await.unwrap();
        assert_eq!((seqs(&after), more), ((21..=25).collect(), false));
        let (after, more) = s.history(&room("a"), Cursor::After(0), 10).await.unwrap();
        assert_eq!((seqs(&after), more), ((1..=10).collect(), true));
        let (none, more) = s
            .history(&room("nothing-here"), Cursor::Latest, 10)
            .await
            .unwrap();
        assert!(none.is_empty() && !more);
    }

    crate::server::store::test_db::on_both_backends!(
        sequence_numbers_are_per_room_and_gapless,
        a_retried_client_id_is_stored_once,
        history_pages_both_ways
    );
}
