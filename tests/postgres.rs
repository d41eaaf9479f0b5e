//! PostgreSQL: the schema kept in step with SQLite's, and `infra-dojo migrate` copying a SQLite database
//! into PostgreSQL. These tests need a PostgreSQL cluster: `scripts/test` (through `scripts/with-postgres`)
//! starts a throwaway one and passes its address in `INFRA_DOJO_TEST_POSTGRES`; each test makes a
//! database of its own in it. Without the variable they fail and say how to run them.

#[path = "common/backend.rs"]
mod backend;

use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::collections::BTreeSet;
use std::process::{Command, Output};

/// A new, empty database in the test cluster; its URL.
async fn fresh_database() -> String {
    backend::fresh_postgres_database().await
}

fn infra_dojo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra-dojo"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every (table, column, not null) of a SQLite database made by the app.
async fn sqlite_columns(pool: &SqlitePool) -> BTreeSet<(String, String, bool)> {
    let rows = sqlx::query(
        "select m.name, c.name, c.\"notnull\" or c.pk > 0 from sqlite_master m, pragma_table_info(m.name) c
         where m.type = 'table' and m.name not like 'sqlite_%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get::<bool, _>(2)))
        .collect()
}

async fn postgres_columns(pool: &PgPool) -> BTreeSet<(String, String, bool)> {
    let rows = sqlx::query(
        "select table_name::text, column_name::text, is_nullable = 'NO' from information_schema.columns
         where table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get::<bool, _>(2)))
        .collect()
}

async fn sqlite_schema_db(dir: &std::path::Path) -> SqlitePool {
    let pool = infra_dojo::db::open(&dir.join("schema.db")).await.unwrap();
    // The session table is made by the session store at start-up, as `serve` does.
    tower_sessions_sqlx_store::SqliteStore::new(pool.clone())
        .migrate()
        .await
        .unwrap();
    pool
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_columns(&sqlite_schema_db(dir.path()).await).await;
    let postgres = infra_dojo::db::open_postgres(&fresh_database().await)
        .await
        .unwrap();
    let postgres = postgres_columns(&postgres).await;
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "(table, column, not null) only in SQLite: {only_sqlite:?}\nonly in PostgreSQL: {only_postgres:?}\n\
         add the change to migrations/ and migrations/postgres/ both"
    );
    // And the schemas are not trivially equal.
    assert!(sqlite.len() > 100, "{}", sqlite.len());
}

#[tokio::test]
async fn migrate_copies_every_table_but_the_sessions() {
    let tables: BTreeSet<&str> = infra_dojo::store::transfer::TABLES
        .iter()
        .chain(infra_dojo::store::transfer::NOT_COPIED)
        .copied()
        .collect();
    let postgres = infra_dojo::db::open_postgres(&fresh_database().await)
        .await
        .unwrap();
    let schema: BTreeSet<String> = postgres_columns(&postgres)
        .await
        .into_iter()
        .map(|(table, _, _)| table)
        .filter(|t| t != "_sqlx_migrations")
        .collect();
    let listed: BTreeSet<String> = tables.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        schema, listed,
        "a table is missing from store::transfer::TABLES (or NOT_COPIED)"
    );
}

/// Row counts of every copied table.
async fn sqlite_counts(pool: &SqlitePool) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in infra_dojo::store::transfer::TABLES {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(pool)
            .await
            .unwrap();
        counts.push((table.to_string(), n));
    }
    counts
}

async fn postgres_counts(pool: &PgPool) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in infra_dojo::store::transfer::TABLES {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(pool)
            .await
            .unwrap();
        counts.push((table.to_string(), n));
    }
    counts
}

