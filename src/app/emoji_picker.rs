//! The emoji picker: a dialog with a search box (names and shortcodes),
//! the recently used emoji and a grid of matches (the first
//! [`SHOWN`], so that it stays quick). Arrows or Tab move through the
//! emoji, Enter picks (in the search box: the first match), Escape
//! closes and gives the focus back.

use super::dialog::Modal;
use super::sync::recent_emoji;
use super::text::unique_id;
use crate::model::reactions::search_emoji;
use crate::protocol::emoji::Emoji;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// How many matches the grid shows.
const SHOWN: usize = 80;
/// The grid's columns (the stylesheet's too): Up and Down move by a row.
const COLUMNS: i32 = 8;

/// One emoji's button: its name for screen readers, its shortcode as a
/// tooltip.
fn emoji_button(
    e: &'static emojis::Emoji,
    grid: &'static str,
    index: usize,
    pick: Callback<Emoji>,
    first: bool,
) -> impl IntoView {
    let code = e.shortcode().map(|c| format!(":{c}:"));
    let title = match &code {
        Some(code) => format!("{} {code}", e.name()),
        None => e.name().to_owned(),
    };
    let glyph = e.as_str();
    view! {
        <button
            type="button"
            class="emoji-choice"
            data-grid=grid
            data-index=index
            data-emoji=glyph
            aria-label=e.name()
            title=title
            tabindex=if first { "0" } else { "-1" }
            on:click=move |_| {
                if let Ok(emoji) = Emoji::parse(glyph) {
                    pick.run(emoji);
                }
            }
        >
            {glyph}
        </button>
    }
}

/// Arrow keys in a grid of emoji: the focus moves to the neighbour (Up
/// from the first row of the matches goes back to the search box).
fn move_in_grid(ev: &leptos::ev::KeyboardEvent, search: NodeRef<html::Input>) {
    let step = match ev.key().as_str() {
        "ArrowRight" => 1,
        "ArrowLeft" => -1,
        "ArrowDown" => COLUMNS,
        "ArrowUp" => -COLUMNS,
        _ => return,
    };
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let (Some(grid), Some(index)) = (
        el.get_attribute("data-grid"),
        el.get_attribute("data-index")
            .and_then(|i| i.parse::<i32>().ok()),
    ) else {
        return;
    };
    ev.prevent_default();
    let Some(parent) = el.parent_element() else {
        return;
    };
    let to = index + step;
    let selector = format!("[data-grid=\"{grid}\"][data-index=\"{to}\"]");
    match parent.query_selector(&selector).ok().flatten() {
        Some(next) => {
            if let Ok(next) = next.dyn_into::<web_sys::HtmlElement>() {
                el.set_tab_index(-1);
                next.set_tab_index(0);
                let _ = next.focus();
            }
        }
        None if to < 0 => {
            if let Some(input) = search.get_untracked() {
                let _ = input.focus();
            }
        }
        None => {}
    }
}

/// Focuses the first emoji of the matches.
fn focus_first(results: NodeRef<html::Div>) {
    let first = results
        .get_untracked()
        .and_then(|r| r.query_selector("[data-index=\"0\"]").ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(first) = first {
        let _ = first.focus();
    }
}

/// The picker; `pick` gets the emoji chosen (the dialog closes itself).
#[component]
pub fn EmojiPicker(open: RwSignal<bool>, pick: Callback<Emoji>) -> impl IntoView {
    let title_id = unique_id("picker-title");
    view! {
        <Modal open title="Add a reaction" id=title_id testid="emoji-picker">
            <PickerBody open pick/>
        </Modal>
    }
}

#[component]
fn PickerBody(open: RwSignal<bool>, pick: Callback<Emoji>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let recent = recent_emoji::load();
    let search = NodeRef::<html::Input>::new();
    let results = NodeRef::<html::Div>::new();
    let search_id = unique_id("emoji-search");
    let chosen = Callback::new(move |emoji: Emoji| {
        recent_emoji::remember(&emoji);
        open.set(false);
        pick.run(emoji);
    });
    let found = move || query.with(|q| search_emoji(q, SHOWN));
    let recent_row = (!recent.is_empty()).then(|| {
        let buttons = recent
            .iter()
            .filter_map(|e| emojis::get(e.as_str()))
            .enumerate()
            .map(|(i, e)| emoji_button(e, "recent", i, chosen, i == 0))
            .collect_view();
        view! {
            <h3 class="picker-heading">"Recently used"</h3>
            <div
                class="emoji-grid"
                role="group"
                aria-label="Recently used"
                data-testid="recent-emoji"
                on:keydown=move |ev| move_in_grid(&ev, search)
            >
                {buttons}
            </div>
        }
    });
    view! {
        <div class="modal-body emoji-picker">
            <label for=search_id.clone()>"Search emoji"</label>
            <input
                id=search_id
                type="search"
                node_ref=search
                autofocus
                autocomplete="off"
                data-testid="emoji-search"
                placeholder="tada, heart, thumbs up…"
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                    "Enter" => {
                        ev.prevent_default();
                        if let Some(e) = found().first().and_then(|e| Emoji::parse(e.as_str()).ok()) {
                            chosen.run(e);
                        }
                    }
                    "ArrowDown" => {
                        ev.prevent_default();
                        focus_first(results);
                    }
                    _ => {}
                }
            />
            {recent_row}
            <h3 class="picker-heading">
                {move || if query.with(|q| q.trim().is_empty()) { "All emoji" } else { "Matches" }}
            </h3>
            <div
                class="emoji-grid"
                role="group"
                aria-label="Emoji"
                node_ref=results
                data-testid="emoji-results"
                on:keydown=move |ev| move_in_grid(&ev, search)
            >
                {move || {
                    let list = found();
                    if list.is_empty() {
                        return view! {
                            <p class="field-note no-match">
                                {format!("No emoji match “{}”.", query.get_untracked().trim())}
                            </p>
                        }
                            .into_any();
                    }
                    list.into_iter()
                        .enumerate()
                        .map(|(i, e)| emoji_button(e, "all", i, chosen, i == 0))
                        .collect_view()
                        .into_any()
                }}
            </div>
        </div>
    }
}
