//! The aggregates behind the instructor's class views, as plain data and rules: what one learner's
//! answers add up to per topic ([`TopicAgg`]) and per question ([`QuestionAgg`]), updated answer by answer
//! ([`apply_answer`]), and what a learner contributes to the sums kept for each class they are in
//! ([`topic_contributions`], [`question_contributions`]). A class's figures are the sums of its members'
//! contributions, so `store::aggregates` keeps them by adding what an attempt changes, what a member who
//! joins brings, and taking away what one who leaves took — never by reading the class's history again.
//!
//! The definitions are those of `classroom::item_stats` (first answers, options, misconceptions, wrong
//! responses, the score that ranks learners) and `classroom::needs_help` (misses over 14 days);
//! `tests/aggregates.rs` checks the sums against those rules run over the whole history.

use crate::classroom::item_stats::{Shape, shape};
use crate::classroom::needs_help::{MISS_WINDOW_DAYS, is_miss};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// Bit positions of a topic's questions in [`TopicAgg::answered_first`]: at most this many per topic.
pub const MAX_BITS: i64 = 64;

/// Separates the parts of a class sum's scope (topic, question).
pub const SEP: char = '\u{1f}';

/// One learner's attempts on one topic, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicAgg {
    pub attempts: i64,
    /// The newest attempt counted: (time, id). One older than it arriving later is counted by
    /// rebuilding the topic from the history, so "first answer" keeps meaning the earliest.
    pub last_at: i64,
    pub last_attempt_id: i64,
    /// Questions in the mastered box now (`question_progress`; a topic reset clears it).
    pub mastered: i64,
    /// Questions whose first answer was right: the learner's score for the discrimination index.
    pub score: i64,
    /// First answers given (bit per question, `topic_question.bit`) and those that were right.
    pub answered_first: u64,
    pub right_first: u64,
    /// Wrong answers per misconception key ([`tag_key`]), over the topic.
    pub tags: BTreeMap<String, i64>,
}

/// One learner's answers to one question, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionAgg {
    #[serde(skip)]
    pub answers: i64,
    #[serde(skip)]
    pub correct: i64,
    #[serde(skip)]
    pub first_correct: bool,
    /// Times each option (bank index) was chosen.
    #[serde(default, rename = "o", skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<usize, i64>,
    /// Wrong answers per misconception key ([`tag_key`]).
    #[serde(default, rename = "t", skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, i64>,
    /// Wrong typed responses (as stored), and how often each came with a tag ([`response_tag_key`]).
    #[serde(default, rename = "r", skip_serializing_if = "BTreeMap::is_empty")]
    pub responses: BTreeMap<String, i64>,
    #[serde(default, rename = "rt", skip_serializing_if = "BTreeMap::is_empty")]
    pub response_tags: BTreeMap<String, i64>,
}

impl QuestionAgg {
    /// The tallies as stored in `learner_question.extra`.
    pub fn extra_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The tallies of a topic as stored in `learner_topic.extra`.
pub fn topic_extra_json(t: &TopicAgg) -> String {
    serde_json::to_string(&t.tags).unwrap_or_else(|_| "{}".into())
}

/// A wrong answer's misconception as one key: `[blank, tag]` in JSON (`item_stats` keys its counts by
/// the same pair).
pub fn tag_key(blank: bool, tag: Option<&str>) -> String {
    serde_json::to_string(&(blank, tag)).unwrap_or_default()
}

/// [`tag_key`] read back.
pub fn parse_tag_key(key: &str) -> Option<(bool, Option<String>)> {
    serde_json::from_str(key).ok()
}

/// A wrong typed response and the tag it came with, as one key.
pub fn response_tag_key(response: &str, tag: &str) -> String {
    serde_json::to_string(&(response, tag)).unwrap_or_default()
}

/// [`response_tag_key`] read back.
pub fn parse_response_tag_key(key: &str) -> Option<(String, String)> {
    serde_json::from_str(key).ok()
}

/// The scope of a question's class sums: topic and question id.
pub fn question_scope(topic: &str, question_id: &str) -> String {
    format!("{topic}{SEP}{question_id}")
}

/// One answer, as stored.
#[derive(Debug, Clone, Copy)]
pub struct AnswerFact<'a> {
    pub question_id: &'a str,
    pub response: &'a str,
    pub correct: bool,
    pub misconception: Option<&'a str>,
}

