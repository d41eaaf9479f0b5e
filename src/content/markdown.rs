//! Markdown → HTML, in one place (like mdBook's `mdbook-markdown`): the pulldown-cmark options, what
//! happens to links, images and raw HTML, and the ammonia pass every rendered fragment goes through.
//!
//! The notes are the user's text and may hold anything, so raw HTML inside them is cleaned with ammonia's
//! strict defaults fragment by fragment, link targets are checked, and the whole result passes ammonia once
//! more with an allow-list that only adds the attributes this module itself writes (ids, classes, roles).
//! Extra blocks — annotations, widgets — are placed after the first list item or paragraph whose own
//! text contains their anchor.

use crate::content::language::{Language, Words};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::sync::LazyLock;

/// Trusted HTML (our own, never the notes') to place after the block whose plain text contains `anchor`.
#[derive(Debug, Clone)]
pub struct Insert<'a> {
    pub anchor: &'a str,
    pub html: &'a str,
    /// Place after the whole top-level block (after the list closes) instead of inside the item: for
    /// wide blocks such as widgets, which should not sit in a nested list.
    pub after_top_level: bool,
}

/// A top-level block of a rendered section: its fragment id and its whole plain text (for search).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub id: String,
    pub text: String,
}

/// A `####`…`######` heading inside a section, for the page's table of contents.
#[derive(Debug, Clone, PartialEq)]
pub struct SubHeading {
    pub id: String,
    pub text: String,
}

/// The result of rendering one section.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Sanitized HTML.
    pub html: String,
    /// Top-level blocks in order, with ids `{id_prefix}{n}`.
    pub blocks: Vec<Block>,
    /// For each insert, in order: how many blocks' own text contained its anchor (1 is the only good answer).
    pub matches: Vec<usize>,
    /// Subheadings, for the table of contents.
    pub headings: Vec<SubHeading>,
    /// The section shows something: any text, list, table, code block, image, rule or raw HTML that
    /// survives sanitizing. `blocks` alone cannot tell, since only paragraphs and list items are
    /// blocks; a section of only a table or a code block has none and is still not empty.
    pub has_content: bool,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Renders Markdown that carries no inserts (annotation bodies, supplements).
pub fn render_plain(markdown: &str) -> String {
    render(markdown, "", &[]).html
}

/// Renders one section of Markdown with Japanese labels: see [`render_in`].
pub fn render(markdown: &str, id_prefix: &str, inserts: &[Insert<'_>]) -> Rendered {
    render_in(markdown, id_prefix, inserts, Language::Ja)
}

/// Renders one section of Markdown. `id_prefix` namespaces the block ids (`n` gives `n1`, `n2`, …); an
/// empty prefix writes no ids (for fragments nested in a page, such as annotation bodies). What
/// infra-dojo adds (image and link labels) is in `language`.
pub fn render_in(
    markdown: &str,
    id_prefix: &str,
    inserts: &[Insert<'_>],
    language: Language,
) -> Rendered {
    let mut r = Renderer {
        words: language.words(),
        out: Vec::new(),
        inserts,
        placed: vec![false; inserts.len()],
        matches: vec![0; inserts.len()],
        pending: Vec::new(),
        id_prefix,
        own_text: Vec::new(),
        list_depth: 0,
        top_block: None,
        blocks: Vec::new(),
        links: Vec::new(),
        image: None,
        in_code_block: false,
        heading: None,
        headings: Vec::new(),
    };
    for event in Parser::new_ext(markdown, options()) {
        r.event(event);
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, r.out.into_iter());
    // Inserts are our own trusted markup (data attributes, tables, buttons) that the sanitizer would
    // strip, so they go in after it, in place of markers only this renderer can produce: raw HTML from
    // the notes loses every `id` in `sanitize_fragment`.
    let mut html = sanitize_page(&html);
    // Before the inserts go in: they are ours, not the notes'. (Comments and stripped tags leave
    // nothing here, so a section holding only `<!-- … -->` counts as empty.)
    let has_content = !html.trim().is_empty();
    for (i, insert) in inserts.iter().enumerate() {
        if r.placed[i] {
            html = html.replacen(&insert_marker(i), insert.html, 1);
        }
    }
    Rendered {
        html,
        blocks: r.blocks,
        matches: r.matches,
        headings: r.headings,
        has_content,
    }
}

/// Where a link may point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UrlKind {
    /// http(s) or protocol-relative: another site.
    External,
    /// A path, fragment or mailto on this site or the user's machine.
    Local,
    /// `javascript:`, `data:`, `vbscript:` or any other scheme: never rendered as a link.
    Unsafe,
}

/// Classifies a link target from the notes.
pub fn classify_url(url: &str) -> UrlKind {
    let url = url.trim();
    if url.starts_with("//") {
        return UrlKind::External;
    }
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(colon), Some(slash)) if slash < colon => UrlKind::Local,
        (Some(colon), _) => {
            let scheme = url[..colon].to_ascii_lowercase();
            match scheme.as_str() {
                "http" | "https" => UrlKind::External,
                "mailto" => UrlKind::Local,
                _ => UrlKind::Unsafe,
            }
        }
        (None, _) => UrlKind::Local,
    }
}

