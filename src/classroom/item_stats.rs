//! Item statistics for the question analysis of one topic in one class: facility, the discrimination
//! index, how often each option was chosen and by whom, wrong answers by misconception tag, and the most
//! common wrong responses. [`Tallies`] computes them all in one pass over each member's answers as the
//! rows arrive (`store::analysis::topic_answers`, one row per member), keeping counts, never answers.
//! Definitions: see [`QuestionStats`]. Percentages shown from these counts use `quiz::mastery::percent`.

use crate::classroom::rows::LearnerAnswers;
use crate::quiz::grade::Response;
use crate::quiz::mastery::percent;

/// Share of the ranked learners in each of the upper and lower groups of the discrimination index, in
/// percent (Kelley's 27%).
pub const GROUP_PERCENT: i64 = 27;

/// Fewest ranked learners for which a discrimination index is computed; below it the groups are too
/// small to mean anything and the page shows "—".
pub const MIN_RANKED: i64 = 4;

/// Size of the upper (and of the lower) group among `ranked` learners: 27% rounded half up, at least 1.
pub fn group_size(ranked: i64) -> i64 {
    ((ranked * GROUP_PERCENT + 50) / 100).max(1)
}

/// One question of a topic, over the answers of a class's members.
///
/// * `attempts`, `correct`: every answer given to the question, and how many were right.
/// * `first_answers`, `first_correct`: each member's first answer only (earliest attempt); the
///   facility is `first_correct / first_answers`.
/// * The discrimination index compares two groups of members ranked by their total score on the
///   topic — the number of the topic's questions whose first answer was right, ties broken by user id.
///   Only members who answered at least one of the topic's questions are ranked (`ranked`); the upper
///   group is the top [`group_size`]`(ranked)` (27%, rounded), the lower group the bottom as many.
///   D = `upper_correct / upper_answers − lower_correct / lower_answers`, over the first answers of
///   the group members who answered this question. With fewer than [`MIN_RANKED`] ranked members the
///   groups are empty (both counts 0) and there is no index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionStats {
    pub question_id: String,
    pub attempts: i64,
    pub correct: i64,
    pub first_answers: i64,
    pub first_correct: i64,
    pub upper_answers: i64,
    pub upper_correct: i64,
    pub lower_answers: i64,
    pub lower_correct: i64,
    /// Members ranked for the groups (those with at least one answer on the topic).
    pub ranked: i64,
}

impl QuestionStats {
    /// The facility: the share of first answers that were right, in whole percent rounded down
    /// (`quiz::mastery::percent`); `None` before anyone answered.
    pub fn facility(&self) -> Option<i64> {
        (self.first_answers > 0).then(|| percent(self.first_correct, self.first_answers))
    }

    /// The discrimination index, −1.0–1.0; `None` when a group is empty or too few were ranked.
    pub fn discrimination(&self) -> Option<f64> {
        if self.ranked < MIN_RANKED || self.upper_answers == 0 || self.lower_answers == 0 {
            return None;
        }
        Some(
            self.upper_correct as f64 / self.upper_answers as f64
                - self.lower_correct as f64 / self.lower_answers as f64,
        )
    }
}

/// What a stored response is, read without a JSON parser for the shapes `serde_json` writes for
/// [`Response`] (this runs once per answer on the analysis page), with the parser as the fallback.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    Choice(Vec<usize>),
    Typed,
    Blank,
    Unknown,
}

pub(crate) fn shape(response: &str) -> Shape {
    if let Some(list) = response
        .strip_prefix(r#"{"type":"choice","value":["#)
        .and_then(|r| r.strip_suffix("]}"))
    {
        let parsed: Result<Vec<usize>, _> = list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect();
        if let Ok(options) = parsed {
            return Shape::Choice(options);
        }
    }
    if response == r#"{"type":"blank"}"# {
        return Shape::Blank;
    }
    if response.starts_with(r#"{"type":"text","#) || response.starts_with(r#"{"type":"order","#) {
        return Shape::Typed;
    }
    match serde_json::from_str::<Response>(response) {
        Ok(Response::Choice(options)) => Shape::Choice(options),
        Ok(Response::Text(_) | Response::Order(_)) => Shape::Typed,
        Ok(Response::Blank) => Shape::Blank,
        Err(_) => Shape::Unknown,
    }
}

