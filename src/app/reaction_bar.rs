//! A message's reactions, in a room or a direct conversation (issue #15):
//! a button per emoji ("🎉 2",
//! pressed when this account is among those who reacted; its title says
//! who), a click adds or takes back this account's; "Add reaction" opens
//! the emoji picker. Guests see the reactions, not the buttons (the
//! server takes reactions from accounts only). A refusal (the cap of
//! different emoji per message, say) shows beside them.

use super::emoji_picker::EmojiPicker;
use super::focus::focus_later;
use super::state::ChatState;
use super::sync::emoji_list;
use super::sync::message_changes::react;
use crate::model::reactions::reaction_label;
use crate::protocol::emoji::{Emoji, Reaction};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where the bar is: the thread panel's or the room's (a reply sent to the
/// room shows in both).
fn scope(in_thread: bool) -> &'static str {
    match in_thread {
        true => ".thread-panel ",
        false => "[data-testid=\"messages\"] ",
    }
}

fn reaction_selector(in_thread: bool, id: i64, emoji: &Emoji) -> String {
    format!(
        "{}[data-testid=\"reaction\"][data-id=\"{id}\"][data-emoji=\"{emoji}\"]",
        scope(in_thread)
    )
}

fn add_selector(in_thread: bool, id: i64) -> String {
    format!(
        "{}[data-testid=\"add-reaction\"][data-id=\"{id}\"]",
        scope(in_thread)
    )
}

#[component]
pub fn ReactionBar(
    id: i64,
    reactions: Vec<Reaction>,
    deleted: bool,
    /// In the thread panel.
    #[prop(optional)]
    in_thread: bool,
) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let view = state.current.get_untracked();
    if deleted || (reactions.is_empty() && state.account.with_untracked(Option::is_none)) {
        return None;
    }
    let account = move || state.account.with(Option::is_some);
    let error = RwSignal::new(None::<String>);
    let picker_open = RwSignal::new(false);
    let picker_mounted = RwSignal::new(false);
    let view = StoredValue::new(view);
    // Adds (`on`) or takes back this account's `emoji`; the focus then goes
    // to that emoji's button on the redrawn line, or to "Add reaction".
    let send = move |emoji: Emoji, on: bool| {
        error.set(None);
        let view = view.get_value();
        spawn_local(async move {
            let back = vec![
                reaction_selector(in_thread, id, &emoji),
                add_selector(in_thread, id),
            ];
            match react(state, view, id, emoji, on).await {
                Ok(_) => focus_later(back),
                Err(e) => error.set(Some(format!("Reaction not changed: {e}"))),
            }
        });
    };
    let pick = Callback::new(move |emoji: Emoji| send(emoji, true));
    let buttons = reactions
        .into_iter()
        .map(|r| {
            let label = reaction_label(&r);
            let shown = format!("{} {}", r.emoji, r.count);
            let emoji = r.emoji.clone();
            let r = StoredValue::new(r);
            let pressed = move || {
                state
                    .me
                    .with(|me| me.as_ref().is_some_and(|me| r.with_value(|r| r.includes(me))))
            };
            view! {
                <Show
                    when=account
                    fallback={
                        let (label, shown) = (label.clone(), shown.clone());
                        move || view! { <span class="reaction" title=label.clone()>{shown.clone()}</span> }
                    }
                >
                    <button
                        type="button"
                        class="reaction"
                        data-testid="reaction"
                        data-id=id
                        data-emoji=emoji.to_string()
                        title=label.clone()
                        aria-pressed=move || pressed().to_string()
                        on:click={
                            let emoji = emoji.clone();
                            move |_| send(emoji.clone(), !pressed())
                        }
                    >
                        {shown.clone()}
                    </button>
                </Show>
            }
        })
        .collect_view();
    Some(view! {
        <div class="reactions" role="group" aria-label="Reactions" data-testid="reactions">
            {buttons}
            <Show when=account>
                <button
                    type="button"
                    class="reaction add-reaction"
                    data-testid="add-reaction"
                    data-id=id
                    aria-label="Add reaction"
                    title="Add reaction"
                    // The emoji list loads as the pointer or the focus
                    // comes, so the picker rarely has to wait for it.
                    on:pointerenter=move |_| emoji_list::request()
                    on:focus=move |_| emoji_list::request()
                    on:click=move |_| {
                        error.set(None);
                        picker_mounted.set(true);
                        picker_open.set(true);
                    }
                >
                    <span aria-hidden="true">"☺+"</span>
                </button>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error" role="alert" data-testid="reaction-error">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            <Show when=move || picker_mounted.get()>
                <EmojiPicker open=picker_open pick/>
            </Show>
        </div>
    })
}
