//! Moderation on the connection: what the room's moderators do (members,
//! removing, banning, muting, deleting a message, the audit log), and
//! what this page is told when it is done to it (`room-removed`,
//! `room-muted`, `message-deleted`), and slow mode's countdown.

use crate::app::room_state::{now_ms, Hold};
use crate::app::state::{local_time, ChatState, View};
use crate::client::EmitError;
use crate::protocol::chat::Timestamp;
use crate::protocol::moderation::{
    self, AuditEntry, AuditLog, Ban, BanEntry, DeleteMessage, Lift, MemberEntry, MessageDeleted,
    Mute, Reason, RemoveMember, RoomBans, RoomMembers, RoomMuted, RoomRemoved, Sanction, Unban,
    Unmute, FOREVER,
};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use std::time::Duration;

/// " until 14:05" for an end the server gave (ISO 8601), nothing for
/// none or "forever".
pub fn until_text(until: Option<&str>) -> String {
    match until {
        Some(until) if until != FOREVER => {
            format!(" until {}", local_time(&Timestamp(until.to_owned())))
        }
        _ => String::new(),
    }
}

/// ": the reason", or nothing.
fn reason_text(reason: Option<&Reason>) -> String {
    reason.map(|r| format!(": {r}")).unwrap_or_default()
}

/// "You were removed from #x by ann: spam" (banned, deleted: said so).
pub fn removed_text(e: &RoomRemoved) -> String {
    let by =
        e.by.as_ref()
            .map(|b| format!(" by {b}"))
            .unwrap_or_default();
    let reason = reason_text(e.reason.as_ref());
    if e.deleted {
        format!("#{} was deleted{by}{reason}", e.room)
    } else if e.banned {
        let until = until_text(e.until.as_deref());
        format!("You were banned from #{}{by}{until}{reason}", e.room)
    } else {
        format!("You were removed from #{}{by}{reason}", e.room)
    }
}

/// "You are muted in #x until 14:05 (by ann): spam. You can still read."
pub fn muted_text(
    room: &RoomName,
    until: Option<&str>,
    by: Option<&Username>,
    reason: Option<&Reason>,
) -> String {
    let by = by.map(|b| format!(" by {b}")).unwrap_or_default();
    format!(
        "You are muted in #{room}{}{by}{}. You can still read it.",
        until_text(until),
        reason_text(reason)
    )
}

/// Listens for what moderators do to this page's account and rooms.
pub fn follow_moderation(state: ChatState) {
    state.client.on::<RoomRemoved>(move |e| {
        let text = removed_text(&e);
        // Out of the list, nothing more arrives; what was received stays
        // readable while it is shown.
        state.rooms.update(|rooms| rooms.retain(|r| *r != e.room));
        state.room_state.forget(&e.room);
        state
            .room_state
            .set_hold(e.room.clone(), Some(Hold::Removed(text.clone())));
        state.room_state.notify(text);
    });
    state.client.on::<RoomMuted>(move |e| {
        if e.muted {
            let text = muted_text(
                &e.room,
                e.until.as_deref(),
                e.by.as_ref(),
                e.reason.as_ref(),
            );
            state
                .room_state
                .set_hold(e.room.clone(), Some(Hold::Muted(text.clone())));
            state.room_state.notify(text);
        } else {
            state.room_state.set_hold(e.room.clone(), None);
            state
                .room_state
                .notify(format!("You may post in #{} again", e.room));
        }
    });
    state.client.on::<MessageDeleted>(move |e| {
        state.delete_message(&View::Room(e.room), e.id);
    });
}

/// After a message went to `room`: in slow mode (for one who does not
/// moderate it), the next may go after the room's interval.
pub fn after_send(state: ChatState, room: &RoomName) {
    if let Some(mark) = state.room_state.mark(room) {
        if mark.slow_seconds > 0 && !mark.moderates() {
            let until = now_ms() + f64::from(mark.slow_seconds) * 1000.0;
            state.room_state.set_slow_until(room.clone(), until);
        }
    }
}

/// After a send to `room` was refused: a mute is shown instead of the
/// composer; slow mode's wait starts its countdown.
pub fn after_refusal(state: ChatState, room: &RoomName, refusal: &str) {
    if let Some(seconds) = read_refusal(state, room, refusal) {
        let until = now_ms() + seconds as f64 * 1000.0;
        state.room_state.set_slow_until(room.clone(), until);
    }
}

