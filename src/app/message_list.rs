//! The shown conversation's timeline, with older pages on demand. Every
//! piece of user text is rendered as a text node, never as HTML (a
//! message's Markdown through `formatted_text`).

use super::formatted_text::FormattedText;
use super::message_actions::MessageActions;
use super::state::{local_time, ChatState, Line};
use super::sync::history::load_page;
use leptos::html::Ol;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn MessageList() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let list = NodeRef::<Ol>::new();
    let timeline = Memo::new(move |_| state.timeline(&state.current.get()));
    let loading_older = RwSignal::new(false);

    // Keep the newest line in view when one arrives.
    Effect::new(move |last: Option<Option<i64>>| {
        let newest = timeline.with(|t| t.newest_seq());
        if last.flatten() != newest || last.is_none() {
            if let Some(el) = list.get() {
                el.set_scroll_top(el.scroll_height());
            }
        }
        newest
    });

    let load_older = move || {
        if loading_older.get_untracked() || !timeline.with_untracked(|t| t.has_older) {
            return;
        }
        let view = state.current.get_untracked();
        let before = timeline.with_untracked(|t| t.oldest_seq());
        loading_older.set(true);
        spawn_local(async move {
            load_page(state, view, before).await;
            loading_older.set(false);
        });
    };

    view! {
        <ol
            class="messages"
            node_ref=list
            data-testid="messages"
            aria-live="polite"
            on:scroll=move |_| {
                // Scrolled to the top: fetch the page before.
                if list.get_untracked().is_some_and(|el| el.scroll_top() < 40) {
                    load_older();
                }
            }
        >
            <Show when=move || timeline.with(|t| t.has_older)>
                <li class="older">
                    <button class="link" data-testid="load-older" on:click=move |_| load_older() disabled=move || loading_older.get()>
                        {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                    </button>
                </li>
            </Show>
            <Show when=move || timeline.with(|t| t.loaded && t.lines().is_empty())>
                <li class="empty">"No messages yet. Say hello!"</li>
            </Show>
            <For
                each=move || timeline.with(|t| t.lines())
                // A deletion changes a line in place: part of its key.
                key=|(key, line)| (*key, matches!(line, Line::Message { deleted: true, .. }))
                children=move |(_, line)| match line {
                    Line::Message { username, text, timestamp, mine, seq, id, deleted } => {
                        view! {
                            <li class="message" class:mine=mine data-testid="message" data-seq=seq>
                                <div class="meta">
                                    <span class="author">{username.to_string()}</span>
                                    <time datetime=timestamp.0.clone()>{local_time(&timestamp)}</time>
                                    <MessageActions id deleted mine/>
                                </div>
                                {if deleted {
                                    view! {
                                        <p class="text deleted" data-testid="deleted-message">
                                            "This message was deleted by a moderator."
                                        </p>
                                    }
                                        .into_any()
                                } else {
                                    view! { <FormattedText text/> }.into_any()
                                }}
                            </li>
                        }
                            .into_any()
                    }
                    Line::Notice { text } => {
                        view! { <li class="notice" data-testid="notice">{text}</li> }.into_any()
                    }
                    Line::Protected { username, vouched_by, text, timestamp } => {
                        let vouched = match vouched_by {
                            Some(account) => format!("protected message, vouched for by {account}"),
                            None => "protected message".to_owned(),
                        };
                        view! {
                            <li class="message protected" data-testid="protected-message">
                                <div class="meta">
                                    <span class="author">{username.to_string()}</span>
                                    <span class="vouched" data-testid="vouched-by">{vouched}</span>
                                    <time datetime=timestamp.0.clone()>{local_time(&timestamp)}</time>
                                </div>
                                <p class="text">{text}</p>
                            </li>
                        }
                            .into_any()
                    }
                }
            />
        </ol>
    }
    .into_any()
}
