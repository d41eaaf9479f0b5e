//! Aggregates over a whole class computed from its history: mastery per learner and topic, activity,
//! recent misses, attempts per day, what the class is answering right now, and one learner's full history.
//! The overview reads `store::class_view` (kept aggregates) instead, and falls back to these
//! (`web::instructor::standing::from_history`); the live panel and the drill-downs read them.
//! Each view is a handful of `group by` queries over the class's members — never a query per learner —
//! so a class of thousands costs the same number of round trips as a class of three
//! (indexes in `migrations/0004_instructor_indexes.sql`).
//!
//! [`bulk`] writes demo widget answers at once.

use crate::classroom::live_window::WindowAttempt;
use crate::classroom::needs_help::TopicMisses;
use crate::classroom::rows;
use crate::db::Db;
use crate::on;

/// Mastered questions of one learner in one topic (from `question_progress`, which a topic reset clears,
/// so it is always the learner's current state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mastered {
    pub user_id: i64,
    pub topic: String,
    pub mastered: i64,
}

/// Every member's mastered questions per topic, for topics with at least one.
///
/// Only mastered entries are read, through the partial index `question_progress_mastered` (which is why
/// the rule, [`super::MASTERED`], is written into the SQL rather than bound: SQLite uses a partial index
/// only when the query's own text implies its condition). One row per learner comes back with the topics packed into a string:
/// a class of 2,000 has tens of thousands of (learner, topic) pairs, and fetching each as its own row
/// costs far more in the driver than the aggregation does in SQLite.
pub async fn mastered(db: &Db, class_id: i64) -> Result<Vec<Mastered>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => format!(
            "select user_id, group_concat(topic || char(31) || mastered, char(30)) as cells
             from (select m.user_id, p.topic, count(*) as mastered
                   from class_member m join question_progress p on p.user_id = m.user_id
                   where m.class_id = ? and p.{}
                   group by m.user_id, p.topic)
             group by user_id",
            super::MASTERED
        ),
        Db::Postgres(_) => format!(
            "select user_id, string_agg(topic || chr(31) || mastered, chr(30)) as cells
             from (select m.user_id, p.topic, count(*) as mastered
                   from class_member m join question_progress p on p.user_id = m.user_id
                   where m.class_id = $1 and p.{}
                   group by m.user_id, p.topic) t
             group by user_id",
            super::MASTERED
        ),
    };
    let packed: Vec<(i64, String)> = on!(db, pool => {
        sqlx::query_as(&sql).bind(class_id).fetch_all(pool).await?
    });
    Ok(packed
        .iter()
        .flat_map(|(user_id, packed)| {
            rows::topic_counts(packed).map(|(topic, mastered)| Mastered {
                user_id: *user_id,
                topic: topic.to_string(),
                mastered,
            })
        })
        .collect())
}

/// A member's attempts, last attempt and the topics they have started (attempted at least once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub user_id: i64,
    pub attempts: i64,
    pub last_at: i64,
    pub topics: Vec<String>,
}

/// Activity and started topics of every member with at least one attempt, in one pass over the attempt
/// index; topics packed as in [`mastered`].
pub async fn started(db: &Db, class_id: i64) -> Result<Vec<Started>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => {
            "select user_id, sum(attempts) as attempts, max(last_at) as last_at, group_concat(topic, char(30)) as topics
             from (select m.user_id, a.topic, count(*) as attempts, max(a.created_at) as last_at
                   from class_member m join attempt a on a.user_id = m.user_id
                   where m.class_id = ?
                   group by m.user_id, a.topic)
             group by user_id"
        }
        Db::Postgres(_) => {
            "select user_id, cast(sum(attempts) as bigint) as attempts, max(last_at) as last_at,
                    string_agg(topic, chr(30)) as topics
             from (select m.user_id, a.topic, count(*) as attempts, max(a.created_at) as last_at
                   from class_member m join attempt a on a.user_id = m.user_id
                   where m.class_id = $1
                   group by m.user_id, a.topic) t
             group by user_id"
        }
    };
    let rows: Vec<(i64, i64, i64, String)> = on!(db, pool => {
        sqlx::query_as(sql).bind(class_id).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(user_id, attempts, last_at, topics)| Started {
            user_id,
            attempts,
            last_at,
            topics: rows::topics(&topics).map(str::to_string).collect(),
        })
        .collect())
}

