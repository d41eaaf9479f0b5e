//! Notes → topics. At start the notes file is cut into parts, chapters and topics ([`outline`]), matched
//! to the manifest ([`manifest`]), rendered once to sanitized HTML with annotations and widgets placed
//! beside the text ([`markdown`], [`annotations`]), and checked: every problem is collected with its file
//! and line, and any problem stops `serve` and fails `check`. Requests only read the finished [`Course`].
//! Nothing here knows axum, or which headings this particular notes file has.

pub mod annotations;
pub mod glossary;
pub mod language;
pub mod manifest;
pub mod markdown;
pub mod outline;
pub mod slug;
pub mod source;

pub use language::Language;
use markdown::{Insert, escape_html};
use source::{ContentSource, ReadError};
use std::collections::HashMap;
use std::fmt;

/// A problem in the content, reported by `check` and at start.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// An entry of a topic page's own table of contents.
#[derive(Debug, Clone, PartialEq)]
pub struct TocEntry {
    pub id: String,
    pub label: String,
    /// `notes`, `heading`, `annotation`, `widget` or `supplement`: how the entry is styled.
    pub kind: &'static str,
}

/// One topic page, ready to serve.
#[derive(Debug, Clone)]
pub struct Topic {
    pub slug: String,
    pub title: String,
    pub part: Option<String>,
    pub chapter: Option<String>,
    /// Position in [`Course::topics`].
    pub index: usize,
    /// The notes' text for this section, with annotations and widgets in place (sanitized).
    pub notes_html: String,
    /// The notes have nothing under this heading: nothing renders (a table, a code block, raw HTML
    /// or an image alone is content).
    pub notes_empty: bool,
    /// infra-dojo's own supplement, shown marked as such.
    pub supplement_html: Option<String>,
    /// Widgets shown after the supplement: those placed at the end of a topic whose notes are empty.
    pub end_html: String,
    pub toc: Vec<TocEntry>,
    pub annotation_count: usize,
    /// Names of the widgets on the page.
    pub widgets: Vec<String>,
}

/// A chapter of a part in the course map; `name` is `None` for topics directly under the part.
#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    pub name: Option<String>,
    pub topics: Vec<usize>,
}

/// A part of the course map; `name` is `None` for topics before any `#` heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: Option<String>,
    pub chapters: Vec<Chapter>,
}

/// What a search entry is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DocKind {
    /// The topic's heading; its anchor is empty (the top of the page).
    Title,
    Notes,
    Annotation,
    Supplement,
    /// A widget's name, introduction and scenario names; the anchor is its section (`widget-<name>`).
    Widget,
    /// A quiz question's prompt — never its options, answer or explanation; the anchor is its id.
    Question,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Title => "title",
            DocKind::Notes => "notes",
            DocKind::Annotation => "annotation",
            DocKind::Supplement => "supplement",
            DocKind::Widget => "widget",
            DocKind::Question => "question",
        }
    }
}

/// A searchable piece of a page: one block of the notes, one annotation, or one supplement block.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub slug: String,
    /// Fragment id on the topic page.
    pub anchor: String,
    pub kind: DocKind,
    pub text: String,
}

/// Renders a widget's server-side HTML by name, or `None` for an unknown widget. Supplied by the caller so
/// this module stays free of widget and template code.
pub type WidgetRenderer<'a> = &'a dyn Fn(&str) -> Option<(String, String)>;

/// The whole course, rendered.
#[derive(Debug, Clone)]
pub struct Course {
    pub title: String,
    /// The language of the notes, and so of the pages around them.
    pub language: Language,
    pub parts: Vec<Part>,
    pub topics: Vec<Topic>,
    pub glossary: Vec<glossary::Term>,
    pub search_docs: Vec<SearchDoc>,
    by_slug: HashMap<String, usize>,
}

impl Course {
    /// The topic with this slug.
    pub fn topic(&self, slug: &str) -> Option<&Topic> {
        self.by_slug.get(slug).map(|&i| &self.topics[i])
    }

