//! Validated values: once a `Username`, `RoomName` or `MessageText` exists,
//! it obeys the rules below, on the server and in the browser alike.
//!
//! Each type deserializes through its `parse` function, so a payload that
//! breaks a rule fails to parse with a message that says which rule.

use super::limits::{MAX_MESSAGE_CHARS, MAX_ROOM_CHARS, MAX_USERNAME_CHARS};

/// Why a name or a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} must be at most {max} characters (got {len})")]
    TooLong {
        what: &'static str,
        max: usize,
        len: usize,
    },
    #[error("{what} must not contain control or invisible formatting characters")]
    ForbiddenCharacter { what: &'static str },
    /// An id (shape, client message) of the wrong length, in bytes.
    #[error("{what} must be 1 to {max} characters")]
    IdLength { what: &'static str, max: usize },
    /// An id with a character outside `[A-Za-z0-9_-]`.
    #[error("{what} may only hold letters, digits, - and _")]
    IdCharacter { what: &'static str },
    #[error("{what} must be at most {max} characters")]
    AtMost { what: &'static str, max: usize },
    #[error("{what} must not contain whitespace or control characters")]
    Whitespace { what: &'static str },
    #[error("{what} must be a string or an integer, got {got}")]
    NotStringOrInteger {
        what: &'static str,
        got: &'static str,
    },
    /// A colour that is not `#rrggbb`; `got` is its first 20 characters.
    #[error("a colour must look like #1a2b3c, not {got:?}")]
    NotAColour { got: String },
    /// A reaction that is not one emoji Unicode knows.
    #[error("emoji must be one emoji, such as 🎉")]
    NotEmoji,
}

/// An id clients make up (a shape's, a send's): 1 to `max` bytes of ASCII
/// letters, digits, `-` and `_`.
pub(crate) fn parse_id(raw: &str, what: &'static str, max: usize) -> Result<String, NameError> {
    if raw.is_empty() || raw.len() > max {
        return Err(NameError::IdLength { what, max });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(NameError::IdCharacter { what });
    }
    Ok(raw.to_owned())
}

/// Characters that have no place in a name: control characters (including
/// newlines) and the invisible ones that let one name impersonate another.
pub(crate) fn is_forbidden_in_name(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Characters that draw nothing, so that `ad\u{200B}min` or `ad\u{3164}min`
/// looks like `admin`: Unicode's default-ignorable code points
/// (`Default_Ignorable_Code_Point` in DerivedCoreProperties.txt: soft
/// hyphen, zero-width spaces and joiners, bidirectional controls, the
/// Hangul fillers, variation selectors, tags, the byte order mark…), the
/// blank Braille pattern (U+2800, which Unicode does not count as
/// ignorable but draws nothing either) and the interlinear annotation
/// marks. The list is short and fixed, so the browser build checks it
/// without a Unicode table crate.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Shared rules of usernames and room names: surrounding whitespace is
/// trimmed, the rest must be 1..=max characters with nothing forbidden.
fn parse_name(raw: &str, what: &'static str, max: usize) -> Result<String, NameError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(NameError::Empty { what });
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(NameError::TooLong { what, max, len });
    }
    if trimmed.chars().any(is_forbidden_in_name) {
        return Err(NameError::ForbiddenCharacter { what });
    }
    Ok(trimmed.to_owned())
}

/// A validated string: `$name(String)` that exists only through its
/// `parse(&str) -> Result<Self, NameError>` (which the caller writes), and
/// deserializes through it (from a string, or from the JSON value given as
/// `try_from`, whose `TryFrom` the caller writes too). Every name and id
/// newtype of the protocol is one.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident) => {
        validated_string!(@type $(#[$doc])* $name, "String");

        impl TryFrom<String> for $name {
            type Error = $crate::protocol::names::NameError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, try_from = $source:literal) => {
        validated_string!(@type $(#[$doc])* $name, $source);
    };
    (@type $(#[$doc:meta])* $name:ident, $source:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = $source, into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use validated_string;

validated_string!(
    /// A display name in the chat: 1 to 32 characters after trimming, no
    /// control or invisible formatting characters.
    Username
);

validated_string!(
    /// A room name: 1 to 64 characters after trimming, no control or
    /// invisible formatting characters.
    RoomName
);

validated_string!(
    /// The text of a chat message: not blank, at most 4000 characters,
    /// no control characters other than tab and line breaks. It is kept
    /// exactly as typed (not trimmed) and always rendered as text.
    MessageText
);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        parse_name(raw, "username", MAX_USERNAME_CHARS).map(Self)
    }
}

impl RoomName {
    /// The room every socket joins on `join`, and where a message with no
    /// room goes.
    pub const GENERAL: &'static str = "general";

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        parse_name(raw, "room", MAX_ROOM_CHARS).map(Self)
    }

    pub fn general() -> Self {
        Self(Self::GENERAL.to_owned())
    }

    pub fn is_general(&self) -> bool {
        self.0 == Self::GENERAL
    }
}

impl MessageText {
    /// The empty text of a deleted message's tombstone (never accepted
    /// from a client: `parse` refuses an empty message).
    pub fn tombstone() -> Self {
        Self(String::new())
    }

    /// Reads a stored message's text as the server sends it (in
    /// `new-message`, `new-dm`, their changes and history pages): a
    /// tombstone's is empty, any other follows [`Self::parse`]. For
    /// `#[serde(deserialize_with)]` on the server's events only: what a
    /// client sends goes through `parse`, which refuses an empty text.
    pub fn stored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <String as serde::Deserialize>::deserialize(d)?;
        match raw.is_empty() {
            true => Ok(Self::tombstone()),
            false => Self::parse(&raw).map_err(serde::de::Error::custom),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let what = "message";
        if raw.trim().is_empty() {
            return Err(NameError::Empty { what });
        }
        let len = raw.chars().count();
        if len > MAX_MESSAGE_CHARS {
            return Err(NameError::TooLong {
                what,
                max: MAX_MESSAGE_CHARS,
                len,
            });
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(NameError::ForbiddenCharacter { what });
        }
        Ok(Self(raw.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_share_one_rule_and_say_which_id_broke_it() {
        use crate::protocol::board::ShapeId;
        use crate::protocol::chat::ClientMessageId;
        use crate::protocol::limits::MAX_CLIENT_ID_BYTES;
        assert!(ShapeId::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            ShapeId::parse(&"a".repeat(65)).unwrap_err().to_string(),
            "a shape id must be 1 to 64 characters"
        );
        assert_eq!(
            ClientMessageId::parse("").unwrap_err().to_string(),
            "clientId must be 1 to 64 characters"
        );
        assert!(ClientMessageId::parse(&"c".repeat(MAX_CLIENT_ID_BYTES)).is_ok());
        assert_eq!(
            ClientMessageId::parse(&"c".repeat(MAX_CLIENT_ID_BYTES + 1)).unwrap_err(),
            NameError::IdLength {
                what: "clientId",
                max: 64
            }
        );
        assert_eq!(
            ClientMessageId::parse("a b").unwrap_err(),
            NameError::IdCharacter { what: "clientId" }
        );
        // Deserializing goes through the same rule.
        let bad = serde_json::from_value::<ShapeId>(serde_json::json!("é"));
        assert_eq!(
            bad.unwrap_err().to_string(),
            "a shape id may only hold letters, digits, - and _"
        );
    }

    #[test]
    fn usernames_are_trimmed_and_bounded() {
        assert_eq!(Username::parse("  ann ").unwrap().as_str(), "ann");
        assert_eq!(
            Username::parse("   ").unwrap_err().to_string(),
            "username must not be empty"
        );
        assert!(Username::parse(&"x".repeat(32)).is_ok());
        assert_eq!(
            Username::parse(&"x".repeat(33)).unwrap_err().to_string(),
            "username must be at most 32 characters (got 33)"
        );
        // Characters, not bytes.
        assert!(Username::parse(&"é".repeat(32)).is_ok());
    }

    #[test]
    fn names_refuse_control_and_invisible_characters() {
        for bad in [
            "a\nb",
            "a\u{0}b",
            "a\u{7f}",
            "ad\u{202E}min",
            "a\u{200B}b",
            "\u{FEFF}x",
        ] {
            assert_eq!(
                Username::parse(bad).unwrap_err(),
                NameError::ForbiddenCharacter { what: "username" },
                "{bad:?}"
            );
            assert!(RoomName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Username::parse("Zoë 李").is_ok());
    }

    /// Characters that draw nothing (fillers, variation selectors, tags)
    /// would let `ad\u{3164}min` pass for `admin`: every name refuses them.
    #[test]
    fn names_refuse_invisible_fillers() {
        for filler in [
            '\u{3164}',  // Hangul filler
            '\u{115F}',  // Hangul choseong filler
            '\u{1160}',  // Hangul jungseong filler
            '\u{FFA0}',  // halfwidth Hangul filler
            '\u{2800}',  // Braille pattern blank
            '\u{034F}',  // combining grapheme joiner
            '\u{FE00}',  // variation selector 1
            '\u{FE0F}',  // variation selector 16
            '\u{E0100}', // variation selector 17
            '\u{E01EF}', // variation selector 256
            '\u{180B}',  // Mongolian free variation selector 1
            '\u{E0001}', // language tag
            '\u{E0041}', // tag latin capital letter A
            '\u{E007F}', // cancel tag
            '\u{17B4}',  // Khmer vowel inherent aq
            '\u{1D173}', // musical symbol begin beam
        ] {
            for name in [
                format!("ad{filler}min"),
                format!("{filler}"),
                format!("admin{filler}"),
            ] {
                assert_eq!(
                    Username::parse(&name).unwrap_err(),
                    NameError::ForbiddenCharacter { what: "username" },
                    "U+{:04X}",
                    filler as u32
                );
                assert_eq!(
                    RoomName::parse(&name).unwrap_err(),
                    NameError::ForbiddenCharacter { what: "room" },
                    "U+{:04X}",
                    filler as u32
                );
            }
        }
        // Hangul and Braille letters that draw something stay allowed (an
        // emoji with its presentation selector U+FE0F does not).
        assert!(Username::parse("Hangul 한글").is_ok());
        assert!(Username::parse("⠁braille").is_ok());
    }

    #[test]
    fn rooms_are_bounded() {
        assert!(RoomName::parse(&"r".repeat(64)).is_ok());
        assert!(RoomName::parse(&"r".repeat(65)).is_err());
        assert!(RoomName::general().is_general());
    }

    #[test]
    fn messages_keep_their_text_and_allow_line_breaks() {
        let m = MessageText::parse("  hi\n\tthere ").unwrap();
        assert_eq!(m.as_str(), "  hi\n\tthere ");
        assert!(MessageText::parse(" \n ").is_err());
        assert!(MessageText::parse("bell\u{7}").is_err());
        assert!(MessageText::parse(&"m".repeat(4000)).is_ok());
        assert_eq!(
            MessageText::parse(&"m".repeat(4001))
                .unwrap_err()
                .to_string(),
            "message must be at most 4000 characters (got 4001)"
        );
    }

    #[test]
    fn serde_applies_the_rules() {
        let err = serde_json::from_str::<Username>("\"\"").unwrap_err();
        assert_eq!(err.to_string(), "username must not be empty");
        let ok: RoomName = serde_json::from_str("\" dev \"").unwrap();
        assert_eq!(ok.as_str(), "dev");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"dev\"");
    }
}
