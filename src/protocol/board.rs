//! The whiteboard of each chat room, on namespace `/chat`.
//!
//! A board is a set of shapes (pen strokes, lines, rectangles, ellipses),
//! each with an id its author's client made up. The server orders every
//! change: it gives each one the board's next sequence number `seq`, stores
//! it, and sends it to the other people on the board. Shapes never change
//! once added; a change adds shapes, erases them, or restores erased ones.
//! That makes every change idempotent and lets a client that was offline
//! send what it drew when it is back. See README, "Whiteboard".
//!
//! Client → server: [`BoardJoin`] (answered with a [`BoardSnapshot`]),
//! [`BoardLeave`], [`BoardOp`] (answered with the [`BoardChange`] it made),
//! [`BoardDraw`] (a stroke being drawn, relayed, not stored),
//! [`BoardCursor`].
//! Server → client: [`BoardChanged`], [`BoardDrawing`], [`BoardCursors`].

use super::ack::OkMessage;
use super::chat::NAMESPACE;
use super::names::{parse_id, validated_string, NameError, RoomName, Username};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The board's coordinate space: x in `0..=BOARD_WIDTH`, y in
/// `0..=BOARD_HEIGHT`, whatever the size of the screen showing it.
pub const BOARD_WIDTH: f32 = 1600.0;
pub const BOARD_HEIGHT: f32 = 1000.0;
/// Thinnest and thickest stroke, in board units.
pub const MIN_STROKE_WIDTH: f32 = 1.0;
pub const MAX_STROKE_WIDTH: f32 = 64.0;
/// Most points in one pen stroke. A longer stroke is stored as several.
pub const MAX_STROKE_POINTS: usize = 2000;
/// Most points in one [`BoardDraw`] batch.
pub const MAX_DRAW_POINTS: usize = 200;
/// Most shapes a board shows at once.
pub const MAX_BOARD_SHAPES: usize = 5000;
/// Most points in all the shapes a board shows at once.
pub const MAX_BOARD_POINTS: usize = 200_000;
/// Most shape ids in one erase or restore.
pub const MAX_OP_IDS: usize = 500;
/// Why a board refused a change: the board's own rules, which need the
/// board's state (the event's own rules are in `ClientEvent::check`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardRefusal {
    #[error("This board is full ({MAX_BOARD_SHAPES} shapes): erase or clear something first")]
    TooManyShapes,
    #[error(
        "This board is full ({MAX_BOARD_POINTS} points in all): erase or clear something first"
    )]
    TooManyPoints,
    #[error("There is already a different shape {0} on this board: add it under a new id")]
    IdTaken(ShapeId),
    #[error("There is no shape {0} on this board")]
    NoShape(ShapeId),
    /// The board's bytes of shapes shown (`HUDDLE_BOARD_MAX_BYTES`).
    #[error("This board is full ({} of shapes): erase or clear something first", size(*.0))]
    TooManyBytes(u64),
    /// What one client (an account, or a guest's address) may add to
    /// boards in a day (`HUDDLE_BOARD_DAILY_BYTES`).
    #[error(
        "You have drawn {} on boards today, the most allowed in one day: draw again after 00:00 UTC",
        size(*.0)
    )]
    DailyLimit(u64),
    /// A restore of a shape the board no longer keeps: erased shapes are
    /// kept for undo up to a budget per board, those erased longest ago
    /// deleted first, so an undo that old cannot be done any more.
    #[error(
        "Shape {0} cannot be restored: it was erased too long ago, and this board keeps only the shapes erased most recently"
    )]
    NoLongerKept(ShapeId),
}

/// `bytes` for people: `8 MiB`, `512 KiB`, or `1000 bytes`.
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Whether a board that shows `shapes` shapes holding `points` points in
/// all may show `more_shapes` more holding `more_points`: at most
/// [`MAX_BOARD_SHAPES`] and [`MAX_BOARD_POINTS`].
pub fn room_for(
    (shapes, points): (usize, usize),
    (more_shapes, more_points): (usize, usize),
) -> Result<(), BoardRefusal> {
    if shapes + more_shapes > MAX_BOARD_SHAPES {
        Err(BoardRefusal::TooManyShapes)
    } else if points + more_points > MAX_BOARD_POINTS {
        Err(BoardRefusal::TooManyPoints)
    } else {
        Ok(())
    }
}

