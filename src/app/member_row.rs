//! One member in a room's settings: name, role, mute; for the owner, their
//! role (name a moderator, hand the room over); for a moderator above
//! them, remove, ban or mute (for a time, with a reason) and unmute.

use super::settings_parts::{field, room_of, Members, Progress};
use super::state::ChatState;
use super::sync::moderation::{sanction, until_text, Action};
use super::sync::rooms::set_role;
use super::text::{capitalise, unique_id};
use crate::protocol::limits::MAX_REASON_CHARS;
use crate::protocol::moderation::{MemberEntry, Reason};
use crate::protocol::rooms::{Role, RoomInfo};
use crate::protocol::Username;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How long a ban or a mute may last, as offered: (label, minutes).
const DURATIONS: [(&str, Option<u32>); 5] = [
    ("10 minutes", Some(10)),
    ("1 hour", Some(60)),
    ("1 day", Some(1440)),
    ("1 week", Some(10_080)),
    ("No end", None),
];

#[component]
pub fn MemberRow(
    member: MemberEntry,
    members: Members,
    info: RwSignal<Option<RoomInfo>>,
) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let name = member.username.to_string();
    let is_me = state.me.with_untracked(|me| {
        me.as_ref()
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case(&name))
    });
    let role = member.role;
    let muted = member.muted_until.clone();
    let my_role = move || field(info, |i| i.role);
    let may_set_role = move || !is_me && my_role() == Some(Role::Owner);
    let may_sanction =
        move || !is_me && my_role().is_some_and(|r| r >= Role::Moderator && role < r);
    let form = RwSignal::new(None::<Action>);
    // On the list, not the row: the row is made again when the member
    // changes, and what the server said must stay.
    let progress = members.progress;
    let username = StoredValue::new(member.username.clone());

    let unmute = move |_| {
        let Some(room) = room_of(info) else { return };
        progress.set(Progress::Busy);
        spawn_local(async move {
            let said = sanction(
                state,
                Action::Unmute,
                room,
                username.get_value(),
                None,
                None,
            )
            .await;
            finish(state, members, progress, said);
        });
    };
    let muted_text = muted
        .as_deref()
        .map(|until| format!("muted{}", until_text(Some(until))));
    let has_mute = muted.is_some();
    let name = StoredValue::new(name);
    view! {
        <li class="member" data-testid="member" data-username=name.get_value()>
            <div class="member-line">
                <span class="member-name">{name.get_value()}</span>
                <span class="role-badge" data-testid="member-role">{role.as_str()}</span>
                {muted_text.map(|t| view! { <span class="muted-badge">{t}</span> })}
                <span class="member-gap"></span>
                <Show when=may_set_role>
                    <RoleChoice name=name.get_value() role username members info progress/>
                </Show>
                <Show when=may_sanction>
                    <span class="member-actions">
                        {[Action::Remove, Action::Ban, Action::Mute]
                            .into_iter()
                            .filter(|a| *a != Action::Mute || !has_mute)
                            .map(|action| {
                                let label = format!("{} {}…", action.label(), name.get_value());
                                view! {
                                    <button
                                        type="button"
                                        class="secondary small"
                                        aria-label=label
                                        aria-expanded=move || (form.get() == Some(action)).to_string()
                                        data-testid=format!("member-{}", action.label().to_lowercase())
                                        on:click=move |_| form.set(Some(action))
                                    >
                                        {action.label()}
                                    </button>
                                }
                            })
                            .collect_view()}
                        <Show when=move || has_mute>
                            <button type="button" class="secondary small" data-testid="member-unmute" on:click=unmute>
                                "Unmute"
                            </button>
                        </Show>
                    </span>
                </Show>
            </div>
            {move || form.get().map(|action| view! { <SanctionForm action username members info form progress/> })}
        </li>
    }
}

