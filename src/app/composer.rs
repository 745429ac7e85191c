//! Writing a message: Enter sends, Shift+Enter starts a new line, Escape
//! cancels (empties it). A refused send shows why and gives the text back.
//! What is typed is kept as the conversation's draft (`sync::drafts`)
//! until sent, and typing tells the others (`sync::typing`). `@name` and
//! `:code` complete (`completion.rs`), whose open list takes the keys
//! first.

use super::completion::{Completion, CompletionPopup};
use super::message_edit::edit_last_message;
use super::state::{ChatState, View};
use super::sync::drafts;
use super::sync::emoji_list;
use super::sync::moderation::{after_refusal, after_send, show_send_failure, slow_countdown};
use super::sync::typing::TypingState;
use super::text::message_to_send;
use crate::client::{new_client_message_id, EmitError};
use crate::protocol::chat::SendMessage;
use crate::protocol::direct::SendDm;
use crate::protocol::limits::MAX_MESSAGE_CHARS;
use crate::protocol::ClientEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A rate-limit wait up to this long is waited out quietly and the send
/// retried (a burst of queued messages flushing after a reconnect, say);
/// a longer one is shown, and the Send button held.
const QUIET_RETRY_MS: u64 = 1000;

/// Sends, retrying with the same client id when no answer came (the server
/// stores a retried id once), and after a short rate-limit wait.
async fn send_with_retries<E: ClientEvent>(
    state: ChatState,
    send: &E,
    has_id: bool,
) -> Result<(), EmitError> {
    let mut attempts = 0;
    let mut waits = 0;
    loop {
        attempts += 1;
        match state.client.emit_with_ack(send).await {
            Ok(_) => return Ok(()),
            Err(EmitError::Timeout | EmitError::Disconnected) if attempts < 3 && has_id => {}
            Err(EmitError::RateLimited(ms)) if ms <= QUIET_RETRY_MS && waits < 5 => {
                waits += 1;
                sleep_ms(ms).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Resolves after `ms` milliseconds (the browser's timer).
async fn sleep_ms(ms: u64) {
    let (tx, rx) = futures_channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = tx.send(());
        },
        std::time::Duration::from_millis(ms),
    );
    let _ = rx.await;
}

#[component]
pub fn Composer() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let typing = expect_context::<TypingState>();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // Set while the server's rate limit holds sends back: the button is
    // disabled until the wait it named is over.
    let held = RwSignal::new(false);
    // Slow mode: seconds until the room shown takes this page's next message.
    let wait = slow_countdown(state);
    // What is typed, or put in by the completion: kept as the draft, and
    // the others are told.
    let edited = move |value: String| {
        let view = state.current.get_untracked();
        drafts::save(&view, &value);
        if !value.trim().is_empty() {
            typing.typed(state, view);
        }
        text.set(value);
    };
    let textarea = NodeRef::<html::Textarea>::new();
    let completion = Completion::new(textarea, Callback::new(edited));
    // The draft of the conversation shown, whenever it changes (in the
    // browser, after hydration).
    Effect::new(move |_| {
        let view = state.current.get();
        text.set(drafts::load(&view).unwrap_or_default());
        error.set(None);
        completion.close();
    });

    let send = move || {
        if held.get_untracked() || wait.get_untracked() > 0 {
            return;
        }
        let typed = text.get_untracked();
        let typed_in = state.current.get_untracked();
        emoji_list::with_shortcodes(typed.clone(), move |raw| {
            // With a `:code:` and no emoji list yet, this runs once the list
            // is here: it sends only what is still typed, where it was typed.
            if text.try_get_untracked().as_ref() != Some(&typed)
                || state.current.try_get_untracked().as_ref() != Some(&typed_in)
            {
                return;
            }
            let Some(message) = message_to_send(&raw, error) else {
                return;
            };
            error.set(None);
            text.set(String::new());
            let client_id = new_client_message_id();
            let has_id = client_id.is_some();
            let view = state.current.get_untracked();
            drafts::save(&view, "");
            let sent_in = view.clone();
            let room = match &view {
                View::Room(room) => Some(room.clone()),
                View::Dm(_) => None,
            };
            spawn_local(async move {
                let result = match view {
                    View::Room(room) => {
                        let send = SendMessage {
                            message,
                            room,
                            client_id,
                        };
                        send_with_retries(state, &send, has_id).await
                    }
                    View::Dm(to) => {
                        let send = SendDm {
                            to,
                            message,
                            client_id,
                        };
                        send_with_retries(state, &send, has_id).await
                    }
                };
                match (&result, &room) {
                    (Ok(()), Some(room)) => after_send(state, room),
                    (Err(EmitError::Refused(text)), Some(room)) => after_refusal(state, room, text),
                    _ => {}
                }
                if let Err(e) = result {
                    show_send_failure(e, held, error);
                    // Give the text back unless something new was typed.
                    if text.with_untracked(String::is_empty) {
                        if state.current.with_untracked(|c| *c == sent_in) {
                            drafts::save(&sent_in, &raw);
                        }
                        text.set(raw);
                    }
                }
            });
        });
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
        >
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error" role="alert" data-testid="composer-error">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            <Show when=move || { wait.get() > 0 }>
                // A timer: its count is not read out on every tick.
                <p class="field-note" role="timer" data-testid="slow-wait">
                    {move || format!("Slow mode: you can send again in {} s", wait.get())}
                </p>
            </Show>
            <div class="composer-row">
                <CompletionPopup completion/>
                <textarea
                    node_ref=textarea
                    data-testid="composer"
                    rows="1"
                    placeholder=move || format!("Message {}", state.current.get().title())
                    aria-label="Message"
                    aria-autocomplete="list"
                    aria-controls=move || completion.controls()
                    aria-activedescendant=move || completion.active_descendant()
                    maxlength=MAX_MESSAGE_CHARS
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        edited(event_target_value(&ev));
                        completion.on_input();
                    }
                    on:keyup=move |ev| completion.on_keyup(&ev)
                    on:click=move |_| completion.on_input()
                    on:blur=move |_| completion.close()
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if completion.on_keydown(&ev) {
                            return;
                        }
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            send();
                        } else if ev.key() == "Escape" && !ev.is_composing() {
                            // Cancel: the text and its draft are gone.
                            if !text.with_untracked(String::is_empty) {
                                ev.prevent_default();
                                text.set(String::new());
                                error.set(None);
                                drafts::save(&state.current.get_untracked(), "");
                            }
                        }
                        // Up in an empty composer edits my last message here.
                        if ev.key() == "ArrowUp" && text.with_untracked(String::is_empty) && edit_last_message(state) {
                            ev.prevent_default();
                        }
                    }
                ></textarea>
                <button
                    type="submit"
                    data-testid="send"
                    disabled=move || { held.get() || wait.get() > 0 }
                    title=move || {
                        (held.get() || wait.get() > 0).then_some("Wait: sending too fast")
                    }
                >
                    "Send"
                </button>
            </div>
        </form>
    }
    .into_any()
}
