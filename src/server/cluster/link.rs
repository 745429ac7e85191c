//! The pub/sub link between Huddle nodes: socketioxide-redis's adapter over
//! a [`RedisLink`], a driver (socketioxide-redis's `Driver` trait) on the
//! `redis` crate's `ConnectionManager`.
//!
//! socketioxide-redis's own driver uses a plain multiplexed connection: it
//! does not reconnect, and while Redis is away every broadcast fails before
//! the local sockets get it. Huddle's driver differs in exactly that:
//!
//! - the connection manager reconnects by itself, with backoff, and
//!   subscribes again to every channel once it is back;
//! - a publish that fails (or takes over [`REDIS_TIMEOUT`]) is counted and
//!   logged (once per outage), and then reported as done, so the adapter
//!   goes on to deliver the packet to this node's own sockets: with Redis
//!   away, each node keeps serving its own clients. While Redis is known to
//!   be away, publishes are skipped at once (a background check notices
//!   when it is back, within a second), so local delivery does not wait;
//! - while Redis is away, "how many nodes are there" answers 1 (this one),
//!   so requests that collect answers from every node do not wait for
//!   nodes they cannot reach.
//!
//! [`LinkHealth`] says whether the last exchange with Redis worked; `/readyz`
//! reports it.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, PushInfo, PushKind, RedisError, Value};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

/// The longest a node waits for Redis before counting it as away.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a node whose Redis is away checks whether it is back.
const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// Whether Redis answered the last time it was asked. Said in the log when
/// it changes, not at every failure.
#[derive(Debug)]
pub struct LinkHealth {
    up: AtomicBool,
}

impl LinkHealth {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            up: AtomicBool::new(true),
        })
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    pub(crate) fn worked(&self) {
        if !self.up.swap(true, Ordering::Relaxed) {
            tracing::warn!("Redis is reachable again: broadcasts reach every node");
        }
    }

    pub(crate) fn failed(&self, what: &str, error: &RedisError) {
        metrics::counter!("huddle_adapter_errors_total").increment(1);
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::error!(
                %error,
                "Redis is unreachable ({what} failed): this node serves its own clients only until it is back; retrying"
            );
        }
    }
}

/// The adapter's connection to Redis. Clones share the connection.
#[derive(Clone)]
pub struct RedisLink {
    conn: ConnectionManager,
    handlers: Handlers,
    health: Arc<LinkHealth>,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

/// Hands a pub/sub message to the stream subscribed to its channel.
fn deliver(push: PushInfo, handlers: &Handlers) {
    if !matches!(push.kind, PushKind::Message | PushKind::SMessage) {
        return;
    }
    let mut data = push.data.into_iter();
    let (Some(chan), Some(payload)) = (data.next(), data.next()) else {
        return;
    };
    let (Ok(chan), Ok(payload)) = (
        redis::from_redis_value::<String>(chan),
        redis::from_redis_value::<Vec<u8>>(payload),
    ) else {
        tracing::warn!("ignored a malformed pub/sub message from Redis");
        return;
    };
    let handlers = handlers.read().unwrap_or_else(|p| p.into_inner());
    if let Some(tx) = handlers.get(&chan) {
        if tx.try_send((chan, payload)).is_err() {
            metrics::counter!("huddle_adapter_errors_total").increment(1);
            tracing::warn!("a cluster message was dropped: this node is not keeping up");
        }
    }
}

impl RedisLink {
    /// Connects to `url` (`redis://host:port[/db]`; RESP3 is required and
    /// asked for here). Fails if Redis cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let url = if url.contains("protocol=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&protocol=resp3")
        } else {
            format!("{url}?protocol=resp3")
        };
        let client = redis::Client::open(url)?;
        let handlers: Handlers = Arc::default();
        let sink = handlers.clone();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_max_delay(Duration::from_secs(2))
            .set_push_sender(move |push: PushInfo| {
                deliver(push, &sink);
                Ok::<(), std::convert::Infallible>(())
            })
            .set_automatic_resubscription();
        let conn = ConnectionManager::new_with_config(client, config).await?;
        let link = Self {
            conn,
            handlers,
            health: LinkHealth::new(),
        };
        link.watch();
        Ok(link)
    }

    /// While Redis is away, checks every second whether it is back. Ends
    /// with the process.
    fn watch(&self) {
        let link = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RECHECK_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if !link.health.is_up() {
                    let _ = link.ping().await;
                }
            }
        });
    }

    pub fn health(&self) -> Arc<LinkHealth> {
        self.health.clone()
    }

    /// A connection for other commands (presence, readiness), sharing this
    /// one's reconnection.
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Whether Redis answers `PING` now.
    pub async fn ping(&self) -> Result<(), RedisError> {
        let mut conn = self.conn.clone();
        let ping = redis::cmd("PING");
        match bounded(ping.query_async::<Value>(&mut conn)).await {
            Ok(_) => {
                self.health.worked();
                Ok(())
            }
            Err(e) => {
                self.health.failed("PING", &e);
                Err(e)
            }
        }
    }
}

/// `call`, or a timeout error after [`REDIS_TIMEOUT`].
pub(crate) async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, RedisError> {
    match tokio::time::timeout(REDIS_TIMEOUT, call).await {
        Ok(result) => result,
        Err(_) => Err(RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {} s", REDIS_TIMEOUT.as_secs()),
        ))),
    }
}

impl Driver for RedisLink {
    type Error = RedisError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), RedisError> {
        if !self.health.is_up() {
            metrics::counter!("huddle_adapter_errors_total").increment(1);
            return Ok(());
        }
        let mut conn = self.conn.clone();
        match bounded(conn.publish::<_, _, Value>(chan, val)).await {
            Ok(_) => self.health.worked(),
            // Reported as sent: the adapter then delivers to this node's
            // own sockets, which must not suffer for the other nodes.
            Err(e) => self.health.failed("publish", &e),
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, RedisError> {
        let (tx, rx) = mpsc::channel(size);
        self.handlers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(chan.clone(), tx);
        self.conn.clone().subscribe(&chan).await?;
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), RedisError> {
        self.handlers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&chan);
        self.conn.clone().unsubscribe(&chan).await
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, RedisError> {
        let mut conn = self.conn.clone();
        if !self.health.is_up() {
            return Ok(1);
        }
        let mut numsub = redis::cmd("PUBSUB");
        numsub.arg("NUMSUB").arg(chan);
        let counted: Result<(String, u16), RedisError> =
            bounded(numsub.query_async(&mut conn)).await;
        match counted {
            Ok((_, count)) => {
                self.health.worked();
                Ok(count.max(1))
            }
            Err(e) => {
                self.health.failed("counting nodes", &e);
                Ok(1)
            }
        }
    }
}
