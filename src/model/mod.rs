//! The whiteboard and the timeline as plain data, free of browser and
//! socket types: it compiles for both the server and the browser, and
//! `cargo test` checks all of it natively.
//!
//! - `board`: a board as one client sees it (confirmed changes in `seq`
//!   order, this client's pending ops, undo and redo, others' drafts).
//! - `gesture`: what the pointer does on it (draw, erase, stream the
//!   stroke so far), as a state machine fed pointer events and the time.
//! - `geometry`: outlines, what the eraser touches, and [`geometry::Fit`],
//!   where the board sits on a canvas of any size.
//! - `svg`: the board as an SVG document.
//! - `timeline`: a conversation's lines in order, each message once
//!   (replies kept to their threads held, not shown).
//! - `thread`: one thread's root and replies, each once, in its latest
//!   state; the words of a root's reply summary.
//! - `emoji_table`: the emoji list the server sends, by emoji and shortcode.
//! - `shortcodes`: `:tada:` → 🎉 in what is typed.
//! - `completion`: the composer's `@name` and `:code` completion (the
//!   word at the caret, the names and emoji that match, the choice put in).
//! - `reactions`: reaction labels, the emoji picker's search, recent emoji.
//! - `typing`: who is typing where, and the line that says so.
//! - `markdown`: a message's text as formatted nodes (Markdown, links,
//!   mentions), safe to show.
//!
//! It builds on `protocol` only; the socket.io client (`client`) and the
//! page (`app`) build on it.

pub mod board;
pub mod completion;
pub mod emoji_table;
pub mod geometry;
pub mod gesture;
pub mod markdown;
pub mod reactions;
pub mod shortcodes;
pub mod svg;
pub mod thread;
pub mod timeline;
pub mod typing;

#[cfg(test)]
mod fixtures;
