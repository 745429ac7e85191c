//! Drawing the board on a `<canvas>`: shapes, strokes others are drawing,
//! pointers with names, and the export to PNG and SVG. Only the browser
//! runs any of it (from effects and event handlers).
//!
//! The canvas fills the space the window gives it and holds
//! `devicePixelRatio` pixels per CSS pixel, so lines stay sharp on high-DPI
//! screens. The board's fixed coordinate space (`BOARD_WIDTH` x
//! `BOARD_HEIGHT`) is drawn in the largest rectangle of its proportions that
//! fits, centred (`model::geometry::Fit`); pointer positions are mapped back
//! through the same rectangle, so a stroke lands where it is drawn at any
//! window size.
//! The canvas says where that rectangle is in `data-board` (`x,y,scale`, CSS
//! pixels), for the browser tests.

use super::sync::board::BoardState;
use crate::model::geometry::{outline, Fit};
use crate::model::gesture::Gesture;
use crate::protocol::board::{Point, Shape, Tool, BOARD_HEIGHT, BOARD_WIDTH};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Paints one board canvas.
#[derive(Clone, Copy)]
pub struct Painter {
    canvas: NodeRef<Canvas>,
    /// One repaint per animation frame, however many changes come.
    scheduled: StoredValue<bool>,
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()?
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()
}

impl Painter {
    pub fn new(canvas: NodeRef<Canvas>) -> Self {
        Self {
            canvas,
            scheduled: StoredValue::new(false),
        }
    }

    /// Repaints at the next animation frame.
    pub fn paint(&self, board: BoardState, gesture: StoredValue<Gesture>) {
        if self.scheduled.get_value() {
            return;
        }
        self.scheduled.set_value(true);
        let painter = *self;
        request_animation_frame(move || {
            painter.scheduled.set_value(false);
            painter.paint_now(board, gesture);
        });
    }

    fn paint_now(&self, board: BoardState, gesture: StoredValue<Gesture>) {
        let Some(canvas) = self.canvas.get_untracked() else {
            return;
        };
        // Match the backing store to the displayed size.
        let ratio = window().device_pixel_ratio().max(1.0);
        let (css_w, css_h) = (
            f64::from(canvas.client_width()),
            f64::from(canvas.client_height()),
        );
        let (w, h) = (
            (css_w * ratio).round() as u32,
            (css_h * ratio).round() as u32,
        );
        if w == 0 || h == 0 {
            return;
        }
        if canvas.width() != w || canvas.height() != h {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        let Some(ctx) = context(&canvas) else {
            return;
        };
        let fit = Fit::of(css_w, css_h);
        let _ = canvas.set_attribute("data-board", &format!("{},{},{}", fit.x, fit.y, fit.scale));
        let scale = fit.scale * ratio;
        let Some(shapes) = board.peek(|m| m.visible()) else {
            return;
        };
        let drafts = board.drafts();
        let (current, erasing) = gesture.with_value(|g| (g.shape().cloned(), g.erasing().to_vec()));

        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.set_fill_style_str("#eef0f4");
        ctx.fill_rect(0.0, 0.0, f64::from(w), f64::from(h));
        let _ = ctx.set_transform(scale, 0.0, 0.0, scale, fit.x * ratio, fit.y * ratio);
        background(&ctx, f64::from(BOARD_WIDTH), f64::from(BOARD_HEIGHT));
        // Nothing drawn spills over the board's edges.
        ctx.save();
        ctx.begin_path();
        ctx.rect(0.0, 0.0, f64::from(BOARD_WIDTH), f64::from(BOARD_HEIGHT));
        ctx.clip();
        for shape in &shapes {
            let faded = erasing.contains(&shape.id);
            stroke(&ctx, shape, if faded { 0.25 } else { 1.0 });
        }
        for draft in &drafts {
            stroke(&ctx, draft, 0.8);
        }
        if let Some(current) = &current {
            stroke(&ctx, current, 1.0);
        }
        for (name, [x, y]) in board.cursors() {
            cursor(&ctx, name.as_str(), f64::from(x), f64::from(y), fit.scale);
        }
        ctx.restore();
    }

    /// Where on the board the pointer event is.
    pub fn board_point(&self, ev: &web_sys::PointerEvent) -> Option<Point> {
        let canvas = self.canvas.get_untracked()?;
        let (w, h) = (canvas.client_width(), canvas.client_height());
        if w <= 0 || h <= 0 {
            return None;
        }
        let fit = Fit::of(f64::from(w), f64::from(h));
        Some(fit.to_board(f64::from(ev.offset_x()), f64::from(ev.offset_y())))
    }

    /// Keeps the pointer's events coming to the canvas until it is released.
    pub fn capture(&self, ev: &web_sys::PointerEvent) {
        if let Some(canvas) = self.canvas.get_untracked() {
            let _ = canvas.set_pointer_capture(ev.pointer_id());
        }
    }
}

fn background(ctx: &CanvasRenderingContext2d, w: f64, h: f64) {
    ctx.set_global_alpha(1.0);
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, w, h);
}

