//! Opening the SQLite database: WAL so readers never wait for the writer, foreign keys on, a busy timeout
//! instead of instant "database is locked" errors, and the migrations run before anything else. Opening
//! also proves the file can be written, so a read-only file or a full disk stops `serve` at start with a
//! message saying what to fix, not at a learner's first answer.
//!
//! PostgreSQL (`open_postgres`, schema in `migrations/postgres/`) is chosen by a `postgres://` `--db`
//! ([`Db::open`]): several instances then share one database.

use crate::store;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection, SqlitePool};
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

/// Whether `--db` names PostgreSQL (a `postgres://` or `postgresql://` URL) rather than a SQLite file.
pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// Opens a pool on the PostgreSQL database at `url` and brings its schema up to date with
/// `migrations/postgres/` (the same tables and columns as SQLite's `migrations/`: tests/postgres.rs).
/// Every error says, in Japanese, what to check; the password in the URL is never printed.
pub async fn open_postgres(url: &str) -> anyhow::Result<PgPool> {
    let shown = redact_password(url);
    let options: PgConnectOptions = url.parse().map_err(|e| {
        anyhow::anyhow!("PostgreSQL の接続先 {shown} を読めません: {e}（例: postgres://user:password@localhost:5432/infra_dojo）")
    })?;
    // One connection first: the pool retries a refused connection until its timeout and then reports
    // only the timeout; this reports why (refused, unknown database, wrong password).
    let cannot_connect = |e: sqlx::Error| {
        anyhow::anyhow!(
            "PostgreSQL {shown} に接続できません。サーバーが動いているか、ホスト・ポート・ユーザー・パスワード・データベース名を確かめてください。（{e}）"
        )
    };
    options
        .connect()
        .await
        .map_err(cannot_connect)?
        .close()
        .await
        .map_err(cannot_connect)?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(cannot_connect)?;
    sqlx::migrate!("./migrations/postgres")
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("PostgreSQL {shown} のマイグレーションに失敗しました: {e}"))?;
    Ok(pool)
}

/// `url` with its password (if any) replaced by `***`, for messages and logs.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // The credentials end at the last `@` before the path: a password may itself contain `@`.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_string(),
    }
}

/// Refuses a `--db` that is a URL other than PostgreSQL's ([`Db::open`] takes those): SQLite would take
/// `mysql://host/db` for a path and quietly create a folder `mysql:` with a database in it.
fn refuse_url(path: &Path) -> anyhow::Result<()> {
    let text = path.to_string_lossy();
    if text.contains("://") {
        anyhow::bail!(
            "--db {}: SQLite のデータベースファイルのパス（例: data/infra-dojo.db）か、PostgreSQL の URL（例: postgres://user:password@localhost:5432/infra_dojo）を指定してください。",
            redact_password(&text)
        )
    }
    Ok(())
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
    store::health::probe_write(&Db::Sqlite(pool.clone()))
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
/// queue in order and never sleep. On PostgreSQL the writer's connection is a plain one: its transactions
/// take an advisory lock instead, shared with the writers of the other instances (`store::quiz`).
///
/// On SQLite it does not checkpoint the WAL (`wal_autocheckpoint = 0`): SQLite's automatic checkpoint runs
/// in the commit that crosses 1,000 pages, and on this connection every submitter waiting for the writer
/// paid for it — copying the WAL into the database file and syncing it took a fifth of the writer's time
/// under `bench/quiz.sh` (2.6 ms a commit on average). [`checkpoint_continuously`] does it beside the writer.
pub async fn writer_for(db: &Db) -> anyhow::Result<Dedicated> {
    Ok(match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.connect_options().connect().await?;
            sqlx::query("pragma wal_autocheckpoint = 0")
                .execute(&mut conn)
                .await?;
            Dedicated::Sqlite(conn)
        }
        Db::Postgres(pool) => {
            let options = Box::new((*pool.connect_options()).clone());
            Dedicated::Postgres {
                conn: options.connect().await?,
                options,
            }
        }
    })
}

/// Checkpoints the WAL every second on a pooled connection, for the writer that does not ([`writer_for`]):
/// PASSIVE copies what no reader still needs and neither waits for nor blocks the writer, so the WAL stays
/// small without the writer stopping for it. (The pool's connections keep SQLite's automatic checkpoint.)
/// PostgreSQL has no WAL of ours to checkpoint: nothing is started.
pub fn checkpoint_continuously(db: &Db) {
    let Db::Sqlite(pool) = db else {
        return;
    };
    let pool = pool.clone();
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

/// The database the app runs on: SQLite (embedded, the default) or PostgreSQL (several instances on one
/// database). A store function takes `&Db` and runs the same SQL on either through [`on!`] — written once,
/// compiled once per driver, so SQLite keeps its native driver's speed — with `$1`-style placeholders, which
/// both drivers read; where the two dialects differ, the function picks its text by variant.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens what `--db` names: a `postgres://` URL opens PostgreSQL (its schema brought up to date), anything
    /// else is a SQLite file — created if missing, unless `must_exist`.
    pub async fn open(db: &Path, must_exist: bool) -> anyhow::Result<Db> {
        let text = db.to_string_lossy();
        if is_postgres_url(&text) {
            return Ok(Db::Postgres(open_postgres(&text).await?));
        }
        Ok(Db::Sqlite(if must_exist {
            open_existing(db).await?
        } else {
            open(db).await?
        }))
    }

    /// Which backend, for logs and messages.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every pooled connection (SQLite's last close checkpoints the WAL, so the file is whole on
    /// its own).
    pub async fn close(&self) {
        crate::on!(self, pool => pool.close().await)
    }

    /// The SQLite pool, for what only SQLite has (its file, its pragmas); `None` on PostgreSQL.
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite(pool) => Some(pool),
            Db::Postgres(_) => None,
        }
    }

    /// A transaction on either backend.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl From<SqlitePool> for Db {
    fn from(pool: SqlitePool) -> Db {
        Db::Sqlite(pool)
    }
}

