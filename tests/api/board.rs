//! The whiteboard: changes reach everyone once and in order, late joiners
//! and reloads get the whole board, it survives a restart, concurrent and
//! offline drawing converge, and hostile input changes nothing.
//!
//! The clients keep their board in `huddle::model::board::BoardModel`, the
//! same model the browser page uses.

use crate::helpers::{spawn_app, spawn_app_in, spawn_app_with, Sock, TestApp, WAIT};
use huddle::model::board::BoardModel;
use huddle::protocol::board::{
    BoardChange, BoardDrawing, BoardSnapshot, Color, PlacedShape, Shape, ShapeId, Tool,
    MAX_BOARD_POINTS, MAX_OP_IDS, MAX_STROKE_POINTS,
};
use huddle::protocol::limits::MAX_PAYLOAD_BYTES;
use huddle::protocol::{Ack, RoomName};
use serde_json::{json, Value};
use std::time::Duration;

const ROOM: &str = "sketches";

/// A person on the board of `ROOM`: a socket and the board as they see it.
struct Drawer {
    sock: Sock,
    model: BoardModel,
}

fn room() -> RoomName {
    RoomName::parse(ROOM).unwrap()
}

fn stroke(id: ShapeId, n: usize, y: f32) -> Shape {
    Shape {
        id,
        tool: Tool::Pen,
        color: Color::parse("#ff0000").unwrap(),
        width: 3.0,
        points: (0..n).map(|i| [10.0 + (i % 1500) as f32, y]).collect(),
    }
}

/// Opens the board of `ROOM`, in the room first (as the page does: a room
/// that no one has entered is no room, and has no board to open).
async fn board_join(sock: &Sock, since: Option<u64>) -> BoardSnapshot {
    let joined = sock.request("join-room", json!({ "room": ROOM })).await;
    assert_eq!(joined["status"], "ok", "{joined}");
    let mut payload = json!({ "room": ROOM });
    if let Some(since) = since {
        payload["since"] = json!(since);
    }
    let ack = sock.request("board-join", payload).await;
    match serde_json::from_value::<Ack<BoardSnapshot>>(ack.clone()) {
        Ok(Ack::Ok(snapshot)) => snapshot,
        _ => panic!("board-join refused: {ack}"),
    }
}

impl Drawer {
    async fn open(app: &TestApp, name: &str) -> Drawer {
        let sock = app.joined(name).await;
        let mut model = BoardModel::new(room(), name);
        model.snapshot(board_join(&sock, None).await);
        Drawer { sock, model }
    }

    /// Applies every board event received so far.
    fn pump(&mut self) {
        for (event, payload) in self.sock.drain() {
            match event.as_str() {
                "board-changed" => {
                    let change: BoardChange = serde_json::from_value(payload).expect("a change");
                    self.model.changed(change);
                }
                "board-drawing" => {
                    let drawing: BoardDrawing = serde_json::from_value(payload).expect("a drawing");
                    self.model.drawing(drawing, 0.0);
                }
                _ => {}
            }
        }
    }

    /// Sends the pending ops, one at a time, applying each answer.
    async fn flush(&mut self) {
        for (id, op) in self.model.to_send() {
            let ack = self
                .sock
                .request("board-op", json!({ "room": ROOM, "op": op }))
                .await;
            match serde_json::from_value::<Ack<BoardChange>>(ack.clone()) {
                Ok(Ack::Ok(change)) => self.model.acked(id, change),
                Ok(Ack::Error(e)) => panic!("refused: {}", e.message),
                Err(e) => panic!("bad ack {ack}: {e}"),
            }
        }
    }

    async fn draw(&mut self, n: usize, y: f32) -> ShapeId {
        let id = self.model.new_shape_id();
        self.model.draw(stroke(id.clone(), n, y));
        self.flush().await;
        id
    }

