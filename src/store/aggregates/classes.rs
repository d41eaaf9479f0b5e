//! The class side of the aggregates: what a learner's changes do to the sums of every class they are in
//! (`class_stat`, `class_learner`, `class_rank`, `class_option_member`), members joining and leaving, and
//! widget predictions.

use super::{Change, Keys, LearnerAggs, load, lock, packed, rebuild_users, users_from};
use crate::classroom::aggregates as agg;
use crate::db::Conn;
use crate::jst;
use crate::on_conn;
use crate::store::batch::{Rows, Script, bind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A class's sums to change: (class, kind, scope, key) → (n, m, learners). Hashed with foldhash: a batch
/// adds every member's changes here, and std's SipHash was the writer's largest cost (`bench/quiz.sh`).
type ClassDelta = foldhash::HashMap<(i64, &'static str, String, String), (i64, i64, i64)>;

/// Carries learner changes into the sums of every class the learners are in.
pub(super) async fn apply_to_classes(
    conn: &mut Conn<'_>,
    script: &mut Script<'_>,
    changes: &[Change],
    before: &HashMap<i64, LearnerAggs>,
    after: &HashMap<i64, LearnerAggs>,
    memberships: &Memberships,
    kept_recent: Option<Vec<RecentRow>>,
) -> Result<(), sqlx::Error> {
    let with_attempts: Vec<&Change> = changes
        .iter()
        .filter(|c| !c.new_attempts.is_empty() && memberships.contains_key(&c.user_id))
        .collect();
    let recent = recent_kept(conn, script, &with_attempts, kept_recent).await?;
    let empty = LearnerAggs::default();
    let mut delta = ClassDelta::default();
    let mut learners: Vec<ClassLearnerChange> = Vec::new();
    let mut added_options: Vec<(i64, String, i64, String, i64)> = Vec::new();
    let mut removed_options: Vec<(i64, String, i64, String, i64)> = Vec::new();
    let (mut ranks_out, mut ranks_in): (Vec<RankRow>, Vec<RankRow>) = (Vec::new(), Vec::new());
    for change in changes {
        let Some(classes) = memberships.get(&change.user_id) else {
            continue;
        };
        let was = before.get(&change.user_id).unwrap_or(&empty);
        let now = after.get(&change.user_id).unwrap_or(&empty);
        let only = Some(&change.topics);
        let (old_sums, new_sums) = (was.contributions(only), now.contributions(only));
        let diff = agg::difference(&old_sums, &new_sums);
        let mastered: i64 = change
            .topics
            .iter()
            .map(|t| {
                now.topics.get(t).map_or(0, |a| a.mastered)
                    - was.topics.get(t).map_or(0, |a| a.mastered)
            })
            .sum();
        let (old_options, new_options) = (was.options(only), now.options(only));
        let (old_ranks, new_ranks) = (was.ranks(only), now.ranks(only));
        for (class_id, name) in classes {
            add(&mut delta, *class_id, "version", "", "", (0, 0, 0));
            if old_ranks != new_ranks {
                for (topic, score, _, _) in &old_ranks {
                    ranks_out.push((*class_id, topic.clone(), *score, change.user_id, 0, 0));
                }
                for (topic, score, answered, right) in &new_ranks {
                    ranks_in.push((
                        *class_id,
                        topic.clone(),
                        *score,
                        change.user_id,
                        *answered,
                        *right,
                    ));
                }
            }
            for (kind, scope, key, n, m, l) in &diff {
                add(&mut delta, *class_id, kind, scope, key, (*n, *m, *l));
            }
            for one in &change.new_attempts {
                add(
                    &mut delta,
                    *class_id,
                    "day",
                    "",
                    &jst::day(one.at).to_string(),
                    (1, 0, 0),
                );
            }
            for (scope, option) in new_options.difference(&old_options) {
                added_options.push((
                    *class_id,
                    scope.clone(),
                    *option,
                    name.clone(),
                    change.user_id,
                ));
            }
            for (scope, option) in old_options.difference(&new_options) {
                removed_options.push((
                    *class_id,
                    scope.clone(),
                    *option,
                    name.clone(),
                    change.user_id,
                ));
            }
            learners.push(ClassLearnerChange {
                class_id: *class_id,
                user_id: change.user_id,
                attempts: change.new_attempts.len() as i64,
                mastered,
                recent: recent.get(&change.user_id).copied(),
            });
        }
    }
    save_delta(script, delta, true)?;
    save_options(script, &added_options, &removed_options)?;
    save_ranks(script, &ranks_out, &ranks_in)?;
    save_class_learners(script, &learners)
}

/// A row of `class_rank`: class, topic, score, user, first answers given, first answers right.
type RankRow = (i64, String, i64, i64, i64, i64);

static DELETE_RANKS: Rows = Rows::new(
    6,
    "delete from class_rank where (class_id, topic, score, user_id) in
       (select column1, column2, column3, column4 from (values {values}))",
    "delete from class_rank where (class_id, topic, score, user_id) in
       (select column1, column2, column3, column4 from (values {values}) v)",
);

static INSERT_RANKS: Rows = Rows::new(
    6,
    "insert or replace into class_rank (class_id, topic, score, user_id, answered_first, right_first)
     select * from (values {values}) where column1 is not null",
    "insert into class_rank (class_id, topic, score, user_id, answered_first, right_first) values {values}
     on conflict (class_id, topic, score, user_id) do update
       set answered_first = excluded.answered_first, right_first = excluded.right_first",
);

/// Takes members' old rank rows out and puts their new ones in (added to `script`).
fn save_ranks(
    script: &mut Script<'_>,
    out: &[RankRow],
    into: &[RankRow],
) -> Result<(), sqlx::Error> {
    for (rows, sql) in [(out, &DELETE_RANKS), (into, &INSERT_RANKS)] {
        script.rows(sql, rows, |args, (class_id, topic, score, user, a, r)| {
            bind(args, *class_id)?;
            bind(args, topic.clone())?;
            bind(args, *score)?;
            bind(args, *user)?;
            bind(args, *a)?;
            bind(args, *r)
        })?;
    }
    Ok(())
}

fn add(
    delta: &mut ClassDelta,
    class_id: i64,
    kind: &'static str,
    scope: &str,
    key: &str,
    d: (i64, i64, i64),
) {
    let e = delta
        .entry((class_id, kind, scope.to_string(), key.to_string()))
        .or_default();
    e.0 += d.0;
    e.1 += d.1;
    e.2 += d.2;
}

/// Each learner's classes, with the name the analysis lists them by.
pub(super) type Memberships = HashMap<i64, Vec<(i64, String)>>;

/// [`Memberships`] of `users` (those in no class are absent).
pub(super) async fn memberships(
    conn: &mut Conn<'_>,
    users: &[i64],
) -> Result<Memberships, sqlx::Error> {
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let postgres = matches!(conn, Conn::Postgres(_));
    let sql = format!(
        "select {MEMBERSHIP_COLUMNS} from {}",
        membership_from(postgres, if postgres { "$1" } else { "?" })
    );
    let rows: Vec<(i64, i64, String)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(&sql).bind(json).fetch_all(c).await)?;
    Ok(memberships_of(rows))
}

/// The membership rows (user, class, name) of the users in the JSON array bound as `param`: the columns
/// and the `from` of [`memberships`], also read by `aggregates::Prefetch`.
pub(super) const MEMBERSHIP_COLUMNS: &str =
    "m.user_id, m.class_id, coalesce(nullif(u.display_name, ''), u.name, '?')";
pub(super) fn membership_from(postgres: bool, param: &str) -> String {
    users_from(
        postgres,
        param,
        "class_member m on m.user_id = k.value
     join app_user u on u.user_id = m.user_id",
    )
}

/// [`Memberships`] from rows of [`MEMBERSHIPS`].
pub(super) fn memberships_of(rows: Vec<(i64, i64, String)>) -> Memberships {
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (user, class_id, name) in rows {
        out.entry(user).or_default().push((class_id, name));
    }
    out
}

/// A `learner_recent` row: user, latest attempt, days (JSON).
pub(super) type RecentRow = (i64, i64, String);

/// The `learner_recent` rows of the users in the JSON array bound as `param`: the columns and the `from`,
/// also read by `aggregates::Prefetch`.
pub(super) const RECENT_COLUMNS: &str = "r.user_id, r.last_at, r.days";
pub(super) fn recent_from(postgres: bool, param: &str) -> String {
    users_from(postgres, param, "learner_recent r on r.user_id = k.value")
}

/// A learner's answers and wrong answers per (topic, Japan-time day), as `learner_recent.days` keeps them.
type Days = Vec<(String, i64, i64, i64)>;

/// A `class_learner` row to insert: user, name to sort by, attempts, last attempt, mastered, miss day, misses.
type MemberRow = (i64, String, i64, Option<i64>, i64, i64, i64);

/// A learner's latest attempt and their misses ahead (`classroom::aggregates::miss_counts`).
#[derive(Debug, Clone, Copy)]
struct Recent {
    last_at: i64,
    miss_day: i64,
    miss_counts: i64,
}

/// [`Recent`] for each of `users` who has attempts, from their attempts of the last 14 days before their
/// latest (the attempts index, one learner at a time), and their `learner_recent` rows made from them: for
/// members joining.
async fn recent(conn: &mut Conn<'_>, users: &[i64]) -> Result<HashMap<i64, Recent>, sqlx::Error> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let window = crate::classroom::needs_help::MISS_WINDOW_DAYS - 1;
    let sql = |postgres: bool| {
        let p = |n: usize| {
            if postgres {
                format!("${n}")
            } else {
                format!("?{n}")
            }
        };
        format!(
            "with latest as (
                 select a.user_id, max(a.created_at) as last_at
                 from {} group by a.user_id)
             select {} from (
                 select l.user_id, l.last_at, a.topic, (a.created_at + {p2}) / 86400 as day,
                        sum(a.question_count) as answered, sum(a.question_count - a.correct_count) as wrong
                 from latest l {join} attempt a
                   on a.user_id = l.user_id and a.created_at >= ((l.last_at + {p2}) / 86400 - {p3}) * 86400 - {p2}
                 group by l.user_id, l.last_at, a.topic, day) d",
            users_from(postgres, &p(1), "attempt a on a.user_id = k.value"),
            packed(postgres, if postgres {
                "user_id, last_at, topic, day, answered::bigint, wrong::bigint"
            } else {
                "user_id, last_at, topic, day, answered, wrong"
            }),
            p2 = p(2),
            p3 = p(3),
            join = if postgres { "join" } else { "cross join" },
        )
    };
    let sql = sql(matches!(conn, Conn::Postgres(_)));
    let (packed,): (String,) = on_conn!(conn.reborrow(), c => sqlx::query_as(&sql)
        .bind(json)
        .bind(jst::OFFSET)
        .bind(window)
        .fetch_one(c)
        .await)?;
    let rows: Vec<(i64, i64, String, i64, i64, i64)> =
        serde_json::from_str(&packed).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut days: HashMap<i64, (i64, Days)> = HashMap::new();
    for (user, last_at, topic, day, answered, wrong) in rows {
        let e = days.entry(user).or_insert((last_at, Vec::new()));
        e.1.push((topic, day, answered, wrong));
    }
    let mut out = HashMap::new();
    let mut rows = Vec::new();
    for (user, (last_at, mut days)) in days {
        days.sort();
        // Kept, so the learner's next attempts start from it (`recent_kept`).
        rows.push((
            user,
            last_at,
            serde_json::to_string(&days).unwrap_or_else(|_| "[]".into()),
        ));
        let base = jst::day(last_at);
        out.insert(
            user,
            Recent {
                last_at,
                miss_day: base,
                miss_counts: agg::miss_counts(base, &days),
            },
        );
    }
    let mut script = Script::new(conn);
    save_recent(&mut script, &rows)?;
    script.run(conn).await?;
    Ok(out)
}