/// A member's attempt count and last attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Activity {
    pub user_id: i64,
    pub attempts: i64,
    pub last_at: Option<i64>,
}

/// Attempts and last activity of every member who has attempted anything.
pub async fn activity(db: &Db, class_id: i64) -> Result<Vec<Activity>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select m.user_id, count(*) as attempts, max(a.created_at) as last_at
             from class_member m join attempt a on a.user_id = m.user_id
             where m.class_id = $1
             group by m.user_id",
        )
        .bind(class_id)
        .fetch_all(pool)
        .await
    })
}

/// Per member and topic, answers and wrong answers in attempts made at or after `since`, where there were
/// at least `min_wrong` wrong answers and fewer right answers than wrong ones (accuracy under 50%: the
/// rule of `classroom::needs_help`, applied here too so a large class sends only the rows that count).
/// Read from the attempts' own counts, so the answer table is not touched.
pub async fn recent_misses(
    db: &Db,
    class_id: i64,
    since: i64,
    min_wrong: i64,
) -> Result<Vec<TopicMisses>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => {
            "select m.user_id, a.topic, sum(a.question_count) as answered, sum(a.question_count - a.correct_count) as wrong
             from class_member m join attempt a on a.user_id = m.user_id
             where m.class_id = ?1 and a.created_at >= ?2
             group by m.user_id, a.topic
             having wrong >= ?3 and (answered - wrong) * 2 < answered"
        }
        // PostgreSQL's `having` cannot name the sums: they are one query down.
        Db::Postgres(_) => {
            "select user_id, topic, answered, wrong from (
                 select m.user_id, a.topic, cast(sum(a.question_count) as bigint) as answered,
                        cast(sum(a.question_count - a.correct_count) as bigint) as wrong
                 from class_member m join attempt a on a.user_id = m.user_id
                 where m.class_id = $1 and a.created_at >= $2
                 group by m.user_id, a.topic) t
             where wrong >= $3 and (answered - wrong) * 2 < answered"
        }
    };
    let rows: Vec<(i64, String, i64, i64)> = on!(db, pool => {
        sqlx::query_as(sql)
            .bind(class_id)
            .bind(since)
            .bind(min_wrong)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(user_id, topic, answered, wrong)| TopicMisses {
            user_id,
            topic,
            answered,
            wrong,
        })
        .collect())
}

/// [`recent_misses`] of a few learners (those "needs help" lists), whatever their classes: one pass over
/// each learner's attempts since `since`.
pub async fn misses_of(
    db: &Db,
    users: &[i64],
    since: i64,
    min_wrong: i64,
) -> Result<Vec<TopicMisses>, sqlx::Error> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, i64, i64)> = match db {
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "select a.user_id, a.topic, sum(a.question_count) as answered, sum(a.question_count - a.correct_count) as wrong
                 from json_each(?1) k cross join attempt a on a.user_id = k.value
                 where a.created_at >= ?2
                 group by a.user_id, a.topic
                 having wrong >= ?3 and (answered - wrong) * 2 < answered",
            )
            .bind(serde_json::to_string(users).unwrap_or_else(|_| "[]".into()))
            .bind(since)
            .bind(min_wrong)
            .fetch_all(pool)
            .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "select user_id, topic, answered, wrong from (
                     select a.user_id, a.topic, cast(sum(a.question_count) as bigint) as answered,
                            cast(sum(a.question_count - a.correct_count) as bigint) as wrong
                     from attempt a
                     where a.user_id = any($1) and a.created_at >= $2
                     group by a.user_id, a.topic) t
                 where wrong >= $3 and (answered - wrong) * 2 < answered",
            )
            .bind(users)
            .bind(since)
            .bind(min_wrong)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(user_id, topic, answered, wrong)| TopicMisses {
            user_id,
            topic,
            answered,
            wrong,
        })
        .collect())
}

