//! Attempts, answers and progress. Recording an attempt is one transaction: the attempt, every answer, and
//! the Leitner box of every question answered — or nothing.

use crate::quiz::schedule;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;

/// An answer to store.
#[derive(Debug, Clone)]
pub struct NewAnswer {
    pub question_id: String,
    pub position: i64,
    /// The response as JSON.
    pub response: String,
    pub correct: bool,
    pub misconception: Option<String>,
    pub time_ms: i64,
}

/// What recording an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored now, with this id.
    New(i64),
    /// The form was submitted before: the attempt it stored then, and its owner.
    Duplicate { attempt_id: i64, user_id: i64 },
}

/// Stores an attempt with its answers and updates progress, in one transaction. A `token` already used
/// stores nothing and says which attempt has it.
#[allow(clippy::too_many_arguments)]
pub async fn record_attempt(
    pool: &SqlitePool,
    token: &str,
    user_id: i64,
    topic: &str,
    seed: i64,
    duration_ms: i64,
    answers: &[NewAnswer],
    now: i64,
) -> Result<Recorded, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let recorded = write_attempt(
        &mut tx,
        token,
        user_id,
        topic,
        seed,
        duration_ms,
        answers,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(recorded)
}

/// The statements of one attempt, inside a transaction or savepoint the caller owns.
#[allow(clippy::too_many_arguments)]
async fn write_attempt(
    conn: &mut SqliteConnection,
    token: &str,
    user_id: i64,
    topic: &str,
    seed: i64,
    duration_ms: i64,
    answers: &[NewAnswer],
    now: i64,
) -> Result<Recorded, sqlx::Error> {
    let correct_count = answers.iter().filter(|a| a.correct).count() as i64;
    let inserted: Option<(i64,)> = sqlx::query_as(
        "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at)
         values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (token) do nothing returning attempt_id",
    )
    .bind(token)
    .bind(user_id)
    .bind(topic)
    .bind(seed)
    .bind(answers.len() as i64)
    .bind(correct_count)
    .bind(duration_ms)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((attempt_id,)) = inserted else {
        let (attempt_id, owner): (i64, i64) =
            sqlx::query_as("select attempt_id, user_id from attempt where token = ?")
                .bind(token)
                .fetch_one(&mut *conn)
                .await?;
        return Ok(Recorded::Duplicate {
            attempt_id,
            user_id: owner,
        });
    };
    if answers.is_empty() {
        return Ok(Recorded::New(attempt_id));
    }

    let mut insert = QueryBuilder::<Sqlite>::new(
        "insert into answer (attempt_id, question_id, position, response, correct, misconception, time_ms) ",
    );
    insert.push_values(answers, |mut row, a| {
        row.push_bind(attempt_id)
            .push_bind(&a.question_id)
            .push_bind(a.position)
            .push_bind(&a.response)
            .push_bind(a.correct)
            .push_bind(&a.misconception)
            .push_bind(a.time_ms);
    });
    insert.build().execute(&mut *conn).await?;

    // Current boxes of the questions answered, then one upsert with the new boxes.
    let mut select = QueryBuilder::<Sqlite>::new(
        "select question_id, box from question_progress where user_id = ",
    );
    select.push_bind(user_id).push(" and question_id in (");
    let mut ids = select.separated(", ");
    for a in answers {
        ids.push_bind(&a.question_id);
    }
    select.push(")");
    let boxes: HashMap<String, i64> = select
        .build_query_as::<(String, i64)>()
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();

    let mut upsert = QueryBuilder::<Sqlite>::new(
        "insert into question_progress (user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at) ",
    );
    upsert.push_values(answers, |mut row, a| {
        let (box_number, due_at) =
            schedule::next(boxes.get(&a.question_id).copied(), a.correct, now);
        row.push_bind(user_id)
            .push_bind(&a.question_id)
            .push_bind(topic)
            .push_bind(box_number)
            .push_bind(due_at)
            .push_bind(1i64)
            .push_bind(i64::from(a.correct))
            .push_bind(a.correct)
            .push_bind(now);
    });
    upsert.push(
        " on conflict (user_id, question_id) do update set box = excluded.box, due_at = excluded.due_at,
          seen = question_progress.seen + 1, correct = question_progress.correct + excluded.correct,
          last_correct = excluded.last_correct, last_at = excluded.last_at",
    );
    upsert.build().execute(&mut *conn).await?;
    Ok(Recorded::New(attempt_id))
}

