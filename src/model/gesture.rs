//! What the pointer does on the board, as a state machine free of browser
//! types: the canvas (`app::board`) feeds it pointer events in board units
//! with the time, and carries out the [`Step`] each returns (stream the
//! stroke so far to the others, send the finished ops, repaint).
//!
//! - Down starts a gesture for that pointer: a new shape with the tool
//!   picked, or the eraser, which collects the shapes it touches.
//! - Move grows the shape (a pen adds a point; a line, rectangle or ellipse
//!   moves its second corner) or erases more. A pen stroke that reaches
//!   [`MAX_STROKE_POINTS`] is finished there and goes on as a new one.
//! - Up (or cancel) finishes it: the shape is drawn on the board, what the
//!   eraser touched is erased, both as this person's own undoable actions.
//!
//! Others see a stroke grow from `board-draw` batches, at most every
//! [`STREAM_EVERY_MS`]; the pointer itself is sent (`board-cursor`) as
//! often, whether or not a button is down.

use super::board::BoardModel;
use crate::protocol::board::{
    BoardCursor, BoardDraw, Color, Point, Shape, ShapeId, Tool, MAX_DRAW_POINTS, MAX_STROKE_POINTS,
};
use crate::protocol::RoomName;

/// How often a stroke in progress and the pointer are sent, at most.
pub const STREAM_EVERY_MS: f64 = 40.0;

/// The eraser's radius, in board units.
pub const ERASER_RADIUS: f32 = 8.0;

/// What the person can pick in the toolbar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Draw(Tool),
    Eraser,
}

impl Pick {
    /// The toolbar, in order.
    pub const ALL: [Pick; 5] = [
        Pick::Draw(Tool::Pen),
        Pick::Draw(Tool::Line),
        Pick::Draw(Tool::Rect),
        Pick::Draw(Tool::Ellipse),
        Pick::Eraser,
    ];

    /// Its button's text.
    pub fn label(self) -> &'static str {
        match self {
            Pick::Draw(Tool::Pen) => "Pen",
            Pick::Draw(Tool::Line) => "Line",
            Pick::Draw(Tool::Rect) => "Rectangle",
            Pick::Draw(Tool::Ellipse) => "Ellipse",
            Pick::Eraser => "Eraser",
        }
    }

    /// Its name in the page (`data-testid="tool-<key>"`).
    pub fn key(self) -> &'static str {
        match self {
            Pick::Draw(tool) => tool.name(),
            Pick::Eraser => "eraser",
        }
    }
}

/// How the next stroke looks: what the toolbar says when the pointer goes
/// down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Brush {
    pub pick: Pick,
    pub color: Color,
    pub width: f32,
}

/// What the page does after a pointer event, in this order: send `draws`,
/// then (when `finished`) the board's new ops; repaint when `repaint`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    /// The stroke so far, to the others (`board-draw`).
    pub draws: Vec<BoardDraw>,
    /// A stroke or an erase was finished: the board has ops to send.
    pub finished: bool,
    /// What the canvas shows changed.
    pub repaint: bool,
}

/// What the pointer is doing on the canvas of one room's board.
#[derive(Debug, Clone)]
pub struct Gesture {
    room: RoomName,
    /// The shape being drawn.
    shape: Option<Shape>,
    /// How many of its points were streamed to the others.
    streamed: usize,
    last_stream_ms: f64,
    last_cursor_ms: f64,
    /// Shapes the eraser has touched in this gesture.
    erasing: Vec<ShapeId>,
    erasing_now: bool,
    /// The pointer this gesture follows (others are ignored).
    pointer: Option<i32>,
}

impl Gesture {
    /// No gesture yet, on the board of `room`.
    pub fn new(room: RoomName) -> Self {
        Self {
            room,
            shape: None,
            streamed: 0,
            last_stream_ms: 0.0,
            last_cursor_ms: 0.0,
            erasing: Vec::new(),
            erasing_now: false,
            pointer: None,
        }
    }

    /// The shape being drawn, if any.
    pub fn shape(&self) -> Option<&Shape> {
        self.shape.as_ref()
    }

    /// The shapes the eraser has touched so far (shown faded).
    pub fn erasing(&self) -> &[ShapeId] {
        &self.erasing
    }

    /// `pointer` went down at `at`: a new gesture with `brush` starts (any
    /// other one is dropped).
    pub fn down(&mut self, board: &mut BoardModel, pointer: i32, at: Point, brush: Brush) -> Step {
        let id = board.new_shape_id();
        *self = Gesture {
            pointer: Some(pointer),
            last_cursor_ms: self.last_cursor_ms,
            ..Gesture::new(self.room.clone())
        };
        match brush.pick {
            Pick::Eraser => {
                self.erasing_now = true;
                self.erasing = board.touched(at, ERASER_RADIUS);
            }
            Pick::Draw(tool) => {
                let points = if tool == Tool::Pen {
                    vec![at]
                } else {
                    vec![at, at]
                };
                self.shape = Some(Shape {
                    id,
                    tool,
                    color: brush.color,
                    width: brush.width,
                    points,
                });
            }
        }
        Step {
            repaint: true,
            ..Step::default()
        }
    }

