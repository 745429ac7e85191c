//! Huddle: self-hosted real-time team chat.
//!
//! - [`protocol`]: the socket.io events, payloads, acks and limits shared by
//!   the server and the browser.
//! - [`app`]: the Leptos components (rendered on the server, hydrated in the
//!   browser).
//! - [`client`]: the browser's socket.io client.
//! - `server` (feature `ssr`): configuration, HTTP app and socket.io gateway.

#![recursion_limit = "256"]

pub mod app;
pub mod client;
pub mod protocol;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: hydrate the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
