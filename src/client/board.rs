//! A whiteboard as one client sees it, free of browser types: the page
//! (`app::board`) draws it, the integration tests and the load tool drive
//! it natively.
//!
//! - Confirmed state: the server's shapes up to change `seq`, applied in
//!   `seq` order (a change that arrives early waits for the ones before
//!   it; [`BoardModel::has_gap`] says when to ask for a catch-up).
//! - Pending ops: this client's own changes that the server has not acked,
//!   drawn on top of the confirmed state at once. They stay pending while
//!   offline and are sent again, in order, after the catch-up on
//!   reconnect; every op is idempotent, so a resend is harmless.
//! - Undo and redo: of this client's own actions only, as the ops that
//!   reverse them (an add is undone by erasing the shape, an erase or a
//!   clear by restoring what it erased), so nobody else's work is undone.
//! - Drafts: others' strokes still being drawn (`board-drawing`).

use crate::protocol::board::{
    BoardChange, BoardDrawing, BoardSnapshot, Op, Point, Shape, ShapeId, Tool, BOARD_HEIGHT,
    BOARD_WIDTH, MAX_OP_IDS,
};
use crate::protocol::{RoomName, Username};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// A stroke someone is drawing, as received so far.
#[derive(Debug, Clone)]
pub struct Draft {
    pub by: Username,
    pub shape: Shape,
    /// When the last batch came (client clock, ms): a draft whose author
    /// vanished is dropped after [`DRAFT_TIMEOUT_MS`].
    pub updated_ms: f64,
}

/// A draft without news for this long is dropped.
pub const DRAFT_TIMEOUT_MS: f64 = 5000.0;

/// One of this client's ops the server has not acked yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// This client's number for the op, to match the ack.
    pub id: u64,
    pub op: Op,
    /// Sent on the current connection (else waiting to be sent).
    pub sent: bool,
}

#[derive(Debug, Clone)]
struct Known {
    shape: Arc<Shape>,
    z: u64,
    shown: bool,
}

/// What undo (or redo) of one action sends.
#[derive(Debug, Clone, PartialEq)]
struct Action {
    undo: Vec<Op>,
    redo: Vec<Op>,
}

#[derive(Debug, Clone)]
pub struct BoardModel {
    room: RoomName,
    /// The newest change applied to the confirmed state.
    seq: u64,
    synced: bool,
    shapes: HashMap<ShapeId, Known>,
    /// Confirmed shapes by z (drawing order).
    order: BTreeMap<u64, ShapeId>,
    /// Changes that came before the ones preceding them.
    early: BTreeMap<u64, BoardChange>,
    pending: Vec<Pending>,
    next_pending: u64,
    /// Shapes this client added that may not be confirmed yet.
    local: HashMap<ShapeId, Arc<Shape>>,
    undo: Vec<Action>,
    redo: Vec<Action>,
    id_prefix: String,
    next_shape: u64,
    drafts: HashMap<ShapeId, Draft>,
    version: u64,
}

impl BoardModel {
    /// An empty board of `room`. `id_prefix` starts the ids of the shapes
    /// this client draws: random per page, so that ids never collide.
    pub fn new(room: RoomName, id_prefix: &str) -> Self {
        Self {
            room,
            seq: 0,
            synced: false,
            shapes: HashMap::new(),
            order: BTreeMap::new(),
            early: BTreeMap::new(),
            pending: Vec::new(),
            next_pending: 0,
            local: HashMap::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            id_prefix: id_prefix.to_owned(),
            next_shape: 0,
            drafts: HashMap::new(),
            version: 0,
        }
    }

    pub fn room(&self) -> &RoomName {
        &self.room
    }

    /// The newest server change this board has.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Whether a snapshot has arrived since the board was opened.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Grows by one with every change to what is shown.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// What to send `board-join` with: the change this board is at, once
    /// it has had a snapshot.
    pub fn since(&self) -> Option<u64> {
        self.synced.then_some(self.seq)
    }