    /// The pointer is at `at` (any pointer, down or not): where to show it
    /// to the others, unless it was sent less than [`STREAM_EVERY_MS`] ago.
    pub fn cursor(&mut self, at: Point, now_ms: f64) -> Option<BoardCursor> {
        if now_ms - self.last_cursor_ms < STREAM_EVERY_MS {
            return None;
        }
        self.last_cursor_ms = now_ms;
        Some(BoardCursor {
            room: self.room.clone(),
            x: at[0],
            y: at[1],
        })
    }

    /// `pointer` moved to `at`.
    pub fn moved(&mut self, board: &mut BoardModel, pointer: i32, at: Point, now_ms: f64) -> Step {
        let mut step = Step::default();
        if self.pointer != Some(pointer) {
            return step;
        }
        // Where a pen stroke that is too long goes on as a new one.
        let mut split = None;
        if self.erasing_now {
            for id in board.touched(at, ERASER_RADIUS) {
                if !self.erasing.contains(&id) {
                    self.erasing.push(id);
                }
            }
        } else {
            let Some(shape) = self.shape.as_mut() else {
                return step;
            };
            match shape.tool {
                Tool::Pen => {
                    let last = shape.points.last().copied().unwrap_or(at);
                    // Less than a unit away: nothing new to draw.
                    if (last[0] - at[0]).abs() + (last[1] - at[1]).abs() >= 1.0 {
                        shape.points.push(at);
                        if shape.points.len() >= MAX_STROKE_POINTS {
                            split = Some((at, shape.color, shape.width));
                        }
                    }
                }
                _ => {
                    if let Some(corner) = shape.points.get_mut(1) {
                        *corner = at;
                    }
                }
            }
        }
        step.repaint = true;
        step.draws.extend(self.stream(false, now_ms));
        if let Some((at, color, width)) = split {
            step.draws.extend(self.stream(true, now_ms));
            self.finish(board);
            step.finished = true;
            self.pointer = Some(pointer);
            // The new stroke is streamed from its first point.
            self.streamed = 0;
            self.shape = Some(Shape {
                id: board.new_shape_id(),
                tool: Tool::Pen,
                color,
                width,
                points: vec![at],
            });
        }
        step
    }

    /// `pointer` was released (or the browser cancelled it): the gesture
    /// is finished.
    pub fn up(&mut self, board: &mut BoardModel, pointer: i32, now_ms: f64) -> Step {
        if self.pointer != Some(pointer) {
            return Step::default();
        }
        let draws = self.stream(true, now_ms).into_iter().collect();
        self.finish(board);
        Step {
            draws,
            finished: true,
            repaint: true,
        }
    }

    /// The stroke's points not streamed yet (at most [`MAX_DRAW_POINTS`]),
    /// unless the last batch went less than [`STREAM_EVERY_MS`] ago and
    /// this is not `force`d. A pen sends its new points; the other tools
    /// both corners again.
    fn stream(&mut self, force: bool, now_ms: f64) -> Option<BoardDraw> {
        let shape = self.shape.as_ref()?;
        if !force && now_ms - self.last_stream_ms < STREAM_EVERY_MS {
            return None;
        }
        let start = if shape.tool == Tool::Pen {
            self.streamed
        } else {
            0
        };
        let end = shape.points.len().min(start + MAX_DRAW_POINTS);
        if end <= start {
            return None;
        }
        self.last_stream_ms = now_ms;
        self.streamed = end;
        Some(BoardDraw {
            room: self.room.clone(),
            id: shape.id.clone(),
            tool: shape.tool,
            color: shape.color,
            width: shape.width,
            start: start as u32,
            points: shape.points[start..end].to_vec(),
        })
    }

