//! Integration tests: the real server on a random port, driven by an
//! independent socket.io client (`rust_socketio`) and plain HTTP.

mod accounts;
mod auth_limits;
mod board;
mod board_storage;
mod chat;
mod cluster;
mod direct;
mod direct_changes;
mod emoji_list;
mod growth;
mod helpers;
mod history;
mod invite_links;
mod limits;
mod message_changes;
mod moderation;
mod names;
mod notifications;
mod operations;
mod origin;
mod payloads;
mod protected;
mod proxies;
mod read_state;
mod rooms;
mod slow_consumers;
mod static_site;
mod threads;
mod transports;
mod typing;
mod validation;
