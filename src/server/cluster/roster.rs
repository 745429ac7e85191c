//! Who is in the chat, across every node (with `HUDDLE_REDIS_URL` only).
//!
//! Each node keeps, in Redis, one hash `<cluster>:presence:<node>`: each
//! name joined on that node → `<sockets>:<first join, unix ms>`. It writes
//! a field as its sockets join and leave, and rewrites the whole hash every
//! [`REFRESH`] with a time to live of [`TTL`]: the entries of a node that
//! died vanish at most `TTL` after its last rewrite, and a Redis that
//! restarted empty has every node's entries back within `REFRESH`. The set
//! `<cluster>:nodes` lists the nodes to look at. At each rewrite a node
//! also sweeps: a node whose hash is gone is dropped from the set, and the
//! one node that drops it announces `user-left` for its people who are on
//! no other node (it remembers what each node's hash held at the previous
//! sweep), so the user lists of the pages on the surviving nodes lose them
//! too, within `TTL` + `REFRESH` of the death.
//!
//! A name counts once however many sockets and nodes use it: `user-joined`
//! goes out when its first socket in the cluster joins, `user-left` when its
//! last one leaves, and `get-users` lists each name once, in order of first
//! join. When Redis does not answer, the node answers from its own sockets
//! (and says so in the log once, see `link`).

use super::link::{bounded, LinkHealth, RedisLink};
use crate::protocol::Username;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisError};
use socketioxide::socket::Sid;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often a node rewrites its entries.
pub const REFRESH: Duration = Duration::from_secs(5);
/// How long a node's entries outlive its last rewrite.
pub const TTL: Duration = Duration::from_secs(15);

#[derive(Debug, Default)]
struct Local {
    /// Socket → the name it joined with.
    sockets: HashMap<Sid, Username>,
    /// Name → (sockets on this node, first join in unix ms).
    names: HashMap<Username, (u32, u64)>,
}

pub struct Roster {
    conn: ConnectionManager,
    health: Arc<LinkHealth>,
    node: String,
    key: String,
    nodes_key: String,
    prefix: String,
    local: Mutex<Local>,
    /// What every other node's hash held at the last sweep.
    seen: Mutex<HashMap<String, Vec<String>>>,
    /// Told the names whose last node died (set once the socket.io server
    /// exists).
    on_vanished: std::sync::OnceLock<Box<dyn Fn(Vec<Username>) + Send + Sync>>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn field_value(sockets: u32, first_ms: u64) -> String {
    format!("{sockets}:{first_ms}")
}

impl Roster {
    /// This node's roster in cluster `cluster`; keeps its entries fresh
    /// until the process ends.
    pub fn start(link: &RedisLink, cluster: &str) -> Arc<Self> {
        let node = format!("{:016x}", rand::random::<u64>());
        let roster = Arc::new(Self {
            conn: link.connection(),
            health: link.health(),
            key: format!("{cluster}:presence:{node}"),
            nodes_key: format!("{cluster}:nodes"),
            prefix: format!("{cluster}:presence:"),
            node,
            local: Mutex::default(),
            seen: Mutex::default(),
            on_vanished: std::sync::OnceLock::new(),
        });
        let weak = Arc::downgrade(&roster);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(roster) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = roster.rewrite().await {
                    roster.health.failed("presence refresh", &e);
                    continue;
                }
                match roster.sweep().await {
                    Ok(vanished) if !vanished.is_empty() => {
                        if let Some(tell) = roster.on_vanished.get() {
                            tell(vanished);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => roster.health.failed("presence sweep", &e),
                }
            }
        });
        roster
    }

    /// Sets what to do with the names whose last node died (announce
    /// `user-left`); the first call wins.
    pub fn on_vanished(&self, tell: impl Fn(Vec<Username>) + Send + Sync + 'static) {
        let _ = self.on_vanished.set(Box::new(tell));
    }

    /// Drops the nodes whose hash expired from the node set; returns the
    /// names of those this node dropped that are on no live node.
    async fn sweep(&self) -> Result<Vec<Username>, RedisError> {
        let mut conn = self.conn.clone();
        let nodes: Vec<String> = bounded(conn.smembers(&self.nodes_key)).await?;
        let mut live: HashMap<String, Vec<String>> = HashMap::new();
        let mut dead = Vec::new();
        for node in nodes.into_iter().filter(|n| *n != self.node) {
            let key = format!("{}{node}", self.prefix);
            let names: Vec<String> = bounded(conn.hkeys(&key)).await?;
            if names.is_empty() {
                dead.push(node);
            } else {
                live.insert(node, names);
            }
        }
        let mut vanished = Vec::new();
        let seen = std::mem::replace(
            &mut *self.seen.lock().unwrap_or_else(|p| p.into_inner()),
            live.clone(),
        );
        for node in dead {
            // SREM answers 1 to exactly one of the nodes sweeping at once.
            let dropped: i64 = bounded(conn.srem(&self.nodes_key, &node)).await?;
            if dropped != 1 {
                continue;
            }
            for name in seen.get(&node).into_iter().flatten() {
                let elsewhere = live.values().flatten().any(|n| n == name)
                    || Username::parse(name).is_ok_and(|u| self.lock().names.contains_key(&u));
                if !elsewhere {
                    if let Ok(name) = Username::parse(name) {
                        vanished.push(name);
                    }
                }
            }
        }
        Ok(vanished)
    }

