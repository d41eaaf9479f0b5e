//! `course.toml`: the optional manifest that gives headings their slugs (and, later, widgets and quizzes).
//! Spans are kept so every problem can name its line.

use serde::Deserialize;
use toml::Spanned;

/// The whole manifest.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Overrides the title found in the notes.
    pub title: Option<String>,
    /// The course's language (`ja` or `en`); read off the notes when absent.
    pub language: Option<Spanned<String>>,
    #[serde(default)]
    pub topic: Vec<TopicEntry>,
}

/// One `[[topic]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicEntry {
    /// The `###` heading text it matches, exactly.
    pub heading: Spanned<String>,
    pub slug: Spanned<String>,
    /// Widgets shown on the page, each after the block holding its anchor (or at the end of the notes).
    #[serde(default)]
    pub widgets: Vec<WidgetEntry>,
}

/// A widget attached to a topic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetEntry {
    pub name: Spanned<String>,
    /// Text in the notes after which the widget appears; absent → after the notes' text.
    pub after: Option<Spanned<String>>,
}

/// Parses the manifest; an error is `(line, message)`.
pub fn parse(text: &str) -> Result<Manifest, (usize, String)> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |span| line_at(text, span.start));
        (line, format!("course.toml を読めません: {}", e.message()))
    })
}

/// 1-based line of a byte offset.
pub fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |head| head.bytes().filter(|&b| b == b'\n').count() + 1)
}
