//! Several Huddle processes as one server.
//!
//! With `HUDDLE_REDIS_URL` set, socket.io rooms, namespaces and broadcasts
//! span every node through socketioxide's Redis adapter
//! (`socketioxide-redis`, over [`link::RedisLink`]); without it the
//! in-process adapter serves one node, as before. Start-up picks the adapter
//! once; everything else is generic over it (see `server::io`).

pub mod link;
pub mod roster;

use socketioxide::adapter::Emitter;

/// socketioxide-redis's adapter over Huddle's Redis link.
pub type ClusterAdapter = socketioxide_redis::CustomRedisAdapter<Emitter, link::RedisLink>;
