//! A room's invite links in its settings, for whoever may invite (the
//! server decides all the same): making one (expiry, optional most uses),
//! its url shown once with a Copy button, and the live links with Revoke.
//! And the notice of a page opened with a link the server refused.

use super::settings_parts::{at_least, field, room_of, Progress, ProgressLine};
use super::state::ChatState;
use super::sync::invites::{copy_text, create_link, date_time, list_links, revoke_link};
use crate::protocol::invites::InviteLinkInfo;
use crate::protocol::limits::MAX_INVITE_USES;
use crate::protocol::rooms::{Role, RoomInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The expiries offered, in minutes, with their names; 7 days first chosen.
const EXPIRIES: [(u32, &str); 4] = [
    (60, "1 hour"),
    (24 * 60, "1 day"),
    (7 * 24 * 60, "7 days"),
    (30 * 24 * 60, "30 days"),
];
const DEFAULT_EXPIRY: u32 = 7 * 24 * 60;

#[component]
pub fn InviteLinksPart(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let may_invite = move || {
        let least = field(info, |i| Some(i.invites_by.least())).unwrap_or(Role::Owner);
        at_least(info, least)
    };
    view! {
        <Show when=may_invite>
            <InviteLinksBody info/>
        </Show>
    }
}

#[component]
fn InviteLinksBody(info: RwSignal<Option<RoomInfo>>) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let links = RwSignal::new(None::<Vec<InviteLinkInfo>>);
    let list_error = RwSignal::new(None::<String>);
    let reload = move || {
        let Some(room) = room_of(info) else {
            return;
        };
        spawn_local(async move {
            match list_links(state, room).await {
                Ok(list) => {
                    list_error.set(None);
                    links.set(Some(list));
                }
                Err(e) => list_error.set(Some(format!("Could not list the links: {e}"))),
            }
        });
    };
    reload();

    let minutes = RwSignal::new(DEFAULT_EXPIRY);
    let max_uses = RwSignal::new(String::new());
    let made = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<bool>);
    let progress = RwSignal::new(Progress::Idle);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if progress.get_untracked() == Progress::Busy {
            return;
        }
        let uses = max_uses.get_untracked();
        let uses = match uses.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_INVITE_USES).contains(&n) => Some(n),
                _ => {
                    return progress.set(Progress::Failed(format!(
                        "Most uses must be a whole number from 1 to {MAX_INVITE_USES}, or empty for no limit."
                    )))
                }
            },
        };
        let Some(room) = room_of(info) else {
            return;
        };
        progress.set(Progress::Busy);
        made.set(None);
        copied.set(None);
        spawn_local(async move {
            match create_link(state, room, minutes.get_untracked(), uses).await {
                Ok(link) => {
                    made.set(Some(link.url));
                    max_uses.set(String::new());
                    progress.set(Progress::Done(
                        "Link made. Copy it now: it is shown only this once.".to_owned(),
                    ));
                    reload();
                }
                Err(e) => progress.set(Progress::Failed(e.to_string())),
            }
        });
    };
    let copy = move |_| {
        let Some(url) = made.get_untracked() else {
            return;
        };
        spawn_local(async move { copied.set(Some(copy_text(url).await)) });
    };
    let revoke_progress = RwSignal::new(Progress::Idle);
    let revoke = move |id: i64| {
        let Some(room) = room_of(info) else {
            return;
        };
        revoke_progress.set(Progress::Busy);
        spawn_local(async move {
            match revoke_link(state, room, id).await {
                Ok(said) => {
                    revoke_progress.set(Progress::Done(format!("{said}.")));
                    reload();
                }
                Err(e) => revoke_progress.set(Progress::Failed(e.to_string())),
            }
        });
    };

    view! {
        <section class="settings-section" aria-labelledby="invite-links-title" data-testid="invite-links">
            <h3 id="invite-links-title">"Invite links"</h3>
            <p class="field-note">"Anyone with an account who opens a link joins this room, until it expires, is used up or is revoked."</p>
            <form class="inline-form" on:submit=create>
                <div class="inline-row">
                    <div class="field-column">
                        <label for="invite-expiry">"Expires after"</label>
                        <select
                            id="invite-expiry"
                            data-testid="invite-expiry"
                            on:change=move |ev| {
                                if let Ok(m) = event_target_value(&ev).parse() {
                                    minutes.set(m);
                                }
                            }
                        >
                            {EXPIRIES
                                .iter()
                                .map(|(m, name)| {
                                    view! {
                                        <option value=m.to_string() selected=*m == DEFAULT_EXPIRY>
                                            {*name}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field-column">
                        <label for="invite-max-uses">"Most uses (optional)"</label>
                        <input
                            id="invite-max-uses"
                            data-testid="invite-max-uses"
                            type="number"
                            inputmode="numeric"
                            min="1"
                            max=MAX_INVITE_USES
                            placeholder="No limit"
                            prop:value=move || max_uses.get()
                            on:input=move |ev| max_uses.set(event_target_value(&ev))
                        />
                    </div>
                </div>
                <div>
                    <button
                        type="submit"
                        class="primary"
                        data-testid="create-invite-link"
                        disabled=move || progress.get() == Progress::Busy
                    >
                        "Create link"
                    </button>
                </div>
                <ProgressLine progress testid="invite-link-progress"/>
            </form>
            <Show when=move || made.with(Option::is_some)>
                <div class="new-link">
                    <label for="invite-url">"New link"</label>
                    <div class="inline-row">
                        <input
                            id="invite-url"
                            data-testid="invite-url"
                            readonly
                            prop:value=move || made.get().unwrap_or_default()
                        />
                        <button type="button" class="secondary" data-testid="copy-invite-url" on:click=copy>
                            "Copy"
                        </button>
                    </div>
                    <p class="field-note" aria-live="polite" data-testid="copy-status">
                        {move || match copied.get() {
                            Some(true) => "Copied",
                            Some(false) => "Could not copy: select the link and copy it yourself.",
                            None => "",
                        }}
                    </p>
                </div>
            </Show>
            <h4 class="subheading">"Live links"</h4>
            <Show when=move || list_error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || list_error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || links.with(|l| l.as_ref().is_some_and(Vec::is_empty))>
                <p class="field-note">"No live links."</p>
            </Show>
            <ul class="members" data-testid="invite-link-list">
                <For
                    each=move || links.get().unwrap_or_default()
                    key=|l| (l.id, l.uses)
                    children=move |link| view! { <LinkRow link revoke/> }
                />
            </ul>
            <ProgressLine progress=revoke_progress testid="revoke-progress"/>
        </section>
    }
}

/// One live link: its code's first characters, who made it, when it
/// expires, its uses; Revoke.
#[component]
fn LinkRow(
    link: InviteLinkInfo,
    revoke: impl Fn(i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = link.id;
    let name = format!("{}…", link.prefix);
    let label = format!("Revoke the link {name}");
    let by = link
        .creator
        .as_ref()
        .map(|c| format!("by {c}"))
        .unwrap_or_else(|| "by a deleted account".to_owned());
    let expires = match &link.expires_at {
        Some(at) => format!("expires {}", date_time(at)),
        None => "does not expire".to_owned(),
    };
    let uses = match link.max_uses {
        Some(max) => format!("used {} of {max}", link.uses),
        None => format!("used {}", link.uses),
    };
    view! {
        <li class="member" data-testid="invite-link">
            <div class="member-line">
                <code class="member-name">{name}</code>
                <span class="field-note">{format!("{by} · {expires} · {uses}")}</span>
                <button
                    type="button"
                    class="link danger-link"
                    data-testid="revoke-invite-link"
                    aria-label=label
                    on:click=move |_| revoke(id)
                >
                    "Revoke"
                </button>
            </div>
        </li>
    }
}

/// What the page says when the link it was opened with let nobody in:
/// the server's reason, and a way back to the chat.
#[component]
pub fn InviteRefused(refused: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || refused.with(Option::is_some)>
            <div class="invite-refused" role="alert" data-testid="invite-refused">
                <p>
                    {move || {
                        let text = refused.get().unwrap_or_default();
                        let text = text.trim_end_matches('.');
                        let ask = if text.contains("ask for a new one") {
                            ""
                        } else {
                            " Ask whoever sent it for a new one."
                        };
                        format!("Could not join with this link: {text}.{ask}")
                    }}
                </p>
                <button
                    type="button"
                    class="secondary small"
                    data-testid="invite-back"
                    on:click=move |_| refused.set(None)
                >
                    "Back to the chat"
                </button>
            </div>
        </Show>
    }
}
