//! What the instructor's analysis reads from a class's answers, and the row streams behind the CSV
//! exports. Only class members count; the owner's own answers never do.
//!
//! The question analysis reads each member's answers to one topic in a single scan, packed one row per
//! member ([`topic_answers`]); `classroom::item_stats::Tallies` computes the statistics from them as the
//! rows arrive, and `classroom::rows` reads the packing. The widget prediction steps are one `group by`
//! on an index ([`widget_steps`]). Why not one aggregate query per figure: see [`topic_answers`].

use crate::classroom::rows::{ExportLearner, LearnerAnswers, mastered_by_topic};
use crate::db::Db;
use crate::on;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(sqlx::FromRow)]
struct PackedAnswers {
    user_id: i64,
    name: String,
    packed: String,
}

/// Every answer the members of `class_id` gave to the questions of `topic`, one item per member who
/// answered any.
///
/// One scan — class_member (primary key) → attempt (`attempt_user`: user, topic) → answer
/// (`answer_attempt`) — with each member's answers packed into one row by `group_concat`, oldest first,
/// streamed into `classroom::item_stats::Tallies`, which computes every statistic as the rows arrive
/// (on another core than SQLite's). Measured on 2,000 learners (26,000 answers to the TCP questions), this replaced five
/// aggregate queries (window functions for first answers and ranks, `json_each` for options) that took
/// 225 ms together: SQLite re-read the answers for each, and sqlx pays about 10 µs per row crossing from
/// SQLite, so the rows here number the learners, not the answers. The packing (answers separated by RS,
/// fields by US) is `classroom::rows::LearnerAnswers`'.
pub fn topic_answers<'a>(
    db: &'a Db,
    class_id: i64,
    topic: &'a str,
) -> BoxStream<'a, Result<LearnerAnswers, sqlx::Error>> {
    let sql = match db {
        // `cross join` keeps class_member as the outer loop: left to itself, SQLite 3.46 starts from
        // `attempt_topic` (every class's attempts on the topic) and sorts them all for the group by, which
        // took three times as long. The separators are written into the printf format as they are.
        Db::Sqlite(_) => {
            "select m.user_id, coalesce(nullif(u.display_name, ''), u.name, '?') as name,
                    group_concat(printf('%s\u{1f}%d\u{1f}%s\u{1f}%s', w.question_id, w.correct, w.response,
                                        ifnull(replace(w.misconception, char(30), ' '), '')),
                                 char(30) order by a.created_at, a.attempt_id) as packed
             from class_member m
             cross join attempt a on a.user_id = m.user_id and a.topic = $2
             join app_user u on u.user_id = m.user_id
             join answer w on w.attempt_id = a.attempt_id
             where m.class_id = $1
             group by m.user_id"
        }
        Db::Postgres(_) => {
            "select m.user_id, coalesce(nullif(u.display_name, ''), u.name, '?') as name,
                    string_agg(concat_ws(chr(31), w.question_id, w.correct, w.response,
                                         coalesce(replace(w.misconception, chr(30), ' '), '')),
                               chr(30) order by a.created_at, a.attempt_id) as packed
             from class_member m
             join attempt a on a.user_id = m.user_id and a.topic = $2
             join app_user u on u.user_id = m.user_id
             join answer w on w.attempt_id = a.attempt_id
             where m.class_id = $1
             group by m.user_id, u.user_id"
        }
    };
    on!(db, pool => {
        sqlx::query_as::<_, PackedAnswers>(sql)
            .bind(class_id)
            .bind(topic)
            .fetch(pool)
            .map(|row| row.map(|r| LearnerAnswers::from_packed(r.user_id, r.name, r.packed)))
            .boxed()
    })
}

/// Members in a class.
pub async fn member_count(db: &Db, class_id: i64) -> Result<i64, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar("select count(*) from class_member where class_id = $1")
            .bind(class_id)
            .fetch_one(pool)
            .await
    })
}

/// One predicted field of one widget step, over the class members' predictions.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WidgetStep {
    pub widget: String,
    pub scenario: String,
    /// 0-based step; −1 for "the final tree" of the fork tree.
    pub step: i64,
    pub field: String,
    pub attempts: i64,
    pub correct: i64,
    pub learners: i64,
}

/// Prediction statistics for the steps of `widgets`, worst share correct first. Read from the
/// `widget_answer_step` index (migration 0005) alone, in group order; membership is one lookup per row.
pub async fn widget_steps(
    db: &Db,
    class_id: i64,
    widgets: &[String],
) -> Result<Vec<WidgetStep>, sqlx::Error> {
    const STEPS: &str = "select w.widget, w.scenario, w.step, w.field, count(*) as attempts,
                cast(sum(w.correct) as bigint) as correct, count(distinct w.user_id) as learners
         from widget_answer w
         where w.widget in (select value from json_each($2))
           and w.user_id in (select user_id from class_member where class_id = $1)
         group by w.widget, w.scenario, w.step, w.field
         order by cast(sum(w.correct) as double precision) / count(*), count(*) desc,
                  w.widget, w.scenario, w.step, w.field";
    match db {
        // The widget names go in as one JSON array, so the statement is the same for any number of them.
        Db::Sqlite(pool) => {
            let names =
                serde_json::to_string(widgets).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            sqlx::query_as(STEPS)
                .bind(class_id)
                .bind(names)
                .fetch_all(pool)
                .await
        }
        // PostgreSQL takes the names as an array.
        Db::Postgres(pool) => {
            sqlx::query_as(&STEPS.replace("in (select value from json_each($2))", "= any($2)"))
                .bind(class_id)
                .bind(widgets)
                .fetch_all(pool)
                .await
        }
    }
}

