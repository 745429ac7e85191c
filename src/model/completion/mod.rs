//! Completing what is being typed in the composer: `@` and the first
//! letters of a name offer names, `:` and at least two letters of a
//! shortcode offer emoji. These find the word being completed at the
//! caret, rank what matches and put the choice in its place; the page's
//! popup (`app::completion`) shows them. This module finds the word and
//! puts the choice in; `rank` ranks the names and emoji that match.
//!
//! The browser counts the caret (`selectionStart`) in UTF-16 code units,
//! Rust strings in bytes: [`token_at`] takes the browser's count, a
//! [`Token`] holds bytes, and [`apply`] answers the browser's count again.

mod rank;

pub use rank::{emoji_matches, mentionable, rank_names};

use super::markdown::ends_name;
use super::shortcodes::is_code_char;
use crate::protocol::limits::MAX_USERNAME_CHARS;

/// How many choices the popup shows at most.
pub const MAX_CHOICES: usize = 8;
/// How many shortcode characters after `:` open the emoji list (fewer
/// would offer emoji for every `:)` and `10:30`).
pub const MIN_EMOJI_QUERY: usize = 2;
/// The longest shortcode query looked up.
const MAX_EMOJI_QUERY: usize = 48;

/// What the word at the caret completes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `@name`: a person.
    Mention,
    /// `:code`: an emoji.
    Emoji,
}

/// The word being completed: its kind, where it is in the text (bytes:
/// `start` at its `@` or `:`, `end` at the caret; what follows the caret
/// is left alone) and what was typed of it, without the `@` or `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub query: String,
}

/// One thing the popup offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Choice {
    Name(String),
    /// An emoji, and the shortcode of it that matched.
    Emoji {
        glyph: String,
        code: String,
    },
}

impl Choice {
    /// What takes the word's place (without the space [`apply`] adds).
    pub fn replacement(&self) -> String {
        match self {
            Choice::Name(name) => format!("@{name}"),
            Choice::Emoji { glyph, .. } => glyph.clone(),
        }
    }
}

/// The byte offset of the caret `units` UTF-16 code units into `text`;
/// `None` past the end or inside a character (between the two halves of
/// a surrogate pair).
pub fn utf16_to_byte(text: &str, units: usize) -> Option<usize> {
    let mut count = 0;
    for (i, c) in text.char_indices() {
        if count >= units {
            return (count == units).then_some(i);
        }
        count += c.len_utf16();
    }
    (count == units).then_some(text.len())
}

/// How many UTF-16 code units `text` has before byte `byte` (the whole
/// text's count when `byte` is past the end or not at a character).
pub fn byte_to_utf16(text: &str, byte: usize) -> usize {
    text.get(..byte).unwrap_or(text).encode_utf16().count()
}

/// The word being completed with the caret at `caret_utf16` (the
/// browser's `selectionStart`), if any:
///
/// - a mention: a word that starts with `@` (at the start of the text or
///   after whitespace, as mentions are read when sent), then up to 32
///   name characters (none of the whitespace or punctuation a mention
///   stops at), possibly none yet;
/// - an emoji: `:` at the start of a word (after whitespace, `(`, `[` or
///   `"`), then at least [`MIN_EMOJI_QUERY`] shortcode characters;
///
/// never inside a code span or block (where shortcodes stay as typed and
/// mentions are not shown as such).
pub fn token_at(text: &str, caret_utf16: usize) -> Option<Token> {
    let caret = utf16_to_byte(text, caret_utf16)?;
    let before = &text[..caret];
    let token = mention_at(before).or_else(|| emoji_at(before))?;
    (!inside_code(&text[..token.start])).then_some(token)
}

/// A name character of a mention (`@` may be inside a name).
fn is_name_char(c: char) -> bool {
    !ends_name(c)
}

fn mention_at(before: &str) -> Option<Token> {
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let query = before[word_start..].strip_prefix('@')?;
    if !query.chars().all(is_name_char) || query.chars().count() > MAX_USERNAME_CHARS {
        return None;
    }
    Some(Token {
        kind: Kind::Mention,
        start: word_start,
        end: before.len(),
        query: query.to_owned(),
    })
}

fn emoji_at(before: &str) -> Option<Token> {
    let code_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !is_code_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let query = &before[code_start..];
    if !before[..code_start].ends_with(':') {
        return None;
    }
    let colon = code_start - 1;
    let at_word_start = before[..colon]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '"'));
    let len = query.chars().count();
    if !at_word_start || !(MIN_EMOJI_QUERY..=MAX_EMOJI_QUERY).contains(&len) {
        return None;
    }
    Some(Token {
        kind: Kind::Emoji,
        start: colon,
        end: before.len(),
        query: query.to_owned(),
    })
}