/// [`Recent`] for learners with new attempts, from their kept `learner_recent` row (the 14 days up to
/// their latest attempt) and the new attempts; the rows are written back. Bounded by what a learner did in
/// two weeks, never by their whole history.
async fn recent_kept(
    conn: &mut Conn<'_>,
    script: &mut Script<'_>,
    changes: &[&Change],
    kept_rows: Option<Vec<RecentRow>>,
) -> Result<HashMap<i64, Recent>, sqlx::Error> {
    if changes.is_empty() {
        return Ok(HashMap::new());
    }
    let users: Vec<i64> = changes.iter().map(|c| c.user_id).collect();
    let rows: Vec<RecentRow> = match kept_rows {
        Some(rows) => rows
            .into_iter()
            .filter(|(user, _, _)| users.contains(user))
            .collect(),
        None => {
            let postgres = matches!(conn, Conn::Postgres(_));
            let sql = format!(
                "select {RECENT_COLUMNS} from {}",
                recent_from(postgres, if postgres { "$1" } else { "?" })
            );
            let json = serde_json::to_string(&users).unwrap_or_else(|_| "[]".into());
            on_conn!(conn.reborrow(), c => sqlx::query_as(&sql).bind(json).fetch_all(c).await)?
        }
    };
    let mut kept: HashMap<i64, (i64, Days)> = rows
        .into_iter()
        .map(|(user, last_at, days)| {
            (
                user,
                (last_at, serde_json::from_str(&days).unwrap_or_default()),
            )
        })
        .collect();
    let mut out = HashMap::new();
    for change in changes {
        let (last_at, days) = kept.entry(change.user_id).or_insert((i64::MIN, Vec::new()));
        for one in &change.new_attempts {
            *last_at = (*last_at).max(one.at);
            let day = jst::day(one.at);
            match days
                .iter_mut()
                .find(|(t, d, _, _)| *t == one.topic && *d == day)
            {
                Some(entry) => {
                    entry.2 += one.answered;
                    entry.3 += one.wrong;
                }
                None => days.push((one.topic.clone(), day, one.answered, one.wrong)),
            }
        }
        let base = jst::day(*last_at);
        days.retain(|(_, d, _, _)| *d > base - crate::classroom::needs_help::MISS_WINDOW_DAYS);
        days.sort();
        out.insert(
            change.user_id,
            Recent {
                last_at: *last_at,
                miss_day: base,
                miss_counts: agg::miss_counts(base, days),
            },
        );
    }
    let rows: Vec<(i64, i64, String)> = kept
        .into_iter()
        .map(|(user, (last_at, days))| {
            (
                user,
                last_at,
                serde_json::to_string(&days).unwrap_or_else(|_| "[]".into()),
            )
        })
        .collect();
    save_recent(script, &rows)?;
    Ok(out)
}

