//! The shown conversation's timeline, with older pages on demand. Every
//! piece of user text is rendered as a text node, never as HTML (a
//! message's Markdown through `formatted_text`). A thread's replies show
//! in its panel (`thread_panel`), not here, unless sent to the room too;
//! a root shows its replies' summary (`thread_links`).

use super::formatted_text::FormattedText;
use super::message_actions::MessageActions;
use super::message_edit::{EditButton, EditedMark, MessageEditor};
use super::reaction_bar::ReactionBar;
use super::state::{local_time, ChatState, Line, View};
use super::sync::history::load_page;
use super::thread_links::{RepliedToThread, ReplyInThread, ThreadSummaryButton};
use leptos::html::Ol;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What a deleted message's place says, whoever deleted it (its author,
/// or in a room a moderator: the tombstone does not say which).
const TOMBSTONE: &str = "This message was deleted.";

#[component]
pub fn MessageList() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let list = NodeRef::<Ol>::new();
    let timeline = Memo::new(move |_| state.timeline(&state.current.get()));
    let loading_older = RwSignal::new(false);
    // The first message from someone else after what was read when the
    // room was opened: the "new messages" line goes above it.
    let first_unread = Memo::new(move |_| {
        let view = state.current.get();
        let View::Room(room) = &view else {
            return None;
        };
        let mark = state
            .divider
            .with(|d| d.as_ref().filter(|(r, _)| r == room).map(|(_, m)| *m))?;
        timeline.with(|t| t.first_unread_after(mark))
    });
    // Scrolled up more than a screen: offer a way back to the newest.
    let away = RwSignal::new(false);
    let to_bottom = move || {
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
    };

    // Open a room at its first unread message, else at the bottom; keep
    // the newest line in view when one arrives.
    Effect::new(move |last: Option<(Option<i64>, bool)>| {
        // A reply kept to its thread shows nothing here: no scrolling.
        let newest = timeline.with(|t| t.newest_shown_seq());
        let unread = first_unread.get();
        let opened_at_unread = last.is_some_and(|(_, at)| at);
        let Some(el) = list.get() else {
            return (newest, opened_at_unread);
        };
        if !opened_at_unread && newest.is_some() {
            if let Some(seq) = unread {
                let selector = format!("[data-seq=\"{seq}\"]");
                if let Ok(Some(line)) = el.query_selector(&selector) {
                    line.scroll_into_view();
                    return (newest, true);
                }
            }
        }
        if last.map(|(n, _)| n) != Some(newest) {
            el.set_scroll_top(el.scroll_height());
        }
        (newest, opened_at_unread)
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
                let Some(el) = list.get_untracked() else { return };
                // Scrolled to the top: fetch the page before.
                if el.scroll_top() < 40 {
                    load_older();
                }
                let below = el.scroll_height() - el.scroll_top() - el.client_height();
                away.set(below > el.client_height());
            }
        >
            <Show when=move || timeline.with(|t| t.has_older)>
                <li class="older">
                    <button class="link" data-testid="load-older" on:click=move |_| load_older() disabled=move || loading_older.get()>
                        {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                    </button>
                </li>
            </Show>
            <Show when=move || timeline.with(|t| t.loaded && t.shows_nothing())>
                <li class="empty">"No messages yet. Say hello!"</li>
            </Show>
            <For
                // The list stays while another room or conversation is
                // shown, and `seq`s repeat across them (every room has a
                // message 1): the view is part of the key, or a line of
                // the room shown before would stay in place of this one's.
                each=move || {
                    let view = state.current.get();
                    timeline.with(|t| {
                        t.shown_lines()
                            .into_iter()
                            .map(|(key, line)| (view.clone(), key, line))
                            .collect::<Vec<_>>()
                    })
                }
                // A change (an edit, a deletion, a reaction) rewrites a
                // line in place: its number is part of the key.
                key=|(view, key, line)| (view.clone(), *key, match line {
                    Line::Message { change, deleted, .. } => (*change, *deleted),
                    _ => (0, false),
                })
                children=move |(_, _, line)| match line {
                    Line::Message { username, text, timestamp, mine, seq, id, deleted, edited, reactions, thread, replies, .. } => {
                        view! {
                            <li class="message" class:mine=mine data-testid="message" data-seq=seq>
                                <Show when=move || first_unread.get() == Some(seq)>
                                    <div class="unread-divider" role="separator" data-testid="unread-divider">
                                        "New messages"
                                    </div>
                                </Show>
                                <div class="meta">
                                    <span class="author">{username.to_string()}</span>
                                    <time datetime=timestamp.0.clone()>{local_time(&timestamp)}</time>
                                    <EditedMark id edited mine text=text.clone()/>
                                    <RepliedToThread id thread/>
                                    <MessageActions id deleted mine/>
                                    <EditButton id mine deleted/>
                                    <ReplyInThread id deleted thread/>
                                </div>
                                {if deleted {
                                    view! {
                                        <p class="text deleted" data-testid="deleted-message">
                                            {TOMBSTONE}
                                        </p>
                                    }
                                        .into_any()
                                } else {
                                    view! { <FormattedText text=text.clone()/> }.into_any()
                                }}
                                // Edits and reactions (issue #15): the editor takes the text's place.
                                <MessageEditor id text/>
                                <ReactionBar id reactions deleted/>
                                <ThreadSummaryButton id replies/>
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
        <Show when=move || away.get()>
            <button class="jump-latest" data-testid="jump-latest" on:click=move |_| to_bottom()>
                "Jump to latest ↓"
            </button>
        </Show>
    }
    .into_any()
}
