//! The board open on this page and its link to the server, apart from the
//! component that shows it (`app::board`): opening and closing boards
//! (a closed one is parked, with what was drawn on it offline), joining and
//! catching up, sending this person's ops and retrying them, and others'
//! strokes and pointers as they come.

use crate::app::state::ChatState;
use crate::client::{Client, ConnectionState, EmitError};
use crate::model::board::BoardModel;
use crate::model::gesture::{Gesture, Step};
use crate::protocol::board::{
    BoardChange, BoardChanged, BoardCursor, BoardCursors, BoardDrawing, BoardJoin, BoardLeave,
    BoardOp, Point, Shape,
};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;
use std::time::Duration;

/// A pointer that has not moved for this long is no longer shown.
const CURSOR_TIMEOUT_MS: f64 = 5000.0;
/// How long changes may wait for an earlier one before the board catches
/// up from the server.
const GAP_WAIT: Duration = Duration::from_millis(1000);

/// The board open on this page, if any, and its link to the server.
#[derive(Clone, Copy)]
pub struct BoardState {
    client: Client,
    me: RwSignal<Option<Username>>,
    model: StoredValue<Option<BoardModel>>,
    /// Boards opened before on this page: reopening one catches up from
    /// where it was, and sends what was drawn on it offline.
    parked: StoredValue<HashMap<RoomName, BoardModel>>,
    /// Others' pointers: name → (position, when it came).
    cursors: StoredValue<HashMap<Username, (Point, f64)>>,
    /// Grows whenever what the canvas shows changes.
    pub version: RwSignal<u64>,
    /// The last thing that went wrong, said under the board.
    pub error: RwSignal<Option<String>>,
}

/// The page's clock, in milliseconds (0 while the server renders).
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    0.0
}

/// A random start for the ids of the shapes this page draws.
fn id_prefix() -> String {
    crate::client::new_client_message_id()
        .map(|id| id.as_str().chars().filter(|c| *c != '-').take(12).collect())
        .unwrap_or_else(|| "p".to_owned())
}

impl BoardState {
    /// The page's board state; listens to the board events once.
    pub fn new(chat: &ChatState) -> Self {
        let board = Self {
            client: chat.client,
            me: chat.me,
            model: StoredValue::new(None),
            parked: StoredValue::new(HashMap::new()),
            cursors: StoredValue::new(HashMap::new()),
            version: RwSignal::new(0),
            error: RwSignal::new(None),
        };
        board.listen();
        board
    }

    fn bump(&self) {
        self.version.update(|v| *v += 1);
    }

    fn room(&self) -> Option<RoomName> {
        self.model
            .with_value(|m| m.as_ref().map(|m| m.room().clone()))
    }

    fn is_open(&self, room: &RoomName) -> bool {
        self.room().as_ref() == Some(room)
    }

    /// Reads (and may change) the open board.
    pub fn with<T>(&self, f: impl FnOnce(&mut BoardModel) -> T) -> Option<T> {
        let out = self.model.try_update_value(|m| m.as_mut().map(f)).flatten();
        if out.is_some() {
            self.bump();
        }
        out
    }

    /// Reads the open board without counting it as a change.
    pub fn peek<T>(&self, f: impl FnOnce(&BoardModel) -> T) -> Option<T> {
        self.model.with_value(|m| m.as_ref().map(f))
    }

