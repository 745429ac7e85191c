//! What a room's messages say of threads (issue #15, item 3): "Reply in
//! thread" among a message's actions, the root's summary ("3 replies ·
//! last reply 14:05 · bob, ann") under it, and "replied to a thread" on a
//! reply sent to the room. Each opens the thread beside the room
//! (`sync::threads`); the focus comes back to it when the thread closes.

use super::state::{local_time, ChatState, View};
use super::sync::threads::open_thread;
use crate::model::thread::{summary_label, summary_text};
use crate::protocol::thread_summary::ThreadSummary;
use leptos::prelude::*;

fn selector(testid: &str, id: i64) -> String {
    format!("[data-testid=\"messages\"] [data-testid=\"{testid}\"][data-id=\"{id}\"]")
}

/// Opens thread `root` of the room shown; the focus comes back to the
/// element `testid` of message `id` after.
fn open_from(state: ChatState, root: i64, testid: &str, id: i64) {
    if let View::Room(room) = state.current.get_untracked() {
        open_thread(state, room, root, Some(selector(testid, id)));
    }
}

/// Whether thread `root` is the one open (tracked).
fn is_open(state: ChatState, root: i64) -> bool {
    state
        .thread
        .with(|t| t.as_ref().is_some_and(|t| t.root_id == root))
}

/// "Reply in thread", for a room message that is not a reply itself and
/// not deleted.
#[component]
pub fn ReplyInThread(id: i64, deleted: bool, thread: Option<i64>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let shown =
        move || !deleted && thread.is_none() && state.current.with(|v| matches!(v, View::Room(_)));
    view! {
        <Show when=shown>
            <button
                type="button"
                class="link small-link"
                data-testid="reply-in-thread"
                data-id=id
                on:click=move |_| open_from(state, id, "reply-in-thread", id)
            >
                "Reply in thread"
            </button>
        </Show>
    }
}

/// Under a thread's first message: how many replies, when the last came
/// and who wrote them; a button that opens the thread.
#[component]
pub fn ThreadSummaryButton(id: i64, replies: Option<ThreadSummary>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let summary = replies.filter(|s| s.count > 0)?;
    let time = local_time(&summary.last);
    let text = summary_text(&summary, &time);
    let label = summary_label(&summary, &time);
    Some(view! {
        <button
            type="button"
            class="thread-summary"
            data-testid="thread-summary"
            data-id=id
            aria-label=label
            aria-expanded=move || is_open(state, id).to_string()
            on:click=move |_| open_from(state, id, "thread-summary", id)
        >
            <span class="thread-icon" aria-hidden="true">"↳"</span>
            {text}
        </button>
    })
}

/// On a reply sent to the room too: a link to its thread.
#[component]
pub fn RepliedToThread(id: i64, thread: Option<i64>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let root = thread?;
    Some(view! {
        <button
            type="button"
            class="link small-link replied-to"
            data-testid="open-reply-thread"
            data-id=id
            aria-expanded=move || is_open(state, root).to_string()
            on:click=move |_| open_from(state, root, "open-reply-thread", id)
        >
            "replied to a thread"
        </button>
    })
}
