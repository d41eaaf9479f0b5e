//! Opening the SQLite database: WAL so readers never wait for the writer, foreign keys on, a busy timeout
//! instead of instant "database is locked" errors, and the migrations run before anything else.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use std::path::Path;
use std::time::Duration;

/// Opens (creating if needed) the database at `path` and runs the migrations.
pub async fn open(path: &Path) -> anyhow::Result<SqlitePool> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            anyhow::anyhow!(
                "データベースのフォルダ {} を作れません: {e}",
                parent.display()
            )
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL loses no committed transaction on a process crash, only on power loss.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("データベース {} を開けません: {e}", path.display()))?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("マイグレーションに失敗しました: {e}"))?;
    Ok(pool)
}

/// A connection of its own on the same database, for the hot write path (quiz attempts: see
/// `store::quiz::AttemptWriter`). SQLite takes one writer at a time; with several pooled writers the
/// losers sleep in the busy handler and the tail latency explodes. With one writer connection, writes
/// queue in order and never sleep.
pub async fn writer_for(pool: &SqlitePool) -> anyhow::Result<SqliteConnection> {
    Ok(pool.connect_options().connect().await?)
}