/// Escapes text for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// The mark after a link that leaves the site, with its words for screen readers.
fn external_mark(words: &Words) -> String {
    format!(
        "<span class=\"external-mark\" aria-hidden=\"true\">↗</span><span class=\"visually-hidden\">{}</span>",
        words.external_site
    )
}

enum LinkKind {
    Kept,
    External,
    Dropped,
}

struct Renderer<'a, 'i> {
    /// What infra-dojo adds in the course's language.
    words: &'static Words,
    out: Vec<Event<'a>>,
    inserts: &'i [Insert<'i>],
    placed: Vec<bool>,
    matches: Vec<usize>,
    /// Top-level inserts waiting for their block to close.
    pending: Vec<usize>,
    id_prefix: &'i str,
    /// Own text of each open list item (innermost last); top-level paragraphs use the same stack.
    own_text: Vec<String>,
    list_depth: usize,
    /// Whole text of the open top-level block, for search.
    top_block: Option<String>,
    blocks: Vec<Block>,
    links: Vec<LinkKind>,
    /// An image being read: (url, alt text so far).
    image: Option<(String, String)>,
    in_code_block: bool,
    heading: Option<(u8, String)>,
    headings: Vec<SubHeading>,
}

impl<'a> Renderer<'a, '_> {
    fn event(&mut self, event: Event<'a>) {
        if let Some((_, alt)) = self.image.as_mut() {
            match event {
                Event::Text(text) | Event::Code(text) => alt.push_str(&text),
                Event::End(TagEnd::Image) => self.finish_image(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(Tag::List(start)) => {
                self.list_depth += 1;
                self.out.push(Event::Start(Tag::List(start)));
            }
            Event::End(TagEnd::List(ordered)) => {
                self.list_depth = self.list_depth.saturating_sub(1);
                self.out.push(Event::End(TagEnd::List(ordered)));
                if self.list_depth == 0 {
                    self.flush_pending();
                }
            }
            Event::Start(Tag::Item) => {
                if self.list_depth == 1 && !self.id_prefix.is_empty() {
                    let id = self.open_top_block();
                    self.out
                        .push(Event::Html(format!("<li id=\"{id}\">").into()));
                } else if self.list_depth == 1 {
                    self.open_top_block();
                    self.out.push(Event::Start(Tag::Item));
                } else {
                    self.out.push(Event::Start(Tag::Item));
                }
                self.own_text.push(String::new());
            }
            Event::End(TagEnd::Item) => {
                let text = self.own_text.pop().unwrap_or_default();
                self.place_inserts(&text);
                self.out.push(Event::End(TagEnd::Item));
                if self.list_depth == 1 {
                    self.close_top_block();
                }
            }
            Event::Start(Tag::Paragraph) if self.list_depth == 0 && self.own_text.is_empty() => {
                let id = self.open_top_block();
                if self.id_prefix.is_empty() {
                    self.out.push(Event::Start(Tag::Paragraph));
                } else {
                    self.out
                        .push(Event::Html(format!("<p id=\"{id}\">").into()));
                }
                self.own_text.push(String::new());
            }
            Event::End(TagEnd::Paragraph) if self.list_depth == 0 && self.own_text.len() == 1 => {
                self.out.push(Event::End(TagEnd::Paragraph));
                let text = self.own_text.pop().unwrap_or_default();
                self.place_inserts(&text);
                self.close_top_block();
                self.flush_pending();
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                self.in_code_block = true;
                self.out.push(Event::Start(Tag::CodeBlock(kind)));
            }
            Event::End(TagEnd::CodeBlock) => {
                self.in_code_block = false;
                self.out.push(Event::End(TagEnd::CodeBlock));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                self.heading = Some((demoted(level), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = self.heading.take() {
                    let id = format!("{}h{}", self.id_prefix, self.headings.len() + 1);
                    let html = format!("<h{level} id=\"{id}\">{}</h{level}>\n", escape_html(&text));
                    self.headings.push(SubHeading { id, text });
                    self.out.push(Event::Html(html.into()));
                }
            }
            Event::Start(Tag::Link {
                dest_url,
                title,
                link_type,
                id,
            }) => match classify_url(&dest_url) {
                UrlKind::Unsafe => self.links.push(LinkKind::Dropped),
                UrlKind::External => {
                    self.links.push(LinkKind::External);
                    let title_attr = if title.is_empty() {
                        String::new()
                    } else {
                        format!(" title=\"{}\"", escape_html(&title))
                    };
                    self.out.push(Event::Html(
                        format!(
                            "<a class=\"external\" href=\"{}\"{title_attr}>",
                            escape_html(&dest_url)
                        )
                        .into(),
                    ));
                }
                UrlKind::Local => {
                    self.links.push(LinkKind::Kept);
                    self.out.push(Event::Start(Tag::Link {
                        dest_url,
                        title,
                        link_type,
                        id,
                    }));
                }
            },
            Event::End(TagEnd::Link) => match self.links.pop() {
                Some(LinkKind::External) => self.out.push(Event::Html(
                    format!("{}</a>", external_mark(self.words)).into(),
                )),
                Some(LinkKind::Kept) => self.out.push(Event::End(TagEnd::Link)),
                Some(LinkKind::Dropped) | None => {}
            },
            Event::Start(Tag::Image { dest_url, .. }) => {
                self.image = Some((dest_url.to_string(), String::new()));
            }
            Event::Text(text) => {
                self.record_text(&text);
                if let Some((_, heading)) = self.heading.as_mut() {
                    heading.push_str(&text);
                } else if self.in_code_block || !self.links.is_empty() {
                    self.out.push(Event::Text(text));
                } else {
                    self.push_linkified(text);
                }
            }
            Event::Code(text) => {
                self.record_text(&text);
                if let Some((_, heading)) = self.heading.as_mut() {
                    heading.push_str(&text);
                } else {
                    self.out.push(Event::Code(text));
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                self.record_text(" ");
                self.out.push(event);
            }
            Event::Html(raw) => self.out.push(Event::Html(sanitize_fragment(&raw).into())),
            Event::InlineHtml(raw) => self
                .out
                .push(Event::InlineHtml(sanitize_fragment(&raw).into())),
            other => self.out.push(other),
        }
    }

    fn open_top_block(&mut self) -> String {
        let id = format!("{}{}", self.id_prefix, self.blocks.len() + 1);
        self.top_block = Some(String::new());
        self.blocks.push(Block {
            id: id.clone(),
            text: String::new(),
        });
        id
    }

    fn close_top_block(&mut self) {
        if let (Some(text), Some(block)) = (self.top_block.take(), self.blocks.last_mut()) {
            block.text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }

    fn record_text(&mut self, text: &str) {
        if self.in_code_block {
            if let Some(top) = self.top_block.as_mut() {
                top.push_str(text);
            }
            return;
        }
        if let Some(own) = self.own_text.last_mut() {
            own.push_str(text);
        }
        if let Some(top) = self.top_block.as_mut() {
            top.push_str(text);
            top.push(' ');
        }
    }

    /// Places every not-yet-placed insert whose anchor is in `text`, and counts matches for validation.
    fn place_inserts(&mut self, text: &str) {
        for (i, insert) in self.inserts.iter().enumerate() {
            if insert.anchor.is_empty() || !text.contains(insert.anchor) {
                continue;
            }
            self.matches[i] += 1;
            if !self.placed[i] {
                self.placed[i] = true;
                if insert.after_top_level {
                    self.pending.push(i);
                } else {
                    self.out.push(Event::Html(CowStr::from(insert_marker(i))));
                }
            }
        }
    }

    fn flush_pending(&mut self) {
        for i in std::mem::take(&mut self.pending) {
            self.out.push(Event::Html(CowStr::from(insert_marker(i))));
        }
    }

    /// Bare `https://…` in text becomes a link, as readers of notes expect.
    fn push_linkified(&mut self, text: CowStr<'a>) {
        let mut rest: &str = &text;
        if !rest.contains("http://") && !rest.contains("https://") {
            self.out.push(Event::Text(text));
            return;
        }
        let mut pieces = Vec::new();
        while let Some(start) = rest
            .find("https://")
            .into_iter()
            .chain(rest.find("http://"))
            .min()
        {
            let end = rest[start..]
                .find(|c: char| {
                    c.is_whitespace() || !c.is_ascii() || matches!(c, '<' | '>' | '"' | '）' | '」')
                })
                .map_or(rest.len(), |n| start + n);
            let url = rest[start..end].trim_end_matches(['.', ',', ')', ';', ':']);
            let end = start + url.len();
            if start > 0 {
                pieces.push(Event::Text(rest[..start].to_string().into()));
            }
            pieces.push(Event::Html(
                format!(
                    "<a class=\"external\" href=\"{0}\">{0}{1}</a>",
                    escape_html(url),
                    external_mark(self.words)
                )
                .into(),
            ));
            rest = &rest[end..];
        }
        if !rest.is_empty() {
            pieces.push(Event::Text(rest.to_string().into()));
        }
        self.out.extend(pieces);
    }

    /// Images are never loaded from another host (no request leaves infra-dojo, and pages work offline):
    /// the reader sees the alt text and a link to the original.
    fn finish_image(&mut self) {
        let Some((url, alt)) = self.image.take() else {
            return;
        };
        let w = self.words;
        let alt = if alt.trim().is_empty() {
            w.no_description.to_string()
        } else {
            alt
        };
        self.record_text(&alt);
        let link = match classify_url(&url) {
            UrlKind::Unsafe => String::new(),
            _ => format!(
                " <a class=\"external\" href=\"{}\">{}{}</a>",
                escape_html(&url),
                w.image_link,
                external_mark(w)
            ),
        };
        self.out.push(Event::Html(
            format!(
                "<span class=\"external-image\" role=\"img\" aria-label=\"{1}{0}\"><span class=\"external-image-alt\">{2}{0}{3}</span><span class=\"external-image-note\">{4}{link}</span></span>",
                escape_html(&alt),
                w.image,
                w.image_open,
                w.image_close,
                w.image_not_loaded
            )
            .into(),
        ));
    }
}

fn insert_marker(i: usize) -> String {
    format!("<div id=\"insert-{i}\"></div>")
}

/// `####` in the notes becomes `<h2>` on a topic page, whose `<h1>` is the `###` heading itself.
fn demoted(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 | HeadingLevel::H2 | HeadingLevel::H3 | HeadingLevel::H4 => 2,
        HeadingLevel::H5 => 3,
        HeadingLevel::H6 => 4,
    }
}

/// Raw HTML written in the notes: ammonia's strict defaults (no ids, classes, scripts or handlers), and an
/// `<img>` keeps its `src` only when it names a file of this site: like Markdown images (see
/// `finish_image`), a raw image from another host is never loaded (the CSP would block it anyway, leaving
/// a broken image and a console error); its alt text stays.
fn sanitize_fragment(raw: &str) -> String {
    static FRAGMENT_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::default();
        builder.attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !is_local_url(value) {
                None
            } else {
                Some(value.into())
            }
        });
        builder
    });
    FRAGMENT_SANITIZER.clean(raw).to_string()
}