static UPSERT_RECENT: Rows = Rows::insert(
    3,
    "insert into learner_recent (user_id, last_at, days)",
    "on conflict (user_id) do update set last_at = excluded.last_at, days = excluded.days",
);

/// Adds to `script` learners' `learner_recent` rows to write: (user, latest attempt, days as JSON).
fn save_recent(script: &mut Script<'_>, rows: &[(i64, i64, String)]) -> Result<(), sqlx::Error> {
    script.rows(&UPSERT_RECENT, rows, |args, (user, last_at, days)| {
        bind(args, *user)?;
        bind(args, *last_at)?;
        bind(args, days.clone())
    })
}

static UPSERT_CLASS_STAT: Rows = Rows::insert(
    7,
    "insert into class_stat (class_id, kind, scope, key, n, m, learners)",
    "on conflict (class_id, kind, scope, key) do update set n = class_stat.n + excluded.n,
       m = class_stat.m + excluded.m, learners = class_stat.learners + excluded.learners",
);

/// Adds `delta` to the classes' sums, and counts one more change of each class it touches (kind
/// `version`: what a cache of a class's figures is checked against, see `class_view::version`). With
/// `members_changed` (an attempt, a reset, a join or a leave: not a widget prediction, which only adds to
/// the widget sums) it also counts one more change of the members' rows and attempts (scope `members`,
/// `class_view::members_version`): what "needs help" and the live panel are computed from.
fn save_delta(
    script: &mut Script<'_>,
    mut delta: ClassDelta,
    members_changed: bool,
) -> Result<(), sqlx::Error> {
    let classes: BTreeSet<i64> = delta.keys().map(|k| k.0).collect();
    for class_id in classes {
        add(&mut delta, class_id, "version", "", "", (1, 0, 0));
        if members_changed {
            add(&mut delta, class_id, "version", "members", "", (1, 0, 0));
        }
    }
    let mut rows: Vec<_> = delta.into_iter().filter(|(_, d)| *d != (0, 0, 0)).collect();
    rows.sort();
    script.rows(
        &UPSERT_CLASS_STAT,
        &rows,
        |args, ((class_id, kind, scope, key), (n, m, l))| {
            bind(args, *class_id)?;
            bind(args, *kind)?;
            bind(args, scope.clone())?;
            bind(args, key.clone())?;
            bind(args, *n)?;
            bind(args, *m)?;
            bind(args, *l)
        },
    )
}

