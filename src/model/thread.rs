//! One thread as the page shows it beside its room: its first message (the
//! root) and its replies in `seq` order, each once, whatever order they
//! arrive in (`thread-history` pages, live `new-message`s, the ack of a
//! reply sent here, a catch-up after a reconnect), each in its latest
//! state by the timeline's rule: a state with a higher change number
//! replaces the one held, never a lower one.
//!
//! Also the words of a root's summary ("3 replies · last reply 14:05 ·
//! bob, ann") and of its button's accessible name.

use super::timeline::Line;
use crate::protocol::thread_summary::ThreadSummary;
use crate::protocol::RoomName;
use std::collections::BTreeMap;

/// A thread open on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub room: RoomName,
    /// The root's id (what `thread` on a reply names).
    pub root_id: i64,
    root: Option<Line>,
    /// Replies by `seq`.
    replies: BTreeMap<i64, Line>,
    /// The newest page has been read.
    pub loaded: bool,
    /// The server has replies older than the oldest here.
    pub has_older: bool,
    /// Whether this account follows the thread (the server's word).
    pub following: bool,
}

/// Whether `line` is a message at all, and its `change` number.
fn change_of(line: &Line) -> Option<i64> {
    match line {
        Line::Message { change, .. } => Some(*change),
        _ => None,
    }
}

impl Thread {
    pub fn new(room: RoomName, root_id: i64) -> Self {
        Self {
            room,
            root_id,
            root: None,
            replies: BTreeMap::new(),
            loaded: false,
            has_older: false,
            following: false,
        }
    }

    pub fn root(&self) -> Option<&Line> {
        self.root.as_ref()
    }

    /// Whether the root is held and deleted (its thread takes no reply).
    pub fn root_deleted(&self) -> bool {
        matches!(self.root, Some(Line::Message { deleted: true, .. }))
    }

    /// The root's state (from a page, the room's timeline, or a change):
    /// kept when it is the first held or newer than the one held; whether
    /// it was.
    pub fn set_root(&mut self, line: Line) -> bool {
        let Line::Message { id, change, .. } = &line else {
            return false;
        };
        if *id != self.root_id {
            return false;
        }
        let newer = match &self.root {
            None => true,
            Some(held) => change_of(held).is_none_or(|c| c < *change),
        };
        if newer {
            self.root = Some(line);
        }
        newer
    }

    /// Adds a reply of this thread once, whatever the order it arrives
    /// in; a copy in a later state replaces the one here. Whether it was
    /// new. Anything else (another thread's reply, a room message) is
    /// left out.
    pub fn insert(&mut self, line: Line) -> bool {
        let Line::Message {
            seq,
            change,
            thread,
            ..
        } = &line
        else {
            return false;
        };
        if *thread != Some(self.root_id) {
            return false;
        }
        match self.replies.get(seq) {
            Some(held) if change_of(held).is_some_and(|c| c >= *change) => false,
            Some(_) => {
                self.replies.insert(*seq, line);
                false
            }
            None => {
                self.replies.insert(*seq, line);
                true
            }
        }
    }

    /// A page of `thread-history`: the root now, and replies (older
    /// than those held when `before` was asked for, so `has_more` says
    /// whether there are older ones still; a newest page says so too).
    pub fn add_page(&mut self, root: Line, replies: Vec<Line>, has_more: bool, older: bool) {
        self.set_root(root);
        let first = !self.loaded;
        for reply in replies {
            self.insert(reply);
        }
        if first || older {
            self.has_older = has_more;
        }
        self.loaded = true;
    }

    /// A message's new state (`message-changed`, the change feed, an
    /// ack): the root, or a reply held here, when newer. A reply not held
    /// is left to the pages that bring it (alone it would leave a hole
    /// when older pages are read). Whether it changed what is shown.
    pub fn apply_change(&mut self, line: Line) -> bool {
        let Line::Message {
            id, seq, change, ..
        } = &line
        else {
            return false;
        };
        if *id == self.root_id {
            return self.set_root(line);
        }
        match self.replies.get_mut(seq) {
            Some(held) if change_of(held).is_some_and(|c| c < *change) => {
                *held = line;
                true
            }
            _ => false,
        }
    }

