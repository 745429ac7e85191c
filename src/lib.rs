//! Huddle: self-hosted real-time team chat.
//!
//! - [`protocol`]: the socket.io events, payloads, acks and limits shared by
//!   the server and the browser.
//! - [`model`]: the whiteboard as plain data (board, gestures, geometry,
//!   SVG export), free of browser and socket types, tested natively.
//! - [`client`]: the browser's socket.io client.
//! - [`app`]: the Leptos components (rendered on the server, hydrated in the
//!   browser).
//! - `server` (feature `ssr`): configuration, HTTP app and socket.io gateway.

#![recursion_limit = "256"]

pub mod app;
pub mod client;
pub mod model;
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
