//! The figures of a class overview — one page of the learner × topic grid, "needs help", the weakest
//! topics, attempts per day — computed two ways that must agree: [`from_aggregates`], what the page
//! serves (`store::class_view`: the cost follows the page, not the class's history), and [`from_history`],
//! the rules run over every attempt (`store::class_stats`), which the page falls back to when the
//! aggregates cannot say (a shrunken question bank, see `class_view::capped`) and which
//! `tests/aggregates.rs` compares the first with. The rules themselves are `quiz::mastery` and
//! `classroom::needs_help`. "Needs help" — the one figure that reads every member with a reason — is kept
//! in `web::instructor::cache` until the class or the time changes it.

use super::cache::{ClassCache, Flagging, Key};
use crate::classroom::needs_help::{
    self, Flagged, INACTIVE_DAYS, LOWEST_COUNT, MISS_MIN_WRONG, SHOWN, TopicMisses,
};
use crate::content::Language;
use crate::db::Db;
use crate::jst::{self, DAY};
use crate::quiz::mastery::Mastery;
use crate::store::{self, class_stats, class_view};
use std::collections::{BTreeSet, HashMap};

pub use crate::store::class_view::Order;

/// Days the attempts chart covers, today included.
pub const CHART_DAYS: i64 = super::charts::CHART_DAYS;

/// A course topic, as the overview counts it.
#[derive(Debug, Clone)]
pub struct Topic {
    pub slug: String,
    pub title: String,
    /// Questions in its bank now.
    pub questions: i64,
}

/// What the overview asks for: the order of the grid and which page of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    pub order: Order,
    pub desc: bool,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
    pub now: i64,
    pub language: Language,
}

/// A member's row of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: i64,
    pub display_name: String,
    pub name: String,
    pub last_at: Option<i64>,
    /// Overall mastery in percent.
    pub overall: i64,
    /// Per course topic, in course order: started, mastered questions.
    pub cells: Vec<(bool, i64)>,
}

/// A topic under "weakest topics".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weak {
    pub slug: String,
    pub percent: i64,
    pub started: i64,
    /// The started members' mastery added up (its colour step on the page).
    pub mastery: Mastery,
}

/// The overview's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub members: i64,
    /// The page shown (clamped to the last page), and the rows on it.
    pub page: i64,
    pub pages: i64,
    pub rows: Vec<Member>,
    pub flagged: Vec<Flagged>,
    pub flagged_more: usize,
    pub weakest: Vec<Weak>,
    /// (day, attempts) for the chart's days that have any.
    pub per_day: Vec<(i64, i64)>,
}

/// Topics listed under "weakest topics".
const WEAKEST_SHOWN: usize = 5;

/// The overall mastery of a member with these cells.
fn overall(cells: &[(bool, i64)], topics: &[Topic]) -> i64 {
    Mastery::sum(
        cells
            .iter()
            .zip(topics)
            .map(|(&(_, m), t)| Mastery::of(m, t.questions)),
    )
    .percent()
}

/// Pages for `members` rows, at least one; `page` clamped into them.
fn pages(members: i64, ask: &Ask) -> (i64, i64) {
    let pages = ((members + ask.per_page - 1) / ask.per_page).max(1);
    (ask.page.clamp(1, pages), pages)
}

/// The weakest topics: the lowest mastery over the members who have started each, from per topic
/// (started members, their mastered questions added up).
fn weakest(topics: &[Topic], sums: impl Fn(&str) -> (i64, i64)) -> Vec<Weak> {
    let mut weak: Vec<Weak> = topics
        .iter()
        .filter(|t| t.questions > 0)
        .filter_map(|t| {
            let (started, mastered) = sums(&t.slug);
            (started > 0).then(|| {
                let together = Mastery {
                    mastered,
                    questions: started * t.questions,
                };
                Weak {
                    slug: t.slug.clone(),
                    percent: together.percent(),
                    started,
                    mastery: together,
                }
            })
        })
        .collect();
    weak.sort_by_key(|w| w.percent);
    weak.truncate(WEAKEST_SHOWN);
    weak
}

