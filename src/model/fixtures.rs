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

/// Unicode's emoji list, as the server sends it.
#[cfg(feature = "ssr")]
pub fn emoji_table() -> &'static super::emoji_table::EmojiTable {
    static TABLE: std::sync::LazyLock<super::emoji_table::EmojiTable> =
        std::sync::LazyLock::new(|| {
            super::emoji_table::EmojiTable::new(crate::protocol::emoji::EmojiList::unicode())
        });
    &TABLE
}
