//! Completion in a message box: typing `@` and the start of a name, or
//! `:` and two letters of a shortcode, opens a list above the box (the
//! word, the matches and what is put in: `model::completion`; the names:
//! `sync::completion`). Up and Down move through it (round), Enter or Tab
//! put the choice in, Escape closes it (and only it); a click picks too,
//! leaving the focus in the box.
//!
//! The box keeps its textbox role (a multi-line text field): it names the
//! list (`aria-controls`) and its active option (`aria-activedescendant`)
//! while the list is open, and a status line says how many there are.
//!
//! A composer makes a [`Completion`] for its textarea and calls it from
//! its events (`on_input`, `on_keydown` first, `on_keyup`, `close` on
//! blur); [`CompletionPopup`] shows the list.

use super::state::{ChatState, View};
use super::sync::completion::KnownNames;
use super::sync::emoji_list;
use super::sync::recent_emoji;
use super::text::unique_id;
use crate::model::completion::{
    apply, emoji_matches, rank_names, token_at, Choice, Kind, Token, MAX_CHOICES,
};
use crate::protocol::emoji::Emoji;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// One message box's completion.
#[derive(Clone, Copy)]
pub struct Completion {
    state: ChatState,
    textarea: NodeRef<html::Textarea>,
    names: KnownNames,
    /// The word being completed, if any.
    token: RwSignal<Option<Token>>,
    /// Escape closed the list of the word starting here: it stays closed
    /// while that word is typed.
    dismissed: StoredValue<Option<(Kind, usize)>>,
    choices: Memo<Vec<Choice>>,
    active: RwSignal<usize>,
    listbox_id: StoredValue<String>,
    /// How the box takes a new text (its draft and typing notice too).
    edited: Callback<String>,
}

impl Completion {
    /// Completion for `textarea`; `edited` gets the text after a choice.
    pub fn new(textarea: NodeRef<html::Textarea>, edited: Callback<String>) -> Self {
        let state = expect_context::<ChatState>();
        let names = KnownNames::new();
        let token = RwSignal::new(None::<Token>);
        let choices = Memo::new(move |_| {
            let Some(token) = token.get() else {
                return Vec::new();
            };
            match token.kind {
                Kind::Mention => {
                    let view = state.current.get();
                    let (people, others) = names.for_view(state, &view);
                    let me = state.me.with(|m| m.as_ref().map(|m| m.as_str().to_owned()));
                    rank_names(&token.query, &people, &others, me.as_deref(), MAX_CHOICES)
                        .into_iter()
                        .map(Choice::Name)
                        .collect()
                }
                Kind::Emoji => {
                    let Some(table) = emoji_list::table() else {
                        return Vec::new();
                    };
                    let recent = recent_emoji::load();
                    let recent: Vec<&str> = recent.iter().map(Emoji::as_str).collect();
                    emoji_matches(&table, &token.query, &recent, MAX_CHOICES)
                }
            }
        });
        Self {
            state,
            textarea,
            names,
            token,
            dismissed: StoredValue::new(None),
            choices,
            active: RwSignal::new(0),
            listbox_id: StoredValue::new(unique_id("completion")),
            edited,
        }
    }

    /// Whether the list shows (tracked).
    pub fn is_open(self) -> bool {
        self.choices.with(|c| !c.is_empty())
    }

    fn option_id(self, index: usize) -> String {
        format!("{}-{index}", self.listbox_id.get_value())
    }

    /// The active option's index (tracked), within the list.
    fn active_index(self) -> usize {
        let len = self.choices.with(Vec::len);
        self.active.get().min(len.saturating_sub(1))
    }

    /// The box's `aria-controls`: the list, while it shows.
    pub fn controls(self) -> Option<String> {
        self.is_open().then(|| self.listbox_id.get_value())
    }

    /// The box's `aria-activedescendant`: the active option, while the
    /// list shows.
    pub fn active_descendant(self) -> Option<String> {
        self.is_open().then(|| self.option_id(self.active_index()))
    }

    /// Finds the word at the caret again (after typing, or a caret move).
    pub fn on_input(self) {
        let Some(el) = self.textarea.get_untracked() else {
            return;
        };
        let caret = match (el.selection_start(), el.selection_end()) {
            (Ok(Some(start)), Ok(Some(end))) if start == end => Some(start as usize),
            _ => None,
        };
        let text = el.value();
        // The emoji list loads with the first `:` typed, so that it is
        // here by the time a `:code` is (the choices follow it anyway).
        if text.contains(':') {
            emoji_list::request();
        }
        let found = caret.and_then(|c| token_at(&text, c));
        let Some(found) = found else {
            self.dismissed.set_value(None);
            return self.token.set(None);
        };
        if self.dismissed.get_value() == Some((found.kind, found.start)) {
            return self.token.set(None);
        }
        self.dismissed.set_value(None);
        if found.kind == Kind::Mention {
            if let View::Room(room) = self.state.current.get_untracked() {
                self.names.refresh(self.state, &room);
            }
        }
        let same_word = self.token.with_untracked(|t| {
            t.as_ref()
                .is_some_and(|t| t.kind == found.kind && t.start == found.start)
        });
        if !same_word {
            self.active.set(0);
        }
        if self.token.with_untracked(|t| t.as_ref() != Some(&found)) {
            self.token.set(Some(found));
        }
    }

