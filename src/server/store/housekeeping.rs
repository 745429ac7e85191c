//! Deleting what nothing needs any more, now and then while the server
//! runs: sessions past their expiry (a revoked one stays until then, so
//! that its token goes on being refused), the daily board counts of
//! days gone by, public rooms made more than a day ago that hold
//! nothing (named by a guest who never sent a message there, say), bans
//! and mutes that ended, and room changes older than an hour (every node
//! read them long before), and invite links that expired or were revoked
//! more than a day ago, and the client ids of message changes kept a day
//! against retries. Without
//! it these tables grow for as long as the server lives.

use super::room_ids::RoomMetas;
use super::{
    board, changes, invites, membership, message_changes, moderation, sessions, time_text, Store,
    StoreError,
};
use std::sync::Arc;
use std::time::Duration;

/// How often the housekeeping runs (and once as the server starts).
pub const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(10 * 60);

impl Store {
    /// Deletes expired sessions and past days' board counts; how many rows
    /// went.
    pub async fn housekeep(&self) -> Result<u64, StoreError> {
        housekeep(&self.writer, &self.metas).await
    }

    /// Runs [`Self::housekeep`] now and every `every` until the store is
    /// closed. The task holds the writing pool only, not the store (whose
    /// message writer lives as long as a copy of it does).
    pub fn spawn_housekeeping(&self, every: Duration) {
        let writer = self.writer.clone();
        let metas = self.metas.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if writer.is_closed() {
                    return;
                }
                match housekeep(&writer, &metas).await {
                    Ok(0) => {}
                    Ok(rows) => tracing::debug!(rows, "housekeeping deleted rows"),
                    Err(e) if writer.is_closed() => {
                        tracing::debug!(error = %e, "housekeeping stopped: the store is closed");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "housekeeping failed; it runs again later")
                    }
                }
            }
        });
    }
}

async fn housekeep(writer: &sqlx::AnyPool, metas: &Arc<RoomMetas>) -> Result<u64, StoreError> {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let sessions = sessions::purge_expired(writer, now).await?;
    let writes = board::purge_writes(writer, board::today()).await?;
    let day_ago = time_text(chrono::Utc::now() - chrono::Duration::days(1));
    let rooms = membership::purge_empty_rooms(writer, &day_ago).await?;
    if rooms > 0 {
        // The guards' cache may hold a room that is gone.
        metas.clear();
    }
    let sanctions = moderation::purge_ended_sanctions(writer).await?;
    let hour_ago = time_text(chrono::Utc::now() - chrono::Duration::hours(1));
    let changes = changes::purge_changes(writer, &hour_ago).await?;
    let links = invites::purge_dead_links(writer, &day_ago).await?;
    let requests = message_changes::purge_requests(writer, &day_ago).await?;
    Ok(sessions + writes + rooms + sanctions + changes + links + requests)
}
