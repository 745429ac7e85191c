use super::*;

fn t(s: &str) -> Node {
    Node::Text(s.to_owned())
}

fn p(children: Vec<Node>) -> Node {
    Node::Paragraph(children)
}

fn link(href: &str, text: &str) -> Node {
    Node::Link {
        href: href.to_owned(),
        children: vec![t(text)],
    }
}

/// Every node of a tree, depth first.
fn all(nodes: &[Node]) -> Vec<&Node> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(n);
        match n {
            Node::Paragraph(c)
            | Node::Quote(c)
            | Node::Item(c)
            | Node::Strong(c)
            | Node::Emphasis(c)
            | Node::Strike(c)
            | Node::List { items: c, .. }
            | Node::Link { children: c, .. } => out.extend(all(c)),
            _ => {}
        }
    }
    out
}

fn links(nodes: &[Node]) -> Vec<String> {
    all(nodes)
        .into_iter()
        .filter_map(|n| match n {
            Node::Link { href, .. } => Some(href.clone()),
            _ => None,
        })
        .collect()
}

/// The text a tree shows, without its formatting.
fn shown(nodes: &[Node]) -> String {
    all(nodes)
        .into_iter()
        .map(|n| match n {
            Node::Text(s) | Node::Code(s) => s.clone(),
            Node::CodeBlock { code, .. } => code.clone(),
            Node::Mention(m) => format!("@{m}"),
            Node::LineBreak => "\n".to_owned(),
            _ => String::new(),
        })
        .collect()
}

#[test]
fn plain_text_is_one_paragraph() {
    assert_eq!(parse("hello there"), [p(vec![t("hello there")])]);
}

#[test]
fn styles() {
    assert_eq!(
        parse("**bold** _it_ ~~gone~~ `x < y`"),
        [p(vec![
            Node::Strong(vec![t("bold")]),
            t(" "),
            Node::Emphasis(vec![t("it")]),
            t(" "),
            Node::Strike(vec![t("gone")]),
            t(" "),
            Node::Code("x < y".into()),
        ])]
    );
}

#[test]
fn code_blocks_keep_their_text_and_language() {
    assert_eq!(
        parse("```rust\nfn main() {\n  <b>hi</b>\n}\n```"),
        [Node::CodeBlock {
            language: Some("rust".into()),
            code: "fn main() {\n  <b>hi</b>\n}".into(),
        }]
    );
    assert_eq!(
        parse("```\n**not bold** https://x.org @ann\n```"),
        [Node::CodeBlock {
            language: None,
            code: "**not bold** https://x.org @ann".into(),
        }]
    );
    // A language that is not a plain name is dropped.
    assert_eq!(
        parse("```a\"b onclick=x\ncode\n```"),
        [Node::CodeBlock {
            language: None,
            code: "code".into(),
        }]
    );
    assert_eq!(
        parse("    indented"),
        [Node::CodeBlock {
            language: None,
            code: "indented".into(),
        }]
    );
}

#[test]
fn quotes_and_lists() {
    assert_eq!(
        parse("> quoted\n> more"),
        [Node::Quote(vec![p(vec![
            t("quoted"),
            Node::LineBreak,
            t("more")
        ])])]
    );
    assert_eq!(
        parse("- a\n- b"),
        [Node::List {
            start: None,
            items: vec![Node::Item(vec![t("a")]), Node::Item(vec![t("b")])],
        }]
    );
    assert_eq!(
        parse("3. c\n4. d"),
        [Node::List {
            start: Some(3),
            items: vec![Node::Item(vec![t("c")]), Node::Item(vec![t("d")])],
        }]
    );
}

#[test]
fn lines_break_as_typed() {
    assert_eq!(
        parse("one\ntwo"),
        [p(vec![t("one"), Node::LineBreak, t("two")])]
    );
    assert_eq!(parse("one\n\ntwo"), [p(vec![t("one")]), p(vec![t("two")])]);
}

#[test]
fn headings_are_bold_text() {
    assert_eq!(parse("# Big"), [p(vec![Node::Strong(vec![t("Big")])])]);
}

#[test]
fn links_of_safe_schemes() {
    assert_eq!(
        parse("[site](https://example.com)"),
        [p(vec![link("https://example.com", "site")])]
    );
    assert_eq!(
        links(&parse(
            "[a](http://a.org) [m](mailto:ann@example.com) <https://b.org>"
        )),
        ["http://a.org", "mailto:ann@example.com", "https://b.org"]
    );
    assert_eq!(
        links(&parse("<ann@example.com>")),
        ["mailto:ann@example.com"]
    );
    assert_eq!(
        links(&parse("[A](HTTPS://EXAMPLE.COM)")),
        ["HTTPS://EXAMPLE.COM"]
    );
}

