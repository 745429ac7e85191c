//! The HTTP application: the Leptos pages, the static site and the socket.io
//! gateway on one listener.

use super::auth::password::Hasher;
use super::auth::{load_or_create_secret, routes, TokenKeys};
use super::cluster::link::RedisLink;
use super::cluster::roster::Roster;
use super::cluster::ClusterAdapter;
use super::config::Config;
use super::emoji_list;
use super::gateway::sessions::SHUTDOWN_STEP;
use super::gateway::{self, GatewayState};
use super::health;
use super::io::Io;
use super::limits::{self, Limits};
use super::metrics::{self, MetricsAddr};
use super::origin::{self, OriginPolicy};
use super::presence::Presence;
use super::site;
use super::state::AppState;
use super::store::{Store, StoreOptions, HOUSEKEEPING_EVERY};
use crate::app::{shell, App};
use crate::protocol::account::{LOGIN_PATH, LOGOUT_PATH, REGISTER_PATH};
use crate::protocol::emoji::EMOJI_LIST_PATH;
use anyhow::Context;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use socketioxide::adapter::{Adapter, LocalAdapter};
use socketioxide::SocketIo;
use socketioxide_core::adapter::DefinedAdapter;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

/// A bound, ready-to-run Huddle server.
pub struct Application {
    listener: TcpListener,
    /// `/metrics` on an address of its own (`HUDDLE_METRICS_ADDR`).
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
    /// How long a connection may hold unsent data that its peer does not
    /// take (TCP_USER_TIMEOUT): two heartbeats.
    stall_timeout: std::time::Duration,
    /// The task that ends sockets of sessions revoked elsewhere.
    revocations: tokio::task::JoinHandle<()>,
    /// The task that reads the room changes made on other nodes.
    room_changes: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Prepares everything (data directory, secret, routes) and binds the
    /// listener. With port 0 the OS picks a free port: see [`Self::port`].
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        config.limits.check().map_err(anyhow::Error::msg)?;
        emoji_list::prepare();
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .with_context(|| {
                format!(
                    "cannot create the data directory {}: check HUDDLE_DATA_DIR and its permissions",
                    config.data_dir.display()
                )
            })?;
        let secret = load_or_create_secret(config.jwt_secret.as_ref(), &config.data_dir)
            .await
            .context("cannot read or create the JWT secret")?;
        let tokens = Arc::new(TokenKeys::new(&secret));
        let options = StoreOptions {
            sqlite_synchronous: config.sqlite_synchronous,
        };
        let store = Store::connect_with(&config.database_url(), options)
            .await
            .context("cannot open the database: check HUDDLE_DATABASE_URL and the data directory")?
            .with_board_limits(config.boards);
        store.spawn_housekeeping(HOUSEKEEPING_EVERY);
        crate::server::allocator::spawn_trimmer(std::time::Duration::from_secs(
            config.malloc_trim_secs,
        ));

