//! The search glossary (`glossary.toml`): English terms and other spellings that lead to the topic whose
//! notes word it differently — "three-way handshake" and "ハンドシェイク" find TCP, "passive mode" finds FTP.

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    term: Vec<Term>,
}

/// One glossary entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Spellings a reader might search for.
    pub words: Vec<String>,
    /// The text as the notes write it, searched in the reader's place.
    pub find: Option<String>,
    /// The topic slug it leads to.
    pub topic: String,
}

/// Parses `glossary.toml`; an error is `(line, message)`.
pub fn parse(text: &str) -> Result<Vec<Term>, (usize, String)> {
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |span| super::manifest::line_at(text, span.start));
        (line, format!("glossary.toml を読めません: {}", e.message()))
    })?;
    Ok(file
        .term
        .into_iter()
        .map(|mut term| {
            term.words = term
                .words
                .iter()
                .map(|w| normalize(w))
                .filter(|w| !w.is_empty())
                .collect();
            term
        })
        .collect())
}

/// NFKC, lower case, single spaces: the form both the query and the glossary words are compared in.
pub fn normalize(text: &str) -> String {
    let folded: String = text.nfkc().collect::<String>().to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entries a normalized query refers to: the query is one of the words, or contains one. Spaces are
/// ignored on both sides, since Japanese is written both ways ("パッシブ モード", "パッシブモード").
pub fn lookup<'a>(terms: &'a [Term], query: &str) -> Vec<&'a Term> {
    let query: String = query.split_whitespace().collect();
    terms
        .iter()
        .filter(|term| {
            term.words.iter().any(|word| {
                let word: String = word.split_whitespace().collect();
                query == word || (word.chars().count() >= 3 && query.contains(word.as_str()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_fold_to_one_form() {
        assert_eq!(
            normalize("  Three-Way   ＨＡＮＤＳＨＡＫＥ "),
            "three-way handshake"
        );
        assert_eq!(normalize("ﾊﾟｯｼﾌﾞﾓｰﾄﾞ"), "パッシブモード");
    }

    #[test]
    fn lookup_by_whole_word_or_contained_word() {
        let terms = parse("[[term]]\nwords = [\"Passive Mode\", \"パッシブモード\"]\nfind = \"パッシブモード\"\ntopic = \"ftp\"\n").unwrap();
        assert_eq!(lookup(&terms, "passive mode").len(), 1);
        assert_eq!(lookup(&terms, "ftp passive mode とは").len(), 1);
        assert!(lookup(&terms, "active").is_empty());
        assert_eq!(
            lookup(&terms, "パッシブ モード").len(),
            1,
            "spaces do not matter"
        );
        assert_eq!(lookup(&terms, "passivemode").len(), 1);
    }
}