static INSERT_OPTIONS: Rows = Rows::new(
    5,
    "insert or ignore into class_option_member (class_id, scope, option, name, user_id)
     select * from (values {values}) where column1 is not null",
    "insert into class_option_member (class_id, scope, option, name, user_id) values {values}
     on conflict do nothing",
);

static DELETE_OPTIONS: Rows = Rows::same(
    5,
    "delete from class_option_member where (class_id, scope, option, name, user_id) in (values {values})",
);

type OptionRow = (i64, String, i64, String, i64);

fn save_options(
    script: &mut Script<'_>,
    added: &[OptionRow],
    removed: &[OptionRow],
) -> Result<(), sqlx::Error> {
    for (rows, sql) in [(added, &INSERT_OPTIONS), (removed, &DELETE_OPTIONS)] {
        script.rows(sql, rows, |args, (class_id, scope, option, name, user)| {
            bind(args, *class_id)?;
            bind(args, scope.clone())?;
            bind(args, *option)?;
            bind(args, name.clone())?;
            bind(args, *user)
        })?;
    }
    Ok(())
}

/// A member's row of `class_learner` to change: attempts and mastered questions to add, and their latest
/// attempt and misses as they are now (unchanged when `None`). The row's `changed` becomes the class's
/// members version, counted up earlier in the same script ([`save_delta`] comes first): what "needs help"
/// reads to compute only the changed members again (`class_view::changed_since`).
struct ClassLearnerChange {
    class_id: i64,
    user_id: i64,
    attempts: i64,
    mastered: i64,
    recent: Option<Recent>,
}

