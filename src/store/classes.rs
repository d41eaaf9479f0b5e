//! Classes and their members.

use crate::db::{Db, Tx};
use crate::{in_tx, on};

/// A row of `class`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Class {
    pub class_id: i64,
    pub owner_id: i64,
    pub name: String,
    pub join_code: String,
    pub archived_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "class_id, owner_id, name, join_code, archived_at, created_at";

/// The class with this id, archived or not.
pub async fn by_id(db: &Db, class_id: i64) -> Result<Option<Class>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!("select {COLUMNS} from class where class_id = $1"))
            .bind(class_id)
            .fetch_optional(pool)
            .await
    })
}

/// The active class with this join code (an archived class's code no longer works).
pub async fn by_code(db: &Db, join_code: &str) -> Result<Option<Class>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!(
            "select {COLUMNS} from class where join_code = $1 and archived_at is null"
        ))
        .bind(join_code)
        .fetch_optional(pool)
        .await
    })
}

/// The classes an instructor owns, active first, newest first.
pub async fn owned_by(db: &Db, owner_id: i64) -> Result<Vec<Class>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!(
            "select {COLUMNS} from class where owner_id = $1 order by archived_at is not null, created_at desc, class_id desc"
        ))
        .bind(owner_id)
        .fetch_all(pool)
        .await
    })
}

/// The classes a learner belongs to.
pub async fn joined_by(db: &Db, user_id: i64) -> Result<Vec<Class>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!(
            "select {} from class c join class_member m on m.class_id = c.class_id where m.user_id = $1 order by c.name",
            COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(user_id)
        .fetch_all(pool)
        .await
    })
}

const CREATE: &str = "insert into class (owner_id, name, join_code, created_at) values ($1, $2, $3, $4) returning class_id";

