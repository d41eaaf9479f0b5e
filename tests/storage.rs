//! A database that lost its file or its room, and one that cannot be opened for writing: `/healthz`
//! answers 503 with the reason, writes are refused with a Japanese page that says what happened (never
//! an empty 500, never a misleading "form expired"), and `serve` refuses to start on a missing or
//! read-only database with a message that says how to fix it. A full disk is SQLite's page limit
//! (`PRAGMA max_page_count`, set on every connection), which needs no root and no small filesystem.

mod common;

use axum::http::StatusCode;
use infra_dojo::content::source::ContentSource;
use sqlx::sqlite::SqliteConnectOptions;
use std::process::Command;
use std::time::{Duration, Instant};

/// Ten thousand 4 KiB pages (40 MiB): room for the app's own data, and enough left over that the
/// health check (which wants 8 MiB) passes until the test fills it.
const PAGE_LIMIT: &str = "10000";

fn with_page_limit(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options.pragma("max_page_count", PAGE_LIMIT)
}

/// Fills the database up to its page limit with blobs, largest first, so that hardly a byte is left.
async fn fill(app: &common::TestApp) {
    let db = &app.state.db;
    infra_dojo::on!(db, pool => sqlx::query("create table filler (b blob)")
        .execute(pool)
        .await.map(|r| r.rows_affected()))
    .unwrap();
    for size in [1 << 20, 64 << 10, 4 << 10, 512, 64] {
        // Bounded: at most 64 blobs of each size (64 MiB at the largest, beyond the limit).
        for _ in 0..64 {
            match infra_dojo::on!(db, pool => sqlx::query("insert into filler values (zeroblob($1))")
                .bind(size)
                .execute(pool)
                .await.map(|r| r.rows_affected()))
            {
                Ok(_) => {}
                Err(e) if infra_dojo::store::is_disk_full(&e) => break,
                Err(e) => panic!("filling failed: {e}"),
            }
        }
    }
}

fn disk_full_page(reply: &common::Reply) -> bool {
    reply.status == StatusCode::SERVICE_UNAVAILABLE
        && reply.body.contains("ディスクがいっぱい")
        && reply.body.contains("保存できませんでした")
}

#[tokio::test]
async fn healthz_fails_when_the_database_file_is_deleted_and_writes_are_refused() {
    if common::backend::sqlite_only("the database file is SQLite's") {
        return;
    }
    let app = common::app().await;
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let client = app.client();
    let csrf = client.csrf("/signup").await;
    std::fs::remove_file(app.db_path()).unwrap();

    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        health.body.contains("データベースのファイルがありません"),
        "{}",
        health.body
    );
    // The database would take the write (SQLite still holds the deleted file) and lose it.
    let reply = client
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", "lost"),
                ("display_name", "lost"),
                ("password", "correct horse battery"),
                ("next", "/me"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.body.contains("データベースのファイルが見つからない"));
    assert_eq!(reply.header("retry-after"), Some("60"));
    // Not stored. (A pool connection opened after the deletion sees a new, empty file, where the read
    // fails: that too means nothing was stored.)
    assert_eq!(
        infra_dojo::store::users::by_name(&app.state.db, "lost")
            .await
            .ok()
            .flatten()
            .map(|u| u.name),
        None
    );
    // Reading still works: the pages are in memory.
    assert_eq!(app.get("/topics/tcp").await.status, StatusCode::OK);
    // A connection the pool opens from now on fails, rather than start an empty database at the same
    // path (which a restart would then take for the real one).
    let fresh =
        sqlx::ConnectOptions::connect(&*app.state.db.as_sqlite().unwrap().connect_options()).await;
    assert!(
        fresh.is_err(),
        "a new connection recreated the deleted database"
    );
    assert!(!app.db_path().exists());
}

#[tokio::test]
async fn healthz_fails_when_the_database_file_is_replaced() {
    if common::backend::sqlite_only("the database file is SQLite's") {
        return;
    }
    let app = common::app().await;
    let path = app.db_path();
    let restored = path.with_extension("restored");
    std::fs::copy(&path, &restored).unwrap();
    std::fs::rename(&restored, &path).unwrap();
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        health.body.contains("置き換えられています"),
        "{}",
        health.body
    );
}

