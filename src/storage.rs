//! Whether the database can still keep what it is told. SQLite holds its file open: delete the file (or
//! restore a backup over its path) and the server goes on writing into an inode nobody will ever read
//! again, acknowledging answers that are already lost, and the next start creates an empty database.
//! A full disk fails every write. Both must show: `/healthz` answers 503 so a load balancer stops
//! sending traffic, and a write request is refused with a page that says what happened.
//!
//! [`Storage`] records the file's device and inode when the database is opened and compares them on
//! each check; it measures the room left on the filesystem and under SQLite's page limit. The checks
//! before every write request are one `stat`; the full check (a query, `statvfs`) runs for `/healthz`,
//! and before writes only after a write has failed for lack of space. No axum.
//!
//! On PostgreSQL there is no file of ours to watch: the server owns its storage. The full check is then
//! a write transaction (`store::health::probe_write`): it fails when the server does not answer, is
//! read-only (a standby, `default_transaction_read_only`) or has no room for its WAL, and `/healthz`
//! says which, so a balancer takes an instance that cannot keep answers out of rotation.

use crate::db::Db;
use crate::store;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Less free space than this, on the filesystem or under SQLite's page limit, counts as full: a WAL
/// checkpoint or one batch of attempts can need a few megabytes, and failing health before writes fail
/// gives the load balancer time to move traffic.
pub const MIN_FREE_BYTES: u64 = 8 << 20;

/// Why the database cannot be trusted with writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The file is no longer at its path (deleted, or its volume unmounted).
    Missing,
    /// Another file is at the path now (restored over, or moved in): this process writes to the old one.
    Replaced,
    /// No room left, on the disk or under SQLite's page limit.
    Full,
    /// The database does not answer.
    Unavailable,
    /// The database answers but refuses writes (PostgreSQL: a standby, or read-only transactions).
    ReadOnly,
}

impl Problem {
    /// What a visitor is told (no paths: those go to the log).
    pub fn message(self, language: crate::content::Language) -> &'static str {
        if language == crate::content::Language::En {
            return match self {
                Problem::Missing | Problem::Replaced => {
                    "The server's database file is missing, so answers and changes cannot be saved. Please tell the administrator."
                }
                Problem::Full => {
                    "The server's disk is full, so your answers and changes could not be saved. Please try again later."
                }
                Problem::Unavailable => {
                    "The server's database does not answer. Please try again later."
                }
                Problem::ReadOnly => {
                    "The server's database accepts no changes right now, so answers and changes cannot be saved. Please try again later."
                }
            };
        }
        match self {
            Problem::Missing | Problem::Replaced => {
                "サーバーのデータベースのファイルが見つからないため、回答や変更を保存できません。管理者に連絡してください。"
            }
            Problem::Full => {
                "サーバーのディスクがいっぱいのため、回答や変更を保存できませんでした。時間をおいてもう一度お試しください。"
            }
            Problem::Unavailable => {
                "サーバーのデータベースが応答しません。時間をおいてもう一度お試しください。"
            }
            Problem::ReadOnly => {
                "サーバーのデータベースがいま書き込みを受け付けないため、回答や変更を保存できません。時間をおいてもう一度お試しください。"
            }
        }
    }

    /// The one-line reason `/healthz` gives.
    pub fn health_reason(self) -> &'static str {
        match self {
            Problem::Missing => {
                "データベースのファイルがありません（削除されたか、ボリュームが外れています）"
            }
            Problem::Replaced => {
                "データベースのファイルが置き換えられています（このプロセスは古いファイルに書いています）"
            }
            Problem::Full => "ディスクがいっぱいです（データベースに書き込めません）",
            Problem::Unavailable => "データベースが応答しません",
            Problem::ReadOnly => {
                "データベースが書き込みを受け付けません（読み取り専用です。スタンバイか、default_transaction_read_only が on になっています）"
            }
        }
    }
}

/// The database file as it was when opened, and what the last checks found.
#[derive(Debug)]
pub struct Storage {
    /// The SQLite file; `None` on PostgreSQL.
    path: Option<PathBuf>,
    /// What the log calls the database: the file's path, or PostgreSQL's host and database.
    label: String,
    /// Device and inode of the file at open; `None` when there was no file to stat (then only the
    /// database's answers and its room are checked).
    identity: Option<(u64, u64)>,
    /// A write failed for lack of space and no full check has found room since.
    full: AtomicBool,
    /// What the last full check found, so the log says when it changes rather than on every check (a
    /// load balancer asks every few seconds; with a full disk, every write request asks).
    last: Mutex<Result<(), Problem>>,
}

impl Storage {
    /// Watches the file at `path` as it is now.
    pub fn watch(path: &Path) -> Self {
        let identity = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
        if identity.is_none() {
            tracing::warn!(db = %path.display(), "database file not found: deletion will not be noticed");
        }
        Storage {
            path: Some(path.to_path_buf()),
            label: path.display().to_string(),
            identity,
            full: AtomicBool::new(false),
            last: Mutex::new(Ok(())),
        }
    }