/// Counts one answer (answers of one learner and topic come oldest first). `bit` is the question's bit
/// position in the topic, `None` past [`MAX_BITS`].
pub fn apply_answer(
    topic: &mut TopicAgg,
    question: &mut QuestionAgg,
    bit: Option<i64>,
    a: &AnswerFact,
) {
    let first = question.answers == 0;
    question.answers += 1;
    question.correct += i64::from(a.correct);
    if first {
        question.first_correct = a.correct;
        topic.score += i64::from(a.correct);
        if let Some(bit) = bit.filter(|b| (0..MAX_BITS).contains(b)) {
            topic.answered_first |= 1 << bit;
            if a.correct {
                topic.right_first |= 1 << bit;
            }
        }
    }
    let shape = shape(a.response);
    if let Shape::Choice(chosen) = &shape {
        for (n, &option) in chosen.iter().enumerate() {
            if !chosen[..n].contains(&option) {
                *question.options.entry(option).or_default() += 1;
            }
        }
    }
    if a.correct {
        return;
    }
    let key = tag_key(shape == Shape::Blank, a.misconception);
    *question.tags.entry(key.clone()).or_default() += 1;
    *topic.tags.entry(key).or_default() += 1;
    if shape == Shape::Typed {
        *question
            .responses
            .entry(a.response.to_string())
            .or_default() += 1;
        if let Some(tag) = a.misconception {
            *question
                .response_tags
                .entry(response_tag_key(a.response, tag))
                .or_default() += 1;
        }
    }
}

/// What a member adds to one of their class's sums: `n` and `m` are added up over the members, and the
/// member counts among the sum's `learners` when their `n` is above 0. The scope is shared by a question's
/// contributions and the key borrowed from the aggregates where it can be: the attempt writer makes two
/// lists per learner and batch, and their allocations were a large part of its time (`bench/quiz.sh`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution<'a> {
    pub kind: &'static str,
    pub scope: Rc<str>,
    pub key: Cow<'a, str>,
    pub n: i64,
    pub m: i64,
}

fn push<'a>(
    out: &mut Vec<Contribution<'a>>,
    kind: &'static str,
    scope: &Rc<str>,
    key: Cow<'a, str>,
    n: i64,
    m: i64,
) {
    out.push(Contribution {
        kind,
        scope: Rc::clone(scope),
        key,
        n,
        m,
    });
}

/// A member's contributions from one topic (`answered`: they have answered at least one of its
/// questions, which ranks them for the discrimination index):
/// * `topic`: attempts (learners: members who started the topic);
/// * `mastered`: mastered questions now;
/// * `rank`, keyed by score: 1 (learners per score);
/// * `topic_tag`, per misconception key: wrong answers.
pub fn topic_contributions<'a>(
    topic: &str,
    t: &'a TopicAgg,
    answered: bool,
    out: &mut Vec<Contribution<'a>>,
) {
    let scope: Rc<str> = topic.into();
    push(out, "topic", &scope, Cow::Borrowed(""), t.attempts, 0);
    push(out, "mastered", &scope, Cow::Borrowed(""), t.mastered, 0);
    if answered {
        push(out, "rank", &scope, t.score.to_string().into(), 1, 0);
    }
    for (key, &times) in &t.tags {
        push(out, "topic_tag", &scope, Cow::Borrowed(key), times, 0);
    }
}

/// A member's contributions from one question, while their topic score is `score`:
/// * `q`: answers and right answers (learners: members who answered it);
/// * `qrank`, keyed by score: 1 and whether the first answer was right;
/// * `option`, per option: times chosen; `tag`, per misconception key: wrong answers;
/// * `response`, per wrong typed response: times; `response_tag`, per response and tag: times.
pub fn question_contributions<'a>(
    topic: &str,
    question_id: &str,
    q: &'a QuestionAgg,
    score: i64,
    out: &mut Vec<Contribution<'a>>,
) {
    if q.answers == 0 {
        return;
    }
    let scope: Rc<str> = question_scope(topic, question_id).into();
    push(out, "q", &scope, Cow::Borrowed(""), q.answers, q.correct);
    push(
        out,
        "qrank",
        &scope,
        score.to_string().into(),
        1,
        i64::from(q.first_correct),
    );
    for (option, &times) in &q.options {
        push(out, "option", &scope, option.to_string().into(), times, 0);
    }
    for (key, &times) in &q.tags {
        push(out, "tag", &scope, Cow::Borrowed(key), times, 0);
    }
    for (response, &times) in &q.responses {
        push(out, "response", &scope, Cow::Borrowed(response), times, 0);
    }
    for (key, &times) in &q.response_tags {
        push(out, "response_tag", &scope, Cow::Borrowed(key), times, 0);
    }
}