/// Attempts made on one local day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayCount {
    /// Days since 1970-01-01 in the local time given by the offset.
    pub day: i64,
    pub attempts: i64,
}

/// The class's attempts per local day (UTC + `offset_secs`) since `since`; days without any are absent.
pub async fn attempts_per_day(
    db: &Db,
    class_id: i64,
    since: i64,
    offset_secs: i64,
) -> Result<Vec<DayCount>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select (a.created_at + $3) / 86400 as day, count(*) as attempts
             from class_member m join attempt a on a.user_id = m.user_id
             where m.class_id = $1 and a.created_at >= $2
             group by day order by day",
        )
        .bind(class_id)
        .bind(since)
        .bind(offset_secs)
        .fetch_all(pool)
        .await
    })
}

/// One question answered by the class in a time window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LiveQuestion {
    pub question_id: String,
    pub topic: String,
    /// Members who answered it.
    pub attempted: i64,
    /// Members who answered it right at least once.
    pub correct: i64,
}

/// Per question answered at or after `since` (and after the member joined): how many members answered
/// it, and how many got it right. The window is short, so the scan starts from the time index (`indexed
/// by` and `cross join` fix the plan, which SQLite otherwise picks badly here: starting from every answer
/// ever given, or every member's history); each member's answers to a question are folded first, so one
/// grouping counts both. The window's start is a condition of its own (not `max(since, joined_at)`): only
/// then does SQLite bound the time index to the window instead of walking every attempt ever made.
pub async fn live_questions(
    db: &Db,
    class_id: i64,
    since: i64,
) -> Result<Vec<LiveQuestion>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => {
            "select question_id, topic, count(*) as attempted, sum(ok) as correct from (
                 select n.question_id, a.topic, a.user_id, max(n.correct) as ok
                 from attempt a indexed by attempt_created cross join class_member m cross join answer n
                 where m.class_id = $1 and a.created_at >= $2 and a.created_at >= m.joined_at
                       and m.user_id = a.user_id and n.attempt_id = a.attempt_id
                 group by n.question_id, a.topic, a.user_id)
             group by question_id, topic"
        }
        // PostgreSQL has no `indexed by` (its planner starts from `attempt_created` for a short window).
        Db::Postgres(_) => {
            "select question_id, topic, count(*) as attempted, cast(sum(ok) as bigint) as correct from (
                 select n.question_id, a.topic, a.user_id, max(n.correct) as ok
                 from attempt a join class_member m on m.user_id = a.user_id
                 join answer n on n.attempt_id = a.attempt_id
                 where m.class_id = $1 and a.created_at >= $2 and a.created_at >= m.joined_at
                 group by n.question_id, a.topic, a.user_id) t
             group by question_id, topic"
        }
    };
    on!(db, pool => {
        sqlx::query_as(sql)
            .bind(class_id)
            .bind(since)
            .fetch_all(pool)
            .await
    })
}

/// One topic's activity in a time window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LiveTopic {
    pub topic: String,
    /// Members who submitted a quiz of this topic.
    pub learners: i64,
    pub attempts: i64,
    pub answers: i64,
    pub correct: i64,
}

