//! The learning loop's SQL: the quiz's per-question checks (`attempt_check`, see `web::quiz::check`), the
//! review queue and its forecast, and the review states a class's retention view reads.

use crate::db::Db;
use crate::{in_tx, on};
use std::collections::HashMap;

/// Checks older than this are dropped (an abandoned quiz page's).
const CHECK_TTL_SECS: i64 = 2 * 24 * 60 * 60;

/// Keeps the first answer checked for a question of an attempt form: stores `response` unless one is
/// kept already, and returns the kept one and whether it is this one. Old checks of abandoned forms go
/// in the same transaction.
pub async fn check_answer(
    db: &Db,
    token: &str,
    question_id: &str,
    response: &str,
    now: i64,
) -> Result<(String, bool), sqlx::Error> {
    let mut tx = db.begin().await?;
    let kept = in_tx!(&mut tx, conn => {
        sqlx::query("delete from attempt_check where created_at < $1")
            .bind(now - CHECK_TTL_SECS)
            .execute(&mut *conn)
            .await?;
        let inserted = sqlx::query(
            "insert into attempt_check (token, question_id, response, created_at) values ($1, $2, $3, $4)
             on conflict (token, question_id) do nothing",
        )
        .bind(token)
        .bind(question_id)
        .bind(response)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        let kept: String = sqlx::query_scalar(
            "select response from attempt_check where token = $1 and question_id = $2",
        )
        .bind(token)
        .bind(question_id)
        .fetch_one(&mut *conn)
        .await?;
        (kept, inserted)
    });
    tx.commit().await?;
    Ok(kept)
}

/// The checked answers of an attempt form, by question.
pub async fn checks(db: &Db, token: &str) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows: Vec<(String, String)> = on!(db, pool => {
        sqlx::query_as("select question_id, response from attempt_check where token = $1")
            .bind(token)
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().collect())
}

/// Drops an attempt form's checks (once the attempt is stored, they are in its answers).
pub async fn forget_checks(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    on!(db, pool => {
        sqlx::query("delete from attempt_check where token = $1")
            .bind(token)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Whether an attempt with this token is stored (its form was submitted).
pub async fn attempt_stored(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar("select exists (select 1 from attempt where token = $1)")
            .bind(token)
            .fetch_one(pool)
            .await
    })
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
pub async fn due_by(db: &Db, user_id: i64, until: i64) -> Result<Vec<Queued>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select question_id, topic, box, due_at, last_correct <> 0 as last_correct, last_at,
                    stability, difficulty
             from question_progress where user_id = $1 and due_at <= $2 order by due_at, question_id",
        )
        .bind(user_id)
        .bind(until)
        .fetch_all(pool)
        .await
    })
}

/// Due times of the learner's questions due after `from` and by `until`, for the forecast.
pub async fn due_times(
    db: &Db,
    user_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar(
            "select due_at from question_progress where user_id = $1 and due_at > $2 and due_at <= $3",
        )
        .bind(user_id)
        .bind(from)
        .bind(until)
        .fetch_all(pool)
        .await
    })
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
pub async fn class_states(db: &Db, class_id: i64) -> Result<Vec<MemberState>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select p.user_id, p.question_id, p.topic, p.last_at, p.stability, p.difficulty
             from class_member m join question_progress p on p.user_id = m.user_id
             where m.class_id = $1",
        )
        .bind(class_id)
        .fetch_all(pool)
        .await
    })
}
