//! Whiteboard pointers, batched per board.

use super::emit::emit_to;
use super::rooms::board_room;
use crate::protocol::board::{BoardCursors, CursorAt, CURSOR_EVERY_MS};
use crate::protocol::RoomName;
use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Pointer positions waiting to be sent, per board. A board's entry exists
/// from its first move until its batch is sent, [`CURSOR_EVERY_MS`] later:
/// whatever moves meanwhile replaces that person's position in the batch.
/// So each socket on a board gets at most one `board-cursors` per interval,
/// however many people move their pointer, and positions a connection is
/// too slow for are dropped (an emit to a full socket queue fails) rather
/// than queued.
#[derive(Debug, Default)]
pub struct Cursors {
    pending: Mutex<PendingCursors>,
}

/// The batches themselves, apart from the timer that sends them.
#[derive(Debug, Default)]
struct PendingCursors(HashMap<RoomName, Vec<CursorAt>>);

impl PendingCursors {
    /// Puts `at` in the batch of `room`, in place of that person's earlier
    /// position; true when it opened the batch (its sender must be started).
    fn moved(&mut self, room: &RoomName, at: CursorAt) -> bool {
        match self.0.get_mut(room) {
            Some(batch) => {
                match batch.iter_mut().find(|c| c.by == at.by) {
                    Some(old) => *old = at,
                    None => batch.push(at),
                }
                false
            }
            None => {
                self.0.insert(room.clone(), vec![at]);
                true
            }
        }
    }

    /// The batch of `room`, to send now.
    fn take(&mut self, room: &RoomName) -> Option<Vec<CursorAt>> {
        self.0.remove(room)
    }
}

impl Cursors {
    fn lock(&self) -> MutexGuard<'_, PendingCursors> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records where `at.by`'s pointer is on the board of `room`.
    pub fn moved<A: Adapter>(self: &Arc<Self>, io: &SocketIo<A>, room: RoomName, at: CursorAt) {
        let mut pending = self.lock();
        if !pending.moved(&room, at) {
            return;
        }
        drop(pending);
        let (cursors, io) = (self.clone(), io.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(CURSOR_EVERY_MS)).await;
            let Some(batch) = cursors.lock().take(&room) else {
                return;
            };
            let Some(chat) = io.of(crate::protocol::chat::NAMESPACE) else {
                return;
            };
            let to = chat.to(board_room(&room));
            emit_to(
                to,
                &BoardCursors {
                    room,
                    cursors: batch,
                },
            )
            .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Username;

    fn at(by: &str, x: f32) -> CursorAt {
        CursorAt {
            by: Username::parse(by).unwrap(),
            x,
            y: 50.0,
        }
    }

    #[test]
    fn moves_within_a_batch_keep_each_persons_newest_position() {
        let (sketch, other) = (
            RoomName::parse("sketch").unwrap(),
            RoomName::parse("other").unwrap(),
        );
        let mut pending = PendingCursors::default();
        // Only the first move of a board opens a batch (starts its timer).
        let opened: Vec<bool> = (0..20)
            .map(|i| pending.moved(&sketch, at("ann", 100.0 + i as f32)))
            .collect();
        assert_eq!(opened.iter().filter(|o| **o).count(), 1);
        assert!(opened[0]);
        assert!(!pending.moved(&sketch, at("bob", 7.0)));
        assert!(pending.moved(&other, at("ann", 1.0)), "boards batch apart");
        let batch = pending.take(&sketch).expect("a batch");
        assert_eq!(batch, [at("ann", 119.0), at("bob", 7.0)]);
        assert_eq!(pending.take(&sketch), None);
        // The next move opens the next batch.
        assert!(pending.moved(&sketch, at("ann", 120.0)));
    }
}
