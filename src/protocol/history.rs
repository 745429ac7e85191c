//! Stored messages and the `history` event.

use super::chat::{NewMessage, NAMESPACE};
use super::names::RoomName;
use super::ClientEvent;
use serde::{Deserialize, Serialize};

/// Most messages one `history` page returns.
pub const MAX_PAGE: u32 = 100;
/// Messages per page when the client does not say.
pub const DEFAULT_PAGE: u32 = 50;

/// Where a history page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// The newest page.
    Latest,
    /// The newest page of messages with `seq` below this one (scrolling up).
    Before(i64),
    /// The oldest page of messages with `seq` above this one (catching up).
    After(i64),
}

/// `history {room, before?, after?, limit?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub room: RoomName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl History {
    /// The cursor and page size this request asks for, or why it is wrong.
    pub fn cursor(&self) -> Result<(Cursor, u32), String> {
        cursor(self.before, self.after, self.limit).map_err(|e| format!("history: {e}"))
    }
}

/// Reads `before` / `after` / `limit` (shared by `history` and `dm-history`).
pub fn cursor(
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<u32>,
) -> Result<(Cursor, u32), String> {
    let cursor = match (before, after) {
        (Some(_), Some(_)) => return Err("give before or after, not both".into()),
        (Some(b), None) if b >= 1 => Cursor::Before(b),
        (None, Some(a)) if a >= 0 => Cursor::After(a),
        (None, None) => Cursor::Latest,
        _ => return Err("before must be at least 1 and after at least 0".into()),
    };
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(format!("limit must be between 1 and {MAX_PAGE}"));
    }
    Ok((cursor, limit))
}

impl ClientEvent for History {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "history";
    type Reply = HistoryPage;
}

/// The ack of [`History`]: messages in ascending `seq` order; `hasMore`
/// says whether there are more in the direction asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub room: RoomName,
    pub messages: Vec<NewMessage>,
    #[serde(rename = "hasMore")]
    pub has_more: bool,
    /// The room's latest change number, read before the page: ask
    /// `changes {after: lastChange}` to catch up on what changes after it
    /// (Huddle's addition).
    #[serde(rename = "lastChange", default)]
    pub last_change: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn cursors_and_limits() {
        let h = |v| parse_payload::<History>(Some(v)).unwrap().cursor();
        assert_eq!(h(json!({"room": "a"})), Ok((Cursor::Latest, DEFAULT_PAGE)));
        assert_eq!(
            h(json!({"room": "a", "before": 9, "limit": 5})),
            Ok((Cursor::Before(9), 5))
        );
        assert_eq!(
            h(json!({"room": "a", "after": 0})),
            Ok((Cursor::After(0), DEFAULT_PAGE))
        );
        assert!(h(json!({"room": "a", "before": 1, "after": 2})).is_err());
        assert!(h(json!({"room": "a", "before": 0})).is_err());
        assert!(h(json!({"room": "a", "limit": 0})).is_err());
        assert!(h(json!({"room": "a", "limit": 101})).is_err());
        assert!(parse_payload::<History>(Some(json!({"room": "a", "limit": -1}))).is_err());
    }
}
