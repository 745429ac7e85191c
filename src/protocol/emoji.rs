//! Emoji, and a message's reactions as every message carries them.

use super::limits::MAX_EMOJI_BYTES;
use super::names::{NameError, Username};
use serde::{Deserialize, Serialize};

/// One emoji, as Unicode (`"🎉"`, `"👍🏽"`): a single emoji the `emojis`
/// crate knows (Unicode's full list, skin tones included), at most
/// [`MAX_EMOJI_BYTES`] bytes. Shortcodes (`:tada:`) are the composer's
/// business: the wire carries the emoji itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty { what: "emoji" });
        }
        if raw.len() > MAX_EMOJI_BYTES || emojis::get(raw).is_none() {
            return Err(NameError::NotEmoji);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The emoji of a shortcode without its colons (`tada` → 🎉).
    pub fn from_shortcode(code: &str) -> Option<Self> {
        emojis::get_by_shortcode(code).map(|e| Self(e.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Emoji {
    type Error = NameError;
    fn try_from(raw: String) -> Result<Self, NameError> {
        Self::parse(&raw)
    }
}

impl From<Emoji> for String {
    fn from(e: Emoji) -> String {
        e.0
    }
}

impl std::fmt::Display for Emoji {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One emoji's reactions to a message: how many accounts reacted with it
/// and the first of them by time (at most
/// [`MAX_REACTORS_LISTED`](super::limits::MAX_REACTORS_LISTED)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: Emoji,
    pub count: u32,
    pub users: Vec<Username>,
}

impl Reaction {
    /// Whether `me` is among those listed (lists are capped: a reader
    /// past the cap learns it from its own `react` answers).
    pub fn includes(&self, me: &Username) -> bool {
        self.users
            .iter()
            .any(|u| u.as_str().eq_ignore_ascii_case(me.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_are_single_known_emoji() {
        for ok in ["🎉", "👍", "👍🏽", "❤️", "🇫🇷", "👩‍💻"] {
            assert_eq!(Emoji::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
        for bad in ["", "a", ":tada:", "🎉🎉", "<b>", "🎉 "] {
            assert!(Emoji::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Emoji::from_shortcode("tada").unwrap().as_str(), "🎉");
        assert!(Emoji::from_shortcode("no-such-code").is_none());
    }

    /// The byte bound is checked before the lookup: it refuses what is
    /// longer than any emoji, and never an emoji Unicode knows (skin tones
    /// and ZWJ sequences included).
    #[test]
    fn the_byte_bound_refuses_no_known_emoji() {
        let mut longest = "";
        for emoji in emojis::iter() {
            for variant in std::iter::once(emoji).chain(emoji.skin_tones().into_iter().flatten()) {
                let s = variant.as_str();
                assert!(Emoji::parse(s).is_ok(), "{s}");
                if s.len() > longest.len() {
                    longest = s;
                }
            }
        }
        assert!(
            longest.len() <= MAX_EMOJI_BYTES,
            "{longest}: {}",
            longest.len()
        );
        // Just past the bound, made of a known emoji: refused unread.
        let past = "🎉".repeat(MAX_EMOJI_BYTES / 4 + 1);
        assert_eq!(past.len(), MAX_EMOJI_BYTES + 4);
        assert_eq!(Emoji::parse(&past), Err(NameError::NotEmoji));
    }
}
