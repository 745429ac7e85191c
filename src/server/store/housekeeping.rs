//! Deleting what nothing needs any more, now and then while the server
//! runs: sessions past their expiry (a revoked one stays until then, so
//! that its token goes on being refused) and the daily board counts of
//! days gone by. Without it both tables grow for as long as the server
//! lives.

use super::{board, sessions, Store, StoreError};
use std::time::Duration;

/// How often the housekeeping runs (and once as the server starts).
pub const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(10 * 60);

impl Store {
    /// Deletes expired sessions and past days' board counts; how many rows
    /// went.
    pub async fn housekeep(&self) -> Result<u64, StoreError> {
        housekeep(&self.writer).await
    }

    /// Runs [`Self::housekeep`] now and every `every` until the store is
    /// closed. The task holds the writing pool only, not the store (whose
    /// message writer lives as long as a copy of it does).
    pub fn spawn_housekeeping(&self, every: Duration) {
        let writer = self.writer.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if writer.is_closed() {
                    return;
                }
                match housekeep(&writer).await {
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

async fn housekeep(writer: &sqlx::AnyPool) -> Result<u64, StoreError> {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let sessions = sessions::purge_expired(writer, now).await?;
    let writes = board::purge_writes(writer, board::today()).await?;
    Ok(sessions + writes)
}
