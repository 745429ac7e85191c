//! A message's text as formatted nodes: Markdown as people type it in chat
//! (CommonMark by `pulldown-cmark`, with strikethrough), bare URLs found by
//! `linkify`, and `@name` mentions. The page builds DOM nodes from these
//! (`app::formatted_text`); nothing here is HTML, and no text is ever
//! turned into markup.
//!
//! What is kept safe here, for every reader:
//! - raw HTML in a message stays text, shown as typed;
//! - a link (written, autolinked or an image's) is one only for `http`,
//!   `https` and `mailto`; any other scheme (`javascript:`, `data:`, ...)
//!   and a relative address leave the link's text as plain text;
//! - an image is a link to it, with its alt text: nothing is loaded;
//! - a heading is bold text (a chat, not a document);
//! - nesting deeper than [`MAX_DEPTH`] is flattened, so a message of 4000
//!   `>` cannot make a tree too deep to draw.

use crate::protocol::Username;
use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Deepest nesting of blocks and styles kept; deeper ones are flattened.
pub const MAX_DEPTH: usize = 16;
/// Longest language name kept on a code block (its CSS class).
const MAX_LANGUAGE_CHARS: usize = 32;

/// One piece of a formatted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Paragraph(Vec<Node>),
    Quote(Vec<Node>),
    /// A code block: its text exactly, and the language it names (letters,
    /// digits, `+-_.#` only), if any.
    CodeBlock {
        language: Option<String>,
        code: String,
    },
    /// A list: numbered from `start`, or bulleted (`None`); its children
    /// are [`Node::Item`]s.
    List {
        start: Option<u64>,
        items: Vec<Node>,
    },
    Item(Vec<Node>),
    Strong(Vec<Node>),
    Emphasis(Vec<Node>),
    Strike(Vec<Node>),
    /// Inline code.
    Code(String),
    /// A link to an `http`, `https` or `mailto` address.
    Link {
        href: String,
        children: Vec<Node>,
    },
    /// `@name`: the name, without the `@`.
    Mention(String),
    Text(String),
    LineBreak,
}

/// The address `url` as a link's, if its scheme is one a message may link
/// to: `http`, `https`, `mailto` (in any case). Anything else is refused.
pub fn safe_href(url: &str) -> Option<String> {
    let url = url.trim();
    let allowed = ["http://", "https://", "mailto:"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    (allowed && clean && url.len() > 7).then(|| url.to_owned())
}

/// Whether a mention of `name` names `me` (in any case).
pub fn names_me(name: &str, me: &str) -> bool {
    name.to_lowercase() == me.to_lowercase()
}

/// What a container being built will become when it ends.
enum Frame {
    /// Its children go to its parent (the root, an unsafe link, a tag
    /// Huddle does not show, nesting past [`MAX_DEPTH`]).
    Flat,
    Paragraph,
    Heading,
    Quote,
    Code {
        language: Option<String>,
    },
    List(Option<u64>),
    Item,
    Strong,
    Emphasis,
    Strike,
    /// A link (or an image: a link with its alt text); `None`: unsafe.
    Link(Option<String>),
    /// A block of raw HTML: kept as text, line by line.
    Html,
}

struct Builder {
    stack: Vec<(Frame, Vec<Node>)>,
    /// Text not yet decorated (the parser cuts runs of text in pieces; a
    /// URL or a mention may span several).
    pending: String,
    /// Text of a code block being read.
    code: String,
}

impl Builder {
    fn depth(&self) -> usize {
        self.stack
            .iter()
            .filter(|(f, _)| !matches!(f, Frame::Flat))
            .count()
    }

    fn in_link(&self) -> bool {
        self.stack
            .iter()
            .any(|(f, _)| matches!(f, Frame::Link(Some(_))))
    }

    fn in_code(&self) -> bool {
        matches!(self.stack.last(), Some((Frame::Code { .. }, _)))
    }

    fn push(&mut self, node: Node) {
        self.flush();
        if let Some((_, children)) = self.stack.last_mut() {
            children.push(node);
        }
    }

    /// Decorates the pending text into the open container.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.pending);
        let nodes = if self.in_link() {
            vec![Node::Text(text)]
        } else {
            decorate(&text)
        };
        if let Some((_, children)) = self.stack.last_mut() {
            children.extend(nodes);
        }
    }

    fn open(&mut self, tag: Tag<'_>) {
        self.flush();
        let frame = match tag {
            Tag::Paragraph => Frame::Paragraph,
            Tag::Heading { .. } => Frame::Heading,
            Tag::BlockQuote(_) => Frame::Quote,
            Tag::CodeBlock(kind) => {
                self.code.clear();
                Frame::Code {
                    language: match kind {
                        CodeBlockKind::Fenced(info) => language(&info),
                        CodeBlockKind::Indented => None,
                    },
                }
            }
            Tag::HtmlBlock => Frame::Html,
            Tag::List(start) => Frame::List(start),
            Tag::Item => Frame::Item,
            Tag::Emphasis => Frame::Emphasis,
            Tag::Strong => Frame::Strong,
            Tag::Strikethrough => Frame::Strike,
            Tag::Link {
                link_type,
                dest_url,
                ..
            }
            | Tag::Image {
                link_type,
                dest_url,
                ..
            } => Frame::Link(if self.in_link() {
                None
            } else if link_type == LinkType::Email {
                safe_href(&format!("mailto:{dest_url}"))
            } else {
                safe_href(&dest_url)
            }),
            _ => Frame::Flat,
        };
        // Past the depth limit, styles and blocks are flattened (a code
        // block stays one: it holds text only).
        let frame = match frame {
            Frame::Code { .. } | Frame::Flat => frame,
            _ if self.depth() >= MAX_DEPTH => Frame::Flat,
            _ => frame,
        };
        self.stack.push((frame, Vec::new()));
    }

    fn close(&mut self) {
        self.flush();
        if self.stack.len() <= 1 {
            return; // The root stays.
        }
        let Some((frame, children)) = self.stack.pop() else {
            return;
        };
        let node = match frame {
            Frame::Flat | Frame::Link(None) => {
                if let Some((_, parent)) = self.stack.last_mut() {
                    parent.extend(children);
                }
                return;
            }
            Frame::Paragraph | Frame::Html => Node::Paragraph(children),
            Frame::Heading => Node::Paragraph(vec![Node::Strong(children)]),
            Frame::Quote => Node::Quote(children),
            Frame::Code { language } => Node::CodeBlock {
                language,
                code: std::mem::take(&mut self.code),
            },
            Frame::List(start) => Node::List {
                start,
                items: children,
            },
            Frame::Item => Node::Item(children),
            Frame::Strong => Node::Strong(children),
            Frame::Emphasis => Node::Emphasis(children),
            Frame::Strike => Node::Strike(children),
            Frame::Link(Some(href)) => Node::Link { href, children },
        };
        if let Some((_, parent)) = self.stack.last_mut() {
            parent.push(node);
        }
    }

    /// Raw HTML: its text, as text; a block's lines with line breaks.
    fn html(&mut self, html: &str) {
        let in_block = matches!(self.stack.last(), Some((Frame::Html, _)));
        if !in_block {
            self.pending.push_str(html);
            return;
        }
        let lines: Vec<&str> = html.lines().collect();
        let already = self
            .stack
            .last()
            .is_some_and(|(_, children)| !children.is_empty());
        for (i, line) in lines.into_iter().enumerate() {
            if already || i > 0 {
                self.push(Node::LineBreak);
            }
            self.push(Node::Text(line.to_owned()));
        }
    }
}