static UPDATE_CLASS_LEARNERS: Rows = Rows::same(
    7,
    "update class_learner set attempts = class_learner.attempts + v.column3,
       mastered = class_learner.mastered + v.column4,
       last_at = coalesce(v.column5, class_learner.last_at),
       miss_day = coalesce(v.column6, class_learner.miss_day),
       miss_counts = coalesce(v.column7, class_learner.miss_counts),
       changed = (select s.n from class_stat s where s.class_id = v.column1 and s.kind = 'version'
                  and s.scope = 'members' and s.key = '')
     from (values {values}) v where class_learner.class_id = v.column1 and class_learner.user_id = v.column2",
);

fn save_class_learners(
    script: &mut Script<'_>,
    rows: &[ClassLearnerChange],
) -> Result<(), sqlx::Error> {
    script.rows(&UPDATE_CLASS_LEARNERS, rows, |args, c| {
        bind(args, c.class_id)?;
        bind(args, c.user_id)?;
        bind(args, c.attempts)?;
        bind(args, c.mastered)?;
        bind(args, c.recent.map(|r| r.last_at))?;
        bind(args, c.recent.map(|r| r.miss_day))?;
        bind(args, c.recent.map(|r| r.miss_counts))
    })
}

/// Members joining (`sign` 1) or leaving (`sign` −1) class `class_id`: what they bring is added to the
/// class's sums, or taken away, with their `class_learner` rows and the options they chose. The
/// `class_member` rows are the caller's (`store::classes`).
pub async fn add_members<'c>(
    conn: impl Into<Conn<'c>>,
    class_id: i64,
    users: &[i64],
    sign: i64,
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    let conn = &mut conn;
    lock(conn).await?;
    let postgres = matches!(conn, Conn::Postgres(_));
    let (first, second) = if postgres { ("$1", "$2") } else { ("?1", "?2") };
    let names_sql = format!(
        "select u.user_id, u.display_name, coalesce(u.name, ''), coalesce(nullif(u.display_name, ''), u.name, '?')
         from {}",
        users_from(postgres, first, "app_user u on u.user_id = k.value")
    );
    let days_sql = format!(
        "select (a.created_at + {second}) / 86400 as day, count(*) from {} group by day",
        users_from(postgres, first, "attempt a on a.user_id = k.value")
    );
    for chunk in users.chunks(500) {
        if sign > 0 {
            // Learners outside any class have no aggregates kept: made now from their history.
            rebuild_users(conn.reborrow(), chunk).await?;
        }
        let aggs = load(conn, Keys::Users(chunk)).await?;
        let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
        let names: Vec<(i64, String, String, String)> = on_conn!(conn.reborrow(), c =>
            sqlx::query_as(&names_sql).bind(&json).fetch_all(c).await)?;
        let days: Vec<(i64, i64)> = on_conn!(conn.reborrow(), c => sqlx::query_as(&days_sql)
            .bind(&json)
            .bind(jst::OFFSET)
            .fetch_all(c)
            .await)?;
        let recent = if sign > 0 {
            recent(conn, chunk).await?
        } else {
            HashMap::new()
        };
        let widgets = widget_counts(conn, chunk).await?;
        let empty = LearnerAggs::default();
        let mut delta = ClassDelta::default();
        for ((_, widget, key), (n, m)) in &widgets {
            add(
                &mut delta,
                class_id,
                "widget",
                widget,
                key,
                (sign * n, sign * m, sign),
            );
        }
        let mut ranks: Vec<RankRow> = Vec::new();
        add(
            &mut delta,
            class_id,
            "members",
            "",
            "",
            (sign * chunk.len() as i64, 0, sign * chunk.len() as i64),
        );
        for (day, count) in days {
            add(
                &mut delta,
                class_id,
                "day",
                "",
                &day.to_string(),
                (sign * count, 0, 0),
            );
        }
        let mut options: Vec<OptionRow> = Vec::new();
        let mut rows: Vec<MemberRow> = Vec::new();
        for (user, display_name, name, listed) in &names {
            let l = aggs.get(user).unwrap_or(&empty);
            let contributions = l.contributions(None);
            let diff = if sign > 0 {
                agg::difference(&[], &contributions)
            } else {
                agg::difference(&contributions, &[])
            };
            for (kind, scope, key, n, m, learners) in &diff {
                add(&mut delta, class_id, kind, scope, key, (*n, *m, *learners));
            }
            for (scope, option) in l.options(None) {
                options.push((class_id, scope, option, listed.clone(), *user));
            }
            for (topic, score, answered, right) in l.ranks(None) {
                ranks.push((class_id, topic, score, *user, answered, right));
            }
            let r = recent.get(user);
            let shown = if display_name.is_empty() {
                name
            } else {
                display_name
            };
            rows.push((
                *user,
                shown.to_lowercase(),
                l.topics.values().map(|t| t.attempts).sum(),
                r.map(|r| r.last_at),
                l.topics.values().map(|t| t.mastered).sum(),
                r.map_or(0, |r| r.miss_day),
                r.map_or(0, |r| r.miss_counts),
            ));
        }
        // Who the members are changed: a live window kept across attempts is read again from scratch
        // (`class_view::roster_version`).
        add(&mut delta, class_id, "version", "roster", "", (1, 0, 0));
        let mut script = Script::new(conn);
        save_delta(&mut script, delta, true)?;
        if sign > 0 {
            save_options(&mut script, &options, &[])?;
            save_ranks(&mut script, &[], &ranks)?;
            script.run(conn).await?;
            for (user, sort_name, attempts, last_at, mastered, miss_day, miss_counts) in rows {
                on_conn!(conn.reborrow(), c => sqlx::query(
                    "insert into class_learner (class_id, user_id, sort_name, attempts, last_at, mastered, miss_day, miss_counts)
                     values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(class_id)
                .bind(user)
                .bind(sort_name)
                .bind(attempts)
                .bind(last_at)
                .bind(mastered)
                .bind(miss_day)
                .bind(miss_counts)
                .execute(c)
                .await
                .map(|_| ()))?;
            }
        } else {
            save_options(&mut script, &[], &options)?;
            save_ranks(&mut script, &ranks, &[])?;
            script.run(conn).await?;
            let sql = conn.pick(
                "delete from class_learner where class_id = ?1 and user_id in (select value from json_each(?2))",
                "delete from class_learner where class_id = $1
                   and user_id in (select value::bigint from json_array_elements_text($2::json))",
            );
            on_conn!(conn.reborrow(), c => sqlx::query(sql)
                .bind(class_id)
                .bind(&json)
                .execute(c)
                .await
                .map(|_| ()))?;
        }
    }
    Ok(())
}

