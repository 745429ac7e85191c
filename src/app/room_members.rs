//! A room's people in its settings: invite an account by name (members,
//! or only moderators if the room says so), and, for the owner, name
//! moderators and hand the room over.

use super::room_settings::{at_least, field, Progress, ProgressLine};
use super::state::ChatState;
use super::sync::rooms::{invite, room_info, set_role};
use super::text::capitalise;
use crate::protocol::limits::MAX_USERNAME_CHARS;
use crate::protocol::rooms::{Role, RoomInfo};
use crate::protocol::Username;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn RoomMembers(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let may_invite = move || {
        let least = field(info, |i| Some(i.invites_by.least())).unwrap_or(Role::Owner);
        at_least(info, least)
    };
    view! {
        <section class="settings-section" aria-labelledby="members-title">
            <h3 id="members-title">"Members"</h3>
            <Show
                when=may_invite
                fallback=move || view! { <p class="field-note">"Only the room's moderators may invite."</p> }
            >
                <InviteForm info/>
            </Show>
            <Show when=move || at_least(info, Role::Owner)>
                <RoleForm info/>
            </Show>
        </section>
    }
}

/// The room's name, once loaded.
fn room_of(info: RwSignal<Option<RoomInfo>>) -> Option<crate::protocol::RoomName> {
    field(info, |i| Some(i.room.clone()))
}

/// After a change the member count (and roles) may differ: reload.
fn reload(state: ChatState, info: RwSignal<Option<RoomInfo>>) {
    let Some(room) = room_of(info) else {
        return;
    };
    spawn_local(async move {
        if let Ok(answer) = room_info(state, room).await {
            info.set(Some(answer));
        }
    });
}

#[component]
fn InviteForm(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let name = RwSignal::new(String::new());
    let progress = RwSignal::new(Progress::Idle);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if progress.get_untracked() == Progress::Busy {
            return;
        }
        let username = match Username::parse(&name.get_untracked()) {
            Ok(u) => u,
            Err(e) => return progress.set(Progress::Failed(capitalise(&e.to_string()))),
        };
        let Some(room) = room_of(info) else {
            return;
        };
        progress.set(Progress::Busy);
        spawn_local(async move {
            match invite(state, room, username).await {
                Ok(said) => {
                    name.set(String::new());
                    progress.set(Progress::Done(format!("{said}.")));
                    reload(state, info);
                }
                Err(e) => progress.set(Progress::Failed(e.to_string())),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <label for="invite-name">"Invite someone by their account name"</label>
            <div class="inline-row">
                <input
                    id="invite-name"
                    data-testid="invite-name"
                    autocomplete="off"
                    maxlength=MAX_USERNAME_CHARS
                    aria-describedby="invite-progress"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" data-testid="invite" disabled=move || progress.get() == Progress::Busy>
                    "Invite"
                </button>
            </div>
            <div id="invite-progress">
                <ProgressLine progress testid="invite-progress"/>
            </div>
        </form>
    }
}

/// The owner names a moderator, makes one a member again, or hands the
/// room over (they become a moderator).
#[component]
fn RoleForm(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Moderator);
    let progress = RwSignal::new(Progress::Idle);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if progress.get_untracked() == Progress::Busy {
            return;
        }
        let username = match Username::parse(&name.get_untracked()) {
            Ok(u) => u,
            Err(e) => return progress.set(Progress::Failed(capitalise(&e.to_string()))),
        };
        let Some(room) = room_of(info) else {
            return;
        };
        let role = role.get_untracked();
        progress.set(Progress::Busy);
        spawn_local(async move {
            match set_role(state, room, username, role).await {
                Ok(said) => {
                    progress.set(Progress::Done(format!("{said}.")));
                    reload(state, info);
                }
                Err(e) => progress.set(Progress::Failed(e.to_string())),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <label for="role-name">"Change a member's role"</label>
            <div class="inline-row">
                <input
                    id="role-name"
                    data-testid="role-name"
                    autocomplete="off"
                    placeholder="Account name"
                    maxlength=MAX_USERNAME_CHARS
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <select
                    aria-label="New role"
                    data-testid="role-choice"
                    on:change=move |ev| {
                        if let Some(r) = Role::from_name(&event_target_value(&ev)) {
                            role.set(r);
                        }
                    }
                >
                    <option value=Role::Moderator.as_str() selected>"Moderator"</option>
                    <option value=Role::Member.as_str()>"Member"</option>
                    <option value=Role::Owner.as_str()>"Owner (hand the room over)"</option>
                </select>
                <button type="submit" class="secondary" data-testid="set-role" disabled=move || progress.get() == Progress::Busy>
                    "Apply"
                </button>
            </div>
            <ProgressLine progress testid="role-progress"/>
        </form>
    }
}
