//! Every setting is a command-line flag and an environment variable;
//! `huddle --help` documents them all.

use crate::server::metrics::{parse_token, MetricsAddr};
use crate::server::origin::PublicOrigin;
use crate::server::store::SqliteSynchronous;
use clap::Parser;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Huddle: self-hosted real-time team chat.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "huddle",
    version,
    about,
    after_help = "Logging: set RUST_LOG to a tracing filter, e.g. RUST_LOG=huddle=debug,info \
                  (default: huddle=info,tower_http=info,warn)."
)]
pub struct Config {
    /// Address to listen on. When unset, the site address given by
    /// cargo-leptos (LEPTOS_SITE_ADDR) is used, else 127.0.0.1:3000.
    #[arg(long, env = "HUDDLE_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Directory for Huddle's files (database, generated secret). Created on
    /// first run.
    #[arg(long, env = "HUDDLE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL. Default: the SQLite file huddle.db in the data
    /// directory, created on first run.
    #[arg(long, env = "HUDDLE_DATABASE_URL")]
    pub database_url: Option<String>,

    /// How SQLite makes a commit durable: "full" syncs every commit to the
    /// disk (an acked message survives a power cut); "normal" syncs at
    /// checkpoints only (faster; a power cut may lose the last commits).
    /// PostgreSQL is not affected.
    #[arg(long, env = "HUDDLE_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSynchronous::Full)]
    pub sqlite_synchronous: SqliteSynchronous,

    /// Run as one node of several: Redis (`redis://host:6379[/db]`) joins
    /// the nodes' socket.io rooms and broadcasts. Unset: one node, the
    /// in-process adapter.
    #[arg(long, env = "HUDDLE_REDIS_URL")]
    pub redis_url: Option<String>,

    /// The cluster's name in Redis (its channel and key prefix): nodes
    /// with the same name are one server; clusters that share a Redis need
    /// different names.
    #[arg(long, env = "HUDDLE_CLUSTER_NAME", default_value = "huddle")]
    pub cluster_name: String,

    /// Accept logged-in users only: a socket without a valid token is
    /// refused (set to 1 or true).
    #[arg(long, env = "HUDDLE_REQUIRE_LOGIN", action = clap::ArgAction::Set,
          value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    pub require_login: bool,

    /// How long a login lasts, in hours.
    #[arg(long, env = "HUDDLE_SESSION_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub session_hours: u64,

    /// Secret that signs and verifies login tokens (HS256). When unset, a
    /// random secret is generated once and kept in <data dir>/jwt-secret.
    /// At least 32 bytes.
    #[arg(long, env = "HUDDLE_JWT_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,

    /// Comma-separated list of other origins (scheme://host[:port]) whose
    /// pages may open socket.io connections, e.g.
    /// https://chat.example.com,http://localhost:8080. The server's own
    /// origin (HUDDLE_PUBLIC_URL) is always allowed; every other browser
    /// origin is refused.
    #[arg(long, env = "HUDDLE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// The address users open in their browser (scheme://host[:port], e.g.
    /// https://chat.example.org): pages from this origin may connect.
    /// Default: the listen address (http://<HUDDLE_ADDR>).
    #[arg(long, env = "HUDDLE_PUBLIC_URL")]
    pub public_url: Option<PublicOrigin>,

    /// Directory holding the built site (the WASM client, CSS, public
    /// assets). Defaults to LEPTOS_SITE_ROOT, else the target/site directory
    /// of the checkout the binary was built in.
    #[arg(long, env = "HUDDLE_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// Log format: "text" for people, "json" for log collectors.
    #[arg(long, env = "HUDDLE_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Seconds between Engine.IO heartbeats; a client has as long again to
    /// answer. A client that stops reading is disconnected at its next
    /// heartbeat once its outbound queue is full, and within two
    /// heartbeats in any case.
    #[arg(long, env = "HUDDLE_HEARTBEAT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub heartbeat_secs: u64,

    /// Seconds between each node's looks in the database for login
    /// sessions revoked meanwhile, whose sockets it then ends: the most a
    /// logout that could not reach this node (Redis down) leaves them
    /// connected.
    #[arg(long, env = "HUDDLE_SESSION_RECHECK_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub session_recheck_secs: u64,

    /// The most arenas glibc's allocator keeps (0: its default, 8 per
    /// core): fewer arenas, less freed memory kept in them.
    #[arg(long, env = "HUDDLE_MALLOC_ARENAS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=256))]
    pub malloc_arenas: u32,

    /// Seconds between two calls of glibc's malloc_trim, which gives the
    /// allocator's free pages back to the system (0: never).
    #[arg(long, env = "HUDDLE_MALLOC_TRIM_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub malloc_trim_secs: u64,

    /// Where GET /metrics is served, on a listener of its own: an address
    /// (default 127.0.0.1:9464, this machine only), or "off".
    #[arg(long, env = "HUDDLE_METRICS_ADDR", default_value_t = MetricsAddr::DEFAULT)]
    pub metrics_addr: MetricsAddr,

    /// A bearer token that also serves GET /metrics on the main listener
    /// (Authorization: Bearer <token>), for a scraper that only reaches
    /// that one. At least 16 bytes. Unset: the main listener has no
    /// /metrics.
    #[arg(long, env = "HUDDLE_METRICS_TOKEN", hide_env_values = true, value_parser = parse_token)]
    pub metrics_token: Option<SecretString>,

