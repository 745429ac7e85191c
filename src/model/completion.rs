//! Completing what is being typed in the composer: `@` and the first
//! letters of a name offer names, `:` and at least two letters of a
//! shortcode offer emoji. These find the word being completed at the
//! caret, rank what matches and put the choice in its place; the page's
//! popup (`app::completion`) shows them.
//!
//! The browser counts the caret (`selectionStart`) in UTF-16 code units,
//! Rust strings in bytes: [`token_at`] takes the browser's count, a
//! [`Token`] holds bytes, and [`apply`] answers the browser's count again.

use super::emoji_table::EmojiTable;
use super::markdown::ends_name;
use super::shortcodes::is_code_char;
use crate::protocol::limits::MAX_USERNAME_CHARS;
use std::collections::HashSet;

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

/// A name's place: (not the query itself, not the conversation's, how it
/// matched, where it was listed).
type NameRank = (u8, u8, u8, usize);
/// An emoji's place: (exact, recent or other, where among the recent, how
/// it matched, Unicode's order).
type EmojiRank = (u8, usize, u8, usize);

/// Whether `name` can be mentioned: a mention stops at whitespace and at
/// `,.:;!?()"'`, so a name holding one would notify someone else.
pub fn mentionable(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char)
}

/// The names offered for `query` (any case): those that start with it,
/// then those that contain it; `members` (the conversation's people,
/// in the order given) before `others`, except that a name equal to the
/// query comes first. Each name once (in any case), never `me`, never one
/// that cannot be mentioned; at most `limit`.
pub fn rank_names(
    query: &str,
    members: &[String],
    others: &[String],
    me: Option<&str>,
    limit: usize,
) -> Vec<String> {
    let q = query.to_lowercase();
    let me = me.map(str::to_lowercase);
    let mut seen = HashSet::new();
    let mut found: Vec<(NameRank, &String)> = Vec::new();
    let all = members
        .iter()
        .map(|n| (0u8, n))
        .chain(others.iter().map(|n| (1u8, n)));
    for (i, (group, name)) in all.enumerate() {
        let lower = name.to_lowercase();
        if !mentionable(name) || me.as_deref() == Some(lower.as_str()) {
            continue;
        }
        if !seen.insert(lower.clone()) {
            continue;
        }
        let how = if lower == q {
            0
        } else if lower.starts_with(&q) {
            1
        } else if lower.contains(&q) {
            2
        } else {
            continue;
        };
        found.push(((u8::from(how != 0), group, how, i), name));
    }
    found.sort_by_key(|(key, _)| *key);
    found
        .into_iter()
        .take(limit)
        .map(|(_, n)| n.clone())
        .collect()
}