/// Everything the question analysis page shows about a topic's questions, for one class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    /// Per question answered, by question id.
    pub stats: Vec<QuestionStats>,
    /// Per option chosen, by question id and option.
    pub options: Vec<OptionChoice>,
    /// Wrong answers per (question, tag), then per tag over the topic (`question_id` `None`), most
    /// frequent first.
    pub tags: Vec<MisconceptionCount>,
    /// The most common wrong responses to text, numeric, order and generated questions.
    pub wrong: Vec<WrongResponse>,
}

/// How often an option of a choice question was chosen (in every answer, not only first ones) and by
/// whom.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionChoice {
    pub question_id: String,
    /// Index of the option in the bank (not as shuffled on the page).
    pub option: usize,
    pub times: i64,
    /// Learners who chose it.
    pub learner_count: i64,
    /// (user id, name) of the first learners who chose it by name (ties by id), as many as the
    /// breakdown lists.
    pub learners: Vec<(i64, String)>,
}

/// Wrong answers with one misconception tag. `tag` is `None` for a wrong answer no known misconception
/// explains; `blank` marks questions left unanswered (never tagged).
#[derive(Debug, Clone, PartialEq)]
pub struct MisconceptionCount {
    pub question_id: Option<String>,
    pub tag: Option<String>,
    pub blank: bool,
    pub times: i64,
    pub learners: i64,
}

/// A wrong response to a numeric, text, order or generated question, with how often it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct WrongResponse {
    pub question_id: String,
    /// As stored (JSON); the page decodes it with the bank.
    pub response: String,
    pub misconception: Option<String>,
    pub times: i64,
    pub learners: i64,
}

/// How often something was answered, and by which learners (indices into [`Tallies`]' learners). All
/// of a learner's answers are added before the next learner's, so a learner is new to a tally exactly
/// when they are not its last one.
#[derive(Debug, Default)]
struct Tally {
    times: i64,
    learners: Vec<usize>,
}

impl Tally {
    fn add(&mut self, learner: usize) {
        self.times += 1;
        if self.learners.last() != Some(&learner) {
            self.learners.push(learner);
        }
    }
}

/// Strings seen so far, each with a small number, so tallies are keyed by numbers.
#[derive(Debug, Default)]
struct Interned {
    strings: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Interned {
    fn get(&mut self, s: &str) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), self.strings.len() - 1);
        self.strings.len() - 1
    }
}

/// The running counts behind a [`Breakdown`]: [`Tallies::add`] each member's answers as they come from
/// [`topic_answers`], then [`Tallies::finish`] ranks the members and returns the figures. Only counts
/// are kept, never the answers.
#[derive(Debug, Default)]
pub struct Tallies {
    wrong_limit: usize,
    names_limit: usize,
    /// (user id, name) per learner added.
    learners: Vec<(i64, String)>,
    questions: Interned,
    tags: Interned,
    responses: Interned,
    /// Per question: answers, right answers.
    totals: Vec<(i64, i64)>,
    /// Per learner, per question: the first answer's correctness (None: not answered).
    firsts: Vec<Vec<Option<bool>>>,
    options: std::collections::HashMap<(usize, usize), Tally>,
    per_question: std::collections::HashMap<(usize, Option<usize>, bool), Tally>,
    per_topic: std::collections::HashMap<(Option<usize>, bool), Tally>,
    /// Wrong typed responses: (question, response) → tally and the (greatest) tag given with it.
    wrong: std::collections::HashMap<(usize, usize), (Tally, Option<usize>)>,
}

impl Tallies {
    /// Keeps the `wrong_limit` most common wrong responses per question, and names the first
    /// `names_limit` learners who chose each option.
    pub fn new(wrong_limit: usize, names_limit: usize) -> Self {
        Tallies {
            wrong_limit,
            names_limit,
            ..Default::default()
        }
    }

