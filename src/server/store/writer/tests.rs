//! The writer's tests, on both backends where they apply.

use super::sqlite::{store_batch_sqlite, SqliteScripts, SQLITE_SCRIPT_BATCH};
use super::{AppendJob, MAX_BATCH};
use crate::protocol::chat::NewMessage as StoredMessage;
use crate::protocol::history::Cursor;
use crate::protocol::RoomName;
use crate::server::store::room_ids::RoomIds;
use crate::server::store::test_db::{self, cid, name, room, text, ts, x};
use crate::server::store::Appended;
use crate::server::store::{Author, Store};
use std::collections::HashMap;

async fn concurrent_appends_get_gapless_distinct_sequence_numbers(s: Store) {
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let room = room(if i % 2 == 0 { "even" } else { "odd" });
                match s
                    .append_message(&room, &name("x"), &x(), &text("m"), None, &ts())
                    .await
                {
                    Ok(Appended::New(m)) => (m.room, m.seq),
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    let mut seqs: HashMap<RoomName, Vec<i64>> = HashMap::new();
    for t in tasks {
        let (room, seq) = t.await.unwrap();
        seqs.entry(room).or_default().push(seq);
    }
    for (_, mut v) in seqs {
        v.sort();
        assert_eq!(v, (1..=100).collect::<Vec<_>>());
    }
}

/// Many sends at once (stored in batches larger than one SQLite
/// script), every client id twice and across rooms: each stored once,
/// the retry answered with the original, the numbers gapless.
async fn a_batch_with_retries_inside_it_stores_each_message_once(s: Store) {
    let tasks: Vec<_> = (0..80)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let n = i % 40;
                let room = room(&format!("r{}", n % 3));
                let body = text(&format!("m{n}"));
                let client = cid(&format!("c-{n}"));
                let got = s
                    .append_message(&room, &name("x"), &x(), &body, Some(&client), &ts())
                    .await;
                (n, got)
            })
        })
        .collect();
    let mut new: HashMap<usize, StoredMessage> = HashMap::new();
    let mut duplicates = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (n, Ok(Appended::New(m))) => assert!(new.insert(n, m).is_none(), "{n} twice"),
            (n, Ok(Appended::Duplicate(m))) => duplicates.push((n, m)),
            (n, Err(e)) => panic!("{n}: {e}"),
        }
    }
    assert_eq!((new.len(), duplicates.len()), (40, 40));
    for (n, m) in duplicates {
        assert_eq!(new[&n], m);
    }
    for r in 0..3 {
        let (page, _) = s
            .history(&room(&format!("r{r}")), Cursor::Latest, 100)
            .await
            .unwrap();
        let seqs: Vec<i64> = page.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=page.len() as i64).collect::<Vec<_>>());
        assert!(page.iter().all(|m| new.values().any(|n| n == m)));
    }
}