/// Per topic, the class's attempts at or after `since` (and after each member joined: what a learner did
/// before joining is not the class's activity).
pub async fn live_topics(
    db: &Db,
    class_id: i64,
    since: i64,
) -> Result<Vec<LiveTopic>, sqlx::Error> {
    let sql = match db {
        // `indexed by`: left to itself, SQLite walks every attempt in topic order to skip the grouping
        // sort; `created_at >= $2` on its own bounds the index to the window (see `live_questions`).
        Db::Sqlite(_) => {
            "select a.topic, count(distinct a.user_id) as learners, count(*) as attempts,
                    sum(a.question_count) as answers, sum(a.correct_count) as correct
             from attempt a indexed by attempt_created cross join class_member m
             where m.class_id = $1 and a.created_at >= $2 and a.created_at >= m.joined_at
                   and m.user_id = a.user_id
             group by a.topic"
        }
        Db::Postgres(_) => {
            "select a.topic, count(distinct a.user_id) as learners, count(*) as attempts,
                    cast(sum(a.question_count) as bigint) as answers, cast(sum(a.correct_count) as bigint) as correct
             from attempt a join class_member m on m.user_id = a.user_id
             where m.class_id = $1 and a.created_at >= $2 and a.created_at >= m.joined_at
             group by a.topic"
        }
    };
    on!(db, pool => {
        sqlx::query_as(sql)
            .bind(class_id)
            .bind(since)
            .fetch_all(pool)
            .await
    })
}

/// The class's attempts at or after `since` (and after each member joined) with ids above `after_id`,
/// each with its answers: what `classroom::live_window` keeps and counts. With `after_id` 0 the whole
/// window is read from the time index (as [`live_questions`]); above 0, only the attempts stored since
/// the last read, from the id (SQLite's `not indexed` still looks the integer primary key up, and keeps
/// the planner off the time index, which would walk the whole window). Packed in one row (a window holds
/// about ten thousand answers at 10,000 members: one row each would cost ~10 µs apiece, `classroom::rows`):
/// a record per attempt, its answers in the last field as `0question-id` / `1question-id` (wrong / right)
/// separated by spaces.
pub async fn live_attempts(
    db: &Db,
    class_id: i64,
    since: i64,
    after_id: i64,
) -> Result<Vec<WindowAttempt>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => format!(
            "select coalesce(group_concat(r, char(30)), '') from (
                 select a.attempt_id || char(31) || a.created_at || char(31) || a.user_id || char(31) || a.topic
                        || char(31) || a.question_count || char(31) || a.correct_count || char(31)
                        || coalesce((select group_concat(n.correct || n.question_id, ' ') from answer n
                                     where n.attempt_id = a.attempt_id), '') as r
                 from {} cross join class_member m
                 where m.class_id = $1 and m.user_id = a.user_id and a.attempt_id > $3
                       and a.created_at >= $2 and a.created_at >= m.joined_at)",
            if after_id > 0 {
                "attempt a not indexed"
            } else {
                "attempt a indexed by attempt_created"
            }
        ),
        Db::Postgres(_) => "select coalesce(string_agg(r, chr(30)), '') from (
                 select concat_ws(chr(31), a.attempt_id, a.created_at, a.user_id, a.topic, a.question_count,
                            a.correct_count,
                            coalesce((select string_agg(n.correct::text || n.question_id, ' ') from answer n
                                      where n.attempt_id = a.attempt_id), '')) as r
                 from attempt a join class_member m on m.user_id = a.user_id
                 where m.class_id = $1 and a.attempt_id > $3
                       and a.created_at >= $2 and a.created_at >= m.joined_at) t"
            .to_string(),
    };
    let (packed,): (String,) = on!(db, pool => {
        sqlx::query_as(&sql)
            .bind(class_id)
            .bind(since)
            .bind(after_id)
            .fetch_one(pool)
            .await?
    });
    Ok(rows::unpack(&packed)
        .filter_map(|f| match f[..] {
            [id, at, user, topic, questions, right, answers] => Some(WindowAttempt {
                attempt_id: id.parse().ok()?,
                created_at: at.parse().ok()?,
                user_id: user.parse().ok()?,
                topic: topic.to_string(),
                question_count: questions.parse().ok()?,
                correct_count: right.parse().ok()?,
                answers: answers
                    .split(' ')
                    .filter_map(|a| {
                        let question = a.get(1..).filter(|q| !q.is_empty())?;
                        Some((question.to_string(), !a.starts_with('0')))
                    })
                    .collect(),
            }),
            _ => None,
        })
        .collect())
}

