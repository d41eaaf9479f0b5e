//! Keys the deployment generates for itself (`server_secret`): created by whichever instance starts first,
//! then read by every instance on the same database.

use crate::db::Db;
use crate::on;

/// The secret called `name`: the stored one, or `fresh` if none was stored yet (the first writer wins,
/// so instances starting at once agree).
pub async fn get_or_create(
    db: &Db,
    name: &str,
    fresh: &[u8],
    now: i64,
) -> Result<Vec<u8>, sqlx::Error> {
    on!(db, pool => {
        sqlx::query(
            r"insert into server_secret (name, value, created_at) values ($1, $2, $3)
              on conflict (name) do nothing",
        )
        .bind(name)
        .bind(fresh)
        .bind(now)
        .execute(pool)
        .await?;
        sqlx::query_scalar("select value from server_secret where name = $1")
            .bind(name)
            .fetch_one(pool)
            .await
    })
}