    /// Waits until this board has every change up to `seq`.
    async fn settle(&mut self, seq: u64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            self.pump();
            if self.model.seq() >= seq && !self.model.has_gap() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "board stuck at {} (waiting for {seq})",
                self.model.seq()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The board as stored: what a new visitor gets.
async fn stored(app: &TestApp) -> BoardSnapshot {
    let sock = app.joined("visitor").await;
    let snapshot = board_join(&sock, None).await;
    sock.disconnect().await;
    snapshot
}

fn ids(shapes: &[PlacedShape]) -> Vec<ShapeId> {
    shapes.iter().map(|s| s.shape.id.clone()).collect()
}

#[tokio::test]
async fn a_change_reaches_everyone_else_once_and_the_sender_in_its_ack() {
    let app = spawn_app().await;
    let mut ann = Drawer::open(&app, "ann").await;
    let mut bob = Drawer::open(&app, "bob").await;
    let id = ann.draw(5, 100.0).await;
    let change = bob.sock.next("board-changed").await;
    assert_eq!(change["seq"], 1);
    assert_eq!(change["added"][0]["id"], id.as_str());
    assert_eq!(change["added"][0]["z"], 1);
    assert_eq!(change["added"][0]["points"].as_array().unwrap().len(), 5);
    bob.sock.assert_no("board-changed").await;
    ann.sock.assert_no("board-changed").await;
    assert_eq!(ann.model.visible_ids(), [id]);
}

#[tokio::test]
async fn a_late_joiner_and_a_reload_get_the_whole_board() {
    let app = spawn_app().await;
    let mut ann = Drawer::open(&app, "ann").await;
    let a = ann.draw(3, 10.0).await;
    let b = ann.draw(3, 20.0).await;
    let c = ann.draw(3, 30.0).await;
    ann.model.erase(vec![b.clone()]);
    ann.flush().await;
    let late = Drawer::open(&app, "cat").await;
    assert_eq!(late.model.visible_ids(), [a.clone(), c.clone()]);
    assert_eq!(late.model.seq(), 4);
    // A reload is a new socket with nothing: the same board.
    let snapshot = stored(&app).await;
    assert!(snapshot.full);
    assert_eq!(ids(&snapshot.shapes), [a.clone(), c.clone()]);
    // Catching up from change 2: only what changed after it.
    let delta = board_join(&late.sock, Some(2)).await;
    assert!(!delta.full);
    assert_eq!(ids(&delta.shapes), [c]);
    assert_eq!(delta.removed, [b]);
}

#[tokio::test]
async fn the_board_survives_a_restart() {
    let app = spawn_app().await;
    let mut ann = Drawer::open(&app, "ann").await;
    let a = ann.draw(40, 10.0).await;
    let b = ann.draw(2, 20.0).await;
    ann.model.erase(vec![a.clone()]);
    ann.flush().await;
    let before = stored(&app).await;
    ann.sock.disconnect().await;
    let dir = app.stop().await;

    let app = spawn_app_in(dir, |_| {}).await;
    let after = stored(&app).await;
    assert_eq!(after, before);
    assert_eq!(ids(&after.shapes), [b]);
    // And numbering goes on where it was: undo brings `a` back as change 4.
    let mut ann = Drawer::open(&app, "ann").await;
    let ack = ann
        .sock
        .request(
            "board-op",
            json!({"room": ROOM, "op": {"type": "restore", "ids": [a.as_str()]}}),
        )
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(ack["seq"], 4);
    assert_eq!(ack["added"][0]["z"], 1, "a restored shape keeps its place");
    ann.model.changed(serde_json::from_value(ack).unwrap());
    assert_eq!(ann.model.visible_ids().len(), 2);
}

#[tokio::test]
async fn strokes_in_progress_are_relayed_not_stored() {
    let app = spawn_app().await;
    let ann = Drawer::open(&app, "ann").await;
    let mut bob = Drawer::open(&app, "bob").await;
    for (start, x) in [(0, 10.0), (2, 30.0)] {
        ann.sock
            .emit(
                "board-draw",
                json!({"room": ROOM, "id": "live-1", "tool": "pen", "color": "#00aa00",
                       "width": 2, "start": start, "points": [[x, 10], [x + 10.0, 10]]}),
            )
            .await;
    }
    let first = bob.sock.next("board-drawing").await;
    assert_eq!(first["by"], "ann");
    assert_eq!(first["start"], 0);
    let second = bob.sock.next("board-drawing").await;
    assert_eq!(second["start"], 2);
    bob.model
        .drawing(serde_json::from_value(first).unwrap(), 0.0);
    bob.model
        .drawing(serde_json::from_value(second).unwrap(), 0.0);
    let draft = bob.model.drafts().next().expect("a draft");
    assert_eq!(draft.shape.points.len(), 4);
    assert!(stored(&app).await.shapes.is_empty());
}

/// How many moves go into one batch depends on timing, so it is not
/// counted here: the coalescing itself is unit-tested beside `Cursors`.
/// What arrives is each person's newest position, once per batch, never an
/// older one after a newer one, up to the last.
#[tokio::test]
async fn pointers_arrive_as_each_persons_newest_position() {
    let app = spawn_app().await;
    let ann = Drawer::open(&app, "ann").await;
    let mut bob = Drawer::open(&app, "bob").await;
    for i in 0..20 {
        ann.sock
            .emit("board-cursor", json!({"room": ROOM, "x": 100 + i, "y": 50}))
            .await;
    }
    let mut seen = Vec::new();
    while seen.last() != Some(&119.0) {
        let batch = bob.sock.next("board-cursors").await;
        assert_eq!(batch["room"], ROOM, "{batch}");
        let ann_at: Vec<f64> = batch["cursors"]
            .as_array()
            .expect("a list of cursors")
            .iter()
            .filter(|c| c["by"] == "ann")
            .map(|c| c["x"].as_f64().expect("x"))
            .collect();
        assert!(ann_at.len() <= 1, "one position per person: {batch}");
        seen.extend(ann_at);
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "never an older position after a newer one: {seen:?}"
    );
}

#[tokio::test]
async fn concurrent_drawing_and_undo_converge_everywhere() {
    let app = spawn_app().await;
    let names = ["ann", "bob", "cat", "dan"];
    let mut drawers = Vec::new();
    for name in names {
        drawers.push(Drawer::open(&app, name).await);
    }
    // Everyone at once: draw, erase someone else's shape, undo and redo.
    let tasks: Vec<_> = drawers
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            tokio::spawn(async move {
                for round in 0..8 {
                    d.draw(3 + round, (i * 100 + round * 10) as f32).await;
                    d.pump();
                    if round % 3 == 1 {
                        // Erase the newest shape of someone else, if any.
                        let theirs: Vec<ShapeId> = d
                            .model
                            .visible_ids()
                            .into_iter()
                            .filter(|id| !id.as_str().starts_with(names[i]))
                            .take(1)
                            .collect();
                        d.model.erase(theirs);
                        d.flush().await;
                    }
                    if round % 4 == 3 {
                        d.model.undo();
                        d.flush().await;
                    }
                    if round == 6 {
                        d.model.undo();
                        d.model.redo();
                        d.flush().await;
                    }
                }
                d
            })
        })
        .collect();
    let mut drawers = Vec::new();
    for task in tasks {
        drawers.push(task.await.expect("a drawer finished"));
    }
    let board = stored(&app).await;
    assert!(board.seq > 40, "{} changes", board.seq);
    for d in &mut drawers {
        d.settle(board.seq).await;
        assert!(d.model.pending().is_empty());
        assert_eq!(
            d.model.visible_ids(),
            ids(&board.shapes),
            "{}'s board differs from the stored one",
            d.model.room()
        );
    }
}

