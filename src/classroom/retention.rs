//! Retention: how much of a class is likely to still know each topic today, from FSRS retrievability
//! (`quiz::schedule::retrievability`: the chance an answer is still known, given its memory state and the
//! time since it was last answered). Per topic, the mean over every (member, question studied) pair; per
//! question, the mean over the members who studied it — a question whose mean has fallen below the
//! desired retention (90%) is *fading*. Questions nobody studied count nowhere: a topic's figure says how
//! well what was learnt is kept, and beside it how many members studied it at all.

use crate::quiz::schedule::{self, Memory};
use std::collections::{BTreeMap, HashSet};

/// One member's state of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct State<'a> {
    pub user_id: i64,
    pub question_id: &'a str,
    pub topic: &'a str,
    pub last_at: i64,
    pub memory: Memory,
}

/// A question and its class-wide recall.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRecall {
    pub question_id: String,
    /// Mean retrievability now, 0–1.
    pub recall: f64,
    /// Members who studied it.
    pub learners: usize,
}

/// A topic's retention.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRetention {
    pub topic: String,
    /// Mean retrievability now over every (member, question) studied, 0–1.
    pub recall: f64,
    /// Members who studied at least one of its questions.
    pub learners: usize,
    /// Its questions below the desired retention, the most faded first.
    pub fading: Vec<QuestionRecall>,
}

/// Retention per topic (in topic-name order; the page puts them in course order) at `now`.
pub fn by_topic(states: &[State], now: i64) -> Vec<TopicRetention> {
    let mut topics: BTreeMap<&str, (f64, usize, HashSet<i64>)> = BTreeMap::new();
    let mut questions: BTreeMap<(&str, &str), (f64, usize)> = BTreeMap::new();
    for s in states {
        if s.memory.stability <= 0.0 {
            continue;
        }
        let r = schedule::retrievability(s.memory, now - s.last_at);
        let t = topics.entry(s.topic).or_default();
        t.0 += r;
        t.1 += 1;
        t.2.insert(s.user_id);
        let q = questions.entry((s.topic, s.question_id)).or_default();
        q.0 += r;
        q.1 += 1;
    }
    topics
        .into_iter()
        .map(|(topic, (sum, n, learners))| {
            let mut fading: Vec<QuestionRecall> = questions
                .iter()
                .filter(|((t, _), _)| *t == topic)
                .map(|((_, q), (sum, n))| QuestionRecall {
                    question_id: (*q).to_string(),
                    recall: sum / *n as f64,
                    learners: *n,
                })
                .filter(|q| q.recall < f64::from(schedule::DESIRED_RETENTION))
                .collect();
            fading.sort_by(|a, b| a.recall.total_cmp(&b.recall));
            TopicRetention {
                topic: topic.to_string(),
                recall: sum / n as f64,
                learners: learners.len(),
                fading,
            }
        })
        .collect()
}

/// A recall as a whole percent, rounded down (as every percentage: `quiz::mastery::percent`).
pub fn percent(recall: f64) -> i64 {
    (recall.clamp(0.0, 1.0) * 100.0).floor() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn state<'a>(user_id: i64, question_id: &'a str, last_at: i64, stability: f64) -> State<'a> {
        State {
            user_id,
            question_id,
            topic: "tcp",
            last_at,
            memory: Memory {
                stability,
                difficulty: 5.0,
            },
        }
    }

    #[test]
    fn recall_is_the_mean_retrievability_and_fading_questions_are_listed() {
        let now = 100 * DAY;
        // q1 answered just now by two learners (recall 1.0); q2 answered one stability ago (0.9) and
        // ten stabilities ago (well under): q2 fades.
        let states = [
            state(1, "q1", now, 5.0),
            state(2, "q1", now, 5.0),
            state(1, "q2", now - 5 * DAY, 5.0),
            state(2, "q2", now - 50 * DAY, 5.0),
        ];
        let t = &by_topic(&states, now)[0];
        assert_eq!(t.learners, 2);
        let far = schedule::retrievability(
            Memory {
                stability: 5.0,
                difficulty: 5.0,
            },
            50 * DAY,
        );
        let expected = (1.0 + 1.0 + 0.9 + far) / 4.0;
        assert!((t.recall - expected).abs() < 1e-3, "{t:?}");
        assert_eq!(t.fading.len(), 1);
        assert_eq!(t.fading[0].question_id, "q2");
        assert!((t.fading[0].recall - (0.9 + far) / 2.0).abs() < 1e-3);
        assert_eq!(percent(t.recall), (expected * 100.0).floor() as i64);
    }

    #[test]
    fn rows_without_a_memory_state_count_nowhere() {
        let states = [state(1, "q1", 0, 0.0)];
        assert!(by_topic(&states, DAY).is_empty());
    }
}
