//! The database's own health: does it answer, how much room is left under SQLite's page limit, can this
//! connection write at all. Used by `/healthz` (through `storage`) and by `db::open` at start.

use sqlx::SqlitePool;

/// Bytes SQLite can still add before it reaches its page limit (`max_page_count`): pages left under the
/// limit plus free pages inside the file. Also proves the database answers.
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

/// Writes the header's `user_version` back unchanged: a real write transaction that leaves no trace,
/// so a database that cannot be written (read-only file or folder, full disk) fails here, at start,
/// and not at a learner's first answer.
pub async fn probe_write(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let (version,): (i64,) = sqlx::query_as("pragma user_version")
        .fetch_one(pool)
        .await?;
    // PRAGMA takes no bound parameters; the value is an integer read from the database itself.
    sqlx::query(&format!("pragma user_version = {version}"))
        .execute(pool)
        .await?;
    Ok(())
}
