//! A whiteboard as one client sees it, free of browser types: the page
//! (`app::board`, through `app::sync::board`) draws it, the integration
//! tests drive it natively.
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

use super::geometry::touches;
use super::svg::to_svg;
use crate::protocol::board::{
    BoardChange, BoardDrawing, BoardSnapshot, Op, Point, Shape, ShapeId, MAX_OP_IDS,
};
use crate::protocol::{RoomName, Username};
use std::collections::{BTreeMap, HashMap, HashSet};
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

#[cfg(test)]
mod tests;
