//! Keys the deployment generates for itself (`server_secret`): created by whichever instance starts first,
//! then read by every instance on the same database.

use sqlx::SqlitePool;

/// The secret called `name`: the stored one, or `fresh` if none was stored yet (the first writer wins,
/// so instances starting at once agree).
pub async fn get_or_create(
    pool: &SqlitePool,
    name: &str,
    fresh: &[u8],
    now: i64,
) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query(
        r"insert into server_secret (name, value, created_at) values (?, ?, ?)
          on conflict (name) do nothing",
    )
    .bind(name)
    .bind(fresh)
    .bind(now)
    .execute(pool)
    .await?;
    let (value,): (Vec<u8>,) = sqlx::query_as("select value from server_secret where name = ?")
        .bind(name)
        .fetch_one(pool)
        .await?;
    Ok(value)
}
