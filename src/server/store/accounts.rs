//! Accounts (`users`): a name unique by its key (`server::names::key`:
//! case folded in every script), what it looks like (its skeleton), and its
//! password hash.

use super::{now_text, Store, StoreError};
use crate::protocol::Username;
use crate::server::names;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: Username,
}

/// Why a name cannot be a guest's or a new account's: the account it
/// clashes with, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameClash {
    /// The same name, maybe in another case.
    Taken(Username),
    /// A different name that looks the same (same skeleton).
    LooksLike(Username),
}

impl Store {
    /// A new account. Refused with [`StoreError::Conflict`] when an account
    /// has the same name (any case), and with [`StoreError::LooksLike`]
    /// when one has a name that looks the same.
    ///
    /// The look-alike check and the insert are one transaction on the
    /// writer: on SQLite (one writing connection) nothing comes between
    /// them. On PostgreSQL two look-alike registrations at the same instant
    /// could both pass; the same name twice never can (the unique key).
    pub async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let key = names::key(username.as_str());
        let [skeleton, as_typed] = names::look_alikes(username.as_str());
        let mut tx = self.writer.begin().await?;
        let clash = sqlx::query(CLASHES)
            .bind(&key)
            .bind(&skeleton)
            .bind(&as_typed)
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        match name_clash(&key, clash)? {
            Some(NameClash::Taken(_)) => {
                return Err(StoreError::Conflict(format!("The username {username}")))
            }
            Some(NameClash::LooksLike(existing)) => {
                return Err(StoreError::LooksLike {
                    name: username.clone(),
                    existing,
                })
            }
            None => {}
        }
        let result = sqlx::query(
            // The first account ever made is a server admin: decided in
            // the insert itself, so no second statement can race it.
            "INSERT INTO users (username, name_key, name_skeleton, password_hash, created_at, admin) \
             VALUES ($1, $2, $3, $4, $5, \
             CASE WHEN EXISTS (SELECT 1 FROM users) THEN 0 ELSE 1 END) RETURNING id",
        )
        .bind(username.as_str())
        .bind(&key)
        .bind(&skeleton)
        .bind(password_hash)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await;
        match result {
            Ok(row) => {
                let id = row.try_get("id")?;
                tx.commit().await?;
                Ok(User {
                    id,
                    username: username.clone(),
                })
            }
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
        let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE name_key = $1")
            .bind(names::key(username.as_str()))
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((user_of(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    /// The account `username` would pass for, if any: one with the same
    /// name (any case), or else one whose name looks the same.
    pub async fn name_clash(&self, username: &Username) -> Result<Option<NameClash>, StoreError> {
        let key = names::key(username.as_str());
        let [skeleton, as_typed] = names::look_alikes(username.as_str());
        let row = sqlx::query(CLASHES)
            .bind(&key)
            .bind(&skeleton)
            .bind(&as_typed)
            .bind(&key)
            .fetch_optional(&self.reader)
            .await?;
        name_clash(&key, row)
    }

    /// The accounts among `wanted` (any case), in the order of `wanted`;
    /// names that are no account are left out. One query, on the unique
    /// name key: callers bound `wanted` (mentions: at most
    /// `MAX_MENTIONS_NOTIFIED`).
    pub async fn users_by_names(&self, wanted: &[Username]) -> Result<Vec<User>, StoreError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = wanted.iter().map(|n| names::key(n.as_str())).collect();
        let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        // Only placeholders are written into the text; the names are bound.
        let sql = format!(
            "SELECT id, username FROM users WHERE name_key IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in &keys {
            query = query.bind(key.clone());
        }
        let rows = query.fetch_all(&self.reader).await?;
        let mut found: HashMap<String, User> = HashMap::new();
        for row in &rows {
            let user = user_of(row)?;
            found.insert(names::key(user.username.as_str()), user);
        }
        Ok(keys.iter().filter_map(|k| found.remove(k)).collect())
    }

    /// The account named `username` (any case).
    pub async fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self.user_with_hash(username).await?.map(|(user, _)| user))
    }
}

/// The accounts a name clashes with, by its key (`$1`) and the skeletons of
/// what it looks like (`$2`, `$3`), both indexed; the same name first
/// (`$4`, the key again), else the oldest look-alike.
const CLASHES: &str = "SELECT username, name_key FROM users \
     WHERE name_key = $1 OR name_skeleton IN ($2, $3) \
     ORDER BY CASE WHEN name_key = $4 THEN 0 ELSE 1 END, id LIMIT 1";

/// The clash `row` (`username`, `name_key`) is for a name whose key is
/// `key`.
fn name_clash(key: &str, row: Option<AnyRow>) -> Result<Option<NameClash>, StoreError> {
    let Some(row) = row else {
        return Ok(None);
    };
    let name = username_of(&row)?;
    let row_key: Option<String> = row.try_get("name_key")?;
    Ok(Some(if row_key.as_deref() == Some(key) {
        NameClash::Taken(name)
    } else {
        NameClash::LooksLike(name)
    }))
}

fn username_of(row: &AnyRow) -> Result<Username, sqlx::Error> {
    let name: String = row.try_get("username")?;
    Username::parse(&name).map_err(|e| sqlx::Error::Decode(e.into()))
}

fn user_of(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: username_of(row)?,
    })
}

