//! A room's settings that moderators change: accounts only, who may
//! invite, archived, slow mode, the lock. Each change goes at once; the
//! room as the server answers replaces what the dialog shows.

use super::settings_parts::{at_least, field, Progress, ProgressLine};
use super::state::ChatState;
use super::sync::rooms::change_settings;
use crate::protocol::rooms::{InvitesBy, Role, RoomInfo, RoomKind, RoomSettings};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Slow mode's choices: (seconds, label); 0 turns it off.
const SLOW_CHOICES: [(u32, &str); 6] = [
    (0, "Off"),
    (5, "One message per 5 seconds"),
    (10, "One message per 10 seconds"),
    (30, "One message per 30 seconds"),
    (60, "One message per minute"),
    (300, "One message per 5 minutes"),
];

/// Sends a settings change; the room as the server answers replaces ours.
pub fn send(
    state: ChatState,
    info: RwSignal<Option<RoomInfo>>,
    progress: RwSignal<Progress>,
    change: RoomSettings,
    done: &'static str,
) {
    progress.set(Progress::Busy);
    spawn_local(async move {
        match change_settings(state, change).await {
            Ok(answer) => {
                info.set(Some(answer));
                progress.set(Progress::Done(done.to_owned()));
            }
            Err(e) => progress.set(Progress::Failed(e.to_string())),
        }
    });
}

/// Accounts only, who may invite, archived: for moderators.
#[component]
pub fn RoomOptions(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let progress = RwSignal::new(Progress::Idle);
    let change = move |edit: fn(&mut RoomSettings, bool), value: bool| {
        let Some(room) = field(info, |i| Some(i.room.clone())) else {
            return;
        };
        let mut settings = RoomSettings::of(room);
        edit(&mut settings, value);
        send(state, info, progress, settings, "Saved.");
    };
    let slow = move |seconds: u32| {
        let Some(room) = field(info, |i| Some(i.room.clone())) else {
            return;
        };
        let mut settings = RoomSettings::of(room);
        settings.slow_seconds = Some(seconds);
        send(state, info, progress, settings, "Saved.");
    };
    let private = move || field(info, |i| i.kind == RoomKind::Private);
    view! {
        <Show when=move || at_least(info, Role::Moderator)>
            <section class="settings-section" aria-labelledby="options-title">
                <h3 id="options-title">"Settings"</h3>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="accounts-only"
                        prop:checked=move || field(info, |i| i.accounts_only)
                        disabled=private
                        on:change=move |ev| change(|s, v| s.accounts_only = Some(v), event_target_checked(&ev))
                    />
                    <span>
                        "Accounts only: guests may read, not write"
                        <Show when=private>" (always, for a private room)"</Show>
                    </span>
                </label>
                <label for="invites-by">"Who may invite"</label>
                <select
                    id="invites-by"
                    data-testid="invites-by"
                    prop:value=move || field(info, |i| Some(i.invites_by)).unwrap_or(InvitesBy::Members).as_str()
                    on:change=move |ev| {
                        let moderators = event_target_value(&ev) == InvitesBy::Moderators.as_str();
                        change(
                            |s, m| s.invites_by = Some(if m { InvitesBy::Moderators } else { InvitesBy::Members }),
                            moderators,
                        )
                    }
                >
                    <option value=InvitesBy::Members.as_str()>"Any member"</option>
                    <option value=InvitesBy::Moderators.as_str()>"Moderators only"</option>
                </select>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="archived"
                        prop:checked=move || field(info, |i| i.archived)
                        on:change=move |ev| change(|s, v| s.archived = Some(v), event_target_checked(&ev))
                    />
                    <span>"Archived: read-only, out of the directory"</span>
                </label>
                <label for="slow-mode">"Slow mode"</label>
                <select
                    id="slow-mode"
                    data-testid="slow-mode"
                    prop:value=move || field(info, |i| i.slow_seconds).to_string()
                    on:change=move |ev| {
                        let seconds = event_target_value(&ev).parse::<u32>().unwrap_or(0);
                        slow(seconds)
                    }
                >
                    {SLOW_CHOICES
                        .iter()
                        .map(|(seconds, label)| view! { <option value=seconds.to_string()>{*label}</option> })
                        .collect_view()}
                </select>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="locked"
                        prop:checked=move || field(info, |i| i.locked)
                        on:change=move |ev| change(|s, v| s.locked = Some(v), event_target_checked(&ev))
                    />
                    <span>"Locked: only moderators may post"</span>
                </label>
                <ProgressLine progress testid="options-progress"/>
            </section>
        </Show>
    }
}
