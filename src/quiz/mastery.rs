//! Mastery: the one rule behind every mastery figure — the learner's `/me`, the instructor's grid and
//! weakest topics, "needs help", the learner drill-down with its weekly trend, and the grid CSV.
//!
//! * A question is **mastered** when its level (段, the `box` column, [`schedule`]) is at least
//!   [`schedule::MASTERED_BOX`]: right twice in a row with a review between. The database
//!   counts it with the same box (`store::MASTERED`, over `question_progress`).
//! * A topic's mastery is its mastered questions over the questions its bank has now. Mastered questions
//!   count at most up to that number ([`Mastery::of`]), so a question since dropped from the bank never
//!   takes a topic over 100%.
//! * Overall mastery adds up the topics' mastered and question counts ([`Mastery::sum`]); a topic
//!   without questions adds nothing.
//! * Every percentage shown is a whole number **rounded down** ([`percent`]): "100%" only when every
//!   question is mastered, and a colour step is reached only when the exact share reaches it. The other
//!   shares an instructor reads (facility, option shares, accuracy) use the same function, so one
//!   fraction never reads as two numbers on two pages.
//! * One colour scale ([`Level`]) for `/me` and the instructor's pages: untouched (nothing answered
//!   yet), 0%, 1–24%, 25–49%, 50–74%, 75–100% — CSS classes `none`, `m0`…`m4` in `static/css/app.css`.
//!   The number is always written beside the colour.
//!
//! [`replay`] rebuilds mastery at past moments from the answers, through the same schedule.

use crate::quiz::schedule;
use std::collections::HashMap;

/// `part` of `whole` as a whole percentage, rounded down, within 0–100; 0 when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part.clamp(0, whole) * 100) / whole
    }
}

/// Mastered questions out of a number of questions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mastery {
    pub mastered: i64,
    pub questions: i64,
}

impl Mastery {
    /// A topic's mastery: `mastered` counted at most up to its `questions`.
    pub fn of(mastered: i64, questions: i64) -> Mastery {
        let questions = questions.max(0);
        Mastery {
            mastered: mastered.clamp(0, questions),
            questions,
        }
    }

    /// Overall mastery: the topics' counts added up.
    pub fn sum(topics: impl IntoIterator<Item = Mastery>) -> Mastery {
        topics
            .into_iter()
            .fold(Mastery::default(), |total, t| Mastery {
                mastered: total.mastered + t.mastered,
                questions: total.questions + t.questions,
            })
    }

    /// The share mastered, in whole percent rounded down.
    pub fn percent(self) -> i64 {
        percent(self.mastered, self.questions)
    }

    /// The colour step of this mastery, for a learner who has `started` (answered anything in it).
    pub fn level(self, started: bool) -> Level {
        if started {
            Level::of(self.percent())
        } else {
            Level::Untouched
        }
    }
}

/// A step of the mastery colour scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Nothing answered yet: no colour, a dash.
    Untouched,
    /// 0%, 1–24%, 25–49%, 50–74%, 75–100% as 0…4.
    Step(u8),
}

impl Level {
    /// Every step, in order, for legends.
    pub const SCALE: [Level; 6] = [
        Level::Untouched,
        Level::Step(0),
        Level::Step(1),
        Level::Step(2),
        Level::Step(3),
        Level::Step(4),
    ];

    /// The step of a percentage (of someone who has started).
    pub fn of(percent: i64) -> Level {
        Level::Step(match percent {
            i64::MIN..=0 => 0,
            1..=24 => 1,
            25..=49 => 2,
            50..=74 => 3,
            _ => 4,
        })
    }

    /// The CSS class that colours it.
    pub fn class(self) -> &'static str {
        match self {
            Level::Untouched => "none",
            Level::Step(0) => "m0",
            Level::Step(1) => "m1",
            Level::Step(2) => "m2",
            Level::Step(3) => "m3",
            Level::Step(_) => "m4",
        }
    }

    /// What the step covers, for a legend.
    pub fn range(self) -> &'static str {
        match self {
            Level::Untouched => "—",
            Level::Step(0) => "0%",
            Level::Step(1) => "1–24%",
            Level::Step(2) => "25–49%",
            Level::Step(3) => "50–74%",
            Level::Step(_) => "75–100%",
        }
    }

    /// Words beside the swatch in a legend (only "untouched" needs any).
    pub fn note(self) -> &'static str {
        match self {
            Level::Untouched => "未着手",
            Level::Step(_) => "",
        }
    }
}

