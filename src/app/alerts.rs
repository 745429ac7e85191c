//! Notifications (DMs and mentions that arrived elsewhere), as toasts.

use super::state::{ChatState, View};
use crate::protocol::notifications::AlertKind;
use leptos::prelude::*;

#[component]
pub fn Alerts() -> impl IntoView {
    let state = expect_context::<ChatState>();
    view! {
        <div class="alerts" aria-live="polite">
            <For
                each=move || state.alerts.get()
                key=|(id, _)| *id
                children=move |(id, alert)| {
                    let title = match (&alert.kind, &alert.room) {
                        (AlertKind::Dm, _) => format!("{} sent you a message", alert.from),
                        (AlertKind::Mention, Some(room)) => format!("{} mentioned you in #{room}", alert.from),
                        (AlertKind::Mention, None) => format!("{} mentioned you", alert.from),
                        (AlertKind::Thread, Some(room)) => format!("{} replied in a thread in #{room}", alert.from),
                        (AlertKind::Thread, None) => format!("{} replied in a thread", alert.from),
                    };
                    let target = match (&alert.kind, &alert.room) {
                        (AlertKind::Dm, _) => View::Dm(alert.from.clone()),
                        (AlertKind::Mention | AlertKind::Thread, Some(room)) => View::Room(room.clone()),
                        (AlertKind::Mention | AlertKind::Thread, None) => View::general(),
                    };
                    let target = StoredValue::new(target);
                    view! {
                        <button
                            class="alert"
                            data-testid="alert"
                            on:click=move |_| {
                                state.open(target.get_value());
                                state.dismiss_alert(id);
                            }
                        >
                            <strong>{title}</strong>
                            <span>{alert.preview.clone()}</span>
                        </button>
                    }
                }
            />
        </div>
    }
    .into_any()
}
