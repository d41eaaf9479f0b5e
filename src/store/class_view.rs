//! What the instructor's class overview and question analysis read from the aggregates
//! (`store::aggregates`): a handful of queries whose cost follows the page shown — one page of the grid, the
//! 20 learners listed under "needs help", one topic's sums — plus, for "needs help" and the sorts by
//! mastery or activity, one pass over the class's narrow `class_learner` rows inside the database. The history
//! (`store::class_stats`, `store::analysis`) stays for drill-downs, the CSV exports, and the few cases the
//! aggregates leave to it (see [`capped`], [`breakdown`]).

use crate::classroom::aggregates as agg;
use crate::classroom::needs_help::INACTIVE_DAYS;
use crate::db::Db;
use crate::jst::DAY;
use crate::on;
use std::collections::{BTreeMap, HashMap};

mod breakdown;
pub use breakdown::breakdown;

/// A class's sums the overview shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassSums {
    pub members: i64,
    /// Per topic: members who started it, and their mastered questions added up.
    pub started: HashMap<String, i64>,
    pub mastered: HashMap<String, i64>,
    /// Attempts per Japan-time day (days without any are absent).
    pub days: BTreeMap<i64, i64>,
}

/// [`ClassSums`] of `class_id`.
pub async fn sums(db: &Db, class_id: i64) -> Result<ClassSums, sqlx::Error> {
    let rows: Vec<(String, String, String, i64, i64)> = on!(db, pool => {
        sqlx::query_as(
            "select kind, scope, key, n, learners from class_stat
             where class_id = $1 and kind in ('members', 'topic', 'mastered', 'day')",
        )
        .bind(class_id)
        .fetch_all(pool)
        .await?
    });
    let mut sums = ClassSums::default();
    for (kind, scope, key, n, learners) in rows {
        match kind.as_str() {
            "members" => sums.members += n,
            "topic" if learners > 0 => {
                sums.started.insert(scope, learners);
            }
            "mastered" if n != 0 => {
                sums.mastered.insert(scope, n);
            }
            "day" if n != 0 => {
                if let Ok(day) = key.parse() {
                    sums.days.insert(day, n);
                }
            }
            _ => {}
        }
    }
    Ok(sums)
}

/// How many times the class's aggregates have changed: figures computed at one version stay true until
/// the next (and until time moves them: see `web::instructor::cache`).
pub async fn version(db: &Db, class_id: i64) -> Result<i64, sqlx::Error> {
    counted_changes(db, class_id, "").await
}

/// How many times the class's members changed — who they are, their `class_learner` rows, their
/// attempts — leaving out widget predictions, which change only the widget sums: what "needs help" and
/// the live panel are computed from, so a prediction does not make them computed again.
pub async fn members_version(db: &Db, class_id: i64) -> Result<i64, sqlx::Error> {
    counted_changes(db, class_id, "members").await
}

/// How many times who the class's members are changed — a join, a leave (an account deleted, a guest
/// merged into an account: it leaves and joins again) — counted by `aggregates::add_members` only, not
/// by attempts or resets: a live window read at one roster version can be brought up to date by reading
/// the attempts stored since (`classroom::live_window`).
pub async fn roster_version(db: &Db, class_id: i64) -> Result<i64, sqlx::Error> {
    counted_changes(db, class_id, "roster").await
}

/// The `version` counter of `scope` (`store::aggregates` counts them).
async fn counted_changes(db: &Db, class_id: i64, scope: &str) -> Result<i64, sqlx::Error> {
    let n: Option<(i64,)> = on!(db, pool => {
        sqlx::query_as(
            "select n from class_stat where class_id = $1 and kind = 'version' and scope = $2 and key = ''",
        )
        .bind(class_id)
        .bind(scope)
        .fetch_optional(pool)
        .await?
    });
    Ok(n.map_or(0, |(n,)| n))
}

