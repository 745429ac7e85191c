//! What the parts of a room's settings dialog share (so that none of them
//! imports another): the room as loaded, a change's progress line, and
//! the member list as last loaded.

use super::state::ChatState;
use super::sync::moderation::room_members;
use super::sync::rooms::room_info;
use crate::protocol::moderation::MemberEntry;
use crate::protocol::rooms::{Role, RoomInfo};
use crate::protocol::RoomName;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The state of one change sent to the server: none yet, on its way,
/// done (what the server said), refused (why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Idle,
    Busy,
    Done(String),
    Failed(String),
}

/// A change's progress as one line, in a polite live region that is on
/// the page before anything is said in it (so screen readers say it);
/// a refusal is an alert.
#[component]
pub fn ProgressLine(progress: RwSignal<Progress>, testid: &'static str) -> impl IntoView {
    view! {
        <div class="progress-line" aria-live="polite">
            {move || match progress.get() {
                Progress::Idle => ().into_any(),
                Progress::Busy => view! { <p class="field-note">"Saving…"</p> }.into_any(),
                Progress::Done(text) => {
                    view! { <p class="field-ok" data-testid=testid>{text}</p> }.into_any()
                }
                Progress::Failed(text) => {
                    view! { <p class="form-error" role="alert" data-testid=testid>{text}</p> }
                        .into_any()
                }
            }}
        </div>
    }
}

/// A field of the loaded room (which is there once the sections show).
pub fn field<T: Default>(info: RwSignal<Option<RoomInfo>>, f: impl Fn(&RoomInfo) -> T) -> T {
    info.with(|i| i.as_ref().map(f).unwrap_or_default())
}

/// Whether this account is at least a `least` of the room.
pub fn at_least(info: RwSignal<Option<RoomInfo>>, least: Role) -> bool {
    info.with(|i| i.as_ref().and_then(|i| i.role).is_some_and(|r| r >= least))
}

/// The loaded room's name.
pub fn room_of(info: RwSignal<Option<RoomInfo>>) -> Option<RoomName> {
    field(info, |i| Some(i.room.clone()))
}

/// The members as last loaded, and a way to load them again (after a
/// change), with the room's info.
#[derive(Clone, Copy)]
pub struct Members {
    pub list: RwSignal<Option<Vec<MemberEntry>>>,
    pub total: RwSignal<u64>,
    pub error: RwSignal<Option<String>>,
    /// What the last change to a member came to.
    pub progress: RwSignal<Progress>,
    pub info: RwSignal<Option<RoomInfo>>,
}

impl Members {
    pub fn new(info: RwSignal<Option<RoomInfo>>) -> Self {
        Self {
            list: RwSignal::new(None),
            total: RwSignal::new(0),
            error: RwSignal::new(None),
            progress: RwSignal::new(Progress::Idle),
            info,
        }
    }

    /// Loads the members and the room's info again.
    pub fn reload(self, state: ChatState) {
        let Some(room) = room_of(self.info) else {
            return;
        };
        spawn_local(async move {
            match room_members(state, room.clone()).await {
                Ok((list, total)) => {
                    self.error.set(None);
                    self.list.set(Some(list));
                    self.total.set(total);
                }
                Err(e) => self
                    .error
                    .set(Some(format!("Could not list the members: {e}"))),
            }
            if let Ok(answer) = room_info(state, room).await {
                self.info.set(Some(answer));
            }
        });
    }
}