    fn listen(self) {
        self.client.on::<BoardChanged>(move |BoardChanged(change)| {
            if self.is_open(&change.room) {
                self.with(|m| m.changed(change));
                self.watch_gap();
            }
        });
        self.client.on::<BoardDrawing>(move |drawing| {
            if self.is_open(&drawing.draw.room) && !self.is_me(&drawing.by) {
                self.with(|m| m.drawing(drawing, now_ms()));
            }
        });
        self.client.on::<BoardCursors>(move |batch| {
            if !self.is_open(&batch.room) {
                return;
            }
            let now = now_ms();
            self.cursors.update_value(|c| {
                for at in batch.cursors {
                    if !self.is_me(&at.by) {
                        c.insert(at.by, ([at.x, at.y], now));
                    }
                }
            });
            self.bump();
        });
        // Offline: everything unacked is sent again once the board has
        // caught up on the new connection.
        let connection = self.client.state();
        Effect::new(move |was: Option<bool>| {
            let connected = connection.get() == ConnectionState::Connected;
            if !connected {
                self.model.update_value(|m| {
                    if let Some(m) = m {
                        m.disconnected();
                    }
                });
            } else if was == Some(false) && self.room().is_some() {
                self.join();
            }
            connected
        });
        // Signed out: nothing of this person's boards may be sent as the
        // next person's.
        let me = self.me;
        Effect::new(move |_| {
            if me.with(Option::is_none) {
                self.model.set_value(None);
                self.parked.set_value(HashMap::new());
            }
        });
    }

    fn is_me(&self, name: &Username) -> bool {
        self.me.with_untracked(|me| {
            me.as_ref()
                .is_some_and(|me| me.as_str().eq_ignore_ascii_case(name.as_str()))
        })
    }

    /// Opens the board of `room` (closing any other).
    pub fn open(&self, room: RoomName) {
        if self.is_open(&room) {
            return;
        }
        self.close();
        let model = match self.parked.try_update_value(|p| p.remove(&room)).flatten() {
            Some(mut parked) => {
                // Whatever it sent before may not have arrived.
                parked.disconnected();
                parked
            }
            None => BoardModel::new(room, &id_prefix()),
        };
        self.model.set_value(Some(model));
        self.error.set(None);
        self.bump();
        self.join();
    }

    /// Closes the open board; it is kept (with anything drawn offline and
    /// not sent yet) until it is opened again or the page is left.
    pub fn close(&self) {
        let Some(model) = self.model.try_update_value(Option::take).flatten() else {
            return;
        };
        let room = model.room().clone();
        self.parked.update_value(|p| {
            p.insert(room.clone(), model);
        });
        self.cursors.set_value(HashMap::new());
        let client = self.client;
        spawn_local(async move {
            let _ = client.emit_with_ack(&BoardLeave { room }).await;
        });
    }

    /// Fetches the board (all of it, or what changed since the last
    /// change this page has), then sends what is pending.
    fn join(&self) {
        let Some((room, since)) = self.peek(|m| (m.room().clone(), m.since())) else {
            return;
        };
        let board = *self;
        spawn_local(async move {
            match board
                .client
                .emit_with_ack(&BoardJoin {
                    room: room.clone(),
                    since,
                })
                .await
            {
                Ok(snapshot) if board.is_open(&room) => {
                    board.with(|m| m.snapshot(snapshot));
                    board.flush();
                }
                Ok(_) => {}
                Err(EmitError::Disconnected) => {} // joined again on reconnect
                Err(e) => board
                    .error
                    .set(Some(format!("The board could not be loaded: {e}"))),
            }
        });
    }

    /// Changes that came early wait for the ones before them; if those do
    /// not come soon, catch up from the server.
    fn watch_gap(&self) {
        if self.peek(BoardModel::has_gap) != Some(true) {
            return;
        }
        let board = *self;
        set_timeout(
            move || {
                if board.peek(BoardModel::has_gap) == Some(true) {
                    board.join();
                }
            },
            GAP_WAIT,
        );
    }

    /// Sends the pending ops that are not on their way yet.
    pub fn flush(&self) {
        if self.client.state().get_untracked() != ConnectionState::Connected {
            return;
        }
        let Some(Some((room, ops))) = self.model.try_update_value(|m| {
            m.as_mut()
                .filter(|m| m.is_synced())
                .map(|m| (m.room().clone(), m.to_send()))
        }) else {
            return;
        };
        for (id, op) in ops {
            let board = *self;
            let room = room.clone();
            spawn_local(async move {
                let result = board.client.emit_with_ack(&BoardOp { room, op }).await;
                board.answered(id, result);
            });
        }
    }

