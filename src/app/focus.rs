//! Giving the focus back after a change redraws a message: its line is
//! made afresh (the list keys lines by their change number), so the
//! button that was clicked is gone and its successor takes the focus.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Once the page has redrawn, focuses the first element that matches one
/// of `selectors`, in order.
pub fn focus_later(selectors: Vec<String>) {
    request_animation_frame(move || {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let found = selectors.iter().find_map(|s| {
            document
                .query_selector(s)
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        });
        if let Some(el) = found {
            let _ = el.focus();
        }
    });
}

/// `YYYY-MM-DD HH:MM` in the reader's time zone, for titles.
pub fn local_date_time(ts: &crate::protocol::chat::Timestamp) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&ts.0));
        if !date.get_time().is_nan() {
            return format!(
                "{}-{:02}-{:02} {:02}:{:02}",
                date.get_full_year(),
                date.get_month() + 1,
                date.get_date(),
                date.get_hours(),
                date.get_minutes()
            );
        }
    }
    // On the server (or for an unreadable time): UTC, as sent.
    ts.0.get(..16).unwrap_or(&ts.0).replace('T', " ")
}