#[tokio::test]
async fn drawing_offline_is_kept_and_merged_on_reconnect() {
    let app = spawn_app().await;
    let mut ann = Drawer::open(&app, "ann").await;
    let mut bob = Drawer::open(&app, "bob").await;
    let shared = ann.draw(4, 10.0).await;
    bob.settle(1).await;

    // Ann loses her connection and draws on; her first op was in flight.
    ann.sock.disconnect().await;
    ann.model.disconnected();
    let offline_1 = ann.model.new_shape_id();
    ann.model.draw(stroke(offline_1.clone(), 6, 40.0));
    let offline_2 = ann.model.new_shape_id();
    ann.model.draw(stroke(offline_2.clone(), 6, 50.0));
    ann.model.erase(vec![shared.clone()]);
    ann.model.undo(); // the erase
    ann.model.undo(); // offline_2
                      // Meanwhile Bob draws and erases too.
    let bobs = bob.draw(5, 60.0).await;

    // Back: a new socket, catch up from where she was, then send.
    let sock = app.joined("ann").await;
    ann.sock = sock;
    let since = ann.model.since();
    assert_eq!(since, Some(1));
    ann.model.snapshot(board_join(&ann.sock, since).await);
    ann.flush().await;

    let board = stored(&app).await;
    let expected = [shared, bobs, offline_1];
    assert_eq!(ids(&board.shapes), expected);
    bob.settle(board.seq).await;
    ann.settle(board.seq).await;
    assert_eq!(ann.model.visible_ids(), expected);
    assert_eq!(bob.model.visible_ids(), expected);
}

