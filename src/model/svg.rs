//! The board as an SVG document (the "SVG" export): board units, a white
//! background, one element per shape.

use crate::protocol::board::{Shape, Tool, BOARD_HEIGHT, BOARD_WIDTH};
use std::fmt::Write as _;
use std::sync::Arc;

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
    use crate::model::fixtures::pen;

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
