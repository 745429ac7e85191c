//! What may be done to a message: in a room its moderators delete anyone's
//! (and an author their own), in a direct conversation its author deletes
//! it; after a second click to confirm. The server decides; a refusal
//! shows beside the message.

use super::state::{ChatState, View};
use super::sync::message_changes::delete;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn MessageActions(id: i64, deleted: bool, mine: bool) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let may_delete = move || {
        !deleted
            && state.current.with(|view| match view {
                View::Room(r) => mine || state.room_state.mark(r).is_some_and(|m| m.moderates()),
                View::Dm(_) => mine,
            })
    };
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirmed = move |_| {
        let view = state.current.get_untracked();
        busy.set(true);
        spawn_local(async move {
            let result = delete(state, view, id).await;
            busy.set(false);
            confirming.set(false);
            if let Err(e) = result {
                error.set(Some(format!("Not deleted: {e}")));
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
                        on:click=confirmed
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