/// An attempt waiting for the writer.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub token: String,
    pub user_id: i64,
    pub topic: String,
    pub seed: i64,
    pub duration_ms: i64,
    pub answers: Vec<NewAnswer>,
    pub now: i64,
}

type Job = (
    NewAttempt,
    tokio::sync::oneshot::Sender<Result<Recorded, String>>,
);

/// The one writer of quiz attempts: a task that takes the attempts waiting in its queue (up to
/// [`MAX_BATCH`]) and commits them together — group commit. Each attempt is written inside its own
/// savepoint, so it is stored whole or not at all, and its submitter hears about its attempt alone.
/// SQLite allows one writer at a time anyway; batching turns many small WAL commits into one.
#[derive(Clone)]
pub struct AttemptWriter {
    queue: tokio::sync::mpsc::Sender<Job>,
}

/// Most attempts committed together.
pub const MAX_BATCH: usize = 64;

impl AttemptWriter {
    /// Starts the writer task on `pool` (a one-connection pool: see `db::writer_for`).
    pub fn start(pool: SqlitePool) -> Self {
        let (queue, mut jobs) = tokio::sync::mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(async move {
            while let Some(first) = jobs.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let attempts: Vec<&NewAttempt> = batch.iter().map(|(a, _)| a).collect();
                let outcome = write_batch(&pool, &attempts).await;
                for (i, (_, reply)) in batch.into_iter().enumerate() {
                    let result = match &outcome {
                        Ok(results) => results[i].clone(),
                        Err(e) => Err(e.clone()),
                    };
                    // The submitter may have gone away (client disconnected): nothing to tell.
                    let _ = reply.send(result);
                }
            }
        });
        AttemptWriter { queue }
    }

    /// Stores one attempt (with the others waiting at the same moment) and says how it went.
    pub async fn record(&self, attempt: NewAttempt) -> Result<Recorded, anyhow::Error> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send((attempt, reply))
            .await
            .map_err(|_| anyhow::anyhow!("attempt writer stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("attempt writer stopped"))?
            .map_err(|e| anyhow::anyhow!(e))
    }
}

/// One transaction; a savepoint per attempt. The outer error is a failed commit (nothing stored).
async fn write_batch(
    pool: &SqlitePool,
    attempts: &[&NewAttempt],
) -> Result<Vec<Result<Recorded, String>>, String> {
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let mut results = Vec::with_capacity(attempts.len());
    for a in attempts {
        let mut savepoint = sqlx::Acquire::begin(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;

        match write_attempt(
            &mut savepoint,
            &a.token,
            a.user_id,
            &a.topic,
            a.seed,
            a.duration_ms,
            &a.answers,
            a.now,
        )
        .await
        {
            Ok(recorded) => {
                savepoint.commit().await.map_err(|e| e.to_string())?;
                results.push(Ok(recorded));
            }
            Err(e) => {
                savepoint.rollback().await.map_err(|e| e.to_string())?;
                results.push(Err(e.to_string()));
            }
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(results)
}

/// A row of `attempt`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub attempt_id: i64,
    pub user_id: i64,
    pub topic: String,
    pub seed: i64,
    pub question_count: i64,
    pub correct_count: i64,
    pub duration_ms: i64,
    pub created_at: i64,
}

/// A row of `answer`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Answer {
    pub question_id: String,
    pub position: i64,
    pub response: String,
    pub correct: bool,
    pub misconception: Option<String>,
    pub time_ms: i64,
}

const ATTEMPT_COLUMNS: &str =
    "attempt_id, user_id, topic, seed, question_count, correct_count, duration_ms, created_at";

pub async fn attempt(pool: &SqlitePool, attempt_id: i64) -> Result<Option<Attempt>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ATTEMPT_COLUMNS} from attempt where attempt_id = ?"
    ))
    .bind(attempt_id)
    .fetch_optional(pool)
    .await
}