/// The next moment a member of `class_id` becomes inactive (their last attempt turns `inactive_secs`
/// old), after `now`; `None` if nobody will without another attempt.
pub async fn next_inactive(
    db: &Db,
    class_id: i64,
    now: i64,
    inactive_secs: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let (first,): (Option<i64>,) = on!(db, pool => {
        sqlx::query_as("select min(last_at) from class_learner where class_id = $1 and last_at > $2")
            .bind(class_id)
            .bind(now - inactive_secs)
            .fetch_one(pool)
            .await?
    });
    Ok(first.map(|t| t + inactive_secs))
}

/// Members in a class (its `members` sum: no pass over the members).
pub async fn member_count(db: &Db, class_id: i64) -> Result<i64, sqlx::Error> {
    let n: Option<(i64,)> = on!(db, pool => {
        sqlx::query_as(
            "select n from class_stat where class_id = $1 and kind = 'members' and scope = '' and key = ''",
        )
        .bind(class_id)
        .fetch_optional(pool)
        .await?
    });
    Ok(n.map_or(0, |(n,)| n))
}

/// Each member's attempts and last attempt, for the members page.
pub async fn activity(
    db: &Db,
    class_id: i64,
) -> Result<Vec<super::class_stats::Activity>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as("select user_id, attempts, last_at from class_learner where class_id = $1")
            .bind(class_id)
            .fetch_all(pool)
            .await
    })
}

/// Prediction statistics for the steps of `widgets` in `class_id`, from the class's sums, in the order of
/// `store::analysis::widget_steps` (worst share correct first).
pub async fn widget_steps(
    db: &Db,
    class_id: i64,
    widgets: &[String],
) -> Result<Vec<super::analysis::WidgetStep>, sqlx::Error> {
    let rows: Vec<(String, String, i64, i64, i64)> = match db {
        // The widget names go in as one JSON array, so the statement is the same for any number of them.
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "select s.scope, s.key, s.n, s.m, s.learners from json_each(?2) w
                 cross join class_stat s on s.class_id = ?1 and s.kind = 'widget' and s.scope = w.value
                 where s.n > 0",
            )
            .bind(class_id)
            .bind(serde_json::to_string(widgets).unwrap_or_else(|_| "[]".into()))
            .fetch_all(pool)
            .await?
        }
        // PostgreSQL takes them as an array.
        Db::Postgres(pool) => {
            sqlx::query_as(
                "select scope, key, n, m, learners from class_stat
                 where class_id = $1 and kind = 'widget' and scope = any($2) and n > 0",
            )
            .bind(class_id)
            .bind(widgets)
            .fetch_all(pool)
            .await?
        }
    };
    let mut steps: Vec<super::analysis::WidgetStep> = rows
        .into_iter()
        .filter_map(|(widget, key, attempts, correct, learners)| {
            let (scenario, step, field): (String, i64, String) = serde_json::from_str(&key).ok()?;
            Some(super::analysis::WidgetStep {
                widget,
                scenario,
                step,
                field,
                attempts,
                correct,
                learners,
            })
        })
        .collect();
    let share = |w: &super::analysis::WidgetStep| w.correct as f64 / w.attempts as f64;
    steps.sort_by(|a, b| {
        share(a)
            .total_cmp(&share(b))
            .then(b.attempts.cmp(&a.attempts))
            .then_with(|| {
                (&a.widget, &a.scenario, a.step, &a.field).cmp(&(
                    &b.widget,
                    &b.scenario,
                    b.step,
                    &b.field,
                ))
            })
    });
    Ok(steps)
}

/// Whether anybody has more mastered questions in a topic than `questions` (topic → questions in its
/// bank now) gives it, or mastered questions in a topic the course no longer has: then a learner's
/// overall mastery is not their mastered total over the course's questions (`quiz::mastery` caps each
/// topic), and the overview falls back to the history. One indexed lookup per topic ever answered.
pub async fn capped(db: &Db, questions: &HashMap<String, i64>) -> Result<bool, sqlx::Error> {
    let rows: Vec<(String, Option<i64>)> = on!(db, pool => {
        sqlx::query_as(
            "select t.topic, (select max(mastered) from learner_topic where topic = t.topic)
             from (select distinct topic from topic_question) t",
        )
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .iter()
        .any(|(topic, most)| most.unwrap_or(0) > questions.get(topic).copied().unwrap_or(0)))
}

/// How the grid is ordered: by name, overall mastery or last activity; `desc` reverses the key (names
/// fully, the others keep ties by name A→Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Name,
    Mastery,
    Activity,
}

