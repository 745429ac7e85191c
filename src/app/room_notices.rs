//! Notices about rooms ("ann added you to #plans"): a polite live region,
//! so a screen reader says them when it is next idle; each can be
//! dismissed and goes by itself after a while.

use super::state::ChatState;
use leptos::prelude::*;

#[component]
pub fn RoomNotices() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let notices = state.room_state.notices;
    view! {
        <div class="room-notices" role="status" aria-live="polite" data-testid="room-notices">
            <For
                each=move || notices.get()
                key=|(id, _)| *id
                children=move |(id, text)| {
                    view! {
                        <p class="room-notice" data-testid="room-notice">
                            <span>{text}</span>
                            <button
                                type="button"
                                class="icon-button"
                                aria-label="Dismiss"
                                on:click=move |_| state.room_state.dismiss(id)
                            >
                                "×"
                            </button>
                        </p>
                    }
                }
            />
        </div>
    }
}