/// Gives every account without a key its key and skeleton, oldest first:
/// the rows made before migration 0007 (SQL cannot fold or skeletonise, so
/// the migration leaves them empty). An account whose name folds to an
/// older account's key (`Élodie` beside an older `élodie`: before 0007,
/// SQLite compared case in ASCII only) keeps no key: the older account
/// keeps the name, this one gets its skeleton (so no guest passes for it)
/// but cannot be found by name, and so cannot log in, until an operator
/// renames it (`UPDATE users SET username = … WHERE id = …`; the next
/// start gives it its key). Each start logs the accounts left so.
pub(super) async fn fill_name_keys(writer: &AnyPool) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT id, username FROM users WHERE name_key IS NULL ORDER BY id")
        .fetch_all(writer)
        .await?;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let name: String = row.try_get("username")?;
        let (key, skeleton) = (names::key(&name), names::skeleton(&name));
        let keyed = sqlx::query(
            "UPDATE users SET name_key = $1, name_skeleton = $2 WHERE id = $3 AND name_key IS NULL",
        )
        .bind(&key)
        .bind(&skeleton)
        .bind(id)
        .execute(writer)
        .await;
        match keyed {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                sqlx::query("UPDATE users SET name_skeleton = $1 WHERE id = $2")
                    .bind(&skeleton)
                    .bind(id)
                    .execute(writer)
                    .await?;
                tracing::warn!(
                    account = id,
                    "this account's name is another, older account's in another case: \
                     it cannot log in until it is renamed"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
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
        assert_eq!(
            s.name_clash(&name("ANN")).await.unwrap(),
            Some(NameClash::Taken(name("Ann")))
        );
        assert_eq!(s.name_clash(&name("Annie")).await.unwrap(), None);
        let (found, hash) = s.user_with_hash(&name("aNn")).await.unwrap().unwrap();
        assert_eq!((found, hash.as_str()), (ann, "hash"));
    }

    /// `Élodie` and `élodie` are one name (SQLite's `lower` and `NOCASE`
    /// fold ASCII only).
    async fn names_are_one_whatever_their_case_in_any_script(s: Store) {
        let elodie = s.create_user(&name("Élodie"), "hash").await.unwrap();
        for same in ["élodie", "ÉLODIE", "E\u{301}lodie"] {
            assert!(
                matches!(
                    s.create_user(&name(same), "h").await,
                    Err(StoreError::Conflict(_))
                ),
                "{same}"
            );
            let (found, _) = s.user_with_hash(&name(same)).await.unwrap().unwrap();
            assert_eq!(found, elodie, "{same}");
        }
    }

    /// The database itself keeps folded names unique: two rows with one
    /// `name_key` cannot both be stored, whoever writes them.
    async fn the_folded_name_is_unique_in_the_database(s: Store) {
        let insert = |name: &'static str| {
            sqlx::query(
                "INSERT INTO users (username, name_key, name_skeleton, password_hash, created_at) \
                 VALUES ($1, 'elodie', 'elodie', 'h', 'now')",
            )
            .bind(name)
            .execute(&s.writer)
        };
        insert("elodie").await.unwrap();
        match insert("Elodie2").await {
            Err(sqlx::Error::Database(e)) => assert!(e.is_unique_violation(), "{e}"),
            other => panic!("a second row with the same key: {other:?}"),
        }
    }

    /// `аdmin` (Cyrillic а) cannot be registered beside `admin`, and the
    /// clash names the account it looks like.
    async fn look_alike_names_clash(s: Store) {
        s.create_user(&name("admin"), "hash").await.unwrap();
        for fake in ["\u{430}dmin", "\u{410}DMIN"] {
            match s.create_user(&name(fake), "h").await {
                Err(StoreError::LooksLike { name: n, existing }) => {
                    assert_eq!((n.as_str(), existing.as_str()), (fake, "admin"))
                }
                other => panic!("{fake}: {other:?}"),
            }
            assert_eq!(
                s.name_clash(&name(fake)).await.unwrap(),
                Some(NameClash::LooksLike(name("admin")))
            );
        }
        assert_eq!(
            s.name_clash(&name("Admin")).await.unwrap(),
            Some(NameClash::Taken(name("admin")))
        );
        assert!(s
            .user_by_name(&name("\u{430}dmin"))
            .await
            .unwrap()
            .is_none());
    }

    /// Accounts from before migration 0007 get their keys at start-up;
    /// of two whose names fold to one key, the older keeps the name.
    async fn old_accounts_get_their_keys(s: Store) {
        for old in ["Straße", "bob", "STRASSE"] {
            sqlx::query(
                "INSERT INTO users (username, password_hash, created_at) VALUES ($1, 'h', 'then')",
            )
            .bind(old)
            .execute(&s.writer)
            .await
            .unwrap();
        }
        fill_name_keys(&s.writer).await.unwrap();
        let strasse = s.user_by_name(&name("strasse")).await.unwrap().unwrap();
        assert_eq!(strasse.username.as_str(), "Straße");
        assert!(s.user_by_name(&name("BOB")).await.unwrap().is_some());
        let keys: Vec<(String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT username, name_key, name_skeleton FROM users ORDER BY id")
                .fetch_all(&s.reader)
                .await
                .unwrap();
        assert_eq!(
            keys,
            [
                (
                    "Straße".into(),
                    Some("strasse".into()),
                    Some("strasse".into())
                ),
                ("bob".into(), Some("bob".into()), Some("bob".into())),
                // Left without a key: found by no name, still no guest's.
                ("STRASSE".into(), None, Some("strasse".into())),
            ]
        );
        // Again at the next start: nothing changes, nothing fails.
        fill_name_keys(&s.writer).await.unwrap();
        let again: Vec<(String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT username, name_key, name_skeleton FROM users ORDER BY id")
                .fetch_all(&s.reader)
                .await
                .unwrap();
        assert_eq!(again, keys);
    }

    /// Many names, one query: the accounts among them, in the order asked,
    /// whatever the case; the others left out.
    async fn users_are_found_by_names_at_once(s: Store) {
        let ann = s.create_user(&name("Ann"), "h").await.unwrap();
        let elodie = s.create_user(&name("Élodie"), "h").await.unwrap();
        let bob = s.create_user(&name("bob"), "h").await.unwrap();
        let wanted = ["BOB", "nobody", "élodie", "ann", "ANN"].map(name);
        let found = s.users_by_names(&wanted).await.unwrap();
        assert_eq!(found, [bob, elodie, ann.clone()]);
        assert_eq!(s.users_by_names(&[]).await.unwrap(), []);
        assert_eq!(s.users_by_names(&[name("aNN")]).await.unwrap(), [ann]);
    }

    crate::server::store::test_db::on_both_backends!(
        users_are_found_by_names_at_once,
        look_alike_names_clash,
        old_accounts_get_their_keys,
        usernames_are_unique_without_regard_to_case,
        names_are_one_whatever_their_case_in_any_script,
        the_folded_name_is_unique_in_the_database,
    );
}
