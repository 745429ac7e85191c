//! Below the messages: the composer, or why this page may not write in
//! the room shown (removed or banned, muted, archived, locked).

use super::composer::Composer;
use super::room_state::Hold;
use super::state::{ChatState, View};
use crate::protocol::{moderation, rooms, RoomName};
use leptos::prelude::*;

/// Why this page may not write in `room`, if it may not (tracked): its
/// standing there, or what the room itself says (in the protocol's
/// words): an archived room, or a locked one for who does not moderate
/// it. The thread panel's composer asks too.
pub fn room_hold(state: ChatState, room: &RoomName) -> Option<Hold> {
    state.room_state.hold(room).or_else(|| {
        let mark = state.room_state.mark(room)?;
        if mark.archived {
            Some(Hold::Closed(rooms::archived(room)))
        } else if mark.locked && !mark.moderates() {
            Some(Hold::Closed(moderation::locked(room)))
        } else {
            None
        }
    })
}

#[component]
pub fn WriteArea() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let hold = Memo::new(move |_| match state.current.get() {
        View::Room(room) => room_hold(state, &room),
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
