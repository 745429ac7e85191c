//! What the chat screen knows, and how each server event changes it.

use super::room_state::RoomsState;
use crate::client::Client;
pub use crate::model::thread::Thread;
pub use crate::model::timeline::{ChangeGap, Line, Timeline};
use crate::protocol::account::Session;
use crate::protocol::chat::{NewMessage, NewProtectedMessage, Timestamp, UserJoined, UserLeft};
use crate::protocol::direct::{DmSummary, Focus, MarkRead, NewDm};
use crate::protocol::notifications::Alert;
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use std::collections::{BTreeMap, HashMap};

/// What the main pane shows: a room, or the conversation with one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum View {
    Room(RoomName),
    Dm(Username),
}

impl View {
    /// `focus` for this view: what the server is told this page shows.
    pub fn focus(&self) -> Focus {
        match self {
            View::Room(room) => Focus {
                room: Some(room.clone()),
                thread: None,
                with: None,
            },
            View::Dm(with) => Focus {
                room: None,
                thread: None,
                with: Some(with.clone()),
            },
        }
    }

    pub fn general() -> Self {
        View::Room(RoomName::general())
    }

    pub fn title(&self) -> String {
        match self {
            View::Room(r) => format!("#{r}"),
            View::Dm(u) => format!("@{u}"),
        }
    }
}

/// The chat screen's state: signals, so every widget follows it.
#[derive(Clone, Copy)]
pub struct ChatState {
    pub client: Client,
    /// The login, when logged in (kept across reloads).
    pub account: RwSignal<Option<Session>>,
    /// The name this page joined with; `None` until it has joined.
    pub me: RwSignal<Option<Username>>,
    /// Joined rooms, `general` first.
    pub rooms: RwSignal<Vec<RoomName>>,
    /// Direct conversations, most recent first, with unread counts.
    pub dms: RwSignal<Vec<DmSummary>>,
    pub current: RwSignal<View>,
    timelines: RwSignal<HashMap<View, Timeline>>,
    unread: RwSignal<HashMap<RoomName, u32>>,
    /// Names from `get-users`, kept live by `user-joined` / `user-left`.
    pub users: RwSignal<Vec<String>>,
    /// Notifications on screen, with an id each.
    pub alerts: RwSignal<Vec<(u64, Alert)>>,
    next_alert: StoredValue<u64>,
    /// Why the last login ended, for the login form.
    pub signed_out_reason: RwSignal<Option<String>>,
    /// Kinds, roles and notices of rooms (`room_state.rs`).
    pub room_state: RoomsState,
    /// Where the account has read each of its rooms to (`read-state`,
    /// `room-read`); `None` until the server said (and for guests).
    pub read_marks: RwSignal<Option<HashMap<RoomName, i64>>>,
    /// The "new messages" line of the room shown: the room, and the last
    /// message read when it was opened.
    pub divider: RwSignal<Option<(RoomName, i64)>>,
    /// The message being edited (`message_edit.rs`), if any.
    pub editing: RwSignal<Option<Editing>>,
    /// The thread open beside the room shown (`sync::threads`), if any.
    pub thread: RwSignal<Option<Thread>>,
    /// What opened it (a CSS selector), where the focus goes back when it
    /// closes.
    pub thread_opener: StoredValue<Option<String>>,
    /// The page's reactive owner, until `sync::following` sets up what
    /// follows the chat under it (before the first `join`). Weak: stored
    /// under that owner, a strong one would keep itself alive.
    page_owner: StoredValue<Option<WeakOwner>>,
}

/// A message being edited, and where the focus goes back after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editing {
    pub id: i64,
    /// A direct message (a room message may share its id).
    pub direct: bool,
    /// Started with Up in the composer (else with its Edit button).
    pub from_composer: bool,
    /// In the thread panel (a reply sent to the room shows in both).
    pub in_thread: bool,
}

impl ChatState {
    pub fn new(client: Client, account: Option<Session>) -> Self {
        Self {
            client,
            account: RwSignal::new(account),
            me: RwSignal::new(None),
            rooms: RwSignal::new(vec![RoomName::general()]),
            dms: RwSignal::new(Vec::new()),
            current: RwSignal::new(View::general()),
            timelines: RwSignal::new(HashMap::new()),
            unread: RwSignal::new(HashMap::new()),
            users: RwSignal::new(Vec::new()),
            alerts: RwSignal::new(Vec::new()),
            next_alert: StoredValue::new(0),
            signed_out_reason: RwSignal::new(None),
            room_state: RoomsState::new(),
            editing: RwSignal::new(None),
            thread: RwSignal::new(None),
            thread_opener: StoredValue::new(None),
            read_marks: RwSignal::new(None),
            divider: RwSignal::new(None),
            page_owner: StoredValue::new(Owner::current().map(|o| o.downgrade())),
        }
    }

