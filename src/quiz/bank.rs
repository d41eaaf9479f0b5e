//! Question banks (`content/quizzes/<slug>.toml`, format in docs/QUIZ_FORMAT.md): parsed into typed
//! questions and checked at load, every problem with its file and line. Each file also labels the
//! misconception tags its questions use (`[tags]`), so instructors read 「ack に受け取った seq をそのまま
//! 入れる」, never `ack-equals-seq`.

use crate::content::Problem;
use crate::content::manifest::line_at;
use crate::content::source::ContentSource;
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

/// An option of a single or multiple choice question.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub text: String,
    pub correct: bool,
    /// Why this option is wrong (wrong options only).
    pub why: Option<String>,
    /// The misconception a learner choosing it reveals (wrong options only).
    pub misconception: Option<String>,
}

/// A known wrong answer to a numeric or text question.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownWrong {
    pub value: String,
    pub why: String,
    pub misconception: String,
}

/// What kind of answer a question takes, with its key.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Single {
        options: Vec<Choice>,
    },
    Multiple {
        options: Vec<Choice>,
    },
    /// `items` in the correct order.
    Order {
        items: Vec<String>,
        misconception: String,
    },
    Numeric {
        answer: f64,
        tolerance: f64,
        unit: String,
        wrong: Vec<KnownWrong>,
    },
    Text {
        answers: Vec<String>,
        wrong: Vec<KnownWrong>,
    },
    Generated {
        generator: crate::quiz::generate::Generator,
    },
}

impl Kind {
    /// The type name used in the bank files and shown to instructors.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Single { .. } => "single",
            Kind::Multiple { .. } => "multiple",
            Kind::Order { .. } => "order",
            Kind::Numeric { .. } => "numeric",
            Kind::Text { .. } => "text",
            Kind::Generated { .. } => "generated",
        }
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub topic: String,
    /// Empty for generated questions (the generator writes it).
    pub prompt: String,
    pub explanation: String,
    pub source: String,
    /// Block id on the topic page this question is about.
    pub section: Option<String>,
    pub kind: Kind,
}

/// Every question of every topic.
#[derive(Debug, Clone, Default)]
pub struct Bank {
    /// Per topic slug, in file order.
    by_topic: HashMap<String, Vec<Question>>,
    /// id → (topic, index).
    by_id: HashMap<String, (String, usize)>,
    /// Misconception tag → its label, from every file's `[tags]`.
    tags: HashMap<String, String>,
}

impl Bank {
    /// The questions of a topic, in order (empty when it has none).
    pub fn topic(&self, slug: &str) -> &[Question] {
        self.by_topic.get(slug).map_or(&[], Vec::as_slice)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        let (topic, i) = self.by_id.get(id)?;
        self.by_topic.get(topic)?.get(*i)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// What search finds of the quizzes: each question's prompt, under its topic — never its options,
    /// answers or explanation. Generated questions have no fixed prompt and are left out.
    pub fn search_docs(&self) -> Vec<crate::content::SearchDoc> {
        let mut docs: Vec<crate::content::SearchDoc> = self
            .by_topic
            .values()
            .flatten()
            .filter(|q| !q.prompt.is_empty())
            .map(|q| crate::content::SearchDoc {
                slug: q.topic.clone(),
                anchor: q.id.clone(),
                kind: crate::content::DocKind::Question,
                text: q.prompt.clone(),
            })
            .collect();
        // The same index for the same banks, whatever order the map gives.
        docs.sort_by(|a, b| a.anchor.cmp(&b.anchor));
        docs
    }

    /// A misconception tag as people read it: its label from the banks' `[tags]` (every tag a question
    /// uses has one: checked at load), or the tag itself for one no bank has any more (an old answer).
    pub fn tag_label<'a>(&'a self, tag: &'a str) -> &'a str {
        self.tags.get(tag).map_or(tag, String::as_str)
    }
}

impl Question {
    /// Every misconception tag this question can record.
    pub fn tags(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Single { options } | Kind::Multiple { options } => options
                .iter()
                .filter_map(|o| o.misconception.as_deref())
                .collect(),
            Kind::Order { misconception, .. } => vec![misconception.as_str()],
            Kind::Numeric { wrong, .. } | Kind::Text { wrong, .. } => {
                wrong.iter().map(|w| w.misconception.as_str()).collect()
            }
            Kind::Generated { .. } => Vec::new(),
        }
    }

