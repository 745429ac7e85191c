//! A room broadcast to 1,000 members through socketioxide's in-process
//! adapter, with criterion:
//!
//!     cargo bench -p huddle-bench --bench broadcast
//!
//! The members are socketioxide's in-memory test sockets (no network): one
//! iteration is one `new-message` emitted to the room, encoded once by the
//! adapter and queued to each member, plus taking it out of every member's
//! queue. Per delivery: the time divided by 1,000.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use huddle::protocol::chat::{NewMessage, Timestamp, NAMESPACE};
use huddle::protocol::{MessageText, RoomName, ServerEvent, Username};
use socketioxide::extract::SocketRef;
use socketioxide::SocketIo;
use std::time::Duration;

const MEMBERS: usize = 1000;
const ROOM: &str = "design";

fn message() -> NewMessage {
    NewMessage {
        username: Username::parse("ann").expect("a valid name"),
        message: MessageText::parse("Shall we move the design review to Thursday afternoon?")
            .expect("a valid message"),
        timestamp: Timestamp("2026-11-25T19:08:57.123Z".into()),
        room: RoomName::parse(ROOM).expect("a valid room"),
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

fn broadcast(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (_svc, io) = SocketIo::new_svc();
    io.ns(NAMESPACE, async |s: SocketRef| s.join(ROOM));
    let mut members = rt.block_on(async {
        let mut members = Vec::with_capacity(MEMBERS);
        for _ in 0..MEMBERS {
            let (tx, mut rx) = io.new_dummy_sock(NAMESPACE, ()).await;
            rx.recv().await.expect("the connect packet");
            members.push((tx, rx));
        }
        members
    });
    let chat = io.of(NAMESPACE).expect("the namespace exists");
    rt.block_on(async {
        // The connect handler (which joins the room) runs on its own task.
        for _ in 0..500 {
            if chat.clone().to(ROOM).sockets().len() == MEMBERS {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert_eq!(
        chat.clone().to(ROOM).sockets().len(),
        MEMBERS,
        "every member joined"
    );
    let m = message();
    let mut group = c.benchmark_group("broadcast");
    group.throughput(Throughput::Elements(MEMBERS as u64));
    group.bench_function("new-message to a room of 1,000 (in-process adapter)", |b| {
        b.iter(|| {
            rt.block_on(async {
                chat.clone()
                    .to(ROOM)
                    .emit(NewMessage::NAME, &m)
                    .await
                    .expect("the broadcast");
                for (_, rx) in members.iter_mut() {
                    rx.recv().await.expect("the member's packet");
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
