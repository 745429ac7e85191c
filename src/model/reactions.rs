//! Reactions as the page shows them: a reaction's label, the emoji picker's
//! search, and the "Recently used" row.

use super::emoji_table::EmojiTable;
use crate::protocol::emoji::{EmojiInfo, Reaction};

/// How many emoji the "Recently used" row keeps.
pub const MAX_RECENT: usize = 16;

/// "🎉 by ann, bob", and "and 3 others" when more reacted than are listed.
pub fn reaction_label(r: &Reaction) -> String {
    let names: Vec<&str> = r.users.iter().map(|u| u.as_str()).collect();
    let others = (r.count as usize).saturating_sub(names.len());
    let mut label = format!("{} by {}", r.emoji, names.join(", "));
    if names.is_empty() {
        label = format!("{} by {others} {}", r.emoji, people(others));
    } else if others > 0 {
        label.push_str(&format!(" and {others} {}", others_word(others)));
    }
    label
}

fn people(n: usize) -> &'static str {
    if n == 1 {
        "person"
    } else {
        "people"
    }
}

fn others_word(n: usize) -> &'static str {
    if n == 1 {
        "other"
    } else {
        "others"
    }
}

/// The recent list after using `emoji`: it first, no repeats, at most
/// [`MAX_RECENT`].
pub fn remember_recent(recent: &[String], emoji: &str) -> Vec<String> {
    std::iter::once(emoji.to_owned())
        .chain(recent.iter().filter(|e| *e != emoji).cloned())
        .take(MAX_RECENT)
        .collect()
}

/// Emoji of `table` whose name or a shortcode contains `query` (any
/// case): exact shortcodes first, then those starting with it, then the
/// rest, each in Unicode's order; every emoji for an empty query. At most
/// `limit`.
pub fn search_emoji<'t>(table: &'t EmojiTable, query: &str, limit: usize) -> Vec<&'t EmojiInfo> {
    let q = query.trim().trim_matches(':').to_lowercase();
    if q.is_empty() {
        return table.iter().take(limit).collect();
    }
    let mut found: Vec<(u8, usize, &EmojiInfo)> = table
        .iter()
        .enumerate()
        .filter_map(|(i, e)| rank(e, &q).map(|r| (r, i, e)))
        .collect();
    found.sort_by_key(|(r, i, _)| (*r, *i));
    found.into_iter().take(limit).map(|(_, _, e)| e).collect()
}

/// 0: a shortcode is the query; 1: one starts with it, or the name does;
/// 2: the name or a shortcode contains it.
fn rank(e: &EmojiInfo, q: &str) -> Option<u8> {
    let name = e.name.to_lowercase();
    let mut best = None::<u8>;
    let mut note = |r: u8| best = Some(best.map_or(r, |b| b.min(r)));
    for code in &e.shortcodes {
        if code == q {
            note(0);
        } else if code.starts_with(q) {
            note(1);
        } else if code.contains(q) {
            note(2);
        }
    }
    if name.starts_with(q) {
        note(1);
    } else if name.contains(q) {
        note(2);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::emoji::Emoji;
    use crate::protocol::Username;

    fn reaction(count: u32, users: &[&str]) -> Reaction {
        Reaction {
            emoji: Emoji::parse("🎉").unwrap(),
            count,
            users: users.iter().map(|u| Username::parse(u).unwrap()).collect(),
        }
    }

    #[test]
    fn labels_name_who_reacted() {
        assert_eq!(reaction_label(&reaction(1, &["ann"])), "🎉 by ann");
        assert_eq!(
            reaction_label(&reaction(2, &["ann", "bob"])),
            "🎉 by ann, bob"
        );
        assert_eq!(
            reaction_label(&reaction(3, &["ann", "bob"])),
            "🎉 by ann, bob and 1 other"
        );
        assert_eq!(
            reaction_label(&reaction(25, &["ann", "bob"])),
            "🎉 by ann, bob and 23 others"
        );
        assert_eq!(reaction_label(&reaction(2, &[])), "🎉 by 2 people");
    }

    #[test]
    fn recent_emoji_put_the_latest_first_once() {
        let r = remember_recent(&[], "🎉");
        assert_eq!(r, ["🎉"]);
        let r = remember_recent(&["👍".into(), "🎉".into(), "❤️".into()], "🎉");
        assert_eq!(r, ["🎉", "👍", "❤️"]);
        let full: Vec<String> = (0..MAX_RECENT).map(|i| i.to_string()).collect();
        let r = remember_recent(&full, "🎉");
        assert_eq!(r.len(), MAX_RECENT);
        assert_eq!(r[0], "🎉");
        assert_eq!(r[MAX_RECENT - 1], (MAX_RECENT - 2).to_string());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn search_finds_by_shortcode_and_name() {
        let search_emoji =
            |q: &str, limit| search_emoji(crate::model::fixtures::emoji_table(), q, limit);
        let first = |q: &str| search_emoji(q, 80).first().map(|e| e.emoji.as_str());
        assert_eq!(first("tada"), Some("🎉"));
        assert_eq!(first(":tada:"), Some("🎉"));
        assert_eq!(first("Party Popper"), Some("🎉"));
        assert_eq!(first("+1"), Some("👍"));
        assert!(search_emoji("zzzzqq", 80).is_empty());
        assert_eq!(search_emoji("", 80).len(), 80);
        assert!(search_emoji("face", 10).len() == 10);
    }
}
