//! `spawn_app` starts Huddle as `main` does, on port 0 with a fresh data
//! directory; `Sock` (sock.rs) is a socket.io client that records what it
//! receives; `Process` (process.rs) is the `huddle` binary as a process of
//! its own.

mod process;
pub mod raw;
mod sock;

pub use process::{metric_value, Process};
pub use sock::{joined_as_guest, joined_at, joined_with, users, whole_history, Sock};

use huddle::server::{telemetry, AppState, Application, Config};
pub use rust_socketio::TransportType;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Once;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long a test watches for something that must not happen.
pub const QUIET: Duration = Duration::from_millis(300);

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served (a port of its own).
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

static TRACING: Once = Once::new();

/// An ack that must be `status: ok`, handed back to read it further.
pub fn ok(ack: Value) -> Value {
    assert_eq!(ack["status"], "ok", "{ack}");
    ack
}

/// An ack that must be an error: its message.
pub fn refused(ack: &Value) -> &str {
    assert_eq!(ack["status"], "error", "{ack}");
    ack["message"].as_str().unwrap_or("")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temp dir"), configure).await
}

/// Starts a server on `data_dir` (a second server on the same directory
/// sees the same database: a restart).
pub async fn spawn_app_in(
    data_dir: tempfile::TempDir,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            telemetry::init("text");
        }
    });
    let mut config = Config::for_tests(data_dir.path().to_path_buf());
    configure(&mut config);
    let app = Application::build(config).await.expect("the app builds");
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        metrics_addr,
        state,
        data_dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// Stops the server (its sockets are closed) and hands back its data
    /// directory, to start another server on it.
    pub async fn stop(mut self) -> tempfile::TempDir {
        // The graceful path: `server-restarting` to every socket, sockets
        // closed, queued messages stored, database closed.
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let stopped = tokio::time::timeout(2 * WAIT, server).await;
            assert!(
                stopped.is_ok(),
                "the server did not stop within {:?}",
                2 * WAIT
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.data_dir, dir)
    }

    /// A new account `name`, logged in on a joined `/chat` socket, and its
    /// token.
    pub async fn account_with_token(&self, name: &str) -> (Sock, String) {
        let session = self.register(name).await;
        let token = session["token"].as_str().expect("a token").to_owned();
        (joined_with(&self.url(), name, Some(&token)).await, token)
    }

    /// A new account `name`, logged in on a joined `/chat` socket.
    pub async fn account(&self, name: &str) -> Sock {
        self.account_with_token(name).await.0
    }

    /// Registers `name` with a valid password and returns the session JSON.
    pub async fn register(&self, name: &str) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/api/register", self.url()))
            .json(&json!({"username": name, "password": "correct horse battery"}))
            .send()
            .await
            .expect("register");
        assert_eq!(response.status(), 201);
        response.json().await.expect("session json")
    }

    /// A `/chat` client logged in with `token`.
    pub async fn chat_as(&self, token: &str) -> Sock {
        Sock::connect_with(self, "/chat", TransportType::Websocket, None, Some(token))
            .await
            .expect("connects")
    }

    /// A `/notifications` client logged in with `token`: it gets the
    /// account's own alerts (DMs, mentions, thread replies).
    pub async fn alerts_as(&self, token: &str) -> Sock {
        Sock::connect_with(
            self,
            "/notifications",
            TransportType::Websocket,
            None,
            Some(token),
        )
        .await
        .expect("connects")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A `/chat` client over WebSocket.
    pub async fn chat(&self) -> Sock {
        Sock::connect(self, "/chat", TransportType::Websocket).await
    }

    /// A `/chat` client that has joined as `name` (its `user-joined` echo
    /// consumed).
    pub async fn joined(&self, name: &str) -> Sock {
        let mut s = self.chat().await;
        let ack = s.request("join", json!({ "username": name })).await;
        assert_eq!(ack["status"], "ok", "{ack}");
        s.next("user-joined").await;
        s
    }

    /// The login token of a new account (named `voucher<n>`).
    pub async fn token(&self) -> String {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.register(&format!("voucher{n}")).await["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }
}

/// Waits (up to [`WAIT`]) for `done`.
pub async fn wait_for(done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