    /// The page's owner, once: `None` when what follows the chat is set up
    /// (or the page is gone).
    pub fn take_page_owner(&self) -> Option<Owner> {
        self.page_owner
            .try_update_value(Option::take)
            .flatten()
            .and_then(|owner| owner.upgrade())
    }

    /// Subscribes to the server events that change this state.
    pub fn listen(self) {
        self.client
            .on::<NewMessage>(move |m| self.receive_message(m));
        self.client.on::<NewDm>(move |m| self.receive_dm(m));
        // Sent to everyone and stored nowhere: shown where the person is
        // reading, with the account that vouched for it.
        self.client.on::<NewProtectedMessage>(move |m| {
            let view = self.current.get_untracked();
            self.add_lines(
                &view,
                [Line::Protected {
                    username: m.username,
                    vouched_by: m.vouched_by,
                    text: m.message.as_str().to_owned(),
                    timestamp: m.timestamp,
                }],
            );
        });
        self.client.on::<UserJoined>(move |e| {
            self.users
                .update(|u| u.push(e.username.as_str().to_owned()));
            self.notice(e.message);
        });
        self.client.on::<UserLeft>(move |e| {
            self.users.update(|u| {
                if let Some(i) = u.iter().position(|n| n == e.username.as_str()) {
                    u.remove(i);
                }
            });
            self.notice(e.message);
        });
    }

    fn is_me(&self, name: &Username) -> bool {
        self.me.with_untracked(|me| {
            me.as_ref()
                .is_some_and(|m| m.as_str().eq_ignore_ascii_case(name.as_str()))
        })
    }

    pub fn message_line(&self, m: &NewMessage) -> Line {
        Line::Message {
            seq: m.seq,
            id: m.id,
            username: m.username.clone(),
            text: m.message.as_str().to_owned(),
            timestamp: m.timestamp.clone(),
            mine: self.is_me(&m.username),
            deleted: m.deleted,
            edited: m.edited.clone(),
            reactions: m.reactions.clone(),
            change: m.change,
            thread: m.thread,
            in_room: m.in_room,
            replies: m.replies.clone(),
        }
    }

    pub fn dm_line(&self, m: &NewDm) -> Line {
        Line::Message {
            seq: m.seq,
            id: m.id,
            username: m.from.clone(),
            text: m.message.as_str().to_owned(),
            timestamp: m.timestamp.clone(),
            mine: self.is_me(&m.from),
            deleted: m.deleted,
            edited: m.edited.clone(),
            reactions: m.reactions.clone(),
            change: m.change,
            thread: None,
            in_room: false,
            replies: None,
        }
    }

    /// Adds lines to a conversation's timeline; returns how many were new.
    pub fn add_lines(&self, view: &View, lines: impl IntoIterator<Item = Line>) -> usize {
        let mut added = 0;
        self.timelines.update(|t| {
            let timeline = t.entry(view.clone()).or_default();
            for line in lines {
                added += usize::from(timeline.insert(line));
            }
        });
        added
    }

    pub fn receive_message(&self, m: NewMessage) {
        let view = View::Room(m.room.clone());
        let line = self.message_line(&m);
        let in_room = line.in_room();
        if m.thread.is_some() {
            self.in_open_thread(&m.room, |t| t.insert(line.clone()));
        }
        // A reply kept to its thread is not counted (the server's counts
        // leave it out too).
        if self.add_lines(&view, [line]) == 1
            && in_room
            && self.current.with_untracked(|c| *c != view)
        {
            self.unread.update(|u| *u.entry(m.room).or_default() += 1);
        }
    }

    /// Applies `f` to the thread open, if it is one of `room`'s; what `f`
    /// answered.
    pub fn in_open_thread(&self, room: &RoomName, f: impl FnOnce(&mut Thread) -> bool) -> bool {
        let mut changed = false;
        self.thread.maybe_update(|t| match t {
            Some(thread) if thread.room == *room => {
                changed = f(thread);
                changed
            }
            _ => false,
        });
        changed
    }

    /// `focus` for what this page shows: the conversation `view`, and the
    /// thread open beside it when it is one of that room's.
    pub fn focus_of(&self, view: &View) -> Focus {
        let mut focus = view.focus();
        if let View::Room(room) = view {
            focus.thread = self
                .thread
                .with_untracked(|t| t.as_ref().filter(|t| t.room == *room).map(|t| t.root_id));
        }
        focus
    }

