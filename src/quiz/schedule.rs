//! The review schedule: when a question comes back, and how likely it is still remembered.
//!
//! **When** is FSRS (the Free Spaced Repetition Scheduler, the one Anki uses since 23.10), through the
//! `fsrs` crate's scheduler with its published default parameters (FSRS-6, fitted on hundreds of millions
//! of Anki reviews: a small class has too little data to fit its own). Each learner × question keeps a
//! memory state — *stability* S (days until recall falls to 90%) and *difficulty* D (1–10) — updated at
//! every answer. Retrievability, the chance the answer is still known after t days, follows the power
//! forgetting curve `R(t) = (1 + F·t/S)^(−w20)`; the next review is set where R reaches the desired
//! retention, [`DESIRED_RETENTION`] (90%), so an interval grows with S.
//!
//! A quiz answer is a rating: full credit is *Good*, partial credit *Hard* (remembered, with trouble),
//! no credit *Again* (forgotten). After *Again* the question is due at once — it comes back in today's
//! review, as Anki's relearning step does — and FSRS lowers its stability.
//!
//! **Mastery** stays a level a learner can read, the *段* (1–5), and is not a probability: a right answer
//! (full credit) moves a question up one level, anything else back to level 1; from level
//! [`MASTERED_BOX`] — right twice in a row, the second at a later review — it counts as mastered
//! (`quiz::mastery`). This was the Leitner box; FSRS replaced its fixed 0/1/3/7/21-day intervals, and the
//! level remains so mastery, the class grid and its index (`box >= 3`) mean what they meant.
//!
//! Boxes kept before FSRS were turned into memory states by `migrations/0009` (see
//! [`migrated_memory`]).

use fsrs::{FSRS, MemoryState};
use std::sync::LazyLock;

/// Number of levels.
pub const BOXES: i64 = 5;
/// A question at this level or higher counts as mastered.
pub const MASTERED_BOX: i64 = 3;
/// The recall probability the next review is planned for.
pub const DESIRED_RETENTION: f32 = 0.9;
/// The longest interval (days): a question is asked again within a year whatever its stability.
pub const MAX_INTERVAL_DAYS: f32 = 365.0;

const DAY: i64 = 24 * 60 * 60;

/// The scheduler with the default parameters (`FSRS::new(&[])`: an empty slice means the defaults).
static SCHEDULER: LazyLock<Option<FSRS>> = LazyLock::new(|| FSRS::new(&[]).ok());

/// The forgetting curve's decay, `w20` of the default parameters.
fn decay() -> f32 {
    fsrs::DEFAULT_PARAMETERS[20]
}

/// How well an answer went, as FSRS rates a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    /// No credit: forgotten.
    Again,
    /// Partial credit: recalled with difficulty.
    Hard,
    /// Full credit.
    Good,
}

impl Rating {
    /// The rating of an answer worth `credit` (0–100, see `quiz::grade`).
    pub fn of_credit(credit: i64) -> Rating {
        match credit {
            i64::MIN..=0 => Rating::Again,
            100..=i64::MAX => Rating::Good,
            _ => Rating::Hard,
        }
    }
}

/// FSRS's memory state of one learner × question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    /// Days until recall falls to 90%.
    pub stability: f64,
    /// 1 (easy) to 10 (hard).
    pub difficulty: f64,
}

/// A learner's question as kept in `question_progress`, before an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub box_number: i64,
    /// `None` for a row with no memory state (stability 0): treated as new.
    pub memory: Option<Memory>,
    /// When it was last answered (unix seconds).
    pub last_at: i64,
}

/// The question after an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scheduled {
    pub box_number: i64,
    pub memory: Memory,
    /// When it is due again (unix seconds).
    pub due_at: i64,
}

/// The mastery level after an answer (`current` is `None` for a question never answered).
pub fn next_box(current: Option<i64>, correct: bool) -> i64 {
    match (current, correct) {
        (_, false) => 1,
        (None, true) => 2,
        (Some(b), true) => (b + 1).min(BOXES),
    }
}

/// The question's level, memory and due time after an answer worth `credit` at `now`.
pub fn next(current: Option<Progress>, credit: i64, now: i64) -> Scheduled {
    let rating = Rating::of_credit(credit);
    let box_number = next_box(current.map(|p| p.box_number), rating == Rating::Good);
    let previous = current.and_then(|p| p.memory.map(|m| (m, p.last_at)));
    let elapsed_days = previous.map_or(0, |(_, last)| ((now - last).max(0) / DAY) as u32);
    let state = previous.map(|(m, _)| MemoryState {
        stability: m.stability as f32,
        difficulty: m.difficulty as f32,
    });
    let planned = SCHEDULER.as_ref().and_then(|fsrs| {
        let states = fsrs
            .next_states(state, DESIRED_RETENTION, elapsed_days)
            .ok()?;
        Some(match rating {
            Rating::Again => states.again,
            Rating::Hard => states.hard,
            Rating::Good => states.good,
        })
    });
    let (memory, interval) = match planned {
        Some(item) => (
            Memory {
                stability: f64::from(item.memory.stability),
                difficulty: f64::from(item.memory.difficulty),
            },
            item.interval,
        ),
        // Unreachable with the default parameters; a safe state if the crate ever refused.
        None => (
            Memory {
                stability: 1.0,
                difficulty: 5.0,
            },
            1.0,
        ),
    };
    let due_at = match rating {
        // Relearning: back in today's review at once.
        Rating::Again => now,
        // Whole days, at least one (a review is a daily habit), at most a year.
        Rating::Hard | Rating::Good => {
            now + interval.round().clamp(1.0, MAX_INTERVAL_DAYS) as i64 * DAY
        }
    };
    Scheduled {
        box_number,
        memory,
        due_at,
    }
}