    /// A plain-text outline for golden tests and `check`: title, parts, chapters, topics with slug and
    /// counts.
    pub fn outline_text(&self) -> String {
        let mut out = format!("title: {}\n", self.title);
        for part in &self.parts {
            out.push_str(&format!(
                "part: {}\n",
                part.name.as_deref().unwrap_or("(なし)")
            ));
            for chapter in &part.chapters {
                if let Some(name) = &chapter.name {
                    out.push_str(&format!("  chapter: {name}\n"));
                }
                for &i in &chapter.topics {
                    let t = &self.topics[i];
                    let blocks = self
                        .search_docs
                        .iter()
                        .filter(|d| d.slug == t.slug && d.kind == DocKind::Notes)
                        .count();
                    out.push_str(&format!(
                        "    topic: {} [{}] blocks={} annotations={} supplement={} widgets={}\n",
                        t.title,
                        t.slug,
                        blocks,
                        t.annotation_count,
                        t.supplement_html.is_some(),
                        t.widgets.join(",")
                    ));
                }
            }
        }
        out
    }
}

/// Collects problems with the file they belong to.
struct Problems<'s> {
    source: &'s ContentSource,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn add(&mut self, rel: &str, line: usize, message: impl Into<String>) {
        self.list.push(Problem {
            file: self.source.display_path(rel),
            line,
            message: message.into(),
        });
    }
}

