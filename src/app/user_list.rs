//! Who is online.

use super::state::ChatState;
use leptos::prelude::*;

#[component]
pub fn UserList() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let people = move || state.people();
    view! {
        <aside class="users" aria-label="Online">
            <h2 class="side-title">"Online — " {move || people().len()}</h2>
            <ul data-testid="user-list">
                <For
                    each=people
                    key=|p| p.clone()
                    children=move |(name, count)| {
                        view! {
                            <li class="user" data-testid="user">
                                <span class="dot" aria-hidden="true"></span>
                                <span class="user-name">{name}</span>
                                <Show when=move || { count > 1 }>
                                    <span class="count" title="connected from several tabs">
                                        {format!("×{count}")}
                                    </span>
                                </Show>
                            </li>
                        }
                    }
                />
            </ul>
        </aside>
    }
    .into_any()
}
