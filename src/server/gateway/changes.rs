//! Each node's reading of the room changes (`room_changes`, written by the
//! store with every change of a room or of an account's standing in one):
//! every [`POLL`] the node reads the rows it has not read yet, drops what
//! it cached about them, and makes its own sockets of an account that may
//! no longer read the room leave it (and its board). The node that made
//! the change did all of this at once for its own cache, and for every
//! node's sockets through the adapter; this is what makes the change hold
//! on the other nodes' caches, within `POLL`, and on their sockets even
//! when the adapter's broadcast could not reach them (Redis down).
//!
//! Identity columns are handed out before their transactions commit, so a
//! row may become visible after a newer one: each read looks [`WINDOW`]
//! ids back from the newest it has seen and skips those it has handled.

use super::access::view_of;
use super::rooms::{board_room, user_room};
use crate::protocol::chat::NAMESPACE;
use crate::server::store::{RoomChange, Store, StoreError};
use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use std::collections::BTreeSet;
use std::time::Duration;

/// How often each node reads the changes.
pub const POLL: Duration = Duration::from_millis(250);
/// How far back, in ids, each read looks for rows that committed late.
const WINDOW: i64 = 256;
/// Most rows one read takes.
const BATCH: usize = 1000;

/// What a node has read of the feed.
#[derive(Debug, Default)]
pub struct Feed {
    /// Every id at or below this one is handled.
    floor: i64,
    /// The newest id handled.
    newest: i64,
    /// The ids above `floor` handled.
    handled: BTreeSet<i64>,
}

impl Feed {
    /// A feed that starts after `newest` (the changes made before this node
    /// started concern no cache of it).
    pub fn after(newest: i64) -> Self {
        Self {
            floor: newest,
            newest,
            handled: BTreeSet::new(),
        }
    }

    /// Where the next read starts (exclusive).
    fn from(&self) -> i64 {
        self.floor
    }

    /// Keeps the changes not handled yet, and marks them handled.
    fn fresh(&mut self, read: Vec<RoomChange>) -> Vec<RoomChange> {
        let mut fresh = Vec::new();
        for change in read {
            if change.id > self.floor && self.handled.insert(change.id) {
                self.newest = self.newest.max(change.id);
                fresh.push(change);
            }
        }
        self.floor = self.floor.max(self.newest - WINDOW);
        self.handled = self.handled.split_off(&(self.floor + 1));
        fresh
    }
}

/// Reads the feed every [`POLL`] until the store closes. Returns the task.
pub fn watch<A: Adapter>(io: SocketIo<A>, store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut feed = match store.last_room_change().await {
            Ok(newest) => Feed::after(newest),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the room changes; reading them all");
                Feed::default()
            }
        };
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = read(&io, &store, &mut feed).await {
                tracing::warn!(error = %e, "cannot read the room changes; trying again");
            }
        }
    })
}

/// One read of the feed.
async fn read<A: Adapter>(
    io: &SocketIo<A>,
    store: &Store,
    feed: &mut Feed,
) -> Result<(), StoreError> {
    let read = store.room_changes_after(feed.from(), BATCH).await?;
    for change in feed.fresh(read) {
        store.forget_change(change.room_id, change.room.as_ref(), change.account);
        if let Some(account) = change.account {
            leave_if_shut_out(io, store, &change, account).await?;
        }
    }
    Ok(())
}

/// Makes this node's sockets of `account` leave the changed room if the
/// account may no longer read it.
async fn leave_if_shut_out<A: Adapter>(
    io: &SocketIo<A>,
    store: &Store,
    change: &RoomChange,
    account: i64,
) -> Result<(), StoreError> {
    let Some(chat) = io.of(NAMESPACE) else {
        return Ok(());
    };
    let sockets = chat.local().within(user_room(account)).sockets();
    if sockets.is_empty() {
        return Ok(());
    }
    let Some(name) = store.room_name(change.room_id).await? else {
        return Ok(());
    };
    let Some(meta) = store.room_meta(&name).await? else {
        return Ok(());
    };
    if view_of(store, &meta, Some(account)).await?.may_read(&meta) {
        return Ok(());
    }
    for socket in sockets {
        socket.leave(name.as_str().to_owned());
        socket.leave(board_room(&name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RoomName;

    fn change(id: i64) -> RoomChange {
        RoomChange {
            id,
            room_id: 1,
            room: RoomName::parse("dev").ok(),
            account: None,
        }
    }

    fn ids(changes: &[RoomChange]) -> Vec<i64> {
        changes.iter().map(|c| c.id).collect()
    }

    #[test]
    fn a_change_that_commits_late_is_read_once() {
        let mut feed = Feed::after(10);
        assert_eq!(feed.from(), 10);
        assert_eq!(ids(&feed.fresh(vec![change(9)])), Vec::<i64>::new());
        // 11 and 13 commit; 12 is still in its transaction.
        assert_eq!(ids(&feed.fresh(vec![change(11), change(13)])), [11, 13]);
        // The next read sees them again, and 12 now.
        let again = feed.fresh(vec![change(11), change(12), change(13), change(14)]);
        assert_eq!(ids(&again), [12, 14]);
        assert_eq!(
            ids(&feed.fresh(vec![change(12), change(14)])),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn what_is_handled_stays_bounded() {
        let mut feed = Feed::default();
        let read: Vec<RoomChange> = (1..=2000).map(change).collect();
        assert_eq!(feed.fresh(read).len(), 2000);
        assert_eq!(feed.handled.len(), WINDOW as usize);
        assert_eq!(feed.from(), 2000 - WINDOW);
    }
}