    /// A key pressed in the box: the list's keys while it shows. Answers
    /// whether the key was handled here (the box then does nothing more
    /// with it: Enter does not send, Escape does not empty the box).
    pub fn on_keydown(self, ev: &leptos::ev::KeyboardEvent) -> bool {
        if ev.is_composing()
            || ev.ctrl_key()
            || ev.alt_key()
            || ev.meta_key()
            || !self.choices.with_untracked(|c| !c.is_empty())
        {
            return false;
        }
        match ev.key().as_str() {
            "ArrowDown" => self.step(1),
            "ArrowUp" => self.step(-1),
            "Enter" | "Tab" if !ev.shift_key() => {
                let len = self.choices.with_untracked(Vec::len);
                self.accept(self.active.get_untracked().min(len.saturating_sub(1)));
            }
            "Escape" => {
                self.dismissed.set_value(
                    self.token
                        .with_untracked(|t| t.as_ref().map(|t| (t.kind, t.start))),
                );
                self.token.set(None);
            }
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    /// A key let go: a caret moved by the keyboard may be in another word.
    pub fn on_keyup(self, ev: &leptos::ev::KeyboardEvent) {
        if matches!(
            ev.key().as_str(),
            "ArrowLeft" | "ArrowRight" | "Home" | "End" | "PageUp" | "PageDown"
        ) {
            self.on_input();
        }
    }

    /// Closes the list (the box lost the focus, or was emptied).
    pub fn close(self) {
        self.token.set(None);
    }

    /// Moves the active option by `by`, round the ends, and keeps it in
    /// sight when the list scrolls.
    fn step(self, by: isize) {
        let len = self.choices.with_untracked(Vec::len) as isize;
        if len == 0 {
            return;
        }
        let now = self.active.get_untracked().min(len as usize - 1) as isize;
        let next = (now + by).rem_euclid(len) as usize;
        self.active.set(next);
        scroll_into_list(&self.option_id(next));
    }

    /// Puts choice `index` in place of the word at the caret, the caret
    /// after it.
    fn accept(self, index: usize) {
        let Some(choice) = self.choices.with_untracked(|c| c.get(index).cloned()) else {
            return;
        };
        let Some(el) = self.textarea.get_untracked() else {
            return;
        };
        let text = el.value();
        // The word as it is now (what the list was made for).
        let token = el
            .selection_start()
            .ok()
            .flatten()
            .and_then(|caret| token_at(&text, caret as usize));
        let applied = token.and_then(|t| apply(&text, &t, &choice.replacement()));
        self.token.set(None);
        let Some((new_text, caret)) = applied else {
            return;
        };
        if let Choice::Emoji { glyph, .. } = &choice {
            if let Ok(emoji) = Emoji::parse(glyph) {
                recent_emoji::remember(&emoji);
            }
        }
        let caret = u32::try_from(caret).unwrap_or(u32::MAX);
        el.set_value(&new_text);
        let _ = el.set_selection_range(caret, caret);
        self.edited.run(new_text.clone());
        // The box's value follows the text a moment later: the caret is
        // put back where it belongs if that moved it.
        request_animation_frame(move || {
            if el.value() == new_text {
                let _ = el.set_selection_range(caret, caret);
            }
        });
    }

    /// What the status line says: how many choices, and the keys.
    fn status(self) -> String {
        let (count, kind) = (
            self.choices.with(Vec::len),
            self.token.with(|t| t.as_ref().map(|t| t.kind)),
        );
        match (count, kind) {
            (0, _) | (_, None) => String::new(),
            (n, Some(kind)) => format!(
                "{n} {}: Up and Down to choose, Enter or Tab to accept, Escape to close",
                match (kind, n) {
                    (Kind::Mention, 1) => "name",
                    (Kind::Mention, _) => "names",
                    (Kind::Emoji, _) => "emoji",
                }
            ),
        }
    }
}

/// Scrolls the list so that option `id` shows (only the list moves).
fn scroll_into_list(id: &str) {
    let option = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let Some(option) = option else {
        return;
    };
    let Some(list) = option.parent_element() else {
        return;
    };
    let (top, bottom) = (
        option.offset_top(),
        option.offset_top() + option.offset_height(),
    );
    if top < list.scroll_top() {
        list.set_scroll_top(top);
    } else if bottom > list.scroll_top() + list.client_height() {
        list.set_scroll_top(bottom - list.client_height());
    }
}

/// The list of choices above the box, and the status line.
#[component]
pub fn CompletionPopup(completion: Completion) -> impl IntoView {
    let label = move || match completion.token.with(|t| t.as_ref().map(|t| t.kind)) {
        Some(Kind::Emoji) => "Emoji",
        _ => "People",
    };
    let option = move |(index, choice): (usize, Choice)| {
        let selected = move || completion.active_index() == index;
        let body = match choice {
            Choice::Name(name) => view! {
                <span class="completion-main">{format!("@{name}")}</span>
            }
            .into_any(),
            Choice::Emoji { glyph, code } => view! {
                <span class="completion-glyph">{glyph}</span>
                <span class="completion-main">{format!(":{code}:")}</span>
            }
            .into_any(),
        };
        view! {
            <li
                id=completion.option_id(index)
                role="option"
                class="completion-option"
                class:active=selected
                aria-selected=move || selected().to_string()
                data-testid="completion-option"
                // Keeps the focus in the box; the click picks.
                on:mousedown=|ev: leptos::ev::MouseEvent| ev.prevent_default()
                on:click=move |_| completion.accept(index)
            >
                {body}
            </li>
        }
    };
    view! {
        <Show when=move || completion.is_open()>
            <ul
                id=completion.listbox_id.get_value()
                class="completion"
                role="listbox"
                aria-label=label
                data-testid="completion"
            >
                {move || {
                    completion.choices.get().into_iter().enumerate().map(option).collect_view()
                }}
            </ul>
        </Show>
        <p class="sr-only" role="status" data-testid="completion-status">
            {move || completion.status()}
        </p>
    }
}