/// The chart's days (the last [`CHART_DAYS`] up to `now`) that have attempts.
fn chart_days(days: impl Iterator<Item = (i64, i64)>, now: i64) -> Vec<(i64, i64)> {
    let today = jst::day(now);
    days.filter(|(d, n)| *d > today - CHART_DAYS && *d <= today && *n != 0)
        .collect()
}

/// What the figures are computed with besides the class: the content's generation (topic titles and
/// question counts, for the cache key) and the cache of costly figures.
pub struct With<'a> {
    pub generation: u64,
    pub cache: &'a ClassCache,
}

/// The figures from the class's aggregates; `None` when a shrunken bank caps someone's mastery
/// (`class_view::capped`), which the aggregates' totals cannot apply.
pub async fn from_aggregates(
    db: &Db,
    class_id: i64,
    topics: &[Topic],
    ask: &Ask,
    with: &With<'_>,
    title: impl Fn(&str) -> String,
) -> Result<Option<Standing>, sqlx::Error> {
    let per_topic: HashMap<String, i64> = topics
        .iter()
        .map(|t| (t.slug.clone(), t.questions))
        .collect();
    if class_view::capped(db, &per_topic).await? {
        return Ok(None);
    }
    let questions: i64 = topics.iter().map(|t| t.questions).sum();
    let sums = class_view::sums(db, class_id).await?;
    let (page, pages) = pages(sums.members, ask);
    let (rows, (flagged, flagged_more)) = tokio::try_join!(
        class_view::grid_page(
            db,
            class_id,
            ask.order,
            ask.desc,
            (page - 1) * ask.per_page,
            ask.per_page,
            questions,
        ),
        needs_help_kept(db, class_id, questions, ask, with, &title),
    )?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let cells: Vec<(bool, i64)> = topics
                .iter()
                .map(|t| r.topics.get(&t.slug).copied().unwrap_or((false, 0)))
                .collect();
            Member {
                overall: overall(&cells, topics),
                user_id: r.user_id,
                display_name: r.display_name,
                name: r.name,
                last_at: r.last_at,
                cells,
            }
        })
        .collect();
    Ok(Some(Standing {
        members: sums.members,
        page,
        pages,
        rows,
        flagged,
        flagged_more,
        weakest: weakest(topics, |slug| {
            (
                sums.started.get(slug).copied().unwrap_or(0),
                sums.mastered.get(slug).copied().unwrap_or(0),
            )
        }),
        per_day: chart_days(sums.days.iter().map(|(d, n)| (*d, *n)), ask.now),
    }))
}

