//! The banner shown while the connection is not up.

use crate::client::ConnectionState;
use leptos::prelude::*;

#[component]
pub fn ConnectionBanner(state: ReadSignal<ConnectionState>) -> impl IntoView {
    let text = move || match state.get() {
        ConnectionState::Connected => None,
        ConnectionState::Connecting => Some("Connecting to the server…".to_owned()),
        ConnectionState::Reconnecting {
            attempt,
            retry_in_ms,
        } => Some(format!(
            "Connection lost. Reconnecting in {:.0} s (attempt {attempt})… \
             Messages you send meanwhile are sent when it is back.",
            (retry_in_ms as f64 / 1000.0).ceil()
        )),
    };
    view! {
        <Show when=move || text().is_some()>
            <div class="banner" role="status" data-testid="connection-banner">
                {text}
            </div>
        </Show>
    }
    .into_any()
}
