//! When something happened, as every event states it.

use serde::{Deserialize, Serialize};

/// An ISO 8601 UTC time with milliseconds, like `2026-11-25T19:08:57.123Z`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub String);
