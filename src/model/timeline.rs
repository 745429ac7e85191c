//! A conversation as the page shows it: its lines in `seq` order, each
//! message once whatever order it arrives in (live, a history page, a
//! catch-up after a reconnect), notices among them; and each message in
//! its latest state, whatever order its changes arrive in (a change's
//! number is kept per message: an older state never replaces a newer).
//!
//! A thread's replies are room messages: the timeline holds them all, so
//! that its `seq`s have no gaps (catching up, paging), but a reply kept to
//! its thread (not `inRoom`) is not shown in the room ([`Line::in_room`],
//! [`Timeline::shown_lines`]); the thread shows it (`model::thread`).

use crate::protocol::chat::Timestamp;
use crate::protocol::emoji::Reaction;
use crate::protocol::thread_summary::ThreadSummary;
use crate::protocol::Username;
use std::collections::BTreeMap;

/// One line of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Message {
        seq: i64,
        /// The message's id (what `message-deleted` names).
        id: i64,
        username: Username,
        text: String,
        timestamp: Timestamp,
        mine: bool,
        /// A moderator deleted it: its place stays, its text is gone.
        deleted: bool,
        /// When its author last edited it.
        edited: Option<Timestamp>,
        reactions: Vec<Reaction>,
        /// The room's change number of its latest change (0: none).
        change: i64,
        /// A reply: its thread's first message's id.
        thread: Option<i64>,
        /// A reply sent to the room as well (`alsoToRoom`).
        in_room: bool,
        /// A thread's first message: its replies summed up.
        replies: Option<ThreadSummary>,
    },
    Notice {
        text: String,
    },
    /// A `protected-message` (sent to everyone, stored nowhere): who sent
    /// it under which name, and the account whose token vouched for it.
    Protected {
        username: Username,
        vouched_by: Option<Username>,
        text: String,
        timestamp: Timestamp,
    },
}

impl Line {
    /// Whether the room's timeline shows it: everything but a reply kept
    /// to its thread.
    pub fn in_room(&self) -> bool {
        !matches!(
            self,
            Line::Message {
                thread: Some(_),
                in_room: false,
                ..
            }
        )
    }
}

/// A conversation's lines, ordered by `seq`; a notice sorts after the
/// newest message it arrived after.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    lines: BTreeMap<(i64, u64), Line>,
    /// The history's first page has been fetched.
    pub loaded: bool,
    /// The server has older messages than the oldest here.
    pub has_older: bool,
    next_notice: u64,
    /// The room's change numbers applied with none missing, up to here
    /// (`None` until the first history page says where the room is).
    pub changes_upto: Option<i64>,
}

/// What to do after a `message-changed` numbered `change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeGap {
    /// Nothing was missed.
    None,
    /// Changes between were missed (or not yet arrived): fetch the feed
    /// after this number.
    FetchAfter(i64),
}

impl Timeline {
    pub fn newest_seq(&self) -> Option<i64> {
        self.lines
            .iter()
            .rev()
            .find(|(_, l)| matches!(l, Line::Message { .. }))
            .map(|((seq, _), _)| *seq)
    }

    pub fn oldest_seq(&self) -> Option<i64> {
        self.lines
            .iter()
            .find(|(_, l)| matches!(l, Line::Message { .. }))
            .map(|((seq, _), _)| *seq)
    }

    /// Adds a message once, whatever the order it arrives in; a copy in
    /// a later state (a higher change number: a history page read after a
    /// change) replaces the one here.
    pub fn insert(&mut self, line: Line) -> bool {
        match &line {
            Line::Message { seq, change, .. } => {
                let key = (*seq, 0);
                match self.lines.get(&key) {
                    Some(Line::Message { change: held, .. }) if held >= change => false,
                    Some(_) => {
                        self.lines.insert(key, line);
                        false
                    }
                    None => {
                        self.lines.insert(key, line);
                        true
                    }
                }
            }
            Line::Notice { .. } | Line::Protected { .. } => {
                self.next_notice += 1;
                let key = (self.newest_seq().unwrap_or(0), self.next_notice);
                self.lines.insert(key, line);
                true
            }
        }
    }

