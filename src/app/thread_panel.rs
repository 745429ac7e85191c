//! The thread open beside its room (issue #15, item 3): a panel in its own
//! column on wide screens, a view of its own on phones (it takes the
//! room's place, with Back). Its header names it, shows its first message
//! and the Follow toggle; its replies are a log like the room's, older
//! pages on demand; its own composer answers it. Close (or Escape, or
//! Back) gives the focus back to what opened it. Replies have the room
//! messages' actions (edit, delete, reactions), by id.

use super::focus::focus_later;
use super::formatted_text::FormattedText;
use super::message_actions::MessageActions;
use super::message_edit::{EditButton, EditedMark, MessageEditor};
use super::reaction_bar::ReactionBar;
use super::state::{local_time, ChatState, Line};
use super::sync::threads::{close_thread, follow, load_page, open_thread_key};
use super::text::unique_id;
use super::thread_composer::ThreadComposer;
use crate::model::thread::replies_count;
use crate::protocol::RoomName;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// Closes the thread; the focus goes back to what opened it, else to the
/// room's composer.
fn close(state: ChatState) {
    let opener = state.thread_opener.get_value();
    state.thread_opener.set_value(None);
    close_thread(state);
    let mut back: Vec<String> = opener.into_iter().collect();
    back.push("[data-testid=\"composer\"]".to_owned());
    focus_later(back);
}

/// Whether a key event comes from inside an open dialog (the emoji
/// picker closes itself on Escape: the panel stays).
fn from_dialog(ev: &leptos::ev::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("dialog[open]").ok().flatten())
        .is_some()
}

#[component]
pub fn ThreadPanel() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let open = Memo::new(move |_| open_thread_key(state));
    let title_id = unique_id("thread-title");
    view! {
        {move || {
            open.get()
                .map(|(room, root)| {
                    view! { <OpenThread room root title_id=title_id.clone()/> }
                })
        }}
    }
}

