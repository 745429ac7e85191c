//! The "Board" view of a room: a whiteboard everyone in the room draws on
//! at once. [`BoardState`] keeps the open board and talks to the server
//! (once per page); [`Board`] is the toolbar and the canvas; the drawing
//! itself is in `board_canvas`.

use super::board_canvas::{self, Painter};
use super::state::ChatState;
use crate::client::{Client, ConnectionState, EmitError};
use crate::model::board::BoardModel;
use crate::protocol::board::{
    BoardChanged, BoardCursor, BoardCursors, BoardDraw, BoardDrawing, BoardJoin, BoardLeave,
    BoardOp, Color, Point, Shape, Tool, MAX_DRAW_POINTS, MAX_STROKE_POINTS, MAX_STROKE_WIDTH,
};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;
use std::time::Duration;

/// How often a stroke in progress and the pointer are sent, at most.
const STREAM_EVERY_MS: f64 = 40.0;
/// A pointer that has not moved for this long is no longer shown.
const CURSOR_TIMEOUT_MS: f64 = 5000.0;
/// How long changes may wait for an earlier one before the board catches
/// up from the server.
const GAP_WAIT: Duration = Duration::from_millis(1000);

/// The board open on this page, if any, and its link to the server.
#[derive(Clone, Copy)]
pub struct BoardState {
    client: Client,
    me: RwSignal<Option<Username>>,
    model: StoredValue<Option<BoardModel>>,
    /// Boards opened before on this page: reopening one catches up from
    /// where it was, and sends what was drawn on it offline.
    parked: StoredValue<HashMap<RoomName, BoardModel>>,
    /// Others' pointers: name → (position, when it came).
    cursors: StoredValue<HashMap<Username, (Point, f64)>>,
    /// Grows whenever what the canvas shows changes.
    pub version: RwSignal<u64>,
    /// The last thing that went wrong, said under the board.
    pub error: RwSignal<Option<String>>,
}

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    0.0
}

/// A random start for the ids of the shapes this page draws.
fn id_prefix() -> String {
    crate::client::new_client_message_id()
        .map(|id| id.as_str().chars().filter(|c| *c != '-').take(12).collect())
        .unwrap_or_else(|| "p".to_owned())
}

impl BoardState {
    /// The page's board state; listens to the board events once.
    pub fn new(chat: &ChatState) -> Self {
        let board = Self {
            client: chat.client,
            me: chat.me,
            model: StoredValue::new(None),
            parked: StoredValue::new(HashMap::new()),
            cursors: StoredValue::new(HashMap::new()),
            version: RwSignal::new(0),
            error: RwSignal::new(None),
        };
        board.listen();
        board
    }

    fn bump(&self) {
        self.version.update(|v| *v += 1);
    }

    fn room(&self) -> Option<RoomName> {
        self.model
            .with_value(|m| m.as_ref().map(|m| m.room().clone()))
    }

    fn is_open(&self, room: &RoomName) -> bool {
        self.room().as_ref() == Some(room)
    }

    /// Reads (and may change) the open board.
    pub fn with<T>(&self, f: impl FnOnce(&mut BoardModel) -> T) -> Option<T> {
        let out = self.model.try_update_value(|m| m.as_mut().map(f)).flatten();
        if out.is_some() {
            self.bump();
        }
        out
    }

    /// Reads the open board without counting it as a change.
    pub fn peek<T>(&self, f: impl FnOnce(&BoardModel) -> T) -> Option<T> {
        self.model.with_value(|m| m.as_ref().map(f))
    }

