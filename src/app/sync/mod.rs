//! What the page does on the connection, apart from the components that
//! show it: the components render state and call these.
//!
//! - `session`: joining, logging in and out, what ends a login.
//! - `following`: everything that follows the chat once this page is in
//!   it (its own chunk of the WASM, set up before the first `join`).
//! - `reconnect`: what a reconnected socket sends first, then catching up.
//! - `history`: pages of history, and catching up after `seq`.
//! - `lists`: the user list and the conversation list.
//! - `saved_login`: the login kept across reloads (localStorage).
//! - `rooms`: the account's rooms, rooms it is added to, the directory,
//!   making, joining and leaving rooms, settings, members and roles.
//! - `invites`: a room's invite links, and accepting the link a page was
//!   opened with (`/invite/<code>`) once it is logged in.
//! - `message_changes`: edits, deletions, reactions, and the change feed
//!   that keeps every message in its latest state, in rooms
//!   (`message-changed`, `changes`) and direct conversations
//!   (`dm-changed`, `dm-changes`) alike.
//! - `recent_emoji`: the emoji picker's recently used emoji (localStorage).
//! - `emoji_list`: the emoji list, fetched from the server when first needed.
//! - `read_state`: where the account has read each room to, the unread
//!   counts, and marking what is shown as read.
//! - `moderation`: what moderators do, and what this page is told when it
//!   is done to it (removed, banned, muted, a message deleted).
//! - `drafts`: what was typed and not sent, per conversation (localStorage).
//! - `completion`: the names the composer's `@` completion offers (the
//!   conversation's people first; a room's members asked for on demand).
//! - `typing`: saying this page's person is typing, and who else is.
//! - `threads`: the thread open beside its room (its pages, `focus`,
//!   catching up), sending replies, following threads.
//! - `board`: the open whiteboard and its link to the server (joining,
//!   catching up, sending and retrying ops, others' strokes and pointers).

pub mod board;
pub mod completion;
pub mod drafts;
pub mod emoji_list;
pub mod following;
pub mod history;
pub mod invites;
pub mod lists;
pub mod message_changes;
pub mod moderation;
pub mod read_state;
pub mod recent_emoji;
pub mod reconnect;
pub mod rooms;
pub mod saved_login;
pub mod session;
pub mod threads;
pub mod typing;