/// Loads, renders and checks the content. Every problem found is returned, not just the first.
pub fn load(source: &ContentSource, widgets: WidgetRenderer<'_>) -> Result<Course, Vec<Problem>> {
    let mut problems = Problems {
        source,
        list: Vec::new(),
    };

    let notes = match source.read("notes.md") {
        Ok(text) => text,
        Err(e) => {
            problems.add("notes.md", 1, format!("notes.md を読めません: {e}"));
            return Err(problems.list);
        }
    };
    let outline = outline::parse(&notes);
    for (line, message) in &outline.problems {
        problems.add("notes.md", *line, message.clone());
    }
    if outline.topics.is_empty() {
        problems.add("notes.md", 1, "### の見出し（トピック）が一つもありません");
    }

    let manifest = match source.read("course.toml") {
        Ok(text) => match manifest::parse(&text) {
            Ok(m) => Some((m, text)),
            Err((line, message)) => {
                problems.add("course.toml", line, message);
                None
            }
        },
        Err(ReadError::Missing) => None,
        Err(e) => {
            problems.add("course.toml", 1, format!("course.toml を読めません: {e}"));
            None
        }
    };

    let language = match manifest
        .as_ref()
        .and_then(|(m, text)| m.language.as_ref().map(|l| (l, text)))
    {
        None => Language::detect(&notes),
        Some((code, text)) => Language::from_code(code.get_ref()).unwrap_or_else(|| {
            problems.add(
                "course.toml",
                manifest::line_at(text, code.span().start),
                format!(
                    "language \"{}\" は使えません（\"ja\" か \"en\"）",
                    code.get_ref()
                ),
            );
            Language::Ja
        }),
    };
    let words = language.words();

    // Slugs: manifest entries claim headings in order; the rest get fallback slugs.
    let mut slugs: Vec<Option<String>> = vec![None; outline.topics.len()];
    let mut topic_widgets: Vec<Vec<(String, Option<String>, usize)>> =
        vec![Vec::new(); outline.topics.len()];
    let mut taken: HashMap<String, usize> = HashMap::new();
    if let Some((m, text)) = &manifest {
        for entry in &m.topic {
            let line = manifest::line_at(text, entry.heading.span().start);
            let slug_line = manifest::line_at(text, entry.slug.span().start);
            let heading = entry.heading.get_ref().trim();
            let slug = entry.slug.get_ref();
            if !slug::is_valid_slug(slug) {
                problems.add(
                    "course.toml",
                    slug_line,
                    format!("slug \"{slug}\" は使えません（英小文字・数字・- のみ、64 文字まで）"),
                );
                continue;
            }
            if let Some(first) = taken.get(slug) {
                problems.add(
                    "course.toml",
                    slug_line,
                    format!("slug \"{slug}\" が重複しています（{first} 行目と同じ）"),
                );
                continue;
            }
            let Some(i) = outline
                .topics
                .iter()
                .enumerate()
                .position(|(i, t)| t.heading == heading && slugs[i].is_none())
            else {
                problems.add(
                    "course.toml",
                    line,
                    format!("見出し \"{heading}\" が notes.md の ### 見出しにありません"),
                );
                continue;
            };
            taken.insert(slug.clone(), slug_line);
            slugs[i] = Some(slug.clone());
            for w in &entry.widgets {
                let after = w.after.as_ref().map(|a| a.get_ref().clone());
                topic_widgets[i].push((
                    w.name.get_ref().clone(),
                    after,
                    manifest::line_at(text, w.name.span().start),
                ));
            }
        }
    }
    let slugs: Vec<String> = slugs
        .into_iter()
        .zip(&outline.topics)
        .map(|(slug, topic)| {
            slug.unwrap_or_else(|| {
                let base = slug::fallback_slug(&topic.heading);
                let mut candidate = base.clone();
                let mut n = 2;
                while taken.contains_key(&candidate) {
                    candidate = format!("{base}-{n}");
                    n += 1;
                }
                taken.insert(candidate.clone(), 0);
                candidate
            })
        })
        .collect();

    // Annotations and supplements, by slug.
    let mut annotations_by_slug: HashMap<String, (String, Vec<annotations::Annotation>)> =
        HashMap::new();
    for rel in source.list("annotations", "md") {
        let slug = file_stem(&rel);
        if !slugs.contains(&slug) {
            problems.add(
                &rel,
                1,
                format!("トピック \"{slug}\" がありません（ファイル名は annotations/<slug>.md）"),
            );
            continue;
        }
        match source.read(&rel) {
            Ok(text) => match annotations::parse(&text) {
                Ok(list) => {
                    annotations_by_slug.insert(slug, (rel, list));
                }
                Err(errors) => {
                    for (line, message) in errors {
                        problems.add(&rel, line, message);
                    }
                }
            },
            Err(e) => problems.add(&rel, 1, format!("読めません: {e}")),
        }
    }
    let mut supplements: HashMap<String, String> = HashMap::new();
    for rel in source.list("supplements", "md") {
        let slug = file_stem(&rel);
        if !slugs.contains(&slug) {
            problems.add(
                &rel,
                1,
                format!("トピック \"{slug}\" がありません（ファイル名は supplements/<slug>.md）"),
            );
            continue;
        }
        match source.read(&rel) {
            Ok(text) => {
                supplements.insert(slug, text);
            }
            Err(e) => problems.add(&rel, 1, format!("読めません: {e}")),
        }
    }

    let glossary = match source.read("glossary.toml") {
        Ok(text) => match glossary::parse(&text) {
            Ok(terms) => {
                for term in &terms {
                    if !slugs.contains(&term.topic) {
                        let needle = format!("\"{}\"", term.topic);
                        let line = text
                            .find(&needle)
                            .map_or(1, |at| manifest::line_at(&text, at));
                        problems.add(
                            "glossary.toml",
                            line,
                            format!("トピック \"{}\" がありません", term.topic),
                        );
                    }
                }
                terms
            }
            Err((line, message)) => {
                problems.add("glossary.toml", line, message);
                Vec::new()
            }
        },
        Err(ReadError::Missing) => Vec::new(),
        Err(e) => {
            problems.add("glossary.toml", 1, format!("読めません: {e}"));
            Vec::new()
        }
    };

    // Render each topic once.
    let mut topics = Vec::with_capacity(outline.topics.len());
    let mut search_docs = Vec::new();
    for (index, (raw, slug)) in outline.topics.iter().zip(&slugs).enumerate() {
        let mut toc = vec![TocEntry {
            id: "notes".into(),
            label: words.notes.into(),
            kind: "notes",
        }];
        search_docs.push(SearchDoc {
            slug: slug.clone(),
            anchor: String::new(),
            kind: DocKind::Title,
            text: raw.heading.clone(),
        });
        let mut insert_html = Vec::new();
        let mut anchors = Vec::new();
        let mut top_level = Vec::new();
        let mut insert_lines = Vec::new();
        let mut insert_files = Vec::new();
        let mut annotation_toc = Vec::new();

        let (ann_file, ann_list) = annotations_by_slug.remove(slug).unwrap_or_default();
        for (k, a) in ann_list.iter().enumerate() {
            let id = format!("ann-{}", k + 1);
            let body = markdown::render_in(&a.body, "", &[], language);
            insert_html.push(annotation_html(&id, a, &body.html, words));
            anchors.push(a.anchor.clone());
            top_level.push(false);
            insert_lines.push(a.line);
            insert_files.push(ann_file.clone());
            annotation_toc.push(TocEntry {
                id: id.clone(),
                label: format!("{}: {}", words.annotation, a.title),
                kind: "annotation",
            });
            let text = std::iter::once(a.title.clone())
                .chain(body.blocks.into_iter().map(|b| b.text))
                .collect::<Vec<_>>()
                .join(" ");
            search_docs.push(SearchDoc {
                slug: slug.clone(),
                anchor: id,
                kind: DocKind::Annotation,
                text: format!("{text} {}{}", words.source, a.source),
            });
        }
        let mut widget_names = Vec::new();
        let mut trailing_widgets = String::new();
        let mut widget_toc = Vec::new();
        for (name, after, line) in &topic_widgets[index] {
            match widgets(name) {
                None => problems.add(
                    "course.toml",
                    *line,
                    format!("ウィジェット \"{name}\" はありません"),
                ),
                Some((label, html)) => {
                    search_docs.push(SearchDoc {
                        slug: slug.clone(),
                        anchor: format!("widget-{name}"),
                        kind: DocKind::Widget,
                        text: widget_search_text(&label, &html),
                    });
                    widget_toc.push(TocEntry {
                        id: format!("widget-{name}"),
                        label: format!("{}{label}", words.widget),
                        kind: "widget",
                    });
                    widget_names.push(name.clone());
                    match after {
                        Some(anchor) => {
                            insert_html.push(html);
                            anchors.push(anchor.clone());
                            top_level.push(true);
                            insert_lines.push(*line);
                            insert_files.push("course.toml".to_string());
                        }
                        None => trailing_widgets.push_str(&html),
                    }
                }
            }
        }

        let inserts: Vec<Insert<'_>> = anchors
            .iter()
            .zip(&insert_html)
            .zip(&top_level)
            .map(|((anchor, html), &after_top_level)| Insert {
                anchor,
                html,
                after_top_level,
            })
            .collect();
        let rendered = markdown::render_in(&raw.body, "n", &inserts, language);
        for (k, count) in rendered.matches.iter().enumerate() {
            let anchor = &anchors[k];
            match count {
                1 => {}
                0 => problems.add(&insert_files[k], insert_lines[k], format!("anchor \"{anchor}\" がトピック \"{}\" のノートに見つかりません", raw.heading)),
                n => problems.add(&insert_files[k], insert_lines[k], format!("anchor \"{anchor}\" がトピック \"{}\" の {n} か所に一致します（一か所だけに一致させてください）", raw.heading)),
            }
        }
        // A topic whose notes are empty shows infra-dojo's supplement instead; a widget placed at
        // the end (no `after`) then follows the supplement it illustrates, not the empty notes.
        let after_supplement = !rendered.has_content && supplements.contains_key(slug);
        let mut late_widgets = if after_supplement {
            std::mem::take(&mut widget_toc)
        } else {
            Vec::new()
        };
        // The table of contents lists headings, annotations and widgets in the order the page shows them:
        // an annotation sits after the block it is anchored to, wherever its file lists it. Trailing
        // widgets (no anchor) come after the notes.
        let mut placed: Vec<(usize, TocEntry)> = rendered
            .headings
            .iter()
            .map(|h| TocEntry {
                id: h.id.clone(),
                label: h.text.clone(),
                kind: "heading",
            })
            .chain(annotation_toc)
            .chain(widget_toc)
            .map(|entry| {
                let at = rendered
                    .html
                    .find(&format!("id=\"{}\"", entry.id))
                    .unwrap_or(
                        rendered.html.len()
                            + trailing_widgets
                                .find(&format!("id=\"{}\"", entry.id))
                                .unwrap_or(0),
                    );
                (at, entry)
            })
            .collect();
        placed.sort_by_key(|(at, _)| *at);
        toc.extend(placed.into_iter().map(|(_, entry)| entry));
        for block in &rendered.blocks {
            search_docs.push(SearchDoc {
                slug: slug.clone(),
                anchor: block.id.clone(),
                kind: DocKind::Notes,
                text: block.text.clone(),
            });
        }
        let supplement_html = supplements.get(slug).map(|md| {
            let r = markdown::render_in(md, "s", &[], language);
            for block in &r.blocks {
                search_docs.push(SearchDoc {
                    slug: slug.clone(),
                    anchor: block.id.clone(),
                    kind: DocKind::Supplement,
                    text: block.text.clone(),
                });
            }
            r.html
        });
        if supplement_html.is_some() {
            toc.push(TocEntry {
                id: "supplement".into(),
                label: words.supplement.into(),
                kind: "supplement",
            });
        }
        toc.append(&mut late_widgets);
        let (notes_tail, end_html) = if after_supplement {
            (String::new(), trailing_widgets)
        } else {
            (trailing_widgets, String::new())
        };
        topics.push(Topic {
            slug: slug.clone(),
            title: raw.heading.clone(),
            part: raw.part.clone(),
            chapter: raw.chapter.clone(),
            index,
            notes_empty: !rendered.has_content,
            notes_html: rendered.html + &notes_tail,
            supplement_html,
            end_html,
            toc,
            annotation_count: ann_list.len(),
            widgets: widget_names,
        });
    }

    if !problems.list.is_empty() {
        return Err(problems.list);
    }
    let title = manifest
        .as_ref()
        .and_then(|(m, _)| m.title.clone())
        .or(outline.title)
        .unwrap_or_else(|| words.untitled.to_string());
    let by_slug = topics.iter().map(|t| (t.slug.clone(), t.index)).collect();
    Ok(Course {
        title,
        language,
        parts: course_map(&topics),
        topics,
        glossary,
        search_docs,
        by_slug,
    })
}