/// A fenced code block's language: the info string's first word, if it is
/// a plain name.
fn language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?;
    let plain = word.chars().count() <= MAX_LANGUAGE_CHARS
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-_.#".contains(c));
    plain.then(|| word.to_owned())
}

/// A message's text as formatted nodes.
pub fn parse(text: &str) -> Vec<Node> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut b = Builder {
        stack: vec![(Frame::Flat, Vec::new())],
        pending: String::new(),
        code: String::new(),
    };
    for event in Parser::new_ext(text, options) {
        match event {
            Event::Start(tag) => b.open(tag),
            Event::End(TagEnd::CodeBlock) => {
                // Code blocks end with their last line's newline.
                if b.code.ends_with('\n') {
                    b.code.pop();
                }
                b.close();
            }
            Event::End(_) => b.close(),
            Event::Text(t) if b.in_code() => b.code.push_str(&t),
            Event::Text(t) => b.pending.push_str(&t),
            Event::Code(t) => b.push(Node::Code(t.into_string())),
            Event::Html(t) | Event::InlineHtml(t) => b.html(&t),
            Event::SoftBreak | Event::HardBreak => b.push(Node::LineBreak),
            Event::Rule => b.push(Node::Paragraph(vec![Node::Text("———".to_owned())])),
            Event::InlineMath(t) | Event::DisplayMath(t) => b.pending.push_str(&t),
            Event::FootnoteReference(t) => b.pending.push_str(&format!("[^{t}]")),
            Event::TaskListMarker(done) => b.pending.push_str(if done { "[x] " } else { "[ ] " }),
        }
    }
    b.flush();
    // Tags left open (the parser closes all; in case) are closed.
    while b.stack.len() > 1 {
        b.close();
    }
    b.stack.pop().map(|(_, nodes)| nodes).unwrap_or_default()
}

/// Plain text with its bare URLs (http, https) and e-mail addresses as
/// links and its `@name` mentions marked.
fn decorate(text: &str) -> Vec<Node> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url, LinkKind::Email]);
    let mut nodes = Vec::new();
    for span in finder.spans(text) {
        let s = span.as_str();
        let href = match span.kind() {
            Some(LinkKind::Url) => safe_href(s),
            Some(LinkKind::Email) => safe_href(&format!("mailto:{s}")),
            _ => None,
        };
        match href {
            Some(href) => nodes.push(Node::Link {
                href,
                children: vec![Node::Text(s.to_owned())],
            }),
            None => mentions(s, &mut nodes),
        }
    }
    nodes
}

/// Where a mention's name ends (as `protocol::notifications::mentions`
/// reads them, so what is highlighted is what notifies).
pub(crate) fn ends_name(c: char) -> bool {
    c.is_whitespace() || [',', '.', ':', ';', '!', '?', ')', '(', '"', '\''].contains(&c)
}

/// `text` with each `@name` at the start of a word as a mention.
fn mentions(text: &str, nodes: &mut Vec<Node>) {
    let mut plain_from = 0;
    let mut after_space = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '@' && after_space {
            let rest = &text[i + 1..];
            let len = rest.find(ends_name).unwrap_or(rest.len());
            let name = &rest[..len];
            if !name.is_empty() && Username::parse(name).is_ok() {
                if plain_from < i {
                    nodes.push(Node::Text(text[plain_from..i].to_owned()));
                }
                nodes.push(Node::Mention(name.to_owned()));
                plain_from = i + 1 + len;
                while chars.peek().is_some_and(|(j, _)| *j < plain_from) {
                    chars.next();
                }
                after_space = false;
                continue;
            }
        }
        after_space = c.is_whitespace();
    }
    if plain_from < text.len() {
        nodes.push(Node::Text(text[plain_from..].to_owned()));
    }
}

#[cfg(test)]
mod tests;
