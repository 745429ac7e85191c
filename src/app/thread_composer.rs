//! The thread panel's own composer: a reply to the thread open. Enter
//! sends, Shift+Enter starts a new line, Escape empties it (and, empty,
//! lets the panel close); Up in it empty edits this account's last reply.
//! "Also send to #room" shows the reply in the room's timeline too. What
//! is typed is kept per thread (`sync::drafts`) until sent. A refused
//! reply shows why and gives the text back; the room's holds (muted,
//! archived, locked, removed) and slow mode apply as in the room's
//! composer, and a thread whose first message was deleted takes no reply.

use super::message_edit::edit_last_reply;
use super::room_state::Hold;
use super::state::ChatState;
use super::sync::drafts;
use super::sync::emoji_list;
use super::sync::moderation::{show_send_failure, slow_countdown};
use super::sync::threads::send_reply;
use super::text::{message_to_send, unique_id};
use super::write_area::room_hold;
use crate::protocol::limits::MAX_MESSAGE_CHARS;
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ThreadComposer(room: RoomName, root: i64) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let room = StoredValue::new(room);
    let hold = Memo::new(move |_| room.with_value(|r| room_hold(state, r)));
    let root_deleted = Memo::new(move |_| {
        state
            .thread
            .with(|t| t.as_ref().is_some_and(|t| t.root_deleted()))
    });
    view! {
        {move || match (hold.get(), root_deleted.get()) {
            (Some(Hold::Removed(text) | Hold::Muted(text) | Hold::Closed(text)), _) => {
                view! { <p class="hold" role="status" data-testid="thread-composer-hold">{text}</p> }
                    .into_any()
            }
            (None, true) => {
                view! {
                    <p class="hold" role="status" data-testid="thread-composer-hold">
                        "The thread's first message was deleted: it takes no new replies."
                    </p>
                }
                    .into_any()
            }
            (None, false) => view! { <ReplyForm room=room.get_value() root/> }.into_any(),
        }}
    }
}

#[component]
fn ReplyForm(room: RoomName, root: i64) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let room = StoredValue::new(room);
    let text = RwSignal::new(String::new());
    let also = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let held = RwSignal::new(false);
    let wait = slow_countdown(state);
    let also_id = unique_id("also-to-room");
    let hint_id = unique_id("reply-hint");
    // The draft of this thread (in the browser, after hydration).
    Effect::new(move |_| {
        text.set(
            room.with_value(|r| drafts::load_reply(r, root))
                .unwrap_or_default(),
        );
    });
    let save_draft = move |value: &str| room.with_value(|r| drafts::save_reply(r, root, value));

    let send = move || {
        if held.get_untracked() || wait.get_untracked() > 0 {
            return;
        }
        let typed = text.get_untracked();
        emoji_list::with_shortcodes(typed.clone(), move |raw| {
            // With a `:code:` and no emoji list yet, this runs once the list
            // is here: it sends only what is still typed.
            if text.try_get_untracked().as_ref() != Some(&typed) {
                return;
            }
            let Some(message) = message_to_send(&raw, error) else {
                return;
            };
            error.set(None);
            text.set(String::new());
            save_draft("");
            let to_room = also.get_untracked();
            also.set(false);
            let room = room.get_value();
            spawn_local(async move {
                let result = send_reply(state, room, root, message, to_room).await;
                let Err(e) = result else {
                    return;
                };
                show_send_failure(e, held, error);
                // Give the text (and the choice) back unless something new
                // was typed.
                if text.with_untracked(String::is_empty) {
                    save_draft(&raw);
                    text.set(raw);
                    also.set(to_room);
                }
            });
        });
    };

    let room_name = room.get_value();
    let also_label = format!("Also send to #{room_name}");
    let also_for = also_id.clone();
    view! {
        <form
            class="composer thread-composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
        >
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error" role="alert" data-testid="thread-composer-error">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            <Show when=move || { wait.get() > 0 }>
                <p class="field-note" role="timer">
                    {move || format!("Slow mode: you can send again in {} s", wait.get())}
                </p>
            </Show>
            <textarea
                data-testid="thread-composer"
                rows="2"
                placeholder="Reply…"
                aria-label="Reply"
                aria-describedby=hint_id.clone()
                maxlength=MAX_MESSAGE_CHARS
                prop:value=move || text.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    save_draft(&value);
                    text.set(value);
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.is_composing() {
                        return;
                    }
                    match ev.key().as_str() {
                        "Enter" if !ev.shift_key() => {
                            ev.prevent_default();
                            send();
                        }
                        // Empties it; an empty one lets Escape close the panel.
                        "Escape" if !text.with_untracked(String::is_empty) => {
                            ev.prevent_default();
                            ev.stop_propagation();
                            text.set(String::new());
                            error.set(None);
                            save_draft("");
                        }
                        "ArrowUp" if text.with_untracked(String::is_empty) && edit_last_reply(state) => {
                            ev.prevent_default();
                        }
                        _ => {}
                    }
                }
            ></textarea>
            <p class="sr-only" id=hint_id>
                "Enter sends, Shift+Enter starts a new line, Escape empties the box"
            </p>
            <div class="thread-composer-row">
                <label class="also-to-room" for=also_for>
                    <input
                        type="checkbox"
                        id=also_id
                        data-testid="also-to-room"
                        prop:checked=move || also.get()
                        on:change=move |ev| also.set(event_target_checked(&ev))
                    />
                    {also_label}
                </label>
                <button
                    type="submit"
                    data-testid="send-reply"
                    disabled=move || { held.get() || wait.get() > 0 }
                    title=move || (held.get() || wait.get() > 0).then_some("Wait: sending too fast")
                >
                    "Send"
                </button>
            </div>
        </form>
    }
}