    fn answered(&self, id: u64, result: Result<BoardChange, EmitError>) {
        match result {
            Ok(change) => {
                self.with(|m| m.acked(id, change));
                self.watch_gap();
            }
            Err(EmitError::Refused(reason)) => {
                self.with(|m| m.refused(id));
                self.error.set(Some(reason));
            }
            Err(EmitError::RateLimited(ms)) => {
                self.with(|m| m.unanswered(id));
                let board = *self;
                set_timeout(move || board.flush(), Duration::from_millis(ms));
            }
            // Sent again after the reconnect.
            Err(EmitError::Disconnected | EmitError::QueueFull) => {
                self.with(|m| m.unanswered(id));
            }
            Err(e) => {
                self.with(|m| m.unanswered(id));
                self.error.set(Some(format!("{e} (it is sent again)")));
                let board = *self;
                set_timeout(move || board.flush(), Duration::from_secs(2));
            }
        }
    }

    /// Others' strokes in progress (dropping those whose author went quiet).
    pub fn drafts(&self) -> Vec<Shape> {
        let now = now_ms();
        self.model
            .try_update_value(|m| {
                m.as_mut().map(|m| {
                    m.expire_drafts(now);
                    m.drafts().map(|d| d.shape.clone()).collect()
                })
            })
            .flatten()
            .unwrap_or_default()
    }

    /// Others' pointers that moved recently.
    pub fn cursors(&self) -> Vec<(Username, Point)> {
        let now = now_ms();
        self.cursors.update_value(|c| {
            c.retain(|_, (_, at)| now - *at < CURSOR_TIMEOUT_MS);
        });
        self.cursors
            .with_value(|c| c.iter().map(|(name, (p, _))| (name.clone(), *p)).collect())
    }

    fn connected(&self) -> bool {
        self.client.state().get_untracked() == ConnectionState::Connected
    }

    /// Whether the connection is down now (tracked: for the status line).
    pub fn is_offline(&self) -> bool {
        self.client.state().get() != ConnectionState::Connected
    }

    /// Undoes this person's last action on the board and sends it.
    pub fn undo(&self) {
        self.with(BoardModel::undo);
        self.flush();
    }

    /// Redoes this person's last undone action and sends it.
    pub fn redo(&self) {
        self.with(BoardModel::redo);
        self.flush();
    }

    /// Erases everything shown, for everyone (undone as one action).
    pub fn clear(&self) {
        self.with(BoardModel::clear);
        self.flush();
    }

    /// Shows the pointer to the others; dropped while offline.
    pub fn send_cursor(&self, cursor: &BoardCursor) {
        if self.connected() {
            self.client.emit(cursor);
        }
    }

    /// Runs one step of a pointer gesture on the open board and does what
    /// it says: the stroke so far to the others (dropped while offline),
    /// then the finished ops. `None` when no board is open. The canvas is
    /// told of a change only when what it shows changed (moving the pointer
    /// while drawing only changes the gesture, which the caller repaints).
    pub fn gesture(
        &self,
        gesture: StoredValue<Gesture>,
        step: impl FnOnce(&mut Gesture, &mut BoardModel) -> Step,
    ) -> Option<Step> {
        let (step, changed) = self
            .model
            .try_update_value(|m| {
                let m = m.as_mut()?;
                let before = m.version();
                let step = gesture.try_update_value(|g| step(g, m))?;
                Some((step, m.version() != before))
            })
            .flatten()?;
        if changed {
            self.bump();
        }
        if self.connected() {
            for draw in &step.draws {
                self.client.emit(draw);
            }
        }
        if step.finished {
            self.flush();
        }
        Some(step)
    }
}
