//! Users (guests, learners, instructors). Throttling of logins is in `store::throttle`.

use crate::auth::Role;
use crate::db::{Db, Tx};
use crate::{in_tx, on};

/// A row of `app_user`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub user_id: i64,
    pub name: Option<String>,
    pub display_name: String,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: i64,
}

impl User {
    pub fn is_instructor(&self) -> bool {
        self.role == Role::Instructor
    }
}

const COLUMNS: &str = "user_id, name, display_name, password_hash, role, created_at";

pub async fn by_id(db: &Db, user_id: i64) -> Result<Option<User>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!("select {COLUMNS} from app_user where user_id = $1"))
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })
}

/// Whether the account `user_id` exists (a session may outlive it).
pub async fn exists(db: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar("select exists (select 1 from app_user where user_id = $1)")
            .bind(user_id)
            .fetch_one(pool)
            .await
    })
}

pub async fn by_name(db: &Db, name: &str) -> Result<Option<User>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!("select {COLUMNS} from app_user where name = $1"))
            .bind(name)
            .fetch_optional(pool)
            .await
    })
}

/// A guest: the owner of a visitor's answers until they sign up or log in.
pub async fn create_guest(db: &Db, now: i64) -> Result<i64, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar("insert into app_user (role, created_at) values ($1, $2) returning user_id")
            .bind(Role::Guest.as_str())
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

const CREATE: &str = "insert into app_user (name, display_name, password_hash, role, created_at)
     values ($1, $2, $3, $4, $5) returning user_id";

/// A new learner or instructor. A taken name is a unique violation (`is_unique_violation`).
pub async fn create(
    db: &Db,
    name: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<i64, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar(CREATE)
            .bind(name)
            .bind(display_name)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

/// [`create`] inside a caller's transaction (the demo seeder's).
pub async fn create_in(
    tx: &mut Tx,
    name: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<i64, sqlx::Error> {
    in_tx!(tx, conn => {
        sqlx::query_scalar(CREATE)
            .bind(name)
            .bind(display_name)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(now)
            .fetch_one(conn)
            .await
    })
}

/// Turns a guest into a learner in place, keeping everything it answered. `false` if it is no guest.
pub async fn upgrade_guest(
    db: &Db,
    guest_id: i64,
    name: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let changed = on!(db, pool => {
        sqlx::query(
            "update app_user set name = $1, display_name = $2, password_hash = $3, role = $4
             where user_id = $5 and role = $6",
        )
        .bind(name)
        .bind(display_name)
        .bind(password_hash)
        .bind(Role::Learner.as_str())
        .bind(guest_id)
        .bind(Role::Guest.as_str())
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// Moves a guest's attempts, progress and widget answers to `user_id` and deletes the guest, in one
/// transaction. Where both have progress on a question, the counts add up and the later answer's level and
/// FSRS state win. On PostgreSQL the transaction first takes the lock the attempt writers take, so no
/// instance's writer computes a state from the rows being merged.
pub async fn merge_guest(db: &Db, guest_id: i64, user_id: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    super::aggregates::lock(&mut (&mut tx).into()).await?;
    let is_guest: Option<String> = in_tx!(&mut tx, conn => {
        sqlx::query_scalar("select role from app_user where user_id = $1")
            .bind(guest_id)
            .fetch_optional(conn)
            .await?
    });
    if is_guest.is_none_or(|role| role != Role::Guest.as_str()) || guest_id == user_id {
        return Ok(());
    }
    // The account's classes count it without the guest's answers: take it out of their aggregates, and
    // put it back, rebuilt from the merged history, at the end.
    let classes: Vec<i64> = in_tx!(&mut tx, conn => {
        sqlx::query_scalar("select class_id from class_member where user_id = $1")
            .bind(user_id)
            .fetch_all(conn)
            .await?
    });
    for &class_id in &classes {
        super::aggregates::add_members(&mut tx, class_id, &[user_id], -1).await?;
    }
    let later = match &tx {
        Tx::Sqlite(_) => "max(question_progress.last_at, excluded.last_at)",
        Tx::Postgres(_) => "greatest(question_progress.last_at, excluded.last_at)",
    };
    let merge_progress = format!(
        "insert into question_progress (user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at, stability, difficulty)
         select $1, question_id, topic, box, due_at, seen, correct, last_correct, last_at, stability, difficulty from question_progress where user_id = $2 and true
         on conflict (user_id, question_id) do update set
             seen = question_progress.seen + excluded.seen,
             correct = question_progress.correct + excluded.correct,
             box = case when excluded.last_at > question_progress.last_at then excluded.box else question_progress.box end,
             stability = case when excluded.last_at > question_progress.last_at then excluded.stability else question_progress.stability end,
             difficulty = case when excluded.last_at > question_progress.last_at then excluded.difficulty else question_progress.difficulty end,
             due_at = case when excluded.last_at > question_progress.last_at then excluded.due_at else question_progress.due_at end,
             last_correct = case when excluded.last_at > question_progress.last_at then excluded.last_correct else question_progress.last_correct end,
             last_at = {later}"
    );
    in_tx!(&mut tx, conn => {
        for sql in [
            "update attempt set user_id = $1 where user_id = $2",
            "update widget_answer set user_id = $1 where user_id = $2",
            merge_progress.as_str(),
        ] {
            sqlx::query(sql)
                .bind(user_id)
                .bind(guest_id)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("delete from app_user where user_id = $1")
            .bind(guest_id)
            .execute(&mut *conn)
            .await?;
    });
    // Rejoining makes the account's rows again from the merged history.
    for &class_id in &classes {
        super::aggregates::add_members(&mut tx, class_id, &[user_id], 1).await?;
    }
    tx.commit().await
}