    /// Draws the shape and erases what the eraser touched, on `board`.
    fn finish(&mut self, board: &mut BoardModel) {
        self.pointer = None;
        self.erasing_now = false;
        if let Some(shape) = self.shape.take() {
            board.draw(shape);
        }
        board.erase(std::mem::take(&mut self.erasing));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{pen, synced};
    use crate::protocol::board::Op;

    fn brush(pick: Pick) -> Brush {
        Brush {
            pick,
            color: Color::BLACK,
            width: 4.0,
        }
    }

    fn gesture() -> Gesture {
        Gesture::new(RoomName::general())
    }

    /// The shapes the board's pending adds draw, by their points.
    fn added(board: &BoardModel) -> Vec<Vec<Point>> {
        board
            .pending()
            .iter()
            .filter_map(|p| match &p.op {
                Op::Add { shape } => Some(shape.points.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_pen_stroke_streams_as_it_grows_and_ends_as_one_op() {
        let (mut m, mut g) = (synced(), gesture());
        let down = g.down(&mut m, 1, [10.0, 10.0], brush(Pick::Draw(Tool::Pen)));
        assert!(down.repaint && down.draws.is_empty() && !down.finished);
        assert_eq!(g.shape().map(|s| s.points.len()), Some(1));
        assert!(m.pending().is_empty(), "nothing is sent while drawing");

        let step = g.moved(&mut m, 1, [20.0, 10.0], 50.0);
        assert!(step.repaint && !step.finished);
        assert_eq!(step.draws.len(), 1);
        assert_eq!(step.draws[0].start, 0);
        assert_eq!(step.draws[0].points, [[10.0, 10.0], [20.0, 10.0]]);
        assert_eq!(step.draws[0].room, RoomName::general());
        // Within STREAM_EVERY_MS of the last batch: kept for the next one.
        assert!(g.moved(&mut m, 1, [30.0, 10.0], 60.0).draws.is_empty());
        let step = g.moved(&mut m, 1, [40.0, 10.0], 100.0);
        assert_eq!(step.draws[0].start, 2);
        assert_eq!(step.draws[0].points, [[30.0, 10.0], [40.0, 10.0]]);
        // Another pointer changes nothing.
        assert_eq!(g.moved(&mut m, 2, [90.0, 90.0], 200.0), Step::default());
        assert_eq!(g.up(&mut m, 2, 200.0), Step::default());

        assert!(g.moved(&mut m, 1, [50.0, 10.0], 110.0).draws.is_empty());
        // Up sends what is left at once, then the shape as one op.
        let up = g.up(&mut m, 1, 120.0);
        assert!(up.finished && up.repaint);
        assert_eq!(up.draws.len(), 1);
        assert_eq!(up.draws[0].start, 4);
        assert_eq!(up.draws[0].points, [[50.0, 10.0]]);
        assert!(g.shape().is_none());
        assert_eq!(added(&m).len(), 1);
        assert_eq!(added(&m)[0].len(), 5);
        assert!(m.can_undo());
        // The gesture is over: more moves draw nothing.
        assert_eq!(g.moved(&mut m, 1, [60.0, 10.0], 200.0), Step::default());
    }

    #[test]
    fn a_pen_adds_no_point_for_less_than_a_unit() {
        let (mut m, mut g) = (synced(), gesture());
        g.down(&mut m, 1, [10.0, 10.0], brush(Pick::Draw(Tool::Pen)));
        let step = g.moved(&mut m, 1, [10.4, 10.4], 50.0);
        assert!(step.repaint);
        assert_eq!(g.shape().map(|s| s.points.len()), Some(1));
        g.moved(&mut m, 1, [10.6, 10.6], 60.0);
        assert_eq!(g.shape().map(|s| s.points.len()), Some(2));
    }

    #[test]
    fn a_box_moves_its_second_corner_and_streams_both() {
        let (mut m, mut g) = (synced(), gesture());
        g.down(&mut m, 7, [10.0, 10.0], brush(Pick::Draw(Tool::Rect)));
        assert_eq!(
            g.shape().map(|s| s.points.clone()),
            Some(vec![[10.0, 10.0], [10.0, 10.0]])
        );
        g.moved(&mut m, 7, [50.0, 60.0], 10.0);
        let step = g.moved(&mut m, 7, [80.0, 90.0], 50.0);
        assert_eq!(step.draws.len(), 1);
        assert_eq!(step.draws[0].start, 0);
        assert_eq!(step.draws[0].tool, Tool::Rect);
        assert_eq!(step.draws[0].points, [[10.0, 10.0], [80.0, 90.0]]);
        let up = g.up(&mut m, 7, 60.0);
        assert_eq!(up.draws[0].points, [[10.0, 10.0], [80.0, 90.0]]);
        assert_eq!(added(&m), [vec![[10.0, 10.0], [80.0, 90.0]]]);
    }

    #[test]
    fn the_eraser_collects_what_it_touches_and_erases_it_as_one_action() {
        let mut m = synced();
        m.draw(pen("a"));
        m.draw(Shape {
            points: vec![[10.0, 500.0], [100.0, 500.0]],
            ..pen("b")
        });
        let before = m.pending().len();
        let mut g = gesture();
        let down = g.down(&mut m, 1, [50.0, 10.0], brush(Pick::Eraser));
        assert!(down.repaint);
        assert!(g.shape().is_none());
        assert_eq!(g.erasing(), [ShapeId::parse("a").unwrap()]);
        g.moved(&mut m, 1, [50.0, 300.0], 50.0);
        g.moved(&mut m, 1, [60.0, 10.0], 100.0);
        assert_eq!(g.erasing().len(), 1, "each shape once");
        let step = g.moved(&mut m, 1, [50.0, 500.0], 150.0);
        assert!(step.draws.is_empty() && step.repaint);
        assert_eq!(g.erasing().len(), 2);
        assert_eq!(m.visible().len(), 2, "nothing is erased until up");

        let up = g.up(&mut m, 1, 200.0);
        assert!(up.finished && up.draws.is_empty());
        assert!(g.erasing().is_empty());
        assert!(m.visible().is_empty());
        assert!(matches!(
            &m.pending()[before..],
            [p] if matches!(&p.op, Op::Erase { ids } if ids.len() == 2)
        ));
        assert!(m.undo());
        assert_eq!(m.visible().len(), 2);
    }

    #[test]
    fn a_very_long_pen_stroke_goes_on_as_a_new_one() {
        let (mut m, mut g) = (synced(), gesture());
        g.down(&mut m, 1, [0.0, 0.0], brush(Pick::Draw(Tool::Pen)));
        let mut splits = 0;
        for i in 1..MAX_STROKE_POINTS + 10 {
            let at = [(i % 1000) as f32, (i / 1000) as f32 * 10.0];
            let step = g.moved(&mut m, 1, at, i as f64);
            if step.finished {
                splits += 1;
                assert_eq!(g.shape().map(|s| s.points.clone()), Some(vec![at]));
            }
        }
        assert_eq!(splits, 1);
        assert_eq!(added(&m).len(), 1);
        assert_eq!(added(&m)[0].len(), MAX_STROKE_POINTS);
        g.up(&mut m, 1, 1e6);
        let shapes = added(&m);
        assert_eq!(shapes.len(), 2);
        assert_eq!(shapes[1].len(), 11);
        // Two shapes, two actions to undo.
        assert!(m.undo() && m.undo() && !m.undo());
    }

    #[test]
    fn the_continuation_of_a_very_long_stroke_is_streamed_too() {
        let (mut m, mut g) = (synced(), gesture());
        g.down(&mut m, 1, [0.0, 0.0], brush(Pick::Draw(Tool::Pen)));
        let mut t = 0.0;
        let mut i = 1;
        // Up to the split, then a few points more, each past the interval.
        let mut continuation = None;
        let mut sent = 0;
        while i < MAX_STROKE_POINTS + 5 {
            t += STREAM_EVERY_MS;
            let at = [(i % 1000) as f32, (i / 1000) as f32 * 10.0];
            let step = g.moved(&mut m, 1, at, t);
            if step.finished {
                continuation = g.shape().map(|s| s.id.clone());
            } else if let Some(id) = &continuation {
                let draw = step.draws.last().expect("the continuation is streamed");
                assert_eq!(&draw.id, id);
                assert_eq!(draw.start as usize, sent, "no point skipped or sent twice");
                assert_eq!(draw.points.last(), Some(&at));
                sent += draw.points.len();
            }
            i += 1;
        }
        assert!(continuation.is_some(), "the stroke was split");
        assert_eq!(Some(sent), g.shape().map(|s| s.points.len()));
    }

    #[test]
    fn the_pointer_is_sent_at_most_every_stream_interval() {
        let (mut m, mut g) = (synced(), gesture());
        let at = [5.0, 6.0];
        assert_eq!(
            g.cursor(at, 100.0),
            Some(BoardCursor {
                room: RoomName::general(),
                x: 5.0,
                y: 6.0
            })
        );
        assert_eq!(g.cursor(at, 139.0), None);
        // A new gesture keeps the interval going.
        g.down(&mut m, 1, at, brush(Pick::Draw(Tool::Pen)));
        assert_eq!(g.cursor(at, 139.0), None);
        assert!(g.cursor(at, 140.0).is_some());
    }

    #[test]
    fn a_new_pointer_down_drops_the_unfinished_gesture() {
        let (mut m, mut g) = (synced(), gesture());
        g.down(&mut m, 1, [10.0, 10.0], brush(Pick::Draw(Tool::Line)));
        g.down(&mut m, 2, [20.0, 20.0], brush(Pick::Draw(Tool::Pen)));
        assert_eq!(g.up(&mut m, 1, 10.0), Step::default());
        g.up(&mut m, 2, 10.0);
        assert_eq!(added(&m), [vec![[20.0, 20.0]]]);
    }
}