/// Longest shape id, in bytes.
pub const MAX_SHAPE_ID_BYTES: usize = 64;

validated_string!(
    /// A shape's id: 1 to 64 letters, digits, `-` or `_`, unique on its
    /// board. Clients make it up (a random prefix per page and a counter),
    /// so a shape drawn offline has its id before the server sees it.
    ShapeId
);

impl ShapeId {
    pub fn parse(s: &str) -> Result<Self, NameError> {
        parse_id(s, "a shape id", MAX_SHAPE_ID_BYTES).map(Self)
    }

    /// `<prefix>-<n>`, keeping of `prefix` only its first 40 allowed
    /// characters: always a valid id.
    pub fn numbered(prefix: &str, n: u64) -> Self {
        let prefix: String = prefix
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(40)
            .collect();
        Self(format!("{prefix}-{n}"))
    }
}

/// A colour as `#rrggbb` (lower or upper case hex digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color([u8; 3]);

impl Color {
    pub const BLACK: Color = Color([0x1f, 0x29, 0x37]);

    pub fn parse(s: &str) -> Result<Self, NameError> {
        let hex = s
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| NameError::NotAColour { got: clip(s) })?;
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        Ok(Self([byte(0), byte(2), byte(4)]))
    }

    pub fn rgb(&self) -> [u8; 3] {
        self.0
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl TryFrom<String> for Color {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Self::parse(&s)
    }
}

impl From<Color> for String {
    fn from(c: Color) -> String {
        c.to_string()
    }
}

/// At most 20 characters of `s`, for quoting bad input in an error.
fn clip(s: &str) -> String {
    s.chars().take(20).collect()
}

/// What a shape is. Pen strokes have any number of points; the others
/// have two: the start and end of a line, opposite corners of the box a
/// rectangle or ellipse fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", expecting = "pen, line, rect or ellipse")]
pub enum Tool {
    Pen,
    Line,
    Rect,
    Ellipse,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::Pen, Tool::Line, Tool::Rect, Tool::Ellipse];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Pen => "pen",
            Tool::Line => "line",
            Tool::Rect => "rect",
            Tool::Ellipse => "ellipse",
        }
    }

    /// How many points a finished shape of this tool has.
    pub fn point_count(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Tool::Pen => 1..=MAX_STROKE_POINTS,
            _ => 2..=2,
        }
    }
}

/// A point on the board, `[x, y]` on the wire.
pub type Point = [f32; 2];

/// Whether `p` lies on the board.
pub fn check_point(p: &Point) -> Result<(), String> {
    let [x, y] = *p;
    let on_board = x.is_finite()
        && y.is_finite()
        && (0.0..=BOARD_WIDTH).contains(&x)
        && (0.0..=BOARD_HEIGHT).contains(&y);
    if !on_board {
        return Err(format!(
            "point [{x}, {y}] is off the board (x 0 to {BOARD_WIDTH}, y 0 to {BOARD_HEIGHT})"
        ));
    }
    Ok(())
}

fn check_width(width: f32) -> Result<(), String> {
    if !(width.is_finite() && (MIN_STROKE_WIDTH..=MAX_STROKE_WIDTH).contains(&width)) {
        return Err(format!(
            "width must be {MIN_STROKE_WIDTH} to {MAX_STROKE_WIDTH}, got {width}"
        ));
    }
    Ok(())
}

/// One finished shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a shape: an object with id, tool, color, width and points")]
pub struct Shape {
    pub id: ShapeId,
    pub tool: Tool,
    pub color: Color,
    pub width: f32,
    pub points: Vec<Point>,
}