    /// A fresh id for a shape this client draws.
    pub fn new_shape_id(&mut self) -> ShapeId {
        self.next_shape += 1;
        ShapeId::numbered(&self.id_prefix, self.next_shape)
    }

    // ---- From the server ----

    /// Applies the ack of `board-join`.
    pub fn snapshot(&mut self, snapshot: BoardSnapshot) {
        if snapshot.full {
            self.shapes.clear();
            self.order.clear();
        }
        for placed in snapshot.shapes {
            self.put(placed.z, placed.shape);
        }
        for id in &snapshot.removed {
            self.hide(id);
        }
        self.seq = snapshot.seq;
        self.synced = true;
        self.early = self.early.split_off(&(self.seq + 1));
        self.drain_early();
        self.version += 1;
    }

    /// Applies a change: an ack of this client's op or someone's
    /// `board-changed`. Changes are applied in `seq` order; one that comes
    /// too early waits.
    pub fn changed(&mut self, change: BoardChange) {
        if change.is_empty() || change.seq <= self.seq {
            return;
        }
        self.early.insert(change.seq, change);
        self.drain_early();
    }

    /// Whether changes are waiting for an earlier one that has not come:
    /// if that lasts, catch up with `board-join {since}`.
    pub fn has_gap(&self) -> bool {
        !self.early.is_empty()
    }

    fn drain_early(&mut self) {
        while let Some(change) = self.early.remove(&(self.seq + 1)) {
            self.seq = change.seq;
            for placed in change.added {
                self.drafts.remove(&placed.shape.id);
                self.put(placed.z, placed.shape);
            }
            for id in &change.removed {
                self.hide(id);
            }
            self.version += 1;
        }
    }

    fn put(&mut self, z: u64, shape: Shape) {
        let id = shape.id.clone();
        if let Some(old) = self.shapes.get(&id) {
            self.order.remove(&old.z);
        }
        self.order.insert(z, id.clone());
        self.shapes.insert(
            id,
            Known {
                shape: Arc::new(shape),
                z,
                shown: true,
            },
        );
    }

    fn hide(&mut self, id: &ShapeId) {
        if let Some(known) = self.shapes.get_mut(id) {
            known.shown = false;
        }
    }

    /// Someone's stroke in progress.
    pub fn drawing(&mut self, drawing: BoardDrawing, now_ms: f64) {
        let d = drawing.draw;
        if self.shapes.contains_key(&d.id) || d.room != self.room {
            return;
        }
        let draft = self.drafts.entry(d.id.clone()).or_insert_with(|| Draft {
            by: drawing.by,
            shape: Shape {
                id: d.id,
                tool: d.tool,
                color: d.color,
                width: d.width,
                points: Vec::new(),
            },
            updated_ms: now_ms,
        });
        let points = &mut draft.shape.points;
        points.truncate(d.start as usize);
        points.extend(d.points);
        draft.updated_ms = now_ms;
        self.version += 1;
    }

    /// Drops drafts without news for [`DRAFT_TIMEOUT_MS`].
    pub fn expire_drafts(&mut self, now_ms: f64) {
        let before = self.drafts.len();
        self.drafts
            .retain(|_, d| now_ms - d.updated_ms < DRAFT_TIMEOUT_MS);
        if self.drafts.len() != before {
            self.version += 1;
        }
    }

    pub fn drafts(&self) -> impl Iterator<Item = &Draft> {
        self.drafts.values()
    }

    // ---- This client's own changes ----

    fn push(&mut self, op: Op) {
        if let Op::Add { shape } = &op {
            self.local.insert(shape.id.clone(), Arc::new(shape.clone()));
        }
        self.next_pending += 1;
        self.pending.push(Pending {
            id: self.next_pending,
            op,
            sent: false,
        });
        self.version += 1;
    }

    /// Adds a shape this person drew.
    pub fn draw(&mut self, shape: Shape) {
        let id = shape.id.clone();
        self.push(Op::Add { shape });
        self.record(Action {
            undo: vec![Op::Erase {
                ids: vec![id.clone()],
            }],
            redo: vec![Op::Restore { ids: vec![id] }],
        });
    }

