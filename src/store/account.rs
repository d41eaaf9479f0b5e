//! Everything kept about one account, for the learner to take away (`export`), and deleting it all
//! (`delete_account`). Both name every table that holds a user's rows, so a new table that does must be
//! added to both (the deletion test counts the rows left in each).

use crate::db::{Db, Tx};
use crate::{in_tx, on};
use serde::Serialize;

/// The account row, without its password hash.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AccountRow {
    pub user_id: i64,
    pub name: Option<String>,
    pub display_name: String,
    pub role: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttemptRow {
    pub attempt_id: i64,
    pub topic: String,
    pub kind: String,
    pub question_count: i64,
    pub correct_count: i64,
    /// Hundredths of a question.
    pub credit: i64,
    pub duration_ms: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AnswerRow {
    pub attempt_id: i64,
    pub question_id: String,
    pub position: i64,
    /// The response as JSON, in bank terms.
    pub response: String,
    pub correct: bool,
    pub credit: i64,
    pub misconception: Option<String>,
    pub time_ms: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReviewRow {
    pub question_id: String,
    pub topic: String,
    #[sqlx(rename = "box")]
    #[serde(rename = "level")]
    pub box_number: i64,
    pub due_at: i64,
    pub seen: i64,
    pub correct: i64,
    pub last_correct: bool,
    pub last_at: i64,
    pub stability: f64,
    pub difficulty: f64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResetRow {
    pub topic: String,
    pub reset_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WidgetAnswerRow {
    pub widget: String,
    pub scenario: String,
    pub step: i64,
    pub field: String,
    pub answer: String,
    pub correct: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ClassRow {
    pub class_id: i64,
    pub name: String,
    /// `member` or `owner`.
    pub relation: String,
    pub since: i64,
}

/// Everything kept about one account.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub account: AccountRow,
    pub attempts: Vec<AttemptRow>,
    pub answers: Vec<AnswerRow>,
    pub reviews: Vec<ReviewRow>,
    pub topic_resets: Vec<ResetRow>,
    pub widget_answers: Vec<WidgetAnswerRow>,
    pub classes: Vec<ClassRow>,
}

/// Everything kept about `user_id`; `None` for no such account.
pub async fn export(db: &Db, user_id: i64) -> Result<Option<Export>, sqlx::Error> {
    on!(db, pool => {
        let Some(account) = sqlx::query_as::<_, AccountRow>(
            "select user_id, name, display_name, role, created_at from app_user where user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await?
        else {
            return Ok(None);
        };
        let attempts = sqlx::query_as(
            "select attempt_id, topic, kind, question_count, correct_count, credit, duration_ms, created_at
             from attempt where user_id = $1 order by created_at, attempt_id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        let answers = sqlx::query_as(
            "select w.attempt_id, w.question_id, w.position, w.response, w.correct <> 0 as correct,
                    w.credit, w.misconception, w.time_ms
             from attempt a join answer w on w.attempt_id = a.attempt_id
             where a.user_id = $1 order by a.created_at, a.attempt_id, w.position",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        let reviews = sqlx::query_as(
            "select question_id, topic, box, due_at, seen, correct, last_correct <> 0 as last_correct,
                    last_at, stability, difficulty
             from question_progress where user_id = $1 order by topic, question_id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        let topic_resets = sqlx::query_as(
            "select topic, reset_at from topic_reset where user_id = $1 order by topic",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        let widget_answers = sqlx::query_as(
            "select widget, scenario, step, field, answer, correct <> 0 as correct, created_at
             from widget_answer where user_id = $1 order by created_at, widget_answer_id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        let classes = sqlx::query_as(
            "select c.class_id, c.name, 'member' as relation, m.joined_at as since
             from class_member m join class c on c.class_id = m.class_id where m.user_id = $1
             union all
             select class_id, name, 'owner', created_at from class where owner_id = $1
             order by since",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        Ok(Some(Export {
            account,
            attempts,
            answers,
            reviews,
            topic_resets,
            widget_answers,
            classes,
        }))
    })
}

/// The ids of the stored sessions (tower-sessions' table) whose data holds the key `key` anywhere: the
/// candidates for a user's sessions, each then read back through the session store.
pub async fn session_ids_with_key(db: &Db, key: &str) -> Result<Vec<String>, sqlx::Error> {
    match db {
        // SQLite's rows may be the session crate's MessagePack (a blob) from before: search the bytes.
        Db::Sqlite(pool) => {
            sqlx::query_scalar(
                "select id from tower_sessions where instr(data, cast($1 as blob)) > 0",
            )
            .bind(key)
            .fetch_all(pool)
            .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("select id from tower_sessions where strpos(data, $1) > 0")
                .bind(key)
                .fetch_all(pool)
                .await
        }
    }
}

/// Deletes these stored sessions (their cookies then name nothing).
pub async fn delete_sessions(db: &Db, ids: &[String]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    in_tx!(&mut tx, conn => {
        for id in ids {
            sqlx::query("delete from tower_sessions where id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    });
    tx.commit().await
}

/// Deletes the account and everything kept about it, in one transaction: attempts and their answers,
/// review states, topic resets, widget answers, class memberships, the classes it owns (an
/// instructor's, with their memberships), and the row itself. The instructor views read classes through
/// `class_member`, so the learner is gone from them at once. Its sessions are the session store's:
/// `web::visitor::end_sessions_of` ends them, and no request is signed in as an account that is gone.
pub async fn delete_account(db: &Db, user_id: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    delete_derived(&mut tx, user_id).await?;
    in_tx!(&mut tx, conn => {
        for sql in [
            "delete from answer where attempt_id in (select attempt_id from attempt where user_id = $1)",
            "delete from attempt where user_id = $1",
            "delete from question_progress where user_id = $1",
            "delete from topic_reset where user_id = $1",
            "delete from widget_answer where user_id = $1",
            "delete from class_member where user_id = $1",
            "delete from class_member where class_id in (select class_id from class where owner_id = $1)",
            "delete from class where owner_id = $1",
            "delete from app_user where user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *conn).await?;
        }
    });
    tx.commit().await
}

/// Rows computed from a user's answers and kept for speed (`store::aggregates`): their share of each
/// class's sums is taken out as when a member leaves, and their per-topic and per-question rows go, so
/// [`delete_account`] leaves the instructor's views as if they had never been there. Runs first, inside
/// its transaction, which on PostgreSQL takes the attempt writers' lock first (their rows change).
pub async fn delete_derived(tx: &mut Tx, user_id: i64) -> Result<(), sqlx::Error> {
    super::aggregates::lock(&mut (&mut *tx).into()).await?;
    // Their part of every class's sums goes first, as when a member leaves; then their own rows.
    let classes: Vec<i64> = in_tx!(&mut *tx, conn => {
        sqlx::query_scalar("select class_id from class_member where user_id = $1")
            .bind(user_id)
            .fetch_all(conn)
            .await?
    });
    for class_id in classes {
        super::aggregates::add_members(&mut *tx, class_id, &[user_id], -1).await?;
    }
    in_tx!(tx, conn => {
        for table in ["learner_topic", "learner_question", "learner_recent"] {
            sqlx::query(&format!("delete from {table} where user_id = $1"))
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
        }
    });
    Ok(())
}
