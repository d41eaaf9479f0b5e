//! SQL, and only SQL: every query the application runs lives under this module, written as lowercase raw
//! strings with `query_as` + `FromRow` (no compile-time database needed). No axum here.

pub mod account;
pub mod aggregates;
pub mod analysis;
pub(crate) mod batch;
pub mod class_stats;
pub mod class_view;
pub mod classes;
pub mod health;
pub mod learning;
pub mod me;
pub mod quiz;

pub mod search;
pub mod secrets;
pub mod throttle;
pub mod transfer;
pub mod users;

/// The mastery rule in SQL (`quiz::mastery`): a `question_progress` row is mastered when its box is at
/// least `quiz::schedule::MASTERED_BOX`. A literal, written into each query's text rather than bound:
/// SQLite uses the partial index `question_progress_mastered` (`migrations/0004`, `box >= 3`) only when
/// the query's own text implies its condition. A test keeps the three in step.
pub const MASTERED: &str = "box >= 3";

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether an error is a unique-constraint violation (SQLite reports no constraint names).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Whether an error means the disk (or SQLite's page limit) is full: `SQLITE_FULL`, PostgreSQL's
/// `disk_full` (53100), or ENOSPC from I/O.
pub fn is_disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(_) => {
            sqlite_code(e).is_some_and(|code| code == SQLITE_FULL)
                || postgres_code(e) == Some("53100")
        }
        sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::StorageFull,
        _ => false,
    }
}

/// Whether an error means the database cannot be written: `SQLITE_READONLY` (a read-only file, folder
/// or mount), PostgreSQL's `read_only_sql_transaction` (25006: a standby, read-only transactions), or a
/// permission error from I/O.
pub fn is_read_only(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(_) => {
            sqlite_code(e).is_some_and(|code| code == SQLITE_READONLY)
                || postgres_code(e) == Some("25006")
        }
        sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::PermissionDenied,
        _ => false,
    }
}

/// Whether an error means SQLite could not open the file (`SQLITE_CANTOPEN`, `SQLITE_PERM`): a missing
/// folder, or no permission on the file or its folder.
pub fn is_cannot_open(e: &sqlx::Error) -> bool {
    sqlite_code(e).is_some_and(|code| matches!(code, SQLITE_CANTOPEN | SQLITE_PERM))
}

/// SQLite's primary result code of a database error from SQLite (extended codes keep it in the low
/// byte). Not PostgreSQL's SQLSTATE, whose digits would read as some other number.
fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    Some(db.code()?.parse::<i32>().ok()? & 0xff)
}

/// PostgreSQL's SQLSTATE of a database error from PostgreSQL.
fn postgres_code(e: &sqlx::Error) -> Option<&str> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    Some(
        db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?
            .code(),
    )
}

// SQLite's primary result codes (https://www.sqlite.org/rescode.html).
const SQLITE_PERM: i32 = 3;
const SQLITE_READONLY: i32 = 8;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

#[cfg(test)]
mod tests {
    #[test]
    fn the_sql_rule_is_the_schedule_s_and_the_index_s() {
        let box_ = crate::quiz::schedule::MASTERED_BOX;
        assert_eq!(super::MASTERED, format!("box >= {box_}"));
        let index = include_str!("../../migrations/0004_instructor_indexes.sql");
        assert!(index.contains(&format!("where {};", super::MASTERED)));
    }
}
