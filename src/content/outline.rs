//! The shape of a notes file: `#` = part, `##` = chapter, `###` = topic. This module finds those headings
//! (with pulldown-cmark, so a `#` inside a code block is not a heading) and cuts the file into topics,
//! each with the Markdown of its body and the line it starts on. Nothing here knows this particular file.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// A `###` section of the notes, before slugs and rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTopic {
    /// The heading text, as plain text.
    pub heading: String,
    /// 1-based line of the heading in notes.md.
    pub line: usize,
    /// The `#` part it sits under, if any.
    pub part: Option<String>,
    /// The `##` chapter it sits under, if any (reset by each new part).
    pub chapter: Option<String>,
    /// The Markdown between this heading and the next heading of level 1–3.
    pub body: String,
}

/// The notes cut into title and topics.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// The first `#` heading when it is a title: followed by another `#` with no topic in between.
    pub title: Option<String>,
    /// Every `###` section in order.
    pub topics: Vec<RawTopic>,
    /// `(line, message)` for headings that cannot become pages (an empty heading text).
    pub problems: Vec<(usize, String)>,
}

struct Heading {
    level: u8,
    text: String,
    start: usize,
    end: usize,
}

/// Cuts `notes` into an [`Outline`].
pub fn parse(notes: &str) -> Outline {
    let headings = headings(notes);
    let line_of = |offset: usize| notes[..offset].bytes().filter(|&b| b == b'\n').count() + 1;

    let firsts: Vec<&Heading> = headings.iter().filter(|h| h.level <= 3).collect();
    let title = match firsts.as_slice() {
        [first, second, ..] if first.level == 1 && second.level == 1 => Some(first.text.clone()),
        _ => None,
    };

    let mut outline = Outline {
        title,
        topics: Vec::new(),
        problems: Vec::new(),
    };
    let mut part: Option<String> = None;
    let mut chapter: Option<String> = None;
    for (i, heading) in firsts.iter().enumerate() {
        match heading.level {
            1 => {
                if !(i == 0 && outline.title.is_some()) {
                    part = non_empty(&heading.text);
                }
                chapter = None;
            }
            2 => chapter = non_empty(&heading.text),
            _ => {
                let body_end = firsts.get(i + 1).map_or(notes.len(), |next| next.start);
                if heading.text.trim().is_empty() {
                    outline.problems.push((
                        line_of(heading.start),
                        "見出しが空です（### の後に文字がありません）".into(),
                    ));
                    continue;
                }
                outline.topics.push(RawTopic {
                    heading: heading.text.trim().to_string(),
                    line: line_of(heading.start),
                    part: part.clone(),
                    chapter: chapter.clone(),
                    body: notes[heading.end..body_end].to_string(),
                });
            }
        }
    }
    outline
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Every ATX/setext heading with its level, plain text and byte range.
fn headings(notes: &str) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut current: Option<Heading> = None;
    for (event, range) in Parser::new(notes).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some(Heading {
                    level: level_number(level),
                    text: String::new(),
                    start: range.start,
                    end: range.end,
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut heading) = current.take() {
                    heading.end = range.end;
                    found.push(heading);
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = current.as_mut() {
                    heading.text.push_str(&text);
                }
            }
            _ => {}
        }
    }
    found
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_chapters_and_topics() {
        let notes =
            "# Title\n# Part A\n### One\n- a\n\n### Two\ntext\n# Part B\n## Chap\n### Three\n";
        let outline = parse(notes);
        assert_eq!(outline.title.as_deref(), Some("Title"));
        let names: Vec<_> = outline
            .topics
            .iter()
            .map(|t| (t.heading.as_str(), t.part.as_deref(), t.chapter.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("One", Some("Part A"), None),
                ("Two", Some("Part A"), None),
                ("Three", Some("Part B"), Some("Chap"))
            ]
        );
        assert_eq!(outline.topics[0].body, "- a\n\n");
        assert_eq!(outline.topics[0].line, 3);
    }

    #[test]
    fn a_lone_first_heading_is_a_part_not_a_title() {
        let outline = parse("# Only part\n### T\nx\n");
        assert_eq!(outline.title, None);
        assert_eq!(outline.topics[0].part.as_deref(), Some("Only part"));
    }

    #[test]
    fn hashes_in_code_blocks_are_not_headings() {
        let outline = parse("### Shell\n```\n# not a heading\n### nor this\n```\n");
        assert_eq!(outline.topics.len(), 1);
        assert!(outline.topics[0].body.contains("# not a heading"));
    }

    #[test]
    fn level_four_headings_stay_in_the_body() {
        let outline = parse("### T\n#### Sub\nbody\n### U\n");
        assert_eq!(outline.topics.len(), 2);
        assert!(outline.topics[0].body.contains("#### Sub"));
    }

    #[test]
    fn empty_headings_are_reported_with_their_line() {
        let outline = parse("### A\n\n###\n");
        assert_eq!(outline.topics.len(), 1);
        assert_eq!(
            outline.problems,
            vec![(
                3,
                "見出しが空です（### の後に文字がありません）".to_string()
            )]
        );
    }
}