    /// Erases shapes (the eraser); does nothing for no shapes.
    pub fn erase(&mut self, ids: Vec<ShapeId>) {
        if ids.is_empty() {
            return;
        }
        let chunks = |make: fn(Vec<ShapeId>) -> Op| -> Vec<Op> {
            ids.chunks(MAX_OP_IDS).map(|c| make(c.to_vec())).collect()
        };
        let erase = chunks(|ids| Op::Erase { ids });
        let restore = chunks(|ids| Op::Restore { ids });
        for op in erase.clone() {
            self.push(op);
        }
        self.record(Action {
            undo: restore,
            redo: erase,
        });
    }

    /// Erases everything shown: one action, undone as one.
    pub fn clear(&mut self) {
        let ids = self.visible().iter().map(|s| s.id.clone()).collect();
        self.erase(ids);
    }

    fn record(&mut self, action: Action) {
        self.undo.push(action);
        self.redo.clear();
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Undoes this person's last action; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(action) = self.undo.pop() else {
            return false;
        };
        for op in action.undo.clone() {
            self.push(op);
        }
        self.redo.push(action);
        true
    }

    /// Redoes the last undone action; false when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(action) = self.redo.pop() else {
            return false;
        };
        for op in action.redo.clone() {
            self.push(op);
        }
        self.undo.push(action);
        true
    }

    /// The ops to send now (marked sent), in order.
    pub fn to_send(&mut self) -> Vec<(u64, Op)> {
        self.pending
            .iter_mut()
            .filter(|p| !p.sent)
            .map(|p| {
                p.sent = true;
                (p.id, p.op.clone())
            })
            .collect()
    }

    /// The connection dropped: everything pending is sent again later.
    pub fn disconnected(&mut self) {
        for p in &mut self.pending {
            p.sent = false;
        }
    }

    /// Op `id` got no answer (timeout, rate limit): send it again later.
    pub fn unanswered(&mut self, id: u64) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.sent = false;
        }
    }

    /// The server applied op `id` as `change`.
    pub fn acked(&mut self, id: u64, change: BoardChange) {
        self.settle(id);
        self.changed(change);
        self.version += 1;
    }

    /// The server refused op `id`: it is dropped, and what it showed goes.
    pub fn refused(&mut self, id: u64) {
        self.settle(id);
        self.version += 1;
    }

    fn settle(&mut self, id: u64) {
        if let Some(i) = self.pending.iter().position(|p| p.id == id) {
            let done = self.pending.remove(i);
            if let Op::Add { shape } = done.op {
                let still_pending = self
                    .pending
                    .iter()
                    .any(|p| matches!(&p.op, Op::Add { shape: s } if s.id == shape.id));
                if !still_pending {
                    self.local.remove(&shape.id);
                }
            }
        }
    }

    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    // ---- What is shown ----

    /// The shapes shown, bottom to top: the confirmed ones, with this
    /// client's pending ops applied over them.
    pub fn visible(&self) -> Vec<Arc<Shape>> {
        let mut shown: HashMap<&ShapeId, bool> = HashMap::new();
        let mut extra: Vec<&ShapeId> = Vec::new();
        let mut extra_seen: HashSet<&ShapeId> = HashSet::new();
        for p in &self.pending {
            match &p.op {
                Op::Add { shape } => {
                    if !self.shapes.contains_key(&shape.id) && extra_seen.insert(&shape.id) {
                        extra.push(&shape.id);
                    }
                    shown.insert(&shape.id, true);
                }
                Op::Erase { ids } => ids.iter().for_each(|id| {
                    shown.insert(id, false);
                }),
                Op::Restore { ids } => ids.iter().for_each(|id| {
                    shown.insert(id, true);
                }),
            }
        }
        let confirmed = self.order.values().filter_map(|id| {
            let known = self.shapes.get(id)?;
            shown
                .get(id)
                .copied()
                .unwrap_or(known.shown)
                .then(|| known.shape.clone())
        });
        let local = extra.into_iter().filter_map(|id| {
            shown
                .get(id)
                .copied()
                .unwrap_or(true)
                .then(|| self.local.get(id).cloned())
                .flatten()
        });
        confirmed.chain(local).collect()
    }

    /// The ids shown, bottom to top, for comparing boards.
    pub fn visible_ids(&self) -> Vec<ShapeId> {
        self.visible().iter().map(|s| s.id.clone()).collect()
    }

    /// The shapes the eraser at `at` (radius `radius`) touches.
    pub fn touched(&self, at: Point, radius: f32) -> Vec<ShapeId> {
        self.visible()
            .iter()
            .filter(|s| touches(s, at, radius))
            .map(|s| s.id.clone())
            .collect()
    }

    /// The board as an SVG document, white background, board units.
    pub fn to_svg(&self) -> String {
        to_svg(&self.visible())
    }
}