/// Every refusal, with its reason; the board is the same afterwards.
#[tokio::test]
async fn hostile_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let mut ann = Drawer::open(&app, "ann").await;
    let mut bob = Drawer::open(&app, "bob").await;
    let kept = ann.draw(3, 10.0).await;
    bob.settle(1).await;
    let before = stored(&app).await;

    let pen = |points: Value, width: Value, color: &str| {
        json!({"type": "add", "shape": {"id": "evil", "tool": "pen", "color": color,
               "width": width, "points": points}})
    };
    let too_many: Vec<[f32; 2]> = vec![[1.0, 1.0]; MAX_STROKE_POINTS + 1];
    let many_ids: Vec<String> = (0..=MAX_OP_IDS).map(|i| format!("x{i}")).collect();
    let cases = [
        (
            pen(json!([[10, 10], [99999, 10]]), json!(2), "#000000"),
            "off the board",
        ),
        (pen(json!([[-5, 10]]), json!(2), "#000000"), "off the board"),
        (
            pen(json!([[10, 10]]), json!(1e9), "#000000"),
            "width must be",
        ),
        (
            pen(json!([[10, 10]]), json!(-1), "#000000"),
            "width must be",
        ),
        (
            pen(json!([[10, 10]]), json!(2), "javascript:alert(1)"),
            "colour must look like",
        ),
        (
            pen(json!(too_many), json!(2), "#000000"),
            "1 to 2000 points",
        ),
        (
            pen(json!("lots"), json!(2), "#000000"),
            "op.shape.points must be an array, got a string",
        ),
        (json!({"type": "erase", "ids": many_ids}), "1 to 500 shapes"),
        (json!({"type": "erase", "ids": ["nope"]}), "no shape nope"),
        (json!({"type": "restore", "ids": ["bad id!"]}), "shape id"),
        (
            json!({"type": "explode"}),
            "op.type must be add, erase or restore, got \"explode\"",
        ),
        (
            json!({"type": "add", "shape": {"id": kept.as_str(), "tool": "line",
                   "color": "#000000", "width": 2, "points": [[1, 1], [2, 2]]}}),
            "already a different shape",
        ),
    ];
    for (op, reason) in cases {
        let ack = ann
            .sock
            .request("board-op", json!({"room": ROOM, "op": op}))
            .await;
        assert_eq!(ack["status"], "error", "{op}: {ack}");
        let message = ack["message"].as_str().unwrap();
        assert!(message.contains(reason), "{op}: {message}");
    }
    // Draw batches and pointers are checked the same way.
    let ack = ann
        .sock
        .request(
            "board-draw",
            json!({"room": ROOM, "id": "d", "tool": "pen", "color": "#000000", "width": 2,
                   "start": 1999, "points": [[1, 1], [2, 2]]}),
        )
        .await;
    assert!(
        ack["message"]
            .as_str()
            .unwrap()
            .contains("at most 2000 points"),
        "{ack}"
    );
    let ack = ann
        .sock
        .request("board-cursor", json!({"room": ROOM, "x": f32::MAX, "y": 1}))
        .await;
    assert!(
        ack["message"].as_str().unwrap().contains("off the board"),
        "{ack}"
    );
    // A room that does not exist (refused as a private room one does not
    // belong to is), a board that is not open, a socket that has not joined.
    let ack = ann
        .sock
        .request(
            "board-op",
            json!({"room": "elsewhere", "op": {"type": "erase", "ids": ["a"]}}),
        )
        .await;
    assert_eq!(
        ack["message"],
        "There is no room named elsewhere that you can open"
    );
    let ack = ann
        .sock
        .request(
            "board-op",
            json!({"room": "general", "op": {"type": "erase", "ids": ["a"]}}),
        )
        .await;
    assert!(ack["message"]
        .as_str()
        .unwrap()
        .contains("Open the board of general first"));
    let stranger = app.chat().await;
    let ack = stranger.request("board-join", json!({"room": ROOM})).await;
    assert_eq!(ack["message"], "You need to join first");

    bob.sock.assert_no("board-changed").await;
    bob.sock.assert_no("board-drawing").await;
    assert_eq!(stored(&app).await, before);
    // The board still works for everyone.
    let after = ann.draw(2, 30.0).await;
    bob.settle(2).await;
    assert_eq!(bob.model.visible_ids(), [kept, after]);
}

