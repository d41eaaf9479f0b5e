//! The live panel's window kept as a list: the class's attempts in the last 10 minutes (each with its
//! answers), and the largest attempt id read (the *watermark*). While only attempts change the class, the
//! window is brought up to date by adding the attempts stored after the watermark and dropping those the
//! moving window left behind ([`LiveWindow::advance`]), instead of counting the whole window again in
//! SQL; the panel's counts are then made from the list here ([`LiveWindow::counts`]).
//!
//! This is exact only because attempt ids grow in commit order (one writer on SQLite; on PostgreSQL every
//! transaction inserting attempts takes `store::aggregates::lock` before its insert and keeps it until its
//! commit), so nothing with an id at or below the watermark can still appear. Anything that changes who
//! the members are, or when they joined, makes the list again from scratch (`web::instructor::live`).

use crate::store::class_stats::{LiveQuestion, LiveTopic};
use std::collections::{HashMap, HashSet};

/// One attempt of a member in the window, with its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowAttempt {
    pub attempt_id: i64,
    pub created_at: i64,
    pub user_id: i64,
    pub topic: String,
    pub question_count: i64,
    pub correct_count: i64,
    /// (question id, right) per answer.
    pub answers: Vec<(String, bool)>,
}

/// A class's attempts at or after `since`, read up to `watermark`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveWindow {
    pub since: i64,
    /// The largest attempt id read (0 before any): the next read asks for the ids above it.
    pub watermark: i64,
    /// In attempt id order.
    pub attempts: Vec<WindowAttempt>,
}

impl LiveWindow {
    /// The window starting at `since`, from every attempt in it (ids in any order).
    pub fn new(since: i64, attempts: Vec<WindowAttempt>) -> LiveWindow {
        let mut window = LiveWindow {
            since,
            watermark: 0,
            attempts: Vec::new(),
        };
        window.advance(since, attempts);
        window
    }

    /// Moves the window's start to `since` (not before its current one: the caller makes a new window
    /// then) and adds `fresh`, the attempts stored after the watermark. An attempt already in the list is
    /// not counted twice, and one from before `since` is left out, so a read that overlaps the last one
    /// or reaches back before the window changes nothing.
    pub fn advance(&mut self, since: i64, fresh: Vec<WindowAttempt>) {
        debug_assert!(since >= self.since);
        self.since = since;
        self.attempts.retain(|a| a.created_at >= since);
        let known: HashSet<i64> = self.attempts.iter().map(|a| a.attempt_id).collect();
        let mut added = false;
        for attempt in fresh {
            self.watermark = self.watermark.max(attempt.attempt_id);
            if attempt.created_at >= since && !known.contains(&attempt.attempt_id) {
                self.attempts.push(attempt);
                added = true;
            }
        }
        if added {
            self.attempts.sort_by_key(|a| a.attempt_id);
            self.attempts.dedup_by_key(|a| a.attempt_id);
        }
    }