#[test]
fn unsafe_links_stay_text() {
    for source in [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "[x](/relative/path)",
        "[x](//evil.example)",
        "[x](ftp://files.example)",
        "[x](java\tscript:alert(1))",
        "[x](<javascript:alert(1)>)",
    ] {
        let nodes = parse(source);
        assert!(links(&nodes).is_empty(), "{source}: {nodes:?}");
        assert!(shown(&nodes).contains('x'), "{source}: {nodes:?}");
    }
    assert_eq!(safe_href("javascript:alert(1)"), None);
    assert_eq!(safe_href("http://"), None);
    assert_eq!(safe_href("https://a.org/x y"), None);
    assert_eq!(safe_href(" https://a.org "), Some("https://a.org".into()));
}

#[test]
fn images_are_links_with_their_alt_text() {
    assert_eq!(
        parse("![a cat](https://example.com/cat.png)"),
        [p(vec![link("https://example.com/cat.png", "a cat")])]
    );
    let nodes = parse("![x](javascript:alert(1))");
    assert!(links(&nodes).is_empty());
    assert_eq!(shown(&nodes), "x");
}

#[test]
fn bare_urls_are_linked() {
    assert_eq!(
        parse("see https://example.com/a?b=1, then"),
        [p(vec![
            t("see "),
            link("https://example.com/a?b=1", "https://example.com/a?b=1"),
            t(", then"),
        ])]
    );
    assert_eq!(
        links(&parse("write to ann@example.com")),
        ["mailto:ann@example.com"]
    );
    // Only http and https among schemes.
    assert!(links(&parse("ftp://files.example.com/x javascript:alert(1)")).is_empty());
    // Not inside a link's text, nor inside code.
    assert_eq!(
        links(&parse("[see https://a.org](https://b.org) `https://c.org`")),
        ["https://b.org"]
    );
}

#[test]
fn html_is_text() {
    let nodes = parse("hi <b>there</b>");
    assert_eq!(shown(&nodes), "hi <b>there</b>");
    assert!(all(&nodes)
        .iter()
        .all(|n| !matches!(n, Node::Strong(_) | Node::Link { .. })));
    let nodes = parse("<script>alert(1)</script>");
    assert_eq!(shown(&nodes), "<script>alert(1)</script>");
    let nodes = parse("<div>\nblock\n</div>");
    assert_eq!(shown(&nodes), "<div>\nblock\n</div>");
}

#[test]
fn xss_attempts_are_inert() {
    let nodes = parse("<img src=x onerror=alert(1)>");
    assert_eq!(shown(&nodes), "<img src=x onerror=alert(1)>");
    assert!(links(&nodes).is_empty());
    let nodes = parse("**b** <img src=x onerror=\"window.pwned=1\">");
    assert_eq!(shown(&nodes), "b <img src=x onerror=\"window.pwned=1\">");
    let nodes = parse("[x](javascript:alert(1))");
    assert!(links(&nodes).is_empty());
    let nodes = parse("<a href=\"javascript:alert(1)\">x</a>");
    assert!(links(&nodes).is_empty());
    assert_eq!(shown(&nodes), "<a href=\"javascript:alert(1)\">x</a>");
    // Entities are decoded to text, never to markup.
    assert_eq!(shown(&parse("&lt;script&gt;")), "<script>");
}

#[test]
fn mentions() {
    assert_eq!(
        parse("hi @ann, and @Bob!"),
        [p(vec![
            t("hi "),
            Node::Mention("ann".into()),
            t(", and "),
            Node::Mention("Bob".into()),
            t("!"),
        ])]
    );
    assert_eq!(parse("@zoë"), [p(vec![Node::Mention("zoë".into())])]);
    // Not in the middle of a word, nor a lone @, nor a name too long.
    assert!(!all(&parse("a@b x @ @(y)"))
        .iter()
        .any(|n| matches!(n, Node::Mention(_))));
    let long = format!("@{}", "a".repeat(40));
    assert!(!all(&parse(&long))
        .iter()
        .any(|n| matches!(n, Node::Mention(_))));
    // Inside styles too, but not in code.
    assert_eq!(
        parse("**@ann** `@bob`"),
        [p(vec![
            Node::Strong(vec![Node::Mention("ann".into())]),
            t(" "),
            Node::Code("@bob".into()),
        ])]
    );
    assert!(names_me("Ann", "ann"));
    assert!(!names_me("Ann", "anna"));
}

#[test]
fn deep_nesting_is_flattened() {
    let source = ">".repeat(4000) + " deep";
    let nodes = parse(&source);
    fn depth(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::Quote(c) | Node::Paragraph(c) => 1 + depth(c),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
    assert!(depth(&nodes) <= MAX_DEPTH + 1, "{}", depth(&nodes));
    assert_eq!(shown(&nodes), "deep");
    let source = "- ".repeat(2000) + "x";
    assert_eq!(shown(&parse(&source)), "x");
}