/// A change to one class sum: (kind, scope, key, change of `n`, of `m`, of `learners`), borrowing the
/// contributions it was computed from.
pub type SumChange<'c> = (&'static str, &'c str, &'c str, i64, i64, i64);

/// The change to a class's sums when a member's contributions go from `before` to `after`: per
/// (kind, scope, key), the change of `n`, of `m`, and of `learners`. Zero changes are left out; the rest
/// come sorted, so the sums are written in one order whatever the hasher's seed.
pub fn difference<'c>(
    before: &'c [Contribution<'_>],
    after: &'c [Contribution<'_>],
) -> Vec<SumChange<'c>> {
    let mut delta: foldhash::HashMap<(&'static str, &'c str, &'c str), (i64, i64, i64)> =
        foldhash::HashMap::with_capacity_and_hasher(
            before.len().max(after.len()),
            foldhash::fast::RandomState::default(),
        );
    for (list, sign) in [(before, -1), (after, 1)] {
        for c in list {
            let d = delta.entry((c.kind, &*c.scope, &*c.key)).or_default();
            d.0 += sign * c.n;
            d.1 += sign * c.m;
            d.2 += sign * i64::from(c.n > 0);
        }
    }
    let mut out: Vec<SumChange<'c>> = delta
        .into_iter()
        .filter(|(_, d)| *d != (0, 0, 0))
        .map(|((kind, scope, key), (n, m, l))| (kind, scope, key, n, m, l))
        .collect();
    out.sort_unstable();
    out
}

/// Misses per day ahead, for "needs help": `days` are one learner's (topic, day, answered, wrong) for the
/// days up to `base` (the day of their latest attempt). For each of the [`MISS_WINDOW_DAYS`] days from
/// `base` on, the number of topics that count as a miss over the window ending that day (at most 3: two
/// are named, the rest counted), 2 bits a day. Nothing is answered after `base` until the next attempt,
/// which computes this again, so the counts stay true while days pass.
pub fn miss_counts(base: i64, days: &[(String, i64, i64, i64)]) -> i64 {
    let mut packed = 0i64;
    for ahead in 0..MISS_WINDOW_DAYS {
        let end = base + ahead;
        let start = end - MISS_WINDOW_DAYS + 1;
        let mut per_topic: HashMap<&str, (i64, i64)> = HashMap::new();
        for (topic, day, answered, wrong) in days {
            if (start..=end).contains(day) {
                let t = per_topic.entry(topic.as_str()).or_default();
                t.0 += answered;
                t.1 += wrong;
            }
        }
        let count = per_topic
            .values()
            .filter(|(answered, wrong)| is_miss(*answered, *wrong))
            .count()
            .min(3) as i64;
        packed |= count << (2 * ahead);
    }
    packed
}

/// The topics counted as misses on `today` by [`miss_counts`] packed from `base` (0 outside its days).
pub fn misses_on(base: i64, packed: i64, today: i64) -> i64 {
    let ahead = today - base;
    if (0..MISS_WINDOW_DAYS).contains(&ahead) {
        (packed >> (2 * ahead)) & 3
    } else {
        0
    }
}

