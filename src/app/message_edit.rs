//! Editing one's own messages, in rooms and direct conversations alike
//! (issue #15): the Edit button, the editor that takes the text's place
//! (Enter saves, Shift+Enter starts a new line, Escape cancels), Up in an
//! empty composer to edit one's last message, and "(edited)" with the
//! earlier versions for the author (and in a room its moderators). The
//! server decides; a refusal shows beside the editor with what to do.

use super::dialog::Modal;
use super::focus::{focus_later, local_date_time};
use super::state::{local_time, ChatState, Editing, Line, View};
use super::sync::emoji_list;
use super::sync::message_changes::{edit, versions};
use super::text::{capitalise, unique_id};
use crate::protocol::chat::Timestamp;
use crate::protocol::limits::MAX_MESSAGE_CHARS;
use crate::protocol::message_changes::Version;
use crate::protocol::MessageText;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whether the view shown is a direct conversation.
fn direct_shown(state: ChatState) -> bool {
    state.current.with(|v| matches!(v, View::Dm(_)))
}

fn logged_in(state: ChatState) -> bool {
    state.account.with(Option::is_some)
}

/// Where the focus goes when the editor closes.
fn give_focus_back(editing: Editing) {
    // A reply sent to the room shows in both the room and the thread.
    let (scope, composer) = match editing.in_thread {
        true => (".thread-panel ", "[data-testid=\"thread-composer\"]"),
        false => ("[data-testid=\"messages\"] ", "[data-testid=\"composer\"]"),
    };
    let edit_button = format!(
        "{scope}[data-testid=\"edit-message\"][data-id=\"{}\"]",
        editing.id
    );
    let composer = composer.to_owned();
    focus_later(if editing.from_composer {
        vec![composer, edit_button]
    } else {
        vec![edit_button, composer]
    });
}

/// Up in an empty composer: edits this account's last message in the room
/// or conversation shown. Whether there was one.
pub fn edit_last_message(state: ChatState) -> bool {
    let view = state.current.get_untracked();
    if !state.account.with_untracked(Option::is_some) {
        return false;
    }
    let lines = state.timeline_untracked(&view).shown_lines();
    edit_last_of(state, lines.into_iter().map(|(_, line)| line), false)
}

/// Up in the thread panel's empty composer: edits this account's last
/// reply in the thread open. Whether there was one.
pub fn edit_last_reply(state: ChatState) -> bool {
    if !state.account.with_untracked(Option::is_some) {
        return false;
    }
    let replies = state
        .thread
        .with_untracked(|t| t.as_ref().map(|t| t.replies()).unwrap_or_default());
    edit_last_of(state, replies.into_iter(), true)
}

/// Edits the last of `lines` that is this account's and not deleted.
fn edit_last_of(
    state: ChatState,
    lines: impl DoubleEndedIterator<Item = Line>,
    in_thread: bool,
) -> bool {
    let last = lines.rev().find_map(|line| match line {
        Line::Message {
            id,
            mine: true,
            deleted: false,
            ..
        } => Some(id),
        _ => None,
    });
    match last {
        Some(id) => {
            state.editing.set(Some(Editing {
                id,
                direct: state.current.with_untracked(|v| matches!(v, View::Dm(_))),
                from_composer: true,
                in_thread,
            }));
            true
        }
        None => false,
    }
}

/// "Edit" among a message's actions: one's own, not deleted, logged in
/// (`in_thread`: in the thread panel).
#[component]
pub fn EditButton(
    id: i64,
    mine: bool,
    deleted: bool,
    #[prop(optional)] in_thread: bool,
) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let shown = move || mine && !deleted && logged_in(state);
    view! {
        <Show when=shown>
            <button
                type="button"
                class="link small-link"
                data-testid="edit-message"
                data-id=id
                on:click=move |_| {
                    let direct = direct_shown(state);
                    state.editing.set(Some(Editing { id, direct, from_composer: false, in_thread }))
                }
            >
                "Edit"
            </button>
        </Show>
    }
}

/// The editor of message `id`, shown in place of its text while it is
/// being edited (the stylesheet hides the text beside it); `in_thread`:
/// the one in the thread panel.
#[component]
pub fn MessageEditor(id: i64, text: String, #[prop(optional)] in_thread: bool) -> impl IntoView {
    let state = expect_context::<ChatState>();
    // A direct message may share a room message's id.
    let editing = Memo::new(move |_| {
        let direct = direct_shown(state);
        state
            .editing
            .get()
            .filter(|e| e.direct == direct && e.id == id && e.in_thread == in_thread)
    });
    let source = StoredValue::new(text);
    view! {
        {move || {
            editing.get().map(|e| view! { <EditForm editing=e source=source.get_value()/> })
        }}
    }
}

