//! Ranking what the completion offers: the names for `@`, the emoji for
//! `:` (the parent module finds the word and puts the choice in).

use super::{is_name_char, Choice};
use crate::model::emoji_table::EmojiTable;
use std::collections::HashSet;

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
#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "ssr")]
    use crate::model::completion::MAX_CHOICES;
    #[cfg(feature = "ssr")]
    use crate::model::fixtures::emoji_table;

    #[cfg(feature = "ssr")]
    fn emoji_matches(query: &str, recent: &[&str], limit: usize) -> Vec<Choice> {
        super::emoji_matches(emoji_table(), query, recent, limit)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
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
}