/// Shows what the server said, and lists the members again.
fn finish(
    state: ChatState,
    members: Members,
    progress: RwSignal<Progress>,
    said: Result<String, crate::client::EmitError>,
) {
    match said {
        Ok(said) => {
            progress.set(Progress::Done(format!("{said}.")));
            members.reload(state);
        }
        Err(e) => progress.set(Progress::Failed(e.to_string())),
    }
}

/// The owner's choice of a member's role.
#[component]
fn RoleChoice(
    name: String,
    role: Role,
    username: StoredValue<Username>,
    members: Members,
    info: RwSignal<Option<RoomInfo>>,
    progress: RwSignal<Progress>,
) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let change = move |ev: leptos::ev::Event| {
        let Some(new_role) = Role::from_name(&event_target_value(&ev)) else {
            return;
        };
        let Some(room) = room_of(info) else { return };
        progress.set(Progress::Busy);
        spawn_local(async move {
            let said = set_role(state, room, username.get_value(), new_role).await;
            finish(state, members, progress, said);
        });
    };
    view! {
        <select aria-label=format!("Role of {name}") data-testid="member-role-choice" on:change=change>
            {[Role::Member, Role::Moderator, Role::Owner]
                .into_iter()
                .map(|r| {
                    let label = match r {
                        Role::Owner => "owner (hand over)",
                        other => other.as_str(),
                    };
                    view! { <option value=r.as_str() selected=r == role>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// Remove, ban or mute: for how long (ban, mute), why, and confirm.
#[component]
fn SanctionForm(
    action: Action,
    username: StoredValue<Username>,
    members: Members,
    info: RwSignal<Option<RoomInfo>>,
    form: RwSignal<Option<Action>>,
    progress: RwSignal<Progress>,
) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let minutes = RwSignal::new(DURATIONS[0].1);
    let reason = RwSignal::new(String::new());
    let timed = action != Action::Remove;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = reason.get_untracked();
        let why = if raw.trim().is_empty() {
            None
        } else {
            match Reason::parse(&raw) {
                Ok(r) => Some(r),
                Err(e) => return progress.set(Progress::Failed(capitalise(&e.to_string()))),
            }
        };
        let Some(room) = room_of(info) else { return };
        let minutes = if timed { minutes.get_untracked() } else { None };
        progress.set(Progress::Busy);
        spawn_local(async move {
            let said = sanction(state, action, room, username.get_value(), minutes, why).await;
            if said.is_ok() {
                form.set(None);
            }
            finish(state, members, progress, said);
        });
    };
    let who = username.get_value().to_string();
    let id = unique_id(&format!("sanction-{}", action.label().to_lowercase()));
    let for_id = format!("{id}-for");
    let reason_id = format!("{id}-reason");
    view! {
        <form class="sanction-form" on:submit=submit data-testid="sanction-form">
            <Show when=move || timed>
                <label for=for_id.clone()>"For"</label>
                <select
                    id=for_id.clone()
                    data-testid="sanction-minutes"
                    on:change=move |ev| {
                        let i = event_target_value(&ev).parse::<usize>().unwrap_or(0);
                        minutes.set(DURATIONS.get(i).and_then(|d| d.1));
                    }
                >
                    {DURATIONS
                        .iter()
                        .enumerate()
                        .map(|(i, (label, _))| view! { <option value=i.to_string()>{*label}</option> })
                        .collect_view()}
                </select>
            </Show>
            <label for=reason_id.clone()>"Reason " <span class="optional">"(they see it)"</span></label>
            <input
                id=reason_id
                data-testid="sanction-reason"
                maxlength=MAX_REASON_CHARS
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
            />
            <div class="modal-actions">
                <button type="button" class="secondary" on:click=move |_| form.set(None)>"Cancel"</button>
                <button type="submit" class="danger" data-testid="sanction-confirm" disabled=move || progress.get() == Progress::Busy>
                    {format!("{} {who}", action.label())}
                </button>
            </div>
        </form>
    }
}
