//! Real `huddle` processes sharing one PostgreSQL database and one Redis:
//! rooms, DMs, presence, boards and history across two of them; a node
//! killed with SIGKILL mid-traffic, a rolling restart of both nodes, and a
//! board open across a node restart.

use super::{cluster_env, cluster_name, in_room_at, SharedDb};
use crate::helpers::{joined_with, users, whole_history, Process, Sock, QUIET};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;

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