/// What search finds of a widget: its name, its introduction and its scenarios' names, as plain text
/// taken from the widget's rendered block (`templates/widgets/frame.html`: the `widget-intro` paragraph
/// and each scenario's `<summary>`). The tables' steps stay out: they are the widget's answers.
fn widget_search_text(label: &str, html: &str) -> String {
    fn between<'a>(html: &'a str, open: &str, close: &str) -> Vec<&'a str> {
        let mut found = Vec::new();
        let mut rest = html;
        while let Some(at) = rest.find(open) {
            let after = &rest[at + open.len()..];
            let Some(end) = after.find(close) else { break };
            found.push(&after[..end]);
            rest = &after[end + close.len()..];
        }
        found
    }
    fn plain(fragment: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in fragment.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    std::iter::once(label.to_string())
        .chain(
            between(html, "class=\"widget-intro\">", "</p>")
                .into_iter()
                .chain(between(html, "<summary>", "</summary>"))
                .map(plain),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

fn file_stem(rel: &str) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_string()
}

fn annotation_html(
    id: &str,
    a: &annotations::Annotation,
    body_html: &str,
    words: &language::Words,
) -> String {
    format!(
        "<aside class=\"annotation\" id=\"{id}\" aria-labelledby=\"{id}-title\"><p class=\"annotation-head\"><span class=\"annotation-badge\">{}</span> <strong id=\"{id}-title\">{}</strong></p><div class=\"annotation-body\">{body_html}</div><p class=\"annotation-source\">{}{}</p></aside>",
        words.annotation,
        escape_html(&a.title),
        words.source,
        escape_html(&a.source)
    )
}

/// Groups topics into parts and chapters, keeping the notes' order.
fn course_map(topics: &[Topic]) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    for topic in topics {
        if parts.last().is_none_or(|p| p.name != topic.part) {
            parts.push(Part {
                name: topic.part.clone(),
                chapters: Vec::new(),
            });
        }
        let Some(part) = parts.last_mut() else {
            continue;
        };
        if part.chapters.last().is_none_or(|c| c.name != topic.chapter) {
            part.chapters.push(Chapter {
                name: topic.chapter.clone(),
                topics: Vec::new(),
            });
        }
        if let Some(chapter) = part.chapters.last_mut() {
            chapter.topics.push(topic.index);
        }
    }
    parts
}
