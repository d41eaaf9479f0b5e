//! Search over the course: query rules (normalisation, length limits), which index to ask (trigram FTS5,
//! or LIKE for 1–2 character terms), the glossary, and snippets with the match highlighted. The SQL is in
//! [`crate::store::search`].

use crate::content::glossary::{self, normalize};
use crate::content::markdown::escape_html;
use crate::content::{Course, DocKind};
use crate::store;
use sqlx::SqlitePool;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// At most this many words are used from a query.
const MAX_TERMS: usize = 8;
const MAX_HITS: i64 = 50;

/// Why a query was not run.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryError {
    Empty,
    TooLong(usize),
}

impl QueryError {
    /// The message shown to the reader, in the course's language.
    pub fn message(&self, language: crate::content::Language) -> String {
        use crate::content::Language::En;
        match (self, language) {
            (QueryError::Empty, En) => "Type something to search for.".to_string(),
            (QueryError::Empty, _) => "検索語を入力してください。".to_string(),
            (QueryError::TooLong(n), En) => {
                format!("The query is too long ({n} characters). Use at most {MAX_QUERY_CHARS}.")
            }
            (QueryError::TooLong(n), _) => format!(
                "検索語が長すぎます（{n} 文字）。{MAX_QUERY_CHARS} 文字以内で入力してください。"
            ),
        }
    }
}

/// A query ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// NFKC, lower-cased, single-spaced.
    pub normalized: String,
    /// Distinct words, at most [`MAX_TERMS`].
    pub terms: Vec<String>,
}

/// Checks and normalizes what the reader typed.
pub fn parse_query(raw: &str) -> Result<Query, QueryError> {
    let chars = raw.trim().chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(chars));
    }
    // Control characters are never search text, and a NUL would end FTS5's string early ("unterminated
    // string"): they separate words like spaces.
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let normalized = normalize(&cleaned);
    if normalized.is_empty() {
        return Err(QueryError::Empty);
    }
    let mut terms: Vec<String> = Vec::new();
    for word in normalized.split(' ') {
        if !terms.iter().any(|t| t == word) && terms.len() < MAX_TERMS {
            terms.push(word.to_string());
        }
    }
    Ok(Query { normalized, terms })
}

/// One result line.
#[derive(Debug, Clone)]
pub struct ResultItem {
    pub href: String,
    pub topic_title: String,
    pub kind_label: &'static str,
    /// Escaped text with `<mark>` around the matches.
    pub snippet_html: String,
}

/// A glossary entry the query matched.
#[derive(Debug, Clone)]
pub struct GlossaryHit {
    pub words: String,
    pub href: String,
    pub topic_title: String,
}

/// Everything the results page shows.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub glossary: Vec<GlossaryHit>,
    pub items: Vec<ResultItem>,
    /// The LIKE scan was used because a term was shorter than three characters.
    pub used_like: bool,
}