pub async fn answers(pool: &SqlitePool, attempt_id: i64) -> Result<Vec<Answer>, sqlx::Error> {
    sqlx::query_as("select question_id, position, response, correct, misconception, time_ms from answer where attempt_id = ? order by position")
        .bind(attempt_id)
        .fetch_all(pool)
        .await
}

/// A learner's latest attempts, newest first.
pub async fn history(
    pool: &SqlitePool,
    user_id: i64,
    limit: i64,
) -> Result<Vec<Attempt>, sqlx::Error> {
    sqlx::query_as(&format!("select {ATTEMPT_COLUMNS} from attempt where user_id = ? order by created_at desc, attempt_id desc limit ?"))
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Per topic: questions seen and mastered, best and latest score (in percent), attempts and last activity,
/// counting only what came after the learner's last reset of the topic.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct TopicStats {
    pub topic: String,
    pub seen: i64,
    pub mastered: i64,
    pub attempts: i64,
    pub best: Option<i64>,
    pub latest: Option<i64>,
    pub last_at: Option<i64>,
}

pub async fn topic_stats(pool: &SqlitePool, user_id: i64) -> Result<Vec<TopicStats>, sqlx::Error> {
    sqlx::query_as(
        "with scored as (
             select a.topic, a.created_at, a.attempt_id,
                    (a.correct_count * 100 + a.question_count / 2) / max(a.question_count, 1) as score
             from attempt a left join topic_reset r on r.user_id = a.user_id and r.topic = a.topic
             where a.user_id = ?1 and (r.after_attempt_id is null or a.attempt_id > r.after_attempt_id)
         ),
         progress as (
             select topic, count(*) as seen, sum(box >= ?2) as mastered
             from question_progress where user_id = ?1 group by topic
         ),
         topics as (select topic from scored union select topic from progress)
         select t.topic,
                coalesce(p.seen, 0) as seen,
                coalesce(p.mastered, 0) as mastered,
                (select count(*) from scored s where s.topic = t.topic) as attempts,
                (select max(score) from scored s where s.topic = t.topic) as best,
                (select score from scored s where s.topic = t.topic order by created_at desc, attempt_id desc limit 1) as latest,
                (select max(created_at) from scored s where s.topic = t.topic) as last_at
         from topics t left join progress p on p.topic = t.topic",
    )
    .bind(user_id)
    .bind(schedule::MASTERED_BOX)
    .fetch_all(pool)
    .await
}

/// A question due for review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub question_id: String,
    pub topic: String,
    #[sqlx(rename = "box")]
    pub box_number: i64,
    pub due_at: i64,
    pub last_correct: bool,
}

pub async fn due(pool: &SqlitePool, user_id: i64, now: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "select question_id, topic, box, due_at, last_correct from question_progress
         where user_id = ? and due_at <= ? order by box, due_at, question_id",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(pool)
    .await
}

pub async fn due_count(pool: &SqlitePool, user_id: i64, now: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from question_progress where user_id = ? and due_at <= ?")
            .bind(user_id)
            .bind(now)
            .fetch_one(pool)
            .await?;
    Ok(n)
}

/// Forgets a topic's progress for the learner (boxes, scores); attempts stay in the history.
pub async fn reset_topic(
    pool: &SqlitePool,
    user_id: i64,
    topic: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("delete from question_progress where user_id = ? and topic = ?")
        .bind(user_id)
        .bind(topic)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into topic_reset (user_id, topic, after_attempt_id, reset_at)
         values (?1, ?2, (select coalesce(max(attempt_id), 0) from attempt), ?3)
         on conflict (user_id, topic) do update set after_attempt_id = excluded.after_attempt_id, reset_at = excluded.reset_at",
    )
    .bind(user_id)
    .bind(topic)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Stores a graded widget prediction.
#[allow(clippy::too_many_arguments)]
pub async fn record_widget_answer(
    pool: &SqlitePool,
    user_id: i64,
    widget: &str,
    scenario: &str,
    step: i64,
    field: &str,
    answer: &str,
    correct: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into widget_answer (user_id, widget, scenario, step, field, answer, correct, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(widget)
    .bind(scenario)
    .bind(step)
    .bind(field)
    .bind(answer)
    .bind(correct)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}
