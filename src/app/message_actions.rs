//! What may be done to a message of a room: its moderators delete anyone's
//! (and an author their own), after a second click to confirm. The server
//! decides; a refusal shows beside the message.

use super::state::{ChatState, View};
use super::sync::moderation::delete_message;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn MessageActions(id: i64, deleted: bool, mine: bool) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let room = Memo::new(move |_| match state.current.get() {
        View::Room(room) => Some(room),
        View::Dm(_) => None,
    });
    let may_delete = move || {
        !deleted
            && room.with(|r| {
                r.as_ref().is_some_and(|r| {
                    mine || state.room_state.mark(r).is_some_and(|m| m.moderates())
                })
            })
    };
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let delete = move |_| {
        let Some(room) = room.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let result = delete_message(state, room.clone(), id).await;
            busy.set(false);
            confirming.set(false);
            match result {
                // Shown at once here; everyone (this page too) also gets
                // `message-deleted`.
                Ok(()) => state.delete_message(&View::Room(room), id),
                Err(e) => error.set(Some(format!("Not deleted: {e}"))),
            }
        });
    };
    view! {
        <Show when=may_delete>
            <span class="message-actions">
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <button
                                type="button"
                                class="link small-link"
                                data-testid="delete-message"
                                on:click=move |_| {
                                    error.set(None);
                                    confirming.set(true);
                                }
                            >
                                "Delete"
                            </button>
                        }
                    }
                >
                    <button
                        type="button"
                        class="link small-link danger-link"
                        data-testid="confirm-delete"
                        disabled=move || busy.get()
                        on:click=delete
                    >
                        {move || if busy.get() { "Deleting…" } else { "Delete for everyone" }}
                    </button>
                    <button type="button" class="link small-link" on:click=move |_| confirming.set(false)>
                        "Cancel"
                    </button>
                </Show>
                <Show when=move || error.with(Option::is_some)>
                    <span class="form-error" role="alert">{move || error.get().unwrap_or_default()}</span>
                </Show>
            </span>
        </Show>
    }
}
