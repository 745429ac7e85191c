//! Notifications (DMs, mentions and replies in followed threads that
//! arrived elsewhere), as toasts. Activating one goes there: the
//! conversation, or the room with the thread open beside it.

use super::state::{ChatState, View};
use super::sync::threads::open_thread;
use crate::protocol::notifications::{Alert, AlertKind};
use leptos::prelude::*;

/// What an alert says: "bob replied in a thread in #dev".
fn title(alert: &Alert) -> String {
    match (&alert.kind, &alert.room) {
        (AlertKind::Dm, _) => format!("{} sent you a message", alert.from),
        (AlertKind::Mention, Some(room)) => format!("{} mentioned you in #{room}", alert.from),
        (AlertKind::Mention, None) => format!("{} mentioned you", alert.from),
        (AlertKind::Thread, Some(room)) => format!("{} replied in a thread in #{room}", alert.from),
        (AlertKind::Thread, None) => format!("{} replied in a thread", alert.from),
    }
}

/// Goes where `alert` happened.
fn go_to(state: ChatState, alert: &Alert) {
    match (&alert.kind, &alert.room) {
        (AlertKind::Dm, _) => state.open(View::Dm(alert.from.clone())),
        (AlertKind::Mention | AlertKind::Thread, Some(room)) => {
            state.open(View::Room(room.clone()));
            if let (AlertKind::Thread, Some(root)) = (&alert.kind, alert.thread) {
                open_thread(state, room.clone(), root, None);
            }
        }
        (AlertKind::Mention | AlertKind::Thread, None) => state.open(View::general()),
    }
}

#[component]
pub fn Alerts() -> impl IntoView {
    let state = expect_context::<ChatState>();
    view! {
        <div class="alerts" aria-live="polite">
            <For
                each=move || state.alerts.get()
                key=|(id, _)| *id
                children=move |(id, alert)| {
                    let title = title(&alert);
                    let preview = alert.preview.clone();
                    let alert = StoredValue::new(alert);
                    view! {
                        <button
                            class="alert"
                            data-testid="alert"
                            on:click=move |_| {
                                alert.with_value(|a| go_to(state, a));
                                state.dismiss_alert(id);
                            }
                        >
                            <strong>{title}</strong>
                            // Read as one sentence: "bob replied in a thread in #dev: hi".
                            <span class="sr-only">": "</span>
                            <span>{preview}</span>
                        </button>
                    }
                }
            />
        </div>
    }
    .into_any()
}