    /// Rate and connection limits.
    #[command(flatten)]
    pub limits: crate::server::limits::LimitsConfig,

    /// What boards may store.
    #[command(flatten)]
    pub boards: crate::server::store::BoardLimits,

    /// A command to run on the configured database instead of serving
    /// (`huddle admin grant <name>`); none: serve.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `huddle` does besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Server administration on the configured database
    /// (HUDDLE_DATABASE_URL, HUDDLE_DATA_DIR), with the server running or
    /// not.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `huddle admin ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AdminCommand {
    /// Makes the account <name> (any case) a server admin: it sees every
    /// room and has an owner's powers in each.
    Grant {
        /// The account's name.
        name: String,
    },
}

fn parse_secret(s: &str) -> Result<SecretString, String> {
    if s.len() < 32 {
        return Err("the JWT secret must be at least 32 bytes long".into());
    }
    Ok(SecretString::from(s.to_owned()))
}

impl Config {
    /// The database URL, defaulting to `<data dir>/huddle.db`.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("huddle.db").display()))
    }

    /// A configuration for tests: random ports on loopback (the server's
    /// and the metrics'), the given data directory, no other origins.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            data_dir,
            database_url: None,
            sqlite_synchronous: SqliteSynchronous::Full,
            redis_url: None,
            cluster_name: "huddle".into(),
            require_login: false,
            session_hours: 168,
            jwt_secret: None,
            allowed_origins: Vec::new(),
            public_url: None,
            site_root: None,
            log_format: "text".into(),
            heartbeat_secs: 15,
            session_recheck_secs: 1,
            malloc_arenas: 2,
            malloc_trim_secs: 10,
            // Tests run many servers at once: a free port each.
            metrics_addr: MetricsAddr::At(SocketAddr::from(([127, 0, 0, 1], 0))),
            metrics_token: None,
            limits: crate::server::limits::LimitsConfig::for_tests(),
            boards: crate::server::store::BoardLimits::DEFAULT,
            command: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Config::command().debug_assert();
    }

    #[test]
    fn admin_grant_is_a_command() {
        let c = Config::try_parse_from(["huddle", "--data-dir", "/d", "admin", "grant", "ann"])
            .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/d"));
        match c.command {
            Some(Command::Admin(AdminCommand::Grant { name })) => assert_eq!(name, "ann"),
            other => panic!("{other:?}"),
        }
        assert!(Config::try_parse_from(["huddle", "admin", "grant"]).is_err());
        assert!(Config::try_parse_from(["huddle"])
            .unwrap()
            .command
            .is_none());
    }

    #[test]
    fn origins_are_comma_separated() {
        let c = Config::try_parse_from([
            "huddle",
            "--allowed-origins",
            "http://a.test,https://b.test:8443",
        ])
        .unwrap();
        assert_eq!(c.allowed_origins, ["http://a.test", "https://b.test:8443"]);
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url(), "sqlite://./data/huddle.db");
        assert!(!c.require_login);
    }

    #[test]
    fn require_login_takes_one_or_true() {
        for v in ["1", "true", "yes"] {
            let c = Config::try_parse_from(["huddle", "--require-login", v]).unwrap();
            assert!(c.require_login, "{v}");
        }
        let c = Config::try_parse_from(["huddle", "--require-login", "0"]).unwrap();
        assert!(!c.require_login);
    }

    #[test]
    fn the_public_url_is_an_origin() {
        let c = Config::try_parse_from(["huddle", "--public-url", "https://Chat.Example.org/"])
            .unwrap();
        assert_eq!(
            c.public_url.map(|p| p.to_string()),
            Some("https://chat.example.org".to_owned())
        );
        let err = Config::try_parse_from(["huddle", "--public-url", "chat.example.org"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("scheme://host[:port]"), "{err}");
    }

    #[test]
    fn metrics_default_to_loopback_and_may_be_off() {
        use crate::server::metrics::MetricsAddr;
        let c = Config::try_parse_from(["huddle"]).unwrap();
        assert_eq!(c.metrics_addr, MetricsAddr::DEFAULT);
        assert!(c.metrics_token.is_none());
        let c = Config::try_parse_from(["huddle", "--metrics-addr", "off"]).unwrap();
        assert_eq!(c.metrics_addr, MetricsAddr::Off);
        let err = Config::try_parse_from(["huddle", "--metrics-token", "short"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 16 bytes"), "{err}");
        // The token never shows in the configuration's debug output (logs).
        let c = Config::try_parse_from(["huddle", "--metrics-token", "a-secret-scraper-token"])
            .unwrap();
        assert!(!format!("{c:?}").contains("a-secret-scraper-token"));
    }

    #[test]
    fn sqlite_is_full_unless_told_normal() {
        let c = Config::try_parse_from(["huddle"]).unwrap();
        assert_eq!(c.sqlite_synchronous, SqliteSynchronous::Full);
        let c = Config::try_parse_from(["huddle", "--sqlite-synchronous", "normal"]).unwrap();
        assert_eq!(c.sqlite_synchronous, SqliteSynchronous::Normal);
        assert!(Config::try_parse_from(["huddle", "--sqlite-synchronous", "off"]).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        let err = Config::try_parse_from(["huddle", "--jwt-secret", "short"]).unwrap_err();
        assert!(err.to_string().contains("at least 32 bytes"));
    }
}