    /// The question's text as a list shows it: its prompt, or for a generated question (whose numbers
    /// change with every attempt) the prompt its generator writes for one example seed. The caller says
    /// it is an example (`web::quiz::question_label`).
    pub fn example_prompt(&self) -> std::borrow::Cow<'_, str> {
        match &self.kind {
            Kind::Generated { generator } => generator.instance(0).prompt.into(),
            _ => self.prompt.as_str().into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Misconception tag → the label instructors read.
    #[serde(default)]
    tags: std::collections::BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    question: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    source: String,
    section: Option<String>,
    #[serde(default)]
    options: Vec<RawChoice>,
    #[serde(default)]
    items: Vec<String>,
    misconception: Option<String>,
    answer: Option<f64>,
    tolerance: Option<f64>,
    unit: Option<String>,
    #[serde(default)]
    answers: Vec<String>,
    #[serde(default)]
    wrong: Vec<RawWrong>,
    generator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    text: String,
    #[serde(default)]
    correct: bool,
    why: Option<String>,
    misconception: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWrong {
    value: toml::Value,
    why: String,
    misconception: String,
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Loads every `quizzes/*.toml`; `slugs` are the course's topics.
pub fn load(source: &ContentSource, slugs: &[String]) -> Result<Bank, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut bank = Bank::default();
    let mut first_seen: HashMap<String, String> = HashMap::new();
    for rel in source.list("quizzes", "toml") {
        let path = source.display_path(&rel);
        let mut add = |line: usize, message: String| {
            problems.push(Problem {
                file: path.clone(),
                line,
                message,
            })
        };
        let slug = rel
            .trim_start_matches("quizzes/")
            .trim_end_matches(".toml")
            .to_string();
        if !slugs.contains(&slug) {
            add(
                1,
                format!("トピック \"{slug}\" がありません（ファイル名は quizzes/<slug>.toml）"),
            );
            continue;
        }
        let text = match source.read(&rel) {
            Ok(text) => text,
            Err(e) => {
                add(1, format!("読めません: {e}"));
                continue;
            }
        };
        let file: File = match toml::from_str(&text) {
            Ok(file) => file,
            Err(e) => {
                add(
                    e.span().map_or(1, |s| line_at(&text, s.start)),
                    format!("問題ファイルを読めません: {}", e.message()),
                );
                continue;
            }
        };
        // Labels first: one tag, one meaning across every file.
        for (tag, label) in &file.tags {
            let line = line_at(&text, label.span().start);
            let value = label.get_ref().trim();
            if value.is_empty() || value.contains('\n') {
                add(
                    line,
                    format!("[tags] の \"{tag}\" のラベルは空でない 1 行で書きます"),
                );
                continue;
            }
            match bank.tags.get(tag) {
                Some(other) if other != value => add(
                    line,
                    format!(
                        "[tags] の \"{tag}\" のラベルがほかの問題ファイルと違います（「{other}」）。一つのタグには一つの意味を付けてください"
                    ),
                ),
                _ => {
                    bank.tags.insert(tag.clone(), value.to_string());
                }
            }
        }
        for raw in file.question {
            let line = line_at(&text, raw.id.span().start);
            let id = raw.id.get_ref().clone();
            if let Some(other) = first_seen.get(&id) {
                add(
                    line,
                    format!("id \"{id}\" が重複しています（{other} と同じ）"),
                );
                continue;
            }
            first_seen.insert(id.clone(), format!("{path}:{line}"));
            match convert(raw, &slug) {
                Ok(question) => {
                    // Every tag the question can record is labelled in this file.
                    for tag in question.tags() {
                        if !file.tags.contains_key(tag) {
                            add(
                                line,
                                format!(
                                    "問題 \"{id}\": misconception \"{tag}\" のラベルが [tags] にありません（例: {tag} = \"…と思う\"）"
                                ),
                            );
                        }
                    }
                    let list = bank.by_topic.entry(slug.clone()).or_default();
                    bank.by_id.insert(id, (slug.clone(), list.len()));
                    list.push(question);
                }
                Err(messages) => {
                    for message in messages {
                        add(line, format!("問題 \"{id}\": {message}"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(bank)
    } else {
        Err(problems)
    }
}

fn convert(raw: RawQuestion, topic: &str) -> Result<Question, Vec<String>> {
    let mut errors = Vec::new();
    let id = raw.id.into_inner();
    if !is_valid_id(&id) {
        errors.push("id は英小文字・数字・- で書きます".to_string());
    }
    if raw.explanation.trim().is_empty() {
        errors.push("explanation（解説）がありません".to_string());
    }
    if raw.source.trim().is_empty() {
        errors.push("source（出典）がありません".to_string());
    }
    if raw.kind != "generated" && raw.prompt.trim().is_empty() {
        errors.push("prompt（問題文）がありません".to_string());
    }
    let choices = |errors: &mut Vec<String>| -> Vec<Choice> {
        if raw.options.len() < 2 {
            errors.push("options が 2 つ以上必要です".to_string());
        }
        raw.options
            .iter()
            .map(|o| {
                if !o.correct
                    && (o.why.as_deref().is_none_or(|w| w.trim().is_empty())
                        || o.misconception
                            .as_deref()
                            .is_none_or(|m| m.trim().is_empty()))
                {
                    errors.push(format!(
                        "誤りの選択肢 \"{}\" に why と misconception が必要です",
                        o.text
                    ));
                }
                Choice {
                    text: o.text.clone(),
                    correct: o.correct,
                    why: o.why.clone(),
                    misconception: o.misconception.clone(),
                }
            })
            .collect()
    };
    let wrong = |errors: &mut Vec<String>| -> Vec<KnownWrong> {
        raw.wrong
            .iter()
            .map(|w| {
                let value = match &w.value {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if w.why.trim().is_empty() || w.misconception.trim().is_empty() {
                    errors.push(format!(
                        "wrong の \"{value}\" に why と misconception が必要です"
                    ));
                }
                KnownWrong {
                    value,
                    why: w.why.clone(),
                    misconception: w.misconception.clone(),
                }
            })
            .collect()
    };
    let kind = match raw.kind.as_str() {
        "single" => {
            let options = choices(&mut errors);
            if options.iter().filter(|o| o.correct).count() != 1 {
                errors.push(
                    "single は正解の選択肢（correct = true）がちょうど 1 つ必要です".to_string(),
                );
            }
            Kind::Single { options }
        }
        "multiple" => {
            let options = choices(&mut errors);
            if !options.iter().any(|o| o.correct) {
                errors.push("multiple は正解の選択肢が 1 つ以上必要です".to_string());
            }
            Kind::Multiple { options }
        }
        "order" => {
            let mut distinct = raw.items.clone();
            distinct.sort();
            distinct.dedup();
            if raw.items.len() < 3 || distinct.len() != raw.items.len() {
                errors.push("order は互いに異なる items が 3 つ以上必要です".to_string());
            }
            if raw
                .misconception
                .as_deref()
                .is_none_or(|m| m.trim().is_empty())
            {
                errors
                    .push("order は misconception（並べ間違えたときのタグ）が必要です".to_string());
            }
            Kind::Order {
                items: raw.items.clone(),
                misconception: raw.misconception.clone().unwrap_or_default(),
            }
        }
        "numeric" => match raw.answer {
            Some(answer) => Kind::Numeric {
                answer,
                tolerance: raw.tolerance.unwrap_or(0.0).abs(),
                unit: raw.unit.clone().unwrap_or_default(),
                wrong: wrong(&mut errors),
            },
            None => {
                errors.push("numeric は answer が必要です".to_string());
                Kind::Numeric {
                    answer: 0.0,
                    tolerance: 0.0,
                    unit: String::new(),
                    wrong: Vec::new(),
                }
            }
        },
        "text" => {
            if raw.answers.iter().all(|a| a.trim().is_empty()) {
                errors.push("text は answers が 1 つ以上必要です".to_string());
            }
            Kind::Text {
                answers: raw.answers.clone(),
                wrong: wrong(&mut errors),
            }
        }
        "generated" => match raw
            .generator
            .as_deref()
            .and_then(crate::quiz::generate::Generator::from_name)
        {
            Some(generator) => Kind::Generated { generator },
            None => {
                errors.push(format!(
                    "generator は {} のどれかです",
                    crate::quiz::generate::Generator::all()
                        .map(|g| g.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                return Err(errors);
            }
        },
        other => {
            errors.push(format!(
                "type \"{other}\" はありません（single, multiple, order, numeric, text, generated）"
            ));
            return Err(errors);
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Question {
        id,
        topic: topic.to_string(),
        prompt: raw.prompt.trim().to_string(),
        explanation: raw.explanation.trim().to_string(),
        source: raw.source.trim().to_string(),
        section: raw.section.filter(|s| !s.trim().is_empty()),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("quizzes")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("quizzes").join(name), text).unwrap();
        }
        dir
    }

    const GOOD: &str = r#"
[tags]
m = "m と思う"
o = "順序を取り違える"

[[question]]
id = "tcp-a"
type = "single"
prompt = "p"
explanation = "e"
source = "RFC 9293"
options = [{ text = "x", correct = true }, { text = "y", why = "w", misconception = "m" }]

[[question]]
id = "tcp-b"
type = "order"
prompt = "p"
explanation = "e"
source = "s"
items = ["SYN", "SYN+ACK", "ACK"]
misconception = "o"
"#;

    #[test]
    fn a_good_bank_loads() {
        let dir = dir_with(&[("tcp.toml", GOOD)]);
        let bank = load(&ContentSource::Dir(dir.path().into()), &["tcp".into()]).unwrap();
        assert_eq!(bank.len(), 2);
        assert_eq!(bank.topic("tcp")[1].kind.name(), "order");
        assert_eq!(bank.question("tcp-a").unwrap().topic, "tcp");
    }

    #[test]
    fn every_misconception_tag_needs_one_label() {
        let unlabelled = r#"
[tags]
m = "m と思う"

[[question]]
id = "ftp-a"
type = "numeric"
prompt = "p"
explanation = "e"
source = "s"
answer = 1
wrong = [{ value = 2, why = "w", misconception = "nolabel" }]

[[question]]
id = "ftp-b"
type = "order"
prompt = "p"
explanation = "e"
source = "s"
items = ["a", "b", "c"]
"#;
        let clash = r#"
[tags]
m = "別の意味"
"#;
        let dir = dir_with(&[
            ("tcp.toml", GOOD),
            ("ftp.toml", unlabelled),
            ("icmp.toml", clash),
        ]);
        let problems = load(
            &ContentSource::Dir(dir.path().into()),
            &["tcp".into(), "ftp".into(), "icmp".into()],
        )
        .unwrap_err();
        let found = |file: &str, line: usize, words: &[&str]| {
            problems.iter().any(|p| {
                p.file.ends_with(file)
                    && p.line == line
                    && words.iter().all(|w| p.message.contains(w))
            })
        };
        assert!(
            found("ftp.toml", 6, &["ftp-a", "nolabel", "[tags]"]),
            "a tag without a label names its question and tag: {problems:?}"
        );
        assert!(
            found("ftp.toml", 15, &["order", "misconception"]),
            "an order question needs its tag: {problems:?}"
        );
        assert!(
            found("icmp.toml", 3, &["\"m\"", "m と思う"]),
            "one tag, one label across files: {problems:?}"
        );
        // The labels are what people read.
        let dir = dir_with(&[("tcp.toml", GOOD)]);
        let bank = load(&ContentSource::Dir(dir.path().into()), &["tcp".into()]).unwrap();
        assert_eq!(bank.tag_label("m"), "m と思う");
        assert_eq!(bank.tag_label("gone"), "gone", "an old answer's tag");
        assert_eq!(bank.question("tcp-a").unwrap().tags(), vec!["m"]);
    }

    #[test]
    fn every_rule_is_reported_with_file_and_line() {
        let bad = r#"
[[question]]
id = "tcp-a"
type = "single"
prompt = "p"
explanation = "e"
source = "s"
options = [{ text = "x", correct = true }, { text = "y", correct = true }]

[[question]]
id = "tcp-b"
type = "single"
prompt = "p"
explanation = ""
source = "s"
options = [{ text = "x", correct = true }, { text = "y" }]

[[question]]
id = "tcp-c"
type = "order"
prompt = "p"
explanation = "e"
source = "s"
items = ["a", "a", "b"]

[[question]]
id = "tcp-d"
type = "riddle"
prompt = "p"
explanation = "e"
source = "s"
"#;
        let dir = dir_with(&[("tcp.toml", GOOD), ("ftp.toml", bad), ("nope.toml", GOOD)]);
        let problems = load(
            &ContentSource::Dir(dir.path().into()),
            &["tcp".into(), "ftp".into()],
        )
        .unwrap_err();
        let lines: Vec<(String, usize)> = problems
            .iter()
            .map(|p| (p.file.rsplit('/').next().unwrap().to_string(), p.line))
            .collect();
        assert!(
            lines.contains(&("ftp.toml".into(), 3)),
            "two correct options: {problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.line == 7 && p.message.contains("tcp-a") && p.message.contains("重複")),
            "duplicate id across files"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.line == 11 && p.message.contains("explanation"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.line == 11 && p.message.contains("why と misconception"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.line == 19 && p.message.contains("order"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.line == 27 && p.message.contains("riddle"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.file.ends_with("nope.toml") && p.message.contains("トピック"))
        );
    }
}
