//! Below the messages: the composer, or why this page may not write in
//! the room shown (removed or banned, muted), and slow mode's countdown.

use super::composer::Composer;
use super::room_state::{now_ms, Hold};
use super::state::{ChatState, View};
use crate::protocol::{moderation, rooms};
use leptos::prelude::*;
use std::time::Duration;

/// The whole seconds left until `until_ms`, at least 1 while any is left.
pub fn seconds_left(until_ms: f64, now_ms: f64) -> u64 {
    let left = ((until_ms - now_ms) / 1000.0).ceil();
    if left > 0.0 {
        left as u64
    } else {
        0
    }
}

/// The seconds this page must still wait before sending in the room
/// shown (slow mode): 0 when it may send. A clock ticks twice a second
/// while the caller is on screen; the count changes once a second.
pub fn slow_countdown(state: ChatState) -> Memo<u64> {
    let now = RwSignal::new(now_ms());
    let ticker = StoredValue::new(None::<IntervalHandle>);
    // In the browser only (effects do not run on the server).
    Effect::new(move |_| {
        if ticker.with_value(Option::is_none) {
            match set_interval_with_handle(move || now.set(now_ms()), Duration::from_millis(500)) {
                Ok(handle) => ticker.set_value(Some(handle)),
                Err(e) => leptos::logging::warn!("no clock for slow mode: {e:?}"),
            }
        }
    });
    on_cleanup(move || {
        if let Some(handle) = ticker.try_get_value().flatten() {
            handle.clear();
        }
    });
    Memo::new(move |_| {
        let now = now.get();
        match state.current.get() {
            View::Room(room) => state
                .room_state
                .slow_until(&room, now)
                .map_or(0, |until| seconds_left(until, now)),
            View::Dm(_) => 0,
        }
    })
}

#[component]
pub fn WriteArea() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let hold = Memo::new(move |_| match state.current.get() {
        View::Room(room) => state.room_state.hold(&room).or_else(|| {
            // What the room itself says (in the protocol's words): an
            // archived room, or a locked one for who does not moderate it.
            let mark = state.room_state.mark(&room)?;
            if mark.archived {
                Some(Hold::Closed(rooms::archived(&room)))
            } else if mark.locked && !mark.moderates() {
                Some(Hold::Closed(moderation::locked(&room)))
            } else {
                None
            }
        }),
        View::Dm(_) => None,
    });
    move || match hold.get() {
        Some(Hold::Removed(text)) => view! {
            <p class="hold removed" role="status" data-testid="composer-hold">{text}</p>
        }
        .into_any(),
        Some(Hold::Muted(text) | Hold::Closed(text)) => view! {
            <p class="hold muted" role="status" data-testid="composer-hold">{text}</p>
        }
        .into_any(),
        None => view! { <Composer/> }.into_any(),
    }
}