/// Creates a class; a join code already taken is a unique violation (draw another).
pub async fn create(
    db: &Db,
    owner_id: i64,
    name: &str,
    join_code: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar(CREATE)
            .bind(owner_id)
            .bind(name)
            .bind(join_code)
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

/// [`create`] inside a caller's transaction (the demo seeder's).
pub async fn create_in(
    tx: &mut Tx,
    owner_id: i64,
    name: &str,
    join_code: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    in_tx!(tx, conn => {
        sqlx::query_scalar(CREATE)
            .bind(owner_id)
            .bind(name)
            .bind(join_code)
            .bind(now)
            .fetch_one(conn)
            .await
    })
}

/// Renames a class.
pub async fn rename(db: &Db, class_id: i64, name: &str) -> Result<(), sqlx::Error> {
    on!(db, pool => {
        sqlx::query("update class set name = $1 where class_id = $2")
            .bind(name)
            .bind(class_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Replaces the join code; the old one stops working.
pub async fn set_code(db: &Db, class_id: i64, join_code: &str) -> Result<(), sqlx::Error> {
    on!(db, pool => {
        sqlx::query("update class set join_code = $1 where class_id = $2")
            .bind(join_code)
            .bind(class_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Archives a class: still readable, its code no longer joins.
pub async fn archive(db: &Db, class_id: i64, now: i64) -> Result<(), sqlx::Error> {
    on!(db, pool => {
        sqlx::query("update class set archived_at = $1 where class_id = $2 and archived_at is null")
            .bind(now)
            .bind(class_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Adds a learner to a class (joining twice is not an error), with what they bring to the class's
/// aggregates, in one transaction.
pub async fn join(db: &Db, class_id: i64, user_id: i64, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    join_many(&mut tx, class_id, &[(user_id, now)], now).await?;
    tx.commit().await
}

/// Adds learners (each with the time they joined) inside a caller's transaction: `class_member` rows and
/// the class's aggregates (`aggregates::add_members`). Those already in the class are left alone.
pub async fn join_many(
    tx: &mut Tx,
    class_id: i64,
    learners: &[(i64, i64)],
    _now: i64,
) -> Result<(), sqlx::Error> {
    // Before the membership changes: an attempt writer holding the lock then sees it whole or not at all.
    super::aggregates::lock(&mut (&mut *tx).into()).await?;
    let mut added = Vec::with_capacity(learners.len());
    in_tx!(&mut *tx, conn => {
        for &(user_id, joined_at) in learners {
            let inserted: Option<i64> = sqlx::query_scalar(
                "insert into class_member (class_id, user_id, joined_at) values ($1, $2, $3) on conflict do nothing returning user_id",
            )
            .bind(class_id)
            .bind(user_id)
            .bind(joined_at)
            .fetch_optional(&mut *conn)
            .await?;
            added.extend(inserted);
        }
    });
    super::aggregates::add_members(tx, class_id, &added, 1).await
}

/// Removes a member (leaving, or removed by the instructor): their answers stay theirs; what they brought
/// to the class's aggregates is taken away, in the same transaction.
pub async fn leave(db: &Db, class_id: i64, user_id: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    super::aggregates::lock(&mut (&mut tx).into()).await?;
    let removed: Option<i64> = in_tx!(&mut tx, conn => {
        sqlx::query_scalar(
            "delete from class_member where class_id = $1 and user_id = $2 returning user_id",
        )
        .bind(class_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?
    });
    if removed.is_some() {
        super::aggregates::add_members(&mut tx, class_id, &[user_id], -1).await?;
    }
    tx.commit().await
}

/// A member with their name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub display_name: String,
    pub joined_at: i64,
}

/// The members of a class, by display name.
pub async fn members(db: &Db, class_id: i64) -> Result<Vec<Member>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select u.user_id, coalesce(u.name, '') as name, u.display_name, m.joined_at
             from class_member m join app_user u on u.user_id = m.user_id where m.class_id = $1 order by u.display_name, u.user_id",
        )
        .bind(class_id)
        .fetch_all(pool)
        .await
    })
}

/// Whether the user belongs to the class.
pub async fn is_member(db: &Db, class_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_scalar(
            "select exists (select 1 from class_member where class_id = $1 and user_id = $2)",
        )
        .bind(class_id)
        .bind(user_id)
        .fetch_one(pool)
        .await
    })
}

/// A class with its number of members, for the instructor's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClassSummary {
    pub class_id: i64,
    pub name: String,
    pub join_code: String,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub members: i64,
}

/// The classes an instructor owns with their member counts, active first, newest first.
pub async fn owned_with_counts(db: &Db, owner_id: i64) -> Result<Vec<ClassSummary>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select c.class_id, c.name, c.join_code, c.archived_at, c.created_at,
                    (select count(*) from class_member m where m.class_id = c.class_id) as members
             from class c where c.owner_id = $1
             order by c.archived_at is not null, c.created_at desc, c.class_id desc",
        )
        .bind(owner_id)
        .fetch_all(pool)
        .await
    })
}

/// Makes an archived class active again (its join code works again).
pub async fn restore(db: &Db, class_id: i64) -> Result<(), sqlx::Error> {
    on!(db, pool => {
        sqlx::query("update class set archived_at = null where class_id = $1")
            .bind(class_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A class a learner belongs to, with who runs it (`store::me` reads them, active first, by name).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub struct Joined {
    pub class_id: i64,
    pub name: String,
    pub owner_name: String,
    pub archived_at: Option<i64>,
    pub joined_at: i64,
}

/// One member of a class, if that user is one.
pub async fn member(db: &Db, class_id: i64, user_id: i64) -> Result<Option<Member>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(
            "select u.user_id, coalesce(u.name, '') as name, u.display_name, m.joined_at
             from class_member m join app_user u on u.user_id = m.user_id where m.class_id = $1 and m.user_id = $2",
        )
        .bind(class_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })
}

/// The class an instructor owns with this exact name, if any (the demo seed looks its class up by name).
pub async fn owned_named(db: &Db, owner_id: i64, name: &str) -> Result<Option<Class>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query_as(&format!(
            "select {COLUMNS} from class where owner_id = $1 and name = $2 order by class_id limit 1"
        ))
        .bind(owner_id)
        .bind(name)
        .fetch_optional(pool)
        .await
    })
}
