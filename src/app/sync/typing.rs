//! Typing indicators on the page: saying this page's person is typing (at
//! most once per conversation per few seconds, only while connected), and
//! who else is typing where (gone after a few seconds without a word from
//! them, or when their message arrives). Never yourself.

use crate::app::state::{ChatState, View};
use crate::client::ConnectionState;
use crate::model::typing::{phrase, TypingPacer, Typists};
use crate::protocol::chat::NewMessage;
use crate::protocol::direct::NewDm;
use crate::protocol::limits::TYPING_SHOWN_MS;
use crate::protocol::typing::{Conversation, SomeoneTyping, Typing};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Milliseconds on the page's clock.
fn now_ms() -> u64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// Who is typing where, and when this page last said it was.
#[derive(Clone, Copy)]
pub struct TypingState {
    typists: RwSignal<Typists<View>>,
    pacer: StoredValue<TypingPacer<View>>,
    /// Whether a timer to drop the silent is set (one at a time).
    timer: StoredValue<bool>,
}

impl TypingState {
    /// Made with the chat state, listening to the events that change it.
    pub fn new(state: &ChatState) -> Self {
        let this = Self {
            typists: RwSignal::new(Typists::default()),
            pacer: StoredValue::new(TypingPacer::default()),
            timer: StoredValue::new(false),
        };
        let state = *state;
        state.client.on::<SomeoneTyping>(move |e| {
            let view = match e.conversation() {
                Some(Conversation::Room(room)) => View::Room(room),
                Some(Conversation::Dm(with)) => View::Dm(with),
                None => return,
            };
            if state.me.with_untracked(|me| {
                me.as_ref()
                    .is_some_and(|me| me.as_str().eq_ignore_ascii_case(e.username.as_str()))
            }) {
                return;
            }
            this.typists
                .update(|t| t.saw(view, e.username.as_str(), now_ms()));
            this.forget_when_silent();
        });
        state.client.on::<NewMessage>(move |m| {
            let view = View::Room(m.room);
            this.typists.update(|t| t.sent(&view, m.username.as_str()));
        });
        state.client.on::<NewDm>(move |m| {
            let Some(me) = state.me.get_untracked() else {
                return;
            };
            let view = View::Dm(m.other(&me).clone());
            this.typists.update(|t| t.sent(&view, m.from.as_str()));
        });
        this
    }

    /// Drops who has gone silent once the first of them has, and again
    /// after each drop while someone is still shown.
    fn forget_when_silent(self) {
        if self.timer.get_value() {
            return;
        }
        let Some(at) = self.typists.with_untracked(|t| t.next_expiry()) else {
            return;
        };
        let wait = at.saturating_sub(now_ms()).min(TYPING_SHOWN_MS) + 20;
        self.timer.set_value(true);
        set_timeout(
            move || {
                self.timer.set_value(false);
                self.typists.maybe_update(|t| t.forget_old(now_ms()));
                self.forget_when_silent();
            },
            std::time::Duration::from_millis(wait),
        );
    }

    /// The person typed in the composer of `view`: tell the others, unless
    /// told lately or not connected (a stale "typing" after a reconnect
    /// would be wrong).
    pub fn typed(self, state: ChatState, view: View) {
        if state.client.state().get_untracked() != ConnectionState::Connected {
            return;
        }
        if !self
            .pacer
            .try_update_value(|p| p.may_send(&view, now_ms()))
            .unwrap_or(false)
        {
            return;
        }
        let event = Typing::new(match view {
            View::Room(room) => Conversation::Room(room),
            View::Dm(with) => Conversation::Dm(with),
        });
        // Acked, so that a refusal is not an `exception` shown anywhere;
        // the answer does not matter.
        spawn_local(async move {
            let _ = state.client.emit_with_ack(&event).await;
        });
    }

    /// "Ann is typing…" for the conversation shown, if anyone is.
    pub fn line(self, state: ChatState) -> Option<String> {
        let view = state.current.get();
        let me = state.me.get();
        let names = self
            .typists
            .with(|t| t.names(&view, me.as_ref().map(|m| m.as_str()), now_ms()));
        phrase(&names)
    }
}
