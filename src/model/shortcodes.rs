//! Shortcodes in what is typed (`:tada:` → 🎉), replaced before a message
//! is sent or an edit saved: the wire carries the emoji itself. A code the
//! emoji list does not know stays as typed, and so does anything inside a
//! code span (`` `:tada:` ``) or a fenced code block.

use super::emoji_table::EmojiTable;

/// `text` with each complete `:code:` that names an emoji of `table`
/// replaced by it.
pub fn replace_shortcodes(text: &str, table: &EmojiTable) -> String {
    scan(text, |code| {
        table.by_shortcode(code).map(|e| e.emoji.as_str())
    })
}

/// Whether `text` holds a `:code:` outside code that the emoji list might
/// know: when it does not, [`replace_shortcodes`] needs no list (the page
/// loads the list only when it is needed).
pub fn has_shortcode(text: &str) -> bool {
    let mut any = false;
    scan(text, |_| {
        any = true;
        None
    });
    any
}

/// `text` with each `:code:` outside code for which `emoji` answers
/// replaced by that answer.
fn scan<'t>(text: &str, mut emoji: impl FnMut(&str) -> Option<&'t str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Inside a code span or block: the run of backticks that opened it.
    let mut code: Option<usize> = None;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            let run = rest.len() - rest.trim_start_matches('`').len();
            code = match code {
                None => Some(run),
                Some(open) if open == run => None,
                inside => inside,
            };
            out.push_str(&rest[..run]);
            rest = &rest[run..];
            continue;
        }
        if c == ':' && code.is_none() {
            if let Some((found, len)) = shortcode_at(rest, &mut emoji) {
                out.push_str(found);
                rest = &rest[len..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The emoji of a `:code:` at the start of `s`, and how many bytes it
/// takes, colons included.
fn shortcode_at<'t>(
    s: &str,
    emoji: &mut impl FnMut(&str) -> Option<&'t str>,
) -> Option<(&'t str, usize)> {
    let body = s.strip_prefix(':')?;
    let end = body.find(|c: char| !is_code_char(c))?;
    if end == 0 || !body[end..].starts_with(':') {
        return None;
    }
    let found = emoji(&body[..end])?;
    Some((found, end + 2))
}

/// What a shortcode is made of (`+1`, `t-rex`, `smiling_face`).
pub(crate) fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+')
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::model::fixtures::emoji_table;

    fn replace_shortcodes(text: &str) -> String {
        super::replace_shortcodes(text, emoji_table())
    }

    #[test]
    fn known_codes_become_emoji() {
        assert_eq!(replace_shortcodes(":tada:"), "🎉");
        assert_eq!(
            replace_shortcodes("we shipped :tada: :+1:!"),
            "we shipped 🎉 👍!"
        );
        assert_eq!(replace_shortcodes(":tada::tada:"), "🎉🎉");
        assert_eq!(replace_shortcodes("né :heart: ok"), "né ❤️ ok");
    }

    #[test]
    fn unknown_codes_and_plain_colons_stay() {
        for same in [
            ":no-such-code:",
            "at 10:30: lunch",
            "a : b",
            "::",
            ":tada",
            "tada:",
            "",
            ":",
            "ratio 1:2:3",
        ] {
            assert_eq!(replace_shortcodes(same), same, "{same:?}");
        }
        // An unknown code's closing colon may open a known one.
        assert_eq!(replace_shortcodes(":nope:tada:"), ":nope🎉");
    }

    #[test]
    fn code_spans_are_left_alone() {
        assert_eq!(replace_shortcodes("`:tada:` :tada:"), "`:tada:` 🎉");
        assert_eq!(
            replace_shortcodes("```\n:tada:\n```\n:tada:"),
            "```\n:tada:\n```\n🎉"
        );
        assert_eq!(
            replace_shortcodes("``a ` :tada:`` :tada:"),
            "``a ` :tada:`` 🎉"
        );
    }

    /// A text needs the list exactly when something in it could be
    /// replaced: where `has_shortcode` says no, a list that knew every
    /// code would change nothing.
    #[test]
    fn the_list_is_needed_only_for_a_code_outside_code() {
        for (text, needs) in [
            ("plain words", false),
            (":tada", false),
            ("a : b", false),
            ("`:tada:`", false),
            ("```\n:tada:\n```", false),
            (":tada:", true),
            (":no-such-code:", true),
            ("at 10:30: lunch", true),
        ] {
            assert_eq!(has_shortcode(text), needs, "{text:?}");
            let everything = scan(text, |_| Some("X"));
            assert_eq!(everything != text, needs, "{text:?}");
        }
    }
}