/// Draws one shape (board units; the context is scaled).
pub fn stroke(ctx: &CanvasRenderingContext2d, shape: &Shape, alpha: f64) {
    let color = shape.color.to_string();
    ctx.set_global_alpha(alpha);
    ctx.set_stroke_style_str(&color);
    ctx.set_fill_style_str(&color);
    ctx.set_line_width(f64::from(shape.width));
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.begin_path();
    match (shape.tool, shape.points.as_slice()) {
        (Tool::Pen, [only]) => {
            let _ = ctx.arc(
                f64::from(only[0]),
                f64::from(only[1]),
                f64::from(shape.width) / 2.0,
                0.0,
                std::f64::consts::TAU,
            );
            ctx.fill();
        }
        (Tool::Ellipse, [a, b]) => {
            let _ = ctx.ellipse(
                f64::from(a[0] + b[0]) / 2.0,
                f64::from(a[1] + b[1]) / 2.0,
                f64::from((b[0] - a[0]).abs()) / 2.0,
                f64::from((b[1] - a[1]).abs()) / 2.0,
                0.0,
                0.0,
                std::f64::consts::TAU,
            );
            ctx.stroke();
        }
        _ => {
            let line = outline(shape);
            if let Some(first) = line.first() {
                ctx.move_to(f64::from(first[0]), f64::from(first[1]));
                for p in &line[1..] {
                    ctx.line_to(f64::from(p[0]), f64::from(p[1]));
                }
                ctx.stroke();
            }
        }
    }
    ctx.set_global_alpha(1.0);
}

/// Someone's pointer: a dot and their name (drawn as text: it is user
/// text). `css_scale`: CSS pixels per board unit, so that the label has
/// the same size on every screen.
fn cursor(ctx: &CanvasRenderingContext2d, name: &str, x: f64, y: f64, css_scale: f64) {
    let px = 1.0 / css_scale;
    ctx.set_fill_style_str("#4f46e5");
    ctx.begin_path();
    let _ = ctx.arc(x, y, 4.0 * px, 0.0, std::f64::consts::TAU);
    ctx.fill();
    ctx.set_font(&format!("{}px system-ui, sans-serif", 12.0 * px));
    let _ = ctx.fill_text(name, x + 7.0 * px, y - 7.0 * px);
}

/// Watches the size of a canvas (a `ResizeObserver`), once it is mounted.
#[derive(Clone, Copy)]
pub struct SizeWatch {
    observer: StoredValue<Option<web_sys::ResizeObserver>, LocalStorage>,
    callback: StoredValue<Option<wasm_bindgen::closure::Closure<dyn FnMut()>>, LocalStorage>,
}

impl SizeWatch {
    pub fn stop(self) {
        if let Some(observer) = self.observer.try_update_value(Option::take).flatten() {
            observer.disconnect();
        }
        self.callback.try_update_value(Option::take);
    }
}

/// Calls `changed` whenever the canvas changes size (and once at first).
pub fn on_resize(canvas: NodeRef<Canvas>, changed: impl Fn() + 'static) -> SizeWatch {
    let watch = SizeWatch {
        observer: StoredValue::new_local(None),
        callback: StoredValue::new_local(None),
    };
    let changed = std::rc::Rc::new(changed);
    Effect::new(move |_| {
        let Some(element) = canvas.get() else {
            return;
        };
        let changed = changed.clone();
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || changed());
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&element);
            watch.observer.set_value(Some(observer));
            watch.callback.set_value(Some(callback));
        }
    });
    watch
}

/// Ctrl+Z (undo: `Some(true)`) or Ctrl+Shift+Z / Ctrl+Y (redo:
/// `Some(false)`), unless the person is typing in a field.
pub fn undo_key(ev: &web_sys::KeyboardEvent) -> Option<bool> {
    if !(ev.ctrl_key() || ev.meta_key()) {
        return None;
    }
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA"));
    if typing {
        return None;
    }
    match ev.key().to_ascii_lowercase().as_str() {
        "z" => Some(!ev.shift_key()),
        "y" => Some(false),
        _ => None,
    }
}

/// Asks the person to confirm (the browser's own dialog).
pub fn confirm(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// `name` with only letters, digits, `-` and `_`, for a file name.
pub fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    if safe.is_empty() {
        "board".to_owned()
    } else {
        safe
    }
}

/// Downloads the board as a PNG of its full size (1600 x 1000).
pub fn export_png(board: BoardState, file: &str) {
    let Some(shapes) = board.peek(|m| m.visible()) else {
        return;
    };
    let Some(canvas) = document()
        .create_element("canvas")
        .ok()
        .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
    else {
        return;
    };
    canvas.set_width(BOARD_WIDTH as u32);
    canvas.set_height(BOARD_HEIGHT as u32);
    let Some(ctx) = context(&canvas) else {
        return;
    };
    background(&ctx, f64::from(BOARD_WIDTH), f64::from(BOARD_HEIGHT));
    for shape in &shapes {
        stroke(&ctx, shape, 1.0);
    }
    match canvas.to_data_url_with_type("image/png") {
        Ok(url) => download(&url, file),
        Err(_) => board.error.set(Some(
            "This browser could not make a PNG of the board.".into(),
        )),
    }
}

/// Downloads the board as an SVG document.
pub fn export_svg(board: BoardState, file: &str) {
    let Some(svg) = board.peek(|m| m.to_svg()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let url = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob));
    match url {
        Ok(url) => {
            download(&url, file);
            let _ = web_sys::Url::revoke_object_url(&url);
        }
        Err(_) => board.error.set(Some(
            "This browser could not make an SVG of the board.".into(),
        )),
    }
}

fn download(url: &str, file: &str) {
    if let Some(a) = document()
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(url);
        a.set_download(file);
        a.click();
    }
}