/// A transaction on either backend; its statements run through [`in_tx!`]. Dropped without
/// [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Runs `$body` with `$pool` bound to the [`Db`]'s pool, whichever backend it is: the body is compiled
/// once for each.
///
/// ```ignore
/// on!(db, pool => sqlx::query("delete from throttle where kind = $1").bind(kind).execute(pool).await)
/// ```
#[macro_export]
macro_rules! on {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the [`Tx`]'s connection (`&mut SqliteConnection` or
/// `&mut PgConnection`); pass it on as `&mut *$conn` to use it more than once.
#[macro_export]
macro_rules! in_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// A connection owned, not pooled, on either backend: the attempt writer's ([`writer_for`]). PostgreSQL's
/// keeps its options, to open another when the server drops it.
pub enum Dedicated {
    Sqlite(SqliteConnection),
    Postgres {
        conn: PgConnection,
        options: Box<PgConnectOptions>,
    },
}

impl Dedicated {
    /// Closes the connection cleanly.
    pub async fn close(self) -> Result<(), sqlx::Error> {
        match self {
            Dedicated::Sqlite(conn) => conn.close().await,
            Dedicated::Postgres { conn, .. } => conn.close().await,
        }
    }

    /// After `error`: whether it was a PostgreSQL connection lost (the server restarted, failed over, or
    /// ended the session) and another could be opened in its place — then the work can be tried again. A
    /// pool does this for its connections; without it, one restart of the server would fail every later
    /// attempt until the instance restarts. (A SQLite file does not drop connections.)
    pub async fn reopen_if_lost(&mut self, error: &sqlx::Error) -> bool {
        let Dedicated::Postgres { conn, options } = self else {
            return false;
        };
        let lost = match error {
            sqlx::Error::Io(_) => true,
            // Class 08: connection exception; 57P01–03: the server shutting down or not ready.
            sqlx::Error::Database(e) => e
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        };
        if !lost {
            return false;
        }
        match options.connect().await {
            Ok(fresh) => {
                tracing::warn!(error = %error, "attempt writer's PostgreSQL connection lost: opened another");
                *conn = fresh;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "attempt writer's PostgreSQL connection lost and not opened again");
                false
            }
        }
    }
}

impl From<SqliteConnection> for Dedicated {
    fn from(conn: SqliteConnection) -> Dedicated {
        Dedicated::Sqlite(conn)
    }
}

/// A connection borrowed on either backend — a [`Tx`]'s, an `sqlx::Transaction`'s, a [`Dedicated`] one's —
/// for store functions that run inside their caller's transaction (`store::aggregates`, the attempt
/// writer's `store::quiz::write_attempts`). Its statements run through [`on_conn!`].
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// The same connection, borrowed again for one call.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    /// `sqlite` or `postgres`, whichever dialect this connection speaks: for statements whose text
    /// differs.
    pub fn pick<'s>(&self, sqlite: &'s str, postgres: &'s str) -> &'s str {
        match self {
            Conn::Sqlite(_) => sqlite,
            Conn::Postgres(_) => postgres,
        }
    }
}

impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Conn<'c> {
        Conn::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(conn: &'c mut PgConnection) -> Conn<'c> {
        Conn::Postgres(conn)
    }
}

impl<'c> From<&'c mut sqlx::Transaction<'_, sqlx::Sqlite>> for Conn<'c> {
    fn from(tx: &'c mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Conn<'c> {
        Conn::Sqlite(tx)
    }
}

impl<'c> From<&'c mut sqlx::Transaction<'_, sqlx::Postgres>> for Conn<'c> {
    fn from(tx: &'c mut sqlx::Transaction<'_, sqlx::Postgres>) -> Conn<'c> {
        Conn::Postgres(tx)
    }
}

impl<'c> From<&'c mut Tx> for Conn<'c> {
    fn from(tx: &'c mut Tx) -> Conn<'c> {
        match tx {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

impl<'c, 'b> From<&'c mut Conn<'b>> for Conn<'c> {
    fn from(conn: &'c mut Conn<'b>) -> Conn<'c> {
        conn.reborrow()
    }
}

/// Runs `$body` with `$c` bound to the [`Conn`]'s connection (`&mut SqliteConnection` or
/// `&mut PgConnection`): as [`in_tx!`], for a borrowed connection. Takes the `Conn` by value
/// (`conn.reborrow()` to keep it); pass `$c` on as `&mut *$c` to use it more than once.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}