/// Shows why a send failed ("Not sent: …") in `error`. Over the rate
/// limit, the box is also `held` until the server's wait is over, and the
/// message goes then, unless another has replaced it.
pub fn show_send_failure(e: EmitError, held: RwSignal<bool>, error: RwSignal<Option<String>>) {
    let shown = format!("Not sent: {e}");
    if let EmitError::RateLimited(ms) = e {
        held.set(true);
        let hold_message = shown.clone();
        set_timeout(
            move || {
                held.set(false);
                if error.get_untracked().as_ref() == Some(&hold_message) {
                    error.set(None);
                }
            },
            Duration::from_millis(ms),
        );
    }
    error.set(Some(shown));
}

/// What a refused send says about this page's standing in the room: a
/// mute (shown instead of the composer), or slow mode's wait in seconds.
fn read_refusal(state: ChatState, room: &RoomName, refusal: &str) -> Option<u64> {
    if let Some(until) = muted_until(room, refusal) {
        let text = muted_text(room, until.as_deref(), None, None);
        state
            .room_state
            .set_hold(room.clone(), Some(Hold::Muted(text)));
        return None;
    }
    slow_wait(room, refusal)
}

/// The seconds to wait, if `refusal` is the protocol's slow-mode refusal
/// for `room`.
fn slow_wait(room: &RoomName, refusal: &str) -> Option<u64> {
    // The protocol's own sentence, its number left out.
    let slowed = moderation::slowed(room, 0);
    let start = slowed.strip_suffix("0 s")?;
    refusal
        .strip_prefix(start)?
        .strip_suffix(" s")?
        .parse::<u64>()
        .ok()
}

/// Whether `refusal` is the protocol's "you are muted" for `room`, and
/// until when (`Some(None)`: no end given).
fn muted_until(room: &RoomName, refusal: &str) -> Option<Option<String>> {
    if refusal == moderation::muted(room, None) {
        return Some(None);
    }
    // The sentence with a marker for the time, cut around it.
    let template = moderation::muted(room, Some("\u{0}"));
    let (before, after) = template.split_once('\u{0}')?;
    let until = refusal.strip_prefix(before)?.strip_suffix(after)?;
    Some(Some(until.to_owned()))
}

/// The members of a room, owner first; and how many there are.
pub async fn room_members(
    state: ChatState,
    room: RoomName,
) -> Result<(Vec<MemberEntry>, u64), EmitError> {
    let list = state.client.emit_with_ack(&RoomMembers { room }).await?;
    Ok((list.members, list.total))
}

/// What a moderator may do to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Remove,
    Ban,
    Mute,
    Unmute,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Remove => "Remove",
            Action::Ban => "Ban",
            Action::Mute => "Mute",
            Action::Unmute => "Unmute",
        }
    }
}

/// Does `action` to `username` in `room`; answers the server's sentence.
pub async fn sanction(
    state: ChatState,
    action: Action,
    room: RoomName,
    username: Username,
    minutes: Option<u32>,
    reason: Option<Reason>,
) -> Result<String, EmitError> {
    let c = state.client;
    let sanction = Sanction {
        room: room.clone(),
        username: username.clone(),
        minutes,
        reason: reason.clone(),
    };
    let ok = match action {
        Action::Remove => {
            c.emit_with_ack(&RemoveMember {
                room,
                username,
                reason,
            })
            .await?
        }
        Action::Ban => c.emit_with_ack(&Ban(sanction)).await?,
        Action::Mute => c.emit_with_ack(&Mute(sanction)).await?,
        Action::Unmute => c.emit_with_ack(&Unmute(Lift { room, username })).await?,
    };
    Ok(ok.message)
}

/// The bans in force in a room.
pub async fn room_bans(state: ChatState, room: RoomName) -> Result<Vec<BanEntry>, EmitError> {
    Ok(state.client.emit_with_ack(&RoomBans { room }).await?.bans)
}

/// Lifts a ban.
pub async fn unban(
    state: ChatState,
    room: RoomName,
    username: Username,
) -> Result<String, EmitError> {
    let ok = state
        .client
        .emit_with_ack(&Unban(Lift { room, username }))
        .await?;
    Ok(ok.message)
}

