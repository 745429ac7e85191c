//! The emoji list (`GET /api/emoji`), loaded when the page first needs it:
//! the picker opening, a `:code` being completed, a message holding a
//! `:code:` being sent. The page's code does not carry it (it would be
//! 430 KB of the WASM); one load serves the page until it is closed, and
//! a failed one is tried again at the next need.

// The server renders pages but never loads the list: the loading states
// and the waiting are the browser's.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use crate::client::http;
use crate::model::emoji_table::EmojiTable;
use crate::model::shortcodes::{has_shortcode, replace_shortcodes};
use leptos::prelude::*;
use std::cell::RefCell;
use std::sync::Arc;

/// Where the list is.
#[derive(Clone, Debug)]
pub enum EmojiLoad {
    /// Not asked for yet.
    Idle,
    Loading,
    Ready(Arc<EmojiTable>),
    /// The last load failed: why, in words for the person.
    Failed(String),
}

thread_local! {
    static STATE: ArcRwSignal<EmojiLoad> = ArcRwSignal::new(EmojiLoad::Idle);
    /// Those waiting for the load under way to end ([`ready`]).
    static WAITING: RefCell<Vec<futures_channel::oneshot::Sender<()>>> =
        const { RefCell::new(Vec::new()) };
}

fn signal() -> ArcRwSignal<EmojiLoad> {
    STATE.with(Clone::clone)
}

/// Where the list is (tracked: a view or memo that reads it follows it).
pub fn state() -> EmojiLoad {
    signal().get()
}

/// The list, once loaded (tracked).
pub fn table() -> Option<Arc<EmojiTable>> {
    match state() {
        EmojiLoad::Ready(table) => Some(table),
        _ => None,
    }
}

/// Starts loading the list unless it is loaded or loading.
pub fn request() {
    let state = signal();
    if matches!(
        state.get_untracked(),
        EmojiLoad::Ready(_) | EmojiLoad::Loading
    ) {
        return;
    }
    #[cfg(feature = "hydrate")]
    {
        state.set(EmojiLoad::Loading);
        leptos::task::spawn_local(async move {
            let loaded = match http::emoji_list().await {
                Ok(list) => EmojiLoad::Ready(Arc::new(EmojiTable::new(list))),
                Err(why) => EmojiLoad::Failed(why),
            };
            state.set(loaded);
            for waiting in WAITING.with(|w| std::mem::take(&mut *w.borrow_mut())) {
                let _ = waiting.send(());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = http::emoji_list;
}

/// The list, loading it first if needed; `None` when that fails.
pub async fn ready() -> Option<Arc<EmojiTable>> {
    request();
    if matches!(signal().get_untracked(), EmojiLoad::Loading) {
        let (done, wait) = futures_channel::oneshot::channel();
        WAITING.with(|w| w.borrow_mut().push(done));
        let _ = wait.await;
    }
    match signal().get_untracked() {
        EmojiLoad::Ready(table) => Some(table),
        _ => None,
    }
}

/// Calls `then` with `text`'s shortcodes replaced (`model::shortcodes`):
/// at once when it holds none or the list is here, else once the list
/// has loaded. Should the load fail, the codes go as typed.
pub fn with_shortcodes(text: String, then: impl FnOnce(String) + 'static) {
    if !has_shortcode(&text) {
        return then(text);
    }
    if let EmojiLoad::Ready(table) = signal().get_untracked() {
        return then(replace_shortcodes(&text, &table));
    }
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let replaced = match ready().await {
            Some(table) => replace_shortcodes(&text, &table),
            None => text,
        };
        then(replaced);
    });
    #[cfg(not(feature = "hydrate"))]
    then(text);
}
