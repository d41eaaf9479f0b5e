//! The review schedule: Leitner boxes. Chosen over SM-2/FSRS because a learner and an instructor can both
//! read it at a glance ("box 3 of 5, due in 7 days"), it needs no per-learner parameters fitted from data a
//! small class does not have, and it answers the only question the review page asks: what is due now?
//!
//! A question starts in box 1. A right answer moves it up one box, a wrong one back to box 1 and due
//! at once. Each box has an interval before the question is due again. A question is *mastered* once it
//! has reached box 3 (two right answers in a row, the second at least a day later, or a first-time right
//! answer confirmed later).

/// Number of boxes.
pub const BOXES: i64 = 5;
/// A question in this box or higher counts as mastered.
pub const MASTERED_BOX: i64 = 3;

/// Seconds until a question in `box_number` is due again.
pub fn interval_secs(box_number: i64) -> i64 {
    const DAY: i64 = 24 * 60 * 60;
    match box_number {
        i64::MIN..=1 => 0,
        2 => DAY,
        3 => 3 * DAY,
        4 => 7 * DAY,
        _ => 21 * DAY,
    }
}

/// The box and due time after an answer. `current` is `None` for a question never answered.
pub fn next(current: Option<i64>, correct: bool, now: i64) -> (i64, i64) {
    let box_number = match (current, correct) {
        (_, false) => 1,
        (None, true) => 2,
        (Some(b), true) => (b + 1).min(BOXES),
    };
    (box_number, now + interval_secs(box_number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_answers_climb_and_wrong_ones_fall_back() {
        let now = 1_000;
        assert_eq!(next(None, true, now), (2, now + 86_400));
        assert_eq!(next(None, false, now), (1, now));
        assert_eq!(next(Some(2), true, now).0, 3);
        assert_eq!(next(Some(4), false, now), (1, now));
        assert_eq!(
            next(Some(BOXES), true, now).0,
            BOXES,
            "the top box is the ceiling"
        );
    }

    #[test]
    fn intervals_grow() {
        let intervals: Vec<i64> = (1..=BOXES).map(interval_secs).collect();
        assert!(intervals.windows(2).all(|w| w[0] < w[1]), "{intervals:?}");
    }
}