/// "Needs help" from the aggregates, through the cache (`web::instructor::cache`): computed again only
/// when the class changed, or time moved it (a new day, a member turning inactive, a listed member's days
/// of inactivity) — and after a change of some members' rows, for those members only.
async fn needs_help_kept(
    db: &Db,
    class_id: i64,
    questions: i64,
    ask: &Ask,
    with: &With<'_>,
    title: &impl Fn(&str) -> String,
) -> Result<(Vec<Flagged>, usize), sqlx::Error> {
    let version = class_view::members_version(db, class_id).await?;
    let key = Key {
        version,
        generation: with.generation,
        extra: i64::from(ask.language == Language::En),
    };
    if let Some(kept) = with.cache.needs_help(class_id, key, ask.now) {
        return Ok(kept);
    }
    let today = jst::day(ask.now);
    let roster = class_view::roster_version(db, class_id).await?;
    let lowest: Vec<i64> = class_view::lowest(db, class_id, questions, LOWEST_COUNT as i64)
        .await?
        .into_iter()
        .filter(|(_, overall)| *overall < needs_help::LOWEST_BELOW_PERCENT)
        .map(|(user, _)| user)
        .collect();
    let kept = with
        .cache
        .take_flagging(class_id, roster, with.generation, today, version, ask.now);
    let mut standings = match kept {
        // Only the members whose rows changed since, and the lowest then and now, can have other
        // reasons: they are looked at again, the rest kept.
        Some(kept) => {
            let mut again: BTreeSet<i64> = class_view::changed_since(db, class_id, kept.version)
                .await?
                .into_iter()
                .collect();
            again.extend(kept.lowest.iter().chain(&lowest));
            let again: Vec<i64> = again.into_iter().collect();
            let fresh = class_view::flagged(
                db,
                class_id,
                ask.now,
                today,
                questions,
                &lowest,
                Some(&again),
            )
            .await?;
            let mut standings: Vec<_> = kept
                .standings
                .into_iter()
                .filter(|s| again.binary_search(&s.user_id).is_err())
                .collect();
            standings.extend(fresh);
            standings
        }
        None => class_view::flagged(db, class_id, ask.now, today, questions, &lowest, None).await?,
    };
    standings.sort_by(|a, b| {
        b.reasons
            .cmp(&a.reasons)
            .then(a.overall.cmp(&b.overall))
            .then(a.user_id.cmp(&b.user_id))
    });
    let more = standings.len().saturating_sub(SHOWN);
    let listed = &standings[..standings.len().min(SHOWN)];
    // True until the next day (misses), the next member turning inactive, or a listed member's days
    // of inactivity growing by one.
    let mut until = jst::day_start(today + 1);
    if let Some(t) = class_view::next_inactive(db, class_id, ask.now, INACTIVE_DAYS * DAY).await? {
        until = until.min(t);
    }
    for t in listed.iter().filter_map(|s| s.last_at) {
        until = until.min(t + ((ask.now - t) / DAY + 1) * DAY);
    }
    let flagged = reasons_of(db, listed, &lowest, ask, title).await?;
    with.cache.keep_flagging(
        class_id,
        Flagging {
            version,
            roster,
            generation: with.generation,
            day: today,
            from: ask.now,
            until,
            lowest,
            standings,
        },
    );
    let value = (flagged, more);
    with.cache
        .keep_needs_help(class_id, key, ask.now, until, value.clone());
    Ok(value)
}

/// The words of the listed members' reasons, from their own recent attempts; the count that ordered them
/// came from the aggregates.
async fn reasons_of(
    db: &Db,
    listed: &[class_view::Standing],
    lowest: &[i64],
    ask: &Ask,
    title: &impl Fn(&str) -> String,
) -> Result<Vec<Flagged>, sqlx::Error> {
    let today = jst::day(ask.now);
    let users: Vec<i64> = listed.iter().map(|f| f.user_id).collect();
    let since = jst::day_start(today - needs_help::MISS_WINDOW_DAYS + 1);
    let misses = class_stats::misses_of(db, &users, since, MISS_MIN_WRONG).await?;
    Ok(listed
        .iter()
        .map(|f| {
            let learner = needs_help::Learner {
                user_id: f.user_id,
                overall: f.overall,
                last_at: f.last_at,
            };
            let mine: Vec<&TopicMisses> =
                misses.iter().filter(|m| m.user_id == f.user_id).collect();
            let reasons = needs_help::reasons(
                ask.language,
                &learner,
                &mine,
                lowest.contains(&f.user_id),
                title,
                ask.now,
            );
            debug_assert_eq!(reasons.len() as i64, f.reasons, "{reasons:?}");
            Flagged {
                user_id: f.user_id,
                reasons,
            }
        })
        .collect())
}

