//! Every event's malformed payloads are refused in the protocol's words
//! (#13 item 10): the refusal names the event and says what to fix, and
//! never speaks the parser's language ("invalid type: …, expected …",
//! "internally tagged enum", Rust type names).

use crate::helpers::{spawn_app, Sock, TestApp, TransportType};
use serde_json::{json, Value};
use std::time::Duration;

/// Words of serde and of Rust that a refusal must never contain.
const PARSER_WORDS: &[&str] = &[
    "enum",
    "struct",
    "expected internally",
    "invalid type",
    "invalid value",
    "invalid length",
    "unknown variant",
    "variant",
    "identifier",
    "sequence",
    "map",
    "option",
    "unit value",
    "floating point",
    "u8",
    "u16",
    "u32",
    "u64",
    "i32",
    "i64",
    "f32",
    "f64",
    "usize",
    "tuple",
];

/// Values of every JSON type, put in place of each field in turn.
fn replacements() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(7),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([]),
        json!([1]),
        json!({}),
        json!({"a": 1}),
    ]
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Every payload made from `base` by removing one field, or putting a value
/// of another type in its place (numbers also get -1 and 1.5), at any
/// depth (arrays: their first item). `keep` names fields left alone.
fn malformed(base: &Value, keep: &[&str]) -> Vec<(String, Value)> {
    let mut paths = Vec::new();
    fields(base, &mut Vec::new(), keep, &mut paths);
    let mut out = Vec::new();
    for (path, original, in_object) in paths {
        let label = path.join(".");
        if in_object {
            out.push((
                format!("{label} missing"),
                replaced(base.clone(), &path, None),
            ));
        }
        for r in replacements() {
            if !same_type(&r, &original) || original.is_number() {
                let case = format!("{label} = {r}");
                out.push((case, replaced(base.clone(), &path, Some(r))));
            }
        }
    }
    out
}

/// Each field's path, value, and whether it is an object's member (or an
/// array's first item), depth first.
fn fields(
    value: &Value,
    path: &mut Vec<String>,
    keep: &[&str],
    out: &mut Vec<(Vec<String>, Value, bool)>,
) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items.first().map(|v| ("0".into(), v)).into_iter().collect(),
        _ => Vec::new(),
    };
    for (key, child) in children {
        if keep.contains(&key.as_str()) {
            continue;
        }
        path.push(key);
        out.push((path.clone(), child.clone(), value.is_object()));
        fields(child, path, keep, out);
        path.pop();
    }
}

/// `base` with the value at `path` replaced by `r` (removed when `None`).
fn replaced(mut base: Value, path: &[String], r: Option<Value>) -> Value {
    let (last, parents) = path.split_last().expect("a path");
    let mut at = &mut base;
    for key in parents {
        at = match at {
            Value::Object(map) => map.get_mut(key).expect("the path exists"),
            Value::Array(items) => &mut items[0],
            _ => unreachable!(),
        };
    }
    match (at, r) {
        (Value::Object(map), None) => {
            map.remove(last);
        }
        (Value::Object(map), Some(r)) => {
            map.insert(last.clone(), r);
        }
        (Value::Array(items), Some(r)) => items[0] = r,
        (Value::Array(items), None) => {
            items.remove(0);
        }
        _ => unreachable!(),
    }
    base
}

fn assert_plain(event: &str, case: &str, answer: &Value) {
    if answer["status"] != "error" {
        return;
    }
    let message = answer["message"].as_str().expect("a message");
    assert!(
        message.starts_with(&format!("{event}: ")),
        "{event} with {case}: the refusal does not name the event: {message}"
    );
    let lower = message.to_lowercase();
    for word in PARSER_WORDS {
        assert!(
            !lower.contains(word),
            "{event} with {case}: {message:?} speaks the parser's words ({word:?})"
        );
    }
}

