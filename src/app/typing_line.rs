//! Under the composer: who else is typing in the conversation shown
//! ("Ann is typing…"), announced politely to screen readers.

use super::state::ChatState;
use super::sync::typing::TypingState;
use leptos::prelude::*;

#[component]
pub fn TypingLine() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let typing = expect_context::<TypingState>();
    let line = Memo::new(move |_| typing.line(state));
    view! {
        <p class="typing-line" aria-live="polite" data-testid="typing-line">
            {move || line.get().unwrap_or_default()}
        </p>
    }
}
