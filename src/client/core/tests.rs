//! The client core's unit tests: a fake clock, frames in, outputs out.

use super::*;
use serde_json::json;

const OPEN: &str =
    r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}"#;

fn core() -> ClientCore {
    ClientCore::new(CoreConfig::new(&["/chat"]), Box::new(|| 0.5))
}

fn connected() -> ClientCore {
    let mut c = core();
    assert_eq!(c.start(0.0), vec![Output::Open]);
    assert_eq!(c.received(1.0, OPEN), vec![Output::Send("40/chat,".into())]);
    let out = c.received(2.0, r#"40/chat,{"sid":"x"}"#);
    assert_eq!(out, vec![Output::State(ConnectionState::Connected)]);
    c
}

fn sends(out: &[Output]) -> Vec<&str> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn answers_pings() {
    let mut c = connected();
    assert_eq!(c.received(10.0, "2"), vec![Output::Send("3".into())]);
}

#[test]
fn emits_with_ack_and_resolves_the_right_one() {
    let mut c = connected();
    let (mut rx0, out0) = c.emit_with_ack(3.0, "/chat", "join", json!({"username": "ann"}), 5000);
    let (mut rx1, out1) = c.emit_with_ack(3.0, "/chat", "get-users", json!({}), 5000);
    assert_eq!(sends(&out0), [r#"42/chat,0["join",{"username":"ann"}]"#]);
    assert_eq!(sends(&out1), [r#"42/chat,1["get-users",{}]"#]);
    c.received(4.0, r#"43/chat,1[{"status":"ok","users":[]}]"#);
    assert_eq!(
        rx1.try_recv().unwrap(),
        Some(Ok(json!({"status": "ok", "users": []})))
    );
    assert_eq!(rx0.try_recv().unwrap(), None);
}

#[test]
fn acks_time_out() {
    let mut c = connected();
    let (mut rx, _) = c.emit_with_ack(0.0, "/chat", "join", json!({}), 1000);
    c.tick(999.0);
    assert_eq!(rx.try_recv().unwrap(), None);
    c.tick(1000.0);
    assert_eq!(rx.try_recv().unwrap(), Some(Err(AckError::Timeout)));
    // A late ack is ignored.
    assert!(c.received(1100.0, r#"43/chat,0[{}]"#).is_empty());
}

#[test]
fn delivers_events_and_acks_server_requests() {
    let mut c = connected();
    let out = c.received(5.0, r#"42/chat,["new-message",{"message":"hi"}]"#);
    assert_eq!(
        out,
        vec![Output::Event {
            nsp: "/chat".into(),
            name: "new-message".into(),
            arg: json!({"message": "hi"})
        }]
    );
    let out = c.received(5.0, r#"42/chat,9["ping-me"]"#);
    assert_eq!(sends(&out), ["43/chat,9[]"]);
}

#[test]
fn queues_while_disconnected_and_flushes_in_order() {
    let mut c = core();
    c.start(0.0);
    assert!(c
        .emit("/chat", "send-message", json!({"message": "1"}))
        .is_empty());
    let (_rx, out) = c.emit_with_ack(
        0.0,
        "/chat",
        "send-message",
        json!({"message": "2"}),
        60_000,
    );
    assert!(out.is_empty());
    c.received(1.0, OPEN);
    let out = c.received(2.0, "40/chat,");
    assert_eq!(
        sends(&out),
        [
            r#"42/chat,["send-message",{"message":"1"}]"#,
            r#"42/chat,0["send-message",{"message":"2"}]"#
        ]
    );
}

#[test]
fn the_session_setup_goes_before_the_queue() {
    let mut c = connected();
    c.set_session_setup(Box::new(|nsp| {
        assert_eq!(nsp, "/chat");
        vec![("join".into(), json!({"username": "ann"}))]
    }));
    c.closed(10.0);
    c.emit("/chat", "send-message", json!({"message": "queued"}));
    c.tick(1000.0);
    c.received(1001.0, OPEN);
    let out = c.received(1002.0, "40/chat,");
    assert_eq!(
        sends(&out),
        [
            r#"42/chat,["join",{"username":"ann"}]"#,
            r#"42/chat,["send-message",{"message":"queued"}]"#
        ]
    );
}

#[test]
fn restart_reconnects_with_the_new_auth() {
    let mut c = connected();
    let (mut rx, _) = c.emit_with_ack(10.0, "/chat", "join", json!({}), 60_000);
    c.set_auth(Some(json!({"token": "t"})));
    let out = c.restart(20.0);
    assert_eq!(
        out,
        vec![
            Output::Close,
            Output::State(ConnectionState::Connecting),
            Output::Open
        ]
    );
    assert_eq!(rx.try_recv().unwrap(), Some(Err(AckError::Disconnected)));
    assert_eq!(
        c.received(21.0, OPEN),
        vec![Output::Send(r#"40/chat,{"token":"t"}"#.into())]
    );
}

#[test]
fn going_offline_and_online_reconnects_at_once() {
    let mut c = connected();
    let out = c.offline(100.0);
    assert_eq!(out[0], Output::Close);
    assert!(matches!(
        out[1],
        Output::State(ConnectionState::Reconnecting { .. })
    ));
    assert!(c.offline(101.0).is_empty());
    assert_eq!(c.online(102.0), vec![Output::Open]);
    assert!(c.online(103.0).is_empty());
}

#[test]
fn a_queued_send_that_timed_out_is_never_sent() {
    let mut c = core();
    c.start(0.0);
    let (mut rx, _) = c.emit_with_ack(0.0, "/chat", "send-message", json!({}), 100);
    c.tick(200.0);
    assert_eq!(rx.try_recv().unwrap(), Some(Err(AckError::Timeout)));
    c.received(300.0, OPEN);
    let out = c.received(301.0, "40/chat,");
    assert!(sends(&out).is_empty());
}

#[test]
fn reconnects_with_growing_jittered_delays() {
    let mut c = connected();
    let (mut rx, _) = c.emit_with_ack(10.0, "/chat", "join", json!({}), 60_000);
    let out = c.closed(100.0);
    // base 500 ms, attempt 1, random 0.5: 250 + 125.
    assert_eq!(
        out,
        vec![Output::State(ConnectionState::Reconnecting {
            attempt: 1,
            retry_in_ms: 375
        })]
    );
    assert_eq!(rx.try_recv().unwrap(), Some(Err(AckError::Disconnected)));
    assert!(c.tick(474.0).is_empty());
    assert_eq!(c.tick(475.0), vec![Output::Open]);
    // The attempt fails too: the delay doubles.
    let out = c.closed(500.0);
    assert_eq!(
        out,
        vec![Output::State(ConnectionState::Reconnecting {
            attempt: 2,
            retry_in_ms: 750
        })]
    );
    assert_eq!(c.tick(1250.0), vec![Output::Open]);
    c.received(1300.0, OPEN);
    let out = c.received(1301.0, "40/chat,");
    assert_eq!(out, vec![Output::State(ConnectionState::Connected)]);
    // Success resets the backoff.
    let out = c.closed(2000.0);
    assert_eq!(
        out,
        vec![Output::State(ConnectionState::Reconnecting {
            attempt: 1,
            retry_in_ms: 375
        })]
    );
}

#[test]
fn a_silent_server_is_dead() {
    let mut c = connected();
    assert!(c.tick(45_002.0).is_empty());
    let out = c.tick(45_003.0);
    assert_eq!(out[0], Output::Close);
    assert!(matches!(
        out[1],
        Output::State(ConnectionState::Reconnecting { attempt: 1, .. })
    ));
}

#[test]
fn a_handshake_that_never_comes_is_retried() {
    let mut c = core();
    c.start(0.0);
    let out = c.tick(10_000.0);
    assert_eq!(out[0], Output::Close);
    assert!(matches!(
        out[1],
        Output::State(ConnectionState::Reconnecting { .. })
    ));
}

#[test]
fn connect_errors_are_reported() {
    let mut c = core();
    c.start(0.0);
    c.received(1.0, OPEN);
    let out = c.received(2.0, r#"44/chat,{"message":"Invalid namespace"}"#);
    assert_eq!(
        out[0],
        Output::ConnectError {
            nsp: "/chat".into(),
            message: "Invalid namespace".into()
        }
    );
    assert_eq!(out[1], Output::Close);
}

#[test]
fn backoff_is_bounded_and_jittered() {
    let b = Backoff::default();
    assert_eq!(b.delay_ms(1, 0.0), 250);
    assert_eq!(b.delay_ms(1, 0.999_999), 499);
    assert_eq!(b.delay_ms(3, 0.0), 1000);
    assert_eq!(b.delay_ms(100, 1.0), 15_000);
    assert_eq!(b.delay_ms(100, 0.0), 7_500);
}

#[test]
fn the_queue_is_bounded() {
    let mut cfg = CoreConfig::new(&["/chat"]);
    cfg.max_queue = 1;
    let mut c = ClientCore::new(cfg, Box::new(|| 0.0));
    c.start(0.0);
    let (_a, _) = c.emit_with_ack(0.0, "/chat", "x", json!({}), 1000);
    let (mut b, _) = c.emit_with_ack(0.0, "/chat", "x", json!({}), 1000);
    assert_eq!(b.try_recv().unwrap(), Some(Err(AckError::QueueFull)));
}