    fn listen(self) {
        self.client.on::<BoardChanged>(move |BoardChanged(change)| {
            if self.is_open(&change.room) {
                self.with(|m| m.changed(change));
                self.watch_gap();
            }
        });
        self.client.on::<BoardDrawing>(move |drawing| {
            if self.is_open(&drawing.draw.room) && !self.is_me(&drawing.by) {
                self.with(|m| m.drawing(drawing, now_ms()));
            }
        });
        self.client.on::<BoardCursors>(move |batch| {
            if !self.is_open(&batch.room) {
                return;
            }
            let now = now_ms();
            self.cursors.update_value(|c| {
                for at in batch.cursors {
                    if !self.is_me(&at.by) {
                        c.insert(at.by, ([at.x, at.y], now));
                    }
                }
            });
            self.bump();
        });
        // Offline: everything unacked is sent again once the board has
        // caught up on the new connection.
        let connection = self.client.state();
        Effect::new(move |was: Option<bool>| {
            let connected = connection.get() == ConnectionState::Connected;
            if !connected {
                self.model.update_value(|m| {
                    if let Some(m) = m {
                        m.disconnected();
                    }
                });
            } else if was == Some(false) && self.room().is_some() {
                self.join();
            }
            connected
        });
        // Signed out: nothing of this person's boards may be sent as the
        // next person's.
        let me = self.me;
        Effect::new(move |_| {
            if me.with(Option::is_none) {
                self.model.set_value(None);
                self.parked.set_value(HashMap::new());
            }
        });
    }

    fn is_me(&self, name: &Username) -> bool {
        self.me.with_untracked(|me| {
            me.as_ref()
                .is_some_and(|me| me.as_str().eq_ignore_ascii_case(name.as_str()))
        })
    }

    /// Opens the board of `room` (closing any other).
    pub fn open(&self, room: RoomName) {
        if self.is_open(&room) {
            return;
        }
        self.close();
        let model = match self.parked.try_update_value(|p| p.remove(&room)).flatten() {
            Some(mut parked) => {
                // Whatever it sent before may not have arrived.
                parked.disconnected();
                parked
            }
            None => BoardModel::new(room, &id_prefix()),
        };
        self.model.set_value(Some(model));
        self.error.set(None);
        self.bump();
        self.join();
    }

    /// Closes the open board; it is kept (with anything drawn offline and
    /// not sent yet) until it is opened again or the page is left.
    pub fn close(&self) {
        let Some(model) = self.model.try_update_value(Option::take).flatten() else {
            return;
        };
        let room = model.room().clone();
        self.parked.update_value(|p| {
            p.insert(room.clone(), model);
        });
        self.cursors.set_value(HashMap::new());
        let client = self.client;
        spawn_local(async move {
            let _ = client.emit_with_ack(&BoardLeave { room }).await;
        });
    }

    /// Fetches the board (all of it, or what changed since the last
    /// change this page has), then sends what is pending.
    fn join(&self) {
        let Some((room, since)) = self.peek(|m| (m.room().clone(), m.since())) else {
            return;
        };
        let board = *self;
        spawn_local(async move {
            match board
                .client
                .emit_with_ack(&BoardJoin {
                    room: room.clone(),
                    since,
                })
                .await
            {
                Ok(snapshot) if board.is_open(&room) => {
                    board.with(|m| m.snapshot(snapshot));
                    board.flush();
                }
                Ok(_) => {}
                Err(EmitError::Disconnected) => {} // joined again on reconnect
                Err(e) => board
                    .error
                    .set(Some(format!("The board could not be loaded: {e}"))),
            }
        });
    }

    /// Changes that came early wait for the ones before them; if those do
    /// not come soon, catch up from the server.
    fn watch_gap(&self) {
        if self.peek(BoardModel::has_gap) != Some(true) {
            return;
        }
        let board = *self;
        set_timeout(
            move || {
                if board.peek(BoardModel::has_gap) == Some(true) {
                    board.join();
                }
            },
            GAP_WAIT,
        );
    }

    /// Sends the pending ops that are not on their way yet.
    pub fn flush(&self) {
        if self.client.state().get_untracked() != ConnectionState::Connected {
            return;
        }
        let Some(Some((room, ops))) = self.model.try_update_value(|m| {
            m.as_mut()
                .filter(|m| m.is_synced())
                .map(|m| (m.room().clone(), m.to_send()))
        }) else {
            return;
        };
        for (id, op) in ops {
            let board = *self;
            let room = room.clone();
            spawn_local(async move {
                let result = board.client.emit_with_ack(&BoardOp { room, op }).await;
                board.answered(id, result);
            });
        }
    }