/// One answer of a learner, with the attempt it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LearnerAnswer {
    pub attempt_id: i64,
    #[sqlx(flatten)]
    pub answer: crate::store::quiz::Answer,
}

/// Every answer a learner gave, oldest attempt first, in question order.
pub async fn learner_answers(db: &Db, user_id: i64) -> Result<Vec<LearnerAnswer>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => {
            "select n.attempt_id, n.question_id, n.position, n.response, n.correct, n.misconception, n.time_ms, n.credit
             from attempt a join answer n on n.attempt_id = a.attempt_id
             where a.user_id = ?
             order by a.created_at, a.attempt_id, n.position"
        }
        // `correct` is a 0/1 bigint in PostgreSQL's schema, and `Answer::correct` a bool.
        Db::Postgres(_) => {
            "select n.attempt_id, n.question_id, n.position, n.response, n.correct != 0 as correct,
                    n.misconception, n.time_ms, n.credit
             from attempt a join answer n on n.attempt_id = a.attempt_id
             where a.user_id = $1
             order by a.created_at, a.attempt_id, n.position"
        }
    };
    on!(db, pool => sqlx::query_as(sql).bind(user_id).fetch_all(pool).await)
}

/// A learner's last reset of a topic.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TopicReset {
    pub topic: String,
    pub after_attempt_id: i64,
    pub reset_at: i64,
}

/// A learner's topic resets (the last one per topic).
pub async fn topic_resets(db: &Db, user_id: i64) -> Result<Vec<TopicReset>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as("select topic, after_attempt_id, reset_at from topic_reset where user_id = $1")
            .bind(user_id)
            .fetch_all(pool)
            .await
    })
}

/// Writing a class's demo widget answers at once, inside a transaction the caller owns. Attempts are not
/// here: they go through `store::quiz::write_attempts`, like every attempt.
pub mod bulk {
    use crate::db::Conn;
    use crate::on_conn;
    use sqlx::QueryBuilder;

    /// SQLite accepts at most 32,766 bound values per statement; stay well below.
    const MAX_VALUES: usize = 30_000;

    /// A `widget_answer` row.
    #[derive(Debug, Clone)]
    pub struct WidgetAnswer {
        pub user_id: i64,
        pub widget: String,
        pub scenario: String,
        pub step: i64,
        pub field: String,
        pub answer: String,
        pub correct: bool,
        pub created_at: i64,
    }

    /// `widget_answer` rows, a few thousand values per statement, counted in their learners' classes
    /// (`store::aggregates`), on either backend. (Classes and members go through `store::classes::create`
    /// and `join_many`, which take a transaction.)
    pub async fn insert_widget_answers<'c>(
        conn: impl Into<Conn<'c>>,
        rows: &[WidgetAnswer],
    ) -> Result<(), sqlx::Error> {
        let mut conn = conn.into();
        for chunk in rows.chunks(MAX_VALUES / 8) {
            on_conn!(conn.reborrow(), c => {
                let mut insert = QueryBuilder::new(
                    "insert into widget_answer (user_id, widget, scenario, step, field, answer, correct, created_at) ",
                );
                // `correct` as 0/1: PostgreSQL's column is a bigint (SQLite stores a bool as the same).
                insert.push_values(chunk, |mut row, w| {
                    row.push_bind(w.user_id)
                        .push_bind(&w.widget)
                        .push_bind(&w.scenario)
                        .push_bind(w.step)
                        .push_bind(&w.field)
                        .push_bind(&w.answer)
                        .push_bind(i64::from(w.correct))
                        .push_bind(w.created_at);
                });
                insert.build().execute(&mut *c).await?;
            });
        }
        let stored: Vec<crate::store::aggregates::WidgetAnswer> = rows
            .iter()
            .map(|w| crate::store::aggregates::WidgetAnswer {
                user_id: w.user_id,
                widget: &w.widget,
                scenario: &w.scenario,
                step: w.step,
                field: &w.field,
                correct: w.correct,
            })
            .collect();
        crate::store::aggregates::widget_answers(conn, &stored).await
    }
}