        let addr = listen_addr(&config);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}: is another server using it? Set HUDDLE_ADDR to another address"))?;
        let local_addr = listener.local_addr()?;
        let metrics_listener = match config.metrics_addr {
            MetricsAddr::Off => None,
            MetricsAddr::At(addr) => Some(TcpListener::bind(addr).await.with_context(|| {
                format!(
                    "cannot listen on {addr} for metrics: is another server using it? \
                     Set HUDDLE_METRICS_ADDR to another address, or to off"
                )
            })?),
        };

        let link = match &config.redis_url {
            None => None,
            Some(url) => Some(RedisLink::connect(url).await.context(
                "cannot reach Redis: check HUDDLE_REDIS_URL (redis://host:port) and that Redis 7 or later runs there",
            )?),
        };
        let limits = Limits::new(config.limits.clone());
        limits.spawn_housekeeping();
        let gateway = GatewayState {
            presence: Arc::new(Presence::default()),
            tokens,
            store,
            require_login: config.require_login,
            limits: limits.clone(),
            cursors: Arc::default(),
            in_flight: Arc::default(),
            session_timers: Arc::default(),
            slow_mode: Arc::default(),
            public_url: config.public_url.clone(),
            roster: link
                .as_ref()
                .map(|link| Roster::start(link, &config.cluster_name)),
        };
        let heartbeat = std::time::Duration::from_secs(config.heartbeat_secs);
        let parts = Parts {
            config,
            listener,
            metrics_listener,
            local_addr,
            gateway,
            limits,
            heartbeat,
        };
        // The one place the adapter is chosen: the rest is generic over it.
        match link {
            None => Self::on_adapter::<LocalAdapter>(parts, (), None).await,
            Some(link) => {
                let adapter = socketioxide_redis::RedisAdapterCtr::new_with_driver(
                    link.clone(),
                    socketioxide_redis::RedisAdapterConfig::default()
                        .with_prefix(parts.config.cluster_name.clone()),
                );
                Self::on_adapter::<ClusterAdapter>(parts, adapter, Some(link)).await
            }
        }
    }

    /// The rest of start-up on socket.io adapter `A`: the gateway, the
    /// routes and their state.
    async fn on_adapter<A: Ready>(
        parts: Parts,
        adapter: A::State,
        redis: Option<RedisLink>,
    ) -> anyhow::Result<Self> {
        let Parts {
            config,
            listener,
            metrics_listener,
            local_addr,
            gateway,
            limits,
            heartbeat,
        } = parts;
        let (layer, io, inits) = gateway::build::<A>(gateway.clone(), heartbeat, adapter);
        A::ready(inits).await?;
        let revocations = gateway::sessions::watch_revocations(
            io.clone(),
            gateway.store.clone(),
            std::time::Duration::from_secs(config.session_recheck_secs),
        );
        let room_changes = gateway::changes::watch(io.clone(), gateway.store.clone());
        if let Some(roster) = &gateway.roster {
            announce_vanished(roster, io.clone());
        }
        let hasher = Hasher::new(config.limits.hash_threads(), config.limits.hash_queue())
            .await
            .context("cannot make the dummy password hash")?;
        let state = AppState {
            hasher: Arc::new(hasher),
            leptos_options: leptos_options(&config, local_addr),
            gateway,
            io: Io::new(io),
            redis,
            session_ttl: std::time::Duration::from_secs(config.session_hours * 3600),
            metrics: metrics::handle(),
        };

        let policy = OriginPolicy::new(
            config.public_url.as_ref(),
            local_addr,
            &config.allowed_origins,
        );
        if config.public_url.is_none() && local_addr.ip().is_unspecified() {
            tracing::warn!(
                "HUDDLE_PUBLIC_URL is not set and Huddle listens on every address ({local_addr}): \
                 only pages opened at localhost may connect; set HUDDLE_PUBLIC_URL to the \
                 address users open (e.g. https://chat.example.org)"
            );
        }
        tracing::info!(
            origins = ?policy.allowed().collect::<Vec<_>>(),
            "pages from these origins may connect"
        );
        let cors = (!config.allowed_origins.is_empty()).then(|| {
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(policy.header_values()))
                .allow_credentials(true)
                .allow_methods([http::Method::GET, http::Method::POST])
                .allow_headers([http::header::CONTENT_TYPE])
        });

        let routes = generate_route_list(App);
        let router = Router::new()
            .route(REGISTER_PATH, post(routes::register))
            .route(LOGIN_PATH, post(routes::login))
            .route(LOGOUT_PATH, post(routes::logout))
            .route(EMOJI_LIST_PATH, get(emoji_list::emoji_list))
            .route(health::HEALTH_PATH, get(health::healthz))
            .route(health::READY_PATH, get(health::readyz))
            .leptos_routes(&state, routes, {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            })
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
            .layer(axum::middleware::from_fn(site::cache_policy));
        // On the main listener only with the token: see `metrics`.
        let router = match config.metrics_token.clone() {
            None => router,
            Some(token) => {
                let handle = state.metrics.clone();
                router.route(
                    metrics::METRICS_PATH,
                    get(move |headers: http::HeaderMap| {
                        let (token, handle) = (token.clone(), handle.clone());
                        async move { metrics::behind_token(&token, handle, &headers).await }
                    }),
                )
            }
        };
        let router = router
            .layer(layer)
            .layer(axum::middleware::from_fn(gateway::own_request_head))
            .layer(axum::middleware::from_fn_with_state(
                limits,
                limits::handshake_guard,
            ))
            .layer(axum::middleware::from_fn_with_state(policy, origin::guard))
            .layer(tower::util::option_layer(cors))
            .layer(TraceLayer::new_for_http())
            .with_state(state.clone());

        Ok(Self {
            listener,
            metrics_listener,
            router,
            state,
            stall_timeout: heartbeat * 2,
            revocations,
            room_changes,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Where `/metrics` is served, unless `HUDDLE_METRICS_ADDR` is `off`.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops gracefully: stops
    /// accepting, tells every `/chat` socket `server-restarting` and
    /// disconnects all sockets, lets handlers in flight finish, stores
    /// every queued message and closes the database. Each step is bounded
    /// by [`SHUTDOWN_STEP`], so the process exits in bounded time.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Chat traffic is many small frames: send each at once instead of
        // letting Nagle's algorithm hold it back for the peer's ACK.
        //
        // A peer that stops reading (its receive window stays at zero) is
        // dropped by the kernel after `stall_timeout`. Without this, the
        // connection's writer waits forever on the full socket, and
        // engineioxide, which waits for that writer when it closes a
        // session, would never release the socket (not even after its
        // heartbeat has timed out).
        let stall_timeout = self.stall_timeout;
        let listener = self.listener.tap_io(move |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if let Err(e) = socket2::SockRef::from(&*tcp).set_tcp_user_timeout(Some(stall_timeout))
            {
                tracing::debug!("cannot set TCP_USER_TIMEOUT: {e}");
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let _ = stall_timeout;
        });
        // The metrics listener needs no graceful stop: it ends with the
        // server.
        let metrics_server = self.metrics_listener.map(|listener| {
            let router = Router::new()
                .route(metrics::METRICS_PATH, get(metrics::render))
                .with_state(self.state.metrics.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!("the metrics listener failed: {e}");
                }
            })
        });
        let io = self.state.io.clone();
        let store = self.state.gateway.store.clone();
        let revocations = self.revocations.abort_handle();
        let room_changes = self.room_changes.abort_handle();
        let in_flight = self.state.gateway.in_flight.clone();
        let drained = async move {
            shutdown.await;
            tracing::info!("shutting down: telling clients to reconnect");
            io.disconnect_everyone().await;
        };
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(drained)
        .await;
        revocations.abort();
        room_changes.abort();
        if let Some(metrics_server) = metrics_server {
            metrics_server.abort();
        }
        // Handlers still running (a message waiting for its commit) and
        // events still waiting for their socket's turn get to finish; then
        // the queue is stored and the database closed.
        if tokio::time::timeout(SHUTDOWN_STEP, in_flight.idle())
            .await
            .is_err()
        {
            tracing::error!(
                events = in_flight.count(),
                "events still in flight after {} s; closing the database anyway",
                SHUTDOWN_STEP.as_secs()
            );
        }
        if tokio::time::timeout(SHUTDOWN_STEP, store.close())
            .await
            .is_err()
        {
            tracing::error!(
                "the database did not close within {} s; stopping anyway",
                SHUTDOWN_STEP.as_secs()
            );
        }
        served
    }
}