/// Widget predictions of `users`, counted per (user, widget, JSON [scenario, step, field]): (made, right).
async fn widget_counts(
    conn: &mut Conn<'_>,
    users: &[i64],
) -> Result<BTreeMap<(i64, String, String), (i64, i64)>, sqlx::Error> {
    let postgres = matches!(conn, Conn::Postgres(_));
    let sql = format!(
        "select w.user_id, w.widget, w.scenario, w.step, w.field, count(*), sum(w.correct){}
         from {}
         group by w.user_id, w.widget, w.scenario, w.step, w.field",
        if postgres { "::bigint" } else { "" },
        users_from(
            postgres,
            if postgres { "$1" } else { "?1" },
            "widget_answer w on w.user_id = k.value"
        )
    );
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let rows: Vec<(i64, String, String, i64, String, i64, i64)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(&sql).bind(json).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(user, widget, scenario, step, field, n, m)| {
            ((user, widget, widget_key(&scenario, step, &field)), (n, m))
        })
        .collect())
}

/// The key of a widget step's class sum: `[scenario, step, field]` in JSON.
pub fn widget_key(scenario: &str, step: i64, field: &str) -> String {
    serde_json::to_string(&(scenario, step, field)).unwrap_or_default()
}

/// A widget prediction just stored (by the `widget_answer` insert the caller made in this transaction).
#[derive(Debug, Clone)]
pub struct WidgetAnswer<'a> {
    pub user_id: i64,
    pub widget: &'a str,
    pub scenario: &'a str,
    pub step: i64,
    pub field: &'a str,
    pub correct: bool,
}

