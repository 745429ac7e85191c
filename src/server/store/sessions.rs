//! Login sessions (`sessions`): one row per token handed out (a token's
//! expiry is in the token itself, and in `expires_at`). A revoked session
//! stays until it expires, so that its token goes on being refused; then
//! the housekeeping deletes it ([`purge_expired`]).

use super::{now_text, Store, StoreError};

impl Store {
    pub async fn create_session(
        &self,
        session_id: &str,
        user_id: i64,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(now_text())
        .bind(i64::try_from(expires_at).unwrap_or(i64::MAX))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Whether the session exists and has not been revoked (expiry is in
    /// the token itself).
    pub async fn session_active(&self, session_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL")
            .bind(session_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// The sessions revoked at or after `since` (a time as
    /// [`now_text`] writes it, which sorts as text).
    pub async fn sessions_revoked_since(&self, since: &str) -> Result<Vec<String>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM sessions WHERE revoked_at IS NOT NULL AND revoked_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.reader)
        .await?;
        Ok(ids)
    }

    pub async fn revoke_session(&self, session_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_text())
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// Deletes the sessions that expired before `now` (seconds since 1970),
/// revoked or not: their tokens are refused for their expiry alone. How
/// many went.
pub(super) async fn purge_expired(writer: &sqlx::AnyPool, now: u64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(i64::try_from(now).unwrap_or(i64::MAX))
        .execute(writer)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::test_db::name;

    async fn sessions_can_be_revoked(s: Store) {
        let u = s.create_user(&name("ann"), "h").await.unwrap();
        s.create_session("s1", u.id, 4_000_000_000).await.unwrap();
        assert!(s.session_active("s1").await.unwrap());
        s.revoke_session("s1").await.unwrap();
        assert!(!s.session_active("s1").await.unwrap());
        assert!(!s.session_active("nope").await.unwrap());
        s.create_session("s2", u.id, 4_000_000_000).await.unwrap();
        let revoked = s.sessions_revoked_since("2000-01-01T00:00:00.000Z").await;
        assert_eq!(revoked.unwrap(), ["s1"]);
        let later = s.sessions_revoked_since("2999-01-01T00:00:00.000Z").await;
        assert!(later.unwrap().is_empty());
    }

    /// Expired sessions go, revoked or not; a revoked session that has
    /// not expired stays, and stays refused.
    async fn expired_sessions_are_purged(s: Store) {
        let u = s.create_user(&name("ann"), "h").await.unwrap();
        s.create_session("live", u.id, 2_000).await.unwrap();
        s.create_session("revoked", u.id, 2_000).await.unwrap();
        s.revoke_session("revoked").await.unwrap();
        s.create_session("old", u.id, 999).await.unwrap();
        s.create_session("old-revoked", u.id, 999).await.unwrap();
        s.revoke_session("old-revoked").await.unwrap();
        assert_eq!(purge_expired(&s.writer, 1_000).await.unwrap(), 2);
        let left: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions ORDER BY id")
            .fetch_all(&s.reader)
            .await
            .unwrap();
        assert_eq!(left, ["live", "revoked"]);
        assert!(s.session_active("live").await.unwrap());
        assert!(!s.session_active("revoked").await.unwrap());
    }

    crate::server::store::test_db::on_both_backends!(
        sessions_can_be_revoked,
        expired_sessions_are_purged
    );
}
