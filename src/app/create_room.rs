//! "New room": a name, public or private, a topic. A refusal (a taken
//! name, a name or topic the server does not accept) shows next to the
//! field it is about, in the server's words.

use super::dialog::Modal;
use super::state::ChatState;
use super::sync::rooms::create_room;
use super::text::capitalise;
use crate::client::EmitError;
use crate::protocol::limits::{MAX_ROOM_CHARS, MAX_TOPIC_CHARS};
use crate::protocol::rooms::{CreateRoom, Topic};
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CreateRoomDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Modal open title="New room" id="create-room-title" testid="create-room-dialog">
            <CreateRoomForm open/>
        </Modal>
    }
}

/// Which field a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Topic,
    Form,
}

/// The field a refusal of `create-room` names: its validation messages
/// name the field (`create-room: topic must …`); a taken name is the
/// name's; what is about the person (log in first) is the form's.
fn field_of(error: &EmitError) -> Field {
    match error {
        EmitError::Refused(text) if text.contains("topic") => Field::Topic,
        EmitError::Refused(text) if text.starts_with("Log in") => Field::Form,
        EmitError::Refused(_) => Field::Name,
        _ => Field::Form,
    }
}

#[component]
fn CreateRoomForm(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let name = RwSignal::new(String::new());
    let topic = RwSignal::new(String::new());
    let private = RwSignal::new(true);
    let errors = RwSignal::new(Vec::<(Field, String)>::new());
    let busy = RwSignal::new(false);
    let error_of = move |field: Field| {
        move || {
            errors.with(|e| {
                e.iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, text)| text.clone())
            })
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut found = Vec::new();
        let room = RoomName::parse(&name.get_untracked())
            .map_err(|e| found.push((Field::Name, capitalise(&e.to_string()))))
            .ok();
        let parsed_topic = Topic::parse(&topic.get_untracked())
            .map_err(|e| found.push((Field::Topic, capitalise(&e.to_string()))))
            .ok();
        let (Some(room), Some(topic)) = (room, parsed_topic) else {
            return errors.set(found);
        };
        errors.set(Vec::new());
        busy.set(true);
        let create = CreateRoom {
            room,
            private: private.get_untracked(),
            topic,
            accounts_only: false,
        };
        spawn_local(async move {
            match create_room(state, create).await {
                Ok(_) => open.set(false),
                Err(e) => {
                    busy.set(false);
                    errors.set(vec![(field_of(&e), e.to_string())]);
                }
            }
        });
    };

    let name_error = error_of(Field::Name);
    let topic_error = error_of(Field::Topic);
    let form_error = error_of(Field::Form);
    view! {
        <form class="modal-body" on:submit=submit novalidate>
            <label for="new-room-name">"Name"</label>
            <input
                id="new-room-name"
                data-testid="new-room-name"
                autofocus
                required
                autocomplete="off"
                maxlength=MAX_ROOM_CHARS
                aria-invalid=move || name_error().is_some().to_string()
                aria-describedby="new-room-name-error"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <p id="new-room-name-error" class="form-error" role="alert" data-testid="new-room-name-error">
                {name_error}
            </p>
            <fieldset class="choice">
                <legend>"Who can find it"</legend>
                <label>
                    <input
                        type="radio"
                        name="new-room-kind"
                        data-testid="new-room-private"
                        prop:checked=move || private.get()
                        on:change=move |_| private.set(true)
                    />
                    <span>
                        <strong>"Private"</strong>
                        " — invite only, hidden from everyone else"
                    </span>
                </label>
                <label>
                    <input
                        type="radio"
                        name="new-room-kind"
                        data-testid="new-room-public"
                        prop:checked=move || !private.get()
                        on:change=move |_| private.set(false)
                    />
                    <span>
                        <strong>"Public"</strong>
                        " — in the directory, anyone may join"
                    </span>
                </label>
            </fieldset>
            <label for="new-room-topic">"Topic " <span class="optional">"(optional)"</span></label>
            <input
                id="new-room-topic"
                data-testid="new-room-topic"
                autocomplete="off"
                maxlength=MAX_TOPIC_CHARS
                aria-invalid=move || topic_error().is_some().to_string()
                aria-describedby="new-room-topic-error"
                prop:value=move || topic.get()
                on:input=move |ev| topic.set(event_target_value(&ev))
            />
            <p id="new-room-topic-error" class="form-error" role="alert" data-testid="new-room-topic-error">
                {topic_error}
            </p>
            <p class="form-error" role="alert" data-testid="new-room-error">{form_error}</p>
            <div class="modal-actions">
                <button type="button" class="secondary" on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
                <button type="submit" class="primary" data-testid="create-room" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create room" }}
                </button>
            </div>
        </form>
    }
}