/// The SQL expression of [`misses_on`] over `class_learner`'s columns, with `today` the parameter bound to
/// it (`?4`). PostgreSQL (`postgres`) shifts a bigint only by an integer: the shift is cast there.
pub fn misses_on_sql(today: &str, postgres: bool) -> String {
    let shift = format!("2 * ({today} - miss_day)");
    let shift = if postgres {
        format!("cast({shift} as integer)")
    } else {
        shift
    };
    format!(
        "(case when {today} - miss_day between 0 and {last} then (miss_counts >> ({shift})) & 3 else 0 end)",
        last = MISS_WINDOW_DAYS - 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer<'a>(
        q: &'a str,
        response: &'a str,
        correct: bool,
        tag: Option<&'a str>,
    ) -> AnswerFact<'a> {
        AnswerFact {
            question_id: q,
            response,
            correct,
            misconception: tag,
        }
    }

    #[test]
    fn first_answers_set_the_score_and_the_bits_once() {
        let mut t = TopicAgg::default();
        let mut q1 = QuestionAgg::default();
        let mut q2 = QuestionAgg::default();
        let right = r#"{"type":"choice","value":[0]}"#;
        let wrong = r#"{"type":"choice","value":[1,1]}"#;
        apply_answer(
            &mut t,
            &mut q1,
            Some(0),
            &answer("q1", wrong, false, Some("m")),
        );
        apply_answer(&mut t, &mut q2, Some(1), &answer("q2", right, true, None));
        apply_answer(&mut t, &mut q1, Some(0), &answer("q1", right, true, None));
        assert_eq!((t.score, t.answered_first, t.right_first), (1, 0b11, 0b10));
        assert_eq!((q1.answers, q1.correct, q1.first_correct), (2, 1, false));
        // An option named twice in one answer counts once.
        assert_eq!(q1.options, BTreeMap::from([(0, 1), (1, 1)]));
        assert_eq!(t.tags[&tag_key(false, Some("m"))], 1);
        let tallies: QuestionAgg = serde_json::from_str(&q1.extra_json()).unwrap();
        assert_eq!(
            (tallies.options, tallies.tags),
            (q1.options.clone(), q1.tags.clone())
        );
    }

    #[test]
    fn typed_wrong_answers_keep_the_response_and_its_tag() {
        let mut t = TopicAgg::default();
        let mut q = QuestionAgg::default();
        let typed = r#"{"type":"text","value":"LISTEN"}"#;
        apply_answer(
            &mut t,
            &mut q,
            Some(70),
            &answer("q", typed, false, Some("listen")),
        );
        apply_answer(
            &mut t,
            &mut q,
            None,
            &answer("q", r#"{"type":"blank"}"#, false, None),
        );
        assert_eq!(q.responses[typed], 1);
        assert_eq!(q.response_tags[&response_tag_key(typed, "listen")], 1);
        assert_eq!(q.tags[&tag_key(true, None)], 1);
        // Past the bit sets' size: counted in the score, not in the bits.
        assert_eq!((t.answered_first, t.score), (0, 0));
    }

    #[test]
    fn a_difference_counts_learners_who_start_or_stop_counting() {
        let c = |kind, n, m| Contribution {
            kind,
            scope: "tcp".into(),
            key: "".into(),
            n,
            m,
        };
        let (before, after) = (
            [c("topic", 2, 0), c("mastered", 0, 0)],
            [c("topic", 3, 0), c("mastered", 1, 0)],
        );
        let d = difference(&before, &after);
        assert_eq!(
            d,
            vec![
                ("mastered", "tcp", "", 1, 0, 1),
                ("topic", "tcp", "", 1, 0, 0),
            ]
        );
        assert_eq!(difference(&[c("topic", 2, 0)], &[])[0].5, -1);
    }

    #[test]
    fn misses_age_out_day_by_day() {
        // Day 100: 4 wrong of 5 on tcp; day 105: 3 right of 3 on tcp; day 110: 3 wrong of 3 on ftp.
        let days = vec![
            ("tcp".to_string(), 100, 5, 4),
            ("tcp".to_string(), 105, 3, 0),
            ("ftp".to_string(), 110, 3, 3),
        ];
        let packed = miss_counts(110, &days);
        // On 110: tcp 8 answered, 4 wrong (not under 50%), ftp a miss → 1.
        assert_eq!(misses_on(110, packed, 110), 1);
        // From 114 day 100 has left the window: tcp 3 of 3 right; ftp until 123.
        assert_eq!(misses_on(110, packed, 123), 1);
        assert_eq!(misses_on(110, packed, 124), 0);
        assert_eq!(misses_on(110, packed, 109), 0);
        // Day 100 alone: a miss until day 113.
        let early = miss_counts(100, &days[..1]);
        assert_eq!(
            (misses_on(100, early, 113), misses_on(100, early, 114)),
            (1, 0)
        );
    }
}
