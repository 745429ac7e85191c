//! `spawn_app` starts Huddle as `main` does, on port 0 with a fresh data
//! directory; `Sock` is a socket.io client that records what it receives.

use futures_util::FutureExt;
use huddle::server::{telemetry, AppState, Application, Config};
use rust_socketio::asynchronous::{Client, ClientBuilder};
pub use rust_socketio::TransportType;
use rust_socketio::{Event, Payload};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long a test watches for something that must not happen.
pub const QUIET: Duration = Duration::from_millis(300);

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

static TRACING: Once = Once::new();

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
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
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

    /// A token signed with the server's secret, valid for `ttl`.
    pub fn token(&self, ttl: Duration) -> String {
        self.state.tokens.issue("42", ttl).expect("token")
    }
}

/// One socket.io client on one namespace.
pub struct Sock {
    pub client: Client,
    events: mpsc::UnboundedReceiver<(String, Value)>,
}

fn first_arg(payload: Payload) -> Value {
    match payload {
        Payload::Text(mut args) if !args.is_empty() => args.swap_remove(0),
        _ => Value::Null,
    }
}

/// rust_socketio hands an ack over as one value: the ack's argument array.
fn ack_arg(payload: Payload) -> Value {
    match first_arg(payload) {
        Value::Array(mut args) if !args.is_empty() => args.swap_remove(0),
        other => other,
    }
}

impl Sock {
    pub async fn connect(app: &TestApp, nsp: &str, transport: TransportType) -> Sock {
        Self::try_connect(app, nsp, transport, None)
            .await
            .expect("connects")
    }

    pub async fn try_connect(
        app: &TestApp,
        nsp: &str,
        transport: TransportType,
        origin: Option<&str>,
    ) -> Result<Sock, String> {
        Self::connect_with(app, nsp, transport, origin, None).await
    }

    pub async fn connect_with(
        app: &TestApp,
        nsp: &str,
        transport: TransportType,
        origin: Option<&str>,
        token: Option<&str>,
    ) -> Result<Sock, String> {
        Self::connect_url(&app.url(), nsp, transport, origin, token).await
    }

    /// A client of the server at `url` (e.g. a [`Process`]).
    pub async fn connect_url(
        url: &str,
        nsp: &str,
        transport: TransportType,
        origin: Option<&str>,
        token: Option<&str>,
    ) -> Result<Sock, String> {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        Self::connect_with_headers(url, nsp, transport, &headers, token).await
    }