#[component]
fn EditForm(editing: Editing, source: String) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let id = editing.id;
    let draft = RwSignal::new(source.clone());
    let source = StoredValue::new(source);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let area = NodeRef::<html::Textarea>::new();
    let hint_id = unique_id("edit-hint");
    let error_id = unique_id("edit-error");
    Effect::new(move |_| {
        if let Some(el) = area.get() {
            let _ = el.focus();
            let end = el.value().encode_utf16().count() as u32;
            let _ = el.set_selection_range(end, end);
        }
    });
    let close = move || {
        state.editing.set(None);
        give_focus_back(editing);
    };
    let save = move || {
        if busy.get_untracked() {
            return;
        }
        let typed = draft.get_untracked();
        emoji_list::with_shortcodes(typed.clone(), move |raw| {
            // With a `:code:` and no emoji list yet, this runs once the list
            // is here: it saves only what is still typed, if still editing.
            if draft.try_get_untracked().as_ref() != Some(&typed)
                || busy.try_get_untracked() != Some(false)
            {
                return;
            }
            if source.with_value(|s| *s == raw) {
                return close();
            }
            let message = match MessageText::parse(&raw) {
                Ok(m) => m,
                Err(e) => {
                    return error.set(Some(format!(
                        "{}. Change the text, or press Escape to keep the message as it was.",
                        capitalise(&e.to_string())
                    )))
                }
            };
            let view = state.current.get_untracked();
            if matches!(view, View::Dm(_)) != editing.direct {
                return close();
            }
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = edit(state, view, id, message).await;
                busy.set(false);
                match result {
                Ok(_) => close(),
                Err(e) => error.set(Some(format!(
                    "Not saved: {}. Press Enter to try again, or Escape to keep the message as it was.",
                    e.to_string().trim_end_matches('.')
                ))),
            }
            });
        });
    };
    let described_by = format!("{hint_id} {error_id}");
    view! {
        <div class="edit-form" data-testid="edit-form">
            <textarea
                node_ref=area
                data-testid="edit-text"
                aria-label="Edit message"
                aria-describedby=described_by
                rows="2"
                maxlength=MAX_MESSAGE_CHARS
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.is_composing() {
                        return;
                    }
                    match ev.key().as_str() {
                        "Enter" if !ev.shift_key() => {
                            ev.prevent_default();
                            save();
                        }
                        "Escape" => {
                            ev.prevent_default();
                            ev.stop_propagation();
                            close();
                        }
                        _ => {}
                    }
                }
            ></textarea>
            <div class="edit-row">
                <span class="field-note" id=hint_id>
                    "Enter saves, Shift+Enter starts a new line, Escape cancels"
                </span>
                <button type="button" class="small primary" data-testid="edit-save" disabled=move || busy.get() on:click=move |_| save()>
                    {move || if busy.get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" class="small secondary" on:click=move |_| close()>
                    "Cancel"
                </button>
            </div>
            <p class="form-error" role="alert" id=error_id data-testid="edit-error">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// "(edited)" after a message's time, titled with when; a button that
/// opens the earlier versions for the author (and in a room its
/// moderators).
#[component]
pub fn EditedMark(
    id: i64,
    edited: Option<Timestamp>,
    mine: bool,
    text: String,
) -> Option<impl IntoView> {
    let state = expect_context::<ChatState>();
    let edited = edited?;
    let title = format!("Edited {}", local_date_time(&edited));
    let view = state.current.get_untracked();
    let may_read = {
        let view = view.clone();
        move || {
            logged_in(state)
                && (mine
                    || matches!(&view, View::Room(room)
                        if state.room_state.mark(room).is_some_and(|m| m.moderates())))
        }
    };
    let open = RwSignal::new(false);
    let mounted = RwSignal::new(false);
    let loaded = RwSignal::new(None::<Result<Vec<Version>, String>>);
    let title_id = unique_id("versions-title");
    let show = move |_| {
        mounted.set(true);
        open.set(true);
        loaded.set(None);
        let view = view.clone();
        spawn_local(async move {
            let result = versions(state, view, id).await.map_err(|e| e.to_string());
            loaded.set(Some(result));
        });
    };
    let now = StoredValue::new((text, edited.clone()));
    let mark = title.clone();
    Some(view! {
        <Show
            when=may_read
            fallback=move || view! { <span class="edited" title=mark.clone()>"(edited)"</span> }
        >
            <button
                type="button"
                class="link small-link edited"
                title=title.clone()
                data-testid="edited"
                on:click=show.clone()
            >
                "(edited)"
            </button>
        </Show>
        <Show when=move || mounted.get()>
            <Modal
                open
                title="Earlier versions"
                id=title_id.clone()
                testid="versions-dialog"
            >
                <div class="modal-body">
                    {move || match loaded.get() {
                        None => view! { <p role="status">"Loading…"</p> }.into_any(),
                        Some(Err(e)) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {format!("Could not load the earlier versions: {e}")}
                                </p>
                            }
                                .into_any()
                        }
                        Some(Ok(list)) => {
                            let (text, edited) = now.get_value();
                            view! {
                                <ol class="versions" data-testid="versions">
                                    {list
                                        .into_iter()
                                        .map(|v| {
                                            view! {
                                                <li data-testid="version">
                                                    <time datetime=v.timestamp.0.clone()>
                                                        {local_date_time(&v.timestamp)}
                                                    </time>
                                                    <p class="version-text">{v.message.as_str().to_owned()}</p>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                    <li class="current">
                                        <time datetime=edited.0.clone()>
                                            {format!("Now (edited {})", local_time(&edited))}
                                        </time>
                                        <p class="version-text">{text}</p>
                                    </li>
                                </ol>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </Modal>
        </Show>
    })
}
