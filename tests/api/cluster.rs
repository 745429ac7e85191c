//! Several nodes as one server, through a real Redis: broadcasts reach the
//! members of a room on every node, once; a node keeps serving its own
//! clients while Redis is away, says it is not ready, and heals when Redis
//! is back.
//!
//! The nodes here are servers in this process with data directories of
//! their own; each test uses a cluster name of its own, so tests running
//! at once on one Redis do not hear each other.

use crate::helpers::{spawn_app_with, users, Process, Sock, TestApp, TransportType, QUIET, WAIT};
use huddle::server::cluster::roster::TTL;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The machine's Redis (see README: tests use the local services).
const REDIS: &str = "redis://127.0.0.1:6379";

fn cluster_name() -> String {
    format!("test-{}", rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

async fn node(redis: &str, cluster: &str) -> TestApp {
    let (redis, cluster) = (redis.to_owned(), cluster.to_owned());
    spawn_app_with(move |c| {
        c.redis_url = Some(redis);
        c.cluster_name = cluster;
    })
    .await
}

async fn in_room(app: &TestApp, name: &str, room: &str) -> Sock {
    let sock = app.joined(name).await;
    let ack = sock.request("join-room", json!({ "room": room })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}

#[tokio::test]
async fn a_room_message_reaches_members_on_every_node_once() {
    let cluster = cluster_name();
    let a = node(REDIS, &cluster).await;
    let b = node(REDIS, &cluster).await;
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
    let cluster = cluster_name();
    let a = node(REDIS, &cluster).await;
    let b = node(REDIS, &cluster).await;
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
    let a = node(&redis.url(), &cluster).await;
    let b = node(&redis.url(), &cluster).await;
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
}

/// A `/chat` socket that has sent `join {name}` (without waiting for a
/// `user-joined`: a second socket of a name is not announced).
async fn join_as(url: &str, name: &str) -> Sock {
    let sock = Sock::connect_url(url, "/chat", TransportType::Websocket, None, None)
        .await
        .expect("connects");
    let ack = sock.request("join", json!({ "username": name })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}

#[tokio::test]
async fn a_name_counts_once_across_nodes_and_tabs() {
    let cluster = cluster_name();
    let a = node(REDIS, &cluster).await;
    let b = node(REDIS, &cluster).await;
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

#[tokio::test]
async fn the_people_of_a_node_that_died_vanish_within_the_ttl() {
    let cluster = cluster_name();
    let a = node(REDIS, &cluster).await;
    let mut b = Process::start(&[
        ("HUDDLE_REDIS_URL", REDIS),
        ("HUDDLE_CLUSTER_NAME", &cluster),
    ])
    .await;
    let amy = join_as(&a.url(), "amy").await;
    let _cy = join_as(&b.url(), "cy").await;
    assert_eq!(users(&amy).await, ["amy", "cy"]);
    // kill -9: node B tells no one.
    b.kill();
    let died = tokio::time::Instant::now();
    let limit = TTL + Duration::from_secs(2);
    while users(&amy).await.contains(&"cy".to_owned()) {
        assert!(
            died.elapsed() < limit,
            "cy still listed {:?} after node B died",
            died.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(users(&amy).await, ["amy"]);
}
