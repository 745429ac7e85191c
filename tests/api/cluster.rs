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

use crate::helpers::{
    joined_at, joined_with, spawn_app_with, users, whole_history, Process, Sock, TestApp, QUIET,
    WAIT,
};
use huddle::server::cluster::roster::{REFRESH, TTL};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// The machine's Redis (see README: tests use the local services).
const REDIS: &str = "redis://127.0.0.1:6379";

fn cluster_name() -> String {
    format!("test-{}", rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A PostgreSQL database of the test's own on the machine's server
/// (`HUDDLE_TEST_POSTGRES_URL`, as the store tests), dropped at the end.
struct SharedDb {
    name: String,
    url: String,
}

fn admin_url() -> String {
    std::env::var("HUDDLE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl SharedDb {
    async fn create() -> SharedDb {
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
async fn node(cluster: &str, db: &SharedDb) -> TestApp {
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

#[tokio::test]
async fn a_room_message_reaches_members_on_every_node_once() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let a = node(&cluster, &db).await;
    let b = node(&cluster, &db).await;
    let mut ann = in_room(&a, "ann", "ops").await;
    let mut bob = in_room(&b, "bob", "ops").await;
    let mut cid = in_room(&b, "cid", "elsewhere").await;
    let ack = ann
        .request("send-message", json!({"room": "ops", "message": "across"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    for sock in [&mut ann, &mut bob] {
        let m = sock.next("new-message").await;
        assert_eq!(m["message"], "across");
        assert_eq!(m["username"], "ann");
        sock.assert_no("new-message").await;
    }
    cid.assert_no("new-message").await;
    // A node's join reaches the other's sockets too.
    let _dan = a.joined("dan").await;
    assert_eq!(bob.next("user-joined").await["username"], "dan");
}

#[tokio::test]
async fn a_stroke_reaches_the_board_on_the_other_node() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let a = node(&cluster, &db).await;
    let b = node(&cluster, &db).await;
    let ann = in_room(&a, "ann", "sketch").await;
    let mut bob = in_room(&b, "bob", "sketch").await;
    for sock in [&ann, &bob] {
        let ack = sock.request("board-join", json!({"room": "sketch"})).await;
        assert_eq!(ack["status"], "ok", "{ack}");
    }
    ann.emit(
        "board-draw",
        json!({"room": "sketch", "id": "s-1", "tool": "pen", "color": "#000000",
               "width": 2, "start": 0, "points": [[1, 1], [5, 5]]}),
    )
    .await;
    let drawing = bob.next("board-drawing").await;
    assert_eq!(drawing["by"], "ann");
    assert_eq!(drawing["points"], json!([[1.0, 1.0], [5.0, 5.0]]));
}

/// A Redis server of the test's own, on a free port, that it can stop and
/// start again.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = OwnRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (Debian's redis-server package)");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn ready(app: &TestApp) -> (u16, serde_json::Value) {
    let r = reqwest::get(format!("{}/readyz", app.url()))
        .await
        .expect("readyz");
    (r.status().as_u16(), r.json().await.expect("json"))
}

#[tokio::test]
async fn without_redis_each_node_serves_its_own_clients_and_heals() {
    let mut redis = OwnRedis::start();
    let cluster = cluster_name();
    let db = SharedDb::create().await;
    let a = node_on(&redis.url(), &cluster, &db).await;
    let b = node_on(&redis.url(), &cluster, &db).await;
    let ann = in_room(&a, "ann", "ops").await;
    let mut amy = in_room(&a, "amy", "ops").await;
    let mut bob = in_room(&b, "bob", "ops").await;
    assert_eq!(ready(&a).await.0, 200);

    redis.stop();
    // Node A still delivers to its own sockets, and acks.
    let ack = ann
        .request(
            "send-message",
            json!({"room": "ops", "message": "local only"}),
        )
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(amy.next("new-message").await["message"], "local only");
    let (status, body) = ready(&a).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["database"], "ok");
    assert_ne!(body["redis"], "ok");

    // Redis is back: the nodes find each other again by themselves.
    redis.restart();
    let deadline = tokio::time::Instant::now() + 4 * WAIT;
    let mut n = 0;
    loop {
        n += 1;
        let text = format!("after {n}");
        ann.request("send-message", json!({"room": "ops", "message": text}))
            .await;
        tokio::time::sleep(QUIET).await;
        let got = bob
            .drain()
            .into_iter()
            .any(|(e, m)| e == "new-message" && m["message"] == text);
        if got {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B never heard node A again"
        );
    }
    assert_eq!(ready(&a).await.0, 200);
    // What B's people missed meanwhile is in the shared history, in order:
    // the browser client fetches it after the last seq it has.
    let missed = bob
        .request("history", json!({"room": "ops", "after": 0}))
        .await;
    let texts: Vec<&str> = missed["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["message"].as_str())
        .collect();
    assert_eq!(texts.first(), Some(&"local only"));
    assert_eq!(texts.len(), n + 1);
}

/// A `/chat` socket that has sent `join {name}` (without waiting for a
/// `user-joined`: a second socket of a name is not announced).
async fn join_as(url: &str, name: &str) -> Sock {
    joined_at(url, name).await
}

#[tokio::test]
async fn a_name_counts_once_across_nodes_and_tabs() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let a = node(&cluster, &db).await;
    let b = node(&cluster, &db).await;
    let mut bob = join_as(&b.url(), "bob").await;
    assert_eq!(bob.next("user-joined").await["username"], "bob");
    let ann_on_a = join_as(&a.url(), "ann").await;
    assert_eq!(bob.next("user-joined").await["username"], "ann");
    // Ann's second tab, on the other node: not announced again.
    let ann_on_b = join_as(&b.url(), "ann").await;
    bob.assert_no("user-joined").await;
    for sock in [&bob, &ann_on_a] {
        assert_eq!(users(sock).await, ["bob", "ann"]);
    }
    // Her first tab goes: she is still there.
    ann_on_a.disconnect().await;
    bob.assert_no("user-left").await;
    assert_eq!(users(&bob).await, ["bob", "ann"]);
    // Her last tab goes: she left.
    ann_on_b.disconnect().await;
    assert_eq!(bob.next("user-left").await["username"], "ann");
    assert_eq!(users(&bob).await, ["bob"]);
}

/// How often a test looks again for what a README bound promises: a bound
/// missed by less than one step may go unseen, the only slack these tests
/// give a bound. Also how long past a bound a test watches for a second
/// copy of what must come once.
const STEP: Duration = Duration::from_millis(250);

/// Polls `get-users` through `sock` every [`STEP`] until it answers
/// `everyone`; panics if a `get-users` asked `within` or more after `since`
/// still answers something else.
async fn users_become(
    sock: &Sock,
    everyone: &[&str],
    since: Instant,
    within: Duration,
    what: &str,
) {
    loop {
        let asked = Instant::now();
        let listed = users(sock).await;
        if listed == everyone {
            return;
        }
        let after = asked.duration_since(since);
        assert!(
            after < within,
            "{what}: get-users asked {after:?} after it (the bound is {within:?}) lists {listed:?}, not {everyone:?}"
        );
        tokio::time::sleep(STEP).await;
    }
}

/// When, up to `until`, `sock` got `user-left` for `name`.
async fn user_left_at(sock: &mut Sock, name: &str, until: Instant) -> Vec<Instant> {
    let mut at = Vec::new();
    while let Some(left) = sock.next_before("user-left", until).await {
        if left["username"] == name {
            at.push(Instant::now());
        }
    }
    at
}

#[tokio::test]
async fn the_people_of_a_node_that_died_vanish_within_the_ttl() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    // Two surviving nodes with a page each, so that "user-left is sent
    // once" means one node sends it, not each node that notices.
    let a = node(&cluster, &db).await;
    let c = node(&cluster, &db).await;
    let mut b = Process::start(&cluster_env(&db, &cluster)).await;
    let mut amy = join_as(&a.url(), "amy").await;
    let mut cal = join_as(&c.url(), "cal").await;
    let _cy = join_as(&b.url(), "cy").await;
    for sock in [&amy, &cal] {
        assert_eq!(users(sock).await, ["amy", "cal", "cy"]);
    }
    // Nodes A and C have each seen cy on node B at one of their sweeps (one
    // every REFRESH): a node announces only the people it saw there.
    tokio::time::sleep(REFRESH + Duration::from_millis(500)).await;
    amy.drain();
    cal.drain();
    // kill -9: node B tells no one. README's bounds count from here.
    let died = Instant::now();
    b.kill();
    // Gone from get-users within TTL (15 s), on both surviving nodes...
    for sock in [&amy, &cal] {
        users_become(sock, &["amy", "cal"], died, TTL, "node B was killed").await;
    }
    // ...and every page on them gets user-left for cy within TTL + REFRESH
    // (20 s), once. A second announcement would come from the other node's
    // first sweep after B's entries expired, which is within the same
    // bound: watch one STEP past it for one.
    let told_by = died + TTL + REFRESH;
    let (at_a, at_c) = tokio::join!(
        user_left_at(&mut amy, "cy", told_by + STEP),
        user_left_at(&mut cal, "cy", told_by + STEP)
    );
    for (page, at) in [("amy", at_a), ("cal", at_c)] {
        let after: Vec<Duration> = at.iter().map(|t| t.duration_since(died)).collect();
        assert_eq!(
            after.len(),
            1,
            "{page}'s page got user-left for cy {} times, at {after:?} after node B died",
            after.len()
        );
        assert!(
            at[0] <= told_by,
            "{page}'s page got user-left for cy {:?} after node B died (the bound is {:?})",
            after[0],
            TTL + REFRESH
        );
    }
}

#[tokio::test]
async fn a_redis_that_restarted_empty_has_everyone_back_within_the_refresh() {
    let mut redis = OwnRedis::start();
    let cluster = cluster_name();
    let db = SharedDb::create().await;
    let a = node_on(&redis.url(), &cluster, &db).await;
    let b = node_on(&redis.url(), &cluster, &db).await;
    let ann = join_as(&a.url(), "ann").await;
    let bob = join_as(&b.url(), "bob").await;
    for sock in [&ann, &bob] {
        assert_eq!(users(sock).await, ["ann", "bob"]);
    }
    // OwnRedis keeps no snapshot and no append-only file: it comes back
    // empty, without the nodes' presence hashes and without the node set.
    redis.stop();
    redis.restart();
    // README's bound counts from Redis answering again (restart returns
    // once it accepts connections).
    let back = Instant::now();
    for sock in [&ann, &bob] {
        users_become(
            sock,
            &["ann", "bob"],
            back,
            REFRESH,
            "Redis restarted empty",
        )
        .await;
    }
}

// ---- Real processes sharing one PostgreSQL database and one Redis ----

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

async fn register(url: &str, name: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{url}/api/register"))
        .json(&json!({"username": name, "password": "correct horse battery"}))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 201);
    let session: serde_json::Value = response.json().await.expect("a session");
    session["token"].as_str().expect("a token").to_owned()
}

async fn logged_in(url: &str, name: &str, token: &str) -> Sock {
    joined_with(url, name, Some(token)).await
}

#[tokio::test]
async fn two_processes_share_rooms_dms_presence_boards_and_history() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let env = cluster_env(&db, &cluster);
    let a = Process::start(&env).await;
    let b = Process::start(&env).await;
    // An account made on one node logs in on the other.
    let ann_token = register(&a.url(), "ann").await;
    let bob_token = register(&b.url(), "bob").await;
    let ann = logged_in(&b.url(), "ann", &ann_token).await;
    drop(ann);
    let mut ann = logged_in(&a.url(), "ann", &ann_token).await;
    let mut bob = logged_in(&b.url(), "bob", &bob_token).await;
    assert_eq!(users(&bob).await, ["ann", "bob"]);

    // A room message: stored once, numbered once, delivered on both nodes.
    let ack = ann
        .request("send-message", json!({"message": "hello from A"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let got = bob.next("new-message").await;
    assert_eq!(
        (got["message"].clone(), got["seq"].clone()),
        (json!("hello from A"), ack["seq"].clone())
    );
    bob.assert_no("new-message").await;
    let history = bob.request("history", json!({"room": "general"})).await;
    assert_eq!(history["messages"][0]["message"], "hello from A");

    // A direct message across nodes.
    let ack = ann
        .request("send-dm", json!({"to": "bob", "message": "psst"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(bob.next("new-dm").await["message"], "psst");
    let list = bob.request("dm-list", json!({})).await;
    assert_eq!(list["conversations"][0]["unread"], 1);

    // The whiteboard: a change made on A is on B's board and in its store.
    for sock in [&ann, &bob] {
        let ack = sock.request("board-join", json!({"room": "general"})).await;
        assert_eq!(ack["status"], "ok", "{ack}");
    }
    let ack = ann
        .request(
            "board-op",
            json!({"room": "general", "op": {"type": "add", "shape": {"id": "s1", "tool": "line",
                   "color": "#112233", "width": 3, "points": [[1, 1], [9, 9]]}}}),
        )
        .await;
    assert_eq!(ack["seq"], 1, "{ack}");
    assert_eq!(bob.next("board-changed").await["added"][0]["id"], "s1");
    let snapshot = bob.request("board-join", json!({"room": "general"})).await;
    assert_eq!(snapshot["shapes"][0]["id"], "s1");
    ann.drain();
    drop((ann, bob, a, b));
    // `db` drops its database (also when a test fails).
}

/// Sends `count` messages to `room` as fast as acks come; returns the
/// acked ones' texts (a send with no ack within a second is not acked).
async fn send_many(
    sock: std::sync::Arc<Sock>,
    room: &'static str,
    tag: String,
    count: usize,
) -> Vec<String> {
    let mut acked = Vec::new();
    for i in 0..count {
        let text = format!("{tag}-{i}");
        let ack = sock
            .try_request(
                "send-message",
                json!({"room": room, "message": text}),
                Duration::from_secs(1),
            )
            .await;
        match ack {
            Some(ack) if ack["status"] == "ok" => acked.push(text),
            Some(_) => {}
            None => break,
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    acked
}

#[tokio::test]
async fn a_node_killed_mid_traffic_loses_no_acked_message() {
    use std::sync::Arc;
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let env = cluster_env(&db, &cluster);
    let mut a = Process::start(&env).await;
    let b = Process::start(&env).await;
    let mut socks = Vec::new();
    for (url, name) in [
        (a.url(), "a1"),
        (a.url(), "a2"),
        (b.url(), "b1"),
        (b.url(), "b2"),
    ] {
        socks.push(Arc::new(in_room_at(&url, name, "busy").await));
    }
    let senders: Vec<_> = socks
        .iter()
        .enumerate()
        .map(|(i, sock)| tokio::spawn(send_many(sock.clone(), "busy", format!("s{i}"), 150)))
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    a.kill();
    let mut acked = Vec::new();
    for sender in senders {
        acked.extend(sender.await.expect("a sender"));
    }
    assert!(acked.len() > 300, "only {} messages acked", acked.len());
    tokio::time::sleep(QUIET).await;

    // Every acked message is stored, numbered without gaps...
    let history = whole_history(&socks[2], "busy").await;
    let seqs: Vec<i64> = history.iter().filter_map(|m| m["seq"].as_i64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let stored: std::collections::HashSet<String> = history
        .iter()
        .filter_map(|m| m["message"].as_str().map(str::to_owned))
        .collect();
    for text in &acked {
        assert!(
            stored.contains(text),
            "{text} was acked but is not in the history"
        );
    }
    // ...and reached each client of the surviving node exactly once.
    for sock in socks.drain(2..) {
        let mut sock = Arc::try_unwrap(sock).unwrap_or_else(|_| panic!("a sender still runs"));
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for (event, m) in sock.drain() {
            if event == "new-message" {
                *seen
                    .entry(m["message"].as_str().unwrap_or_default().to_owned())
                    .or_default() += 1;
            }
        }
        for text in &acked {
            assert_eq!(
                seen.get(text),
                Some(&1),
                "{text} reached a client {:?} times",
                seen.get(text)
            );
        }
    }
    drop((socks, a, b));
    // `db` drops its database (also when a test fails).
}

async fn in_room_at(url: &str, name: &str, room: &str) -> Sock {
    let sock = join_as(url, name).await;
    let ack = sock.request("join-room", json!({ "room": room })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}

/// A send to room `roll` whose clientId is its text.
fn roll(text: &str) -> Value {
    json!({"room": "roll", "message": text, "clientId": text})
}

/// The (id, seq) a `send-message` ack or a stored message names.
fn id_seq(m: &Value) -> Option<(i64, i64)> {
    Some((m["id"].as_i64()?, m["seq"].as_i64()?))
}

/// Sends `text` to room `roll` and waits for its ack, which must be ok;
/// the (id, seq) it was stored as.
async fn send_acked(sock: &Sock, text: &str) -> (i64, i64) {
    let ack = sock.request("send-message", roll(text)).await;
    assert_eq!(ack["status"], "ok", "{text}: {ack}");
    id_seq(&ack).unwrap_or_else(|| panic!("{text}: an ack without id and seq: {ack}"))
}

/// How many sends the leaving node is handed at once, right before its
/// SIGTERM.
const BURST: usize = 150;

#[tokio::test]
async fn a_rolling_restart_of_both_nodes_loses_no_acked_message() {
    use std::collections::HashMap;
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    // cluster_env raises the send limits (by default 10 a second per
    // socket) out of the burst's way.
    let env = cluster_env(&db, &cluster);
    let mut nodes = [Process::start(&env).await, Process::start(&env).await];
    // Every text sent, each once; and text -> (id, seq) from its ok ack.
    let mut sent: Vec<String> = Vec::new();
    let mut acked: HashMap<String, (i64, i64)> = HashMap::new();
    // One person on each node; each node in turn is stopped (SIGTERM) with
    // sends in flight, and started again while the other serves.
    for going in [0, 1] {
        let staying = 1 - going;
        let mut leaving = in_room_at(&nodes[going].url(), "ann", "roll").await;
        let remaining = in_room_at(&nodes[staying].url(), "bob", "roll").await;
        for i in 0..10 {
            for (sock, text) in [
                (&leaving, format!("ann-{going}-{i}")),
                (&remaining, format!("bob-{going}-{i}")),
            ] {
                acked.insert(text.clone(), send_acked(sock, &text).await);
                sent.push(text);
            }
        }
        // A burst at the leaving node, its acks not waited for...
        let mut burst = Vec::new();
        for i in 0..BURST {
            let text = format!("roll-{going}-{i}");
            let ack = leaving.request_later("send-message", roll(&text)).await;
            sent.push(text.clone());
            burst.push((text, ack));
        }
        // ...and SIGTERM as soon as the node has stored the first of it,
        // while Bob goes on sending on the other node.
        loop {
            let m = leaving.next("new-message").await;
            if m["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("roll-"))
            {
                break;
            }
        }
        let bob_meanwhile = async {
            let mut acks = Vec::new();
            for i in 0..10 {
                let text = format!("bob-{going}-meanwhile-{i}");
                acks.push((text.clone(), send_acked(&remaining, &text).await));
            }
            acks
        };
        let ((), meanwhile) = tokio::join!(
            nodes[going].terminate(Duration::from_secs(15)),
            bob_meanwhile
        );
        for (text, at) in meanwhile {
            acked.insert(text.clone(), at);
            sent.push(text);
        }
        // Its people were told to reconnect.
        assert!(leaving
            .drain()
            .iter()
            .any(|(e, _)| e == "server-restarting"));
        // The node has exited: the acks it sent are read, or in this
        // client's socket buffer; QUIET to read those. An ack taken for
        // missing only costs a retry, stored once all the same.
        let grace = Instant::now() + QUIET;
        let mut acks = Vec::new();
        for (text, ack) in burst {
            let ack = tokio::time::timeout_at(grace, ack)
                .await
                .ok()
                .and_then(Result::ok);
            let at = ack
                .filter(|a| a["status"] == "ok")
                .as_ref()
                .and_then(id_seq);
            acks.push((text, at));
        }
        // What is stored now, read on the other node.
        let stored: HashMap<String, (i64, i64)> = whole_history(&remaining, "roll")
            .await
            .iter()
            .filter_map(|m| Some((m["message"].as_str()?.to_owned(), id_seq(m)?)))
            .collect();
        // An ok ack names the message it stored, which must be there.
        // rust_socketio may hand one ack to several sends (see
        // `Sock::request_later`): of the sends holding the same ack, the one
        // whose text it stored was acked, the others were not, as far as
        // this client can tell.
        let mut holders: HashMap<(i64, i64), usize> = HashMap::new();
        for at in acks.iter().filter_map(|(_, at)| *at) {
            *holders.entry(at).or_default() += 1;
        }
        let mut unacked = Vec::new();
        for (text, at) in acks {
            match at {
                Some(at) if holders[&at] == 1 || stored.get(&text) == Some(&at) => {
                    assert_eq!(
                        stored.get(&text),
                        Some(&at),
                        "{text} was acked as (id, seq) {at:?}, but is not stored so"
                    );
                    acked.insert(text, at);
                }
                _ => unacked.push(text),
            }
        }
        // Printed with a failure: how the burst ended.
        let stored_unacked = unacked.iter().filter(|t| stored.contains_key(*t)).count();
        eprintln!(
            "round {going}: {} of the burst acked, {} not ({stored_unacked} of them stored), {} acks held by several sends",
            BURST - unacked.len(),
            unacked.len(),
            holders.values().filter(|n| **n > 1).count()
        );
        assert!(
            !unacked.is_empty(),
            "the whole burst was acked before the node stopped: nothing was in flight"
        );
        // The client sends the rest again, on the other node, as the same
        // name, with the same clientId.
        let again = in_room_at(&nodes[staying].url(), "ann", "roll").await;
        for text in unacked {
            acked.insert(text.clone(), send_acked(&again, &text).await);
        }
        drop((leaving, remaining, again));
        nodes[going].restart().await;
    }
    // Every send is stored exactly once, as its ack said, in one gapless
    // sequence.
    let reader = in_room_at(&nodes[0].url(), "cy", "roll").await;
    let history = whole_history(&reader, "roll").await;
    let seqs: Vec<i64> = history.iter().filter_map(|m| m["seq"].as_i64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for m in &history {
        *copies
            .entry(m["message"].as_str().unwrap_or_default())
            .or_default() += 1;
    }
    for text in &sent {
        assert_eq!(
            copies.get(text.as_str()),
            Some(&1),
            "{text} is stored {:?} times",
            copies.get(text.as_str())
        );
    }
    assert_eq!(
        history.len(),
        sent.len(),
        "the history holds messages no one sent"
    );
    for m in &history {
        let text = m["message"].as_str().unwrap_or_default();
        assert_eq!(
            id_seq(m),
            acked.get(text).copied(),
            "{text}: stored as (id, seq) {:?}, acked as {:?}",
            id_seq(m),
            acked.get(text)
        );
    }
    drop((reader, nodes));
    // `db` drops its database (also when a test fails).
}

#[tokio::test]
async fn a_board_open_across_a_node_restart_catches_up() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let env = cluster_env(&db, &cluster);
    let mut a = Process::start(&env).await;
    let b = Process::start(&env).await;
    let add = |id: &str| {
        json!({"room": "sketch", "op": {"type": "add", "shape": {"id": id, "tool": "line",
               "color": "#112233", "width": 3, "points": [[1, 1], [9, 9]]}}})
    };
    let ann = in_room_at(&a.url(), "ann", "sketch").await;
    let bob = in_room_at(&b.url(), "bob", "sketch").await;
    for sock in [&ann, &bob] {
        let ack = sock.request("board-join", json!({"room": "sketch"})).await;
        assert_eq!(ack["status"], "ok", "{ack}");
    }
    assert_eq!(ann.request("board-op", add("first")).await["seq"], 1);
    // Ann's node goes away; Bob draws and erases meanwhile.
    a.terminate(Duration::from_secs(15)).await;
    assert_eq!(bob.request("board-op", add("second")).await["seq"], 2);
    let erase = json!({"room": "sketch", "op": {"type": "erase", "ids": ["first"]}});
    assert_eq!(bob.request("board-op", erase).await["seq"], 3);
    // Ann's page reconnects (to the other node) and catches up from seq 1.
    let ann = in_room_at(&b.url(), "ann", "sketch").await;
    let caught_up = ann
        .request("board-join", json!({"room": "sketch", "since": 1}))
        .await;
    assert_eq!(caught_up["seq"], 3, "{caught_up}");
    assert_eq!(caught_up["full"], false);
    assert_eq!(caught_up["shapes"][0]["id"], "second");
    assert_eq!(caught_up["removed"], json!(["first"]));
    drop((ann, bob, a, b));
    // `db` drops its database.
}