impl Shape {
    /// Whether the shape obeys the board's rules; the error says which not.
    pub fn check(&self) -> Result<(), String> {
        check_width(self.width)?;
        let counts = self.tool.point_count();
        if !counts.contains(&self.points.len()) {
            return Err(match self.tool {
                Tool::Pen => format!(
                    "a pen stroke has 1 to {MAX_STROKE_POINTS} points, got {}",
                    self.points.len()
                ),
                tool => format!("a {} has 2 points, got {}", tool.name(), self.points.len()),
            });
        }
        self.points.iter().try_for_each(check_point)
    }
}

/// A stored shape and its place in the drawing order (`z`: the `seq` of the
/// change that added it; higher is drawn later, on top).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedShape {
    pub z: u64,
    #[serde(flatten)]
    pub shape: Shape,
}

/// `board-join {room, since?}`: open the board of `room` (the socket must
/// have joined the chat). From now on the socket gets the board's
/// [`BoardChanged`], [`BoardDrawing`] and [`BoardCursors`]. Ack: a
/// [`BoardSnapshot`]: the whole board, or with `since` (the `seq` the
/// client already has) only what changed after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardJoin {
    pub room: RoomName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
}

impl ClientEvent for BoardJoin {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-join";
    type Reply = BoardSnapshot;
}

/// The ack of [`BoardJoin`]. `full`: `shapes` is the whole board (drop what
/// you had); otherwise `shapes` were added or restored and `removed` were
/// erased after `since`. Either way the board is now at `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardSnapshot {
    pub room: RoomName,
    pub seq: u64,
    pub full: bool,
    pub shapes: Vec<PlacedShape>,
    #[serde(default)]
    pub removed: Vec<ShapeId>,
}

/// `board-leave {room}`: stop getting the board's events. Ack:
/// `Left the board of <room>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardLeave {
    pub room: RoomName,
}

impl ClientEvent for BoardLeave {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-leave";
    type Reply = OkMessage;
}

/// One change to a board, as a client asks for it: `{type: "add", shape}`,
/// `{type: "erase", ids}` or `{type: "restore", ids}`. Read through
/// [`OpFields`] (see its `Deserialize`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Op {
    /// Add a finished shape. Adding a shape that is already there, the
    /// same, changes nothing (a retry); a different shape under a taken id
    /// is refused.
    Add { shape: Shape },
    /// Erase shapes (the eraser, clearing the board, undoing an add).
    /// Erasing an erased shape changes nothing.
    Erase { ids: Vec<ShapeId> },
    /// Bring erased shapes back (undoing an erase or a clear).
    Restore { ids: Vec<ShapeId> },
}

/// An op as it comes: its `type` and the fields of every type. serde's
/// own reading of a tagged enum buffers the op first, which loses where in
/// it a field was wrong and says `expected internally tagged enum Op`;
/// read as a plain object, each field's refusal names it
/// (`op.shape.width must be a number`).
#[derive(Deserialize)]
#[serde(expecting = "an object with a type of add, erase or restore")]
struct OpFields {
    #[serde(rename = "type")]
    kind: OpKind,
    #[serde(default)]
    shape: Option<Shape>,
    #[serde(default)]
    ids: Option<Vec<ShapeId>>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase", expecting = "add, erase or restore")]
enum OpKind {
    Add,
    Erase,
    Restore,
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let OpFields { kind, shape, ids } = OpFields::deserialize(d)?;
        let needs_ids = |kind: &str| {
            D::Error::custom(format!(
                "an op of type {kind} needs ids, an array of shape ids"
            ))
        };
        match kind {
            OpKind::Add => shape
                .map(|shape| Op::Add { shape })
                .ok_or_else(|| D::Error::custom("an op of type add needs a shape")),
            OpKind::Erase => ids
                .map(|ids| Op::Erase { ids })
                .ok_or_else(|| needs_ids("erase")),
            OpKind::Restore => ids
                .map(|ids| Op::Restore { ids })
                .ok_or_else(|| needs_ids("restore")),
        }
    }
}

