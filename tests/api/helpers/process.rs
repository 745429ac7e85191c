//! `Process`: the `huddle` binary run as a process of its own.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `huddle` binary as a process of its own, on a free port with a
/// fresh data directory; killed when dropped. `TEST_SERVER_LOG=<file>`
/// (and `TEST_SERVER_LOG_LEVEL=<filter>`) keep its log.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    /// Where the process serves `/metrics` (`HUDDLE_METRICS_ADDR`).
    pub metrics_addr: SocketAddr,
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
        let addr = free_addr();
        let metrics_addr = free_addr();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let child = Self::spawn(addr, metrics_addr, data.path(), &env);
        let server = Process {
            child,
            addr,
            metrics_addr,
            env,
            data,
        };
        server.wait_listening().await;
        server
    }

    fn spawn(
        addr: SocketAddr,
        metrics_addr: SocketAddr,
        data: &std::path::Path,
        env: &[(String, String)],
    ) -> Child {
        Command::new(env!("CARGO_BIN_EXE_huddle"))
            .env("HUDDLE_ADDR", addr.to_string())
            .env("HUDDLE_METRICS_ADDR", metrics_addr.to_string())
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
        self.child = Self::spawn(self.addr, self.metrics_addr, self.data.path(), &self.env);
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

    /// The process's `/metrics`, on its metrics listener.
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.metrics_addr)
    }

    /// The process's data directory (its SQLite database is `huddle.db`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// The value of one series of the process's own `/metrics` (0 when it
    /// is not there yet): unlike in-process servers, which share the test
    /// process's recorder, a process counts only its own traffic.
    pub async fn metric(&self, series: &str) -> f64 {
        let body = reqwest::get(self.metrics_url())
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

/// A free port on loopback (free when asked: the process binds it next).
fn free_addr() -> SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The value of `series` (its name and labels, as printed) in a Prometheus
/// text body.
pub fn metric_value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}