/// Whether the end of `text` is inside a code span or a fenced code block:
/// a run of backticks opens one and the next run as long closes it (the
/// rule `shortcodes::replace_shortcodes` follows when sending).
pub fn inside_code(text: &str) -> bool {
    let mut open: Option<usize> = None;
    let mut rest = text;
    while let Some(i) = rest.find('`') {
        let from = &rest[i..];
        let run = from.len() - from.trim_start_matches('`').len();
        open = match open {
            None => Some(run),
            Some(o) if o == run => None,
            inside => inside,
        };
        rest = &from[run..];
    }
    open.is_some()
}

/// `text` with `token`'s word replaced by `replacement` and a space, and
/// the caret after them (in UTF-16 code units, for `setSelectionRange`).
/// When a space follows the word already, no other is added: the caret
/// goes after that one. `None` when the token does not fit `text`.
pub fn apply(text: &str, token: &Token, replacement: &str) -> Option<(String, usize)> {
    let head = text.get(..token.start)?;
    let tail = text.get(token.end..)?;
    let mut out = String::with_capacity(text.len() + replacement.len() + 1);
    out.push_str(head);
    out.push_str(replacement);
    if !tail.starts_with(' ') {
        out.push(' ');
    }
    let caret = byte_to_utf16(&out, out.len()) + usize::from(tail.starts_with(' '));
    out.push_str(tail);
    Some((out, caret))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "ssr")]
    use crate::model::fixtures::emoji_table;

    #[cfg(feature = "ssr")]
    fn replace_shortcodes(text: &str) -> String {
        crate::model::shortcodes::replace_shortcodes(text, emoji_table())
    }

    /// The token with the caret where `|` is (`|` taken out), the caret
    /// counted in UTF-16 as the browser does.
    fn at(marked: &str) -> Option<Token> {
        let (head, tail) = marked.split_once('|').expect("a caret mark");
        let text = format!("{head}{tail}");
        token_at(&text, head.encode_utf16().count())
    }

    fn token(kind: Kind, start: usize, end: usize, query: &str) -> Token {
        Token {
            kind,
            start,
            end,
            query: query.to_owned(),
        }
    }

    #[test]
    fn utf16_offsets_convert_both_ways() {
        let text = "é🎉a"; // é: 2 bytes, 1 unit; 🎉: 4 bytes, 2 units
        assert_eq!(utf16_to_byte(text, 0), Some(0));
        assert_eq!(utf16_to_byte(text, 1), Some(2));
        assert_eq!(utf16_to_byte(text, 2), None, "inside the surrogate pair");
        assert_eq!(utf16_to_byte(text, 3), Some(6));
        assert_eq!(utf16_to_byte(text, 4), Some(7));
        assert_eq!(utf16_to_byte(text, 5), None, "past the end");
        assert_eq!(utf16_to_byte("", 0), Some(0));
        assert_eq!(byte_to_utf16(text, 0), 0);
        assert_eq!(byte_to_utf16(text, 2), 1);
        assert_eq!(byte_to_utf16(text, 6), 3);
        assert_eq!(byte_to_utf16(text, 7), 4);
        assert_eq!(byte_to_utf16(text, 99), 4);
    }

    #[test]
    fn a_mention_starts_a_word() {
        assert_eq!(at("@|"), Some(token(Kind::Mention, 0, 1, "")));
        assert_eq!(at("@an|"), Some(token(Kind::Mention, 0, 3, "an")));
        assert_eq!(at("hi @An|"), Some(token(Kind::Mention, 3, 6, "An")));
        assert_eq!(at("hi\n@b|"), Some(token(Kind::Mention, 3, 5, "b")));
        // What follows the caret is not part of it.
        assert_eq!(
            at("hi @an|nie, there"),
            Some(token(Kind::Mention, 3, 6, "an"))
        );
        for none in [
            "mail a@b|",
            "(@ann|",
            "@ann |",
            "@ann,|",
            "hi|",
            "|@ann",
            "|",
        ] {
            assert_eq!(at(none), None, "{none:?}");
        }
        let long = format!("@{}|", "x".repeat(MAX_USERNAME_CHARS + 1));
        assert_eq!(at(&long), None);
        let longest = format!("@{}|", "x".repeat(MAX_USERNAME_CHARS));
        assert!(at(&longest).is_some());
    }

    #[test]
    fn non_ascii_text_before_the_caret_is_counted_in_utf16() {
        // "né 🎉 " is 9 bytes (n, é×2, space, 🎉×4, space) and 6 UTF-16
        // units: the browser says 8 for the caret after "@z" (bytes: 11).
        assert_eq!(at("né 🎉 @z|"), Some(token(Kind::Mention, 9, 11, "z")));
        assert_eq!(token_at("né 🎉 @z", 8), at("né 🎉 @z|"));
        assert_eq!(token_at("né 🎉 @z", 11), None);
        // A name with non-ASCII letters.
        assert_eq!(at("@zo|ë"), Some(token(Kind::Mention, 0, 3, "zo")));
        assert_eq!(at("@zoë|"), Some(token(Kind::Mention, 0, 5, "zoë")));
        assert_eq!(at("@李|"), Some(token(Kind::Mention, 0, 4, "李")));
        assert_eq!(at("日本 :ta|"), Some(token(Kind::Emoji, 7, 10, "ta")));
        // The caret inside the emoji's surrogate pair: nothing.
        assert_eq!(token_at("🎉@a", 1), None);
        // Bytes are not units: the byte count of "é @a" is past the end.
        assert_eq!(token_at("é @a", 5), None);
        assert_eq!(token_at("é @a", 4), Some(token(Kind::Mention, 3, 5, "a")));
    }

    #[test]
    fn an_emoji_needs_a_colon_at_a_word_start_and_two_characters() {
        assert_eq!(at(":ta|"), Some(token(Kind::Emoji, 0, 3, "ta")));
        assert_eq!(at("yay :tad|"), Some(token(Kind::Emoji, 4, 8, "tad")));
        assert_eq!(at("(:+1|"), Some(token(Kind::Emoji, 1, 4, "+1")));
        assert_eq!(at(":ta|da: ok"), Some(token(Kind::Emoji, 0, 3, "ta")));
        for none in [
            ":t|",
            ":|",
            "at 10:30|",
            "word:ta|",
            ":tada:|",
            ":ta da|",
            ":ta-é|",
            "::ta|",
        ] {
            assert_eq!(at(none), None, "{none:?}");
        }
        let long = format!(":{}|", "a".repeat(MAX_EMOJI_QUERY + 1));
        assert_eq!(at(&long), None);
    }

    #[test]
    fn nothing_is_completed_in_code() {
        assert_eq!(at("`@an|"), None);
        assert_eq!(at("see `x` and ` :ta|"), None);
        assert_eq!(at("```\n@an|"), None);
        assert_eq!(at("``a ` @an|"), None);
        assert_eq!(at("`code` @an|"), Some(token(Kind::Mention, 7, 10, "an")));
        assert_eq!(
            at("```\nx\n``` :ta|"),
            Some(token(Kind::Emoji, 10, 13, "ta"))
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn code_is_detected_as_shortcodes_are_left_alone_when_sent() {
        for before in [
            "",
            "`",
            "``",
            "`a`",
            "``a ` b",
            "```\nx\n",
            "```\nx\n```\n",
            "a ` b ` c `",
            "`a``",
        ] {
            let sent = replace_shortcodes(&format!("{before} :tada:"));
            assert_eq!(inside_code(before), sent.ends_with(":tada:"), "{before:?}");
        }
    }

    #[test]
    fn applying_replaces_the_word_and_puts_the_caret_after() {
        let t = at("hi @an|").unwrap();
        assert_eq!(
            apply("hi @an", &t, "@annie"),
            Some(("hi @annie ".to_owned(), 10))
        );
        // A space after it is kept, not doubled; the rest stays.
        let t = at("@an| and").unwrap();
        assert_eq!(
            apply("@an and", &t, "@anna"),
            Some(("@anna and".to_owned(), 6))
        );
        let t = at("@an|na").unwrap();
        assert_eq!(
            apply("@anna", &t, "@anna"),
            Some(("@anna na".to_owned(), 6))
        );
        let t = at("@an|\nnext").unwrap();
        assert_eq!(
            apply("@an\nnext", &t, "@anna"),
            Some(("@anna \nnext".to_owned(), 6))
        );
        // Emoji: the caret is counted in UTF-16 (🎉 is 2 units).
        let t = at("né :tad|").unwrap();
        assert_eq!(apply("né :tad", &t, "🎉"), Some(("né 🎉 ".to_owned(), 6)));
        let t = at("(:ta|)").unwrap();
        assert_eq!(apply("(:ta)", &t, "🎉"), Some(("(🎉 )".to_owned(), 4)));
        // A token from another text does not fit.
        let t = token(Kind::Mention, 3, 40, "x");
        assert_eq!(apply("short", &t, "@x"), None);
        let t = token(Kind::Mention, 1, 2, "x");
        assert_eq!(apply("é", &t, "@x"), None);
    }

    #[test]
    fn choices_say_what_they_insert() {
        assert_eq!(Choice::Name("zoë".into()).replacement(), "@zoë");
        assert_eq!(
            Choice::Emoji {
                glyph: "🎉".into(),
                code: "tada".into()
            }
            .replacement(),
            "🎉"
        );
    }
}
