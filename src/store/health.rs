//! The database's own health: does it answer, how much room is left under SQLite's page limit, can it
//! be written at all. Used by `/healthz` (through `storage`) and by `db::open` at start.

use crate::db::Db;
use crate::in_tx;
use sqlx::SqlitePool;

/// Bytes SQLite can still add before it reaches its page limit (`max_page_count`): pages left under the
/// limit plus free pages inside the file. Also proves the database answers. SQLite only: PostgreSQL's
/// room is its server's to manage.
pub async fn room_under_page_limit(pool: &SqlitePool) -> Result<u64, sqlx::Error> {
    let (page_size, page_count, max_page_count, freelist): (i64, i64, i64, i64) = sqlx::query_as(
        "select * from pragma_page_size(), pragma_page_count(), pragma_max_page_count(),
         pragma_freelist_count()",
    )
    .fetch_one(pool)
    .await?;
    let pages = max_page_count.saturating_sub(page_count).max(0) + freelist.max(0);
    Ok((pages as u64).saturating_mul(page_size.max(0) as u64))
}

/// A real write transaction that leaves no trace, so a database that cannot be written fails here (at
/// start, or in `/healthz`) and not at a learner's first answer.
///
/// SQLite: writes the header's `user_version` back unchanged (a read-only file or folder, a full disk).
/// PostgreSQL: inserts a session row that expired already and deletes it, and commits (a standby or
/// read-only transactions refuse the insert; the commit needs room for the server's WAL). The row is
/// never seen by anyone else (the insert and the delete are one transaction) and its id is the
/// transaction's own, so instances probing at once do not wait for each other.
pub async fn probe_write(db: &Db) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let (version,): (i64,) = sqlx::query_as("pragma user_version")
                .fetch_one(pool)
                .await?;
            // PRAGMA takes no bound parameters; the value is an integer read from the database itself.
            sqlx::query(&format!("pragma user_version = {version}"))
                .execute(pool)
                .await?;
            Ok(())
        }
        Db::Postgres(_) => {
            let mut tx = db.begin().await?;
            in_tx!(&mut tx, conn => {
                let id: String = sqlx::query_scalar(
                    "insert into tower_sessions (id, data, expiry_date)
                     values ('write-probe:' || pg_current_xact_id(), '{}', now() - interval '1 day')
                     returning id",
                )
                .fetch_one(&mut *conn)
                .await?;
                sqlx::query("delete from tower_sessions where id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            });
            tx.commit().await
        }
    }
}
