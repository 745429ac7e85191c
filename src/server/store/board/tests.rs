//! The board store, on both backends.

use super::*;
use crate::protocol::board::{Color, ShapeId, Tool};
use crate::protocol::board::{MAX_BOARD_POINTS, MAX_BOARD_SHAPES, MAX_OP_IDS};

/// Whose daily budget the tests draw from.
const ANN: BoardClient = BoardClient::Account(1);

fn pen(id: &str, n: usize) -> Shape {
    Shape {
        id: ShapeId::parse(id).unwrap(),
        tool: Tool::Pen,
        color: Color::BLACK,
        width: 3.0,
        points: vec![[10.0, 20.0]; n],
    }
}

fn ids(names: &[&str]) -> Vec<ShapeId> {
    names.iter().map(|n| ShapeId::parse(n).unwrap()).collect()
}

async fn changes_are_numbered_and_caught_up(store: Store) {
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    let add = |id: &str| Op::Add { shape: pen(id, 3) };
    for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
        let BoardApplied::Changed(c) = store
            .apply_board_op(&room, &ann, ANN, &add(id))
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(c.seq, i as u64 + 1);
    }
    // A retry of the same add changes nothing.
    let again = store
        .apply_board_op(&room, &ann, ANN, &add("b"))
        .await
        .unwrap();
    assert!(matches!(again, BoardApplied::Unchanged(ref c) if c.seq == 3 && c.is_empty()));
    // The same id for another shape is refused.
    let other = Op::Add { shape: pen("b", 4) };
    assert!(matches!(
        store.apply_board_op(&room, &ann, ANN, &other).await.unwrap(),
        BoardApplied::Refused(r) if r.to_string().contains("already a different shape b")
    ));
    let erase = Op::Erase {
        ids: ids(&["a", "c"]),
    };
    let BoardApplied::Changed(c) = store
        .apply_board_op(&room, &ann, ANN, &erase)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((c.seq, c.removed.len()), (4, 2));
    // Unknown ids are refused, and nothing of the op happens.
    let bad = Op::Erase {
        ids: ids(&["b", "zz"]),
    };
    assert!(matches!(
        store.apply_board_op(&room, &ann, ANN, &bad).await.unwrap(),
        BoardApplied::Refused(r) if r.to_string().contains("no shape zz")
    ));
    let restore = Op::Restore { ids: ids(&["c"]) };
    let BoardApplied::Changed(c) = store
        .apply_board_op(&room, &ann, ANN, &restore)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((c.seq, c.added[0].z), (5, 3));

    let full = store.board_snapshot(&room, None).await.unwrap();
    assert!(full.full);
    assert_eq!(full.seq, 5);
    let shown: Vec<_> = full.shapes.iter().map(|s| s.shape.id.as_str()).collect();
    assert_eq!(shown, ["b", "c"]);
    let delta = store.board_snapshot(&room, Some(3)).await.unwrap();
    assert!(!delta.full);
    assert_eq!(delta.removed, ids(&["a"]));
    assert_eq!(delta.shapes.len(), 1);
    assert_eq!(delta.shapes[0].shape.id.as_str(), "c");
    // A `since` from the future gets everything.
    assert!(store.board_snapshot(&room, Some(99)).await.unwrap().full);
    // Boards are per room.
    let other = RoomName::parse("other").unwrap();
    assert_eq!(store.board_snapshot(&other, None).await.unwrap().seq, 0);
}

async fn a_full_board_refuses_more(store: Store) {
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    // 100 strokes of 2,000 points: the board's point budget.
    for i in 0..MAX_BOARD_POINTS / 2000 {
        let op = Op::Add {
            shape: pen(&format!("s{i}"), 2000),
        };
        assert!(matches!(
            store.apply_board_op(&room, &ann, ANN, &op).await.unwrap(),
            BoardApplied::Changed(_)
        ));
    }
    let op = Op::Add {
        shape: pen("one-more", 1),
    };
    assert!(matches!(
        store.apply_board_op(&room, &ann, ANN, &op).await.unwrap(),
        BoardApplied::Refused(r) if r.to_string().contains("board is full")
    ));
    // Erasing makes room; restoring past the limit is refused.
    let erase = Op::Erase { ids: ids(&["s0"]) };
    store
        .apply_board_op(&room, &ann, ANN, &erase)
        .await
        .unwrap();
    assert!(matches!(
        store.apply_board_op(&room, &ann, ANN, &op).await.unwrap(),
        BoardApplied::Changed(_)
    ));
    let restore = Op::Restore { ids: ids(&["s0"]) };
    assert!(matches!(
        store
            .apply_board_op(&room, &ann, ANN, &restore)
            .await
            .unwrap(),
        BoardApplied::Refused(_)
    ));
    assert_eq!(
        store
            .board_snapshot(&room, None)
            .await
            .unwrap()
            .shapes
            .len(),
        100
    );
}