    /// A message's new state (`message-changed`, the change feed): it
    /// replaces the line of the same `seq` when that one is older. A
    /// message not held is left to the history that brings it (inserting
    /// it alone would leave a hole in the timeline). Whether it changed
    /// what is shown.
    pub fn apply_change(&mut self, line: Line) -> bool {
        let Line::Message { seq, change, .. } = &line else {
            return false;
        };
        match self.lines.get_mut(&(*seq, 0)) {
            Some(held @ Line::Message { .. }) => {
                let newer = matches!(held, Line::Message { change: c, .. } if *c < *change);
                if newer {
                    *held = line;
                }
                newer
            }
            _ => false,
        }
    }

    /// Notes that change `change` arrived live; whether one before it is
    /// missing. Numbers at or below what is applied are old news.
    pub fn note_change(&mut self, change: i64) -> ChangeGap {
        match self.changes_upto {
            // Not loaded yet: the first page says where the room is.
            None => ChangeGap::None,
            Some(upto) if change <= upto => ChangeGap::None,
            Some(upto) if change == upto + 1 => {
                self.changes_upto = Some(change);
                ChangeGap::None
            }
            Some(upto) => ChangeGap::FetchAfter(upto),
        }
    }

    /// The feed was read up to `last` (the greatest of the page's `last`
    /// and its messages' numbers), with nothing missing before it.
    pub fn caught_up_to(&mut self, last: i64) {
        self.changes_upto = Some(self.changes_upto.map_or(last, |u| u.max(last)));
    }

    /// Marks the message `id` deleted and forgets its text; whether it
    /// was here (and not deleted already).
    pub fn delete(&mut self, id: i64) -> bool {
        for line in self.lines.values_mut() {
            if let Line::Message {
                id: this,
                text,
                deleted,
                reactions,
                ..
            } = line
            {
                if *this == id && !*deleted {
                    *deleted = true;
                    text.clear();
                    reactions.clear();
                    return true;
                }
            }
        }
        false
    }

    /// The first message after `seq` not written by this page's person
    /// (and not deleted) that the room shows: where the "new messages"
    /// line goes (a reply kept to its thread is not in the room).
    pub fn first_unread_after(&self, seq: i64) -> Option<i64> {
        self.lines
            .range((seq + 1, 0)..)
            .find_map(|((s, _), l)| match l {
                Line::Message {
                    mine: false,
                    deleted: false,
                    ..
                } if l.in_room() => Some(*s),
                _ => None,
            })
    }

    /// The newest message the room shows (a reply kept to its thread
    /// aside), for keeping the view at the bottom when one arrives.
    pub fn newest_shown_seq(&self) -> Option<i64> {
        self.lines
            .iter()
            .rev()
            .find(|(_, l)| matches!(l, Line::Message { .. }) && l.in_room())
            .map(|((seq, _), _)| *seq)
    }

    /// Message `id`, if held.
    pub fn message(&self, id: i64) -> Option<&Line> {
        self.lines
            .values()
            .find(|l| matches!(l, Line::Message { id: this, .. } if *this == id))
    }

    /// The lines in order, with a stable key each (every message held,
    /// replies kept to their threads too).
    pub fn lines(&self) -> Vec<((i64, u64), Line)> {
        self.lines.iter().map(|(k, l)| (*k, l.clone())).collect()
    }

    /// The lines the room shows, in order, with a stable key each: all
    /// but the replies kept to their threads.
    pub fn shown_lines(&self) -> Vec<((i64, u64), Line)> {
        self.lines
            .iter()
            .filter(|(_, l)| l.in_room())
            .map(|(k, l)| (*k, l.clone()))
            .collect()
    }