/// The chance the answer is still known `elapsed_secs` after the last review (0–1).
pub fn retrievability(memory: Memory, elapsed_secs: i64) -> f64 {
    if memory.stability <= 0.0 {
        return 0.0;
    }
    let days = elapsed_secs.max(0) as f32 / DAY as f32;
    let r = fsrs::current_retrievability(
        MemoryState {
            stability: memory.stability as f32,
            difficulty: memory.difficulty as f32,
        },
        days,
        decay(),
    );
    f64::from(r).clamp(0.0, 1.0)
}

/// The Leitner intervals boxes had before FSRS (days), for [`migrated_memory`].
const LEITNER_DAYS: [i64; 5] = [0, 1, 3, 7, 21];

/// The memory state `migrations/0009` gives a question kept in Leitner `box_number` (1–5). A box
/// records answers: box 1 — the last one wrong; box n ≥ 2 — n − 1 right in a row, each at the previous
/// box's interval. So a box becomes the state FSRS reaches after exactly those reviews: *Again* on a new
/// question for box 1; *Good* on a new question, then *Good* after 1, 3, 7 days for boxes 2–5. The
/// migration writes these numbers as literals (SQL cannot call FSRS); a test keeps the two in step.
pub fn migrated_memory(box_number: i64) -> Memory {
    let box_number = box_number.clamp(1, BOXES);
    let mut progress: Option<Progress> = None;
    let mut now = 0;
    if box_number == 1 {
        return next(None, 0, 0).memory;
    }
    for b in 1..box_number {
        let s = next(progress, 100, now);
        progress = Some(Progress {
            box_number: s.box_number,
            memory: Some(s.memory),
            last_at: now,
        });
        now += LEITNER_DAYS[b as usize] * DAY;
    }
    progress.and_then(|p| p.memory).unwrap_or(Memory {
        stability: 1.0,
        difficulty: 5.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn ratings_follow_the_credit() {
        assert_eq!(Rating::of_credit(0), Rating::Again);
        assert_eq!(Rating::of_credit(1), Rating::Hard);
        assert_eq!(Rating::of_credit(99), Rating::Hard);
        assert_eq!(Rating::of_credit(100), Rating::Good);
    }

    #[test]
    fn a_new_question_gets_the_published_initial_states() {
        // FSRS-6 defaults: S0 = w0..w3 for Again, Hard, Good; D0(G) = w4 − e^(w5·(G−1)) + 1
        // (the fsrs crate's documented next_states example gives the same numbers).
        let good = next(None, 100, 0);
        assert!(close(good.memory.stability, 2.3065, 1e-4), "{good:?}");
        assert!(close(good.memory.difficulty, 2.118_104, 1e-4), "{good:?}");
        assert_eq!(good.due_at, 2 * DAY, "2.3 days, rounded to whole days");
        assert_eq!(good.box_number, 2);
        let hard = next(None, 50, 0);
        assert!(close(hard.memory.stability, 1.2931, 1e-4), "{hard:?}");
        assert_eq!(hard.due_at, DAY);
        assert_eq!(hard.box_number, 1, "partial credit is not a right answer");
        let again = next(None, 0, 500);
        assert!(close(again.memory.stability, 0.212, 1e-4), "{again:?}");
        assert!(close(again.memory.difficulty, 6.4133, 1e-4), "{again:?}");
        assert_eq!(again.due_at, 500, "a forgotten question is due at once");
    }

    #[test]
    fn intervals_grow_with_right_answers_and_shrink_after_a_lapse() {
        let mut progress = None;
        let mut now = 0;
        let mut gaps = Vec::new();
        for _ in 0..5 {
            let s = next(progress, 100, now);
            gaps.push(s.due_at - now);
            progress = Some(Progress {
                box_number: s.box_number,
                memory: Some(s.memory),
                last_at: now,
            });
            now = s.due_at;
        }
        assert!(gaps.windows(2).all(|w| w[0] < w[1]), "{gaps:?}");
        let before = progress.and_then(|p| p.memory).map(|m| m.stability);
        let lapse = next(progress, 0, now);
        assert!(Some(lapse.memory.stability) < before, "{lapse:?}");
        assert_eq!(lapse.box_number, 1);
        assert_eq!(next(progress, 100, now).box_number, BOXES, "the ceiling");
    }

    #[test]
    fn retrievability_is_ninety_percent_after_one_stability() {
        let m = Memory {
            stability: 10.0,
            difficulty: 5.0,
        };
        assert!(close(retrievability(m, 0), 1.0, 1e-6));
        assert!(close(retrievability(m, 10 * DAY), 0.9, 1e-4));
        assert!(retrievability(m, 100 * DAY) < 0.9);
        assert_eq!(
            retrievability(
                Memory {
                    stability: 0.0,
                    difficulty: 5.0
                },
                DAY
            ),
            0.0
        );
    }

    #[test]
    fn the_migration_writes_the_states_boxes_map_to() {
        let sql = include_str!("../../migrations/0009_fsrs_and_learning_loop.sql");
        for b in 1..=BOXES {
            let m = migrated_memory(b);
            let line = sql
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("({b},")))
                .unwrap_or_else(|| panic!("box {b} is in the migration"));
            let numbers: Vec<f64> = line
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .filter_map(|t| t.parse().ok())
                .collect();
            // "(b, S, D)": the numbers after the box.
            assert!(
                close(numbers[1], m.stability, 1e-3) && close(numbers[2], m.difficulty, 1e-3),
                "box {b}: {line} vs {m:?}"
            );
        }
        let levels: Vec<f64> = (1..=BOXES).map(|b| migrated_memory(b).stability).collect();
        assert!(levels.windows(2).all(|w| w[0] < w[1]), "{levels:?}");
    }
}
