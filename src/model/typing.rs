//! Who is typing where, as one page sees it: each person stays shown for
//! [`TYPING_SHOWN_MS`] after their last `typing`, or until a message of
//! theirs arrives; and how often this page itself says it is typing. Times
//! are milliseconds on any clock that only goes forward (the page passes
//! `Date.now()`).

use crate::protocol::limits::{TYPING_EVERY_MS, TYPING_SHOWN_MS};
use std::collections::HashMap;
use std::hash::Hash;

/// Most people kept as typing in one conversation (past it, the one heard
/// from longest ago is dropped): three already read "Several people".
const MAX_SHOWN: usize = 20;

/// Who is typing, per conversation `K`.
#[derive(Debug, Clone)]
pub struct Typists<K> {
    /// Per conversation: each typing person's name and when last heard, in
    /// the order they started.
    by: HashMap<K, Vec<(String, u64)>>,
}

impl<K> Default for Typists<K> {
    fn default() -> Self {
        Self { by: HashMap::new() }
    }
}

fn same(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl<K: Eq + Hash + Clone> Typists<K> {
    /// `name` is typing in `conversation`, heard at `now`.
    pub fn saw(&mut self, conversation: K, name: &str, now: u64) {
        self.forget_old(now);
        let people = self.by.entry(conversation).or_default();
        match people.iter_mut().find(|(n, _)| same(n, name)) {
            Some((_, at)) => *at = (*at).max(now),
            None => {
                if people.len() >= MAX_SHOWN {
                    if let Some(oldest) = people
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, (_, at))| *at)
                        .map(|(i, _)| i)
                    {
                        people.remove(oldest);
                    }
                }
                people.push((name.to_owned(), now));
            }
        }
    }

    /// `name` sent a message in `conversation`: no longer typing.
    pub fn sent(&mut self, conversation: &K, name: &str) {
        if let Some(people) = self.by.get_mut(conversation) {
            people.retain(|(n, _)| !same(n, name));
            if people.is_empty() {
                self.by.remove(conversation);
            }
        }
    }

    /// Drops everyone not heard from for [`TYPING_SHOWN_MS`]; whether
    /// anyone was dropped.
    pub fn forget_old(&mut self, now: u64) -> bool {
        let mut dropped = false;
        self.by.retain(|_, people| {
            let before = people.len();
            people.retain(|(_, at)| shown_at(*at, now));
            dropped |= people.len() != before;
            !people.is_empty()
        });
        dropped
    }

    /// Who is typing in `conversation` at `now`, not counting `me`, in the
    /// order they started.
    pub fn names(&self, conversation: &K, me: Option<&str>, now: u64) -> Vec<String> {
        self.by
            .get(conversation)
            .map(|people| {
                people
                    .iter()
                    .filter(|(n, at)| shown_at(*at, now) && !me.is_some_and(|me| same(n, me)))
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// When the next person stops being shown, if anyone is.
    pub fn next_expiry(&self) -> Option<u64> {
        self.by
            .values()
            .flatten()
            .map(|(_, at)| at.saturating_add(TYPING_SHOWN_MS))
            .min()
    }

    pub fn clear(&mut self) {
        self.by.clear();
    }
}

fn shown_at(heard: u64, now: u64) -> bool {
    now < heard.saturating_add(TYPING_SHOWN_MS)
}

/// The line under the composer: "Ann is typing…", "Ann and Bob are
/// typing…", "Several people are typing…"; `None` when no one is.
pub fn phrase(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        _ => Some("Several people are typing…".to_owned()),
    }
}

/// How often this page says it is typing, per conversation `K`: at most
/// once per [`TYPING_EVERY_MS`] and a little (so that the server, which
/// passes on one per [`TYPING_EVERY_MS`], never drops one for arriving a
/// few milliseconds early). Sending a message does not reset it: the
/// server's pace would drop a `typing` sent sooner.
#[derive(Debug, Clone)]
pub struct TypingPacer<K> {
    last: Vec<(K, u64)>,
}

impl<K> Default for TypingPacer<K> {
    fn default() -> Self {
        Self { last: Vec::new() }
    }
}

/// The page's interval between two `typing` of one conversation.
pub const SEND_EVERY_MS: u64 = TYPING_EVERY_MS + 250;

impl<K: Eq + Clone> TypingPacer<K> {
    /// Whether to send `typing` about `conversation` at `now`; if so, it
    /// is remembered.
    pub fn may_send(&mut self, conversation: &K, now: u64) -> bool {
        self.last
            .retain(|(_, at)| now < at.saturating_add(SEND_EVERY_MS));
        if self.last.iter().any(|(k, _)| k == conversation) {
            return false;
        }
        self.last.push((conversation.clone(), now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn phrases() {
        assert_eq!(phrase(&[]), None);
        assert_eq!(phrase(&names(&["Ann"])).unwrap(), "Ann is typing…");
        assert_eq!(
            phrase(&names(&["Ann", "Bob"])).unwrap(),
            "Ann and Bob are typing…"
        );
        assert_eq!(
            phrase(&names(&["Ann", "Bob", "Cy"])).unwrap(),
            "Several people are typing…"
        );
        assert_eq!(
            phrase(&names(&["a", "b", "c", "d", "e"])).unwrap(),
            "Several people are typing…"
        );
    }

    #[test]
    fn shown_until_silence() {
        let mut t = Typists::<&str>::default();
        t.saw("dev", "Ann", 1000);
        assert_eq!(t.names(&"dev", None, 1000), ["Ann"]);
        assert_eq!(t.names(&"dev", None, 1000 + TYPING_SHOWN_MS - 1), ["Ann"]);
        assert!(t.names(&"dev", None, 1000 + TYPING_SHOWN_MS).is_empty());
        assert_eq!(t.next_expiry(), Some(1000 + TYPING_SHOWN_MS));
        // A new event keeps her shown.
        t.saw("dev", "ann", 5000);
        assert_eq!(t.names(&"dev", None, 1000 + TYPING_SHOWN_MS), ["Ann"]);
        assert!(!t.forget_old(6000));
        assert!(t.forget_old(5000 + TYPING_SHOWN_MS));
        assert_eq!(t.next_expiry(), None);
    }

    #[test]
    fn per_conversation_and_in_order() {
        let mut t = Typists::<&str>::default();
        t.saw("dev", "Ann", 0);
        t.saw("dev", "Bob", 10);
        t.saw("ops", "Cy", 20);
        t.saw("dev", "Ann", 30);
        assert_eq!(t.names(&"dev", None, 40), ["Ann", "Bob"]);
        assert_eq!(t.names(&"ops", None, 40), ["Cy"]);
        assert!(t.names(&"other", None, 40).is_empty());
    }

    #[test]
    fn a_message_ends_typing() {
        let mut t = Typists::<&str>::default();
        t.saw("dev", "Ann", 0);
        t.saw("dev", "Bob", 0);
        t.sent(&"dev", "ANN");
        assert_eq!(t.names(&"dev", None, 1), ["Bob"]);
        t.sent(&"dev", "bob");
        assert!(t.names(&"dev", None, 1).is_empty());
        t.sent(&"nowhere", "bob");
    }

    #[test]
    fn never_yourself() {
        let mut t = Typists::<&str>::default();
        t.saw("dev", "Ann", 0);
        t.saw("dev", "Bob", 0);
        assert_eq!(t.names(&"dev", Some("ann"), 1), ["Bob"]);
    }

    #[test]
    fn bounded() {
        let mut t = Typists::<&str>::default();
        for i in 0..100 {
            t.saw("dev", &format!("p{i}"), i);
        }
        let shown = t.names(&"dev", None, 100);
        assert_eq!(shown.len(), MAX_SHOWN);
        assert_eq!(shown.last().unwrap(), "p99");
        assert!(!shown.contains(&"p0".to_owned()));
    }

    #[test]
    fn pacer_sends_once_per_interval() {
        let mut p = TypingPacer::<&str>::default();
        assert!(p.may_send(&"dev", 0));
        assert!(!p.may_send(&"dev", 100));
        assert!(!p.may_send(&"dev", SEND_EVERY_MS - 1));
        assert!(p.may_send(&"ops", 100));
        assert!(p.may_send(&"dev", SEND_EVERY_MS));
        const { assert!(SEND_EVERY_MS > TYPING_EVERY_MS) };
    }
}