/// The emoji of `table` offered for `query`, matched against their shortcodes (any
/// case): one whose shortcode is the query first, then those among
/// `recent` (most recent first), then those with a shortcode starting
/// with the query, then containing it, each in Unicode's order. Each emoji
/// once, with the shortcode that matched best; at most `limit`.
pub fn emoji_matches(
    table: &EmojiTable,
    query: &str,
    recent: &[&str],
    limit: usize,
) -> Vec<Choice> {
    let q = query.to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(EmojiRank, Choice)> = table
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let (how, code) = e
                .shortcodes
                .iter()
                .filter_map(|code| {
                    let how = if *code == q {
                        0
                    } else if code.starts_with(&q) {
                        1
                    } else if code.contains(&q) {
                        2
                    } else {
                        return None;
                    };
                    Some((how, code))
                })
                .min_by_key(|(how, _)| *how)?;
            let recent_at = recent.iter().position(|r| *r == e.emoji);
            let group = match (how, recent_at) {
                (0, _) => 0,
                (_, Some(_)) => 1,
                _ => 2,
            };
            let choice = Choice::Emoji {
                glyph: e.emoji.clone(),
                code: code.clone(),
            };
            Some(((group, recent_at.unwrap_or(usize::MAX), how, i), choice))
        })
        .collect();
    found.sort_by_key(|(key, _)| *key);
    found.into_iter().take(limit).map(|(_, c)| c).collect()
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

    #[cfg(feature = "ssr")]
    fn emoji_matches(query: &str, recent: &[&str], limit: usize) -> Vec<Choice> {
        super::emoji_matches(emoji_table(), query, recent, limit)
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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
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
    fn names_rank_prefix_before_substring_and_members_before_others() {
        let members = names(&["Marta", "Annabel", "hannah"]);
        let others = names(&["anna", "Bob", "joanne", "ANNABEL", "me"]);
        assert_eq!(
            rank_names("an", &members, &others, Some("Me"), 8),
            ["Annabel", "hannah", "anna", "joanne"]
        );
        // A name equal to the query comes first, wherever it is listed.
        assert_eq!(
            rank_names("ANNA", &members, &others, None, 8),
            ["anna", "Annabel", "hannah"]
        );
        // Nothing typed: everyone, members first, never me.
        assert_eq!(
            rank_names("", &members, &others, Some("me"), 8),
            ["Marta", "Annabel", "hannah", "anna", "Bob", "joanne"]
        );
        assert!(rank_names("zz", &members, &others, None, 8).is_empty());
    }

    #[test]
    fn names_are_capped_and_unmentionable_ones_left_out() {
        let many: Vec<String> = (0..20).map(|i| format!("ann{i}")).collect();
        assert_eq!(
            rank_names("a", &many, &[], None, MAX_CHOICES).len(),
            MAX_CHOICES
        );
        assert_eq!(
            rank_names("a", &many, &[], None, 3),
            ["ann0", "ann1", "ann2"]
        );
        let odd = names(&["Zoë 李", "o'neil", "zoë", "a@b"]);
        assert_eq!(rank_names("", &odd, &[], None, 8), ["zoë", "a@b"]);
        assert!(mentionable("zoë"));
        assert!(!mentionable("Zoë 李"));
        assert!(!mentionable(""));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn emoji_match_their_shortcodes() {
        let first = |q: &str| emoji_matches(q, &[], 8).first().cloned();
        assert_eq!(
            first("tad"),
            Some(Choice::Emoji {
                glyph: "🎉".into(),
                code: "tada".into()
            })
        );
        assert_eq!(
            first("TADA"),
            Some(Choice::Emoji {
                glyph: "🎉".into(),
                code: "tada".into()
            })
        );
        assert!(emoji_matches("zzqqx", &[], 8).is_empty());
        assert!(emoji_matches("", &[], 8).is_empty());
        let hearts = emoji_matches("heart", &[], MAX_CHOICES);
        assert_eq!(hearts.len(), MAX_CHOICES);
        // Exact first, each emoji once.
        assert_eq!(hearts[0].replacement(), "❤️");
        let unique: HashSet<_> = hearts.iter().collect();
        assert_eq!(unique.len(), hearts.len());
        // Prefix matches before substring ones.
        let smile = emoji_matches("smile", &[], 50);
        let codes: Vec<&str> = smile
            .iter()
            .map(|c| match c {
                Choice::Emoji { code, .. } => code.as_str(),
                Choice::Name(_) => "",
            })
            .collect();
        let first_inner = codes.iter().position(|c| !c.starts_with("smile"));
        if let Some(i) = first_inner {
            assert!(
                codes[i..].iter().all(|c| !c.starts_with("smile")),
                "{codes:?}"
            );
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn recent_emoji_come_first_after_an_exact_code() {
        let plain = emoji_matches("heart", &[], 80);
        let late = plain
            .iter()
            .rposition(|c| c.replacement() != "❤️")
            .expect("more hearts");
        let pick = plain[late].replacement();
        let recent = [pick.as_str(), "🎉"];
        let ranked = emoji_matches("heart", &recent, 8);
        assert_eq!(ranked[0].replacement(), "❤️");
        assert_eq!(ranked[1].replacement(), pick);
        // A recent emoji that does not match is not offered.
        assert!(ranked.iter().all(|c| c.replacement() != "🎉"));
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