/// Runs a query: the reader's own words, then the notes' wording of any glossary term it names.
pub async fn run(
    pool: &SqlitePool,
    course: &Course,
    query: &Query,
) -> Result<Results, sqlx::Error> {
    let mut results = Results::default();
    let mut highlight_terms = query.terms.clone();
    let mut extra_queries: Vec<Vec<String>> = Vec::new();
    for term in glossary::lookup(&course.glossary, &query.normalized) {
        let Some(topic) = course.topic(&term.topic) else {
            continue;
        };
        results.glossary.push(GlossaryHit {
            words: term.words.join(" / "),
            href: format!("/topics/{}", topic.slug),
            topic_title: topic.title.clone(),
        });
        if let Some(find) = &term.find {
            let words: Vec<String> = normalize(find).split(' ').map(str::to_string).collect();
            highlight_terms.extend(words.iter().cloned());
            extra_queries.push(words);
        }
    }

    let mut hits = Vec::new();
    for terms in std::iter::once(&query.terms).chain(extra_queries.iter()) {
        let short = terms.iter().any(|t| t.chars().count() < 3);
        results.used_like |= short;
        let found = if short {
            store::search::find_like(pool, terms, MAX_HITS).await?
        } else {
            store::search::find_fts(pool, terms, MAX_HITS).await?
        };
        for hit in found {
            if !hits
                .iter()
                .any(|h: &store::search::Hit| h.slug == hit.slug && h.anchor == hit.anchor)
            {
                hits.push(hit);
            }
        }
    }

    for hit in hits.into_iter().take(MAX_HITS as usize) {
        let Some(topic) = course.topic(&hit.slug) else {
            continue;
        };
        let words = course.language.words();
        let kind_label = match hit.kind.as_str() {
            k if k == DocKind::Title.as_str() => words.heading_kind,
            k if k == DocKind::Annotation.as_str() => words.annotation,
            k if k == DocKind::Supplement.as_str() => words.supplement_kind,
            k if k == DocKind::Widget.as_str() => words.widget_kind,
            k if k == DocKind::Question.as_str() => words.question_kind,
            _ => words.notes,
        };
        results.items.push(ResultItem {
            href: if hit.kind == DocKind::Question.as_str() {
                // The quiz with just this question (as a retry of it).
                format!("/topics/{}/quiz?only={}", topic.slug, hit.anchor)
            } else if hit.anchor.is_empty() {
                format!("/topics/{}", topic.slug)
            } else {
                format!("/topics/{}#{}", topic.slug, hit.anchor)
            },
            topic_title: topic.title.clone(),
            kind_label,
            snippet_html: snippet(&hit.body, &highlight_terms),
        });
    }
    Ok(results)
}

/// About 100 characters of `text` around the first match, escaped, every match in `<mark>`.
pub fn snippet(text: &str, terms: &[String]) -> String {
    const BEFORE: usize = 30;
    const WINDOW: usize = 110;
    let lower = text.to_ascii_lowercase();
    let first = terms
        .iter()
        .filter_map(|t| lower.find(t.as_str()))
        .min()
        .unwrap_or(0);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let first_char = chars.iter().position(|&(at, _)| at >= first).unwrap_or(0);
    let start_char = first_char.saturating_sub(BEFORE);
    let end_char = (start_char + WINDOW).min(chars.len());
    let start = chars.get(start_char).map_or(0, |&(at, _)| at);
    let end = chars.get(end_char).map_or(text.len(), |&(at, _)| at);
    let window = &text[start..end];
    let window_lower = &lower[start..end];

    // Matched byte ranges inside the window, merged.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for term in terms.iter().filter(|t| !t.is_empty()) {
        let mut from = 0;
        while let Some(at) = window_lower[from..].find(term.as_str()) {
            ranges.push((from + at, from + at + term.len()));
            from += at + term.len();
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }

    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = 0;
    for (s, e) in merged {
        out.push_str(&escape_html(&window[at..s]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&window[s..e]));
        out.push_str("</mark>");
        at = e;
    }
    out.push_str(&escape_html(&window[at..]));
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_normalized_and_bounded() {
        assert_eq!(
            parse_query("  ＳＹＮ   ack ").unwrap().terms,
            vec!["syn", "ack"]
        );
        assert_eq!(parse_query("   "), Err(QueryError::Empty));
        assert_eq!(
            parse_query(&"あ".repeat(101)),
            Err(QueryError::TooLong(101))
        );
        assert!(parse_query(&"あ".repeat(100)).is_ok());
    }

    #[test]
    fn snippets_mark_every_match_and_escape_the_rest() {
        let s = snippet("<b>SYN</b> then syn again", &["syn".to_string()]);
        assert_eq!(
            s,
            "&lt;b&gt;<mark>SYN</mark>&lt;/b&gt; then <mark>syn</mark> again"
        );
    }

    #[test]
    fn long_texts_are_cut_around_the_match() {
        let text = format!("{}親子{}", "あ".repeat(200), "い".repeat(200));
        let s = snippet(&text, &["親子".to_string()]);
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert!(s.contains("<mark>親子</mark>"));
        assert!(s.chars().count() < 140);
    }
}
