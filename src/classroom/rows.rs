//! Row codecs: how the class queries pack a member's many records into one row, and how they are read
//! back. sqlx's SQLite driver costs about 10 µs per row (each crosses a thread and copies its values), so
//! the queries in `store::analysis` and `store::class_stats` return one row per member, not one per
//! answer; this module is the other half of those queries' `group_concat` and `json_group_array`.
//!
//! Two packings:
//! * separators: records split by RS ([`RECORD`], U+001E, `char(30)` in SQL) and fields by US
//!   ([`FIELD`], U+001F, `char(31)`) — characters no slug, id or JSON text contains;
//! * JSON: an array of answer arrays ([`ExportLearner`]), or an object of counts per topic
//!   ([`mastered_by_topic`]).

use serde::Deserialize;
use std::collections::HashMap;

/// Separates packed records.
pub const RECORD: char = '\u{1e}';
/// Separates the fields of a packed record.
pub const FIELD: char = '\u{1f}';

/// The records of a packed string, each as its fields; an empty string has none.
pub fn unpack(packed: &str) -> impl Iterator<Item = Vec<&str>> {
    packed
        .split(RECORD)
        .filter(|r| !r.is_empty())
        .map(|r| r.split(FIELD).collect())
}

/// A member's `topic US count` records (mastered questions per topic); a malformed record is skipped.
pub fn topic_counts(packed: &str) -> impl Iterator<Item = (&str, i64)> {
    unpack(packed).filter_map(|fields| match fields[..] {
        [topic, count] => count.parse().ok().map(|count| (topic, count)),
        _ => None,
    })
}

/// A member's `topic` records (the topics they have started).
pub fn topics(packed: &str) -> impl Iterator<Item = &str> {
    unpack(packed).filter_map(|fields| fields.first().copied())
}

/// One answer of a member to a question of a topic, borrowed from [`LearnerAnswers`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicAnswer<'a> {
    pub question_id: &'a str,
    pub correct: bool,
    /// As stored (JSON of `quiz::grade::Response`).
    pub response: &'a str,
    pub misconception: Option<&'a str>,
}

/// A member's answers to one topic's questions, oldest first (by attempt time, then attempt id): the
/// first answer to a question is the first one [`LearnerAnswers::answers`] yields. A packed answer is
/// `question_id US correct US response US misconception`: ids are `[a-z0-9-]`, a response is JSON (which
/// escapes every control character), and the misconception, last, has RS replaced by the query.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerAnswers {
    pub user_id: i64,
    /// The display name, or the login name when that is empty.
    pub name: String,
    packed: String,
}

impl LearnerAnswers {
    /// A member's answers as the query packs them.
    pub fn from_packed(user_id: i64, name: String, packed: String) -> Self {
        LearnerAnswers {
            user_id,
            name,
            packed,
        }
    }

    /// Packs answers the way the query does (for tests and callers that have answers in hand).
    pub fn new(user_id: i64, name: &str, answers: &[TopicAnswer]) -> Self {
        let packed = answers
            .iter()
            .map(|a| {
                format!(
                    "{}{FIELD}{}{FIELD}{}{FIELD}{}",
                    a.question_id,
                    u8::from(a.correct),
                    a.response,
                    a.misconception.unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(&RECORD.to_string());
        LearnerAnswers::from_packed(user_id, name.to_string(), packed)
    }

    /// The answers, oldest first, read in place (nothing is copied).
    pub fn answers(&self) -> impl Iterator<Item = TopicAnswer<'_>> {
        self.packed.split(RECORD).filter_map(|packed| {
            let mut fields = packed.splitn(4, FIELD);
            let question_id = fields.next()?;
            let correct = fields.next()? != "0";
            let response = fields.next()?;
            let misconception = fields.next().filter(|m| !m.is_empty());
            Some(TopicAnswer {
                question_id,
                correct,
                response,
                misconception,
            })
        })
    }
}

/// One answer, for the all-answers export (an element of [`ExportLearner`]'s packed array).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExportAnswer {
    pub attempt_id: i64,
    pub topic: String,
    pub created_at: i64,
    pub question_id: String,
    pub response: String,
    #[serde(deserialize_with = "int_bool")]
    pub correct: bool,
    pub misconception: Option<String>,
    pub time_ms: i64,
}

/// SQLite's 0/1 as a bool.
fn int_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

/// A member and all their answers, by topic, time and position.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportLearner {
    pub name: String,
    pub display_name: String,
    pub answers: Vec<ExportAnswer>,
}

impl ExportLearner {
    /// A member with their answers packed as a JSON array of
    /// `[attempt_id, topic, created_at, question_id, response, correct, misconception, time_ms]`.
    pub fn from_json(
        name: String,
        display_name: String,
        answers: &str,
    ) -> Result<Self, serde_json::Error> {
        Ok(ExportLearner {
            name,
            display_name,
            answers: serde_json::from_str(answers)?,
        })
    }
}

/// Questions mastered per topic, packed as a JSON object `{"tcp": 3, …}` (topics without progress are
/// absent). Anything unreadable reads as nothing mastered.
pub fn mastered_by_topic(json: &str) -> HashMap<String, i64> {
    serde_json::from_str(json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rows_unpack() {
        let rows: Vec<Vec<&str>> = unpack("tcp\u{1f}3\u{1e}icmp\u{1f}0").collect();
        assert_eq!(rows, [vec!["tcp", "3"], vec!["icmp", "0"]]);
        assert_eq!(unpack("").count(), 0);
        let counts: Vec<(&str, i64)> =
            topic_counts("tcp\u{1f}3\u{1e}bad\u{1e}icmp\u{1f}x").collect();
        assert_eq!(counts, [("tcp", 3)]);
        assert_eq!(topics("tcp\u{1e}icmp").collect::<Vec<_>>(), ["tcp", "icmp"]);
    }

    #[test]
    fn answers_pack_and_read_back_in_order() {
        let answers = [
            TopicAnswer {
                question_id: "q1",
                correct: false,
                response: r#"{"type":"choice","value":[1]}"#,
                misconception: Some("m"),
            },
            TopicAnswer {
                question_id: "q1",
                correct: true,
                response: r#"{"type":"text","value":"a\u001fb"}"#,
                misconception: None,
            },
        ];
        let packed = LearnerAnswers::new(7, "aki", &answers);
        assert_eq!(packed.answers().collect::<Vec<_>>(), answers);
    }

    #[test]
    fn exports_read_their_json() {
        let learner = ExportLearner::from_json(
            "aki".into(),
            "あき".into(),
            r#"[[5, "tcp", 100, "q1", "{\"type\":\"blank\"}", 0, null, 1500]]"#,
        )
        .unwrap();
        assert_eq!(learner.answers[0].attempt_id, 5);
        assert!(!learner.answers[0].correct);
        assert_eq!(learner.answers[0].misconception, None);
        assert!(ExportLearner::from_json("a".into(), "b".into(), "[").is_err());
        assert_eq!(mastered_by_topic(r#"{"tcp": 3}"#)["tcp"], 3);
        assert!(mastered_by_topic("oops").is_empty());
    }
}
