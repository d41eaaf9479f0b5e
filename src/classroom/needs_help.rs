//! Who in a class may need help, and why, in words an instructor can act on. Three signals, each a reason
//! of its own, so one learner can have several:
//!
//! * no quiz for [`INACTIVE_DAYS`] days, or none at all;
//! * many misses on one topic lately: at least [`MISS_MIN_WRONG`] wrong answers over the last
//!   [`MISS_WINDOW_DAYS`] days — Japan-time days, today included — with fewer right answers than wrong
//!   ones (accuracy under 50%);
//! * among the [`LOWEST_COUNT`] lowest overall mastery of those who have started, when under
//!   [`LOWEST_BELOW_PERCENT`]%.
//!
//! Learners with more reasons come first, then lower mastery. The store's query already keeps only
//! topics with many misses (so a large class sends few rows); the rule here is the one that decides.

use crate::content::Language;
use crate::jst::{self, DAY};
use crate::quiz::mastery::percent;

/// A member with no attempt for this many days is listed.
pub const INACTIVE_DAYS: i64 = 7;
/// Misses on one topic count over this many days…
pub const MISS_WINDOW_DAYS: i64 = 14;
/// …and need at least this many wrong answers (with accuracy under 50%).
pub const MISS_MIN_WRONG: i64 = 3;
/// Topics named per learner for many misses; the rest are counted, so one learner does not fill the list.
const MISS_TOPICS_NAMED: usize = 2;
/// The lowest overall mastery: this many members at most, of those who have started…
pub const LOWEST_COUNT: usize = 5;
/// …whose overall mastery is under this percentage.
pub const LOWEST_BELOW_PERCENT: i64 = 50;
/// Learners listed before "and N more".
pub const SHOWN: usize = 20;

/// A member as the rule sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learner {
    pub user_id: i64,
    /// Overall mastery, in percent (`quiz::mastery`).
    pub overall: i64,
    /// Their last attempt; `None` if they never made one.
    pub last_at: Option<i64>,
}

/// A member's answers and wrong answers on one topic over the last [`MISS_WINDOW_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMisses {
    pub user_id: i64,
    pub topic: String,
    pub answered: i64,
    pub wrong: i64,
}

/// A learner who may need help, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    pub user_id: i64,
    pub reasons: Vec<String>,
}

/// Whether a member's answers on one topic over the window count as many misses: at least
/// [`MISS_MIN_WRONG`] wrong, and fewer right than wrong (accuracy under 50%).
pub fn is_miss(answered: i64, wrong: i64) -> bool {
    wrong >= MISS_MIN_WRONG && (answered - wrong) * 2 < answered
}

/// Whether a member last active at `last_at` (`None`: never) counts as inactive at `now`.
pub fn is_inactive(last_at: Option<i64>, now: i64) -> bool {
    last_at.is_none_or(|t| now - t >= INACTIVE_DAYS * DAY)
}

/// How many reasons [`reasons`] gives: one for inactivity, one per topic named for misses (at most
/// [`MISS_TOPICS_NAMED`]) and one for the rest of them, one for the lowest mastery. The list is ordered
/// by this count; `store::class_view` counts the same in SQL.
pub fn reason_count(inactive: bool, miss_topics: i64, lowest: bool) -> i64 {
    let named = MISS_TOPICS_NAMED as i64;
    i64::from(inactive)
        + miss_topics.min(named)
        + i64::from(miss_topics > named)
        + i64::from(lowest)
}

/// The learners to list, most reasons first, at most [`SHOWN`] of them, and how many more there are.
/// `title` names a topic by its slug.
pub fn assess(
    learners: &[Learner],
    misses: &[TopicMisses],
    title: impl Fn(&str) -> String,
    now: i64,
) -> (Vec<Flagged>, usize) {
    assess_in(Language::Ja, learners, misses, title, now)
}

/// The members among the [`LOWEST_COUNT`] lowest overall mastery of those who have started, under
/// [`LOWEST_BELOW_PERCENT`]%: ties in user id order.
pub fn lowest(learners: &[Learner]) -> Vec<i64> {
    let mut started: Vec<&Learner> = learners.iter().filter(|l| l.last_at.is_some()).collect();
    started.sort_by_key(|l| (l.overall, l.user_id));
    started
        .into_iter()
        .take(LOWEST_COUNT)
        .filter(|l| l.overall < LOWEST_BELOW_PERCENT)
        .map(|l| l.user_id)
        .collect()
}

/// [`assess`] with the reasons in `language`.
pub fn assess_in(
    language: Language,
    learners: &[Learner],
    misses: &[TopicMisses],
    title: impl Fn(&str) -> String,
    now: i64,
) -> (Vec<Flagged>, usize) {
    let lowest = lowest(learners);
    let mut listed: Vec<(&Learner, Vec<String>)> = learners
        .iter()
        .map(|l| {
            let mine: Vec<&TopicMisses> =
                misses.iter().filter(|m| m.user_id == l.user_id).collect();
            let why = reasons(language, l, &mine, lowest.contains(&l.user_id), &title, now);
            (l, why)
        })
        .filter(|(_, why)| !why.is_empty())
        .collect();
    listed.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then(a.0.overall.cmp(&b.0.overall))
            .then(a.0.user_id.cmp(&b.0.user_id))
    });
    let more = listed.len().saturating_sub(SHOWN);
    let shown = listed
        .into_iter()
        .take(SHOWN)
        .map(|(l, reasons)| Flagged {
            user_id: l.user_id,
            reasons,
        })
        .collect();
    (shown, more)
}

