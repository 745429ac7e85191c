//! The board protocol's rules, checked natively.

use super::*;

#[test]
fn a_board_has_room_up_to_its_limits_and_no_further() {
    assert_eq!(room_for((MAX_BOARD_SHAPES - 1, 0), (1, 10)), Ok(()));
    assert_eq!(
        room_for((MAX_BOARD_SHAPES, 0), (1, 10)),
        Err(BoardRefusal::TooManyShapes)
    );
    assert_eq!(room_for((0, MAX_BOARD_POINTS - 10), (1, 10)), Ok(()));
    assert_eq!(
        room_for((0, MAX_BOARD_POINTS - 10), (1, 11)),
        Err(BoardRefusal::TooManyPoints)
    );
    assert_eq!(
        BoardRefusal::TooManyShapes.to_string(),
        "This board is full (5000 shapes): erase or clear something first"
    );
}

#[test]
fn sizes_read_as_people_write_them() {
    assert_eq!(size(8 * 1024 * 1024), "8 MiB");
    assert_eq!(size(512 * 1024), "512 KiB");
    assert_eq!(size(1000), "1000 bytes");
    assert_eq!(size(1536 * 1024), "1536 KiB");
    assert_eq!(
        BoardRefusal::TooManyBytes(8 * 1024 * 1024).to_string(),
        "This board is full (8 MiB of shapes): erase or clear something first"
    );
}
use crate::protocol::parse_payload;
use serde_json::json;

fn add(shape: serde_json::Value) -> Result<BoardOp, String> {
    parse_payload::<BoardOp>(Some(
        json!({"room": "general", "op": {"type": "add", "shape": shape}}),
    ))
    .map_err(|e| e.0)
    .and_then(|op| op.op.check().map(|()| op))
}

fn pen(points: serde_json::Value) -> serde_json::Value {
    json!({"id": "a-1", "tool": "pen", "color": "#112233", "width": 4, "points": points})
}

#[test]
fn a_valid_shape_round_trips() {
    let op = add(pen(json!([[1, 2], [3.5, 4]]))).unwrap();
    let Op::Add { shape } = &op.op else {
        panic!("{op:?}")
    };
    assert_eq!(shape.points, vec![[1.0, 2.0], [3.5, 4.0]]);
    assert_eq!(shape.color.to_string(), "#112233");
    let back = serde_json::to_value(&op).unwrap();
    assert_eq!(back["op"]["shape"]["color"], "#112233");
    assert_eq!(back["op"]["type"], "add");
}

#[test]
fn hostile_shapes_are_refused_with_a_reason() {
    let cases = [
        (pen(json!([[1, 2], [1601, 4]])), "off the board"),
        (pen(json!([[-1, 2]])), "off the board"),
        (pen(json!([[1, 1e39]])), "off the board"),
        (pen(json!([])), "1 to 2000 points"),
        (
            json!({"id": "a", "tool": "pen", "color": "#112233", "width": 1000, "points": [[1,1]]}),
            "width must be",
        ),
        (
            json!({"id": "a", "tool": "pen", "color": "#112233", "width": 0.1, "points": [[1,1]]}),
            "width must be",
        ),
        (
            json!({"id": "a", "tool": "pen", "color": "red; background: url(x)", "width": 2, "points": [[1,1]]}),
            "a colour must look like",
        ),
        (
            json!({"id": "a b", "tool": "pen", "color": "#112233", "width": 2, "points": [[1,1]]}),
            "shape id",
        ),
        (
            json!({"id": "a", "tool": "rect", "color": "#112233", "width": 2, "points": [[1,1]]}),
            "a rect has 2 points",
        ),
        (
            json!({"id": "a", "tool": "spray", "color": "#112233", "width": 2, "points": [[1,1]]}),
            "op.shape.tool must be pen, line, rect or ellipse, got \"spray\"",
        ),
    ];
    for (shape, reason) in cases {
        let err = add(shape.clone()).unwrap_err();
        assert!(err.contains(reason), "{shape}: {err}");
    }
    let many: Vec<[f32; 2]> = vec![[1.0, 1.0]; MAX_STROKE_POINTS + 1];
    let err = add(pen(json!(many))).unwrap_err();
    assert!(err.contains("1 to 2000 points"), "{err}");
}

#[test]
fn erase_names_a_bounded_number_of_shapes() {
    let ids: Vec<String> = (0..=MAX_OP_IDS).map(|i| format!("s{i}")).collect();
    let op: BoardOp = parse_payload(Some(
        json!({"room": "r", "op": {"type": "erase", "ids": ids}}),
    ))
    .unwrap();
    assert!(op.op.check().unwrap_err().contains("1 to 500 shapes"));
    let op: BoardOp = parse_payload(Some(
        json!({"room": "r", "op": {"type": "restore", "ids": []}}),
    ))
    .unwrap();
    assert!(op.op.check().is_err());
}

#[test]
fn draw_batches_are_bounded() {
    let draw = |start: u32, n: usize| BoardDraw {
        room: RoomName::general(),
        id: ShapeId::parse("d").unwrap(),
        tool: Tool::Pen,
        color: Color::BLACK,
        width: 2.0,
        start,
        points: vec![[5.0, 5.0]; n],
    };
    assert!(draw(0, 10).check().is_ok());
    assert!(draw(0, 0).check().is_err());
    assert!(draw(0, MAX_DRAW_POINTS + 1).check().is_err());
    assert!(draw(MAX_STROKE_POINTS as u32 - 5, 10).check().is_err());
    let mut line = draw(1, 2);
    line.tool = Tool::Line;
    assert!(line.check().is_err());
}

#[test]
fn colours_print_as_they_parse() {
    assert_eq!(Color::parse("#A0b1C2").unwrap().to_string(), "#a0b1c2");
    assert!(Color::parse("#a0b1c").is_err());
    assert!(Color::parse("#a0b1c2ff").is_err());
    assert!(Color::parse("a0b1c2").is_err());
}