    /// Watches the database `db` is open on: its file (SQLite), or the server's answers (PostgreSQL).
    pub fn for_db(db: &Db) -> Self {
        match db {
            Db::Sqlite(pool) => Self::watch(pool.connect_options().get_filename()),
            Db::Postgres(pool) => {
                let options = pool.connect_options();
                Storage {
                    path: None,
                    label: format!(
                        "postgres://{}:{}/{}",
                        options.get_host(),
                        options.get_port(),
                        options.get_database().unwrap_or_default()
                    ),
                    identity: None,
                    full: AtomicBool::new(false),
                    last: Mutex::new(Ok(())),
                }
            }
        }
    }

    /// Whether the file at the path is still the one opened: one `stat`. Always true on PostgreSQL.
    pub fn check_file(&self) -> Result<(), Problem> {
        let (Some(identity), Some(path)) = (self.identity, &self.path) else {
            return Ok(());
        };
        match std::fs::metadata(path) {
            Ok(meta) if (meta.dev(), meta.ino()) == identity => Ok(()),
            Ok(_) => Err(Problem::Replaced),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Problem::Missing),
            // Permission or I/O trouble on the path: the file cannot be vouched for.
            Err(_) => Err(Problem::Missing),
        }
    }

    /// Everything: the file, the database answering, room on the filesystem and under the page limit.
    /// Finding room clears the mark a failed write left ([`Storage::note_full`]).
    pub async fn check(&self, db: &Db) -> Result<(), Problem> {
        let result = match db {
            Db::Sqlite(pool) => self.check_all(pool).await,
            Db::Postgres(_) => self.check_server(db).await,
        };
        self.full
            .store(result == Err(Problem::Full), Ordering::Relaxed);
        let changed = match self.last.lock() {
            Ok(mut last) => std::mem::replace(&mut *last, result) != result,
            Err(_) => true,
        };
        if changed {
            match result {
                Err(problem) => tracing::error!(db = %self.label, ?problem,
                    "database storage check failed: {}", problem.health_reason()),
                Ok(()) => {
                    tracing::info!(db = %self.label, "database storage check passes again")
                }
            }
        }
        result
    }

    async fn check_all(&self, pool: &sqlx::SqlitePool) -> Result<(), Problem> {
        self.check_file()?;
        let room = store::health::room_under_page_limit(pool)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "database does not answer");
                Problem::Unavailable
            })?;
        if room < MIN_FREE_BYTES {
            return Err(Problem::Full);
        }
        if let Some(free) = self.free_on_filesystem()
            && free < MIN_FREE_BYTES
        {
            return Err(Problem::Full);
        }
        Ok(())
    }

    /// PostgreSQL: a write transaction proves the server answers and takes writes.
    async fn check_server(&self, db: &Db) -> Result<(), Problem> {
        store::health::probe_write(db).await.map_err(|e| {
            let problem = if store::is_disk_full(&e) {
                Problem::Full
            } else if store::is_read_only(&e) {
                Problem::ReadOnly
            } else {
                Problem::Unavailable
            };
            tracing::error!(db = %self.label, error = %e, ?problem, "database write probe failed");
            problem
        })
    }

    /// Before a write: the file (one `stat`), and — only after a write has failed for lack of space —
    /// the full check, so the next form gets "disk full" rather than a puzzling error of its own.
    pub async fn check_before_write(&self, db: &Db) -> Result<(), Problem> {
        self.check_file()?;
        if self.full.load(Ordering::Relaxed) {
            return self.check(db).await;
        }
        Ok(())
    }

    /// A write failed for lack of space: later writes run the full check first.
    pub fn note_full(&self) {
        if !self.full.swap(true, Ordering::Relaxed) {
            tracing::error!(db = %self.label, "a write failed: the disk is full");
        }
    }

    /// Bytes an unprivileged writer can still use on the database's filesystem; `None` if unknown.
    fn free_on_filesystem(&self) -> Option<u64> {
        let dir = match self.path.as_deref()?.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        rustix::fs::statvfs(dir)
            .ok()
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_or_replaced_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        std::fs::write(&path, b"x").unwrap();
        // Held open, as SQLite holds the database: its inode number cannot be reused meanwhile.
        let _held = std::fs::File::open(&path).unwrap();
        let storage = Storage::watch(&path);
        assert_eq!(storage.check_file(), Ok(()));
        // A backup restored over the path is another inode.
        let restored = dir.path().join("restored.db");
        std::fs::write(&restored, b"y").unwrap();
        std::fs::rename(&restored, &path).unwrap();
        assert_eq!(storage.check_file(), Err(Problem::Replaced));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(storage.check_file(), Err(Problem::Missing));
    }
}