    /// Counts one member's answers (oldest first: the first per question is their first answer).
    pub fn add(&mut self, learner: &LearnerAnswers) {
        let i = self.learners.len();
        self.learners.push((learner.user_id, learner.name.clone()));
        let mut mine: Vec<Option<bool>> = vec![None; self.questions.strings.len()];
        for a in learner.answers() {
            let q = self.questions.get(a.question_id);
            if self.totals.len() <= q {
                self.totals.resize(q + 1, (0, 0));
            }
            if mine.len() <= q {
                mine.resize(q + 1, None);
            }
            mine[q].get_or_insert(a.correct);
            self.totals[q].0 += 1;
            self.totals[q].1 += i64::from(a.correct);

            let shape = shape(a.response);
            if let Shape::Choice(chosen) = &shape {
                for (n, &option) in chosen.iter().enumerate() {
                    if !chosen[..n].contains(&option) {
                        self.options.entry((q, option)).or_default().add(i);
                    }
                }
            }
            if a.correct {
                continue;
            }
            let blank = shape == Shape::Blank;
            let tag = a.misconception.map(|m| self.tags.get(m));
            self.per_question.entry((q, tag, blank)).or_default().add(i);
            self.per_topic.entry((tag, blank)).or_default().add(i);
            if shape == Shape::Typed {
                let r = self.responses.get(a.response);
                let (tally, kept) = self.wrong.entry((q, r)).or_default();
                tally.add(i);
                let name = |t: &Option<usize>| t.map(|t| self.tags.strings[t].as_str());
                if name(&tag) > name(kept) {
                    *kept = tag;
                }
            }
        }
        self.firsts.push(mine);
    }

    /// Ranks the members by their score on the topic and returns every figure.
    pub fn finish(self) -> Breakdown {
        let Tallies {
            wrong_limit,
            names_limit,
            learners,
            questions,
            tags,
            responses,
            totals,
            firsts,
            options,
            per_question,
            per_topic,
            wrong,
        } = self;
        let question = |q: usize| questions.strings[q].clone();
        let tag = |t: Option<usize>| t.map(|t| tags.strings[t].clone());

        // Rank by total score on the topic (right first answers), ties by user id; 27% groups.
        let mut order: Vec<(usize, i64, usize)> = firsts
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    f.iter().filter(|x| **x == Some(true)).count(),
                    learners[i].0,
                    i,
                )
            })
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let ranked = order.len() as i64;
        let mut group = vec![0i8; learners.len()];
        if ranked >= MIN_RANKED {
            let k = group_size(ranked) as usize;
            for &(_, _, i) in &order[..k] {
                group[i] = 1;
            }
            for &(_, _, i) in &order[order.len() - k..] {
                group[i] = -1;
            }
        }
        let mut stats: Vec<QuestionStats> = totals
            .iter()
            .enumerate()
            .map(|(q, &(attempts, correct))| QuestionStats {
                question_id: question(q),
                attempts,
                correct,
                ranked,
                ..Default::default()
            })
            .collect();
        for (i, mine) in firsts.iter().enumerate() {
            for (q, first) in mine.iter().enumerate() {
                let Some(right) = *first else { continue };
                let s = &mut stats[q];
                s.first_answers += 1;
                s.first_correct += i64::from(right);
                match group[i] {
                    1 => {
                        s.upper_answers += 1;
                        s.upper_correct += i64::from(right);
                    }
                    -1 => {
                        s.lower_answers += 1;
                        s.lower_correct += i64::from(right);
                    }
                    _ => {}
                }
            }
        }
        stats.sort_by(|a, b| a.question_id.cmp(&b.question_id));

        let mut options: Vec<OptionChoice> = options
            .into_iter()
            .map(|((q, option), mut tally)| {
                tally.learners.sort_by(|&a, &b| {
                    learners[a]
                        .1
                        .cmp(&learners[b].1)
                        .then(learners[a].0.cmp(&learners[b].0))
                });
                OptionChoice {
                    question_id: question(q),
                    option,
                    times: tally.times,
                    learner_count: tally.learners.len() as i64,
                    learners: tally
                        .learners
                        .iter()
                        .take(names_limit)
                        .map(|&i| learners[i].clone())
                        .collect(),
                }
            })
            .collect();
        options.sort_by(|a, b| {
            a.question_id
                .cmp(&b.question_id)
                .then(a.option.cmp(&b.option))
        });

        let mut misconceptions: Vec<MisconceptionCount> = per_question
            .into_iter()
            .map(|((q, t, blank), tally)| MisconceptionCount {
                question_id: Some(question(q)),
                tag: tag(t),
                blank,
                times: tally.times,
                learners: tally.learners.len() as i64,
            })
            .chain(
                per_topic
                    .into_iter()
                    .map(|((t, blank), tally)| MisconceptionCount {
                        question_id: None,
                        tag: tag(t),
                        blank,
                        times: tally.times,
                        learners: tally.learners.len() as i64,
                    }),
            )
            .collect();
        misconceptions.sort_by(|a, b| {
            a.question_id
                .cmp(&b.question_id)
                .then(b.times.cmp(&a.times))
                .then(a.tag.cmp(&b.tag))
                .then(a.blank.cmp(&b.blank))
        });

        let mut common: Vec<WrongResponse> = wrong
            .into_iter()
            .map(|((q, r), (tally, t))| WrongResponse {
                question_id: question(q),
                response: responses.strings[r].clone(),
                misconception: tag(t),
                times: tally.times,
                learners: tally.learners.len() as i64,
            })
            .collect();
        common.sort_by(|a, b| {
            a.question_id
                .cmp(&b.question_id)
                .then(b.times.cmp(&a.times))
                .then(a.response.cmp(&b.response))
        });
        let mut kept: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        common.retain(|w| {
            let n = kept.entry(w.question_id.clone()).or_default();
            *n += 1;
            *n <= wrong_limit
        });

        Breakdown {
            stats,
            options,
            tags: misconceptions,
            wrong: common,
        }
    }
}

