//! Nodes in this process on Redis: broadcasts across nodes, a name across
//! nodes and tabs, a Redis that goes away or restarts empty, and the people
//! of a node (a `huddle` process killed with SIGKILL) that died.

use super::{cluster_env, cluster_name, in_room, join_as, node, node_on, SharedDb};
use crate::helpers::{users, Process, Sock, TestApp, QUIET, WAIT};
use huddle::server::cluster::roster::{REFRESH, TTL};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

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
    assert_eq!(body["redis"], "unavailable", "{body}");

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

/// A logged-in socket of a new account `name`, registered and joined at
/// the in-process node `app`.
async fn account_at(app: &TestApp, name: &str) -> Sock {
    let session = app.register(name).await;
    let token = session["token"].as_str().expect("a token");
    crate::helpers::joined_with(&app.url(), name, Some(token)).await
}

/// Asks `event {room}` of `sock` until it is refused with a text that
/// starts with `refusal`; how long that took.
async fn refused_within(sock: &Sock, event: &str, room: &str, refusal: &str) -> Duration {
    let start = Instant::now();
    loop {
        let ack = sock.request(event, json!({ "room": room })).await;
        let text = ack["message"].as_str().unwrap_or("");
        if ack["status"] == "error" && text.starts_with(refusal) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{event} still answered {ack} after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_removal_and_a_ban_hold_on_the_other_node_within_a_second() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let a = node(&cluster, &db).await;
    let b = node(&cluster, &db).await;
    let ann = account_at(&a, "ann").await;
    let mut bob = account_at(&b, "bob").await;
    let ack = ann
        .request("create-room", json!({"room": "ops", "private": true}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let ack = ann
        .request("invite", json!({"room": "ops", "username": "bob"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(bob.next("room-added").await["room"], "ops");
    // bob reads the room on b: b caches bob's standing as a member.
    let history = bob.request("history", json!({"room": "ops"})).await;
    assert_eq!(history["status"], "ok", "{history}");
    ann.request("send-message", json!({"room": "ops", "message": "before"}))
        .await;
    assert_eq!(bob.next("new-message").await["message"], "before");

    let removed_at = Instant::now();
    let ack = ann
        .request("remove-member", json!({"room": "ops", "username": "bob"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let notice = bob.next("room-removed").await;
    assert_eq!(notice["by"], "ann");
    let told = removed_at.elapsed();
    ann.request("send-message", json!({"room": "ops", "message": "after"}))
        .await;
    bob.assert_no("new-message").await;
    let shut = refused_within(
        &bob,
        "history",
        "ops",
        "There is no room named ops that you can open",
    )
    .await;
    assert!(told < Duration::from_secs(1), "told after {told:?}");
    assert!(shut < Duration::from_secs(1), "b's cache held for {shut:?}");

    // A ban from a public room bob reads on b (b caches his standing).
    let ack = ann.request("create-room", json!({"room": "hall"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let ack = bob.request("join-room", json!({"room": "hall"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let history = bob.request("history", json!({"room": "hall"})).await;
    assert_eq!(history["status"], "ok", "{history}");
    let ack = ann
        .request("ban", json!({"room": "hall", "username": "bob"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(bob.next("room-removed").await["banned"], true);
    ann.request(
        "send-message",
        json!({"room": "hall", "message": "after the ban"}),
    )
    .await;
    bob.assert_no("new-message").await;
    let shut = refused_within(&bob, "join-room", "hall", "You are banned from hall").await;
    assert!(shut < Duration::from_secs(1), "b's cache held for {shut:?}");
}
