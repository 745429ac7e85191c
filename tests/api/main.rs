//! Integration tests: the real server on a random port, driven by an
//! independent socket.io client (`rust_socketio`) and plain HTTP.

mod accounts;
mod auth_limits;
mod board;
mod chat;
mod cluster;
mod direct;
mod helpers;
mod history;
mod limits;
mod notifications;
mod operations;
mod origin;
mod protected;
mod proxies;
mod slow_consumers;
mod transports;
mod validation;
