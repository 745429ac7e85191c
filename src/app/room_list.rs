//! The side bar: rooms (switch, join by name, leave; a padlock on private
//! ones; the directory and "New room" dialogs) and, when logged in, direct
//! conversations with their unread counts.

use super::create_room::CreateRoomDialog;
use super::room_directory::DirectoryDialog;
use super::state::{ChatState, View};
use super::sync::read_state::{mark_all_read, unread_label};
use super::sync::rooms::{join_room, leave_room};
use super::text::capitalise;
use crate::protocol::limits::{MAX_ROOM_CHARS, MAX_USERNAME_CHARS};
use crate::protocol::{RoomName, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn RoomList() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let directory_open = RwSignal::new(false);
    let create_open = RwSignal::new(false);

    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let room = match RoomName::parse(&draft.get_untracked()) {
            Ok(r) => r,
            Err(e) => return error.set(Some(capitalise(&e.to_string()))),
        };
        error.set(None);
        spawn_local(async move {
            match join_room(state, room).await {
                Ok(()) => draft.set(String::new()),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let leave = move |room: RoomName| {
        spawn_local(async move {
            if let Err(e) = leave_room(state, room).await {
                error.set(Some(e.to_string()));
            }
        });
    };

    view! {
        <nav class="rooms" aria-label="Rooms">
            <div class="side-head">
                <h2 class="side-title">"Rooms"</h2>
                <Show when=move || state.account.with(Option::is_some) && state.any_unread()>
                    <button
                        class="link mark-all-read"
                        data-testid="mark-all-read"
                        on:click=move |_| spawn_local(mark_all_read(state))
                    >
                        "Mark all read"
                    </button>
                </Show>
            </div>
            <ul data-testid="room-list">
                <For
                    each=move || state.rooms.get()
                    key=|room| room.clone()
                    children=move |room| {
                        let name = room.to_string();
                        let leave_label = format!("Leave {name}");
                        let general = room.is_general();
                        let view = View::Room(room.clone());
                        let is_current = Memo::new(move |_| state.current.with(|c| *c == view));
                        let unread = {
                            let room = room.clone();
                            Memo::new(move |_| state.unread_in(&room))
                        };
                        let private = {
                            let room = room.clone();
                            Memo::new(move |_| state.room_state.is_private(&room))
                        };
                        let target = StoredValue::new(room);
                        view! {
                            <li class="room-item" class:current=is_current>
                                <button
                                    class="room-link"
                                    on:click=move |_| state.open(View::Room(target.get_value()))
                                    data-room=name.clone()
                                    aria-current=move || is_current.get().then_some("page")
                                >
                                    <span class="hash" aria-hidden="true">"#"</span>
                                    <span class="room-name">{name.clone()}</span>
                                    <Show when=move || private.get()>
                                        <LockMark/>
                                    </Show>
                                    <Show when=move || { unread.get() > 0 }>
                                        <span class="badge" data-testid="room-unread" aria-label=move || format!("{} unread", unread_label(unread.get()))>
                                            {move || unread_label(unread.get())}
                                        </span>
                                    </Show>
                                </button>
                                <Show when=move || !general>
                                    <button
                                        class="leave"
                                        title="Leave this room"
                                        aria-label=leave_label.clone()
                                        on:click=move |_| leave(target.get_value())
                                    >
                                        "×"
                                    </button>
                                </Show>
                            </li>
                        }
                    }
                />
            </ul>
            <div class="room-actions">
                <button
                    type="button"
                    class="side-button"
                    data-testid="open-directory"
                    aria-haspopup="dialog"
                    on:click=move |_| directory_open.set(true)
                >
                    "Browse rooms"
                </button>
                <Show when=move || state.account.with(Option::is_some)>
                    <button
                        type="button"
                        class="side-button"
                        data-testid="open-create-room"
                        aria-haspopup="dialog"
                        on:click=move |_| create_open.set(true)
                    >
                        "New room"
                    </button>
                </Show>
            </div>
            <form class="join-room" on:submit=join>
                <input
                    data-testid="room-input"
                    placeholder="Join a room…"
                    aria-label="Room to join"
                    maxlength=MAX_ROOM_CHARS
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button type="submit" data-testid="join-room">"Join"</button>
            </form>
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error" role="alert" data-testid="room-error">
                    {move || error.get().unwrap_or_default()}
                </p>
            </Show>
            <Show when=move || state.account.with(Option::is_some)>
                <DmList/>
            </Show>
        </nav>
        <DirectoryDialog open=directory_open/>
        <CreateRoomDialog open=create_open/>
    }
    .into_any()
}

/// The mark of a private room: a padlock, named for screen readers.
#[component]
pub fn LockMark() -> impl IntoView {
    view! {
        <span class="lock" role="img" aria-label="private" title="Private room: invite only" data-testid="lock">
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
                <path
                    fill="currentColor"
                    d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4zm2 0h4V5a2 2 0 1 0-4 0v2z"
                ></path>
            </svg>
        </span>
    }
}

#[component]
fn DmList() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Username::parse(&draft.get_untracked()) {
            Ok(with) => {
                error.set(None);
                draft.set(String::new());
                state.open(View::Dm(with));
            }
            Err(e) => error.set(Some(capitalise(&e.to_string()))),
        }
    };
    view! {
        <h2 class="side-title dm-title">"Direct messages"</h2>
        <ul data-testid="dm-list">
            <For
                each=move || state.dms.get()
                key=|d| (d.with.clone(), d.unread)
                children=move |dm| {
                    let with = dm.with.clone();
                    let name = with.to_string();
                    let unread = dm.unread;
                    let view = View::Dm(with);
                    let target = StoredValue::new(view.clone());
                    let is_current = Memo::new(move |_| state.current.with(|c| *c == view));
                    view! {
                        <li class="room-item" class:current=is_current>
                            <button
                                class="room-link"
                                data-dm=name.clone()
                                on:click=move |_| state.open(target.get_value())
                            >
                                <span class="hash">"@"</span>
                                <span class="room-name">{name.clone()}</span>
                                <Show when=move || { unread > 0 }>
                                    <span class="badge" data-testid="dm-unread" aria-label="unread messages">
                                        {unread}
                                    </span>
                                </Show>
                            </button>
                        </li>
                    }
                }
            />
        </ul>
        <form class="join-room" on:submit=open>
            <input
                data-testid="dm-input"
                placeholder="Message someone…"
                aria-label="Person to message"
                maxlength=MAX_USERNAME_CHARS
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
            />
            <button type="submit" data-testid="open-dm">"Open"</button>
        </form>
        <Show when=move || error.with(Option::is_some)>
            <p class="form-error" role="alert">{move || error.get().unwrap_or_default()}</p>
        </Show>
    }
    .into_any()
}
