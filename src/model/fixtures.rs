//! What the model's unit tests share: a pen stroke, a synced empty board.

use super::board::BoardModel;
use crate::protocol::board::{BoardSnapshot, Color, Shape, ShapeId, Tool};
use crate::protocol::RoomName;

/// A black pen stroke `id`, 4 wide, from (10, 10) to (100, 10).
pub fn pen(id: &str) -> Shape {
    Shape {
        id: ShapeId::parse(id).unwrap(),
        tool: Tool::Pen,
        color: Color::BLACK,
        width: 4.0,
        points: vec![[10.0, 10.0], [100.0, 10.0]],
    }
}

/// An empty board of `general` that has had its snapshot; its shape ids
/// start with `me`.
pub fn synced() -> BoardModel {
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