    pub fn receive_dm(&self, m: NewDm) {
        let Some(me) = self.me.get_untracked() else {
            return;
        };
        let other = m.other(&me).clone();
        let view = View::Dm(other.clone());
        let line = self.dm_line(&m);
        let new = self.add_lines(&view, [line]) == 1;
        let looking = self.current.with_untracked(|c| *c == view);
        let from_other = !self.is_me(&m.from);
        self.dms.update(|dms| {
            let i = dms
                .iter()
                .position(|d| d.with.as_str().eq_ignore_ascii_case(other.as_str()));
            let mut summary = match i {
                Some(i) => dms.remove(i),
                None => DmSummary {
                    with: other.clone(),
                    last_seq: 0,
                    unread: 0,
                },
            };
            summary.last_seq = summary.last_seq.max(m.seq);
            if new && from_other && !looking {
                summary.unread += 1;
            }
            dms.insert(0, summary);
        });
        if new && from_other && looking {
            self.client.emit(&MarkRead {
                with: other,
                seq: m.seq,
            });
        }
    }

    /// A system notice (joins, leaves) in the view being looked at.
    pub fn notice(&self, text: String) {
        let view = self.current.get_untracked();
        self.add_lines(&view, [Line::Notice { text }]);
    }

    /// A message's new state (`message-changed`, the change feed), applied
    /// when newer than the one shown.
    pub fn apply_change(&self, m: &NewMessage) {
        let view = View::Room(m.room.clone());
        let line = self.message_line(m);
        self.in_open_thread(&m.room, |t| t.apply_change(line.clone()));
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(&view) {
                timeline.apply_change(line);
            }
        });
    }

    /// A direct message's new state (`dm-changed`, the change feed),
    /// applied when newer than the one shown; the conversation it is of
    /// (`None` before this page has joined).
    pub fn apply_dm_change(&self, m: &NewDm) -> Option<View> {
        let me = self.me.get_untracked()?;
        let view = View::Dm(m.other(&me).clone());
        let line = self.dm_line(m);
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(&view) {
                timeline.apply_change(line);
            }
        });
        Some(view)
    }

    /// Notes a live change number of `view`: whether one is missing.
    pub fn note_change(&self, view: &View, change: i64) -> ChangeGap {
        let mut gap = ChangeGap::None;
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(view) {
                gap = timeline.note_change(change);
            }
        });
        gap
    }

    /// `view`'s changes are applied up to `last`; `only_first`: unless
    /// it already counts them (a history page starts the count, it does
    /// not move it: changes to messages outside the page may be missing).
    pub fn caught_up_to(&self, view: &View, last: i64, only_first: bool) {
        self.timelines.update(|t| {
            let timeline = t.entry(view.clone()).or_default();
            if !only_first || timeline.changes_upto.is_none() {
                timeline.caught_up_to(last);
            }
        });
    }

    /// Where `view`'s changes are applied up to, once its history is read.
    pub fn changes_upto(&self, view: &View) -> Option<i64> {
        self.timelines
            .with_untracked(|t| t.get(view).and_then(|tl| tl.changes_upto))
    }

    /// Shows message `id` of `view` as deleted.
    pub fn delete_message(&self, view: &View, id: i64) {
        if let View::Room(room) = view {
            self.in_open_thread(room, |t| t.delete(id));
        }
        self.timelines.update(|t| {
            if let Some(timeline) = t.get_mut(view) {
                timeline.delete(id);
            }
        });
    }

    pub fn timeline(&self, view: &View) -> Timeline {
        self.timelines
            .with(|t| t.get(view).cloned().unwrap_or_default())
    }

    /// The newest message `seq` of `view` (tracked), without copying its
    /// timeline.
    pub fn newest_seq(&self, view: &View) -> Option<i64> {
        self.timelines
            .with(|t| t.get(view).and_then(Timeline::newest_seq))
    }

    /// Who wrote in `view` lately, newest first, each once (in any case),
    /// at most `limit` (tracked).
    pub fn recent_authors(&self, view: &View, limit: usize) -> Vec<String> {
        self.timelines.with(|t| {
            let mut seen = std::collections::HashSet::new();
            t.get(view)
                .into_iter()
                .flat_map(Timeline::authors_newest_first)
                .filter(|u| seen.insert(u.as_str().to_lowercase()))
                .take(limit)
                .map(|u| u.as_str().to_owned())
                .collect()
        })
    }

    pub fn timeline_untracked(&self, view: &View) -> Timeline {
        self.timelines
            .with_untracked(|t| t.get(view).cloned().unwrap_or_default())
    }

    /// Records what a history page said about older messages.
    pub fn set_loaded(&self, view: &View, has_older: Option<bool>) {
        self.timelines.update(|t| {
            let timeline = t.entry(view.clone()).or_default();
            timeline.loaded = true;
            if let Some(has_older) = has_older {
                timeline.has_older = has_older;
            }
        });
    }

    /// Every loaded conversation and its newest `seq`, for catching up.
    pub fn loaded_views(&self) -> Vec<(View, i64)> {
        self.timelines.with_untracked(|t| {
            t.iter()
                .filter(|(_, tl)| tl.loaded)
                .map(|(v, tl)| (v.clone(), tl.newest_seq().unwrap_or(0)))
                .collect()
        })
    }

    pub fn unread_in(&self, room: &RoomName) -> u32 {
        self.unread.with(|u| u.get(room).copied().unwrap_or(0))
    }

    /// Sets a room's unread count (the server's, after `read-state`).
    pub fn set_unread(&self, room: RoomName, count: u32) {
        self.unread.update(|u| {
            match count {
                0 => u.remove(&room),
                n => u.insert(room, n),
            };
        });
    }

    /// Whether any room has unread messages.
    pub fn any_unread(&self) -> bool {
        self.unread.with(|u| u.values().any(|n| *n > 0))
    }

    pub fn open(&self, view: View) {
        match &view {
            View::Room(room) => {
                self.rooms.update(|rooms| {
                    if !rooms.contains(room) {
                        rooms.push(room.clone());
                    }
                });
                self.unread.update(|u| {
                    u.remove(room);
                });
            }
            View::Dm(with) => self.dms.update(|dms| {
                match dms
                    .iter_mut()
                    .find(|d| d.with.as_str().eq_ignore_ascii_case(with.as_str()))
                {
                    Some(d) => d.unread = 0,
                    None => dms.insert(
                        0,
                        DmSummary {
                            with: with.clone(),
                            last_seq: 0,
                            unread: 0,
                        },
                    ),
                }
            }),
        }
        self.current.set(view);
    }

    pub fn forget_room(&self, room: &RoomName) {
        self.rooms.update(|rooms| rooms.retain(|r| r != room));
        let view = View::Room(room.clone());
        self.timelines.update(|t| {
            t.remove(&view);
        });
        self.unread.update(|u| {
            u.remove(room);
        });
        self.room_state.forget(room);
        if self
            .thread
            .with_untracked(|t| t.as_ref().is_some_and(|t| t.room == *room))
        {
            self.thread.set(None);
        }
        if self.current.with_untracked(|c| *c == view) {
            self.current.set(View::general());
        }
    }

    /// Back to the name form, keeping nothing of the last identity.
    pub fn reset(&self) {
        self.me.set(None);
        self.rooms.set(vec![RoomName::general()]);
        self.dms.set(Vec::new());
        self.timelines.set(HashMap::new());
        self.unread.set(HashMap::new());
        self.users.set(Vec::new());
        self.room_state.reset();
        self.read_marks.set(None);
        self.divider.set(None);
        self.thread.set(None);
        self.current.set(View::general());
    }

    pub fn push_alert(&self, alert: Alert) -> u64 {
        let id = self.next_alert.get_value();
        self.next_alert.set_value(id + 1);
        self.alerts.update(|a| {
            a.push((id, alert));
            if a.len() > 5 {
                a.remove(0);
            }
        });
        id
    }

    pub fn dismiss_alert(&self, id: u64) {
        self.alerts.update(|a| a.retain(|(i, _)| *i != id));
    }

    /// The distinct names online, sorted, with how many sockets use each.
    pub fn people(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        self.users.with(|users| {
            for u in users {
                *counts.entry((u.to_lowercase(), u.clone())).or_default() += 1;
            }
        });
        counts.into_iter().map(|((_, name), n)| (name, n)).collect()
    }
}

/// `HH:MM` in the reader's time zone.
pub fn local_time(ts: &Timestamp) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&ts.0));
        if !date.get_time().is_nan() {
            return format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
        }
    }
    // On the server (or for an unreadable time): the UTC hour and minute.
    ts.0.get(11..16).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;

    /// The state keeps the page's owner until what follows the chat is set
    /// up under it, without keeping that owner alive: it is stored under
    /// it, and a strong reference there would hold it (and all it owns)
    /// until its parent is cleaned up.
    #[test]
    fn the_state_does_not_keep_the_page_s_owner_alive() {
        let root = Owner::new();
        let (weak, state) = root.with(|| {
            let page = Owner::new();
            let state = page.with(|| ChatState::new(Client::connect(&[], None), None));
            (page.downgrade(), state)
        });
        assert!(weak.upgrade().is_none(), "the page's owner is gone");
        assert!(state.take_page_owner().is_none());

        let page = Owner::new();
        let state = page.with(|| ChatState::new(Client::connect(&[], None), None));
        assert!(state.take_page_owner().is_some(), "given once");
        assert!(state.take_page_owner().is_none());
    }
}