/// One member's row on a page of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRow {
    pub user_id: i64,
    pub display_name: String,
    pub name: String,
    pub last_at: Option<i64>,
    /// Per topic: started (attempted), mastered questions now.
    pub topics: HashMap<String, (bool, i64)>,
}

/// `overall` in SQL: the mastered total over the course's `{q}` questions, in whole percent rounded
/// down (`quiz::mastery::percent`), for a class where no topic caps anyone ([`capped`]).
fn overall_sql(q: &str) -> String {
    // Used once `capped` has said no topic caps anyone: then 0 ≤ mastered ≤ the course's questions.
    format!("(case when {q} > 0 then mastered * 100 / {q} else 0 end)")
}

/// One page of the grid: `limit` members from `offset` in `order`, with their topics. `questions` is the
/// course's question count (for the mastery order).
pub async fn grid_page(
    db: &Db,
    class_id: i64,
    order: Order,
    desc: bool,
    offset: i64,
    limit: i64,
    questions: i64,
) -> Result<Vec<PageRow>, sqlx::Error> {
    let dir = if desc { "desc" } else { "asc" };
    let rows: Vec<(i64, String, String, Option<i64>)> = match db {
        Db::Sqlite(pool) => {
            let order_by = match order {
                Order::Name => format!("c.sort_name {dir}, c.user_id {dir}"),
                Order::Mastery => format!("{} {dir}, c.sort_name, c.user_id", overall_sql("?4")),
                Order::Activity => format!("c.last_at {dir}, c.sort_name, c.user_id"),
            };
            sqlx::query_as(&format!(
                "select c.user_id, u.display_name, coalesce(u.name, ''), c.last_at
                 from class_learner c join app_user u on u.user_id = c.user_id
                 where c.class_id = ?1 order by {order_by} limit ?2 offset ?3"
            ))
            .bind(class_id)
            .bind(limit)
            .bind(offset)
            .bind(questions)
            .fetch_all(pool)
            .await?
        }
        // The order of SQLite and of the history's `web::instructor::standing::sort`, whatever the
        // database's locale: names in byte order, and members without an attempt (null) first when
        // ascending, as SQLite sorts nulls.
        Db::Postgres(pool) => {
            let name = r#"c.sort_name collate "C""#;
            let nulls = if desc { "last" } else { "first" };
            let order_by = match order {
                Order::Name => format!("{name} {dir}, c.user_id {dir}"),
                Order::Mastery => format!("{} {dir}, {name}, c.user_id", overall_sql("$4")),
                Order::Activity => format!("c.last_at {dir} nulls {nulls}, {name}, c.user_id"),
            };
            let sql = format!(
                "select c.user_id, u.display_name, coalesce(u.name, ''), c.last_at
                 from class_learner c join app_user u on u.user_id = c.user_id
                 where c.class_id = $1 order by {order_by} limit $2 offset $3"
            );
            let query = sqlx::query_as(&sql).bind(class_id).bind(limit).bind(offset);
            // PostgreSQL refuses more values than the statement has parameters: `$4` is only in the
            // mastery order.
            let query = if order == Order::Mastery {
                query.bind(questions)
            } else {
                query
            };
            query.fetch_all(pool).await?
        }
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let (packed,): (String,) = match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "select coalesce(json_group_array(json_array(t.user_id, t.topic, t.attempts, t.mastered)), '[]')
                 from json_each(?1) k cross join learner_topic t on t.user_id = k.value",
            )
            .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
            .fetch_one(pool)
            .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "select coalesce(json_agg(json_build_array(user_id, topic, attempts, mastered))::text, '[]')
                 from learner_topic where user_id = any($1)",
            )
            .bind(&ids[..])
            .fetch_one(pool)
            .await?
        }
    };
    let cells: Vec<(i64, String, i64, i64)> =
        serde_json::from_str(&packed).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut topics: HashMap<i64, HashMap<String, (bool, i64)>> = HashMap::new();
    for (user, topic, attempts, mastered) in cells {
        topics
            .entry(user)
            .or_default()
            .insert(topic, (attempts > 0 || mastered > 0, mastered));
    }
    Ok(rows
        .into_iter()
        .map(|(user_id, display_name, name, last_at)| PageRow {
            topics: topics.remove(&user_id).unwrap_or_default(),
            user_id,
            display_name,
            name,
            last_at,
        })
        .collect())
}

