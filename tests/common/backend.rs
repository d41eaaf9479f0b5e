//! Which database the tests run on. SQLite by default: each app gets a file in its own temporary folder.
//! With `INFRA_DOJO_TEST_BACKEND=postgres`, each app gets a fresh database in the PostgreSQL cluster
//! named by `INFRA_DOJO_TEST_POSTGRES` (`scripts/with-postgres` starts a throwaway one and sets it;
//! `scripts/test` runs the whole suite once on each backend).
//!
//! Shared by the router tests (`common`) and the browser tests (`tests/browser/support.rs`).
#![allow(dead_code)]

use infra_dojo::db::Db;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Executor};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Whether this run's apps are on PostgreSQL.
pub fn on_postgres() -> bool {
    match std::env::var("INFRA_DOJO_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => {
            panic!("INFRA_DOJO_TEST_BACKEND={other}: sqlite か postgres を指定してください")
        }
    }
}

/// The admin address of the test cluster.
pub fn cluster() -> String {
    std::env::var("INFRA_DOJO_TEST_POSTGRES").expect(
        "INFRA_DOJO_TEST_POSTGRES is not set: run the tests through scripts/test, or \
         scripts/with-postgres cargo test …",
    )
}

/// A new, empty database in the test cluster; its URL. Databases are left to the cluster, which
/// `scripts/with-postgres` deletes whole afterwards.
pub async fn fresh_postgres_database() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let admin = cluster();
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(format!("create database {name}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    // postgres://user@host/DB?query: the database is the path's last segment.
    let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}?{query}")
}

/// The database for one app: a SQLite file in `dir` whose connections are opened with `adjust`ed options,
/// or, on PostgreSQL, a fresh database (`adjust` is SQLite's alone: the tests that need it are skipped on
/// PostgreSQL with [`sqlite_only`]).
/// Returns the database and what `--db` would name it (the file, or the URL), for another instance on it.
pub async fn fresh_db(
    dir: &Path,
    adjust: impl FnOnce(SqliteConnectOptions) -> SqliteConnectOptions,
) -> (Db, String) {
    if on_postgres() {
        let url = fresh_postgres_database().await;
        let db = Db::Postgres(infra_dojo::db::open_postgres(&url).await.expect("open db"));
        return (db, url);
    }
    let path = dir.join("test.db");
    let db = Db::Sqlite(
        infra_dojo::db::open_with(adjust(infra_dojo::db::connect_options(&path)))
            .await
            .expect("open db"),
    );
    (db, path.to_string_lossy().into_owned())
}

/// For a test of something only SQLite has (its file, its pragmas): true — and a line saying why — when
/// this run is on PostgreSQL, where the test returns at once.
pub fn sqlite_only(why: &str) -> bool {
    let skip = on_postgres();
    if skip {
        eprintln!("skipped on PostgreSQL: {why}");
    }
    skip
}
