//! The current room's timeline. Every piece of user text is rendered as a
//! text node, never as HTML.

use super::state::{local_time, ChatState, Line};
use leptos::html::Ol;
use leptos::prelude::*;

#[component]
pub fn MessageList() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let list = NodeRef::<Ol>::new();

    // Keep the newest line in view.
    Effect::new(move |_| {
        let count = state.lines().len();
        if let Some(el) = list.get() {
            el.set_scroll_top(el.scroll_height());
        }
        count
    });

    view! {
        <ol class="messages" node_ref=list data-testid="messages" aria-live="polite">
            <Show when=move || state.lines().is_empty()>
                <li class="empty">"No messages yet. Say hello!"</li>
            </Show>
            <For
                each=move || state.lines()
                key=Line::id
                children=move |line| match line {
                    Line::Message { username, text, timestamp, mine, .. } => {
                        view! {
                            <li class="message" class:mine=mine data-testid="message">
                                <div class="meta">
                                    <span class="author">{username.to_string()}</span>
                                    <time datetime=timestamp.0.clone()>{local_time(&timestamp)}</time>
                                </div>
                                <p class="text">{text}</p>
                            </li>
                        }
                            .into_any()
                    }
                    Line::Notice { text, .. } => {
                        view! { <li class="notice" data-testid="notice">{text}</li> }.into_any()
                    }
                }
            />
        </ol>
    }
    .into_any()
}
