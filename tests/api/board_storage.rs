//! What a board stores stays bounded (issue #13, item 8), over socket.io:
//! "add a 2,000-point stroke, erase it" in a loop keeps a board within its
//! byte budgets; undo that reaches past what the board keeps is refused
//! with the reason and dropped by the page's model; a full board and a
//! client's spent daily budget are refused saying what to do.

use crate::helpers::{spawn_app_with, Sock, TestApp};
use huddle::model::board::BoardModel;
use huddle::protocol::board::{BoardChange, BoardSnapshot, Color, Shape, ShapeId, Tool};
use huddle::protocol::{Ack, RoomName};
use huddle::server::store::BoardLimits;
use serde_json::json;

const ROOM: &str = "sketches";

fn room() -> RoomName {
    RoomName::parse(ROOM).unwrap()
}

fn stroke(id: ShapeId) -> Shape {
    Shape {
        id,
        tool: Tool::Pen,
        color: Color::parse("#ff0000").unwrap(),
        width: 3.0,
        points: (0..2000)
            .map(|i| [10.0 + (i % 1500) as f32, 20.5])
            .collect(),
    }
}

/// Someone on the board of `ROOM`, keeping it as the page does.
struct Page {
    sock: Sock,
    model: BoardModel,
}

impl Page {
    async fn open(sock: Sock, name: &str) -> Page {
        let joined = sock.request("join-room", json!({ "room": ROOM })).await;
        assert_eq!(joined["status"], "ok", "{joined}");
        let ack = sock.request("board-join", json!({ "room": ROOM })).await;
        let Ok(Ack::Ok(snapshot)) = serde_json::from_value::<Ack<BoardSnapshot>>(ack.clone())
        else {
            panic!("board-join refused: {ack}")
        };
        let mut model = BoardModel::new(room(), name);
        model.snapshot(snapshot);
        Page { sock, model }
    }

    /// Sends what is pending, as the page does: an acked op is applied, a
    /// refused one dropped. The refusals, in order.
    async fn flush(&mut self) -> Vec<String> {
        let mut refusals = Vec::new();
        for (id, op) in self.model.to_send() {
            let ack = self
                .sock
                .request("board-op", json!({ "room": ROOM, "op": op }))
                .await;
            match serde_json::from_value::<Ack<BoardChange>>(ack.clone()) {
                Ok(Ack::Ok(change)) => self.model.acked(id, change),
                Ok(Ack::Error(e)) => {
                    self.model.refused(id);
                    refusals.push(e.message);
                }
                Err(e) => panic!("bad ack {ack}: {e}"),
            }
        }
        refusals
    }

    async fn draw(&mut self) -> Result<ShapeId, String> {
        let id = self.model.new_shape_id();
        self.model.draw(stroke(id.clone()));
        match self.flush().await.pop() {
            None => Ok(id),
            Some(refused) => Err(refused),
        }
    }
}

#[tokio::test]
async fn drawing_and_erasing_in_a_loop_keeps_a_board_within_its_budget() {
    let limits = BoardLimits {
        max_bytes: 200 * 1024,
        erased_bytes: 100 * 1024,
        daily_bytes: u64::MAX,
    };
    let app = spawn_app_with(|c| c.boards = limits).await;
    let mut page = Page::open(app.joined("ann").await, "ann").await;
    let size = serde_json::to_string(&stroke(ShapeId::parse("x").unwrap()))
        .unwrap()
        .len() as u64;
    for _ in 0..40 {
        let id = page.draw().await.expect("drawn");
        page.model.erase(vec![id]);
        assert!(page.flush().await.is_empty());
        let usage = app.state.store().board_usage(&room()).await.unwrap();
        assert!(usage.erased_bytes <= limits.erased_bytes, "{usage:?}");
        assert!(usage.shapes <= limits.erased_bytes / size, "{usage:?}");
    }
    // Undo goes back through what the board keeps, then is refused, with
    // the reason; the page drops the refused op and agrees with the server.
    let mut refusals = Vec::new();
    for _ in 0..80 {
        assert!(page.model.undo(), "undo ran out before any refusal");
        refusals = page.flush().await;
        if !refusals.is_empty() {
            break;
        }
    }
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(
        refusals[0].ends_with(
            "cannot be restored: it was erased too long ago, and this board keeps only the shapes erased most recently"
        ),
        "{refusals:?}"
    );
    assert!(page.model.pending().is_empty());
    assert_eq!(page.model.visible_ids(), stored_ids(&app).await);

    // Drawing without erasing fills the board, and says what to do.
    let full = loop {
        match page.draw().await {
            Ok(_) => {}
            Err(refused) => break refused,
        }
    };
    assert_eq!(
        full,
        "board-op: This board is full (200 KiB of shapes): erase or clear something first"
    );
    let usage = app.state.store().board_usage(&room()).await.unwrap();
    assert!(
        usage.stored_bytes <= limits.max_bytes + limits.erased_bytes,
        "{usage:?}"
    );
}

/// What the board shows, as a new visitor gets it.
async fn stored_ids(app: &TestApp) -> Vec<ShapeId> {
    let page = Page::open(app.joined("visitor").await, "visitor").await;
    page.model.visible_ids()
}

#[tokio::test]
async fn a_client_that_drew_its_days_worth_is_refused_until_tomorrow() {
    let app = spawn_app_with(|c| {
        c.boards = BoardLimits {
            daily_bytes: 100 * 1024,
            ..BoardLimits::DEFAULT
        }
    })
    .await;
    let mut guest = Page::open(app.joined("ann").await, "ann").await;
    let spent = loop {
        match guest.draw().await {
            Ok(_) => {}
            Err(refused) => break refused,
        }
    };
    assert_eq!(
        spent,
        "board-op: You have drawn 100 KiB on boards today, the most allowed in one day: draw again after 00:00 UTC"
    );
    // Another guest from the same address shares the address's budget.
    let mut same_address = Page::open(app.joined("bob").await, "bob").await;
    assert!(same_address.draw().await.is_err());
    // An account has its own.
    let session = app.register("Cy").await;
    let sock = app.chat_as(session["token"].as_str().unwrap()).await;
    let ack = sock.request("join", json!({"username": "Cy"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let mut account = Page::open(sock, "cy").await;
    account
        .draw()
        .await
        .expect("an account draws on its own budget");
}