/// A member as "needs help" ranks them: reasons counted as `needs_help::reason_count` does, overall
/// mastery, last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub user_id: i64,
    pub reasons: i64,
    pub overall: i64,
    pub last_at: Option<i64>,
}

/// The members who have started, with the lowest overall mastery first (ties by user id): at most
/// `count`. Read from the `class_learner_mastery` index: the first `count` by mastered questions give the
/// highest percentage that can be among them, and only the members up to it are ranked.
pub async fn lowest(
    db: &Db,
    class_id: i64,
    questions: i64,
    count: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let first: Vec<(i64,)> = on!(db, pool => {
        sqlx::query_as(
            "select mastered from class_learner where class_id = $1 and last_at is not null
             order by mastered, user_id limit $2",
        )
        .bind(class_id)
        .bind(count)
        .fetch_all(pool)
        .await?
    });
    let Some(&(last,)) = first.last() else {
        return Ok(Vec::new());
    };
    // Members up to the last mastered count with the same whole percentage as the `count`-th.
    let bound = if questions > 0 {
        ((last * 100 / questions + 1) * questions - 1) / 100
    } else {
        i64::MAX
    };
    let sql = format!(
        "select user_id, {overall} as overall from class_learner
         where class_id = $1 and last_at is not null and mastered <= $3
         order by overall, user_id limit $4",
        overall = overall_sql("$2")
    );
    on!(db, pool => {
        sqlx::query_as(&sql)
            .bind(class_id)
            .bind(questions)
            .bind(bound)
            .bind(count)
            .fetch_all(pool)
            .await
    })
}

/// The members of `class_id` whose rows changed after the class's members version `version`
/// (`class_learner.changed`, set in the transaction of the change), through `class_learner_changed`.
pub async fn changed_since(db: &Db, class_id: i64, version: i64) -> Result<Vec<i64>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar("select user_id from class_learner where class_id = $1 and changed > $2")
            .bind(class_id)
            .bind(version)
            .fetch_all(pool)
            .await
    })
}