    fn lock(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Rewrites this node's hash from its sockets, with a fresh TTL.
    async fn rewrite(&self) -> Result<(), RedisError> {
        let fields: Vec<(String, String)> = self
            .lock()
            .names
            .iter()
            .map(|(name, (n, ms))| (name.as_str().to_owned(), field_value(*n, *ms)))
            .collect();
        let mut pipe = redis::pipe();
        pipe.atomic().del(&self.key);
        if !fields.is_empty() {
            pipe.hset_multiple(&self.key, &fields)
                .expire(&self.key, TTL.as_secs() as i64);
        }
        pipe.sadd(&self.nodes_key, &self.node);
        let mut conn = self.conn.clone();
        bounded(pipe.query_async::<()>(&mut conn)).await
    }

    /// Writes one name's field of this node (or removes it at zero).
    async fn write(&self, name: &Username, entry: Option<(u32, u64)>) -> Result<(), RedisError> {
        let mut pipe = redis::pipe();
        match entry {
            Some((n, ms)) => pipe
                .hset(&self.key, name.as_str(), field_value(n, ms))
                .expire(&self.key, TTL.as_secs() as i64)
                .sadd(&self.nodes_key, &self.node),
            None => pipe.hdel(&self.key, name.as_str()),
        };
        let mut conn = self.conn.clone();
        bounded(pipe.query_async::<()>(&mut conn)).await
    }

    /// Every node's hash: name → first join, over the whole cluster.
    async fn everyone(&self) -> Result<BTreeMap<String, u64>, RedisError> {
        let mut conn = self.conn.clone();
        let nodes: Vec<String> = bounded(conn.smembers(&self.nodes_key)).await?;
        let mut names: BTreeMap<String, u64> = BTreeMap::new();
        for node in nodes {
            let key = format!("{}{node}", self.prefix);
            let entries: HashMap<String, String> = bounded(conn.hgetall(&key)).await?;
            for (name, value) in entries {
                let first = value
                    .split_once(':')
                    .and_then(|(_, ms)| ms.parse().ok())
                    .unwrap_or(u64::MAX);
                names
                    .entry(name)
                    .and_modify(|t| *t = (*t).min(first))
                    .or_insert(first);
            }
        }
        Ok(names)
    }

    /// Whether another node has a socket named `name`.
    async fn elsewhere(&self, name: &Username) -> Result<bool, RedisError> {
        let mut conn = self.conn.clone();
        let nodes: Vec<String> = bounded(conn.smembers(&self.nodes_key)).await?;
        for node in nodes.into_iter().filter(|n| *n != self.node) {
            let key = format!("{}{node}", self.prefix);
            let there: bool = bounded(conn.hexists(&key, name.as_str())).await?;
            if there {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Socket `sid` joined (or renamed itself) as `name`. True when it is
    /// the first socket of that name in the cluster: say `user-joined`.
    pub async fn join(&self, sid: Sid, name: &Username) -> bool {
        let (entry, renamed_from) = {
            let mut local = self.lock();
            let old = local.sockets.insert(sid, name.clone());
            let renamed_from = match old {
                Some(old) if old == *name => return false,
                Some(old) => Some((old.clone(), release(&mut local, &old))),
                None => None,
            };
            let now = now_ms();
            let e = local.names.entry(name.clone()).or_insert((0, now));
            e.0 += 1;
            (*e, renamed_from)
        };
        if let Some((old, left)) = renamed_from {
            if let Err(e) = self.write(&old, left).await {
                self.health.failed("presence update", &e);
            }
        }
        if let Err(e) = self.write(name, Some(entry)).await {
            self.health.failed("presence update", &e);
        }
        if entry.0 > 1 {
            return false;
        }
        match self.elsewhere(name).await {
            Ok(there) => !there,
            Err(e) => {
                self.health.failed("presence lookup", &e);
                true
            }
        }
    }

    /// Socket `sid` left. Its name, and whether that was the name's last
    /// socket in the cluster (say `user-left`).
    pub async fn leave(&self, sid: Sid) -> Option<(Username, bool)> {
        let (name, left) = {
            let mut local = self.lock();
            let name = local.sockets.remove(&sid)?;
            let left = release(&mut local, &name);
            (name, left)
        };
        if let Err(e) = self.write(&name, left).await {
            self.health.failed("presence update", &e);
        }
        if left.is_some() {
            return Some((name, false));
        }
        match self.elsewhere(&name).await {
            Ok(there) => Some((name, !there)),
            Err(e) => {
                self.health.failed("presence lookup", &e);
                Some((name, true))
            }
        }
    }

    /// Every name in the cluster, once each, in order of first join.
    pub async fn usernames(&self) -> Vec<String> {
        let names = match self.everyone().await {
            Ok(names) => names,
            Err(e) => {
                self.health.failed("presence lookup", &e);
                self.lock()
                    .names
                    .iter()
                    .map(|(n, (_, ms))| (n.as_str().to_owned(), *ms))
                    .collect()
            }
        };
        let mut names: Vec<(String, u64)> = names.into_iter().collect();
        names.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        names.into_iter().map(|(n, _)| n).collect()
    }
}

/// One socket of `name` on this node is gone: its field's new value, or
/// `None` when it was the last.
fn release(local: &mut Local, name: &Username) -> Option<(u32, u64)> {
    let entry = local.names.get_mut(name)?;
    entry.0 = entry.0.saturating_sub(1);
    if entry.0 == 0 {
        local.names.remove(name);
        None
    } else {
        Some(*entry)
    }
}
