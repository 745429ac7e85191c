//! History: the newest page of what is shown, older pages on demand, and
//! catching up (everything after the last `seq` held) after a reconnect.

use crate::app::state::{ChatState, Line, View};
use crate::client::EmitError;
use crate::protocol::direct::{DmHistory, MarkRead};
use crate::protocol::history::{History, MAX_PAGE};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Loads the newest page of whatever is shown, once; tells the server.
pub fn load_what_is_shown(state: ChatState) {
    Effect::new(move |_| {
        let view = state.current.get();
        if state.me.with(Option::is_none) {
            return;
        }
        state.client.emit(&state.focus_of(&view));
        if !state.timeline_untracked(&view).loaded {
            spawn_local(load_page(state, view, None));
        } else if let View::Dm(with) = &view {
            if let Some(seq) = state.timeline_untracked(&view).newest_seq() {
                state.client.emit(&MarkRead {
                    with: with.clone(),
                    seq,
                });
            }
        }
    });
}

/// Loads the page before `before` (or the newest page) of `view`.
pub async fn load_page(state: ChatState, view: View, before: Option<i64>) {
    match fetch_page(state, &view, before, None, None).await {
        Ok((lines, has_more, last_change)) => {
            if let Some(last) = last_change {
                state.caught_up_to(&view, last, true);
            }
            let newest = lines.last().map(|(seq, _)| *seq);
            state.add_lines(&view, lines.into_iter().map(|(_, l)| l));
            state.set_loaded(&view, Some(has_more));
            if let (View::Dm(with), Some(seq), None) = (&view, newest, before) {
                state.client.emit(&MarkRead {
                    with: with.clone(),
                    seq,
                });
            }
        }
        Err(e) => {
            state.set_loaded(&view, None);
            state.add_lines(
                &view,
                [Line::Notice {
                    text: e.to_string(),
                }],
            );
        }
    }
}

/// Fetches everything after `after` in `view`, page by page.
pub async fn catch_up(state: ChatState, view: View, mut after: i64) {
    loop {
        let Ok((lines, has_more, _)) =
            fetch_page(state, &view, None, Some(after), Some(MAX_PAGE)).await
        else {
            return;
        };
        if let Some((seq, _)) = lines.last() {
            after = *seq;
        }
        state.add_lines(&view, lines.into_iter().map(|(_, l)| l));
        if !has_more {
            return;
        }
    }
}

/// One page of `view`'s history (`history` for a room, `dm-history` for a
/// conversation): its lines, oldest first, each with its `seq`, whether
/// there is more, and the view's change number when read.
async fn fetch_page(
    state: ChatState,
    view: &View,
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<u32>,
) -> Result<(Vec<(i64, Line)>, bool, Option<i64>), EmitError> {
    match view {
        View::Room(room) => {
            let request = History {
                room: room.clone(),
                before,
                after,
                limit,
            };
            let page = state.client.emit_with_ack(&request).await?;
            let lines = page.messages.iter().map(|m| (m.seq, state.message_line(m)));
            Ok((lines.collect(), page.has_more, Some(page.last_change)))
        }
        View::Dm(with) => {
            let request = DmHistory {
                with: with.clone(),
                before,
                after,
                limit,
            };
            let page = state.client.emit_with_ack(&request).await?;
            let lines = page.messages.iter().map(|m| (m.seq, state.dm_line(m)));
            Ok((lines.collect(), page.has_more, Some(page.last_change)))
        }
    }
}