    /// A client whose handshake requests carry `headers` (an `Origin`, a
    /// proxy's `X-Forwarded-For`).
    pub async fn connect_with_headers(
        url: &str,
        nsp: &str,
        transport: TransportType,
        headers: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<Sock, String> {
        let (tx, events) = mpsc::unbounded_channel();
        // Resolved by the namespace's connect, or by its connect_error.
        let (connected_tx, connected_rx) = oneshot::channel::<Result<(), String>>();
        let connected_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(connected_tx)));
        let on_error = connected_tx.clone();
        let mut builder = ClientBuilder::new(url)
            .namespace(nsp)
            .transport_type(transport)
            .reconnect(false)
            .on(Event::Connect, move |_, _| {
                if let Some(tx) = connected_tx.lock().unwrap().take() {
                    let _ = tx.send(Ok(()));
                }
                async {}.boxed()
            })
            .on(Event::Error, move |payload, _| {
                if let Some(tx) = on_error.lock().unwrap().take() {
                    let _ = tx.send(Err(format!("{:?}", first_arg(payload))));
                }
                async {}.boxed()
            })
            .on_any(move |event, payload, _| {
                let _ = tx.send((event.to_string(), first_arg(payload)));
                async {}.boxed()
            });
        for (name, value) in headers {
            builder = builder.opening_header(*name, *value);
        }
        if let Some(token) = token {
            builder = builder.auth(json!({ "token": token }));
        }
        let client = builder.connect().await.map_err(connect_error)?;
        match tokio::time::timeout(WAIT, connected_rx).await {
            Ok(Ok(Ok(()))) => Ok(Sock { client, events }),
            Ok(Ok(Err(e))) => Err(e),
            _ => Err("the namespace connection was not confirmed".into()),
        }
    }

    /// Emits without an ack callback.
    pub async fn emit(&self, event: &str, payload: Value) {
        self.client
            .emit(event, Payload::Text(vec![payload]))
            .await
            .expect("emit");
    }

    /// Emits an event with no argument at all.
    pub async fn emit_bare(&self, event: &str) {
        self.client
            .emit(event, Payload::Text(vec![]))
            .await
            .expect("emit");
    }

    /// Emits with an ack callback and returns the ack's first argument.
    pub async fn request(&self, event: &str, payload: Value) -> Value {
        self.request_args(event, vec![payload]).await
    }

    pub async fn request_args(&self, event: &str, args: Vec<Value>) -> Value {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(event, Payload::Text(args), WAIT, move |payload, _| {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(ack_arg(payload));
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        tokio::time::timeout(WAIT, rx)
            .await
            .unwrap_or_else(|_| panic!("no ack for {event}"))
            .expect("ack")
    }

    /// Emits with an ack callback; `None` when no ack comes within `wait`
    /// (or the connection is gone).
    pub async fn try_request(&self, event: &str, payload: Value, wait: Duration) -> Option<Value> {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(
                event,
                Payload::Text(vec![payload]),
                wait,
                move |payload, _| {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(ack_arg(payload));
                    }
                    async {}.boxed()
                },
            )
            .await
            .ok()?;
        tokio::time::timeout(wait, rx).await.ok()?.ok()
    }

    /// Emits with an ack callback without waiting for the ack: the ack's
    /// first argument arrives on the receiver, which errs at once if the
    /// emit failed and otherwise waits as long as no ack comes. Beware:
    /// rust_socketio draws ack ids from 0..999 and hands an ack to every
    /// callback waiting on that id, so with many requests outstanding on
    /// one socket a receiver may get another request's ack.
    pub async fn request_later(&self, event: &str, payload: Value) -> oneshot::Receiver<Value> {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        let emitted = self
            .client
            .emit_with_ack(
                event,
                Payload::Text(vec![payload]),
                2 * WAIT,
                move |payload, _| {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(ack_arg(payload));
                    }
                    async {}.boxed()
                },
            )
            .await;
        match emitted {
            Ok(()) => rx,
            // rust_socketio keeps the callback of a failed emit: a receiver
            // whose sender is gone instead.
            Err(_) => oneshot::channel().1,
        }
    }

    /// Emits with an ack callback and checks that no ack comes.
    pub async fn request_expecting_no_ack(&self, event: &str, payload: Value) {
        let (tx, mut rx) = oneshot::channel::<()>();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(event, Payload::Text(vec![payload]), WAIT, move |_, _| {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        tokio::time::sleep(QUIET).await;
        assert!(rx.try_recv().is_err(), "{event} was acked");
    }

    /// The next `event` received, skipping others.
    pub async fn next(&mut self, event: &str) -> Value {
        self.next_within(event, WAIT).await
    }

    /// The next `event` received within `wait`, skipping others.
    pub async fn next_within(&mut self, event: &str, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return payload,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("connection closed while waiting for {event}"),
                Err(_) => panic!("no {event} within {wait:?}"),
            }
        }
    }

    /// The next `event` received, with every other event that came
    /// before it: for checks that something did not arrive before a
    /// positive control.
    pub async fn until(&mut self, event: &str) -> (Value, Vec<(String, Value)>) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut before = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return (payload, before),
                Ok(Some(other)) => before.push(other),
                Ok(None) => panic!("connection closed while waiting for {event}"),
                Err(_) => panic!("no {event} within {WAIT:?}"),
            }
        }
    }

    /// The next `event` received before `deadline`, skipping others;
    /// `None` if none has come by then.
    pub async fn next_before(
        &mut self,
        event: &str,
        deadline: tokio::time::Instant,
    ) -> Option<Value> {
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return Some(payload),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Checks that no `event` arrives for a while.
    pub async fn assert_no(&mut self, event: &str) {
        let deadline = tokio::time::Instant::now() + QUIET;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => {
                    panic!("unexpected {event}: {payload}")
                }
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// Every event received so far, by name.
    pub fn drain(&mut self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
    }
}

/// What a refused connection says: for a refused HTTP request (a
/// handshake or WebSocket upgrade), `HTTP <status>: <body>`. rust_socketio
/// displays every such error as "EngineIO Error" and keeps the response
/// only in its Debug form, with the body as a list of bytes.
fn connect_error(e: rust_socketio::Error) -> String {
    let debug = format!("{e:?}");
    let status = debug
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next());
    let body = debug
        .split("body: Some([")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .map(|bytes| {
            let bytes: Vec<u8> = bytes
                .split(", ")
                .filter_map(|b| b.trim().parse().ok())
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        });
    match (status, body) {
        (Some(status), body) => format!("HTTP {status}: {}", body.unwrap_or_default()),
        _ => debug,
    }
}