/// Distance from `p` to the segment `a`-`b`.
fn segment_distance(p: Point, a: Point, b: Point) -> f32 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()
}

/// The outline of a shape as a polyline (an ellipse as 64 segments).
pub fn outline(shape: &Shape) -> Vec<Point> {
    match (shape.tool, shape.points.as_slice()) {
        (Tool::Rect, [a, b]) => vec![*a, [b[0], a[1]], *b, [a[0], b[1]], *a],
        (Tool::Ellipse, [a, b]) => {
            let (cx, cy) = ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0);
            let (rx, ry) = ((b[0] - a[0]).abs() / 2.0, (b[1] - a[1]).abs() / 2.0);
            (0..=64)
                .map(|i| {
                    let t = i as f32 / 64.0 * std::f32::consts::TAU;
                    [cx + rx * t.cos(), cy + ry * t.sin()]
                })
                .collect()
        }
        _ => shape.points.clone(),
    }
}

/// Whether an eraser of `radius` at `at` touches the shape's stroke.
pub fn touches(shape: &Shape, at: Point, radius: f32) -> bool {
    let reach = radius + shape.width / 2.0;
    let line = outline(shape);
    match line.as_slice() {
        [] => false,
        [only] => segment_distance(at, *only, *only) <= reach,
        _ => line
            .windows(2)
            .any(|w| segment_distance(at, w[0], w[1]) <= reach),
    }
}

