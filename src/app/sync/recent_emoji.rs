//! The emoji picker's "Recently used" row, kept in the browser's
//! localStorage (most recent first; the list's rules: `model::reactions`).

use crate::model::reactions::remember_recent;
use crate::protocol::emoji::Emoji;

const KEY: &str = "huddle.recent-emoji";

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The emoji used lately, most recent first (those still valid).
pub fn load() -> Vec<Emoji> {
    #[cfg(feature = "hydrate")]
    {
        let Some(text) = storage().and_then(|s| s.get_item(KEY).ok().flatten()) else {
            return Vec::new();
        };
        let list: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
        list.iter()
            .filter_map(|e| Emoji::parse(e).ok())
            .take(crate::model::reactions::MAX_RECENT)
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    Vec::new()
}

/// Puts `emoji` first in the list.
pub fn remember(emoji: &Emoji) {
    let now: Vec<String> = load().into_iter().map(String::from).collect();
    let next = remember_recent(&now, emoji.as_str());
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&next)) {
        let _ = storage.set_item(KEY, &text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (next, KEY);
}