/// `get-users` as seen by `sock`.
pub async fn users(sock: &Sock) -> Vec<String> {
    let ack = sock.request("get-users", json!({})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    serde_json::from_value(ack["users"].clone()).expect("users is a list of names")
}

/// The `huddle` binary as a process of its own, on a free port with a
/// fresh data directory; killed when dropped. `TEST_SERVER_LOG=<file>`
/// (and `TEST_SERVER_LOG_LEVEL=<filter>`) keep its log.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    env: Vec<(String, String)>,
    data: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    pub async fn start(env: &[(&str, &str)]) -> Process {
        let data = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let child = Self::spawn(addr, data.path(), &env);
        let server = Process {
            child,
            addr,
            env,
            data,
        };
        server.wait_listening().await;
        server
    }

    fn spawn(addr: SocketAddr, data: &std::path::Path, env: &[(String, String)]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_huddle"))
            .env("HUDDLE_ADDR", addr.to_string())
            .env("HUDDLE_DATA_DIR", data)
            .env(
                "RUST_LOG",
                std::env::var("TEST_SERVER_LOG_LEVEL").unwrap_or_else(|_| "warn".into()),
            )
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(match std::env::var_os("TEST_SERVER_LOG") {
                Some(p) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .expect("log file"),
                ),
                None => Stdio::null(),
            })
            .spawn()
            .expect("the huddle binary starts")
    }

    async fn wait_listening(&self) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not listen on {} within 10 s", self.addr);
    }

    /// Stops the process as an orchestrator does (SIGTERM) and waits for
    /// it to exit; panics if it takes longer than `limit`.
    pub async fn terminate(&mut self, limit: Duration) {
        self.sigterm();
        self.wait_exit(limit).await;
    }

    /// Sends SIGTERM and returns at once.
    pub fn sigterm(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    }

    /// Waits for the process to exit; panics if it takes longer than `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not exit within {limit:?} of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the process again, on the same address, data and settings.
    pub async fn restart(&mut self) {
        self.kill();
        self.child = Self::spawn(self.addr, self.data.path(), &self.env);
        self.wait_listening().await;
    }

    /// Kills the process at once (SIGKILL): no graceful anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process's data directory (its SQLite database is `huddle.db`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// The value of one series of the process's own `/metrics` (0 when it
    /// is not there yet): unlike in-process servers, which share the test
    /// process's recorder, a process counts only its own traffic.
    pub async fn metric(&self, series: &str) -> f64 {
        let body = reqwest::get(format!("{}/metrics", self.url()))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("a metrics body");
        metric_value(&body, series).unwrap_or(0.0)
    }

    /// The server's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server is running");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }
}

/// The value of `series` (its name and labels, as printed) in a Prometheus
/// text body.
pub fn metric_value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// Every message of `room`, oldest first, read page by page with
/// `history {after}` as a reconnecting client does.
pub async fn whole_history(sock: &Sock, room: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = sock
            .request(
                "history",
                json!({"room": room, "after": after, "limit": 100}),
            )
            .await;
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        if let Some(last) = messages.last() {
            after = last["seq"].as_i64().expect("a seq");
        }
        all.extend(messages);
        if page["hasMore"] != true {
            return all;
        }
    }
}

/// A `/chat` socket on the server at `url` that has joined as `name`.
pub async fn joined_at(url: &str, name: &str) -> Sock {
    joined_with(url, name, None).await
}

/// A `/chat` socket, logged in with `token` if given, that has joined.
pub async fn joined_with(url: &str, name: &str, token: Option<&str>) -> Sock {
    let sock = Sock::connect_url(url, "/chat", TransportType::Websocket, None, token)
        .await
        .expect("connects");
    let ack = sock.request("join", json!({ "username": name })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}
