//! Board geometry, in board units (`BOARD_WIDTH` x `BOARD_HEIGHT`): the
//! outline of a shape, what the eraser touches, and where the board sits
//! on a canvas of any size ([`Fit`]).

use crate::protocol::board::{Point, Shape, Tool, BOARD_HEIGHT, BOARD_WIDTH};

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

/// Keeps the board within its limits: a point from the pointer on it.
pub fn clamp_point(x: f32, y: f32) -> Point {
    [x.clamp(0.0, BOARD_WIDTH), y.clamp(0.0, BOARD_HEIGHT)]
}

/// Where the board sits on a canvas of `width` x `height` CSS pixels: its
/// top-left corner and CSS pixels per board unit. The board is drawn in the
/// largest rectangle of its proportions that fits, centred; pointer
/// positions are mapped back through the same rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub x: f64,
    pub y: f64,
    pub scale: f64,
}

impl Fit {
    pub fn of(width: f64, height: f64) -> Self {
        let (bw, bh) = (f64::from(BOARD_WIDTH), f64::from(BOARD_HEIGHT));
        let scale = (width / bw).min(height / bh);
        Self {
            x: (width - bw * scale) / 2.0,
            y: (height - bh * scale) / 2.0,
            scale,
        }
    }

    /// The board point under CSS pixel (`x`, `y`) of the canvas.
    pub fn to_board(self, x: f64, y: f64) -> Point {
        if self.scale <= 0.0 {
            return [0.0, 0.0];
        }
        clamp_point(
            ((x - self.x) / self.scale) as f32,
            ((y - self.y) / self.scale) as f32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::pen;

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
    fn the_board_fits_centred_and_pointers_map_back_onto_it() {
        // A canvas wider than 16:10: the board is centred across it.
        let fit = Fit::of(2000.0, 1000.0);
        assert_eq!(
            fit,
            Fit {
                x: 200.0,
                y: 0.0,
                scale: 1.0
            }
        );
        assert_eq!(fit.to_board(200.0, 0.0), [0.0, 0.0]);
        assert_eq!(fit.to_board(1000.0, 500.0), [800.0, 500.0]);
        // Outside the board, a point stays on its edge.
        assert_eq!(fit.to_board(0.0, 1200.0), [0.0, BOARD_HEIGHT]);
        // A taller canvas, at half scale.
        let fit = Fit::of(800.0, 1000.0);
        assert_eq!(
            fit,
            Fit {
                x: 0.0,
                y: 250.0,
                scale: 0.5
            }
        );
        assert_eq!(fit.to_board(400.0, 500.0), [800.0, 500.0]);
        // A canvas with no size maps everything to the corner.
        assert_eq!(Fit::of(0.0, 0.0).to_board(10.0, 10.0), [0.0, 0.0]);
    }
}
