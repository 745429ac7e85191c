//! Accounts (`users`): a name unique without regard to case, and its
//! password hash.

use super::{now_text, Store, StoreError};
use crate::protocol::Username;
use sqlx::Row;

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: Username,
}

impl Store {
    pub async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let result = sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(username.as_str())
        .bind(password_hash)
        .bind(now_text())
        .fetch_one(&self.writer)
        .await;
        match result {
            Ok(row) => Ok(User {
                id: row.try_get("id")?,
                username: username.clone(),
            }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("The username {username}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The account named `username` (any case) and its password hash.
    pub async fn user_with_hash(
        &self,
        username: &Username,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)",
        )
        .bind(username.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            let name: String = r.try_get("username")?;
            Ok((
                User {
                    id: r.try_get("id")?,
                    username: Username::parse(&name).map_err(|e| sqlx::Error::Decode(e.into()))?,
                },
                r.try_get("password_hash")?,
            ))
        })
        .transpose()
    }

    /// Whether `username` (any case) belongs to an account.
    pub async fn is_registered(&self, username: &Username) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM users WHERE lower(username) = lower($1)")
            .bind(username.as_str())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// Whether an account has this id.
    pub async fn user_exists(&self, id: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// The account named `username` (any case).
    pub async fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self.user_with_hash(username).await?.map(|(user, _)| user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::test_db::name;

    async fn usernames_are_unique_without_regard_to_case(s: Store) {
        let ann = s.create_user(&name("Ann"), "hash").await.unwrap();
        assert!(matches!(
            s.create_user(&name("ann"), "h").await,
            Err(StoreError::Conflict(_))
        ));
        assert!(s.is_registered(&name("ANN")).await.unwrap());
        let (found, hash) = s.user_with_hash(&name("aNn")).await.unwrap().unwrap();
        assert_eq!((found, hash.as_str()), (ann, "hash"));
    }

    crate::server::store::test_db::on_both_backends!(usernames_are_unique_without_regard_to_case);
}
