//! The names the composer's `@` completion offers (`model::completion`
//! ranks them): first the conversation's people (in a DM the other person;
//! in a room who wrote there lately, then its members, which the server
//! is asked for when a mention is first typed there and again after a
//! minute), then everyone else the page knows (online, DM partners).

use crate::app::room_state::now_ms;
use crate::app::state::{ChatState, View};
use crate::app::sync::moderation::room_members;
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// How long a room's member list is used before it is asked for again.
const MEMBERS_FRESH_MS: f64 = 60_000.0;
/// How many of a conversation's latest writers are offered first.
const RECENT_AUTHORS: usize = 50;

/// A room's member names, and when they were asked for.
#[derive(Debug, Clone, Default)]
struct Asked {
    at_ms: f64,
    names: Vec<String>,
}

/// The names this page knows, for completing mentions.
#[derive(Clone, Copy)]
pub struct KnownNames {
    members: RwSignal<HashMap<RoomName, Asked>>,
}

impl Default for KnownNames {
    fn default() -> Self {
        Self::new()
    }
}

impl KnownNames {
    pub fn new() -> Self {
        Self {
            members: RwSignal::new(HashMap::new()),
        }
    }

    /// Asks the server for `room`'s members, unless it was asked within
    /// the last minute (`general` has none: everyone is in it). A refusal
    /// leaves the names the page knows otherwise.
    pub fn refresh(self, state: ChatState, room: &RoomName) {
        if room.is_general() {
            return;
        }
        let now = now_ms();
        let fresh = self.members.with_untracked(|m| {
            m.get(room)
                .is_some_and(|a| now - a.at_ms < MEMBERS_FRESH_MS)
        });
        if fresh {
            return;
        }
        // Noted at once, so that the next keystrokes do not ask again.
        self.members
            .update(|m| m.entry(room.clone()).or_default().at_ms = now);
        let room = room.clone();
        spawn_local(async move {
            match room_members(state, room.clone()).await {
                Ok((list, _)) => self.members.update(|m| {
                    let names = list
                        .into_iter()
                        .map(|e| String::from(e.username.as_str()))
                        .collect();
                    m.insert(room, Asked { at_ms: now, names });
                }),
                Err(e) => leptos::logging::warn!("room-members failed: {e}"),
            }
        });
    }

    /// `(the conversation's people, everyone else)` for `view` (tracked).
    pub fn for_view(self, state: ChatState, view: &View) -> (Vec<String>, Vec<String>) {
        let mut people = Vec::new();
        if let View::Dm(with) = view {
            people.push(with.as_str().to_owned());
        }
        people.extend(state.recent_authors(view, RECENT_AUTHORS));
        if let View::Room(room) = view {
            self.members.with(|m| {
                if let Some(asked) = m.get(room) {
                    people.extend(asked.names.iter().cloned());
                }
            });
        }
        let mut others = state.users.get();
        state
            .dms
            .with(|dms| others.extend(dms.iter().map(|d| d.with.as_str().to_owned())));
        (people, others)
    }
}
