//! What was typed and not sent, per conversation (and per thread's reply
//! box), kept across switching
//! conversations and reloading the page (the browser's localStorage; one
//! key per conversation, removed when sent, emptied or cancelled, and all
//! of them at logout, so the next person at this browser does not see
//! them).

use crate::app::state::View;
use crate::protocol::RoomName;

const PREFIX: &str = "huddle.draft.";

/// The storage key of `view`'s draft (a person's name in any case is one
/// conversation).
fn key(view: &View) -> String {
    match view {
        View::Room(room) => format!("{PREFIX}room:{room}"),
        View::Dm(with) => format!("{PREFIX}dm:{}", with.as_str().to_lowercase()),
    }
}

/// The storage key of the draft reply to thread `root` of `room`.
fn reply_key(room: &RoomName, root: i64) -> String {
    format!("{PREFIX}thread:{room}:{root}")
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The draft of `view`, if one is kept.
pub fn load(view: &View) -> Option<String> {
    load_key(&key(view))
}

/// Keeps `text` as the draft of `view` (an empty or blank one is removed).
pub fn save(view: &View, text: &str) {
    save_key(&key(view), text);
}

/// The draft reply to thread `root` of `room`, if one is kept.
pub fn load_reply(room: &RoomName, root: i64) -> Option<String> {
    load_key(&reply_key(room, root))
}

/// Keeps `text` as the draft reply to thread `root` of `room` (an empty
/// or blank one is removed).
pub fn save_reply(room: &RoomName, root: i64, text: &str) {
    save_key(&reply_key(room, root), text);
}

fn load_key(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        storage()?.get_item(key).ok()?
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

fn save_key(key: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = if text.trim().is_empty() {
            storage.remove_item(key)
        } else {
            storage.set_item(key, text)
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, text);
}

/// Forgets every draft (at logout).
pub fn clear_all() {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let len = storage.length().unwrap_or(0);
        let keys: Vec<String> = (0..len)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|k| k.starts_with(PREFIX))
            .collect();
        for k in keys {
            let _ = storage.remove_item(&k);
        }
    }
}
