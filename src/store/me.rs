//! What `/me` shows — per-topic statistics, the latest attempts, how many reviews are due, the classes —
//! read in one statement. `/me` is read on every visit and each statement is a round trip to one of
//! SQLite's worker threads: as four statements (plus the session's two) it missed its p99 target under
//! load, half its CPU spent switching threads (bench/RESULTS.md, issue 16). The rows come back as JSON
//! arrays and are read into the same structs the separate queries fill, which tests compare. PostgreSQL
//! runs the same one statement in its dialect (`json_agg`, `json_build_object`), a round trip saved there too.

use super::classes::Joined;
use super::quiz::{ATTEMPT_COLUMNS, Attempt, TOPIC_STATS, TopicStats};
use crate::db::Db;
use crate::on;
use std::sync::LazyLock;

/// Everything `/me` reads from the database besides the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeSummary {
    /// As [`super::quiz::topic_stats`] gives them (topics with something to show only).
    pub stats: Vec<TopicStats>,
    /// The latest attempts, newest first, as [`super::quiz::history`].
    pub history: Vec<Attempt>,
    /// Reviews due now, as [`super::quiz::due_count`].
    pub due: i64,
    /// The learner's classes with their instructor, active first, then by name.
    pub classes: Vec<Joined>,
}

/// ?1 the learner, ?2 how many attempts of history, ?3 now. Each array keeps its query's order with the
/// aggregate's own `order by` (SQLite 3.44+, bundled), not the subquery's, which SQL does not promise.
static ME_SUMMARY: LazyLock<String> = LazyLock::new(|| {
    let attempt_object = ATTEMPT_COLUMNS
        .split(", ")
        .map(|c| format!("'{c}', {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "select
           (select json_group_array(json_object('topic', topic, 'seen', seen, 'mastered', mastered,
                   'attempts', attempts, 'best', best, 'latest', latest, 'last_at', last_at))
            from ({stats})) as stats,
           (select json_group_array(json_object({attempt_object}) order by created_at desc, attempt_id desc)
            from (select {ATTEMPT_COLUMNS} from attempt where user_id = ?1
                  order by created_at desc, attempt_id desc limit ?2)) as history,
           (select count(*) from question_progress where user_id = ?1 and due_at <= ?3) as due,
           (select json_group_array(json_object('class_id', c.class_id, 'name', c.name,
                   'owner_name', o.display_name, 'archived_at', c.archived_at, 'joined_at', m.joined_at)
                   order by c.archived_at is not null, c.name, c.class_id)
            from class_member m join class c on c.class_id = m.class_id join app_user o on o.user_id = c.owner_id
            where m.user_id = ?1) as classes",
        stats = TOPIC_STATS.as_str(),
    )
});

/// [`ME_SUMMARY`] on PostgreSQL: `json_agg` is null over no rows (SQLite's `json_group_array` is `[]`),
/// and class names sort by bytes, as SQLite's do.
static ME_SUMMARY_PG: LazyLock<String> = LazyLock::new(|| {
    let attempt_object = ATTEMPT_COLUMNS
        .split(", ")
        .map(|c| format!("'{c}', {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "select
           (select coalesce(json_agg(json_build_object('topic', topic, 'seen', seen, 'mastered', mastered,
                   'attempts', attempts, 'best', best, 'latest', latest, 'last_at', last_at)), '[]')::text
            from ({stats}) s) as stats,
           (select coalesce(json_agg(json_build_object({attempt_object}) order by created_at desc, attempt_id desc), '[]')::text
            from (select {ATTEMPT_COLUMNS} from attempt where user_id = $1
                  order by created_at desc, attempt_id desc limit $2) h) as history,
           (select count(*) from question_progress where user_id = $1 and due_at <= $3) as due,
           (select coalesce(json_agg(json_build_object('class_id', c.class_id, 'name', c.name,
                   'owner_name', o.display_name, 'archived_at', c.archived_at, 'joined_at', m.joined_at)
                   order by c.archived_at is not null, c.name collate \"C\", c.class_id), '[]')::text
            from class_member m join class c on c.class_id = m.class_id join app_user o on o.user_id = c.owner_id
            where m.user_id = $1) as classes",
        stats = TOPIC_STATS.as_str(),
    )
});

/// Reads [`MeSummary`] for `user_id` at `now`, with at most `history` attempts.
pub async fn summary(
    db: &Db,
    user_id: i64,
    history: i64,
    now: i64,
) -> Result<MeSummary, sqlx::Error> {
    let statement = match db {
        Db::Sqlite(_) => ME_SUMMARY.as_str(),
        Db::Postgres(_) => ME_SUMMARY_PG.as_str(),
    };
    let (stats, attempts, due, classes): (String, String, i64, String) = on!(db, pool => {
        sqlx::query_as(statement)
            .bind(user_id)
            .bind(history)
            .bind(now)
            .fetch_one(pool)
            .await?
    });
    let json = |e: serde_json::Error| sqlx::Error::Decode(e.into());
    Ok(MeSummary {
        stats: serde_json::from_str(&stats).map_err(json)?,
        history: serde_json::from_str(&attempts).map_err(json)?,
        due,
        classes: serde_json::from_str(&classes).map_err(json)?,
    })
}

/// A learner's mastery of one topic, as the course navigation shows it beside the topic's link: questions
/// seen and mastered (the `progress` part of [`super::quiz::topic_stats`], nothing else).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct TopicMastery {
    pub topic: String,
    pub seen: i64,
    pub mastered: i64,
}

/// A scalar subquery giving the learner `user`'s [`TopicMastery`] rows as one JSON array (`user` is an SQL
/// expression: a parameter, or the session store's read of the session's user id), in SQLite's dialect or
/// PostgreSQL's. Written into the session store's load (`web::session_store`) so a page showing the
/// course navigation costs one round trip to the database, not two.
pub fn topic_mastery_json(postgres: bool, user: &str) -> String {
    let mastered = super::MASTERED;
    if postgres {
        format!(
            "(select coalesce(json_agg(json_build_object('topic', topic, 'seen', seen, 'mastered', mastered)), '[]')::text
              from (select topic, count(*) as seen, count(*) filter (where {mastered}) as mastered
                    from question_progress where user_id = {user} group by topic) m)"
        )
    } else {
        format!(
            "(select json_group_array(json_object('topic', topic, 'seen', seen, 'mastered', mastered))
              from (select topic, count(*) as seen, sum({mastered}) as mastered
                    from question_progress where user_id = {user} group by topic))"
        )
    }
}

/// `select` of [`topic_mastery_json`] for one learner: `[backend is PostgreSQL]`.
static TOPIC_MASTERY: LazyLock<[String; 2]> = LazyLock::new(|| {
    [false, true].map(|postgres| format!("select {}", topic_mastery_json(postgres, "$1")))
});

/// [`TopicMastery`] of every topic `user_id` has seen a question of, read on its own (when the session's
/// load did not bring it).
pub async fn topic_mastery(db: &Db, user_id: i64) -> Result<Vec<TopicMastery>, sqlx::Error> {
    let statement = TOPIC_MASTERY[usize::from(matches!(db, Db::Postgres(_)))].as_str();
    let (json,): (String,) = on!(db, pool => {
        sqlx::query_as(statement).bind(user_id).fetch_one(pool).await?
    });
    serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(e.into()))
}
