//! A message's text, formatted: the nodes of `model::markdown` built into
//! DOM elements one by one. User text only ever becomes text nodes (and
//! checked `href`s); no HTML string is made or parsed here.

use super::state::ChatState;
use crate::model::markdown::{names_me, parse, Node};
use leptos::prelude::*;

/// What a link opens: a new tab, telling the site nothing of Huddle and
/// vouching for nothing.
const LINK_REL: &str = "noopener noreferrer nofollow";

#[component]
pub fn FormattedText(text: String) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let me = state.me.get_untracked().map(|m| m.as_str().to_owned());
    let nodes = parse(&text);
    view! { <div class="text formatted">{render_all(nodes, me.as_deref())}</div> }
}

fn render_all(nodes: Vec<Node>, me: Option<&str>) -> Vec<AnyView> {
    nodes.into_iter().map(|n| render(n, me)).collect()
}

fn render(node: Node, me: Option<&str>) -> AnyView {
    match node {
        Node::Paragraph(c) => view! { <p>{render_all(c, me)}</p> }.into_any(),
        Node::Quote(c) => view! { <blockquote>{render_all(c, me)}</blockquote> }.into_any(),
        Node::CodeBlock { language, code } => {
            let class = language
                .map(|l| format!("language-{l}"))
                .unwrap_or_default();
            // Focusable, so that a long line can be scrolled by keyboard.
            view! {
                <pre tabindex="0"><code class=class>{code}</code></pre>
            }
            .into_any()
        }
        Node::List {
            start: Some(start),
            items,
        } => view! { <ol start=start.to_string()>{render_all(items, me)}</ol> }.into_any(),
        Node::List { start: None, items } => view! { <ul>{render_all(items, me)}</ul> }.into_any(),
        Node::Item(c) => view! { <li>{render_all(c, me)}</li> }.into_any(),
        Node::Strong(c) => view! { <strong>{render_all(c, me)}</strong> }.into_any(),
        Node::Emphasis(c) => view! { <em>{render_all(c, me)}</em> }.into_any(),
        Node::Strike(c) => view! { <del>{render_all(c, me)}</del> }.into_any(),
        Node::Code(code) => view! { <code>{code}</code> }.into_any(),
        Node::Link { href, children } => view! {
            <a href=href target="_blank" rel=LINK_REL>
                {render_all(children, me)}
            </a>
        }
        .into_any(),
        Node::Mention(name) => {
            let mine = me.is_some_and(|me| names_me(&name, me));
            let class = if mine {
                "mention mention-me"
            } else {
                "mention"
            };
            view! {
                <span class=class data-testid="mention">
                    {format!("@{name}")}
                </span>
            }
            .into_any()
        }
        Node::Text(text) => text.into_any(),
        Node::LineBreak => view! { <br/> }.into_any(),
    }
}
