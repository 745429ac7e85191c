//! Emoji, and a message's reactions as every message carries them.

use super::limits::MAX_EMOJI_BYTES;
use super::names::{NameError, Username};
use serde::{Deserialize, Serialize};

/// One emoji, as Unicode (`"🎉"`, `"👍🏽"`), at most [`MAX_EMOJI_BYTES`]
/// bytes. Shortcodes (`:tada:`) are the composer's business: the wire
/// carries the emoji itself.
///
/// The server accepts only a single emoji the `emojis` crate knows
/// (Unicode's full list, skin tones included). The browser does not carry
/// that list (it is 430 KB of the WASM; the picker fetches it as an
/// [`EmojiList`] when first opened), so there an emoji only has to look
/// like one ([`looks_like_emoji`]): what the browser sends, the server
/// checks, and what the server sends, it has checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty { what: "emoji" });
        }
        if raw.len() > MAX_EMOJI_BYTES || !known(raw) {
            return Err(NameError::NotEmoji);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `raw` is one emoji of Unicode's list.
#[cfg(feature = "ssr")]
fn known(raw: &str) -> bool {
    emojis::get(raw).is_some()
}

/// Without the list (in the browser): whether `raw` looks like an emoji.
#[cfg(not(feature = "ssr"))]
fn known(raw: &str) -> bool {
    looks_like_emoji(raw)
}

/// Whether `raw` could be one emoji: no space or control character, no
/// ASCII but the digits, `#` and `*` of keycaps (`1️⃣`), and something
/// beyond ASCII. Every emoji of Unicode's list passes (a test says so);
/// two emoji in a row pass too, which only the server's list refuses.
pub fn looks_like_emoji(raw: &str) -> bool {
    let mut beyond_ascii = false;
    for c in raw.chars() {
        if c.is_whitespace() || c.is_control() {
            return false;
        }
        if c.is_ascii() {
            if !(c.is_ascii_digit() || c == '#' || c == '*') {
                return false;
            }
        } else {
            beyond_ascii = true;
        }
    }
    beyond_ascii
}

/// Where the browser fetches the [`EmojiList`] (GET, no session needed).
pub const EMOJI_LIST_PATH: &str = "/api/emoji";

/// Every emoji the picker and the composer's `:` completion offer, in
/// Unicode's order, each with its name and shortcodes: what
/// [`EMOJI_LIST_PATH`] answers. The page loads it when first needed
/// rather than carrying it in its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmojiList {
    pub emoji: Vec<EmojiInfo>,
}

/// One emoji of the [`EmojiList`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmojiInfo {
    /// The emoji itself (`🎉`).
    pub emoji: String,
    /// Its Unicode name (`party popper`).
    pub name: String,
    /// Its shortcodes without colons, the first the one shown (`tada`).
    pub shortcodes: Vec<String>,
}

#[cfg(feature = "ssr")]
impl EmojiList {
    /// Unicode's list, as the `emojis` crate has it (skin tones are not
    /// listed apart; the server accepts them all).
    pub fn unicode() -> Self {
        let emoji = emojis::iter()
            .map(|e| EmojiInfo {
                emoji: e.as_str().to_owned(),
                name: e.name().to_owned(),
                shortcodes: e.shortcodes().map(str::to_owned).collect(),
            })
            .collect();
        Self { emoji }
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

#[cfg(all(test, feature = "ssr"))]
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
                assert!(looks_like_emoji(s), "the browser's check refuses {s}");
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

    /// The browser's check refuses what is plainly no emoji.
    #[test]
    fn what_is_no_emoji_does_not_look_like_one() {
        for bad in [
            "", "a", ":tada:", "<b>", "🎉 ", " 🎉", "1", "#", "🎉\n", "x🎉",
        ] {
            assert!(!looks_like_emoji(bad), "{bad:?}");
        }
        for ok in ["🎉", "1️⃣", "#️⃣", "©️", "👩‍💻", "🇫🇷"] {
            assert!(looks_like_emoji(ok), "{ok}");
        }
    }

    #[test]
    fn the_list_holds_every_emoji_once_with_its_shortcodes() {
        let list = EmojiList::unicode();
        assert_eq!(list.emoji.len(), emojis::iter().count());
        let tada = list.emoji.iter().find(|e| e.emoji == "🎉").unwrap();
        assert_eq!(tada.name, "party popper");
        assert_eq!(tada.shortcodes.first().map(String::as_str), Some("tada"));
        let glyphs: std::collections::HashSet<&str> =
            list.emoji.iter().map(|e| e.emoji.as_str()).collect();
        assert_eq!(glyphs.len(), list.emoji.len());
    }
}