/// A socket logged in as ann, joined, with the board of `r` open.
async fn ready(app: &TestApp, token: &str) -> Sock {
    let s = app.chat_as(token).await;
    assert_eq!(
        s.request("join", json!({"username": "ann"})).await["status"],
        "ok"
    );
    let joined = s.request("join-room", json!({"room": "r"})).await;
    assert_eq!(joined["status"], "ok", "{joined}");
    let ack = s.request("board-join", json!({"room": "r"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    s
}

#[tokio::test]
async fn malformed_payloads_are_refused_in_the_protocols_words() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let token = ann["token"].as_str().unwrap().to_owned();
    app.register("bob").await;
    let shape = json!({"id": "s1", "tool": "pen", "color": "#112233", "width": 2,
                       "points": [[1, 2], [3, 4]]});
    let events: Vec<(&str, Value, &[&str])> = vec![
        ("join", json!({"username": "ann"}), &[]),
        (
            "send-message",
            json!({"message": "hi", "room": "r", "clientId": "c-1"}),
            &[],
        ),
        ("join-room", json!({"room": "r"}), &[]),
        ("leave-room", json!({"room": "zz"}), &[]),
        ("get-users", json!({}), &[]),
        (
            "history",
            json!({"room": "r", "before": 5, "limit": 10}),
            &[],
        ),
        ("history", json!({"room": "r", "after": 1}), &[]),
        // The token guard runs first, with the tutorial's own answers.
        (
            "protected-message",
            json!({"message": "hi", "token": token}),
            &["token"],
        ),
        (
            "send-dm",
            json!({"to": "bob", "message": "hi", "clientId": "c-2"}),
            &[],
        ),
        (
            "dm-history",
            json!({"with": "bob", "before": 3, "limit": 5}),
            &[],
        ),
        ("dm-history", json!({"with": "bob", "after": 0}), &[]),
        ("dm-list", json!({}), &[]),
        // Changes to ann's direct message 1 to bob (sent below): the id is
        // kept, so that every refusal is the payload's.
        (
            "edit-dm",
            json!({"with": "bob", "id": 1, "message": "hi", "clientId": "e-1"}),
            &["id"],
        ),
        (
            "react-dm",
            json!({"with": "bob", "id": 1, "emoji": "🎉", "on": true, "clientId": "r-1"}),
            &["id"],
        ),
        ("delete-dm", json!({"with": "bob", "id": 1}), &["id"]),
        ("dm-versions", json!({"with": "bob", "id": 1}), &["id"]),
        (
            "dm-changes",
            json!({"with": "bob", "after": 0, "limit": 10}),
            &[],
        ),
        ("mark-read", json!({"with": "bob", "seq": 1}), &[]),
        ("focus", json!({"room": "r", "with": "bob"}), &[]),
        ("typing", json!({"room": "r"}), &[]),
        ("typing", json!({"with": "bob"}), &[]),
        ("board-join", json!({"room": "r", "since": 0}), &[]),
        ("board-leave", json!({"room": "r"}), &[]),
        (
            "board-op",
            json!({"room": "r", "op": {"type": "add", "shape": shape}}),
            &[],
        ),
        (
            "board-op",
            json!({"room": "r", "op": {"type": "erase", "ids": ["s1"]}}),
            &[],
        ),
        (
            "board-op",
            json!({"room": "r", "op": {"type": "restore", "ids": ["s1"]}}),
            &[],
        ),
        (
            "board-draw",
            json!({"room": "r", "id": "d1", "tool": "line", "color": "#112233", "width": 2,
                   "start": 0, "points": [[1, 2], [3, 4]]}),
            &[],
        ),
        ("board-cursor", json!({"room": "r", "x": 1, "y": 2}), &[]),
    ];
    let s = ready(&app, &token).await;
    let first = s
        .request("send-dm", json!({"to": "bob", "message": "first"}))
        .await;
    assert_eq!(first["id"], 1, "{first}");
    s.disconnect().await;
    let mut checked = 0;
    for (event, base, keep) in events {
        let s = ready(&app, &token).await;
        let mut cases = malformed(&base, keep);
        for whole in [json!(null), json!("x"), json!(5), json!([base.clone()])] {
            cases.push((format!("the payload {whole}"), whole));
        }
        for (case, payload) in cases {
            // Quiet events answer a success with nothing.
            let answer = s
                .try_request(event, payload, Duration::from_millis(500))
                .await;
            if let Some(answer) = answer {
                assert_plain(event, &case, &answer);
                checked += 1;
            }
        }
        s.disconnect().await;
    }
    let notifications = Sock::connect_with(
        &app,
        "/notifications",
        TransportType::Websocket,
        None,
        Some(&token),
    )
    .await
    .expect("connects");
    let event = "subscribe-to-notifications";
    for (case, payload) in malformed(&json!({"userId": "abc"}), &[]) {
        let answer = notifications.request(event, payload).await;
        assert_plain(event, &case, &answer);
        checked += 1;
    }
    assert!(checked > 500, "only {checked} answers checked");
}

#[tokio::test]
async fn a_board_op_says_what_an_op_is() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let s = ready(&app, ann["token"].as_str().unwrap()).await;
    let cases = [
        (
            json!("add"),
            "board-op: op must be an object with a type of add, erase or restore, got a string",
        ),
        (
            json!(null),
            "board-op: op must be an object with a type of add, erase or restore, got null",
        ),
        (
            json!({"type": "paint"}),
            "board-op: op.type must be add, erase or restore, got \"paint\"",
        ),
        (
            json!({"type": 3}),
            "board-op: op.type must be add, erase or restore, got 3",
        ),
        (json!({"ids": ["a"]}), "board-op: missing field `op.type`"),
        (
            json!({"type": "add"}),
            "board-op: an op of type add needs a shape",
        ),
        (
            json!({"type": "erase"}),
            "board-op: an op of type erase needs ids, an array of shape ids",
        ),
        (
            json!({"type": "add", "shape": "circle"}),
            "board-op: op.shape must be a shape: an object with id, tool, color, width and points, got a string",
        ),
        (
            json!({"type": "add", "shape": {"id": "a", "tool": "spray", "color": "#112233",
                   "width": 2, "points": [[1, 1]]}}),
            "board-op: op.shape.tool must be pen, line, rect or ellipse, got \"spray\"",
        ),
        (
            json!({"type": "add", "shape": {"id": "a", "tool": "pen", "color": "#112233",
                   "width": "wide", "points": [[1, 1]]}}),
            "board-op: op.shape.width must be a number, got a string",
        ),
        (
            json!({"type": "add", "shape": {"id": "a", "tool": "pen", "color": "#112233",
                   "width": 2, "points": [[1, 1, 1]]}}),
            "board-op: op.shape.points[0] must be an array of 2 items, got an array of 3",
        ),
        (
            json!({"type": "add", "shape": {"id": "a", "tool": "pen", "color": "#112233",
                   "width": 2}}),
            "board-op: missing field `op.shape.points`",
        ),
        (
            json!(["add"]),
            "board-op: op must be an object with a type of add, erase or restore, got an array",
        ),
        (
            json!({"type": "erase", "ids": "a"}),
            "board-op: op.ids must be an array, got a string",
        ),
    ];
    for (op, message) in cases {
        let ack = s.request("board-op", json!({"room": "r", "op": op})).await;
        assert_eq!(ack, json!({"status": "error", "message": message}), "{op}");
    }
}