/// One member's reasons, in the order shown: inactivity, many misses (the worst topics named, the rest
/// counted), the lowest mastery. `misses` are the member's topics over the window (those that do not
/// count as misses are left out here); `lowest` says they are among [`lowest`].
pub fn reasons(
    language: Language,
    l: &Learner,
    misses: &[&TopicMisses],
    lowest: bool,
    title: &impl Fn(&str) -> String,
    now: i64,
) -> Vec<String> {
    let en = language == Language::En;
    let mut reasons = Vec::new();
    if is_inactive(l.last_at, now) {
        reasons.push(match l.last_at {
            None => {
                if en {
                    "Has not taken any quiz yet.".into()
                } else {
                    "まだ一度もクイズを解いていません。".into()
                }
            }
            Some(t) => {
                let (days, last) = ((now - t) / DAY, jst::date_time(t));
                if en {
                    format!("No activity for {days} days (last: {last}).")
                } else {
                    format!("{days} 日間 活動がありません（最終: {last}）。")
                }
            }
        });
    }
    let mut misses: Vec<&TopicMisses> = misses
        .iter()
        .copied()
        .filter(|m| is_miss(m.answered, m.wrong))
        .collect();
    // The worst topics by name; the rest as a count.
    misses.sort_by(|a, b| b.wrong.cmp(&a.wrong).then(a.topic.cmp(&b.topic)));
    for m in misses.iter().take(MISS_TOPICS_NAMED) {
        let (topic, wrong) = (title(&m.topic), m.wrong);
        let share = percent(m.answered - m.wrong, m.answered);
        reasons.push(if en {
            format!(
                "{wrong} wrong answers in “{topic}” in the last {MISS_WINDOW_DAYS} days ({share}% correct)."
            )
        } else {
            format!(
                "「{topic}」で直近 {MISS_WINDOW_DAYS} 日に {wrong} 問まちがえています（正答率 {share}%）。"
            )
        });
    }
    if misses.len() > MISS_TOPICS_NAMED {
        let more = misses.len() - MISS_TOPICS_NAMED;
        reasons.push(if en {
            format!("More wrong than right answers in {more} other topics as well.")
        } else {
            format!("ほかに {more} トピックでも、まちがいが正解より多くなっています。")
        });
    }
    if lowest {
        let overall = l.overall;
        reasons.push(if en {
            format!("Overall mastery is {overall}%, among the lowest {LOWEST_COUNT} in the class.")
        } else {
            format!("全体の習得率が {overall}% で、クラスの下位 {LOWEST_COUNT} 人に入っています。")
        });
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000;

    fn learner(user_id: i64, overall: i64, days_ago: Option<i64>) -> Learner {
        Learner {
            user_id,
            overall,
            last_at: days_ago.map(|d| NOW - d * DAY),
        }
    }

    fn misses(user_id: i64, topic: &str, answered: i64, wrong: i64) -> TopicMisses {
        TopicMisses {
            user_id,
            topic: topic.into(),
            answered,
            wrong,
        }
    }

    fn reasons_of(flagged: &[Flagged], user_id: i64) -> Vec<String> {
        flagged
            .iter()
            .find(|f| f.user_id == user_id)
            .map(|f| f.reasons.clone())
            .unwrap_or_default()
    }

    #[test]
    fn each_signal_is_a_reason_and_more_reasons_come_first() {
        let learners = [
            learner(1, 80, Some(1)), // fine
            learner(2, 60, Some(8)), // away 8 days
            learner(3, 0, None),     // never started
            learner(4, 10, Some(0)), // many misses, lowest mastery
        ];
        let misses = [
            misses(4, "signals", 10, 6),
            misses(1, "tcp", 10, 2), // only 2 wrong: not many
        ];
        let (flagged, more) = assess(&learners, &misses, |s| s.to_uppercase(), NOW);
        assert_eq!(more, 0);
        assert!(
            reasons_of(&flagged, 1)
                .iter()
                .all(|r| !r.contains("まちがえて"))
        );
        assert!(reasons_of(&flagged, 2)[0].starts_with("8 日間 活動がありません"));
        assert_eq!(
            reasons_of(&flagged, 3),
            ["まだ一度もクイズを解いていません。"]
        );
        assert_eq!(
            reasons_of(&flagged, 4),
            [
                "「SIGNALS」で直近 14 日に 6 問まちがえています（正答率 40%）。",
                "全体の習得率が 10% で、クラスの下位 5 人に入っています。"
            ]
        );
        assert_eq!(flagged[0].user_id, 4, "two reasons: first");
    }

    #[test]
    fn a_learner_names_two_topics_and_counts_the_rest() {
        let learners = [learner(1, 90, Some(0))];
        let misses: Vec<TopicMisses> = ["a", "b", "c", "d"]
            .iter()
            .map(|t| misses(1, t, 4, 3))
            .collect();
        let (flagged, _) = assess(&learners, &misses, str::to_string, NOW);
        let reasons = reasons_of(&flagged, 1);
        assert_eq!(reasons.len(), 3);
        assert_eq!(
            reasons[2],
            "ほかに 2 トピックでも、まちがいが正解より多くなっています。"
        );
    }

    #[test]
    fn the_list_is_cut_and_the_rest_counted() {
        let learners: Vec<Learner> = (0..25).map(|i| learner(i, 0, None)).collect();
        let (flagged, more) = assess(&learners, &[], str::to_string, NOW);
        assert_eq!((flagged.len(), more), (SHOWN, 5));
    }
}