/// The figures from every attempt of the class's members (the rules as first written: whole-class
/// queries over `attempt` and `question_progress`, then everything in memory).
pub async fn from_history(
    db: &Db,
    class_id: i64,
    topics: &[Topic],
    ask: &Ask,
    title: impl Fn(&str) -> String,
) -> Result<Standing, sqlx::Error> {
    let today = jst::day(ask.now);
    let since = jst::day_start(today - needs_help::MISS_WINDOW_DAYS + 1);
    let (members, mastered, started, misses, per_day) = tokio::try_join!(
        store::classes::members(db, class_id),
        class_stats::mastered(db, class_id),
        class_stats::started(db, class_id),
        class_stats::recent_misses(db, class_id, since, MISS_MIN_WRONG),
        class_stats::attempts_per_day(
            db,
            class_id,
            jst::day_start(today - CHART_DAYS + 1),
            jst::OFFSET
        ),
    )?;
    let column: HashMap<&str, usize> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let mut cells: HashMap<i64, Vec<(bool, i64)>> = HashMap::new();
    let untouched = || vec![(false, 0); topics.len()];
    for s in &started {
        let row = cells.entry(s.user_id).or_insert_with(untouched);
        for topic in &s.topics {
            if let Some(&i) = column.get(topic.as_str()) {
                row[i].0 = true;
            }
        }
    }
    for m in &mastered {
        if let Some(&i) = column.get(m.topic.as_str()) {
            cells.entry(m.user_id).or_insert_with(untouched)[i] = (true, m.mastered);
        }
    }
    let last_at: HashMap<i64, i64> = started.iter().map(|s| (s.user_id, s.last_at)).collect();
    let mut rows: Vec<Member> = members
        .iter()
        .map(|m| {
            let row = cells.get(&m.user_id).cloned().unwrap_or_else(untouched);
            Member {
                user_id: m.user_id,
                display_name: m.display_name.clone(),
                name: m.name.clone(),
                last_at: last_at.get(&m.user_id).copied(),
                overall: overall(&row, topics),
                cells: row,
            }
        })
        .collect();
    let standing: Vec<needs_help::Learner> = rows
        .iter()
        .map(|r| needs_help::Learner {
            user_id: r.user_id,
            overall: r.overall,
            last_at: r.last_at,
        })
        .collect();
    let (flagged, flagged_more) =
        needs_help::assess_in(ask.language, &standing, &misses, title, ask.now);
    let weakest = weakest(topics, |slug| {
        let Some(&i) = column.get(slug) else {
            return (0, 0);
        };
        rows.iter()
            .filter(|r| r.cells[i].0)
            .fold((0, 0), |(n, m), r| {
                (
                    n + 1,
                    m + Mastery::of(r.cells[i].1, topics[i].questions).mastered,
                )
            })
    });
    sort(&mut rows, ask.order, ask.desc);
    let (page, pages) = pages(rows.len() as i64, ask);
    let rows = rows
        .into_iter()
        .skip(((page - 1) * ask.per_page) as usize)
        .take(ask.per_page as usize)
        .collect();
    Ok(Standing {
        members: members.len() as i64,
        page,
        pages,
        rows,
        flagged,
        flagged_more,
        weakest,
        per_day: chart_days(per_day.iter().map(|d| (d.day, d.attempts)), ask.now),
    })
}

/// The grid's order: by the key in the direction asked, ties by name A→Z (then user id); the name order
/// reversed whole. Names compare lower-cased (the name shown: the display name, or the login name).
pub fn sort(rows: &mut [Member], order: Order, desc: bool) {
    let key = |m: &Member| {
        let shown = if m.display_name.is_empty() {
            &m.name
        } else {
            &m.display_name
        };
        shown.to_lowercase()
    };
    let by_name = |a: &Member, b: &Member| key(a).cmp(&key(b)).then(a.user_id.cmp(&b.user_id));
    rows.sort_by(|a, b| {
        let primary = match order {
            Order::Name => std::cmp::Ordering::Equal,
            Order::Mastery => a.overall.cmp(&b.overall),
            Order::Activity => a.last_at.cmp(&b.last_at),
        };
        let primary = if desc { primary.reverse() } else { primary };
        match order {
            Order::Name if desc => by_name(b, a),
            _ => primary.then_with(|| by_name(a, b)),
        }
    });
}
