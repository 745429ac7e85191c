//! The emoji list as the page uses it: every emoji in Unicode's order,
//! looked up by the emoji itself and by shortcode. The server sends it
//! ([`EmojiList`], fetched when the picker or the `:` completion is first
//! used); the picker's search (`reactions`), the completion
//! (`completion`) and the shortcode replacement (`shortcodes`) read it.

use crate::protocol::emoji::{EmojiInfo, EmojiList};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct EmojiTable {
    list: Vec<EmojiInfo>,
    by_emoji: HashMap<String, usize>,
    by_shortcode: HashMap<String, usize>,
}

impl EmojiTable {
    /// The table of `list`; where two entries share an emoji or a
    /// shortcode, the first is the one looked up.
    pub fn new(list: EmojiList) -> Self {
        let mut by_emoji = HashMap::with_capacity(list.emoji.len());
        let mut by_shortcode = HashMap::with_capacity(list.emoji.len() * 2);
        for (i, e) in list.emoji.iter().enumerate() {
            by_emoji.entry(e.emoji.clone()).or_insert(i);
            for code in &e.shortcodes {
                by_shortcode.entry(code.clone()).or_insert(i);
            }
        }
        Self {
            list: list.emoji,
            by_emoji,
            by_shortcode,
        }
    }

    /// Every emoji, in the list's order.
    pub fn iter(&self) -> impl Iterator<Item = &EmojiInfo> {
        self.list.iter()
    }

    /// The entry of `emoji` (`"🎉"`).
    pub fn get(&self, emoji: &str) -> Option<&EmojiInfo> {
        self.by_emoji.get(emoji).and_then(|&i| self.list.get(i))
    }

    /// The entry of a shortcode without its colons (`tada` → 🎉); case
    /// counts, as in the list.
    pub fn by_shortcode(&self, code: &str) -> Option<&EmojiInfo> {
        self.by_shortcode.get(code).and_then(|&i| self.list.get(i))
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::model::fixtures::emoji_table;

    fn info(emoji: &str, codes: &[&str]) -> EmojiInfo {
        EmojiInfo {
            emoji: emoji.into(),
            name: format!("name of {emoji}"),
            shortcodes: codes.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn looks_up_by_emoji_and_shortcode() {
        let t = emoji_table();
        assert_eq!(t.get("🎉").map(|e| e.name.as_str()), Some("party popper"));
        assert_eq!(t.by_shortcode("tada").map(|e| e.emoji.as_str()), Some("🎉"));
        assert_eq!(t.by_shortcode("+1").map(|e| e.emoji.as_str()), Some("👍"));
        assert!(t.by_shortcode("no-such-code").is_none());
        assert!(t.by_shortcode("TADA").is_none());
        assert!(t.get("a").is_none());
    }

    #[test]
    fn the_first_of_two_entries_wins() {
        let t = EmojiTable::new(EmojiList {
            emoji: vec![
                info("🎉", &["tada"]),
                info("🎊", &["tada", "confetti"]),
                info("🎉", &[]),
            ],
        });
        assert_eq!(t.by_shortcode("tada").map(|e| e.emoji.as_str()), Some("🎉"));
        assert_eq!(
            t.by_shortcode("confetti").map(|e| e.emoji.as_str()),
            Some("🎊")
        );
        assert_eq!(t.get("🎉").map(|e| e.shortcodes.len()), Some(1));
        assert_eq!(t.iter().count(), 3);
    }
}
