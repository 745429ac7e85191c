//! A room's settings, for the room shown: what it is (kind, creator,
//! members, topic), its settings (accounts only, who may invite,
//! archived, slow mode, the lock), its members and roles
//! (`room_members.rs`, `member_row.rs`), its invite links
//! (`invite_links.rs`), the bans and the audit log
//! (`audit_log.rs`), and leaving it.
//! Each control shows only to the roles that may use it; the server
//! decides all the same, and its refusal is shown where it happened.

use super::audit_log::ModeratorTools;
use super::dialog::Modal;
use super::invite_links::InviteLinksPart;
use super::room_members::RoomMembers;
use super::room_options::{send, RoomOptions};
use super::settings_parts::{at_least, field, Progress, ProgressLine};
use super::state::{ChatState, View};
use super::sync::rooms::{leave_room, room_info};
use super::text::capitalise;
use crate::protocol::limits::MAX_TOPIC_CHARS;
use crate::protocol::rooms::{Role, RoomInfo, RoomKind, RoomSettings, Topic};
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn RoomSettingsDialog(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let title = Signal::derive(move || format!("{} settings", state.current.get().title()));
    view! {
        <Modal open title id="room-settings-title" testid="room-settings-dialog">
            <SettingsBody open/>
        </Modal>
    }
}

#[component]
fn SettingsBody(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let View::Room(room) = state.current.get_untracked() else {
        return view! { <p class="modal-body">"Open a room to see its settings."</p> }.into_any();
    };
    let info = RwSignal::new(None::<RoomInfo>);
    let load_error = RwSignal::new(None::<String>);
    {
        let room = room.clone();
        spawn_local(async move {
            match room_info(state, room).await {
                Ok(answer) => info.set(Some(answer)),
                Err(e) => load_error.set(Some(format!(
                    "Could not load the settings: {e} Close this and try again."
                ))),
            }
        });
    }
    let room = StoredValue::new(room);
    view! {
        <div class="modal-body settings">
            <Show when=move || info.with(Option::is_none) && load_error.with(Option::is_none)>
                <p class="field-note" role="status">"Loading…"</p>
            </Show>
            <Show when=move || load_error.with(Option::is_some)>
                <p class="form-error" role="alert" data-testid="settings-error">
                    {move || load_error.get().unwrap_or_default()}
                </p>
            </Show>
            <Show when=move || info.with(Option::is_some)>
                <RoomAbout info/>
                <RoomOptions info/>
                <RoomMembers info/>
                <InviteLinksPart info/>
                <ModeratorTools info/>
                <LeaveRoom room=room.get_value() open/>
            </Show>
        </div>
    }
    .into_any()
}

/// Kind, creator, members, topic (a moderator edits it).
#[component]
fn RoomAbout(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let kind = move || match field(info, |i| Some(i.kind)) {
        Some(RoomKind::Private) => "Private room: invite only, hidden from the directory",
        _ => "Public room: in the directory, anyone may join",
    };
    let facts = move || {
        let members = field(info, |i| i.members);
        let members = if members == 1 {
            "1 member".to_owned()
        } else {
            format!("{members} members")
        };
        match field(info, |i| i.creator.as_ref().map(|c| c.to_string())) {
            Some(creator) => format!("{members} · made by {creator}"),
            None => members,
        }
    };
    let role = move || match field(info, |i| i.role) {
        Some(role) => format!("You are its {}.", role.as_str()),
        None => "You are not a member.".to_owned(),
    };
    let draft = RwSignal::new(field(info, |i| i.topic.as_str().to_owned()));
    let progress = RwSignal::new(Progress::Idle);
    let save_topic = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let topic = match Topic::parse(&draft.get_untracked()) {
            Ok(t) => t,
            Err(e) => return progress.set(Progress::Failed(capitalise(&e.to_string()))),
        };
        let Some(room) = field(info, |i| Some(i.room.clone())) else {
            return;
        };
        let mut change = RoomSettings::of(room);
        change.topic = Some(topic);
        send(state, info, progress, change, "Topic saved.");
    };
    view! {
        <section class="settings-section" aria-labelledby="about-title">
            <h3 id="about-title">"About"</h3>
            <p data-testid="room-kind">{kind}</p>
            <p class="field-note">{facts} ". " {role}</p>
            <Show
                when=move || at_least(info, Role::Moderator)
                fallback=move || {
                    view! {
                        <p data-testid="room-topic">
                            {move || {
                                let topic = field(info, |i| i.topic.as_str().to_owned());
                                if topic.is_empty() { "No topic.".to_owned() } else { topic }
                            }}
                        </p>
                    }
                }
            >
                <form class="inline-form" on:submit=save_topic>
                    <label for="room-topic">"Topic"</label>
                    <div class="inline-row">
                        <input
                            id="room-topic"
                            data-testid="room-topic-input"
                            maxlength=MAX_TOPIC_CHARS
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                        />
                        <button type="submit" class="secondary" disabled=move || progress.get() == Progress::Busy>
                            "Save"
                        </button>
                    </div>
                    <ProgressLine progress testid="topic-progress"/>
                </form>
            </Show>
        </section>
    }
}

/// Leaving the room (not `general`).
#[component]
fn LeaveRoom(room: RoomName, open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let progress = RwSignal::new(Progress::Idle);
    let private = state.room_state.is_private(&room);
    let general = room.is_general();
    let label = format!("Leave #{room}");
    let room = StoredValue::new(room);
    let leave = move |_| {
        progress.set(Progress::Busy);
        spawn_local(async move {
            match leave_room(state, room.get_value()).await {
                Ok(()) => open.set(false),
                Err(e) => progress.set(Progress::Failed(e.to_string())),
            }
        });
    };
    view! {
        <Show when=move || !general>
            <section class="settings-section" aria-labelledby="leave-title">
                <h3 id="leave-title">"Leave"</h3>
                <Show when=move || private>
                    <p class="field-note">
                        "You stay a member of a private room: it is back in your list next time you log in."
                    </p>
                </Show>
                <button type="button" class="danger" data-testid="leave-room" on:click=leave>
                    {label.clone()}
                </button>
                <ProgressLine progress testid="leave-progress"/>
            </section>
        </Show>
    }
}
