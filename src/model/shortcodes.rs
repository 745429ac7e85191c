//! Shortcodes in what is typed (`:tada:` → 🎉), replaced before a message
//! is sent or an edit saved: the wire carries the emoji itself. A code the
//! emoji list does not know stays as typed, and so does anything inside a
//! code span (`` `:tada:` ``) or a fenced code block.

use crate::protocol::emoji::Emoji;

/// `text` with each complete `:code:` that names an emoji replaced by it.
pub fn replace_shortcodes(text: &str) -> String {
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
            if let Some((emoji, len)) = shortcode_at(rest) {
                out.push_str(emoji.as_str());
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
fn shortcode_at(s: &str) -> Option<(Emoji, usize)> {
    let body = s.strip_prefix(':')?;
    let end = body.find(|c: char| !is_code_char(c))?;
    if end == 0 || !body[end..].starts_with(':') {
        return None;
    }
    let emoji = Emoji::from_shortcode(&body[..end])?;
    Some((emoji, end + 2))
}

/// What a shortcode is made of (`+1`, `t-rex`, `smiling_face`).
pub(crate) fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