#[tokio::test]
async fn an_oversized_update_costs_only_its_sender() {
    let app = spawn_app().await;
    let ann = Drawer::open(&app, "ann").await;
    let mut bob = Drawer::open(&app, "bob").await;
    // A stroke of the most points a shape may have, every point on the
    // board: valid but for its size, since its coordinates are written with
    // 17 digits each, which puts the frame over the 64 KiB message limit.
    let point = |i: usize| {
        [
            100.0 + i as f64 * 0.5 + 0.123_456_789_012_345,
            500.0 + 0.987_654_321_098_765,
        ]
    };
    let op = |id: &str, points: Vec<[f64; 2]>| {
        json!({"room": ROOM, "op": {"type": "add", "shape": {"id": id, "tool": "pen",
               "color": "#000000", "width": 2, "points": points}}})
    };
    let precise: Vec<[f64; 2]> = (0..MAX_STROKE_POINTS).map(point).collect();
    let huge = op("huge", precise.clone());
    assert!(
        huge.to_string().len() > MAX_PAYLOAD_BYTES,
        "the frame is over the limit"
    );
    // The same stroke, its coordinates rounded to one decimal: accepted.
    let rounded: Vec<[f64; 2]> = precise
        .iter()
        .map(|[x, y]| [(x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0])
        .collect();
    let ack = bob.sock.request("board-op", op("rounded", rounded)).await;
    assert_eq!(ack["status"], "ok", "{ack}");

    ann.sock.emit("board-op", huge).await;
    // The server drops that connection, and only that one.
    assert_eq!(bob.sock.next("user-left").await["username"], "ann");
    let id = bob.draw(3, 10.0).await;
    let kept: Vec<String> = ids(&stored(&app).await.shapes)
        .iter()
        .map(|id| id.as_str().to_owned())
        .collect();
    assert_eq!(kept, ["rounded", id.as_str()]);
    // Others keep drawing together.
    let mut cat = Drawer::open(&app, "cat").await;
    let next = bob.draw(2, 20.0).await;
    assert_eq!(
        cat.sock.next("board-changed").await["added"][0]["id"],
        next.as_str()
    );
}

#[tokio::test]
async fn a_full_board_says_so() {
    let app = spawn_app().await;
    let mut ann = Drawer::open(&app, "ann").await;
    for i in 0..MAX_BOARD_POINTS / MAX_STROKE_POINTS {
        ann.draw(MAX_STROKE_POINTS, (i % 900) as f32).await;
    }
    let ack = ann
        .sock
        .request(
            "board-op",
            json!({"room": ROOM, "op": {"type": "add", "shape": {"id": "last", "tool": "pen",
                   "color": "#000000", "width": 2, "points": [[1, 1]]}}}),
        )
        .await;
    assert_eq!(ack["status"], "error");
    assert!(
        ack["message"]
            .as_str()
            .unwrap()
            .contains("This board is full"),
        "{ack}"
    );
}

#[tokio::test]
async fn a_flood_of_board_events_is_rate_limited() {
    let app = spawn_app_with(|c| {
        c.limits.draws = "5/s:5".parse().unwrap();
        c.limits.client_draws = "100/s:100".parse().unwrap();
    })
    .await;
    let ann = Drawer::open(&app, "ann").await;
    let mut refused = 0;
    for i in 0..10 {
        let ack = ann
            .sock
            .request(
                "board-op",
                json!({"room": ROOM, "op": {"type": "add", "shape": {"id": format!("f{i}"),
                       "tool": "pen", "color": "#000000", "width": 2, "points": [[1, 1]]}}}),
            )
            .await;
        if ack["status"] == "error" {
            assert!(ack["retryAfterMs"].as_u64().is_some(), "{ack}");
            refused += 1;
        }
    }
    assert!(refused >= 4, "{refused} of 10 refused");
    let board = stored(&app).await;
    assert_eq!(board.shapes.len(), 10 - refused);
}
