//! Huddle's patch: the sessions' heartbeats are driven by one task per
//! engine (`src/heartbeat.rs`), where each session had a task of its own.

use std::{collections::HashMap, sync::Arc, time::Duration};

use bytes::Bytes;
use engineioxide::{
    Str,
    config::EngineIoConfig,
    handler::EngineIoHandler,
    service::EngineIoService,
    socket::{DisconnectReason, Socket},
};
use tokio::sync::mpsc;

mod fixture;
use fixture::{create_polling_connection, send_req, send_req_raw};

#[derive(Debug)]
struct MyHandler {
    disconnect_tx: mpsc::UnboundedSender<(String, DisconnectReason)>,
}

impl EngineIoHandler for MyHandler {
    type Data = ();
    fn on_connect(self: Arc<Self>, _: Arc<Socket<()>>) {}
    fn on_disconnect(&self, socket: Arc<Socket<()>>, reason: DisconnectReason) {
        self.disconnect_tx
            .send((socket.id.to_string(), reason))
            .unwrap();
    }
    fn on_message(self: &Arc<Self>, _: Str, _: Arc<Socket<()>>) {}
    fn on_binary(self: &Arc<Self>, _: Bytes, _: Arc<Socket<()>>) {}
}

fn create_server(
    interval: Duration,
    timeout: Duration,
) -> (
    EngineIoService<MyHandler>,
    mpsc::UnboundedReceiver<(String, DisconnectReason)>,
) {
    let (disconnect_tx, disconnect_rx) = mpsc::unbounded_channel();
    let config = EngineIoConfig::builder()
        .ping_interval(interval)
        .ping_timeout(timeout)
        .build();
    let svc = EngineIoService::with_config(Arc::new(MyHandler { disconnect_tx }), config);
    (svc, disconnect_rx)
}

/// Polling sessions run no task of their own between requests: twenty of
/// them add at most the engine's one heartbeat task (engineioxide spawned
/// one per session).
#[tokio::test]
async fn polling_sessions_share_one_heartbeat_task() {
    let (mut svc, _disconnect_rx) = create_server(Duration::from_secs(60), Duration::from_secs(60));
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    for _ in 0..20 {
        create_polling_connection(&mut svc).await;
    }
    let added = metrics.num_alive_tasks() - before;
    assert!(added <= 1, "{added} tasks for 20 sessions");
}

/// Of several sessions sharing the task, those that answer their pings
/// stay, each of the others is closed for its heartbeat.
#[tokio::test]
async fn only_the_sessions_that_do_not_answer_are_closed() {
    let (mut svc, mut disconnect_rx) =
        create_server(Duration::from_millis(50), Duration::from_millis(50));
    let mut answering = Vec::new();
    let mut silent = Vec::new();
    for i in 0..6 {
        let sid = create_polling_connection(&mut svc).await;
        if i % 2 == 0 {
            let mut svc = svc.clone();
            let polled = sid.clone();
            tokio::spawn(async move {
                let sid = polled;
                loop {
                    let params = format!("transport=polling&sid={sid}");
                    let got = send_req_raw(&mut svc, params, http::Method::GET, None).await;
                    if !got.split('\x1e').all(|p| p == "2") {
                        break; // not a ping: the session is closed
                    }
                    let params = format!("transport=polling&sid={sid}");
                    send_req(&mut svc, params, http::Method::POST, Some("3".into())).await;
                }
            });
            answering.push(sid);
        } else {
            silent.push(sid);
        }
    }

    // Ten intervals: every silent session is closed after its first ping.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut closed = HashMap::new();
    while let Ok((sid, reason)) = disconnect_rx.try_recv() {
        closed.insert(sid, reason);
    }
    for sid in &silent {
        assert_eq!(
            closed.get(sid),
            Some(&DisconnectReason::HeartbeatTimeout),
            "{sid}"
        );
    }
    for sid in &answering {
        assert_eq!(closed.get(sid), None, "{sid}");
    }
}
