//! A room's people in its settings: the members with their roles (and
//! mutes), inviting an account by name (members, or only moderators if
//! the room says so); each member's row (`member_row.rs`) has what the
//! viewer may do to them.

use super::member_row::MemberRow;
use super::settings_parts::{at_least, field, room_of, Members, Progress, ProgressLine};
use super::state::ChatState;
use super::sync::rooms::invite;
use super::text::capitalise;
use crate::protocol::limits::MAX_USERNAME_CHARS;
use crate::protocol::rooms::{Role, RoomInfo};
use crate::protocol::Username;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn RoomMembers(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let members = Members::new(info);
    members.reload(state);
    let may_invite = move || {
        let least = field(info, |i| Some(i.invites_by.least())).unwrap_or(Role::Owner);
        at_least(info, least)
    };
    let shown = move || members.list.with(|l| l.as_ref().map_or(0, Vec::len) as u64);
    view! {
        <section class="settings-section" aria-labelledby="members-title">
            <h3 id="members-title">"Members"</h3>
            <Show
                when=may_invite
                fallback=move || view! { <p class="field-note">"Only the room's moderators may invite."</p> }
            >
                <InviteForm members/>
            </Show>
            <Show when=move || members.error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || members.error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || members.list.with(Option::is_none) && members.error.with(Option::is_none)>
                <p class="field-note" role="status">"Loading the members…"</p>
            </Show>
            <ul class="members" data-testid="member-list">
                <For
                    each=move || members.list.get().unwrap_or_default()
                    key=|m| (m.username.clone(), m.role, m.muted_until.clone())
                    children=move |member| view! { <MemberRow member members info/> }
                />
            </ul>
            <ProgressLine progress=members.progress testid="member-progress"/>
            <Show when=move || { members.total.get() > shown() }>
                <p class="field-note">
                    {move || format!("…and {} more.", members.total.get() - shown())}
                </p>
            </Show>
        </section>
    }
}

#[component]
fn InviteForm(members: Members) -> impl IntoView {
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
        let Some(room) = room_of(members.info) else {
            return;
        };
        progress.set(Progress::Busy);
        spawn_local(async move {
            match invite(state, room, username).await {
                Ok(said) => {
                    name.set(String::new());
                    progress.set(Progress::Done(format!("{said}.")));
                    members.reload(state);
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
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" data-testid="invite" disabled=move || progress.get() == Progress::Busy>
                    "Invite"
                </button>
            </div>
            <ProgressLine progress testid="invite-progress"/>
        </form>
    }
}