/// One answer, for [`replay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered<'a> {
    /// When the attempt it belongs to was made (unix seconds).
    pub at: i64,
    pub question: &'a str,
    pub topic: &'a str,
    pub correct: bool,
}

/// A learner's reset of a topic, for [`replay`]: the topic's levels empty at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset<'a> {
    pub topic: &'a str,
    pub at: i64,
}

/// Mastered questions per topic at each of `snapshots` (ascending unix times), rebuilt by replaying the
/// answers through the mastery levels as they happened — the boxes are not kept over time. A reset
/// empties its topic at its time, as it did live; a reset and an answer in the same second: the reset
/// first.
pub fn replay(
    answers: &[Answered],
    resets: &[Reset],
    snapshots: &[i64],
) -> Vec<HashMap<String, i64>> {
    enum Event<'a> {
        Reset(&'a str),
        Answer(&'a Answered<'a>),
    }
    let mut events: Vec<(i64, u8, Event)> = resets
        .iter()
        .map(|r| (r.at, 0, Event::Reset(r.topic)))
        .chain(answers.iter().map(|a| (a.at, 1, Event::Answer(a))))
        .collect();
    // Stable: answers at the same second keep their order.
    events.sort_by_key(|e| (e.0, e.1));
    let mut boxes: HashMap<&str, (i64, &str)> = HashMap::new();
    let mut out = Vec::with_capacity(snapshots.len());
    let mut next = events.iter().peekable();
    for &at in snapshots {
        while let Some((_, _, event)) = next.next_if(|e| e.0 <= at) {
            match event {
                Event::Reset(topic) => boxes.retain(|_, (_, tp)| tp != topic),
                Event::Answer(a) => {
                    let current = boxes.get(a.question).map(|b| b.0);
                    boxes.insert(
                        a.question,
                        (schedule::next_box(current, a.correct), a.topic),
                    );
                }
            }
        }
        let mut per_topic: HashMap<String, i64> = HashMap::new();
        for (b, topic) in boxes.values() {
            if *b >= schedule::MASTERED_BOX {
                *per_topic.entry((*topic).to_string()).or_default() += 1;
            }
        }
        out.push(per_topic);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_down_and_stay_within_0_to_100() {
        assert_eq!(percent(2, 3), 66);
        assert_eq!(percent(199, 200), 99, "100% only when complete");
        assert_eq!(percent(10, 130), 7);
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(7, 5), 100);
        assert_eq!(percent(-1, 5), 0);
    }

    #[test]
    fn mastery_is_capped_per_topic_and_summed_overall() {
        assert_eq!(
            Mastery::of(12, 10),
            Mastery {
                mastered: 10,
                questions: 10
            }
        );
        let overall = Mastery::sum([Mastery::of(8, 10), Mastery::of(0, 0), Mastery::of(12, 10)]);
        assert_eq!(
            overall,
            Mastery {
                mastered: 18,
                questions: 20
            }
        );
        assert_eq!(overall.percent(), 90);
        assert_eq!(Mastery::sum([]).percent(), 0);
    }

    #[test]
    fn one_scale_of_six_steps() {
        assert_eq!(
            [0, 1, 24, 25, 49, 50, 74, 75, 100].map(|p| Level::of(p).class()),
            ["m0", "m1", "m1", "m2", "m2", "m3", "m3", "m4", "m4"]
        );
        assert_eq!(Mastery::of(0, 10).level(false), Level::Untouched);
        assert_eq!(Mastery::of(0, 10).level(true).class(), "m0");
        // 49.9% is written 49% and coloured as 25–49%.
        assert_eq!(Mastery::of(499, 1000).level(true).class(), "m2");
        assert_eq!(
            Level::SCALE.map(Level::range),
            ["—", "0%", "1–24%", "25–49%", "50–74%", "75–100%"]
        );
    }

    #[test]
    fn replay_follows_the_schedule_and_resets() {
        let answer = |at, question, correct| Answered {
            at,
            question,
            topic: "t",
            correct,
        };
        let answers = [
            answer(100, "q1", true),
            answer(200, "q1", true),
            answer(300, "q2", true),
            answer(400, "q2", true),
            answer(600, "q2", false),
        ];
        let resets = [Reset {
            topic: "t",
            at: 500,
        }];
        let series = replay(&answers, &resets, &[150, 250, 450, 550, 700]);
        let mastered: Vec<i64> = series
            .iter()
            .map(|s| s.get("t").copied().unwrap_or(0))
            .collect();
        assert_eq!(mastered, [0, 1, 2, 0, 0]);
    }
}