/// The panel of thread `root` of `room` (made afresh for each thread).
#[component]
fn OpenThread(room: RoomName, root: i64, title_id: String) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let list = NodeRef::<html::Ol>::new();
    let error = RwSignal::new(None::<String>);
    let loading_older = RwSignal::new(false);
    let follow_error = RwSignal::new(None::<String>);
    let following = Memo::new(move |_| {
        state
            .thread
            .with(|t| t.as_ref().is_some_and(|t| t.following))
    });
    let loaded = Memo::new(move |_| state.thread.with(|t| t.as_ref().is_some_and(|t| t.loaded)));
    let has_older = Memo::new(move |_| {
        state
            .thread
            .with(|t| t.as_ref().is_some_and(|t| t.has_older))
    });
    let root_line = Memo::new(move |_| {
        state
            .thread
            .with(|t| t.as_ref().and_then(|t| t.root().cloned()))
    });
    let replies = Memo::new(move |_| {
        state
            .thread
            .with(|t| t.as_ref().map(|t| t.replies()).unwrap_or_default())
    });
    let newest = Memo::new(move |_| {
        state
            .thread
            .with(|t| t.as_ref().and_then(|t| t.newest_seq()))
    });

    // The newest page, once; the focus goes to the reply box (or the
    // heading, when one may not reply).
    Effect::new(move |done: Option<()>| {
        if done.is_some() {
            return;
        }
        spawn_local(async move {
            if let Err(e) = load_page(state, None).await {
                error.set(Some(format!("Could not load the thread: {e}")));
            }
        });
        focus_later(vec![
            "[data-testid=\"thread-composer\"]".to_owned(),
            ".thread-panel h2".to_owned(),
        ]);
    });
    // The newest reply in view when one arrives.
    Effect::new(move |_| {
        newest.track();
        if let Some(el) = list.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let load_older = move || {
        if loading_older.get_untracked() || !has_older.get_untracked() {
            return;
        }
        let before = state
            .thread
            .with_untracked(|t| t.as_ref().and_then(|t| t.oldest_seq()));
        loading_older.set(true);
        spawn_local(async move {
            if let Err(e) = load_page(state, before).await {
                error.set(Some(format!("Could not load older replies: {e}")));
            }
            loading_older.set(false);
        });
    };
    let toggle_follow = move |_| {
        let on = !following.get_untracked();
        follow_error.set(None);
        spawn_local(async move {
            if let Err(e) = follow(state, on).await {
                follow_error.set(Some(format!("Not changed: {e}")));
            }
        });
    };
    let account = move || state.account.with(Option::is_some);
    let back_label = format!("Back to #{room}");
    let room_label = format!("#{room}");
    let labelled_by = title_id.clone();

    view! {
        <aside
            class="thread-panel"
            aria-labelledby=labelled_by
            data-testid="thread-panel"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" && !ev.default_prevented() && !from_dialog(&ev) {
                    ev.prevent_default();
                    close(state);
                }
            }
        >
            <header class="thread-header">
                <button
                    type="button"
                    class="thread-back"
                    data-testid="thread-back"
                    aria-label=back_label
                    on:click=move |_| close(state)
                >
                    <span aria-hidden="true">"← "</span>
                    "Back"
                </button>
                <h2 id=title_id tabindex="-1">"Thread"</h2>
                <span class="thread-room">{room_label}</span>
                <Show when=account>
                    <button
                        type="button"
                        class="follow-thread"
                        data-testid="follow-thread"
                        aria-pressed=move || following.get().to_string()
                        title=move || {
                            if following.get() {
                                "New replies notify you"
                            } else {
                                "New replies do not notify you"
                            }
                        }
                        on:click=toggle_follow
                    >
                        {move || if following.get() { "Following" } else { "Follow" }}
                    </button>
                </Show>
                <button
                    type="button"
                    class="icon-button thread-close"
                    data-testid="close-thread"
                    aria-label="Close thread"
                    title="Close thread"
                    on:click=move |_| close(state)
                >
                    "×"
                </button>
            </header>
            <Show when=move || follow_error.with(Option::is_some)>
                <p class="form-error thread-error" role="alert">
                    {move || follow_error.get().unwrap_or_default()}
                </p>
            </Show>
            <div class="messages thread-root" data-testid="thread-root">
                {move || match root_line.get() {
                    Some(line) => view! { <ThreadMessage line is_root=true/> }.into_any(),
                    None => view! { <p class="field-note" role="status">"Loading…"</p> }.into_any(),
                }}
            </div>
            <p class="thread-count" data-testid="thread-count">
                {move || {
                    let count = root_line
                        .with(|l| match l {
                            Some(Line::Message { replies: Some(s), .. }) => s.count,
                            _ => 0,
                        });
                    match (loaded.get(), count) {
                        (true, 0) => "No replies yet".to_owned(),
                        (false, 0) => String::new(),
                        (_, n) => replies_count(n),
                    }
                }}
            </p>
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error thread-error" role="alert" data-testid="thread-error">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            // A log (new replies are read out politely) around a list (so
            // the replies keep their list semantics).
            <div class="thread-log" role="log" aria-label="Replies">
            <ol
                class="messages thread-replies"
                node_ref=list
                data-testid="thread-replies"
                on:scroll=move |_| {
                    if list.get_untracked().is_some_and(|el| el.scroll_top() < 40) {
                        load_older();
                    }
                }
            >
                <Show when=move || has_older.get()>
                    <li class="older">
                        <button
                            class="link"
                            data-testid="load-older-replies"
                            disabled=move || loading_older.get()
                            on:click=move |_| load_older()
                        >
                            {move || if loading_older.get() { "Loading…" } else { "Load older replies" }}
                        </button>
                    </li>
                </Show>
                <For
                    each=move || replies.get()
                    key=|line| match line {
                        Line::Message { seq, change, deleted, .. } => (*seq, *change, *deleted),
                        _ => (0, 0, false),
                    }
                    children=move |line| view! { <li class="message-item"><ThreadMessage line is_root=false/></li> }
                />
            </ol>
            </div>
            <ThreadComposer room root/>
        </aside>
    }
}

/// The root or a reply, with the actions a room message has (edit,
/// delete, reactions); `in_thread` tells them apart from the same message
/// in the room.
#[component]
fn ThreadMessage(line: Line, is_root: bool) -> impl IntoView {
    let Line::Message {
        username,
        text,
        timestamp,
        mine,
        id,
        deleted,
        edited,
        reactions,
        in_room,
        ..
    } = line
    else {
        return None;
    };
    let testid = if is_root {
        "thread-root-message"
    } else {
        "reply"
    };
    Some(view! {
        <div class="message" class:mine=mine data-testid=testid data-id=id>
            <div class="meta">
                <span class="author">{username.to_string()}</span>
                <time datetime=timestamp.0.clone()>{local_time(&timestamp)}</time>
                <EditedMark id edited mine text=text.clone()/>
                {(!is_root && in_room).then(|| view! { <span class="also-in-room">"also sent to the room"</span> })}
                {(!is_root).then(|| view! {
                    <MessageActions id deleted mine/>
                    <EditButton id mine deleted in_thread=true/>
                })}
            </div>
            {if deleted {
                view! { <p class="text deleted" data-testid="deleted-message">"This message was deleted."</p> }
                    .into_any()
            } else {
                view! { <FormattedText text=text.clone()/> }.into_any()
            }}
            {(!is_root).then(|| view! { <MessageEditor id text in_thread=true/> })}
            <ReactionBar id reactions deleted in_thread=true/>
        </div>
    })
}