#[tokio::test]
async fn a_full_disk_fails_health_and_a_bare_500_becomes_a_japanese_page() {
    if common::backend::sqlite_only("a full disk is simulated with SQLite's page limit") {
        return;
    }
    let app = common::app_with_db(
        &ContentSource::Embedded,
        Default::default(),
        with_page_limit,
    )
    .await;
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    // Someone with a login form open before the disk filled up.
    let earlier = app.client();
    let csrf = earlier.csrf("/login").await;
    fill(&app).await;

    // New visitors still read, and open forms: a form's CSRF token is a cookie, and no session (no
    // write) is made for a visitor who has nothing to keep.
    for _ in 0..20 {
        let reply = app.client().get("/login").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    // A failure after the handler — the session layer saving a session — answers a bare 500; the
    // storage layer turns it into a page that says what happened.
    let bare_500 = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .layer(axum::middleware::from_fn_with_state(
            app.state.clone(),
            infra_dojo::web::storage::guard,
        ));
    let res = tower::ServiceExt::oneshot(
        bare_500,
        axum::http::Request::get("/")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let status = res.status();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let failed = common::Reply {
        status,
        headers: Default::default(),
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body.len(),
    };
    assert!(disk_full_page(&failed), "{} {}", failed.status, failed.body);
    assert_eq!(failed.texts("h1"), vec!["一時的にご利用いただけません"]);

    // The form opened earlier: its POST says "disk full", not "form expired".
    let reply = earlier
        .post_form(
            "/login",
            &[("csrf", &csrf), ("name", "x"), ("password", "y")],
        )
        .await;
    assert!(disk_full_page(&reply), "{} {}", reply.status, reply.body);
    assert!(!reply.body.contains("有効期限"));

    // And the load balancer hears of it.
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        health.body.contains("ディスクがいっぱい"),
        "{}",
        health.body
    );
}

#[tokio::test]
async fn a_handler_whose_write_fails_on_a_full_disk_shows_the_disk_full_page() {
    if common::backend::sqlite_only("a full disk is simulated with SQLite's page limit") {
        return;
    }
    let app = common::app_with_db(
        &ContentSource::Embedded,
        Default::default(),
        with_page_limit,
    )
    .await;
    fill(&app).await;
    // Each sign-up adds a user row and a session; within a few dozen one of them needs a new page.
    // Whichever write fails — the handler's insert or the session layer's save — the page says why.
    let mut failed = None;
    for i in 0..60 {
        let client = app.client();
        let form = client.get("/signup").await;
        if form.status != StatusCode::OK {
            failed = Some(form);
            break;
        }
        let reply = client.sign_up(&format!("full{i}")).await;
        if reply.status != StatusCode::SEE_OTHER {
            failed = Some(reply);
            break;
        }
    }
    let failed = failed.expect("a sign-up failed within 60");
    assert!(disk_full_page(&failed), "{} {}", failed.status, failed.body);
}

#[tokio::test]
async fn an_attempt_the_writer_cannot_store_on_a_full_disk_is_a_disk_full_error() {
    if common::backend::sqlite_only("a full disk is simulated with SQLite's page limit") {
        return;
    }
    use infra_dojo::store::quiz::{NewAnswer, NewAttempt};
    use infra_dojo::web::error::AppError;
    let app = common::app_with_db(
        &ContentSource::Embedded,
        Default::default(),
        with_page_limit,
    )
    .await;
    let user = infra_dojo::store::users::create(
        &app.state.db,
        "writer",
        "writer",
        "not-a-hash",
        infra_dojo::auth::Role::Learner,
        0,
    )
    .await
    .unwrap();
    fill(&app).await;
    // Big enough answers that the attempt cannot fit in the pages already there.
    let answers: Vec<NewAnswer> = (0..40)
        .map(|i| NewAnswer {
            question_id: format!("q{i}"),
            position: i,
            response: "x".repeat(2000),
            correct: false,
            credit: 0,
            misconception: None,
            time_ms: 0,
        })
        .collect();
    let err = app
        .state
        .attempts
        .record(NewAttempt {
            token: "f".repeat(32),
            user_id: user,
            topic: "tcp".into(),
            seed: 1,
            duration_ms: 0,
            answers,
            now: 0,
            review: false,
        })
        .await
        .unwrap_err();
    let err = AppError::Other(err);
    assert!(err.is_disk_full(), "{err:#}");
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(err.public_message().contains("ディスクがいっぱい"));
}

#[tokio::test]
async fn a_read_only_database_is_refused_at_open_with_a_japanese_message() {
    if common::backend::sqlite_only("a read-only database file is SQLite's") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    infra_dojo::db::open(&path).await.unwrap().close().await;
    // SQLITE_OPEN_READONLY: what a file without write permission gives a normal user. (chmod cannot
    // show it here, since the tests may run as root, whom permissions do not stop.)
    let err = infra_dojo::db::open_with(infra_dojo::db::connect_options(&path).read_only(true))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("読み取り専用"), "{err}");
    assert!(err.contains("書き込み権限"), "{err}");
}

#[tokio::test]
async fn a_database_without_write_permission_is_refused_at_open_unless_root() {
    if common::backend::sqlite_only("file permissions are SQLite's") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    infra_dojo::db::open(&path).await.unwrap().close().await;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let opened = infra_dojo::db::open(&path).await;
    if rustix::process::geteuid().is_root() {
        // Root writes through 0444; the read-only-open test above covers the message.
        return;
    }
    let err = opened.unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("権限"), "{err}");
}

/// Runs the binary with `args`, for at most 60 s.
fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra-dojo"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn serve_refuses_a_missing_database_when_told_it_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gone.db");
    let path_text = path.display().to_string();
    for (args, env) in [
        (
            vec![
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--db",
                &path_text,
                "--db-must-exist",
            ],
            vec![],
        ),
        (
            vec!["serve", "--bind", "127.0.0.1:0", "--db", &path_text],
            vec![("INFRA_DOJO_DB_MUST_EXIST", "true")],
        ),
    ] {
        let out = run(&args, &env);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&path_text), "{stderr}");
        assert!(stderr.contains("がありません"), "{stderr}");
        assert!(!path.exists(), "an empty database was created");
    }
}

#[test]
fn a_database_url_that_cannot_be_served_is_refused_in_japanese_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on loopback port 1: PostgreSQL's URL is taken, and the connection refused.
    for (url, words) in [
        (
            "postgres://dojo:s3cret@127.0.0.1:1/dojo",
            "PostgreSQL postgres://dojo:***@127.0.0.1:1/dojo に接続できません",
        ),
        ("postgresql://localhost:1/dojo", "に接続できません"),
        (
            "mysql://dojo:s3cret@localhost/dojo",
            "SQLite のデータベースファイルのパス",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_infra-dojo"))
            .args(["serve", "--bind", "127.0.0.1:0", "--db", url])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(words), "{url}: {stderr}");
        assert!(
            !stderr.contains("s3cret"),
            "the password was printed: {stderr}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{url} created something"
        );
    }
}
