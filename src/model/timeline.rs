//! A conversation as the page shows it: its lines in `seq` order, each
//! message once whatever order it arrives in (live, a history page, a
//! catch-up after a reconnect), notices among them.

use crate::protocol::chat::Timestamp;
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

    /// Adds a message once, whatever the order it arrives in.
    pub fn insert(&mut self, line: Line) -> bool {
        match &line {
            Line::Message { seq, .. } => {
                let key = (*seq, 0);
                if self.lines.contains_key(&key) {
                    return false;
                }
                self.lines.insert(key, line);
                true
            }
            Line::Notice { .. } | Line::Protected { .. } => {
                self.next_notice += 1;
                let key = (self.newest_seq().unwrap_or(0), self.next_notice);
                self.lines.insert(key, line);
                true
            }
        }
    }

    /// Marks the message `id` deleted and forgets its text; whether it
    /// was here (and not deleted already).
    pub fn delete(&mut self, id: i64) -> bool {
        for line in self.lines.values_mut() {
            if let Line::Message {
                id: this,
                text,
                deleted,
                ..
            } = line
            {
                if *this == id && !*deleted {
                    *deleted = true;
                    text.clear();
                    return true;
                }
            }
        }
        false
    }

    /// The lines in order, with a stable key each.
    pub fn lines(&self) -> Vec<((i64, u64), Line)> {
        self.lines.iter().map(|(k, l)| (*k, l.clone())).collect()
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
        }
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
}
