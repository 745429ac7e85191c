//! Several nodes as one server, through a real Redis and a real
//! PostgreSQL: broadcasts reach the members of a room on every node, once;
//! a name counts once across nodes and tabs; the people of a node that
//! died vanish, and a Redis that restarted empty has everyone back, within
//! README's bounds; a node keeps serving its own clients while Redis is
//! away, says it is not ready, and heals when Redis is back; a node killed
//! with SIGKILL mid-traffic, and a rolling restart of both nodes with sends
//! in flight, lose no acked message.
//!
//! Some nodes are servers in this process, some are the `huddle` binary
//! (`Process`). Each test uses a cluster name of its own, and a PostgreSQL
//! database of its own that its nodes share, so tests running at once on
//! one Redis and one PostgreSQL do not meet.
//!
//! in_process.rs: nodes in this process (and, for the node that dies, one
//! `huddle` process to kill); processes.rs: `huddle` processes only.

mod in_process;
mod processes;
mod typing;

use crate::helpers::{joined_as_guest, spawn_app_with, Sock, TestApp};
use serde_json::json;

/// The machine's Redis (see README: tests use the local services).
const REDIS: &str = "redis://127.0.0.1:6379";

pub(crate) fn cluster_name() -> String {
    format!("test-{}", rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A PostgreSQL database of the test's own on the machine's server
/// (`HUDDLE_TEST_POSTGRES_URL`, as the store tests), dropped at the end.
pub(crate) struct SharedDb {
    name: String,
    url: String,
}

fn admin_url() -> String {
    std::env::var("HUDDLE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl SharedDb {
    pub(crate) async fn create() -> SharedDb {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let name = format!("huddle_test_{}", rand_suffix());
        let admin = sqlx::AnyPool::connect(&admin_url())
            .await
            .expect("PostgreSQL answers");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("a test database");
        admin.close().await;
        let url = format!(
            "{}/{name}",
            admin_url().rsplit_once('/').expect("a database").0
        );
        SharedDb { name, url }
    }
}

/// Drops the database, also when the test failed.
impl Drop for SharedDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sqlx::Executor;
                if let Ok(admin) = sqlx::AnyPool::connect(&admin_url()).await {
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A node in this process, on the machine's Redis and on `db`.
pub(crate) async fn node(cluster: &str, db: &SharedDb) -> TestApp {
    node_on(REDIS, cluster, db).await
}

/// A node in this process, on `redis` and on `db`.
async fn node_on(redis: &str, cluster: &str, db: &SharedDb) -> TestApp {
    let (redis, cluster) = (redis.to_owned(), cluster.to_owned());
    let database = db.url.clone();
    spawn_app_with(move |c| {
        c.redis_url = Some(redis);
        c.cluster_name = cluster;
        c.database_url = Some(database);
    })
    .await
}

/// `in_room_at` on an in-process node, its own `user-joined` consumed.
async fn in_room(app: &TestApp, name: &str, room: &str) -> Sock {
    let mut sock = in_room_at(&app.url(), name, room).await;
    assert_eq!(sock.next("user-joined").await["username"], name);
    sock
}

/// A `/chat` socket that has sent `join {name}` (without waiting for a
/// `user-joined`: a second socket of a name is not announced).
/// A guest `name` joined at `url`, presenting the same guest key on every
/// connection, as one person's page does across reconnects: a send it
/// retries after moving to another node is known as its own.
async fn join_as(url: &str, name: &str) -> Sock {
    joined_as_guest(url, name, &format!("cluster-test-guest-{name}-key")).await
}

/// The settings every node of one cluster shares. The tests' clients all
/// come from 127.0.0.1: the per-client limits are raised out of the way
/// (tests/api/limits.rs tests them).
fn cluster_env<'a>(db: &'a SharedDb, cluster: &'a str) -> Vec<(&'a str, &'a str)> {
    const HIGH: &str = "100000/s:100000";
    vec![
        ("HUDDLE_DATABASE_URL", db.url.as_str()),
        ("HUDDLE_REDIS_URL", REDIS),
        ("HUDDLE_CLUSTER_NAME", cluster),
        // Tokens signed by one node are checked by the others.
        (
            "HUDDLE_JWT_SECRET",
            "the-cluster-shares-this-secret-of-32-bytes-or-more",
        ),
        ("HUDDLE_SEND_LIMIT", HIGH),
        ("HUDDLE_CLIENT_SEND_LIMIT", HIGH),
        ("HUDDLE_ROOM_LIMIT", HIGH),
        ("HUDDLE_CLIENT_ROOM_LIMIT", HIGH),
        ("HUDDLE_READ_LIMIT", HIGH),
        ("HUDDLE_CLIENT_READ_LIMIT", HIGH),
        ("HUDDLE_DRAW_LIMIT", HIGH),
        ("HUDDLE_CLIENT_DRAW_LIMIT", HIGH),
        ("HUDDLE_HANDSHAKE_LIMIT", HIGH),
    ]
}

async fn in_room_at(url: &str, name: &str, room: &str) -> Sock {
    let sock = join_as(url, name).await;
    let ack = sock.request("join-room", json!({ "room": room })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}
