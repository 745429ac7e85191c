//! The emoji picker: a dialog with a search box (names and shortcodes),
//! the recently used emoji and a grid of matches (the first
//! [`SHOWN`], so that it stays quick). Arrows or Tab move through the
//! emoji, Enter picks (in the search box: the first match), Escape
//! closes and gives the focus back. The emoji list comes from the server
//! the first time a picker opens (`sync::emoji_list`): until then the
//! grid says it is loading, and if that fails, why and how to retry.

use super::dialog::Modal;
use super::sync::emoji_list::{self, EmojiLoad};
use super::sync::recent_emoji;
use super::text::unique_id;
use crate::model::reactions::search_emoji;
use crate::protocol::emoji::{Emoji, EmojiInfo};
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
    e: &EmojiInfo,
    grid: &'static str,
    index: usize,
    pick: Callback<Emoji>,
    first: bool,
) -> impl IntoView {
    let title = match e.shortcodes.first() {
        Some(code) => format!("{} :{code}:", e.name),
        None => e.name.clone(),
    };
    let glyph = e.emoji.clone();
    let (data, picked) = (glyph.clone(), glyph.clone());
    let name = e.name.clone();
    view! {
        <button
            type="button"
            class="emoji-choice"
            data-grid=grid
            data-index=index
            data-emoji=data
            aria-label=name
            title=title
            tabindex=if first { "0" } else { "-1" }
            on:click=move |_| {
                if let Ok(emoji) = Emoji::parse(&picked) {
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

/// What the grid shows until the emoji list is here: that it is loading,
/// or why it could not be loaded and a button to try again.
fn not_ready(load: EmojiLoad) -> AnyView {
    match load {
        EmojiLoad::Failed(why) => view! {
            <div class="field-note picker-failed" role="alert" data-testid="emoji-load-failed">
                <p>{format!("The emoji could not be loaded. {why}.")}</p>
                <button type="button" class="secondary" on:click=|_| emoji_list::request()>
                    "Try again"
                </button>
            </div>
        }
        .into_any(),
        _ => view! {
            <p class="field-note picker-loading" role="status" data-testid="emoji-loading">
                "Loading emoji…"
            </p>
        }
        .into_any(),
    }
}

#[component]
fn PickerBody(open: RwSignal<bool>, pick: Callback<Emoji>) -> impl IntoView {
    emoji_list::request();
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
    let found = move || -> Vec<EmojiInfo> {
        let Some(table) = emoji_list::table() else {
            return Vec::new();
        };
        query.with(|q| {
            search_emoji(&table, q, SHOWN)
                .into_iter()
                .cloned()
                .collect()
        })
    };
    let recent_row = move || {
        let table = emoji_list::table()?;
        let buttons: Vec<_> = recent
            .iter()
            .filter_map(|e| table.get(e.as_str()))
            .enumerate()
            .map(|(i, e)| emoji_button(e, "recent", i, chosen, i == 0))
            .collect();
        (!buttons.is_empty()).then(|| {
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
        })
    };
    let grid = move || {
        let load = emoji_list::state();
        if !matches!(load, EmojiLoad::Ready(_)) {
            return not_ready(load);
        }
        let list = found();
        if list.is_empty() {
            return view! {
                <p class="field-note no-match">
                    {format!("No emoji match “{}”.", query.get_untracked().trim())}
                </p>
            }
            .into_any();
        }
        list.iter()
            .enumerate()
            .map(|(i, e)| emoji_button(e, "all", i, chosen, i == 0))
            .collect_view()
            .into_any()
    };
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
                        if let Some(e) = found().first().and_then(|e| Emoji::parse(&e.emoji).ok()) {
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
                aria-busy=move || matches!(emoji_list::state(), EmojiLoad::Idle | EmojiLoad::Loading).to_string()
                node_ref=results
                data-testid="emoji-results"
                on:keydown=move |ev| move_in_grid(&ev, search)
            >
                {grid}
            </div>
        </div>
    }
}