    fn answered(&self, id: u64, result: Result<crate::protocol::board::BoardChange, EmitError>) {
        match result {
            Ok(change) => {
                self.with(|m| m.acked(id, change));
                self.watch_gap();
            }
            Err(EmitError::Refused(reason)) => {
                self.with(|m| m.refused(id));
                self.error.set(Some(reason));
            }
            Err(EmitError::RateLimited(ms)) => {
                self.with(|m| m.unanswered(id));
                let board = *self;
                set_timeout(move || board.flush(), Duration::from_millis(ms));
            }
            // Sent again after the reconnect.
            Err(EmitError::Disconnected | EmitError::QueueFull) => {
                self.with(|m| m.unanswered(id));
            }
            Err(e) => {
                self.with(|m| m.unanswered(id));
                self.error.set(Some(format!("{e} (it is sent again)")));
                let board = *self;
                set_timeout(move || board.flush(), Duration::from_secs(2));
            }
        }
    }

    /// Others' strokes in progress (dropping those whose author went quiet).
    pub fn drafts(&self) -> Vec<Shape> {
        let now = now_ms();
        self.model
            .try_update_value(|m| {
                m.as_mut().map(|m| {
                    m.expire_drafts(now);
                    m.drafts().map(|d| d.shape.clone()).collect()
                })
            })
            .flatten()
            .unwrap_or_default()
    }

    /// Others' pointers that moved recently.
    pub fn cursors(&self) -> Vec<(Username, Point)> {
        let now = now_ms();
        self.cursors.update_value(|c| {
            c.retain(|_, (_, at)| now - *at < CURSOR_TIMEOUT_MS);
        });
        self.cursors
            .with_value(|c| c.iter().map(|(name, (p, _))| (name.clone(), *p)).collect())
    }

    fn connected(&self) -> bool {
        self.client.state().get_untracked() == ConnectionState::Connected
    }
}

/// What the person can pick in the toolbar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Draw(Tool),
    Eraser,
}

impl Pick {
    fn label(self) -> &'static str {
        match self {
            Pick::Draw(Tool::Pen) => "Pen",
            Pick::Draw(Tool::Line) => "Line",
            Pick::Draw(Tool::Rect) => "Rectangle",
            Pick::Draw(Tool::Ellipse) => "Ellipse",
            Pick::Eraser => "Eraser",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Pick::Draw(tool) => tool.name(),
            Pick::Eraser => "eraser",
        }
    }
}

/// What the pointer is doing on the canvas right now.
#[derive(Debug, Clone, Default)]
pub struct Gesture {
    /// The shape being drawn.
    pub shape: Option<Shape>,
    /// How many of its points were streamed to the others.
    streamed: usize,
    last_stream_ms: f64,
    last_cursor_ms: f64,
    /// Shapes the eraser has touched in this gesture.
    pub erasing: Vec<crate::protocol::board::ShapeId>,
    erasing_now: bool,
    pointer: Option<i32>,
}

/// The eraser's radius, in board units.
const ERASER_RADIUS: f32 = 8.0;