async fn a_board_of_too_many_shapes_refuses_more(store: Store) {
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    let first = Op::Add {
        shape: pen("first", 1),
    };
    store
        .apply_board_op(&room, &ann, ANN, &first)
        .await
        .unwrap();
    // The rest of the board's 5,000 shapes, written directly.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO board_shapes (room, id, z, updated_seq, erased_seq, points, author, data) \
         SELECT $2, 'bulk-' || i, i, i, NULL, 1, 'ann', '{}' FROM n",
    )
    .bind(MAX_BOARD_SHAPES as i64)
    .bind(room.as_str())
    .execute(&store.writer)
    .await
    .unwrap();
    let one_more = Op::Add {
        shape: pen("one-more", 1),
    };
    assert!(matches!(
        store.apply_board_op(&room, &ann, ANN, &one_more).await.unwrap(),
        BoardApplied::Refused(r) if r.to_string().contains("This board is full (5000 shapes)")
    ));
}

/// A 500-id erase is one change, made by a few statements, not one
/// (or two) per id. PostgreSQL counts them: a statement trigger on
/// `board_shapes` counts every UPDATE statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_id_erase_takes_a_few_statements() {
    let (store, _db) = crate::server::store::test_db::postgres().await;
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    let names: Vec<String> = (0..MAX_OP_IDS).map(|i| format!("s{i}")).collect();
    for id in &names {
        let op = Op::Add { shape: pen(id, 2) };
        store.apply_board_op(&room, &ann, ANN, &op).await.unwrap();
    }
    for sql in [
        "CREATE TABLE statements (n BIGINT NOT NULL)",
        "INSERT INTO statements VALUES (0)",
        "CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN UPDATE statements SET n = n + 1; RETURN NULL; END $$",
        "CREATE TRIGGER count_updates AFTER UPDATE ON board_shapes \
         FOR EACH STATEMENT EXECUTE FUNCTION count_statement()",
    ] {
        sqlx::raw_sql(sql).execute(&store.writer).await.unwrap();
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let erase = Op::Erase { ids: ids(&refs) };
    let BoardApplied::Changed(c) = store
        .apply_board_op(&room, &ann, ANN, &erase)
        .await
        .unwrap()
    else {
        panic!("not changed")
    };
    assert_eq!(
        (c.seq, c.removed.len()),
        (MAX_OP_IDS as u64 + 1, MAX_OP_IDS)
    );
    let updates: i64 = sqlx::query_scalar("SELECT n FROM statements")
        .fetch_one(&store.writer)
        .await
        .unwrap();
    assert!(updates <= 2, "{updates} UPDATE statements for one erase");
}

/// A 500-id erase (some ids twice, some erased already) is one change with
/// the same outcome as ever: the ids it erased, in the order named; and a
/// restore of them brings them back in drawing order.
async fn a_500_id_erase_is_one_change(store: Store) {
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    let names: Vec<String> = (0..MAX_OP_IDS).map(|i| format!("s{i}")).collect();
    for id in &names {
        let op = Op::Add { shape: pen(id, 2) };
        store.apply_board_op(&room, &ann, ANN, &op).await.unwrap();
    }
    let early = Op::Erase { ids: ids(&["s7"]) };
    store
        .apply_board_op(&room, &ann, ANN, &early)
        .await
        .unwrap();
    // Named backwards, s3 twice in place of s0.
    let mut named: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    named[MAX_OP_IDS - 1] = "s3";
    let erase = Op::Erase { ids: ids(&named) };
    let BoardApplied::Changed(c) = store
        .apply_board_op(&room, &ann, ANN, &erase)
        .await
        .unwrap()
    else {
        panic!("not changed")
    };
    let expected: Vec<&str> = named[..MAX_OP_IDS - 1]
        .iter()
        .copied()
        .filter(|id| *id != "s7")
        .collect();
    assert_eq!(c.seq, MAX_OP_IDS as u64 + 2);
    assert_eq!(c.removed, ids(&expected));
    let board = store.board_snapshot(&room, None).await.unwrap();
    assert_eq!(board.shapes.len(), 1, "s0 is left");
    let restore = Op::Restore { ids: ids(&named) };
    let BoardApplied::Changed(c) = store
        .apply_board_op(&room, &ann, ANN, &restore)
        .await
        .unwrap()
    else {
        panic!("not changed")
    };
    let zs: Vec<u64> = c.added.iter().map(|s| s.z).collect();
    // s1 to s499 (s7 too), drawn as changes 2 to 500.
    assert_eq!(zs, (2..=MAX_OP_IDS as u64).collect::<Vec<_>>());
    assert_counts_match(&store, &room).await;
}