/// Every member with a reason to be listed under "needs help" at `now` (`today` its Japan-time day):
/// inactive, misses on `today` (`classroom::aggregates::misses_on`), or among `lowest` — of the whole class,
/// or of `only` these members. One pass over the class's `class_learner` rows in SQLite; the flagged come
/// back packed in one row.
pub async fn flagged(
    db: &Db,
    class_id: i64,
    now: i64,
    today: i64,
    questions: i64,
    lowest: &[i64],
    only: Option<&[i64]>,
) -> Result<Vec<Standing>, sqlx::Error> {
    let window = crate::classroom::needs_help::MISS_WINDOW_DAYS - 1;
    // Only members with a reason are read, each kind through its index: no attempt or none for a week
    // (`class_learner_last`), misses in the window (`class_learner_misses`), the lowest. With `only`, those
    // members instead (the seventh parameter, empty without), whatever their reasons: the query then keeps
    // those with one. `cross join` keeps the candidates the outer loop on SQLite: left to itself, it walked
    // every member of the class and looked each up in the candidates (3–6 ms at 10,000 for six of them).
    let sqlite_candidates = if only.is_some() {
        "select value from json_each(?7)".to_string()
    } else {
        format!(
            "select user_id from class_learner where class_id = ?1 and last_at is null
             union select user_id from class_learner where class_id = ?1 and last_at <= ?2 - ?3
             union select user_id from class_learner
                   where class_id = ?1 and miss_counts != 0 and miss_day between ?4 - {window} and ?4
             union select value from json_each(?6)
             union select value from json_each(?7)"
        )
    };
    let postgres_candidates = if only.is_some() {
        "select unnest($7::bigint[])".to_string()
    } else {
        format!(
            "select user_id from class_learner where class_id = $1 and last_at is null
                 union select user_id from class_learner where class_id = $1 and last_at <= $2 - $3
                 union select user_id from class_learner
                       where class_id = $1 and miss_counts != 0 and miss_day between $4 - {window} and $4
                 union select unnest($6::bigint[])
                 union select unnest($7::bigint[])"
        )
    };
    let only = only.unwrap_or_default();
    let (packed,): (String,) = match db {
        Db::Sqlite(pool) => sqlx::query_as(&format!(
        "with candidate(user_id) as ({sqlite_candidates})
         select coalesce(group_concat(user_id || ',' || reasons || ',' || overall || ',' || coalesce(last_at, ''), ';'), '')
         from (select user_id, overall, last_at,
                      (last_at is null or ?2 - last_at >= ?3) + min(misses, 2) + (misses > 2)
                        + (user_id in (select value from json_each(?6))) as reasons
               from (select c.user_id, c.last_at, {overall} as overall, {misses} as misses
                     from candidate k cross join class_learner c on c.class_id = ?1 and c.user_id = k.user_id))
         where reasons > 0",
        overall = overall_sql("?5"),
        misses = agg::misses_on_sql("?4", false),
    ))
    .bind(class_id)
    .bind(now)
    .bind(INACTIVE_DAYS * DAY)
    .bind(today)
    .bind(questions)
    .bind(serde_json::to_string(lowest).unwrap_or_else(|_| "[]".into()))
    .bind(serde_json::to_string(only).unwrap_or_else(|_| "[]".into()))
    .fetch_one(pool)
    .await?,
        // The same packing; the lowest as an array, truth values counted through `int`.
        Db::Postgres(pool) => sqlx::query_as(&format!(
            "with candidate(user_id) as ({postgres_candidates})
             select coalesce(string_agg(concat_ws(',', user_id, reasons, overall, coalesce(last_at::text, '')), ';'), '')
             from (select user_id, overall, last_at,
                          (last_at is null or $2 - last_at >= $3)::int + least(misses, 2) + (misses > 2)::int
                            + (user_id = any($6))::int as reasons
                   from (select c.user_id, c.last_at, {overall} as overall, {misses} as misses
                         from candidate k join class_learner c on c.class_id = $1 and c.user_id = k.user_id) f) r
             where reasons > 0",
            overall = overall_sql("$5"),
            misses = agg::misses_on_sql("$4", true),
        ))
        .bind(class_id)
        .bind(now)
        .bind(INACTIVE_DAYS * DAY)
        .bind(today)
        .bind(questions)
        .bind(lowest)
        .bind(only)
        .fetch_one(pool)
        .await?,
    };
    Ok(packed
        .split(';')
        .filter_map(|row| {
            let mut f = row.split(',');
            Some(Standing {
                user_id: f.next()?.parse().ok()?,
                reasons: f.next()?.parse().ok()?,
                overall: f.next()?.parse().ok()?,
                last_at: f.next().and_then(|t| t.parse().ok()),
            })
        })
        .collect())
}

/// Members' display and login names.
pub async fn names(db: &Db, users: &[i64]) -> Result<HashMap<i64, (String, String)>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "select u.user_id, u.display_name, coalesce(u.name, '') from json_each(?1) k cross join app_user u on u.user_id = k.value",
            )
            .bind(serde_json::to_string(users).unwrap_or_else(|_| "[]".into()))
            .fetch_all(pool)
            .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "select user_id, display_name, coalesce(name, '') from app_user where user_id = any($1)",
            )
            .bind(users)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows.into_iter().map(|(u, d, n)| (u, (d, n))).collect())
}