#[component]
pub fn Board(room: RoomName) -> impl IntoView {
    let board = expect_context::<BoardState>();
    let pick = RwSignal::new(Pick::Draw(Tool::Pen));
    let color = RwSignal::new("#1f2937".to_owned());
    let width = RwSignal::new(4.0_f32);
    let gesture = StoredValue::new(Gesture::default());
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let painter = Painter::new(canvas);

    // In the browser only: the server renders the toolbar and the canvas.
    let room_to_open = room.clone();
    Effect::new(move |_| board.open(room_to_open.clone()));
    on_cleanup(move || board.close());

    // Repaint whenever the board, the gesture or the window size changes.
    let repaint = move || {
        painter.paint(board, gesture);
    };
    Effect::new(move |_| {
        board.version.track();
        repaint();
    });
    // The canvas changes size with the window and with the page around
    // it (a banner above, the status line below): repaint, which also
    // matches the canvas's pixels and the board's place to its new size.
    let observer = board_canvas::on_resize(canvas, repaint);
    on_cleanup(move || observer.stop());
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if let Some(undo) = board_canvas::undo_key(&ev) {
            ev.prevent_default();
            board.with(|m| if undo { m.undo() } else { m.redo() });
            board.flush();
        }
    });
    on_cleanup(move || keys.remove());

    let here = StoredValue::new(room.clone());
    let to_board = move |ev: &leptos::ev::PointerEvent| -> Point {
        painter.board_point(ev).unwrap_or([0.0, 0.0])
    };

    let stream = move |force: bool| {
        // The stroke so far, to the others, every STREAM_EVERY_MS.
        let now = now_ms();
        let draw = gesture.try_update_value(|g| {
            let shape = g.shape.as_ref()?;
            if !force && now - g.last_stream_ms < STREAM_EVERY_MS {
                return None;
            }
            let start = if shape.tool == Tool::Pen {
                g.streamed
            } else {
                0
            };
            let end = shape.points.len().min(start + MAX_DRAW_POINTS);
            if end <= start {
                return None;
            }
            g.last_stream_ms = now;
            g.streamed = end;
            Some(BoardDraw {
                room: here.get_value(),
                id: shape.id.clone(),
                tool: shape.tool,
                color: shape.color,
                width: shape.width,
                start: start as u32,
                points: shape.points[start..end].to_vec(),
            })
        });
        if let Some(Some(draw)) = draw {
            if board.connected() {
                board.client.emit(&draw);
            }
        }
    };

    let finish = move || {
        let done = gesture.try_update_value(|g| {
            g.pointer = None;
            g.erasing_now = false;
            (g.shape.take(), std::mem::take(&mut g.erasing))
        });
        if let Some((shape, erased)) = done {
            board.with(|m| {
                if let Some(shape) = shape {
                    m.draw(shape);
                }
                m.erase(erased);
            });
            board.flush();
        }
    };

    let on_down = move |ev: leptos::ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        ev.prevent_default();
        painter.capture(&ev);
        let p = to_board(&ev);
        let chosen = pick.get_untracked();
        let Some(id) = board.with(BoardModel::new_shape_id) else {
            return;
        };
        let color = Color::parse(&color.get_untracked()).unwrap_or(Color::BLACK);
        let width = width.get_untracked();
        gesture.update_value(|g| {
            *g = Gesture {
                pointer: Some(ev.pointer_id()),
                last_cursor_ms: g.last_cursor_ms,
                ..Gesture::default()
            };
            match chosen {
                Pick::Eraser => {
                    g.erasing_now = true;
                    g.erasing = board
                        .peek(|m| m.touched(p, ERASER_RADIUS))
                        .unwrap_or_default();
                }
                Pick::Draw(tool) => {
                    let points = if tool == Tool::Pen {
                        vec![p]
                    } else {
                        vec![p, p]
                    };
                    g.shape = Some(Shape {
                        id,
                        tool,
                        color,
                        width,
                        points,
                    });
                }
            }
        });
        repaint();
    };

    let on_move = move |ev: leptos::ev::PointerEvent| {
        let p = to_board(&ev);
        let now = now_ms();
        // The pointer, to the others (throttled; dropped while offline).
        let send_cursor = gesture.try_update_value(|g| {
            let due = now - g.last_cursor_ms >= STREAM_EVERY_MS;
            if due {
                g.last_cursor_ms = now;
            }
            due
        });
        if send_cursor == Some(true) && board.connected() {
            board.client.emit(&BoardCursor {
                room: here.get_value(),
                x: p[0],
                y: p[1],
            });
        }
        let mut split = None;
        let active = gesture.try_update_value(|g| {
            if g.pointer != Some(ev.pointer_id()) {
                return false;
            }
            if g.erasing_now {
                let hit = board
                    .peek(|m| m.touched(p, ERASER_RADIUS))
                    .unwrap_or_default();
                for id in hit {
                    if !g.erasing.contains(&id) {
                        g.erasing.push(id);
                    }
                }
                return true;
            }
            let Some(shape) = g.shape.as_mut() else {
                return false;
            };
            match shape.tool {
                Tool::Pen => {
                    let last = shape.points.last().copied().unwrap_or(p);
                    if (last[0] - p[0]).abs() + (last[1] - p[1]).abs() < 1.0 {
                        return true;
                    }
                    shape.points.push(p);
                    if shape.points.len() >= MAX_STROKE_POINTS {
                        split = Some(p);
                    }
                }
                _ => shape.points[1] = p,
            }
            true
        });
        if active != Some(true) {
            return;
        }
        stream(false);
        if let Some(p) = split {
            // A very long stroke goes on as a new one from here.
            stream(true);
            let (tool, color, width) = gesture
                .with_value(|g| g.shape.as_ref().map(|s| (s.tool, s.color, s.width)))
                .unwrap_or((Tool::Pen, Color::BLACK, 4.0));
            let pointer = ev.pointer_id();
            finish();
            if let Some(id) = board.with(BoardModel::new_shape_id) {
                gesture.update_value(|g| {
                    g.pointer = Some(pointer);
                    g.shape = Some(Shape {
                        id,
                        tool,
                        color,
                        width,
                        points: vec![p],
                    });
                });
            }
        }
        repaint();
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        if gesture.with_value(|g| g.pointer == Some(ev.pointer_id())) {
            stream(true);
            finish();
            repaint();
        }
    };

    let undo = move |_| {
        board.with(BoardModel::undo);
        board.flush();
    };
    let redo = move |_| {
        board.with(BoardModel::redo);
        board.flush();
    };
    let clear = move |_| {
        if board_canvas::confirm("Clear the whole board for everyone? You can undo it.") {
            board.with(BoardModel::clear);
            board.flush();
        }
    };
    let can = move |f: fn(&BoardModel) -> bool| {
        board.version.track();
        board.peek(f).unwrap_or(false)
    };
    let picks = [
        Pick::Draw(Tool::Pen),
        Pick::Draw(Tool::Line),
        Pick::Draw(Tool::Rect),
        Pick::Draw(Tool::Ellipse),
        Pick::Eraser,
    ];
    let file_name = format!("board-{}", board_canvas::file_safe(room.as_str()));
    let (png_name, svg_name) = (format!("{file_name}.png"), format!("{file_name}.svg"));

    view! {
        <section class="board" aria-label="Whiteboard">
            <div class="board-tools" role="toolbar" aria-label="Drawing tools">
                {picks
                    .into_iter()
                    .map(|p| {
                        view! {
                            <button
                                class="tool"
                                data-testid=format!("tool-{}", p.key())
                                aria-pressed=move || (pick.get() == p).to_string()
                                on:click=move |_| pick.set(p)
                            >
                                {p.label()}
                            </button>
                        }
                    })
                    .collect_view()}
                <label class="tool-option">
                    "Colour "
                    <input
                        type="color"
                        data-testid="board-color"
                        prop:value=move || color.get()
                        on:input=move |ev| color.set(event_target_value(&ev))
                    />
                </label>
                <label class="tool-option">
                    "Width "
                    <input
                        type="range"
                        min="1"
                        max=MAX_STROKE_WIDTH.min(32.0).to_string()
                        data-testid="board-width"
                        prop:value=move || width.get().to_string()
                        on:input=move |ev| {
                            if let Ok(w) = event_target_value(&ev).parse::<f32>() {
                                width.set(w);
                            }
                        }
                    />
                </label>
                <span class="tool-gap"></span>
                <button data-testid="board-undo" title="Undo (Ctrl+Z)"
                    disabled=move || !can(BoardModel::can_undo) on:click=undo>"Undo"</button>
                <button data-testid="board-redo" title="Redo (Ctrl+Shift+Z)"
                    disabled=move || !can(BoardModel::can_redo) on:click=redo>"Redo"</button>
                <button data-testid="board-clear" on:click=clear>"Clear"</button>
                <button data-testid="board-png" on:click=move |_| board_canvas::export_png(board, &png_name)>
                    "PNG"
                </button>
                <button data-testid="board-svg" on:click=move |_| board_canvas::export_svg(board, &svg_name)>
                    "SVG"
                </button>
            </div>
            <div class="board-frame">
                <canvas
                    node_ref=canvas
                    data-testid="board-canvas"
                    aria-label="Drawing area"
                    on:pointerdown=on_down
                    on:pointermove=on_move
                    on:pointerup=on_up
                    on:pointercancel=on_up
                ></canvas>
            </div>
            <p class="board-status" role="status" data-testid="board-status">
                {move || {
                    board.version.track();
                    let pending = board.peek(|m| m.pending().len()).unwrap_or(0);
                    let offline = board.client.state().get() != ConnectionState::Connected;
                    match (board.error.get(), pending) {
                        (Some(e), _) => e,
                        (None, n) if n > 0 && offline => format!(
                            "Offline: {n} change(s) kept here, sent when the connection is back"
                        ),
                        _ => String::new(),
                    }
                }}
            </p>
        </section>
    }
}