/// The board's byte counts are those of its rows.
async fn assert_counts_match(store: &Store, room: &RoomName) {
    let (bytes, erased, data): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN erased_seq IS NOT NULL THEN bytes END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) FROM board_shapes WHERE room = $1",
    )
    .bind(room.as_str())
    .fetch_one(&store.reader)
    .await
    .unwrap();
    let usage = store.board_usage(room).await.unwrap();
    assert_eq!(bytes, data, "a shape's bytes are its data's");
    assert_eq!(
        (usage.stored_bytes, usage.erased_bytes),
        (bytes as u64, erased as u64)
    );
}

fn changed(applied: BoardApplied) -> BoardChange {
    match applied {
        BoardApplied::Changed(c) => c,
        other => panic!("not changed: {other:?}"),
    }
}

fn refusal(applied: BoardApplied) -> String {
    match applied {
        BoardApplied::Refused(r) => r.to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

/// "Add a 2,000-point stroke, erase it", over and over: what the board
/// stores stays within its budgets, the shapes erased longest ago go
/// first, a restore of one of them is refused saying so, and a client
/// behind the compaction catches up with the whole board.
async fn erased_shapes_past_the_budget_are_compacted(store: Store) {
    let limits = BoardLimits {
        max_bytes: 100_000,
        erased_bytes: 60_000,
        daily_bytes: u64::MAX,
    };
    let store = store.with_board_limits(limits);
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    let mut size = 0;
    for i in 0..40 {
        let stroke = pen(&format!("s{i}"), 2000);
        size = serde_json::to_string(&stroke).unwrap().len() as u64;
        let add = Op::Add { shape: stroke };
        changed(store.apply_board_op(&room, &ann, ANN, &add).await.unwrap());
        let erase = Op::Erase {
            ids: ids(&[&format!("s{i}")]),
        };
        changed(
            store
                .apply_board_op(&room, &ann, ANN, &erase)
                .await
                .unwrap(),
        );
        let usage = store.board_usage(&room).await.unwrap();
        assert!(usage.erased_bytes <= limits.erased_bytes, "{usage:?}");
        assert!(usage.shapes <= limits.erased_bytes / size, "{usage:?}");
    }
    assert_counts_match(&store, &room).await;
    // The newest erased shapes are kept (undo still works), the oldest not.
    let kept = limits.erased_bytes / size;
    assert_eq!(store.board_usage(&room).await.unwrap().shapes, kept);
    let recent = Op::Restore { ids: ids(&["s39"]) };
    let c = changed(
        store
            .apply_board_op(&room, &ann, ANN, &recent)
            .await
            .unwrap(),
    );
    assert_eq!(c.added[0].shape.id.as_str(), "s39");
    let old = Op::Restore { ids: ids(&["s0"]) };
    assert_eq!(
        refusal(store.apply_board_op(&room, &ann, ANN, &old).await.unwrap()),
        "Shape s0 cannot be restored: it was erased too long ago, and this board keeps only the shapes erased most recently"
    );
    // Erasing a shape compacted away changes nothing (it is erased).
    let again = Op::Erase { ids: ids(&["s0"]) };
    assert!(matches!(
        store
            .apply_board_op(&room, &ann, ANN, &again)
            .await
            .unwrap(),
        BoardApplied::Unchanged(_)
    ));
    // A client that has the board from before the compaction gets all of
    // it; one after it, what changed since.
    assert!(store.board_snapshot(&room, Some(2)).await.unwrap().full);
    let head = store.board_snapshot(&room, None).await.unwrap().seq;
    let recent = store.board_snapshot(&room, Some(head - 1)).await.unwrap();
    assert!(!recent.full);
}

/// Past its bytes a board refuses more, saying what to do; erasing makes
/// room again.
async fn a_board_past_its_bytes_says_erase_or_clear(store: Store) {
    let limits = BoardLimits {
        max_bytes: 100_000,
        ..BoardLimits::DEFAULT
    };
    let store = store.with_board_limits(limits);
    let room = RoomName::general();
    let ann = Username::parse("ann").unwrap();
    let mut added = 0;
    let refused = loop {
        let add = Op::Add {
            shape: pen(&format!("s{added}"), 2000),
        };
        match store.apply_board_op(&room, &ann, ANN, &add).await.unwrap() {
            BoardApplied::Changed(_) => added += 1,
            other => break refusal(other),
        }
        assert!(added < 100, "never full");
    };
    assert_eq!(
        refused,
        "This board is full (100000 bytes of shapes): erase or clear something first"
    );
    let usage = store.board_usage(&room).await.unwrap();
    assert!(usage.stored_bytes <= limits.max_bytes, "{usage:?}");
    let erase = Op::Erase { ids: ids(&["s0"]) };
    changed(
        store
            .apply_board_op(&room, &ann, ANN, &erase)
            .await
            .unwrap(),
    );
    let add = Op::Add {
        shape: pen("after", 2000),
    };
    changed(store.apply_board_op(&room, &ann, ANN, &add).await.unwrap());
    // Restoring past the bytes is refused the same way.
    let restore = Op::Restore { ids: ids(&["s0"]) };
    assert!(refusal(
        store
            .apply_board_op(&room, &ann, ANN, &restore)
            .await
            .unwrap()
    )
    .starts_with("This board is full"));
    assert_counts_match(&store, &room).await;
}

/// What one client adds to boards in a day is bounded, over every board;
/// another client is not held back, a refused add costs nothing, and the
/// next day the client may draw again (the day before's count is purged).
async fn a_client_past_its_daily_bytes_is_refused(store: Store) {
    let limits = BoardLimits {
        daily_bytes: 100_000,
        ..BoardLimits::DEFAULT
    };
    let store = store.with_board_limits(limits);
    let ann = Username::parse("ann").unwrap();
    let guest = BoardClient::Address("203.0.113.9".parse().unwrap());
    let mut added = 0;
    let refused = loop {
        // Over several boards: the budget is the client's, not a board's.
        let room = RoomName::parse(&format!("r{}", added % 3)).unwrap();
        let add = Op::Add {
            shape: pen(&format!("s{added}"), 2000),
        };
        match store
            .apply_board_op(&room, &ann, guest, &add)
            .await
            .unwrap()
        {
            BoardApplied::Changed(_) => added += 1,
            other => break refusal(other),
        }
        assert!(added < 100, "never refused");
    };
    assert_eq!(
        refused,
        "You have drawn 100000 bytes on boards today, the most allowed in one day: draw again after 00:00 UTC"
    );
    // Small enough to fit what is left: the refused add was not counted.
    let small = Op::Add {
        shape: pen("small", 1),
    };
    let room = RoomName::general();
    changed(
        store
            .apply_board_op(&room, &ann, guest, &small)
            .await
            .unwrap(),
    );
    // Someone else draws on.
    let other = Op::Add {
        shape: pen("other", 2000),
    };
    changed(
        store
            .apply_board_op(&room, &ann, ANN, &other)
            .await
            .unwrap(),
    );
    // Tomorrow the guest draws again, and today's counts can go.
    let tomorrow = Writer {
        author: &ann,
        client: guest.key(),
        day: today() + 1,
    };
    let next = Op::Add {
        shape: pen("tomorrow", 2000),
    };
    changed(store.apply(&room, &tomorrow, &next).await.unwrap());
    assert_eq!(purge_writes(&store.writer, today() + 1).await.unwrap(), 2);
}

crate::server::store::test_db::on_both_backends!(
    changes_are_numbered_and_caught_up,
    a_full_board_refuses_more,
    a_board_of_too_many_shapes_refuses_more,
    a_500_id_erase_is_one_change,
    erased_shapes_past_the_budget_are_compacted,
    a_board_past_its_bytes_says_erase_or_clear,
    a_client_past_its_daily_bytes_is_refused
);