    /// Marks message `id` (the root or a reply) deleted, forgetting its
    /// text and reactions (a root keeps its replies' summary); whether it
    /// was held and not deleted already.
    pub fn delete(&mut self, id: i64) -> bool {
        let held = self.root.iter_mut().chain(self.replies.values_mut());
        for line in held {
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

    /// The replies in `seq` order.
    pub fn replies(&self) -> Vec<Line> {
        self.replies.values().cloned().collect()
    }

    pub fn oldest_seq(&self) -> Option<i64> {
        self.replies.keys().next().copied()
    }

    pub fn newest_seq(&self) -> Option<i64> {
        self.replies.keys().next_back().copied()
    }
}

/// "1 reply" / "3 replies".
pub fn replies_count(count: u32) -> String {
    match count {
        1 => "1 reply".to_owned(),
        n => format!("{n} replies"),
    }
}

/// What a root's summary button shows: "3 replies · last reply 14:05 ·
/// bob, ann" (`time`: the latest reply's time as the reader reads it).
pub fn summary_text(summary: &ThreadSummary, time: &str) -> String {
    let mut text = format!("{} · last reply {time}", replies_count(summary.count));
    if !summary.by.is_empty() {
        let names: Vec<&str> = summary.by.iter().map(|u| u.as_str()).collect();
        text.push_str(&format!(" · {}", names.join(", ")));
    }
    text
}

/// The summary button's accessible name, a sentence: "3 replies, the
/// last at 14:05, from bob, ann and cat. Open the thread".
pub fn summary_label(summary: &ThreadSummary, time: &str) -> String {
    let names: Vec<&str> = summary.by.iter().map(|u| u.as_str()).collect();
    let from = match names.as_slice() {
        [] => String::new(),
        [one] => format!(", from {one}"),
        [rest @ .., last] => format!(", from {} and {last}", rest.join(", ")),
    };
    format!(
        "{}, the last at {time}{from}. Open the thread",
        replies_count(summary.count)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::chat::Timestamp;
    use crate::protocol::Username;

    const ROOT: i64 = 10;

    fn message(seq: i64, id: i64, thread: Option<i64>, change: i64, text: &str) -> Line {
        Line::Message {
            seq,
            id,
            username: Username::parse("bob").unwrap(),
            text: text.to_owned(),
            timestamp: Timestamp(String::new()),
            mine: false,
            deleted: false,
            edited: None,
            reactions: Vec::new(),
            change,
            thread,
            in_room: false,
            replies: None,
        }
    }

    fn reply(seq: i64) -> Line {
        message(seq, seq * 100, Some(ROOT), 0, &format!("r{seq}"))
    }

    fn root(change: i64, text: &str) -> Line {
        message(1, ROOT, None, change, text)
    }

    fn thread() -> Thread {
        Thread::new(RoomName::general(), ROOT)
    }

    fn texts(t: &Thread) -> Vec<String> {
        t.replies()
            .into_iter()
            .filter_map(|l| match l {
                Line::Message { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    fn root_text(t: &Thread) -> Option<String> {
        match t.root() {
            Some(Line::Message { text, .. }) => Some(text.clone()),
            _ => None,
        }
    }

    #[test]
    fn pages_and_live_replies_merge_in_seq_order_once() {
        let mut t = thread();
        // A live reply arrives before the first page that also holds it.
        assert!(t.insert(reply(7)));
        t.add_page(root(0, "root"), vec![reply(5), reply(7)], true, false);
        assert!(t.loaded && t.has_older);
        assert_eq!(texts(&t), ["r5", "r7"]);
        // An older page, then the newest again (a catch-up): no repeats.
        t.add_page(root(0, "root"), vec![reply(2), reply(3)], false, true);
        assert!(!t.has_older, "the oldest page says there is no more");
        // Catching up: `has_more` there is about newer replies.
        t.add_page(root(0, "root"), vec![reply(7), reply(9)], true, false);
        assert!(
            !t.has_older,
            "a page of newer replies says nothing of older ones"
        );
        assert_eq!(texts(&t), ["r2", "r3", "r5", "r7", "r9"]);
        assert_eq!((t.oldest_seq(), t.newest_seq()), (Some(2), Some(9)));
        assert!(!t.insert(reply(9)), "held already");
    }

    #[test]
    fn other_threads_and_room_messages_are_left_out() {
        let mut t = thread();
        assert!(!t.insert(message(4, 40, Some(99), 0, "elsewhere")));
        assert!(!t.insert(message(5, 50, None, 0, "in the room")));
        assert!(!t.insert(Line::Notice { text: "n".into() }));
        assert!(!t.set_root(message(6, 60, None, 0, "not the root")));
        assert!(t.replies().is_empty() && t.root().is_none());
    }

    #[test]
    fn the_higher_change_wins_for_the_root_and_replies() {
        let mut t = thread();
        t.add_page(root(3, "three"), vec![reply(5)], false, false);
        assert!(t.apply_change(root(5, "five")));
        assert!(!t.apply_change(root(4, "four")), "older: ignored");
        // A page read before the last change does not undo it.
        t.add_page(root(3, "three"), vec![], false, false);
        assert_eq!(root_text(&t).as_deref(), Some("five"));

        let edited = |change, text: &str| message(5, 500, Some(ROOT), change, text);
        assert!(t.apply_change(edited(8, "edited")));
        assert!(!t.apply_change(edited(6, "late")));
        assert!(!t.insert(edited(7, "old page")));
        assert_eq!(texts(&t), ["edited"]);
        assert!(!t.insert(edited(9, "newer page")), "not new, but applied");
        assert_eq!(texts(&t), ["newer page"]);
        // A change to a reply not held makes no hole.
        assert!(!t.apply_change(message(3, 300, Some(ROOT), 9, "not held")));
        assert_eq!(t.oldest_seq(), Some(5));
    }

    #[test]
    fn tombstones_keep_their_place_not_their_text() {
        let mut t = thread();
        t.add_page(root(0, "root"), vec![reply(5), reply(6)], false, false);
        assert!(t.delete(500));
        assert!(!t.delete(500), "once");
        assert!(!t.delete(12345), "not held");
        assert_eq!(texts(&t), ["", "r6"]);
        assert!(!t.root_deleted());
        assert!(t.delete(ROOT));
        assert!(t.root_deleted());
        assert_eq!(t.replies().len(), 2, "the thread stays readable");
        // A history page with the tombstone's state changes nothing back.
        assert!(!t.insert(reply(5)));
        assert_eq!(texts(&t), ["", "r6"]);
    }

    fn summary(count: u32, by: &[&str]) -> ThreadSummary {
        ThreadSummary {
            count,
            last: Timestamp("2026-12-07T14:05:00.000Z".into()),
            by: by.iter().map(|u| Username::parse(u).unwrap()).collect(),
        }
    }

    #[test]
    fn summaries_say_how_many_when_and_who() {
        assert_eq!(
            summary_text(&summary(1, &["bob"]), "14:05"),
            "1 reply · last reply 14:05 · bob"
        );
        assert_eq!(
            summary_text(&summary(3, &["bob", "ann"]), "14:05"),
            "3 replies · last reply 14:05 · bob, ann"
        );
        assert_eq!(
            summary_label(&summary(1, &["bob"]), "14:05"),
            "1 reply, the last at 14:05, from bob. Open the thread"
        );
        assert_eq!(
            summary_label(&summary(5, &["bob", "ann", "cy"]), "09:30"),
            "5 replies, the last at 09:30, from bob, ann and cy. Open the thread"
        );
        assert_eq!(
            summary_label(&summary(2, &[]), "09:30"),
            "2 replies, the last at 09:30. Open the thread"
        );
    }
}