/// Counts widget predictions just stored into the sums of their learners' classes (kind `widget`: scope
/// the widget, key `[scenario, step, field]`; learners: members who predicted that step).
pub async fn widget_answers<'c>(
    conn: impl Into<Conn<'c>>,
    answers: &[WidgetAnswer<'_>],
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    let conn = &mut conn;
    lock(conn).await?;
    let users: Vec<i64> = answers
        .iter()
        .map(|a| a.user_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let memberships = memberships(conn, &users).await?;
    if memberships.is_empty() {
        return Ok(());
    }
    let members: Vec<i64> = users
        .into_iter()
        .filter(|u| memberships.contains_key(u))
        .collect();
    // Every prediction of these members, the new ones included: a member new to a step has as many as
    // this batch brought.
    let totals = widget_counts(conn, &members).await?;
    let mut added: BTreeMap<(i64, String, String), (i64, i64)> = BTreeMap::new();
    for a in answers
        .iter()
        .filter(|a| memberships.contains_key(&a.user_id))
    {
        let key = widget_key(a.scenario, a.step, a.field);
        let e = added
            .entry((a.user_id, a.widget.to_string(), key))
            .or_default();
        e.0 += 1;
        e.1 += i64::from(a.correct);
    }
    let mut delta = ClassDelta::default();
    for ((user, widget, key), (n, m)) in &added {
        let total = totals
            .get(&(*user, widget.clone(), key.clone()))
            .map_or(*n, |t| t.0);
        let new_learner = i64::from(total == *n);
        for (class_id, _) in memberships.get(user).into_iter().flatten() {
            add(
                &mut delta,
                *class_id,
                "widget",
                widget,
                key,
                (*n, *m, new_learner),
            );
        }
    }
    let mut script = Script::new(conn);
    save_delta(&mut script, delta, false)?;
    script.run(conn).await
}
