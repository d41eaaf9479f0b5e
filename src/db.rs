//! Opening the SQLite database: WAL so readers never wait for the writer, foreign keys on, a busy timeout
//! instead of instant "database is locked" errors, and the migrations run before anything else. Opening
//! also proves the file can be written, so a read-only file or a full disk stops `serve` at start with a
//! message saying what to fix, not at a learner's first answer.

use crate::store;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use std::path::Path;
use std::time::Duration;

/// The options every connection to the database at `path` uses; the file is created if missing.
pub fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL loses no committed transaction on a process crash, only on power loss.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Statement journals (a multi-row insert or upsert keeps the pages it changes, to undo itself
        // alone) and sorts in memory instead of temporary files: a write of the pages each statement
        // touches, through the kernel, for nothing that must survive the statement.
        .pragma("temp_store", "memory")
}

/// Refuses a `--db` that is a URL rather than a file: SQLite would take `postgres://host/db` for a path
/// and quietly create a folder `postgres:` with a database in it.
fn refuse_url(path: &Path) -> anyhow::Result<()> {
    let text = path.to_string_lossy();
    let Some((scheme, _)) = text.split_once("://") else {
        return Ok(());
    };
    if matches!(scheme, "postgres" | "postgresql") {
        anyhow::bail!(
            "--db {text}: PostgreSQL にはまだ対応していません。--db には SQLite のデータベースファイルのパス（例: data/infra-dojo.db）を指定してください。"
        );
    }
    anyhow::bail!(
        "--db {text}: URL ではなく、SQLite のデータベースファイルのパス（例: data/infra-dojo.db）を指定してください。"
    )
}

/// Opens (creating if needed, with its folder) the database at `path` and runs the migrations.
pub async fn open(path: &Path) -> anyhow::Result<SqlitePool> {
    refuse_url(path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            anyhow::anyhow!(
                "データベースのフォルダ {} を作れません: {e}",
                parent.display()
            )
        })?;
    }
    if !path.exists() {
        // Visible in the log: after a deleted file, this is where an empty database would start.
        tracing::warn!(db = %path.display(), "database file not found: creating an empty one");
    }
    open_with(connect_options(path)).await
}

/// Opens the database at `path` only if the file is there: for production, where a missing file means
/// it was deleted or its volume is not mounted, and creating an empty one would lose every account
/// quietly.
pub async fn open_existing(path: &Path) -> anyhow::Result<SqlitePool> {
    refuse_url(path)?;
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => anyhow::bail!(
            "データベース {} はファイルではありません。--db でデータベースのファイルを指定してください。",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "データベースのファイル {} がありません（--db-must-exist が指定されているため、空のデータベースは作りません）。\
             パスとボリュームのマウントを確かめ、バックアップから戻してください。\
             新しく始めるときは --db-must-exist を外して一度起動してください。",
            path.display()
        ),
        Err(e) => anyhow::bail!(
            "データベースのファイル {} を確かめられません: {e}",
            path.display()
        ),
    }
    open_with(connect_options(path).create_if_missing(false)).await
}

/// Opens a pool with `options`, runs the migrations and makes sure the database can be written. Every
/// error says, in Japanese, which file and what to do about it.
pub async fn open_with(options: SqliteConnectOptions) -> anyhow::Result<SqlitePool> {
    let path = options.get_filename().to_path_buf();
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // sqlx pings every connection it hands out by default: for SQLite, a round trip to the
        // connection's thread that checks nothing a query would not (a file does not drop connections;
        // a dead worker fails the query itself). It doubled the round trips of every request that reads
        // the database (`bench/quiz.sh`: a quiz cycle's three reads were six thread hand-offs).
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| open_error(&path, &e))?;
    sqlx::migrate!().run(&pool).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(e) => open_error(&path, &e),
        e => anyhow::anyhow!("マイグレーションに失敗しました: {e}"),
    })?;
    store::health::probe_write(&pool)
        .await
        .map_err(|e| open_error(&path, &e))?;
    // The file exists now. Connections opened later (the pool replacing one, the attempt writer) must not
    // create it again: after the file is deleted they fail, instead of starting an empty database at the
    // same path that a restart would then take for the real one.
    let existing = (*pool.connect_options()).clone().create_if_missing(false);
    pool.set_connect_options(existing);
    Ok(pool)
}

/// What went wrong opening the database at `path`, and how to fix it.
pub fn open_error(path: &Path, e: &sqlx::Error) -> anyhow::Error {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".to_string(),
    };
    let path = path.display();
    if store::is_read_only(e) {
        anyhow::anyhow!(
            "データベース {path} に書き込めません（読み取り専用です）。\
             サーバーを動かすユーザーに、このファイルと、それがあるフォルダへの書き込み権限があるか確かめてください\
             （WAL モードでは同じフォルダに -wal と -shm のファイルも作ります。例: chmod u+w {path} {folder}）。\
             読み取り専用でマウントされたボリュームにも置けません。（{e}）"
        )
    } else if store::is_disk_full(e) {
        anyhow::anyhow!(
            "データベース {path} に書き込めません: ディスクがいっぱいです。空きを作ってから起動してください。（{e}）"
        )
    } else if store::is_cannot_open(e) {
        anyhow::anyhow!(
            "データベース {path} を開けません。ファイルとフォルダがあるか、サーバーを動かすユーザーに読み書きの権限があるか確かめてください。（{e}）"
        )
    } else {
        anyhow::anyhow!("データベース {path} を開けません: {e}")
    }
}

/// A connection of its own on the same database, for the hot write path (quiz attempts: see
/// `store::quiz::AttemptWriter`). SQLite takes one writer at a time; with several pooled writers the
/// losers sleep in the busy handler and the tail latency explodes. With one writer connection, writes
/// queue in order and never sleep.
///
/// It does not checkpoint the WAL (`wal_autocheckpoint = 0`): SQLite's automatic checkpoint runs in the
/// commit that crosses 1,000 pages, and on this connection every submitter waiting for the writer paid for
/// it — copying the WAL into the database file and syncing it took a fifth of the writer's time under
/// `bench/quiz.sh` (2.6 ms a commit on average). [`checkpoint_continuously`] does it beside the writer.
pub async fn writer_for(pool: &SqlitePool) -> anyhow::Result<SqliteConnection> {
    let mut conn = pool.connect_options().connect().await?;
    sqlx::query("pragma wal_autocheckpoint = 0")
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// Checkpoints the WAL every second on a pooled connection, for the writer that does not ([`writer_for`]):
/// PASSIVE copies what no reader still needs and neither waits for nor blocks the writer, so the WAL stays
/// small without the writer stopping for it. (The pool's connections keep SQLite's automatic checkpoint.)
pub fn checkpoint_continuously(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = sqlx::query("pragma wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "WAL checkpoint");
            }
        }
    });
}