/// A URL that stays on this site: a path, not a scheme or a host (`//host/…`, `\\host`).
fn is_local_url(url: &str) -> bool {
    let url = url.trim_start();
    let scheme = url
        .split_once(':')
        .is_some_and(|(before, _)| !before.contains(['/', '?', '#']));
    !scheme && !url.starts_with("//") && !url.starts_with(['\\']) && !url.starts_with("/\\")
}

static PAGE_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags([
            "aside",
            "span",
            "mark",
            "section",
            "figure",
            "figcaption",
            "input",
        ])
        .add_generic_attributes(["id", "class", "role", "aria-label", "aria-hidden"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// The last pass over every rendered fragment: only the markup this module writes survives.
pub fn sanitize_page(html: &str) -> String {
    PAGE_SANITIZER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_code_and_ids() {
        let r = render("- a `x`\n  - b\n- c\n", "n", &[]);
        assert!(r.html.contains("<li id=\"n1\">"), "{}", r.html);
        assert!(r.html.contains("<code>x</code>"));
        assert!(r.html.contains("<li id=\"n2\">c</li>"), "{}", r.html);
        assert_eq!(r.blocks[0].text, "a x b");
    }

    #[test]
    fn raw_images_from_another_host_are_never_loaded() {
        for src in [
            "https://evil.example/x.png",
            "HTTP://evil.example/x.png",
            "//evil.example/x.png",
            " https://evil.example/x.png",
            "\\\\evil.example\\x.png",
            "/\\evil.example/x.png",
            "ftp://evil.example/x.png",
        ] {
            let r = render(&format!("<img src=\"{src}\" alt=\"図1\">\n"), "n", &[]);
            assert!(!r.html.contains("evil.example"), "{src}: {}", r.html);
            assert!(r.html.contains("alt=\"図1\""), "{src}: {}", r.html);
        }
        let r = render("<img src=\"/static/p28.png\" alt=\"P28\">\n", "n", &[]);
        assert!(r.html.contains("src=\"/static/p28.png\""), "{}", r.html);
        assert!(is_local_url("p28.png") && is_local_url("img/a:b.png") && !is_local_url("data:x"));
    }

    #[test]
    fn no_prefix_no_ids() {
        let r = render("- a\n\npara\n", "", &[]);
        assert!(!r.html.contains("id="), "{}", r.html);
        assert_eq!(r.blocks.len(), 2);
    }

    #[test]
    fn scripts_handlers_and_javascript_links_never_survive() {
        let md = "<script>alert(1)</script>\n\n- <img src=x onerror=alert(1)> [click](javascript:alert(1)) [d](data:text/html,x)\n- <a href=\"javascript:alert(2)\">y</a>\n\n<br></br>\n";
        let html = render(md, "n", &[]).html;
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "data:text",
            "alert(1)</",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("click"), "the link text stays: {html}");
        assert!(html.contains("<br>"));
    }

    #[test]
    fn external_links_get_rel_and_marker() {
        let html = render(
            "- see [doc](https://example.com/a) and https://qiita.com/x/items/1\n",
            "n",
            &[],
        )
        .html;
        assert_eq!(
            html.matches("rel=\"noopener noreferrer\"").count(),
            2,
            "{html}"
        );
        assert_eq!(html.matches("class=\"external\"").count(), 2);
        assert!(html.contains("href=\"https://qiita.com/x/items/1\""));
        assert!(html.contains("（外部サイト）"));
    }

    #[test]
    fn images_show_alt_text_and_link_without_loading() {
        let html = render("![netag099](https://example.com/a.gif)\n", "n", &[]).html;
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("画像「netag099」"));
        assert!(html.contains("href=\"https://example.com/a.gif\""));
    }

    #[test]
    fn inserts_go_after_the_block_that_holds_the_anchor() {
        let md = "- first\n- L4とかL7`以下`の`以下`が重要\n  - P38\n";
        let inserts = [
            Insert {
                anchor: "L7以下の以下",
                html: "<aside class=\"annotation\">A</aside>",
                after_top_level: false,
            },
            Insert {
                anchor: "P38",
                html: "<aside class=\"annotation\">B</aside>",
                after_top_level: false,
            },
            Insert {
                anchor: "nowhere",
                html: "<aside>C</aside>",
                after_top_level: false,
            },
        ];
        let r = render(md, "n", &inserts);
        assert_eq!(r.matches, vec![1, 1, 0]);
        let a = r.html.find(">A<").unwrap();
        let b = r.html.find(">B<").unwrap();
        assert!(
            r.html.find("P38").unwrap() < b && b < a,
            "inner item first, then its parent: {}",
            r.html
        );
        assert!(!r.html.contains(">C<"));
    }

    #[test]
    fn inserts_are_kept_verbatim_and_cannot_be_forged_by_the_notes() {
        let md = "- anchor here
- <div id=\"insert-0\"></div> forged
";
        let inserts = [Insert {
            anchor: "anchor here",
            html: "<div data-widget=\"x\"><button>ok</button></div>",
            after_top_level: false,
        }];
        let r = render(md, "n", &inserts);
        assert_eq!(r.html.matches("data-widget=\"x\"").count(), 1, "{}", r.html);
        assert!(r.html.find("data-widget").unwrap() < r.html.find("forged").unwrap());
        assert!(!r.html.contains("insert-0"), "{}", r.html);
    }

    #[test]
    fn top_level_inserts_wait_for_the_list_to_close() {
        let md = "- a\n  - P38\n- b\n\nafter\n";
        let inserts = [Insert {
            anchor: "P38",
            html: "<section>W</section>",
            after_top_level: true,
        }];
        let r = render(md, "n", &inserts);
        let w = r.html.find("<section>W</section>").unwrap();
        assert!(
            r.html.find("</ul>\n").unwrap() < w && w < r.html.find("after").unwrap(),
            "{}",
            r.html
        );
        assert_eq!(r.matches, vec![1]);
    }

    #[test]
    fn subheadings_are_demoted_and_listed() {
        let r = render("#### 詳細\ntext\n", "n", &[]);
        assert!(r.html.contains("<h2 id=\"nh1\">詳細</h2>"), "{}", r.html);
        assert_eq!(
            r.headings,
            vec![SubHeading {
                id: "nh1".into(),
                text: "詳細".into()
            }]
        );
    }

    // Empty means nothing at all: a section made only of a table, a code block, raw HTML or an
    // image has no paragraph or list item (no `blocks`), yet it shows something.
    #[test]
    fn content_is_anything_that_renders_not_only_blocks() {
        let cases = [
            ("| a | b |\n|---|---|\n| 1 | 2 |\n", "table"),
            ("```\nls -l\n```\n", "code block"),
            ("    indented code\n", "indented code"),
            ("<div>生の HTML</div>\n", "raw HTML"),
            ("<img src=\"/p28.png\" alt=\"P28\">\n", "raw HTML image"),
            (
                "![P28の図](https://example.com/p28.png)\n",
                "Markdown image",
            ),
            ("---\n", "rule"),
        ];
        for (md, what) in cases {
            let r = render(md, "n", &[]);
            assert!(r.has_content, "{what}: {}", r.html);
        }
        for (md, what) in [
            ("", "nothing"),
            ("\n\n  \n", "blank lines"),
            ("<!-- あとで書く -->\n", "a comment"),
            (
                "<script>alert(1)</script>\n",
                "a script the sanitizer drops",
            ),
        ] {
            let r = render(md, "n", &[]);
            assert!(!r.has_content, "{what}: {}", r.html);
        }
    }

    #[test]
    fn url_classes() {
        assert_eq!(classify_url("https://a"), UrlKind::External);
        assert_eq!(classify_url("//a.example"), UrlKind::External);
        assert_eq!(classify_url("/topics/tcp#n1"), UrlKind::Local);
        assert_eq!(classify_url("JavaScript:alert(1)"), UrlKind::Unsafe);
        assert_eq!(classify_url(" vbscript:x"), UrlKind::Unsafe);
        assert_eq!(classify_url("./a:b"), UrlKind::Local);
    }
}
