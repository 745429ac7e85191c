//! What the page follows on the connection once it is in the chat: every
//! server event the chat shows (messages, changes, rooms, moderation, read
//! marks, typing, the board) and the effects that load and catch up what
//! is shown.
//!
//! None of it matters before the first `join`, so its code is a chunk of
//! the WASM of its own (`#[lazy]`, `cargo leptos build --split`): a first
//! visit loads the login form without it. [`follow_the_chat`] is awaited
//! before every `join` is sent (`session::join`), so every listener is in
//! place before the server sends this page anything of the chat; what the
//! page hears before it joins (the session ending, alerts, what a
//! reconnect sends first) is set up with the page (`session`,
//! `reconnect::resend_on_connect`).

use super::board::BoardState;
use super::history::load_what_is_shown;
use super::message_changes;
use super::moderation::follow_moderation;
use super::read_state::follow_read_state;
use super::reconnect::catch_up_on_reconnect;
use super::rooms::{follow_current_room, follow_rooms};
use super::threads::follow_threads;
use super::typing::TypingState;
use crate::app::state::ChatState;
use leptos::prelude::*;

/// Sets up, once per page, everything that follows the chat, under the
/// page's owner (so it lives as long as the page), and provides the board's
/// and the typing line's state to the chat view. Every caller waits for
/// the chunk; the first to run it sets it all up, the others find it done.
#[lazy]
pub fn follow_the_chat(state: ChatState) {
    let Some(owner) = state.take_page_owner() else {
        return;
    };
    owner.with(|| {
        state.listen();
        provide_context(BoardState::new(&state));
        provide_context(TypingState::new(&state));
        catch_up_on_reconnect(state);
        follow_rooms(state);
        follow_moderation(state);
        message_changes::listen(state);
        follow_read_state(state);
        follow_current_room(state);
        load_what_is_shown(state);
        follow_threads(state);
    });
}
