//! What a room's moderators may do to a message: delete it.

use leptos::prelude::*;

/// The actions on message `id` (none on a deleted one, nor for anyone
/// who is not a moderator of the room shown).
#[component]
pub fn MessageActions(id: i64, deleted: bool) -> impl IntoView {
    let _ = (id, deleted);
}