/// [`Tallies`] over a list of members: the [`Breakdown`] of their answers.
pub fn breakdown(learners: &[LearnerAnswers], wrong_limit: usize, names_limit: usize) -> Breakdown {
    let mut tallies = Tallies::new(wrong_limit, names_limit);
    for l in learners {
        tallies.add(l);
    }
    tallies.finish()
}

/// What a discrimination index says, by Ebel's rule of thumb ("—" when there is none).
pub fn discrimination_note(d: Option<f64>) -> &'static str {
    match d {
        None => "—",
        Some(d) if d >= 0.4 => "よく識別している",
        Some(d) if d >= 0.3 => "良好",
        Some(d) if d >= 0.2 => "見直しの余地あり",
        Some(d) if d >= 0.0 => "識別できていない（要見直し）",
        Some(_) => "逆転している（問題文・正解を確認）",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::rows::TopicAnswer;

    #[test]
    fn groups_are_27_percent_rounded_and_never_empty() {
        assert_eq!(group_size(1), 1);
        assert_eq!(group_size(4), 1);
        assert_eq!(group_size(6), 2);
        assert_eq!(group_size(10), 3);
        assert_eq!(group_size(30), 8);
        assert_eq!(group_size(2000), 540);
    }

    #[test]
    fn responses_are_read_without_a_parser_when_they_can_be() {
        assert_eq!(
            shape(r#"{"type":"choice","value":[2]}"#),
            Shape::Choice(vec![2])
        );
        assert_eq!(
            shape(r#"{"type":"choice","value":[0,3]}"#),
            Shape::Choice(vec![0, 3])
        );
        assert_eq!(
            shape(r#"{"type":"choice","value":[]}"#),
            Shape::Choice(vec![])
        );
        assert_eq!(shape(r#"{"type":"blank"}"#), Shape::Blank);
        assert_eq!(shape(r#"{"type":"text","value":"1,5"}"#), Shape::Typed);
        assert_eq!(shape(r#"{"type":"order","value":[1,0]}"#), Shape::Typed);
        // Another spelling of the same JSON still works, through the parser.
        assert_eq!(
            shape(r#"{ "value": [1], "type": "choice" }"#),
            Shape::Choice(vec![1])
        );
        assert_eq!(shape("garbage"), Shape::Unknown);
    }

    fn answer<'a>(
        q: &'a str,
        correct: bool,
        response: &'a str,
        tag: Option<&'a str>,
    ) -> TopicAnswer<'a> {
        TopicAnswer {
            question_id: q,
            correct,
            response,
            misconception: tag,
        }
    }

    #[test]
    fn first_answers_ranks_and_groups() {
        let right = r#"{"type":"choice","value":[0]}"#;
        let wrong = r#"{"type":"choice","value":[1]}"#;
        // Four learners, two questions. Scores on first answers: 1 → 2, 2 → 1, 3 → 1, 4 → 0.
        let learners = vec![
            LearnerAnswers::new(
                1,
                "a",
                &[
                    answer("q1", true, right, None),
                    answer("q2", true, right, None),
                ],
            ),
            LearnerAnswers::new(
                2,
                "b",
                &[
                    answer("q1", true, right, None),
                    answer("q2", false, wrong, Some("m")),
                ],
            ),
            // Wrong first, right on the retry: the first answer counts.
            LearnerAnswers::new(
                3,
                "c",
                &[
                    answer("q1", false, wrong, Some("m")),
                    answer("q2", true, right, None),
                    answer("q1", true, right, None),
                ],
            ),
            LearnerAnswers::new(
                4,
                "d",
                &[
                    answer("q1", false, wrong, Some("m")),
                    answer("q2", false, wrong, Some("m")),
                ],
            ),
        ];
        assert_eq!(learners[2].answers().count(), 3);
        assert_eq!(
            learners[1].answers().nth(1),
            Some(answer("q2", false, wrong, Some("m")))
        );
        let b = breakdown(&learners, 5, 200);
        let q1 = &b.stats[0];
        assert_eq!(
            (
                q1.attempts,
                q1.correct,
                q1.first_answers,
                q1.first_correct,
                q1.ranked
            ),
            (5, 3, 4, 2, 4)
        );
        // Groups of 1: upper {1}, lower {4}.
        assert_eq!(
            (
                q1.upper_answers,
                q1.upper_correct,
                q1.lower_answers,
                q1.lower_correct
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(q1.discrimination(), Some(1.0));
        let wrong_option = b
            .options
            .iter()
            .find(|o| o.question_id == "q1" && o.option == 1)
            .unwrap();
        assert_eq!(wrong_option.times, 2);
        assert_eq!(
            wrong_option.learners,
            vec![(3, "c".to_string()), (4, "d".to_string())]
        );
        let topic_m = b
            .tags
            .iter()
            .find(|t| t.question_id.is_none() && t.tag.as_deref() == Some("m"))
            .unwrap();
        assert_eq!((topic_m.times, topic_m.learners), (4, 3));
    }

    #[test]
    fn no_index_for_small_or_empty_groups() {
        let s = QuestionStats {
            ranked: 3,
            upper_answers: 1,
            lower_answers: 1,
            upper_correct: 1,
            ..Default::default()
        };
        assert_eq!(s.discrimination(), None);
        let s = QuestionStats {
            ranked: 6,
            upper_answers: 2,
            upper_correct: 2,
            lower_answers: 2,
            lower_correct: 1,
            ..Default::default()
        };
        assert_eq!(s.discrimination(), Some(0.5));
        assert_eq!(QuestionStats::default().facility(), None);
        let two_of_three = QuestionStats {
            first_answers: 3,
            first_correct: 2,
            ..Default::default()
        };
        assert_eq!(
            two_of_three.facility(),
            Some(66),
            "rounded down, like every share"
        );
    }
}