/// What start-up has ready before it picks the adapter.
struct Parts {
    config: Config,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    local_addr: SocketAddr,
    gateway: GatewayState,
    limits: Arc<Limits>,
    heartbeat: std::time::Duration,
}

/// A socket.io adapter start-up can finish: on one node there is nothing
/// to wait for; in a cluster each namespace waits for its Redis
/// subscriptions.
trait Ready: Adapter + DefinedAdapter {
    fn ready(inits: Vec<Self::InitRes>) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl Ready for LocalAdapter {
    async fn ready(_: Vec<()>) -> anyhow::Result<()> {
        Ok(())
    }
}

impl Ready for ClusterAdapter {
    async fn ready(inits: Vec<Self::InitRes>) -> anyhow::Result<()> {
        for init in inits {
            init.await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("cannot subscribe to the cluster's Redis channels")?;
        }
        tracing::info!("joined the cluster through Redis");
        Ok(())
    }
}

/// When a node dies, the one node that notices first says `user-left` for
/// its people who are on no other node (see `cluster::roster`).
fn announce_vanished<A: Adapter>(roster: &Roster, io: SocketIo<A>) {
    use crate::protocol::chat::UserLeft;
    roster.on_vanished(move |names| {
        let io = io.clone();
        tokio::spawn(async move {
            tracing::info!(people = names.len(), "a node is gone: its people left");
            for name in names {
                if let Some(all) = gateway::everyone::<_, UserLeft>(&io) {
                    gateway::emit_to(all, &UserLeft::new(name)).await;
                }
            }
        });
    });
}

/// `HUDDLE_ADDR` wins; else the address cargo-leptos gives; else the default.
fn listen_addr(config: &Config) -> SocketAddr {
    config
        .addr
        .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok()?.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)))
}

/// The Leptos options: where the built site lives and how pages link to it.
fn leptos_options(config: &Config, addr: SocketAddr) -> LeptosOptions {
    let site_root = config
        .site_root
        .clone()
        .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/site")));
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") | Ok("development") => leptos::config::Env::DEV,
        _ => leptos::config::Env::PROD,
    };
    let reload_port = std::env::var("LEPTOS_RELOAD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3001);
    let hash_file = site::hash_file(&site_root);
    LeptosOptions::builder()
        .output_name("huddle")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .env(env)
        .site_addr(addr)
        .reload_port(reload_port)
        .hash_files(hash_file.is_some())
        .hash_file(
            hash_file
                .map(|path| path.to_string_lossy().into())
                .unwrap_or_else(|| site::HASH_FILE.into()),
        )
        .build()
}
