//! Throttle lanes: one `throttle` row per (kind, key) holding how many attempts it has counted and when the
//! last one was. The policy (which lanes, which numbers) lives in `auth::throttle`; this module reads and
//! writes rows, and does it inside `begin immediate` so a check and the count that follows it are one step
//! for every connection and every process on the database file.

use sqlx::SqlitePool;

/// The state of one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct LaneRow {
    pub failures: i64,
    /// Unix milliseconds.
    pub last_at: i64,
}

/// What to do with one lane after the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Keep,
    Put(LaneRow),
    Delete,
}

/// Reads the lanes `(kind, key)`, lets `decide` look at them and say what to write, and writes that, all
/// while holding SQLite's write lock: no other writer can read the same rows in between, so two parallel
/// requests never both see the count before either has added to it. `decide` returns one [`Write`] per
/// lane, in order (missing ones are kept).
pub async fn update<T>(
    pool: &SqlitePool,
    lanes: &[(&str, &str)],
    decide: impl FnOnce(&[Option<LaneRow>]) -> (T, Vec<Write>),
) -> Result<T, sqlx::Error> {
    // `begin immediate` takes the write lock up front; a plain `begin` would read first and could find its
    // snapshot stale at the first write (SQLITE_BUSY, not retried by the busy timeout).
    let mut tx = pool.begin_with("begin immediate").await?;
    let mut rows = Vec::with_capacity(lanes.len());
    for (kind, key) in lanes {
        let row: Option<LaneRow> =
            sqlx::query_as("select failures, last_at from throttle where kind = ? and key = ?")
                .bind(kind)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        rows.push(row);
    }
    let (outcome, writes) = decide(&rows);
    for ((kind, key), write) in lanes.iter().zip(writes) {
        match write {
            Write::Keep => {}
            Write::Put(row) => {
                sqlx::query(
                    "insert into throttle (kind, key, failures, last_at) values (?, ?, ?, ?)
                     on conflict (kind, key) do update set failures = excluded.failures, last_at = excluded.last_at",
                )
                .bind(kind)
                .bind(key)
                .bind(row.failures)
                .bind(row.last_at)
                .execute(&mut *tx)
                .await?;
            }
            Write::Delete => {
                sqlx::query("delete from throttle where kind = ? and key = ?")
                    .bind(kind)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Deletes lanes of `kind` untouched since `before` (unix milliseconds): they would count as forgotten
/// anyway, and an attacker inventing names or addresses should not grow the table for ever.
pub async fn sweep(pool: &SqlitePool, kind: &str, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from throttle where kind = ? and last_at < ?")
        .bind(kind)
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the lanes of `kinds` whose key is `key`, and those of `paired` whose key is an address key
/// followed by a space and `name` (address keys hold no space).
pub async fn forget(
    pool: &SqlitePool,
    kinds: &[&str],
    key: &str,
    paired: &[&str],
    name: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for kind in kinds {
        sqlx::query("delete from throttle where kind = ? and key = ?")
            .bind(kind)
            .bind(key)
            .execute(&mut *tx)
            .await?;
    }
    for kind in paired {
        sqlx::query(
            "delete from throttle where kind = ? and instr(key, ' ') > 0
             and substr(key, instr(key, ' ') + 1) = ?",
        )
        .bind(kind)
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
