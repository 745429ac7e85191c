//! The "Board" view of a room: a whiteboard everyone in the room draws on
//! at once. [`Board`] is the toolbar and the canvas; it renders and wires:
//! what the pointer does is `model::gesture`, the board and its link to
//! the server `sync::board`, the painting `board_canvas`.

use super::board_canvas::{self, Painter};
use super::sync::board::{now_ms, BoardState};
use crate::model::board::BoardModel;
use crate::model::gesture::{Brush, Gesture, Pick, Step};
use crate::protocol::board::{Color, Point, Tool, MAX_STROKE_WIDTH};
use crate::protocol::RoomName;
use leptos::prelude::*;

#[component]
pub fn Board(room: RoomName) -> impl IntoView {
    let board = expect_context::<BoardState>();
    let pick = RwSignal::new(Pick::Draw(Tool::Pen));
    let color = RwSignal::new("#1f2937".to_owned());
    let width = RwSignal::new(4.0_f32);
    let gesture = StoredValue::new(Gesture::new(room.clone()));
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
            if undo {
                board.undo();
            } else {
                board.redo();
            }
        }
    });
    on_cleanup(move || keys.remove());

    let to_board = move |ev: &leptos::ev::PointerEvent| -> Point {
        painter.board_point(ev).unwrap_or([0.0, 0.0])
    };
    // Every pointer event is a step of the gesture (see model::gesture).
    let after = move |step: Option<Step>| {
        if step.is_some_and(|s| s.repaint) {
            repaint();
        }
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        ev.prevent_default();
        painter.capture(&ev);
        let at = to_board(&ev);
        let brush = Brush {
            pick: pick.get_untracked(),
            color: Color::parse(&color.get_untracked()).unwrap_or(Color::BLACK),
            width: width.get_untracked(),
        };
        after(board.gesture(gesture, |g, m| g.down(m, ev.pointer_id(), at, brush)));
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let at = to_board(&ev);
        let now = now_ms();
        if let Some(cursor) = gesture.try_update_value(|g| g.cursor(at, now)).flatten() {
            board.send_cursor(&cursor);
        }
        after(board.gesture(gesture, |g, m| g.moved(m, ev.pointer_id(), at, now)));
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        let now = now_ms();
        after(board.gesture(gesture, |g, m| g.up(m, ev.pointer_id(), now)));
    };

    let clear = move |_| {
        if board_canvas::confirm("Clear the whole board for everyone? You can undo it.") {
            board.clear();
        }
    };
    let can = move |f: fn(&BoardModel) -> bool| {
        board.version.track();
        board.peek(f).unwrap_or(false)
    };
    let file_name = format!("board-{}", board_canvas::file_safe(room.as_str()));
    let (png_name, svg_name) = (format!("{file_name}.png"), format!("{file_name}.svg"));

    view! {
        <section class="board" aria-label="Whiteboard">
            <div class="board-tools" role="toolbar" aria-label="Drawing tools">
                {Pick::ALL
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
                    disabled=move || !can(BoardModel::can_undo) on:click=move |_| board.undo()>"Undo"</button>
                <button data-testid="board-redo" title="Redo (Ctrl+Shift+Z)"
                    disabled=move || !can(BoardModel::can_redo) on:click=move |_| board.redo()>"Redo"</button>
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
                    let offline = board.is_offline();
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
