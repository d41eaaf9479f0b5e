//! The learning loop's SQL: the quiz's per-question checks (`attempt_check`, see `web::quiz::check`), the
//! review queue and its forecast, and the review states a class's retention view reads.

use sqlx::SqlitePool;
use std::collections::HashMap;

/// Checks older than this are dropped (an abandoned quiz page's).
const CHECK_TTL_SECS: i64 = 2 * 24 * 60 * 60;

/// Keeps the first answer checked for a question of an attempt form: stores `response` unless one is
/// kept already, and returns the kept one and whether it is this one. Old checks of abandoned forms go
/// in the same transaction.
pub async fn check_answer(
    pool: &SqlitePool,
    token: &str,
    question_id: &str,
    response: &str,
    now: i64,
) -> Result<(String, bool), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("delete from attempt_check where created_at < ?")
        .bind(now - CHECK_TTL_SECS)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "insert into attempt_check (token, question_id, response, created_at) values (?, ?, ?, ?)
         on conflict (token, question_id) do nothing",
    )
    .bind(token)
    .bind(question_id)
    .bind(response)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let (kept,): (String,) =
        sqlx::query_as("select response from attempt_check where token = ? and question_id = ?")
            .bind(token)
            .bind(question_id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok((kept, inserted))
}

/// The checked answers of an attempt form, by question.
pub async fn checks(
    pool: &SqlitePool,
    token: &str,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("select question_id, response from attempt_check where token = ?")
            .bind(token)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Drops an attempt form's checks (once the attempt is stored, they are in its answers).
pub async fn forget_checks(pool: &SqlitePool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from attempt_check where token = ?")
        .bind(token)
        .execute(pool)
        .await?;
    Ok(())
}

/// Whether an attempt with this token is stored (its form was submitted).
pub async fn attempt_stored(pool: &SqlitePool, token: &str) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as("select 1 from attempt where token = ?")
        .bind(token)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// A question in a learner's review queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Queued {
    pub question_id: String,
    pub topic: String,
    #[sqlx(rename = "box")]
    pub box_number: i64,
    pub due_at: i64,
    pub last_correct: bool,
    pub last_at: i64,
    pub stability: f64,
    pub difficulty: f64,
}

/// The learner's questions due by `until`, the most overdue first.
pub async fn due_by(
    pool: &SqlitePool,
    user_id: i64,
    until: i64,
) -> Result<Vec<Queued>, sqlx::Error> {
    sqlx::query_as(
        "select question_id, topic, box, due_at, last_correct, last_at, stability, difficulty
         from question_progress where user_id = ? and due_at <= ? order by due_at, question_id",
    )
    .bind(user_id)
    .bind(until)
    .fetch_all(pool)
    .await
}

/// Due times of the learner's questions due after `from` and by `until`, for the forecast.
pub async fn due_times(
    pool: &SqlitePool,
    user_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "select due_at from question_progress where user_id = ? and due_at > ? and due_at <= ?",
    )
    .bind(user_id)
    .bind(from)
    .bind(until)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// One member's review state of one question, for the class's retention view.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberState {
    pub user_id: i64,
    pub question_id: String,
    pub topic: String,
    pub last_at: i64,
    pub stability: f64,
    pub difficulty: f64,
}

/// Every review state of the class's members.
pub async fn class_states(
    pool: &SqlitePool,
    class_id: i64,
) -> Result<Vec<MemberState>, sqlx::Error> {
    sqlx::query_as(
        "select p.user_id, p.question_id, p.topic, p.last_at, p.stability, p.difficulty
         from class_member m join question_progress p on p.user_id = m.user_id
         where m.class_id = ?",
    )
    .bind(class_id)
    .fetch_all(pool)
    .await
}