/// A SQLite store that refuses to store a message reading "boom".
async fn sqlite_refusing_boom() -> (Store, tempfile::TempDir) {
    let (s, dir) = test_db::sqlite().await;
    sqlx::query(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.body = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .execute(&s.writer)
    .await
    .unwrap();
    (s, dir)
}

/// A failed SQLite script is rolled back whole: its sequence number is
/// not used up and the next message is stored normally.
#[tokio::test]
async fn a_failed_append_leaves_no_gap_and_no_open_transaction() {
    let (s, _dir) = sqlite_refusing_boom().await;
    let append = |body: &str| {
        let (s, body) = (s.clone(), text(body));
        async move {
            s.append_message(&room("a"), &name("x"), &x(), &body, None, &ts())
                .await
        }
    };
    assert!(matches!(append("first").await, Ok(Appended::New(m)) if m.seq == 1));
    assert!(append("boom").await.is_err());
    assert!(matches!(append("second").await, Ok(Appended::New(m)) if m.seq == 2));
    let (page, _) = s.history(&room("a"), Cursor::Latest, 10).await.unwrap();
    let bodies: Vec<_> = page.iter().map(|m| m.message.as_str()).collect();
    assert_eq!(bodies, ["first", "second"]);
}

/// A batch of several scripts is one transaction: a failure in its
/// last script leaves none of it stored, and numbering goes on gapless.
#[tokio::test]
async fn a_batch_of_several_scripts_is_stored_whole_or_not_at_all() {
    let (s, _dir) = sqlite_refusing_boom().await;
    let job = |body: &str| AppendJob::new(&room("a"), &name("x"), &x(), &text(body), None, &ts()).0;
    let size = SQLITE_SCRIPT_BATCH + 3;
    let mut batch: Vec<_> = (0..size - 1).map(|i| job(&format!("m{i}"))).collect();
    batch.push(job("boom"));
    let (mut rooms, mut scripts) = (RoomIds::default(), SqliteScripts::default());
    assert!(
        store_batch_sqlite(&s.writer, &mut rooms, &mut scripts, &batch)
            .await
            .is_err()
    );
    let (page, _) = s.history(&room("a"), Cursor::Latest, 100).await.unwrap();
    assert!(page.is_empty(), "{} stored", page.len());
    batch.pop();
    let stored = store_batch_sqlite(&s.writer, &mut rooms, &mut scripts, &batch)
        .await
        .unwrap();
    let seqs: Vec<i64> = stored
        .iter()
        .map(|a| match a {
            Appended::New(m) => m.seq,
            Appended::Duplicate(m) => panic!("duplicate {m:?}"),
        })
        .collect();
    assert_eq!(seqs, (1..size as i64).collect::<Vec<_>>());
}

/// The writer's cache of room ids is bounded: messages to ever more
/// room names do not grow it without end (rooms past it are looked up
/// again).
#[tokio::test]
async fn the_writers_room_ids_stay_bounded() {
    let (s, _dir) = test_db::sqlite().await;
    let (mut rooms, mut scripts) = (Default::default(), SqliteScripts::default());
    for chunk in 0..20 {
        let batch: Vec<_> = (0..MAX_BATCH)
            .map(|i| {
                let room = room(&format!("r{chunk}-{i}"));
                AppendJob::new(&room, &name("x"), &x(), &text("m"), None, &ts()).0
            })
            .collect();
        let stored = store_batch_sqlite(&s.writer, &mut rooms, &mut scripts, &batch)
            .await
            .unwrap();
        assert!(stored
            .iter()
            .all(|a| matches!(a, Appended::New(m) if m.seq == 1)));
    }
    assert!(
        rooms.len() <= super::super::room_ids::CACHED_ROOMS,
        "{} room ids kept",
        rooms.len()
    );
}

/// Two nodes on one PostgreSQL database, appending to the same room at
/// once: the numbers stay gapless and distinct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_sharing_a_database_share_gapless_numbers() {
    let (first, db) = test_db::postgres().await;
    let second = Store::connect(&db.url())
        .await
        .expect("a second node connects");
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let s = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move {
                match s
                    .append_message(&room("busy"), &name("x"), &x(), &text("m"), None, &ts())
                    .await
                {
                    Ok(Appended::New(m)) => m.seq,
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("an append"));
    }
    seqs.sort();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    second.close().await;
    first.close().await;
}

/// A retried send that reaches two nodes at once (its first try on
/// one, the retry on the other) is stored once, and fails none of the
/// other people's messages committed in the same batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_reaching_two_nodes_at_once_fails_no_one_elses_message() {
    let (first, db) = test_db::postgres().await;
    let second = Store::connect(&db.url())
        .await
        .expect("a second node connects");
    for round in 0..20 {
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let s = if i % 2 == 0 {
                    first.clone()
                } else {
                    second.clone()
                };
                tokio::spawn(async move {
                    // Four sends of one retried message, the rest
                    // other people's, in two rooms.
                    let (author, client) = if i < 4 {
                        ("x".to_owned(), format!("retry-{round}"))
                    } else {
                        (format!("p{i}"), format!("own-{round}-{i}"))
                    };
                    let room = room(if i < 4 || i % 3 == 0 { "a" } else { "b" });
                    s.append_message(
                        &room,
                        &name(&author),
                        &Author::connection(&author),
                        &text("m"),
                        Some(&cid(&client)),
                        &ts(),
                    )
                    .await
                })
            })
            .collect();
        let mut new = 0;
        for t in tasks {
            match t.await.expect("a task") {
                Ok(Appended::New(_)) => new += 1,
                Ok(Appended::Duplicate(m)) => {
                    assert_eq!(m.client_id.unwrap().as_str(), format!("retry-{round}"))
                }
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        assert_eq!(new, 21, "round {round}");
    }
    second.close().await;
    first.close().await;
}

crate::server::store::test_db::on_both_backends!(
    concurrent_appends_get_gapless_distinct_sequence_numbers,
    a_batch_with_retries_inside_it_stores_each_message_once
);