/// Deletes a message of a room (a moderator's, or one's own).
pub async fn delete_message(state: ChatState, room: RoomName, id: i64) -> Result<(), EmitError> {
    state
        .client
        .emit_with_ack(&DeleteMessage { room, id })
        .await?;
    Ok(())
}

/// The newest moderation actions in a room (before entry `before`).
pub async fn audit_log(
    state: ChatState,
    room: RoomName,
    before: Option<i64>,
) -> Result<Vec<AuditEntry>, EmitError> {
    let log = AuditLog {
        room: Some(room),
        before,
    };
    Ok(state.client.emit_with_ack(&log).await?.entries)
}

/// The whole seconds left until `until_ms`, at least 1 while any is left.
pub fn seconds_left(until_ms: f64, now_ms: f64) -> u64 {
    let left = ((until_ms - now_ms) / 1000.0).ceil();
    if left > 0.0 {
        left as u64
    } else {
        0
    }
}

/// The seconds this page must still wait before sending in the room
/// shown (slow mode): 0 when it may send. A clock ticks twice a second
/// while the caller is on screen; the count changes once a second.
pub fn slow_countdown(state: ChatState) -> Memo<u64> {
    let now = RwSignal::new(now_ms());
    let ticker = StoredValue::new(None::<IntervalHandle>);
    // In the browser only (effects do not run on the server).
    Effect::new(move |_| {
        if ticker.with_value(Option::is_none) {
            match set_interval_with_handle(move || now.set(now_ms()), Duration::from_millis(500)) {
                Ok(handle) => ticker.set_value(Some(handle)),
                Err(e) => leptos::logging::warn!("no clock for slow mode: {e:?}"),
            }
        }
    });
    on_cleanup(move || {
        if let Some(handle) = ticker.try_get_value().flatten() {
            handle.clear();
        }
    });
    Memo::new(move |_| {
        let now = now.get();
        match state.current.get() {
            View::Room(room) => state
                .room_state
                .slow_until(&room, now)
                .map_or(0, |until| seconds_left(until, now)),
            View::Dm(_) => 0,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        Username::parse(s).unwrap()
    }

    #[test]
    fn refusals_of_a_send_are_read_for_mutes_and_slow_mode() {
        let room = RoomName::parse("ops: team").unwrap();
        let other = RoomName::parse("dev").unwrap();
        let until = "2026-12-06T14:05:00.000Z";
        assert_eq!(
            muted_until(&room, &moderation::muted(&room, None)),
            Some(None)
        );
        assert_eq!(
            muted_until(&room, &moderation::muted(&room, Some(until))),
            Some(Some(until.to_owned()))
        );
        assert_eq!(muted_until(&room, &moderation::muted(&other, None)), None);
        assert_eq!(muted_until(&room, &moderation::slowed(&room, 12)), None);
        assert_eq!(slow_wait(&room, &moderation::slowed(&room, 12)), Some(12));
        assert_eq!(slow_wait(&room, &moderation::slowed(&other, 12)), None);
        assert_eq!(slow_wait(&room, &moderation::muted(&room, None)), None);
    }

    #[test]
    fn notices_say_who_why_and_until_when() {
        let room = RoomName::parse("ops").unwrap();
        let mut e = RoomRemoved {
            room: room.clone(),
            by: Some(name("ann")),
            reason: Some(Reason::parse("spam").unwrap()),
            banned: false,
            until: None,
            deleted: false,
        };
        assert_eq!(removed_text(&e), "You were removed from #ops by ann: spam");
        e.banned = true;
        e.until = Some("2026-12-06T14:05:00.000Z".into());
        // The server renders times in UTC; the browser in local time.
        assert_eq!(
            removed_text(&e),
            "You were banned from #ops by ann until 14:05: spam"
        );
        e.until = Some(FOREVER.into());
        e.reason = None;
        assert_eq!(removed_text(&e), "You were banned from #ops by ann");
        e.deleted = true;
        assert_eq!(removed_text(&e), "#ops was deleted by ann");
        assert_eq!(
            muted_text(
                &room,
                Some("2026-12-06T14:05:00.000Z"),
                Some(&name("ann")),
                None
            ),
            "You are muted in #ops until 14:05 by ann. You can still read it."
        );
    }
}
