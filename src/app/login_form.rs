//! The first screen: log in, sign up, or chat as a guest.

use super::state::ChatState;
use super::sync::session::{join, sign_in};
use super::text::capitalise;
use crate::client::http;
use crate::protocol::account::{Credentials, MAX_PASSWORD_CHARS};
use crate::protocol::limits::MAX_USERNAME_CHARS;
use crate::protocol::Username;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    LogIn,
    SignUp,
    Guest,
}

#[component]
pub fn LoginForm() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let mode = RwSignal::new(Mode::LogIn);
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
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
        let mode = mode.get_untracked();
        let credentials = Credentials {
            username: username.clone(),
            password: password.get_untracked(),
        };
        if mode != Mode::Guest {
            if let Err(e) = credentials.check_password() {
                return error.set(Some(e));
            }
        }
        error.set(None);
        state.signed_out_reason.set(None);
        busy.set(true);
        spawn_local(async move {
            let outcome = match mode {
                Mode::Guest => join(state, username).await.map_err(|e| e.to_string()),
                Mode::LogIn => http::login(&credentials).await.map(|s| sign_in(state, s)),
                Mode::SignUp => http::register(&credentials)
                    .await
                    .map(|s| sign_in(state, s)),
            };
            if let Err(e) = outcome {
                error.set(Some(e));
            }
            busy.set(false);
        });
    };

    let tab = move |m: Mode, label: &'static str, testid: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                data-testid=testid
                class:active=move || mode.get() == m
                aria-selected=move || (mode.get() == m).to_string()
                on:click=move |_| {
                    mode.set(m);
                    error.set(None);
                }
            >
                {label}
            </button>
        }
    };

    view! {
        <main class="login">
            <form class="login-card" on:submit=submit>
                <h1 class="brand">"Huddle"</h1>
                <p class="tagline">"Team chat that stays in your hands."</p>
                <div class="tabs" role="tablist">
                    {tab(Mode::LogIn, "Log in", "tab-login")}
                    {tab(Mode::SignUp, "Sign up", "tab-signup")}
                    {tab(Mode::Guest, "Guest", "tab-guest")}
                </div>
                <Show when=move || state.signed_out_reason.with(Option::is_some)>
                    <p class="form-note" role="status" data-testid="signed-out-reason">
                        {move || state.signed_out_reason.get().unwrap_or_default()}
                    </p>
                </Show>
                <label for="username">"Name"</label>
                <input
                    id="username"
                    name="username"
                    data-testid="username"
                    autocomplete="username"
                    maxlength=MAX_USERNAME_CHARS
                    placeholder="e.g. Ada"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <Show when=move || mode.get() != Mode::Guest>
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        data-testid="password"
                        autocomplete=move || if mode.get() == Mode::SignUp { "new-password" } else { "current-password" }
                        maxlength=MAX_PASSWORD_CHARS
                        placeholder=move || if mode.get() == Mode::SignUp { "at least 8 characters" } else { "" }
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </Show>
                <Show when=move || error.with(Option::is_some)>
                    <p class="form-error" role="alert" data-testid="login-error">
                        {move || error.get().unwrap_or_default()}
                    </p>
                </Show>
                <button type="submit" class="primary" data-testid="join" disabled=move || busy.get()>
                    {move || match (busy.get(), mode.get()) {
                        (true, _) => "One moment…",
                        (false, Mode::LogIn) => "Log in",
                        (false, Mode::SignUp) => "Create account",
                        (false, Mode::Guest) => "Join as a guest",
                    }}
                </button>
            </form>
        </main>
    }
    .into_any()
}
