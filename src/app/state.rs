//! What the chat screen knows, and how each server event changes it.

use crate::client::Client;
use crate::protocol::chat::{NewMessage, Timestamp, UserJoined, UserLeft};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use std::collections::HashMap;

/// One line of a room's timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Message {
        id: u64,
        username: Username,
        text: String,
        timestamp: Timestamp,
        mine: bool,
    },
    Notice {
        id: u64,
        text: String,
    },
}

impl Line {
    pub fn id(&self) -> u64 {
        match self {
            Line::Message { id, .. } | Line::Notice { id, .. } => *id,
        }
    }
}

/// Most lines kept per room in the page; older ones are dropped.
const MAX_LINES_PER_ROOM: usize = 1000;

/// The chat screen's state: signals, so every widget follows it.
#[derive(Clone, Copy)]
pub struct ChatState {
    pub client: Client,
    /// The name this page joined with; `None` until the name form succeeds.
    pub me: RwSignal<Option<Username>>,
    /// Joined rooms, `general` first.
    pub rooms: RwSignal<Vec<RoomName>>,
    pub current: RwSignal<RoomName>,
    timelines: RwSignal<HashMap<RoomName, Vec<Line>>>,
    unread: RwSignal<HashMap<RoomName, u32>>,
    /// Names from `get-users`, kept live by `user-joined` / `user-left`.
    pub users: RwSignal<Vec<String>>,
    next_line_id: StoredValue<u64>,
}

impl ChatState {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            me: RwSignal::new(None),
            rooms: RwSignal::new(vec![RoomName::general()]),
            current: RwSignal::new(RoomName::general()),
            timelines: RwSignal::new(HashMap::new()),
            unread: RwSignal::new(HashMap::new()),
            users: RwSignal::new(Vec::new()),
            next_line_id: StoredValue::new(0),
        }
    }

    /// Subscribes to the server events that change this state.
    pub fn listen(self) {
        self.client
            .on::<NewMessage>(move |m| self.receive_message(m));
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

    fn line_id(&self) -> u64 {
        let id = self.next_line_id.get_value();
        self.next_line_id.set_value(id + 1);
        id
    }

    fn push(&self, room: RoomName, line: Line) {
        self.timelines.update(|t| {
            let lines = t.entry(room).or_default();
            lines.push(line);
            if lines.len() > MAX_LINES_PER_ROOM {
                let excess = lines.len() - MAX_LINES_PER_ROOM;
                lines.drain(..excess);
            }
        });
    }

    pub fn receive_message(&self, m: NewMessage) {
        let mine = self
            .me
            .with_untracked(|me| me.as_ref() == Some(&m.username));
        let room = m.room.clone();
        let line = Line::Message {
            id: self.line_id(),
            username: m.username,
            text: m.message.into(),
            timestamp: m.timestamp,
            mine,
        };
        self.push(room.clone(), line);
        if self.current.with_untracked(|c| *c != room) {
            self.unread.update(|u| *u.entry(room).or_default() += 1);
        }
    }

    /// A system notice (joins, leaves) in the room being looked at.
    pub fn notice(&self, text: String) {
        let line = Line::Notice {
            id: self.line_id(),
            text,
        };
        self.push(self.current.get_untracked(), line);
    }

    pub fn lines(&self) -> Vec<Line> {
        let room = self.current.get();
        self.timelines
            .with(|t| t.get(&room).cloned().unwrap_or_default())
    }

    pub fn unread_in(&self, room: &RoomName) -> u32 {
        self.unread.with(|u| u.get(room).copied().unwrap_or(0))
    }

    pub fn open_room(&self, room: RoomName) {
        self.rooms.update(|rooms| {
            if !rooms.contains(&room) {
                rooms.push(room.clone());
            }
        });
        self.unread.update(|u| {
            u.remove(&room);
        });
        self.current.set(room);
    }

    pub fn forget_room(&self, room: &RoomName) {
        self.rooms.update(|rooms| rooms.retain(|r| r != room));
        self.timelines.update(|t| {
            t.remove(room);
        });
        self.unread.update(|u| {
            u.remove(room);
        });
        if self.current.with_untracked(|c| c == room) {
            self.current.set(RoomName::general());
        }
    }

    /// The distinct names online, sorted, with how many sockets use each.
    pub fn people(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
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
