//! When two names are one name, and when one only looks like another.
//!
//! A name's *key* is what makes it unique: its compatibility case fold
//! (Unicode §3.13, D146: NFD, case fold, NFKD, case fold, then NFKC), so
//! `Élodie`, `élodie`, `ÉLODIE`, `E\u{301}lodie` and `ＥＬＯＤＩＥ` are one
//! name in every script, not in ASCII only. Accounts are unique by key
//! (the `users.name_key` column) and every look-up by name uses it.
//!
//! A name's *skeleton* is what it looks like: the UTS #39 skeleton (each
//! character replaced by its prototype in Unicode's confusables table, so
//! Cyrillic `а` becomes Latin `a` and `m` becomes `rn`) of its key, so
//! that `АDMIN` looks like `admin` too. A guest cannot join with a name
//! that looks like an account's ([`look_alikes`]), and no account is
//! registered with one.
//!
//! Server only: these need Unicode's tables, which the browser build does
//! without (it checks the cheap per-character rules of `protocol::names`).

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

/// The key of `name`: equal for names that differ only in case or in
/// compatibility forms (full-width letters, ligatures, composed or not).
pub fn key(name: &str) -> String {
    name.chars()
        .nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkc()
        .collect()
}

/// Whether `a` and `b` are one name (the same [`key`]).
pub fn same(a: &str, b: &str) -> bool {
    key(a) == key(b)
}

/// What `name` looks like, as stored with an account: the UTS #39
/// skeleton of its key, equal for names a reader cannot tell apart
/// whatever their case (`АDMIN` with a Cyrillic `А`, `ａｄｍｉｎ`, `admin`).
pub fn skeleton(name: &str) -> String {
    unicode_security::skeleton(&key(name)).collect()
}

/// The skeletons a name is checked against the accounts' with: its own
/// [`skeleton`], and that of what it looks like before case is folded
/// away, in which a capital `I` reads as `l` (`PaypaI` for `paypal`).
pub fn look_alikes(name: &str) -> [String; 2] {
    let as_typed: String = unicode_security::skeleton(name).collect();
    [skeleton(name), skeleton(&as_typed)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_is_ignored_in_every_script() {
        for same_name in ["élodie", "ÉLODIE", "E\u{301}lodie", "Ｅ\u{301}ＬＯＤＩＥ"] {
            assert_eq!(key(same_name), key("Élodie"), "{same_name}");
        }
        assert_eq!(key("ＥＬＯＤＩＥ"), "elodie");
        assert_eq!(key("STRASSE"), key("straße"));
        assert_eq!(key("ΣΊΣΥΦΟΣ"), key("σίσυφος"));
        assert!(same("Zoë", "ZOË"));
        assert!(!same("Zoe", "Zoë"));
        // The key is in NFKC: composed.
        assert_eq!(key("E\u{301}"), "é");
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        let admin = skeleton("admin");
        for fake in [
            "\u{430}dmin", // Cyrillic small a
            "\u{410}DMIN", // Cyrillic capital A, in capitals
            "ＡＤＭＩＮ",  // full-width
            "adm\u{131}n", // dotless i
            "\u{251}dmin", // Latin alpha
            "ADMIN",
        ] {
            assert!(look_alikes(fake).contains(&admin), "{fake}");
        }
        // A capital I reads as l.
        assert!(look_alikes("PaypaI").contains(&skeleton("paypal")));
        assert_ne!(skeleton("PaypaI"), skeleton("paypal"));
        for other in ["admiral", "bob", "Edmin"] {
            assert!(!look_alikes(other).contains(&admin), "{other}");
        }
    }
}
