//! The per-message hot paths, with criterion:
//!
//!     cargo bench -p huddle-bench --bench hot_paths
//!
//! - validating a `send-message` payload into its typed struct;
//! - encoding a `new-message` event as the server sends it, and decoding it
//!   as the browser client does (Engine.IO + socket.io framing, then the
//!   typed payload).

use criterion::{criterion_group, criterion_main, Criterion};
use huddle::client::codec::{decode_engine, engine_message, EngineIn, Packet};
use huddle::protocol::chat::{NewMessage, SendMessage, Timestamp, NAMESPACE};
use huddle::protocol::{parse_payload, MessageText, RoomName, ServerEvent, Username};
use serde_json::json;
use std::hint::black_box;

fn validation(c: &mut Criterion) {
    let payload = json!({
        "message": "Shall we move the design review to Thursday afternoon?",
        "room": "design",
        "clientId": "5b0c6a52-9c1e-4f7a-8d2b-3e4f5a6b7c8d"
    });
    c.bench_function("validate send-message", |b| {
        b.iter(|| parse_payload::<SendMessage>(Some(black_box(payload.clone()))))
    });
}

fn message() -> NewMessage {
    NewMessage {
        username: Username::parse("ann").unwrap_or_else(|_| unreachable!()),
        message: MessageText::parse("Shall we move the design review to Thursday afternoon?")
            .unwrap_or_else(|_| unreachable!()),
        timestamp: Timestamp("2026-11-25T19:08:57.123Z".into()),
        room: RoomName::parse("design").unwrap_or_else(|_| unreachable!()),
        id: 123_456,
        seq: 7_890,
        client_id: None,
        deleted: false,
        edited: None,
        reactions: Vec::new(),
        change: 0,
        thread: None,
        in_room: false,
        replies: None,
    }
}

fn encode_decode(c: &mut Criterion) {
    let m = message();
    c.bench_function("encode new-message frame", |b| {
        b.iter(|| {
            let data = json!([NewMessage::NAME, black_box(&m)]);
            engine_message(&Packet::Event {
                nsp: NAMESPACE.into(),
                id: None,
                data,
            })
        })
    });
    let frame = engine_message(&Packet::Event {
        nsp: NAMESPACE.into(),
        id: None,
        data: json!([NewMessage::NAME, &m]),
    });
    c.bench_function("decode new-message frame", |b| {
        b.iter(|| {
            let Ok(EngineIn::Message(text)) = decode_engine(black_box(&frame)) else {
                return None;
            };
            let Ok(Packet::Event { data, .. }) = Packet::decode(text) else {
                return None;
            };
            let arg = data.get(1)?.clone();
            serde_json::from_value::<NewMessage>(arg).ok()
        })
    });
}

criterion_group!(benches, validation, encode_decode);
criterion_main!(benches);
