//! The room directory: search the public rooms (as you type, a moment
//! after the last key), see their topics and member counts, join one.

use super::dialog::Modal;
use super::state::ChatState;
use super::sync::rooms::{join_room, search_directory};
use crate::protocol::limits::MAX_DIRECTORY_QUERY_CHARS;
use crate::protocol::rooms::DirectoryEntry;
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// How long after the last key the directory is asked.
const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn DirectoryDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Modal open title="Room directory" id="directory-title" testid="directory-dialog">
            <DirectoryBody open/>
        </Modal>
    }
}

#[component]
fn DirectoryBody(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let query = RwSignal::new(String::new());
    // None until the first answer.
    let rooms = RwSignal::new(None::<Vec<DirectoryEntry>>);
    let error = RwSignal::new(None::<String>);
    let searching = RwSignal::new(true);
    // Each search has a number; only the newest one's answer is shown.
    let generation = StoredValue::new(0u64);

    let search = move |text: String, delay: Duration| {
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        searching.set(true);
        set_timeout(
            move || {
                if generation.try_get_value() != Some(mine) {
                    return;
                }
                spawn_local(async move {
                    let answer = search_directory(state, &text).await;
                    if generation.try_get_value() != Some(mine) {
                        return;
                    }
                    searching.set(false);
                    match answer {
                        Ok(found) => {
                            error.set(None);
                            rooms.set(Some(found));
                        }
                        Err(e) => error.set(Some(format!("The search failed: {e}"))),
                    }
                });
            },
            delay,
        );
    };
    search(String::new(), Duration::ZERO);

    let status = move || {
        if searching.get() {
            return "Searching…".to_owned();
        }
        let q = query.get();
        match rooms.with(|r| r.as_ref().map(Vec::len)) {
            None => String::new(),
            Some(0) if q.trim().is_empty() => {
                "There are no public rooms yet: make one with “New room”.".to_owned()
            }
            Some(0) => format!("No public room matches “{}”. Try another word.", q.trim()),
            Some(1) => "1 room".to_owned(),
            Some(n) => format!("{n} rooms"),
        }
    };

    view! {
        <div class="modal-body">
            <label for="directory-query">"Search public rooms"</label>
            <input
                id="directory-query"
                type="search"
                autofocus
                data-testid="directory-query"
                placeholder="Name or topic"
                maxlength=MAX_DIRECTORY_QUERY_CHARS
                aria-describedby="directory-status"
                prop:value=move || query.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    query.set(text.clone());
                    search(text, DEBOUNCE);
                }
            />
            <p id="directory-status" class="field-note" role="status" data-testid="directory-status">
                {status}
            </p>
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error" role="alert" data-testid="directory-error">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            <ul class="directory" data-testid="directory-list" aria-busy=move || searching.get().to_string()>
                <For
                    each=move || rooms.get().unwrap_or_default()
                    key=|entry| (entry.room.clone(), entry.members, entry.topic.clone())
                    children=move |entry| view! { <DirectoryRow entry open/> }
                />
            </ul>
        </div>
    }
}

/// One public room: name, topic, members, and Join (or Open, for a room
/// already in the list).
#[component]
fn DirectoryRow(entry: DirectoryEntry, open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let room: RoomName = entry.room.clone();
    let name = room.to_string();
    let joining = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let member_text = match entry.members {
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    let already = {
        let room = room.clone();
        Memo::new(move |_| state.rooms.with(|r| r.contains(&room)))
    };
    let target = StoredValue::new(room);
    let join = move |_| {
        if joining.get_untracked() {
            return;
        }
        joining.set(true);
        error.set(None);
        spawn_local(async move {
            match join_room(state, target.get_value()).await {
                Ok(()) => open.set(false),
                Err(e) => {
                    joining.set(false);
                    error.set(Some(format!("Could not join: {e}")));
                }
            }
        });
    };
    let label = {
        let name = name.clone();
        move || {
            if already.get() {
                format!("Open #{name}")
            } else {
                format!("Join #{name}")
            }
        }
    };
    let topic = entry.topic.as_str().to_owned();
    view! {
        <li class="directory-room" data-testid="directory-room" data-room=name.clone()>
            <div class="directory-text">
                <span class="directory-name">"#" {name.clone()}</span>
                <span class="directory-members">{member_text}</span>
                <Show when={
                    let empty = topic.is_empty();
                    move || !empty
                }>
                    <span class="directory-topic">{topic.clone()}</span>
                </Show>
                <Show when=move || error.with(Option::is_some)>
                    <span class="form-error" role="alert">{move || error.get().unwrap_or_default()}</span>
                </Show>
            </div>
            <button
                type="button"
                class="primary small"
                aria-label=label.clone()
                data-testid="directory-join"
                disabled=move || joining.get()
                on:click=join
            >
                {move || {
                    if joining.get() {
                        "Joining…"
                    } else if already.get() {
                        "Open"
                    } else {
                        "Join"
                    }
                }}
            </button>
        </li>
    }
}
