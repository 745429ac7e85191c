//! For a room's moderators, in its settings: the bans in force (lifted
//! from here) and the audit log, the newest moderation actions first:
//! who did what to whom, when and why.

use super::settings_parts::{at_least, room_of, Progress, ProgressLine};
use super::state::{local_time, ChatState};
use super::sync::moderation::{audit_log, room_bans, unban, until_text};
use crate::protocol::chat::Timestamp;
use crate::protocol::moderation::{AuditAction, AuditEntry, BanEntry, FOREVER};
use crate::protocol::rooms::{Role, RoomInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// "ann muted bob until 14:05: spam".
pub fn describe(e: &AuditEntry) -> String {
    let actor = e
        .actor
        .as_ref()
        .map_or("Someone".to_owned(), |a| a.to_string());
    let target = e
        .target
        .as_ref()
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let what = match e.action {
        AuditAction::Remove => format!("removed{target}"),
        AuditAction::Ban => format!("banned{target}"),
        AuditAction::Unban => format!("lifted the ban of{target}"),
        AuditAction::Mute => format!("muted{target}"),
        AuditAction::Unmute => format!("unmuted{target}"),
        AuditAction::DeleteMessage => "deleted a message".to_owned(),
        AuditAction::SetRole => format!("changed the role of{target}"),
        AuditAction::Settings => "changed the settings".to_owned(),
        AuditAction::BanAccount => format!("banned{target} from the server"),
        AuditAction::UnbanAccount => format!("let{target} log in again"),
        AuditAction::DeleteRoom => "deleted the room".to_owned(),
    };
    let detail = match e.action {
        // A ban's or a mute's end: the protocol's time, or "forever".
        AuditAction::Ban | AuditAction::Mute if e.detail == FOREVER => " with no end".to_owned(),
        AuditAction::Ban | AuditAction::Mute if !e.detail.is_empty() => until_text(Some(&e.detail)),
        _ if e.detail.is_empty() => String::new(),
        _ => format!(" ({})", e.detail),
    };
    let reason = e
        .reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    format!("{actor} {what}{detail}{reason}")
}

#[component]
pub fn ModeratorTools(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    view! {
        <Show when=move || at_least(info, Role::Moderator)>
            <Bans info/>
            <Audit info/>
        </Show>
    }
}

#[component]
fn Bans(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let bans = RwSignal::new(None::<Vec<BanEntry>>);
    let progress = RwSignal::new(Progress::Idle);
    let load = move || {
        let Some(room) = room_of(info) else { return };
        spawn_local(async move {
            match room_bans(state, room).await {
                Ok(list) => bans.set(Some(list)),
                Err(e) => progress.set(Progress::Failed(format!("Could not list the bans: {e}"))),
            }
        });
    };
    load();
    view! {
        <section class="settings-section" aria-labelledby="bans-title">
            <h3 id="bans-title">"Bans"</h3>
            <Show when=move || bans.with(|b| b.as_ref().is_some_and(Vec::is_empty))>
                <p class="field-note">"Nobody is banned."</p>
            </Show>
            <ul class="members" data-testid="ban-list">
                <For
                    each=move || bans.get().unwrap_or_default()
                    key=|b| (b.username.clone(), b.until.clone())
                    children=move |ban| {
                        let name = ban.username.to_string();
                        let text = format!(
                            "banned{}{}",
                            until_text(Some(&ban.until)),
                            ban.by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default(),
                        );
                        let who = StoredValue::new(ban.username.clone());
                        let lift = move |_| {
                            let Some(room) = room_of(info) else { return };
                            progress.set(Progress::Busy);
                            spawn_local(async move {
                                match unban(state, room, who.get_value()).await {
                                    Ok(said) => {
                                        progress.set(Progress::Done(format!("{said}.")));
                                        load();
                                    }
                                    Err(e) => progress.set(Progress::Failed(e.to_string())),
                                }
                            });
                        };
                        view! {
                            <li class="member" data-testid="ban">
                                <div class="member-line">
                                    <span class="member-name">{name.clone()}</span>
                                    <span class="muted-badge">{text}</span>
                                    <span class="member-gap"></span>
                                    <button type="button" class="secondary small" aria-label=format!("Lift the ban of {name}") on:click=lift>
                                        "Unban"
                                    </button>
                                </div>
                            </li>
                        }
                    }
                />
            </ul>
            <ProgressLine progress testid="bans-progress"/>
        </section>
    }
}

#[component]
fn Audit(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let entries = RwSignal::new(None::<Vec<AuditEntry>>);
    let progress = RwSignal::new(Progress::Idle);
    let load = move |_| {
        let Some(room) = room_of(info) else { return };
        progress.set(Progress::Busy);
        spawn_local(async move {
            match audit_log(state, room, None).await {
                Ok(list) => {
                    progress.set(Progress::Idle);
                    entries.set(Some(list));
                }
                Err(e) => progress.set(Progress::Failed(format!(
                    "Could not read the audit log: {e}"
                ))),
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="audit-title">
            <h3 id="audit-title">"Audit log"</h3>
            <button type="button" class="secondary small" data-testid="load-audit" on:click=load>
                {move || if entries.with(Option::is_some) { "Refresh" } else { "Show the audit log" }}
            </button>
            <ProgressLine progress testid="audit-progress"/>
            <Show when=move || entries.with(|e| e.as_ref().is_some_and(Vec::is_empty))>
                <p class="field-note">"Nothing yet: moderators have done nothing here."</p>
            </Show>
            <ol class="audit" data-testid="audit-log">
                <For
                    each=move || entries.get().unwrap_or_default()
                    key=|e| e.id
                    children=move |entry| {
                        let at = Timestamp(entry.at.clone());
                        view! {
                            <li data-testid="audit-entry">
                                <time datetime=entry.at.clone()>{local_time(&at)}</time>
                                " "
                                <span>{describe(&entry)}</span>
                            </li>
                        }
                    }
                />
            </ol>
        </section>
    }
}
