//! The name form: the first thing a person sees.

use super::chat_page::refresh_users;
use super::state::ChatState;
use crate::protocol::chat::Join;
use crate::protocol::limits::MAX_USERNAME_CHARS;
use crate::protocol::Username;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn LoginForm() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let username = match Username::parse(&name.get_untracked()) {
            Ok(u) => u,
            Err(e) => return error.set(Some(capitalise(&e.to_string()))),
        };
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match state
                .client
                .emit_with_ack(&Join {
                    username: username.clone(),
                })
                .await
            {
                Ok(_) => {
                    state.me.set(Some(username));
                    refresh_users(state).await;
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <main class="login">
            <form class="login-card" on:submit=submit>
                <h1 class="brand">"Huddle"</h1>
                <p class="tagline">"Team chat that stays in your hands."</p>
                <label for="username">"Your name"</label>
                <input
                    id="username"
                    name="username"
                    data-testid="username"
                    autocomplete="nickname"
                    maxlength=MAX_USERNAME_CHARS
                    placeholder="e.g. Ada"
                    autofocus
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <Show when=move || error.with(Option::is_some)>
                    <p class="form-error" role="alert" data-testid="login-error">
                        {move || error.get().unwrap_or_default()}
                    </p>
                </Show>
                <button type="submit" data-testid="join" disabled=move || busy.get()>
                    {move || if busy.get() { "Joining…" } else { "Join the chat" }}
                </button>
            </form>
        </main>
    }
    .into_any()
}

/// "username must not be empty" → "Username must not be empty".
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