/// `shapes` as an SVG document in board units on a white background.
pub fn to_svg(shapes: &[Arc<Shape>]) -> String {
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{BOARD_WIDTH}\" height=\"{BOARD_HEIGHT}\" \
         viewBox=\"0 0 {BOARD_WIDTH} {BOARD_HEIGHT}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    );
    for shape in shapes {
        // Colours and numbers are validated: nothing here needs escaping.
        let stroke = format!(
            "fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"",
            shape.color, shape.width
        );
        let _ = match (shape.tool, shape.points.as_slice()) {
            (Tool::Pen, [only]) => writeln!(
                svg,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>",
                only[0],
                only[1],
                shape.width / 2.0,
                shape.color
            ),
            (Tool::Pen, points) => {
                let list: Vec<String> = points
                    .iter()
                    .map(|p| format!("{},{}", p[0], p[1]))
                    .collect();
                writeln!(svg, "<polyline points=\"{}\" {stroke}/>", list.join(" "))
            }
            (Tool::Line, [a, b]) => writeln!(
                svg,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {stroke}/>",
                a[0], a[1], b[0], b[1]
            ),
            (Tool::Rect, [a, b]) => writeln!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {stroke}/>",
                a[0].min(b[0]),
                a[1].min(b[1]),
                (b[0] - a[0]).abs(),
                (b[1] - a[1]).abs()
            ),
            (Tool::Ellipse, [a, b]) => writeln!(
                svg,
                "<ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\" {stroke}/>",
                (a[0] + b[0]) / 2.0,
                (a[1] + b[1]) / 2.0,
                (b[0] - a[0]).abs() / 2.0,
                (b[1] - a[1]).abs() / 2.0
            ),
            _ => Ok(()),
        };
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::board::{Color, PlacedShape};

    fn pen(id: &str) -> Shape {
        Shape {
            id: ShapeId::parse(id).unwrap(),
            tool: Tool::Pen,
            color: Color::BLACK,
            width: 4.0,
            points: vec![[10.0, 10.0], [100.0, 10.0]],
        }
    }

    fn ids(model: &BoardModel) -> Vec<String> {
        model.visible_ids().into_iter().map(String::from).collect()
    }

    fn change(seq: u64, added: &[(&str, u64)], removed: &[&str]) -> BoardChange {
        BoardChange {
            room: RoomName::general(),
            seq,
            added: added
                .iter()
                .map(|(id, z)| PlacedShape {
                    z: *z,
                    shape: pen(id),
                })
                .collect(),
            removed: removed
                .iter()
                .map(|id| ShapeId::parse(id).unwrap())
                .collect(),
        }
    }

    fn synced() -> BoardModel {
        let mut m = BoardModel::new(RoomName::general(), "me");
        m.snapshot(BoardSnapshot {
            room: RoomName::general(),
            seq: 0,
            full: true,
            shapes: vec![],
            removed: vec![],
        });
        m
    }

    #[test]
    fn changes_apply_in_order_even_when_they_arrive_out_of_order() {
        let mut m = synced();
        m.changed(change(2, &[("b", 2)], &[]));
        assert!(m.has_gap());
        assert_eq!(ids(&m), Vec::<String>::new());
        m.changed(change(1, &[("a", 1)], &[]));
        assert!(!m.has_gap());
        assert_eq!(ids(&m), ["a", "b"]);
        m.changed(change(1, &[("a", 1)], &[]));
        m.changed(change(3, &[], &["a"]));
        assert_eq!(ids(&m), ["b"]);
        assert_eq!(m.seq(), 3);
    }

    #[test]
    fn own_ops_show_at_once_and_settle_with_their_ack() {
        let mut m = synced();
        let id = m.new_shape_id();
        m.draw(Shape {
            id: id.clone(),
            ..pen("x")
        });
        assert_eq!(m.visible_ids(), std::slice::from_ref(&id));
        let sent = m.to_send();
        assert_eq!(sent.len(), 1);
        assert!(m.to_send().is_empty(), "sent once per connection");
        // Someone else's change comes first, then the ack.
        m.changed(change(1, &[("other", 1)], &[]));
        assert_eq!(ids(&m), ["other", id.as_str()]);
        let ack = BoardChange {
            added: vec![PlacedShape {
                z: 2,
                shape: Shape {
                    id: id.clone(),
                    ..pen("x")
                },
            }],
            ..change(2, &[], &[])
        };
        m.acked(sent[0].0, ack);
        assert!(m.pending().is_empty());
        assert_eq!(ids(&m), ["other", id.as_str()]);
    }

    #[test]
    fn undo_and_redo_touch_only_own_actions() {
        let mut m = synced();
        m.changed(change(1, &[("theirs", 1)], &[]));
        let mine = m.new_shape_id();
        m.draw(Shape {
            id: mine.clone(),
            ..pen("x")
        });
        assert!(m.undo());
        assert_eq!(ids(&m), ["theirs"]);
        assert!(!m.undo(), "their shape is not mine to undo");
        assert!(m.redo());
        assert_eq!(ids(&m), ["theirs", mine.as_str()]);
        // Clear is one action, and undoing it brings back everything.
        m.clear();
        assert!(m.visible().is_empty());
        assert!(m.undo());
        assert_eq!(ids(&m), ["theirs", mine.as_str()]);
        let ops: Vec<Op> = m.to_send().into_iter().map(|(_, op)| op).collect();
        assert_eq!(
            ops.len(),
            5,
            "add, erase, restore, erase both, restore both"
        );
        assert!(matches!(&ops[3], Op::Erase { ids } if ids.len() == 2));
    }

    #[test]
    fn offline_ops_wait_and_are_sent_again() {
        let mut m = synced();
        let a = m.new_shape_id();
        m.draw(Shape {
            id: a.clone(),
            ..pen("x")
        });
        let first = m.to_send();
        m.disconnected();
        let b = m.new_shape_id();
        m.draw(Shape {
            id: b.clone(),
            ..pen("x")
        });
        // After the catch-up the board, then both ops, in order.
        m.snapshot(BoardSnapshot {
            room: RoomName::general(),
            seq: 1,
            full: false,
            shapes: vec![PlacedShape {
                z: 1,
                shape: Shape {
                    id: a.clone(),
                    ..pen("x")
                },
            }],
            removed: vec![],
        });
        assert_eq!(m.visible_ids(), [a.clone(), b.clone()]);
        let again = m.to_send();
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].0, first[0].0);
    }

    #[test]
    fn a_refused_op_stops_showing() {
        let mut m = synced();
        let a = m.new_shape_id();
        m.draw(Shape { id: a, ..pen("x") });
        let sent = m.to_send();
        m.refused(sent[0].0);
        assert!(m.visible().is_empty());
    }

    #[test]
    fn drafts_grow_and_end_with_the_shape() {
        let mut m = synced();
        let draw = |start: u32, points: Vec<Point>| BoardDrawing {
            by: Username::parse("bo").unwrap(),
            draw: crate::protocol::board::BoardDraw {
                room: RoomName::general(),
                id: ShapeId::parse("d1").unwrap(),
                tool: Tool::Pen,
                color: Color::BLACK,
                width: 2.0,
                start,
                points,
            },
        };
        m.drawing(draw(0, vec![[1.0, 1.0], [2.0, 2.0]]), 0.0);
        m.drawing(draw(2, vec![[3.0, 3.0]]), 10.0);
        assert_eq!(m.drafts().next().unwrap().shape.points.len(), 3);
        m.changed(change(1, &[("d1", 1)], &[]));
        assert_eq!(m.drafts().count(), 0);
        m.drawing(draw(0, vec![[1.0, 1.0]]), 0.0);
        assert_eq!(m.drafts().count(), 0, "a finished shape gets no draft");
        let mut n = synced();
        n.drawing(draw(0, vec![[1.0, 1.0]]), 0.0);
        n.expire_drafts(DRAFT_TIMEOUT_MS + 1.0);
        assert_eq!(n.drafts().count(), 0);
    }

    #[test]
    fn the_eraser_hits_strokes_and_outlines() {
        let line = pen("l");
        assert!(touches(&line, [50.0, 14.0], 3.0));
        assert!(!touches(&line, [50.0, 30.0], 3.0));
        let rect = Shape {
            tool: Tool::Rect,
            points: vec![[0.0, 0.0], [100.0, 100.0]],
            ..pen("r")
        };
        assert!(touches(&rect, [100.0, 50.0], 1.0));
        assert!(!touches(&rect, [50.0, 50.0], 1.0), "inside is empty");
        let ellipse = Shape {
            tool: Tool::Ellipse,
            ..rect.clone()
        };
        assert!(touches(&ellipse, [100.0, 50.0], 1.0));
        assert!(!touches(&ellipse, [2.0, 2.0], 1.0), "the corner is outside");
    }

    #[test]
    fn svg_export_draws_every_shape() {
        let shapes: Vec<Arc<Shape>> = [
            pen("a"),
            Shape {
                tool: Tool::Rect,
                ..pen("b")
            },
            Shape {
                tool: Tool::Ellipse,
                ..pen("c")
            },
            Shape {
                tool: Tool::Line,
                ..pen("d")
            },
        ]
        .into_iter()
        .map(Arc::new)
        .collect();
        let svg = to_svg(&shapes);
        for tag in ["<polyline", "<rect x=", "<ellipse", "<line"] {
            assert!(svg.contains(tag), "{tag} in {svg}");
        }
        assert!(svg.contains("stroke=\"#1f2937\""));
    }
}
