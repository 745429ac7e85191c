//! The board model's unit tests: changes in order, own ops, undo, offline, drafts.

use super::*;
use crate::model::fixtures::{pen, synced};
use crate::protocol::board::{Color, PlacedShape, Tool};

fn ids(model: &BoardModel) -> Vec<String> {
    model.visible_ids().into_iter().map(String::from).collect()
}

fn change(seq: u64, added: &[(&str, u64)], removed: &[&str]) -> BoardChange {
    BoardChange {
        room: RoomName::general(),
        seq,
        added: added
            .iter()
            .map(|(id, z)| PlacedShape {
                z: *z,
                shape: pen(id),
            })
            .collect(),
        removed: removed
            .iter()
            .map(|id| ShapeId::parse(id).unwrap())
            .collect(),
    }
}

#[test]
fn changes_apply_in_order_even_when_they_arrive_out_of_order() {
    let mut m = synced();
    m.changed(change(2, &[("b", 2)], &[]));
    assert!(m.has_gap());
    assert_eq!(ids(&m), Vec::<String>::new());
    m.changed(change(1, &[("a", 1)], &[]));
    assert!(!m.has_gap());
    assert_eq!(ids(&m), ["a", "b"]);
    m.changed(change(1, &[("a", 1)], &[]));
    m.changed(change(3, &[], &["a"]));
    assert_eq!(ids(&m), ["b"]);
    assert_eq!(m.seq(), 3);
}

#[test]
fn own_ops_show_at_once_and_settle_with_their_ack() {
    let mut m = synced();
    let id = m.new_shape_id();
    m.draw(Shape {
        id: id.clone(),
        ..pen("x")
    });
    assert_eq!(m.visible_ids(), std::slice::from_ref(&id));
    let sent = m.to_send();
    assert_eq!(sent.len(), 1);
    assert!(m.to_send().is_empty(), "sent once per connection");
    // Someone else's change comes first, then the ack.
    m.changed(change(1, &[("other", 1)], &[]));
    assert_eq!(ids(&m), ["other", id.as_str()]);
    let ack = BoardChange {
        added: vec![PlacedShape {
            z: 2,
            shape: Shape {
                id: id.clone(),
                ..pen("x")
            },
        }],
        ..change(2, &[], &[])
    };
    m.acked(sent[0].0, ack);
    assert!(m.pending().is_empty());
    assert_eq!(ids(&m), ["other", id.as_str()]);
}

#[test]
fn undo_and_redo_touch_only_own_actions() {
    let mut m = synced();
    m.changed(change(1, &[("theirs", 1)], &[]));
    let mine = m.new_shape_id();
    m.draw(Shape {
        id: mine.clone(),
        ..pen("x")
    });
    assert!(m.undo());
    assert_eq!(ids(&m), ["theirs"]);
    assert!(!m.undo(), "their shape is not mine to undo");
    assert!(m.redo());
    assert_eq!(ids(&m), ["theirs", mine.as_str()]);
    // Clear is one action, and undoing it brings back everything.
    m.clear();
    assert!(m.visible().is_empty());
    assert!(m.undo());
    assert_eq!(ids(&m), ["theirs", mine.as_str()]);
    let ops: Vec<Op> = m.to_send().into_iter().map(|(_, op)| op).collect();
    assert_eq!(
        ops.len(),
        5,
        "add, erase, restore, erase both, restore both"
    );
    assert!(matches!(&ops[3], Op::Erase { ids } if ids.len() == 2));
}

#[test]
fn offline_ops_wait_and_are_sent_again() {
    let mut m = synced();
    let a = m.new_shape_id();
    m.draw(Shape {
        id: a.clone(),
        ..pen("x")
    });
    let first = m.to_send();
    m.disconnected();
    let b = m.new_shape_id();
    m.draw(Shape {
        id: b.clone(),
        ..pen("x")
    });
    // After the catch-up the board, then both ops, in order.
    m.snapshot(BoardSnapshot {
        room: RoomName::general(),
        seq: 1,
        full: false,
        shapes: vec![PlacedShape {
            z: 1,
            shape: Shape {
                id: a.clone(),
                ..pen("x")
            },
        }],
        removed: vec![],
    });
    assert_eq!(m.visible_ids(), [a.clone(), b.clone()]);
    let again = m.to_send();
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].0, first[0].0);
}

#[test]
fn a_refused_op_stops_showing() {
    let mut m = synced();
    let a = m.new_shape_id();
    m.draw(Shape { id: a, ..pen("x") });
    let sent = m.to_send();
    m.refused(sent[0].0);
    assert!(m.visible().is_empty());
}

#[test]
fn drafts_grow_and_end_with_the_shape() {
    let mut m = synced();
    let draw = |start: u32, points: Vec<Point>| BoardDrawing {
        by: Username::parse("bo").unwrap(),
        draw: crate::protocol::board::BoardDraw {
            room: RoomName::general(),
            id: ShapeId::parse("d1").unwrap(),
            tool: Tool::Pen,
            color: Color::BLACK,
            width: 2.0,
            start,
            points,
        },
    };
    m.drawing(draw(0, vec![[1.0, 1.0], [2.0, 2.0]]), 0.0);
    m.drawing(draw(2, vec![[3.0, 3.0]]), 10.0);
    assert_eq!(m.drafts().next().unwrap().shape.points.len(), 3);
    m.changed(change(1, &[("d1", 1)], &[]));
    assert_eq!(m.drafts().count(), 0);
    m.drawing(draw(0, vec![[1.0, 1.0]]), 0.0);
    assert_eq!(m.drafts().count(), 0, "a finished shape gets no draft");
    let mut n = synced();
    n.drawing(draw(0, vec![[1.0, 1.0]]), 0.0);
    n.expire_drafts(DRAFT_TIMEOUT_MS + 1.0);
    assert_eq!(n.drafts().count(), 0);
}
