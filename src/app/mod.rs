//! The Leptos components, one file per screen or widget. The server renders
//! them; the browser hydrates them.
//!
//! - `chat_page`: the page at `/` (and at `/invite/<code>`, which accepts
//!   that invite link once logged in): the name form, then the chat.
//! - `state`: what the chat screen knows (rooms, messages, users) and how
//!   server events change it.
//! - `sync`: what the page does on the connection (session, reconnect,
//!   history, lists, the saved login, the open board); the components only
//!   render and call it.
//! - `board`: a room's whiteboard (toolbar and canvas; the board itself and
//!   the pointer's gestures are in `crate::model`); `board_canvas` paints
//!   it and exports it.
//! - `login_form`, `room_list`, `message_list`, `composer`, `user_list`,
//!   `connection_banner`, `alerts`, `typing_line` (who is typing),
//!   `formatted_text` (a message's Markdown as DOM nodes): the widgets.
//! - Rooms (issue #14): `room_state` (kinds, roles, notices),
//!   `room_directory`, `create_room`, `room_settings`, `room_options`, `room_members`, `invite_links`,
//!   `member_row`, `audit_log`, `settings_parts` (dialogs, on `dialog`'s `Modal`),
//!   `room_notices`, `message_actions` (a moderator's delete),
//!   `write_area` (the composer, or why one may not write; slow mode).
//! - Threads (issue #15, item 3): `thread_links` (a message's "Reply in
//!   thread", a root's reply summary, a reply's link to its thread),
//!   `thread_panel` (the thread beside the room, or its own view on a
//!   phone), `thread_composer` (its reply box).
//! - `completion`: the composer's `@name` and `:code` completion list.

mod alerts;
mod audit_log;
mod board;
mod board_canvas;
mod chat_page;
mod completion;
mod composer;
mod connection_banner;
mod create_room;
mod dialog;
mod emoji_picker;
mod focus;
mod formatted_text;
mod invite_links;
mod login_form;
mod member_row;
mod message_actions;
mod message_edit;
mod message_list;
mod reaction_bar;
mod room_directory;
mod room_list;
mod room_members;
mod room_notices;
mod room_options;
mod room_settings;
mod room_state;
mod settings_parts;
mod state;
mod sync;
mod text;
mod thread_composer;
mod thread_links;
mod thread_panel;
mod typing_line;
mod user_list;
mod write_area;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                // The CSS under its hashed name when the build hashed the
                // files (server::site).
                <HashedStylesheet options id="leptos"/>
                // Named, so browsers do not ask for /favicon.ico (a 404).
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Huddle"/>
        <Meta name="description" content="Huddle: self-hosted team chat"/>
        <Meta name="theme-color" content="#4f46e5"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=|| view! { <chat_page::ChatPage invite=None/> }/>
                <Route
                    path=(StaticSegment("invite"), ParamSegment("code"))
                    view=chat_page::InvitePage
                />
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="not-found">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the chat"</a></p>
        </main>
    }
}
