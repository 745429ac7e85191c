//! What a thread's root says of its replies (`replies` on `new-message`
//! and `message-changed`; see `threads`).

use super::names::Username;
use super::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// A thread root's summary, on its `new-message` / `message-changed`
/// state as `replies` (absent while it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    /// Replies not deleted.
    pub count: u32,
    /// When the latest reply was sent.
    pub last: Timestamp,
    /// Who replied, the latest first, at most
    /// [`MAX_REPLIERS_LISTED`](super::limits::MAX_REPLIERS_LISTED).
    pub by: Vec<Username>,
}