    /// The live panel's counts: per question, the members who answered it and those of them who got it
    /// right at least once; per topic, the members who submitted it, its attempts, answers and right
    /// answers. Rows in question id and topic order (the page puts them in course order).
    pub fn counts(&self) -> (Vec<LiveQuestion>, Vec<LiveTopic>) {
        // Per topic: its members, attempts, answers, right answers, and per question (member, right)
        // per answer. Hashed, not ordered, maps: a window at 10,000 members holds ~10,000 answers, and
        // this stays under a millisecond there.
        #[derive(Default)]
        struct Topic<'a> {
            learners: HashSet<i64>,
            attempts: i64,
            answers: i64,
            correct: i64,
            questions: HashMap<&'a str, Vec<(i64, bool)>>,
        }
        let mut topics: HashMap<&str, Topic> = HashMap::new();
        for a in &self.attempts {
            let t = topics.entry(&a.topic).or_default();
            t.learners.insert(a.user_id);
            t.attempts += 1;
            t.answers += a.question_count;
            t.correct += a.correct_count;
            for (question, right) in &a.answers {
                t.questions
                    .entry(question)
                    .or_default()
                    .push((a.user_id, *right));
            }
        }
        let mut questions: Vec<LiveQuestion> = Vec::new();
        let mut rows: Vec<LiveTopic> = Vec::with_capacity(topics.len());
        for (topic, mut t) in topics {
            for (question, answers) in &mut t.questions {
                // Each member's answers to a question folded (right if any was): members, then the
                // right ones among them.
                answers.sort_unstable_by_key(|&(user, right)| (user, !right));
                answers.dedup_by_key(|a| a.0);
                questions.push(LiveQuestion {
                    question_id: question.to_string(),
                    topic: topic.to_string(),
                    attempted: answers.len() as i64,
                    correct: answers.iter().filter(|a| a.1).count() as i64,
                });
            }
            rows.push(LiveTopic {
                topic: topic.to_string(),
                learners: t.learners.len() as i64,
                attempts: t.attempts,
                answers: t.answers,
                correct: t.correct,
            });
        }
        questions.sort_by(|a, b| (&a.question_id, &a.topic).cmp(&(&b.question_id, &b.topic)));
        rows.sort_by(|a, b| a.topic.cmp(&b.topic));
        (questions, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(
        id: i64,
        at: i64,
        user: i64,
        topic: &str,
        answers: &[(&str, bool)],
    ) -> WindowAttempt {
        WindowAttempt {
            attempt_id: id,
            created_at: at,
            user_id: user,
            topic: topic.to_string(),
            question_count: answers.len() as i64,
            correct_count: answers.iter().filter(|a| a.1).count() as i64,
            answers: answers.iter().map(|(q, r)| (q.to_string(), *r)).collect(),
        }
    }

    fn history() -> Vec<WindowAttempt> {
        vec![
            attempt(1, 1_000, 7, "tcp", &[("tcp-1", false), ("tcp-2", true)]),
            attempt(2, 1_030, 8, "tcp", &[("tcp-1", true)]),
            attempt(3, 1_070, 7, "tcp", &[("tcp-1", true), ("tcp-2", false)]),
            attempt(4, 1_100, 7, "icmp", &[("icmp-1", false)]),
            attempt(5, 1_130, 9, "tcp", &[("tcp-2", false)]),
            attempt(6, 1_190, 8, "icmp", &[("icmp-1", true), ("icmp-2", true)]),
        ]
    }

    fn question(id: &str, topic: &str, attempted: i64, correct: i64) -> LiveQuestion {
        LiveQuestion {
            question_id: id.to_string(),
            topic: topic.to_string(),
            attempted,
            correct,
        }
    }

    #[test]
    fn counts_fold_each_members_answers_to_a_question() {
        let (questions, topics) = LiveWindow::new(0, history()).counts();
        assert_eq!(
            questions,
            [
                question("icmp-1", "icmp", 2, 1),
                question("icmp-2", "icmp", 1, 1),
                // 7 wrong then right, 8 right: both right once.
                question("tcp-1", "tcp", 2, 2),
                // 7 right then wrong (right once), 9 wrong.
                question("tcp-2", "tcp", 2, 1),
            ]
        );
        let tcp = topics.iter().find(|t| t.topic == "tcp").unwrap();
        assert_eq!(
            (tcp.learners, tcp.attempts, tcp.answers, tcp.correct),
            (3, 4, 6, 3)
        );
        let icmp = topics.iter().find(|t| t.topic == "icmp").unwrap();
        assert_eq!(
            (icmp.learners, icmp.attempts, icmp.answers, icmp.correct),
            (2, 2, 3, 2)
        );
    }

    /// Kept up to date read by read, as the minutes pass, the window counts what a window made at once
    /// from the same attempts counts: reads that overlap, or bring an attempt already dropped, change
    /// nothing.
    #[test]
    fn a_window_kept_up_to_date_counts_what_a_fresh_one_counts() {
        let all = history();
        let upto = |id: i64| all.iter().filter(|a| a.attempt_id <= id).cloned().collect();
        let mut kept = LiveWindow::new(1_000, upto(2));
        assert_eq!(kept.watermark, 2);
        kept.advance(1_000, Vec::new());
        assert_eq!(kept.counts(), LiveWindow::new(1_000, upto(2)).counts());
        // Attempts 3 and 4; 2 again, as a read overlapping the last one would.
        kept.advance(1_000, all[1..4].to_vec());
        assert_eq!(kept.watermark, 4);
        assert_eq!(kept.counts(), LiveWindow::new(1_000, upto(4)).counts());
        assert_eq!(kept.attempts.len(), 4);
        // A minute later: attempts 1 and 2 (at 1,000 and 1,030) fall out; 5 and 6 come in.
        kept.advance(1_060, all[4..].to_vec());
        assert_eq!(kept.watermark, 6);
        let fresh = LiveWindow::new(1_060, all.clone());
        assert_eq!(kept, fresh);
        assert_eq!(kept.counts(), fresh.counts());
        let (_, topics) = kept.counts();
        let tcp = topics.iter().find(|t| t.topic == "tcp").unwrap();
        assert_eq!((tcp.learners, tcp.attempts), (2, 2));
        // Minutes later the window is empty, and its watermark stays.
        kept.advance(2_000, Vec::new());
        assert_eq!(kept.counts(), (Vec::new(), Vec::new()));
        assert_eq!(kept.watermark, 6);
        // An attempt stored late with an earlier time (before the window) is not counted.
        kept.advance(2_000, vec![attempt(7, 1_500, 7, "tcp", &[("tcp-1", true)])]);
        assert_eq!(kept.watermark, 7);
        assert!(kept.attempts.is_empty());
    }
}
