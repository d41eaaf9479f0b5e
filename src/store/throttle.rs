//! Throttle lanes: one `throttle` row per (kind, key) holding how many attempts it has counted and when the
//! last one was. The policy (which lanes, which numbers) lives in `auth::throttle`; this module reads and
//! writes rows, and does it inside `begin immediate` (SQLite) or under a transaction-scoped advisory lock
//! (PostgreSQL) so a check and the count that follows it are one step for every connection and every
//! process on the database.

use crate::db::{Db, Tx};
use crate::{in_tx, on};

/// The PostgreSQL advisory lock every throttle update takes (any fixed number no other lock uses; it
/// reads "throttle" in ASCII).
const POSTGRES_LOCK: i64 = 0x7468_726f_7474_6c65;

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
    db: &Db,
    lanes: &[(&str, &str)],
    decide: impl FnOnce(&[Option<LaneRow>]) -> (T, Vec<Write>),
) -> Result<T, sqlx::Error> {
    let mut tx = match db {
        // `begin immediate` takes the write lock up front; a plain `begin` would read first and could find
        // its snapshot stale at the first write (SQLITE_BUSY, not retried by the busy timeout).
        Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("begin immediate").await?),
        // Row locks cannot cover a lane that has no row yet: one lock for every throttle update instead,
        // held until the commit, as SQLite's write lock is.
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("select pg_advisory_xact_lock($1)")
                .bind(POSTGRES_LOCK)
                .execute(&mut *tx)
                .await?;
            Tx::Postgres(tx)
        }
    };
    let outcome = in_tx!(&mut tx, conn => {
        let mut rows = Vec::with_capacity(lanes.len());
        for (kind, key) in lanes {
            let row: Option<LaneRow> =
                sqlx::query_as("select failures, last_at from throttle where kind = $1 and key = $2")
                    .bind(kind)
                    .bind(key)
                    .fetch_optional(&mut *conn)
                    .await?;
            rows.push(row);
        }
        let (outcome, writes) = decide(&rows);
        for ((kind, key), write) in lanes.iter().zip(writes) {
            match write {
                Write::Keep => {}
                Write::Put(row) => {
                    sqlx::query(
                        "insert into throttle (kind, key, failures, last_at) values ($1, $2, $3, $4)
                         on conflict (kind, key) do update set failures = excluded.failures, last_at = excluded.last_at",
                    )
                    .bind(kind)
                    .bind(key)
                    .bind(row.failures)
                    .bind(row.last_at)
                    .execute(&mut *conn)
                    .await?;
                }
                Write::Delete => {
                    sqlx::query("delete from throttle where kind = $1 and key = $2")
                        .bind(kind)
                        .bind(key)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        outcome
    });
    tx.commit().await?;
    Ok(outcome)
}

/// Deletes lanes of `kind` untouched since `before` (unix milliseconds): they would count as forgotten
/// anyway, and an attacker inventing names or addresses should not grow the table for ever.
pub async fn sweep(db: &Db, kind: &str, before: i64) -> Result<u64, sqlx::Error> {
    Ok(on!(db, pool => {
        sqlx::query("delete from throttle where kind = $1 and last_at < $2")
            .bind(kind)
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()
    }))
}

/// Deletes the lanes of `kinds` whose key is `key`, and those of `paired` whose key is an address key
/// followed by a space and `name` (address keys hold no space).
pub async fn forget(
    db: &Db,
    kinds: &[&str],
    key: &str,
    paired: &[&str],
    name: &str,
) -> Result<(), sqlx::Error> {
    // The name after the key's first space (`instr` in SQLite, `strpos` in PostgreSQL; `key like '% ' ||
    // name` would read `%` and `_` in a name as wildcards).
    let by_name = match db {
        Db::Sqlite(_) => {
            "delete from throttle where kind = $1 and instr(key, ' ') > 0
             and substr(key, instr(key, ' ') + 1) = $2"
        }
        Db::Postgres(_) => {
            "delete from throttle where kind = $1 and strpos(key, ' ') > 0
             and substr(key, strpos(key, ' ') + 1) = $2"
        }
    };
    let mut tx = db.begin().await?;
    in_tx!(&mut tx, conn => {
        for kind in kinds {
            sqlx::query("delete from throttle where kind = $1 and key = $2")
                .bind(kind)
                .bind(key)
                .execute(&mut *conn)
                .await?;
        }
        for kind in paired {
            sqlx::query(by_name)
            .bind(kind)
            .bind(name)
            .execute(&mut *conn)
            .await?;
        }
    });
    tx.commit().await
}