#[tokio::test]
async fn migrate_moves_a_school_s_history_into_postgres_verified_by_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let db_text = db.to_str().unwrap();
    let out = infra_dojo(&[
        "demo-seed",
        "--db",
        db_text,
        "--learners",
        "12",
        "--attempts",
        "4",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A learner whose name needs COPY's escapes, and a server secret (bytes).
    let sqlite = infra_dojo::db::open(&db).await.unwrap();
    sqlx::query(
        "insert into app_user (name, display_name, role, created_at)
         values ('tab\tnew\nline\\back', '表示\t名', 'learner', 1)",
    )
    .execute(&sqlite)
    .await
    .unwrap();
    sqlx::query("insert into server_secret (name, value, created_at) values ('k', x'00ff5c0a', 2)")
        .execute(&sqlite)
        .await
        .unwrap();
    let before = sqlite_counts(&sqlite).await;
    assert!(
        before.iter().filter(|(_, n)| *n > 0).count() >= 12,
        "{before:?}"
    );

    let url = fresh_database().await;
    let out = infra_dojo(&[
        "migrate",
        "--from",
        &format!("sqlite:{db_text}"),
        "--to",
        &url,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("行数が一致しました"), "{stdout}");

    let postgres = infra_dojo::db::open_postgres(&url).await.unwrap();
    assert_eq!(postgres_counts(&postgres).await, before);
    // The rows themselves, not only their number: every attempt and every answer, and the odd texts.
    let attempts_sqlite: Vec<(i64, String, i64, String, i64, i64, i64)> = sqlx::query_as(
        "select attempt_id, token, user_id, topic, seed, correct_count, created_at from attempt order by attempt_id",
    )
    .fetch_all(&sqlite)
    .await
    .unwrap();
    let attempts_postgres: Vec<(i64, String, i64, String, i64, i64, i64)> = sqlx::query_as(
        "select attempt_id, token, user_id, topic, seed, correct_count, created_at from attempt order by attempt_id",
    )
    .fetch_all(&postgres)
    .await
    .unwrap();
    assert_eq!(attempts_sqlite, attempts_postgres);
    let answers = "select answer_id, question_id, response, correct, misconception, credit from answer order by answer_id";
    let answers_sqlite: Vec<(i64, String, String, i64, Option<String>, i64)> =
        sqlx::query_as(answers).fetch_all(&sqlite).await.unwrap();
    let answers_postgres: Vec<(i64, String, String, i64, Option<String>, i64)> =
        sqlx::query_as(answers).fetch_all(&postgres).await.unwrap();
    assert_eq!(answers_sqlite, answers_postgres);
    let progress = "select user_id, question_id, stability, difficulty from question_progress order by user_id, question_id";
    let progress_sqlite: Vec<(i64, String, f64, f64)> =
        sqlx::query_as(progress).fetch_all(&sqlite).await.unwrap();
    let progress_postgres: Vec<(i64, String, f64, f64)> =
        sqlx::query_as(progress).fetch_all(&postgres).await.unwrap();
    assert_eq!(progress_sqlite, progress_postgres);
    let odd: (String, String) =
        sqlx::query_as("select name, display_name from app_user where name like 'tab%'")
            .fetch_one(&postgres)
            .await
            .unwrap();
    assert_eq!(odd, ("tab\tnew\nline\\back".into(), "表示\t名".into()));
    let secret: Vec<u8> = sqlx::query_scalar("select value from server_secret where name = 'k'")
        .fetch_one(&postgres)
        .await
        .unwrap();
    assert_eq!(secret, vec![0x00, 0xff, 0x5c, 0x0a]);

    // Rows made after the move take new ids, not copied ones.
    let max: i64 = sqlx::query_scalar("select max(user_id) from app_user")
        .fetch_one(&postgres)
        .await
        .unwrap();
    let new: i64 = sqlx::query_scalar(
        "insert into app_user (name, role, created_at) values ('after', 'learner', 3) returning user_id",
    )
    .fetch_one(&postgres)
    .await
    .unwrap();
    assert!(new > max, "{new} <= {max}");
}

#[tokio::test]
async fn migrate_into_a_database_with_data_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let db_text = db.to_str().unwrap();
    let out = infra_dojo(&[
        "demo-seed",
        "--db",
        db_text,
        "--learners",
        "3",
        "--attempts",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let url = fresh_database().await;
    let from = format!("sqlite:{db_text}");
    assert!(
        infra_dojo(&["migrate", "--from", &from, "--to", &url])
            .status
            .success()
    );
    let postgres = infra_dojo::db::open_postgres(&url).await.unwrap();
    let once = postgres_counts(&postgres).await;

    let again = infra_dojo(&["migrate", "--from", &from, "--to", &url]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("すでにデータがあります"),
        "{}",
        stderr(&again)
    );
    assert_eq!(postgres_counts(&postgres).await, once);
}

#[tokio::test]
async fn a_failed_copy_leaves_the_target_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let out = infra_dojo(&[
        "demo-seed",
        "--db",
        db.to_str().unwrap(),
        "--learners",
        "3",
        "--attempts",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A text PostgreSQL cannot hold (NUL), in a table copied after several others.
    let sqlite = infra_dojo::db::open(&db).await.unwrap();
    sqlx::query("update answer set response = 'a' || char(0) || 'b' where answer_id = (select min(answer_id) from answer)")
        .execute(&sqlite)
        .await
        .unwrap();
    let url = fresh_database().await;
    let out = infra_dojo(&[
        "migrate",
        "--from",
        &format!("sqlite:{}", db.display()),
        "--to",
        &url,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("表 answer の列 response"),
        "{}",
        stderr(&out)
    );
    let postgres = infra_dojo::db::open_postgres(&url).await.unwrap();
    let counts = postgres_counts(&postgres).await;
    assert!(counts.iter().all(|(_, n)| *n == 0), "{counts:?}");
}

#[test]
fn migrate_explains_bad_addresses_in_japanese_without_printing_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    std::fs::write(&db, b"").unwrap();
    let from = format!("sqlite:{}", db.display());
    let missing = format!("sqlite:{}", dir.path().join("missing.db").display());
    for (args, words) in [
        (
            vec!["--from", db.to_str().unwrap(), "--to", "postgres://u@h/d"],
            "sqlite:PATH の形で",
        ),
        (
            vec!["--from", &missing, "--to", "postgres://u@h/d"],
            "がありません",
        ),
        (
            vec!["--from", &from, "--to", "mysql://u:s3cret@localhost/d"],
            "PostgreSQL の URL で",
        ),
        (
            vec!["--from", &from, "--to", "postgres://u:s3cret@127.0.0.1:1/d"],
            "接続できません",
        ),
    ] {
        let mut all = vec!["migrate"];
        all.extend(&args);
        let out = infra_dojo(&all);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(words), "{args:?}: {err}");
        assert!(!err.contains("s3cret"), "the password was printed: {err}");
    }
    assert!(
        !dir.path().join("missing.db").exists(),
        "a missing source was created"
    );
}

/// Runs `sql` (portable, `$1`… placeholders) on either backend and returns the first column of its
/// first row: the rows the ported functions read, made the same way on both.
async fn insert(db: &infra_dojo::db::Db, sql: &str, args: &[&str]) -> i64 {
    infra_dojo::on!(db, pool => {
        let mut query = sqlx::query_scalar(sql);
        for arg in args {
            query = query.bind(*arg);
        }
        query.fetch_one(pool).await.unwrap()
    })
}

/// Every ported store function, called in one story; what each returned, in order.
async fn story(db: &infra_dojo::db::Db) -> Vec<String> {
    use futures_util::TryStreamExt;
    use infra_dojo::store::{account, analysis, classes, learning, secrets, throttle, users};
    let mut seen = Vec::new();
    let mut see = |what: &str, value: String| seen.push(format!("{what}: {value}"));

    let guest = users::create_guest(db, 100).await.unwrap();
    see(
        "guest",
        format!("{:?}", users::by_id(db, guest).await.unwrap()),
    );
    see(
        "exists",
        format!("{:?}", users::exists(db, guest).await.unwrap()),
    );
    see(
        "exists 999",
        format!("{:?}", users::exists(db, 999).await.unwrap()),
    );
    let upgraded = users::upgrade_guest(db, guest, "mio", "ミオ", "hash").await;
    see("upgrade", format!("{upgraded:?}"));
    let again = users::upgrade_guest(db, guest, "mio2", "ミオ", "hash").await;
    see("upgrade again", format!("{again:?}"));
    see(
        "by name",
        format!("{:?}", users::by_name(db, "mio").await.unwrap()),
    );

    let teacher = insert(
        db,
        "insert into app_user (name, display_name, password_hash, role, created_at)
         values ('t', '先生', 'h', 'instructor', 1) returning user_id",
        &[],
    )
    .await;
    let class = insert(
        db,
        "insert into class (owner_id, name, join_code, created_at)
         values (cast($1 as bigint), 'A組', 'CODEA', 5) returning class_id",
        &[&teacher.to_string()],
    )
    .await;
    let other = insert(
        db,
        "insert into class (owner_id, name, join_code, created_at)
         values (cast($1 as bigint), 'B組', 'CODEB', 6) returning class_id",
        &[&teacher.to_string()],
    )
    .await;
    insert(
        db,
        "insert into class_member (class_id, user_id, joined_at)
         values (cast($1 as bigint), cast($2 as bigint), 10) returning user_id",
        &[&class.to_string(), &guest.to_string()],
    )
    .await;
    see(
        "class",
        format!("{:?}", classes::by_id(db, class).await.unwrap()),
    );
    see(
        "by code",
        format!("{:?}", classes::by_code(db, "CODEA").await.unwrap()),
    );
    see(
        "owned",
        format!("{:?}", classes::owned_by(db, teacher).await.unwrap()),
    );
    see(
        "joined",
        format!("{:?}", classes::joined_by(db, guest).await.unwrap()),
    );
    classes::rename(db, class, "C組").await.unwrap();
    classes::set_code(db, class, "NEWCODE").await.unwrap();
    see(
        "old code",
        format!("{:?}", classes::by_code(db, "CODEA").await.unwrap()),
    );
    classes::archive(db, class, 20).await.unwrap();
    see(
        "archived code",
        format!("{:?}", classes::by_code(db, "NEWCODE").await.unwrap()),
    );
    see(
        "archived list",
        format!(
            "{:?}",
            classes::owned_with_counts(db, teacher).await.unwrap()
        ),
    );
    classes::restore(db, class).await.unwrap();
    see(
        "restored",
        format!("{:?}", classes::by_code(db, "NEWCODE").await.unwrap()),
    );
    see(
        "members",
        format!("{:?}", classes::members(db, class).await.unwrap()),
    );
    see(
        "member",
        format!("{:?}", classes::member(db, class, guest).await.unwrap()),
    );
    see(
        "is member",
        format!("{:?}", classes::is_member(db, class, guest).await.unwrap()),
    );
    see(
        "not member",
        format!("{:?}", classes::is_member(db, other, guest).await.unwrap()),
    );
    see(
        "named",
        format!(
            "{:?}",
            classes::owned_named(db, teacher, "C組").await.unwrap()
        ),
    );

    let first = secrets::get_or_create(db, "k", &[0, 1, 0xff], 1)
        .await
        .unwrap();
    let second = secrets::get_or_create(db, "k", &[9, 9], 2).await.unwrap();
    see("secret", format!("{first:?} {second:?}"));

    let checked = learning::check_answer(db, "tok", "q1", "\"a\"", 1000)
        .await
        .unwrap();
    let kept = learning::check_answer(db, "tok", "q1", "\"b\"", 1001)
        .await
        .unwrap();
    see(
        "checks",
        format!(
            "{checked:?} {kept:?} {:?}",
            learning::checks(db, "tok").await.unwrap()
        ),
    );
    learning::forget_checks(db, "tok").await.unwrap();
    see(
        "forgotten",
        format!("{:?}", learning::checks(db, "tok").await.unwrap()),
    );
    see(
        "stored?",
        format!("{:?}", learning::attempt_stored(db, "tok").await.unwrap()),
    );
    insert(
        db,
        "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at)
         values ('tok', cast($1 as bigint), 'tcp', 7, 2, 1, 500, 1100) returning attempt_id",
        &[&guest.to_string()],
    )
    .await;
    see(
        "stored",
        format!("{:?}", learning::attempt_stored(db, "tok").await.unwrap()),
    );
    for (question, due, right) in [
        ("q1", "2000", "1"),
        ("q2", "3000", "0"),
        ("q3", "9000", "1"),
    ] {
        insert(
            db,
            "insert into question_progress (user_id, question_id, topic, box, due_at, seen, correct,
                                            last_correct, last_at, stability, difficulty)
             values (cast($1 as bigint), $2, 'tcp', 2, cast($3 as bigint), 1, 1, cast($4 as bigint), 1100, 2.5, 5.25)
             returning user_id",
            &[&guest.to_string(), question, due, right],
        )
        .await;
    }
    see(
        "due",
        format!("{:?}", learning::due_by(db, guest, 3000).await.unwrap()),
    );
    see(
        "due times",
        format!(
            "{:?}",
            learning::due_times(db, guest, 2000, 9000).await.unwrap()
        ),
    );
    see(
        "class states",
        format!("{:?}", learning::class_states(db, class).await.unwrap()),
    );

    insert(
        db,
        "insert into answer (attempt_id, question_id, position, response, correct, misconception, time_ms, credit)
         values (1, 'q1', 0, '\"a\"', 1, null, 900, 100) returning answer_id",
        &[],
    )
    .await;
    see(
        "export",
        format!("{:?}", account::export(db, guest).await.unwrap()),
    );
    see(
        "export of none",
        format!("{:?}", account::export(db, 999).await.unwrap()),
    );
    insert(
        db,
        "insert into answer (attempt_id, question_id, position, response, correct, misconception, time_ms, credit)
         values (1, 'q2', 1, '[1,2]', 0, 'order', 700, 0) returning answer_id",
        &[],
    )
    .await;
    insert(
        db,
        "update question_progress set box = 4 where question_id = 'q3' returning box",
        &[],
    )
    .await;
    for (step, right) in [("0", "1"), ("0", "0"), ("1", "1")] {
        insert(
            db,
            "insert into widget_answer (user_id, widget, scenario, step, field, answer, correct, created_at)
             values (cast($1 as bigint), 'handshake', 'normal', cast($2 as bigint), 'flags', 'SYN', cast($3 as bigint), 1200)
             returning widget_answer_id",
            &[&guest.to_string(), step, right],
        )
        .await;
    }
    let answers: Vec<_> = analysis::topic_answers(db, class, "tcp")
        .try_collect()
        .await
        .unwrap();
    see("topic answers", format!("{answers:?}"));
    see(
        "member count",
        format!("{:?}", analysis::member_count(db, class).await.unwrap()),
    );
    let widgets = ["handshake".to_string(), "forktree".to_string()];
    see(
        "widget steps",
        format!(
            "{:?}",
            analysis::widget_steps(db, class, &widgets).await.unwrap()
        ),
    );
    let grid: Vec<_> = analysis::grid(db, class).try_collect().await.unwrap();
    see("grid", format!("{grid:?}"));
    let export: Vec<_> = analysis::answers(db, class).try_collect().await.unwrap();
    see("csv answers", format!("{export:?}"));

    for (id, data) in [("s1", r#"{"user_id":1}"#), ("s2", r#"{"guest":true}"#)] {
        insert(
            db,
            "insert into tower_sessions (id, data, expiry_date) values ($1, $2, current_timestamp) returning cast(1 as bigint)",
            &[id, data],
        )
        .await;
    }
    let with_user = account::session_ids_with_key(db, "user_id").await.unwrap();
    account::delete_sessions(db, &with_user).await.unwrap();
    let left = account::session_ids_with_key(db, "guest").await.unwrap();
    see("sessions", format!("{with_user:?} {left:?}"));

    let lanes = [("login", "192.0.2.1 mio"), ("login-name", "mio")];
    let before = throttle::update(db, &lanes, |rows| {
        let put = throttle::Write::Put(throttle::LaneRow {
            failures: 1,
            last_at: 50,
        });
        (rows.to_vec(), vec![put, put])
    })
    .await
    .unwrap();
    let after = throttle::update(db, &lanes, |rows| (rows.to_vec(), vec![]))
        .await
        .unwrap();
    see("lanes", format!("{before:?} {after:?}"));
    see(
        "swept",
        format!("{:?}", throttle::sweep(db, "login-name", 60).await.unwrap()),
    );
    throttle::forget(db, &[], "", &["login"], "mio")
        .await
        .unwrap();
    let gone = throttle::update(db, &lanes, |rows| (rows.to_vec(), vec![]))
        .await
        .unwrap();
    see("forgotten lanes", format!("{gone:?}"));
    seen
}

#[tokio::test]
async fn the_ported_store_functions_do_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = infra_dojo::db::Db::Sqlite(sqlite_schema_db(dir.path()).await);
    let postgres = infra_dojo::db::Db::Postgres(
        infra_dojo::db::open_postgres(&fresh_database().await)
            .await
            .unwrap(),
    );
    let on_sqlite = story(&sqlite).await;
    let on_postgres = story(&postgres).await;
    for (a, b) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(a, b, "SQLite and PostgreSQL differ");
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
    // The story means something: spot checks of what it saw.
    let said = |what: &str| {
        on_sqlite
            .iter()
            .find(|l| l.starts_with(&format!("{what}: ")))
            .unwrap()
            .clone()
    };
    assert_eq!(said("exists"), "exists: true");
    assert_eq!(said("upgrade"), "upgrade: Ok(true)");
    assert_eq!(said("upgrade again"), "upgrade again: Ok(false)");
    assert_eq!(said("secret"), "secret: [0, 1, 255] [0, 1, 255]");
    assert!(
        said("checks").starts_with("checks: (\"\\\"a\\\"\", true) (\"\\\"a\\\"\", false)"),
        "{}",
        said("checks")
    );
    assert_eq!(said("stored"), "stored: true");
    assert!(
        said("due").contains("q1") && said("due").contains("q2") && !said("due").contains("q3")
    );
    assert!(
        said("lanes").contains("Some(LaneRow { failures: 1, last_at: 50 })"),
        "{}",
        said("lanes")
    );
    assert_eq!(said("swept"), "swept: 1");
    assert_eq!(said("forgotten lanes"), "forgotten lanes: [None, None]");
    assert_eq!(said("old code"), "old code: None");
    assert_eq!(said("archived code"), "archived code: None");
    assert!(said("restored").contains("NEWCODE"));
    assert_eq!(said("not member"), "not member: false");
    assert!(
        said("export").contains("correct: true") && said("export").contains("C組"),
        "{}",
        said("export")
    );
    assert_eq!(said("export of none"), "export of none: None");
    assert_eq!(said("sessions"), r#"sessions: ["s1"] ["s2"]"#);
    assert!(
        said("topic answers").contains("order"),
        "{}",
        said("topic answers")
    );
    assert_eq!(said("member count"), "member count: 1");
    assert!(
        said("widget steps").contains("attempts: 2, correct: 1"),
        "{}",
        said("widget steps")
    );
    assert!(said("grid").contains(r#""tcp": 1"#), "{}", said("grid"));
    assert!(
        said("csv answers").contains("q2"),
        "{}",
        said("csv answers")
    );
}
