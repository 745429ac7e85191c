//! Small text helpers the widgets share.

use crate::protocol::MessageText;
use leptos::prelude::{RwSignal, Set};

/// "username must not be empty" → "Username must not be empty".
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A fresh id for an element made in the browser (forms that open on
/// demand), so that two of them on the page never share one.
pub fn unique_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The message in `raw`, typed to be sent: `None` when it is blank (nothing
/// to send) or breaks a rule, which `error` then says.
pub fn message_to_send(raw: &str, error: RwSignal<Option<String>>) -> Option<MessageText> {
    if raw.trim().is_empty() {
        return None;
    }
    match MessageText::parse(raw) {
        Ok(m) => Some(m),
        Err(e) => {
            error.set(Some(capitalise(&e.to_string())));
            None
        }
    }
}