    /// Whether the room shows nothing (no message, notice or protected
    /// message outside threads).
    pub fn shows_nothing(&self) -> bool {
        !self.lines.values().any(Line::in_room)
    }

    /// Who wrote the messages here, newest first (as often as they wrote).
    pub fn authors_newest_first(&self) -> impl Iterator<Item = &Username> {
        self.lines.values().rev().filter_map(|line| match line {
            Line::Message { username, .. } => Some(username),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: i64) -> Line {
        Line::Message {
            seq,
            id: seq * 10,
            username: Username::parse("a").unwrap(),
            text: format!("m{seq}"),
            timestamp: Timestamp(String::new()),
            mine: false,
            deleted: false,
            edited: None,
            reactions: Vec::new(),
            change: 0,
            thread: None,
            in_room: false,
            replies: None,
        }
    }

    fn changed(seq: i64, change: i64, new_text: &str) -> Line {
        let mut line = msg(seq);
        if let Line::Message {
            text, change: c, ..
        } = &mut line
        {
            *text = new_text.to_owned();
            *c = change;
        }
        line
    }

    fn text_of(t: &Timeline, seq: i64) -> String {
        t.lines()
            .into_iter()
            .find_map(|((s, _), l)| match l {
                Line::Message { text, .. } if s == seq => Some(text),
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn the_latest_state_of_a_message_wins_in_any_order() {
        let mut t = Timeline::default();
        t.insert(msg(1));
        t.insert(msg(2));
        assert!(t.apply_change(changed(1, 5, "five")));
        assert!(!t.apply_change(changed(1, 4, "four")), "older: ignored");
        assert_eq!(text_of(&t, 1), "five");
        assert!(!t.apply_change(changed(9, 6, "not held")));
        assert!(t.lines().iter().all(|((s, _), _)| *s != 9), "no hole made");
        // A history page read before the change does not undo it; one
        // read after it brings it.
        t.insert(msg(1));
        assert_eq!(text_of(&t, 1), "five");
        t.insert(changed(2, 7, "seven"));
        assert_eq!(text_of(&t, 2), "seven");
    }

    #[test]
    fn the_new_messages_line_skips_my_own_and_deleted_ones() {
        let mut t = Timeline::default();
        for seq in 1..=5 {
            t.insert(msg(seq));
        }
        t.delete(30);
        if let Some(Line::Message { mine, .. }) = t.lines.get_mut(&(4, 0)) {
            *mine = true;
        }
        assert_eq!(t.first_unread_after(0), Some(1));
        assert_eq!(t.first_unread_after(2), Some(5), "3 deleted, 4 mine");
        assert_eq!(t.first_unread_after(5), None);
    }

    #[test]
    fn a_gap_in_change_numbers_asks_for_the_feed() {
        let mut t = Timeline::default();
        assert_eq!(t.note_change(3), ChangeGap::None, "not loaded yet");
        t.caught_up_to(3);
        assert_eq!(t.note_change(4), ChangeGap::None);
        assert_eq!(t.changes_upto, Some(4));
        assert_eq!(t.note_change(4), ChangeGap::None, "twice: old news");
        assert_eq!(t.note_change(7), ChangeGap::FetchAfter(4));
        assert_eq!(t.changes_upto, Some(4), "held until the feed is read");
        t.caught_up_to(7);
        assert_eq!(t.note_change(5), ChangeGap::None, "late: old news");
        assert_eq!(t.changes_upto, Some(7));
    }

    #[test]
    fn timelines_order_by_seq_and_drop_duplicates() {
        let mut t = Timeline::default();
        assert!(t.insert(msg(5)));
        assert!(t.insert(msg(3)));
        assert!(!t.insert(msg(5)));
        assert!(t.insert(Line::Notice { text: "n".into() }));
        assert!(t.insert(msg(6)));
        assert!(t.insert(msg(4)));
        assert!(t.insert(Line::Protected {
            username: Username::parse("sam").unwrap(),
            vouched_by: None,
            text: "p".into(),
            timestamp: Timestamp("2026-12-06T10:00:00.000Z".into()),
        }));
        let order: Vec<String> = t
            .lines()
            .into_iter()
            .map(|(_, l)| match l {
                Line::Message { text, .. } => text,
                Line::Notice { text } | Line::Protected { text, .. } => text,
            })
            .collect();
        assert_eq!(order, ["m3", "m4", "m5", "n", "m6", "p"]);
        assert_eq!((t.oldest_seq(), t.newest_seq()), (Some(3), Some(6)));
    }

    #[test]
    fn a_deleted_message_keeps_its_place_not_its_text() {
        let mut t = Timeline::default();
        t.insert(msg(1));
        t.insert(msg(2));
        assert!(t.delete(20));
        assert!(!t.delete(20), "deleted once");
        assert!(!t.delete(99), "no such message");
        // A history page bringing it again changes nothing.
        assert!(!t.insert(msg(2)));
        let lines = t.lines();
        assert_eq!(lines.len(), 2);
        assert!(matches!(
            &lines[1].1,
            Line::Message { deleted: true, text, .. } if text.is_empty()
        ));
        assert_eq!(t.newest_seq(), Some(2));
    }

    fn reply(seq: i64, root_seq: i64, in_room: bool) -> Line {
        let mut line = msg(seq);
        if let Line::Message {
            thread, in_room: r, ..
        } = &mut line
        {
            *thread = Some(root_seq * 10);
            *r = in_room;
        }
        line
    }

    #[test]
    fn replies_kept_to_their_thread_count_but_do_not_show() {
        let mut t = Timeline::default();
        t.insert(msg(1));
        t.insert(reply(2, 1, false));
        t.insert(reply(3, 1, true));
        t.insert(reply(4, 1, false));
        // Paging and catching up see every seq: no gap, nothing fetched twice.
        assert_eq!((t.oldest_seq(), t.newest_seq()), (Some(1), Some(4)));
        assert_eq!(t.lines().len(), 4);
        let shown: Vec<i64> = t.shown_lines().iter().map(|((s, _), _)| *s).collect();
        assert_eq!(shown, [1, 3], "the reply sent to the room shows too");
        assert_eq!(t.newest_shown_seq(), Some(3));
        // The "new messages" line goes above a message the room shows.
        assert_eq!(t.first_unread_after(1), Some(3));
        assert_eq!(t.first_unread_after(3), None);
        // A notice after a hidden reply sorts after it, and shows.
        t.insert(Line::Notice { text: "n".into() });
        assert!(matches!(
            t.shown_lines().last(),
            Some((_, Line::Notice { .. }))
        ));
        assert!(t.message(20).is_some_and(|l| !l.in_room()));
        assert!(!t.shows_nothing());
        let mut only_replies = Timeline::default();
        only_replies.insert(reply(7, 1, false));
        assert!(only_replies.shows_nothing());
        assert_eq!(only_replies.newest_seq(), Some(7));
        assert_eq!(only_replies.newest_shown_seq(), None);
    }

    #[test]
    fn authors_are_listed_newest_first() {
        let by = |seq: i64, name: &str| {
            let mut line = msg(seq);
            if let Line::Message { username, .. } = &mut line {
                *username = Username::parse(name).unwrap();
            }
            line
        };
        let mut t = Timeline::default();
        t.insert(by(3, "cy"));
        t.insert(by(1, "ann"));
        t.insert(Line::Notice { text: "n".into() });
        t.insert(by(2, "bob"));
        t.insert(by(4, "ann"));
        let authors: Vec<&str> = t.authors_newest_first().map(Username::as_str).collect();
        assert_eq!(authors, ["ann", "cy", "bob", "ann"]);
    }
}