impl Op {
    /// Whether the op obeys the board's rules; the error says which not.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Op::Add { shape } => shape.check(),
            Op::Erase { ids } | Op::Restore { ids } => {
                if ids.is_empty() || ids.len() > MAX_OP_IDS {
                    Err(format!(
                        "name 1 to {MAX_OP_IDS} shapes at a time, got {}",
                        ids.len()
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// `board-op {room, op}`: change the board (the socket must have joined
/// it). Ack: the [`BoardChange`] made (empty when it changed nothing, e.g.
/// a retry); everyone else on the board gets it as [`BoardChanged`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardOp {
    pub room: RoomName,
    pub op: Op,
}

impl ClientEvent for BoardOp {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-op";
    type Reply = BoardChange;

    fn check(&self) -> Result<(), String> {
        self.op.check()
    }
}

/// What one change did to a board: it is the board's change number `seq`;
/// `added` shapes are now shown (new or restored), `removed` are erased.
/// An empty change (nothing added or removed) carries the board's current
/// `seq` and is not a change of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardChange {
    pub room: RoomName,
    pub seq: u64,
    #[serde(default)]
    pub added: Vec<PlacedShape>,
    #[serde(default)]
    pub removed: Vec<ShapeId>,
}

impl BoardChange {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// `board-changed`: a change someone else made, in `seq` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoardChanged(pub BoardChange);

impl ServerEvent for BoardChanged {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-changed";
}

/// `board-draw {room, id, tool, color, width, start, points}`: part of a
/// shape being drawn, so that others see it grow. `points` replace the
/// shape's points from index `start` on (a pen sends the new points with
/// `start` = how many it sent before; a line, rectangle or ellipse sends
/// both points with `start` 0). Not stored and not acked; the finished
/// shape is sent as a [`BoardOp`] add. Invalid batches are answered with
/// `exception`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardDraw {
    pub room: RoomName,
    pub id: ShapeId,
    pub tool: Tool,
    pub color: Color,
    pub width: f32,
    pub start: u32,
    pub points: Vec<Point>,
}

impl ClientEvent for BoardDraw {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-draw";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        check_width(self.width)?;
        if self.points.is_empty() || self.points.len() > MAX_DRAW_POINTS {
            return Err(format!(
                "send 1 to {MAX_DRAW_POINTS} points at a time, got {}",
                self.points.len()
            ));
        }
        let end = self.start as usize + self.points.len();
        if end > *self.tool.point_count().end() {
            return Err(format!(
                "a {} has at most {} points",
                self.tool.name(),
                self.tool.point_count().end()
            ));
        }
        self.points.iter().try_for_each(check_point)
    }
}

/// `board-drawing`: someone's [`BoardDraw`], with who it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardDrawing {
    pub by: Username,
    #[serde(flatten)]
    pub draw: BoardDraw,
}

impl ServerEvent for BoardDrawing {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-drawing";
}

/// `board-cursor {room, x, y}`: where this person's pointer is on the
/// board. Volatile: the server sends on the newest position of each person
/// at most every [`CURSOR_EVERY_MS`] and drops what a slow connection
/// cannot take; no ack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardCursor {
    pub room: RoomName,
    pub x: f32,
    pub y: f32,
}

impl ClientEvent for BoardCursor {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-cursor";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        check_point(&[self.x, self.y])
    }
}

/// How often, at most, the server sends a board's cursors.
pub const CURSOR_EVERY_MS: u64 = 50;

/// One person's pointer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorAt {
    pub by: Username,
    pub x: f32,
    pub y: f32,
}

/// `board-cursors {room, cursors}`: the pointers that moved since the last
/// one. A pointer that has not moved for a few seconds may be hidden.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardCursors {
    pub room: RoomName,
    pub cursors: Vec<CursorAt>,
}

impl ServerEvent for BoardCursors {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "board-cursors";
}

/// The ack text of [`BoardLeave`].
pub fn left_board(room: &RoomName) -> String {
    format!("Left the board of {room}")
}

#[cfg(test)]
mod tests;
