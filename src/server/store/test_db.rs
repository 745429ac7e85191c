//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database on
//! the server at `HUDDLE_TEST_POSTGRES_URL` (default: the machine's own,
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards.

use super::Store;
use crate::protocol::chat::{ClientMessageId, Timestamp};
use crate::protocol::{MessageText, RoomName, Username};

pub fn admin_url() -> String {
    std::env::var("HUDDLE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (Store::connect(&url).await.expect("SQLite opens"), dir)
}

/// A new database, dropped with the returned guard: also when the test
/// panics, so a failed test leaves no database behind.
pub async fn postgres() -> (Store, TestPostgres) {
    let guard = empty_postgres().await;
    let store = Store::connect(&guard.url())
        .await
        .expect("PostgreSQL opens");
    (store, guard)
}

/// A new, empty database (no migration applied), dropped with the guard.
pub async fn empty_postgres() -> TestPostgres {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!("huddle_test_{:016x}", rand::random::<u64>());
    let admin = sqlx::AnyPool::connect(&admin_url())
        .await
        .expect("PostgreSQL answers at HUDDLE_TEST_POSTGRES_URL");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("a test database");
    admin.close().await;
    TestPostgres { name }
}

/// A test database on the PostgreSQL server; dropped (`WITH (FORCE)`:
/// open connections are ended) when this is.
pub struct TestPostgres {
    pub name: String,
}

impl TestPostgres {
    pub fn url(&self) -> String {
        match admin_url().rsplit_once('/') {
            Some((server, _)) => format!("{}/{}", server, self.name),
            None => panic!("HUDDLE_TEST_POSTGRES_URL names no database"),
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // Drop cannot wait on the test's runtime (it may be unwinding
        // out of it): a thread with a runtime of its own drops it.
        let dropped = std::thread::spawn(move || {
            use sqlx::Executor;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = sqlx::AnyPool::connect(&admin_url())
                    .await
                    .map_err(|e| e.to_string())?;
                let result = admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await;
                admin.close().await;
                result.map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

/// Runs each `async fn name(store: Store)` of the calling module
/// once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _dir) = $crate::server::store::test_db::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _db) = $crate::server::store::test_db::postgres().await;
                    super::$name(store).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

// Values for the store's tests.

pub fn room(s: &str) -> RoomName {
    RoomName::parse(s).unwrap()
}
pub fn name(s: &str) -> Username {
    Username::parse(s).unwrap()
}
pub fn text(s: &str) -> MessageText {
    MessageText::parse(s).unwrap()
}
pub fn ts() -> Timestamp {
    Timestamp("2026-11-25T19:08:57.123Z".into())
}
pub fn cid(s: &str) -> ClientMessageId {
    ClientMessageId::parse(s).unwrap()
}
/// The author of the tests' messages: a guest's connection, `x`.
pub fn x() -> crate::server::store::Author {
    crate::server::store::Author::connection("x")
}

mod tests {
    use crate::server::store::test_db;

    /// A PostgreSQL store test that panics still drops its database.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_postgres_test_leaves_no_database_behind() {
        let (named, name) = tokio::sync::oneshot::channel();
        let failed = tokio::spawn(async move {
            let (_store, db) = test_db::postgres().await;
            let _ = named.send(db.name.clone());
            panic!("a failing test");
        })
        .await;
        assert!(failed.is_err_and(|e| e.is_panic()));
        let name = name.await.expect("the database was made");
        let admin = sqlx::AnyPool::connect(&test_db::admin_url())
            .await
            .expect("PostgreSQL answers");
        let left: Vec<sqlx::any::AnyRow> =
            sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_all(&admin)
                .await
                .expect("pg_database");
        admin.close().await;
        assert!(left.is_empty(), "{name} was left behind");
    }
}