/// A member's row of the mastery grid: questions mastered per topic (topics never answered are absent),
/// and the last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRow {
    pub user_id: i64,
    pub name: String,
    pub display_name: String,
    pub mastered: HashMap<String, i64>,
    pub last_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PackedGridRow {
    user_id: i64,
    name: String,
    display_name: String,
    mastered: String,
    last_at: Option<i64>,
}

/// The grid's query, with the mastery rule written in ([`super::MASTERED`]); SQLite's and PostgreSQL's.
static GRID: LazyLock<[String; 2]> = LazyLock::new(|| {
    let grid = |packed: &str, mastered: &str| {
        format!(
            "select u.user_id, coalesce(u.name, '') as name, u.display_name,
                    (select coalesce({packed}, '{{}}') from (
                         select topic, {mastered} as mastered from question_progress
                         where user_id = m.user_id group by topic) p) as mastered,
                    (select max(a.created_at) from attempt a where a.user_id = m.user_id) as last_at
             from class_member m join app_user u on u.user_id = m.user_id
             where m.class_id = $1
             order by u.display_name, u.user_id"
        )
    };
    let rule = super::MASTERED;
    [
        grid(
            "json_group_object(p.topic, p.mastered)",
            &format!("sum({rule})"),
        ),
        grid(
            "json_object_agg(p.topic, p.mastered)::text",
            &format!("count(*) filter (where {rule})"),
        ),
    ]
});

/// The mastery grid of a class, one row per member, ordered by display name; one aggregate query
/// (a member's progress rows are read from the (user_id, topic, box) index, their last attempt through
/// `attempt_user`), the mastered counts packed as a JSON object per member.
pub fn grid(db: &Db, class_id: i64) -> BoxStream<'_, Result<GridRow, sqlx::Error>> {
    let sql = match db {
        Db::Sqlite(_) => GRID[0].as_str(),
        Db::Postgres(_) => GRID[1].as_str(),
    };
    on!(db, pool => {
        sqlx::query_as::<_, PackedGridRow>(sql)
            .bind(class_id)
            .fetch(pool)
            .map(|row| {
                row.map(|r| GridRow {
                    user_id: r.user_id,
                    name: r.name,
                    display_name: r.display_name,
                    mastered: mastered_by_topic(&r.mastered),
                    last_at: r.last_at,
                })
            })
            .boxed()
    })
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    name: String,
    display_name: String,
    answers: String,
}

/// Every answer of every member of `class_id` who answered anything, one item per member (by user id).
/// The rows are read in the order the indexes give (class_member's key — held as the outer loop by
/// `cross join` — then `attempt_user` and `answer_attempt`), so SQLite sorts nothing across members and
/// each member arrives as soon as their answers are read: memory holds one member at a time. A member is one row with their answers packed
/// by `json_group_array`, because sqlx's SQLite driver costs about 13 µs per row (every row crosses a
/// thread and copies each value): 327,000 answer rows took 4.4 s, 2,000 member rows a fraction of it.
pub fn answers(db: &Db, class_id: i64) -> BoxStream<'_, Result<ExportLearner, sqlx::Error>> {
    let sql = match db {
        Db::Sqlite(_) => {
            "select coalesce(u.name, '') as name, u.display_name,
                    json_group_array(json_array(a.attempt_id, a.topic, a.created_at, w.question_id, w.response, w.correct,
                                                w.misconception, w.time_ms)
                                     order by a.topic, a.created_at, a.attempt_id, w.answer_id) as answers
             from class_member m
             cross join attempt a on a.user_id = m.user_id
             join app_user u on u.user_id = m.user_id
             join answer w on w.attempt_id = a.attempt_id
             where m.class_id = $1
             group by m.user_id
             order by m.user_id"
        }
        Db::Postgres(_) => {
            "select coalesce(u.name, '') as name, u.display_name,
                    json_agg(json_build_array(a.attempt_id, a.topic, a.created_at, w.question_id, w.response, w.correct,
                                              w.misconception, w.time_ms)
                             order by a.topic, a.created_at, a.attempt_id, w.answer_id)::text as answers
             from class_member m
             join attempt a on a.user_id = m.user_id
             join app_user u on u.user_id = m.user_id
             join answer w on w.attempt_id = a.attempt_id
             where m.class_id = $1
             group by m.user_id, u.user_id
             order by m.user_id"
        }
    };
    on!(db, pool => {
        sqlx::query_as::<_, ExportRow>(sql)
            .bind(class_id)
            .fetch(pool)
            .map(|row| {
                let row = row?;
                ExportLearner::from_json(row.name, row.display_name, &row.answers)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))
            })
            .boxed()
    })
}
