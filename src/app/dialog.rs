//! A modal dialog: the browser's own `<dialog>`, opened with `showModal()`,
//! so the page behind it is inert (Tab stays inside it), Escape closes it,
//! and focus goes back to whatever opened it. Its title names it
//! (`aria-labelledby`). Its content is made afresh each time it opens.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The element that has the focus now, to give it back on close.
fn focused_element() -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .active_element()?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

#[component]
pub fn Modal(
    /// Open or not; closing it by Escape or the close button sets it false.
    open: RwSignal<bool>,
    /// The heading, which is the dialog's name.
    #[prop(into)]
    title: Signal<String>,
    /// A page-unique id for the heading.
    #[prop(into)]
    id: String,
    /// `data-testid` of the dialog.
    testid: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let is_open = open.get();
        let Some(el) = dialog.get() else {
            return;
        };
        if is_open && !el.open() {
            opener.set_value(focused_element());
            if let Err(e) = el.show_modal() {
                leptos::logging::warn!("cannot open a dialog: {e:?}");
            }
            // Its content may be drawn after it opened: once it is, the
            // field marked `autofocus` takes the focus.
            request_animation_frame(move || {
                let field = el
                    .query_selector("[autofocus]")
                    .ok()
                    .flatten()
                    .and_then(|f| f.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(field) = field {
                    let _ = field.focus();
                }
            });
        } else if !is_open {
            if el.open() {
                el.close();
            }
            if let Some(back) = opener.get_value() {
                // Back where the person was (if it is still on the page).
                if back.is_connected() {
                    let _ = back.focus();
                }
                opener.set_value(None);
            }
        }
    });
    let children = StoredValue::new(children);
    let heading_id = id.clone();
    view! {
        <dialog
            node_ref=dialog
            class="modal"
            aria-labelledby=id
            data-testid=testid
            on:close=move |_| open.set(false)
        >
            <header class="modal-header">
                <h2 id=heading_id>{move || title.get()}</h2>
                <button
                    type="button"
                    class="icon-button"
                    aria-label="Close"
                    data-testid="dialog-close"
                    on:click=move |_| open.set(false)
                >
                    "×"
                </button>
            </header>
            <Show when=move || open.get()>{move || children.with_value(|c| c())}</Show>
        </dialog>
    }
}
