//! PostgreSQL, pg-rest's part of the port: the session store (a session made through one instance is read
//! by another on the same database; expired ones deleted), `/me`'s summary and the sidebar's mastery, the
//! write probe behind `/healthz`, accounts (`user add`, guests merged, deletion) and classes — each run on
//! both backends with the same rows and compared. Needs a PostgreSQL cluster: run through
//! `scripts/with-postgres cargo test --test postgres_rest` (it sets `INFRA_DOJO_TEST_POSTGRES`).

use infra_dojo::db::Db;
use infra_dojo::storage::{Problem, Storage};
use infra_dojo::store::{self, account, classes, me, users};
use infra_dojo::web::session_store::{self, ACCOUNT_EXISTS, Store, TOPIC_MASTERY};
use sqlx::{Connection, Executor};
use std::process::{Command, Output, Stdio};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

#[path = "common/backend.rs"]
mod backend;

use backend::{cluster, fresh_postgres_database as fresh_database};

/// Runs `sql` as the cluster's admin.
async fn admin(sql: &str) {
    let mut conn = sqlx::PgConnection::connect(&cluster()).await.unwrap();
    conn.execute(sql).await.unwrap();
    conn.close().await.unwrap();
}

/// A SQLite database as `serve` makes it (with the session table of the crate's store).
async fn sqlite(dir: &std::path::Path) -> Db {
    let pool = infra_dojo::db::open(&dir.join("rest.db")).await.unwrap();
    tower_sessions_sqlx_store::SqliteStore::new(pool.clone())
        .migrate()
        .await
        .unwrap();
    Db::Sqlite(pool)
}

async fn postgres(url: &str) -> Db {
    Db::Postgres(infra_dojo::db::open_postgres(url).await.unwrap())
}

/// Runs `sql` (literal values, the same text on both backends).
async fn exec(db: &Db, sql: &str) {
    infra_dojo::on!(db, pool => { sqlx::query(sql).execute(pool).await.unwrap(); });
}

async fn count(db: &Db, sql: &str) -> i64 {
    infra_dojo::on!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap())
}

fn record(data: serde_json::Value, expiry: OffsetDateTime) -> Record {
    Record {
        id: Id::default(),
        data: serde_json::from_value(data).unwrap(),
        expiry_date: expiry,
    }
}

/// Accounts, progress, classes and sessions, through the ported functions; what each returned, in order.
async fn story(db: &Db) -> Vec<String> {
    let mut seen = Vec::new();
    let mut see = |what: &str, value: String| seen.push(format!("{what}: {value}"));
    let learner = users::create(
        db,
        "mio",
        "ミオ",
        "hash",
        infra_dojo::auth::Role::Learner,
        10,
    )
    .await
    .unwrap();
    let taken = users::create(
        db,
        "mio",
        "別人",
        "hash",
        infra_dojo::auth::Role::Learner,
        11,
    )
    .await;
    see(
        "taken name",
        format!("{:?}", taken.as_ref().map_err(store::is_unique_violation)),
    );
    let teacher = users::create(
        db,
        "sensei",
        "先生",
        "hash",
        infra_dojo::auth::Role::Instructor,
        12,
    )
    .await
    .unwrap();
    let class_b = classes::create(db, teacher, "B組", "CODEB", 20)
        .await
        .unwrap();
    let class_a = classes::create(db, teacher, "A組", "CODEA", 21)
        .await
        .unwrap();
    let code_taken = classes::create(db, teacher, "C組", "CODEA", 22).await;
    see(
        "code taken",
        format!(
            "{:?}",
            code_taken.map_err(|e| store::is_unique_violation(&e))
        ),
    );
    // A guest's answers, merged into the account: progress adds up, the later state wins.
    let guest = users::create_guest(db, 50).await.unwrap();
    for (user, token, topic, created, credit) in [
        (learner, "t1", "tcp", 100, 200),
        (learner, "t2", "tcp", 300, 300),
        (guest, "t3", "ftp", 200, 100),
        (learner, "t4", "tcp", 400, 100),
    ] {
        exec(
            db,
            &format!(
                "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at, credit, kind)
                 values ('{token}', {user}, '{topic}', 7, 3, 1, 900, {created}, {credit}, 'quiz')"
            ),
        )
        .await;
    }
    exec(
        db,
        &format!(
            "insert into question_progress (user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at, stability, difficulty) values
             ({learner}, 'tcp-1', 'tcp', 3, 500, 2, 2, 1, 300, 4.5, 5.0),
             ({learner}, 'tcp-2', 'tcp', 1, 5000, 1, 0, 0, 300, 1.0, 6.0),
             ({guest}, 'tcp-2', 'tcp', 4, 600, 3, 3, 1, 350, 9.5, 4.0),
             ({guest}, 'ftp-1', 'ftp', 2, 700, 1, 1, 1, 200, 2.0, 5.5)"
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "insert into widget_answer (user_id, widget, scenario, step, field, answer, correct, created_at)
             values ({guest}, 'handshake', 'normal', 0, 'seq', '100', 1, 210)"
        ),
    )
    .await;
    users::merge_guest(db, guest, learner).await.unwrap();
    // Memberships written directly, after the merge (which would otherwise move them in the class
    // aggregates: that story is the next test's).
    exec(
        db,
        &format!(
            "insert into class_member (class_id, user_id, joined_at) values ({class_a}, {learner}, 30), ({class_b}, {learner}, 31)"
        ),
    )
    .await;
    exec(
        db,
        &format!("update class set archived_at = 40 where class_id = {class_b}"),
    )
    .await;

    see(
        "guest gone",
        format!("{:?}", users::by_id(db, guest).await.unwrap().is_none()),
    );
    let export = account::export(db, learner).await.unwrap().unwrap();
    see("merged reviews", format!("{:?}", export.reviews));
    see("merged attempts", format!("{}", export.attempts.len()));
    see(
        "merged widget answers",
        format!("{}", export.widget_answers.len()),
    );

    see(
        "summary",
        format!("{:?}", me::summary(db, learner, 3, 600).await.unwrap()),
    );
    see(
        "summary of a newcomer",
        format!("{:?}", me::summary(db, teacher, 3, 600).await.unwrap()),
    );
    let mut mastery = me::topic_mastery(db, learner).await.unwrap();
    mastery.sort_by(|a, b| a.topic.cmp(&b.topic));
    see("mastery", format!("{mastery:?}"));

    // Deleting an account without classes (with classes: the next test).
    let other = users::create(
        db,
        "sora",
        "ソラ",
        "hash",
        infra_dojo::auth::Role::Learner,
        60,
    )
    .await
    .unwrap();
    exec(
        db,
        &format!(
            "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at)
             values ('t9', {other}, 'tcp', 1, 1, 1, 1, 70)"
        ),
    )
    .await;
    account::delete_account(db, other).await.unwrap();
    see(
        "deleted",
        format!(
            "{:?} {}",
            users::by_id(db, other).await.unwrap().map(|u| u.user_id),
            count(
                db,
                &format!("select count(*) from attempt where user_id = {other}")
            )
            .await
        ),
    );
    seen
}

#[tokio::test]
async fn accounts_progress_and_classes_read_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let on_sqlite = story(&sqlite(dir.path()).await).await;
    let on_postgres = story(&postgres(&fresh_database().await).await).await;
    for (a, b) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(a, b, "SQLite and PostgreSQL differ");
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
    let said = |what: &str| {
        on_sqlite
            .iter()
            .find(|l| l.starts_with(&format!("{what}: ")))
            .unwrap()
            .clone()
    };
    assert_eq!(said("taken name"), "taken name: Err(true)");
    assert_eq!(said("code taken"), "code taken: Err(true)");
    assert_eq!(said("guest gone"), "guest gone: true");
    // tcp-2: seen 1 + 3, right 0 + 3, the guest's later state (box 4, due 600); ftp-1 moved over.
    let reviews = said("merged reviews");
    assert!(
        reviews.contains(r#"question_id: "tcp-2", topic: "tcp", box_number: 4, due_at: 600, seen: 4, correct: 3, last_correct: true, last_at: 350, stability: 9.5"#),
        "{reviews}"
    );
    assert!(reviews.contains(r#"question_id: "ftp-1""#), "{reviews}");
    assert_eq!(said("merged attempts"), "merged attempts: 4");
    assert_eq!(said("merged widget answers"), "merged widget answers: 1");
    // Three latest attempts, newest first; tcp-1 and tcp-2 mastered (box ≥ 3), due: tcp-1 (500) and
    // tcp-2 (600); the active class first.
    let summary = said("summary");
    assert!(summary.contains("due: 2"), "{summary}");
    assert!(
        summary.contains(r#"topic: "tcp", seen: 2, mastered: 2, attempts: 3, best: Some(100), latest: Some(33), last_at: Some(400)"#),
        "{summary}"
    );
    let a = summary.find(r#"name: "A組""#).unwrap();
    let b = summary.find(r#"name: "B組""#).unwrap();
    assert!(a < b, "{summary}");
    assert_eq!(
        said("summary of a newcomer"),
        "summary of a newcomer: MeSummary { stats: [], history: [], due: 0, classes: [] }"
    );
    assert!(
        said("mastery").contains(r#"TopicMastery { topic: "ftp", seen: 1, mastered: 0 }, TopicMastery { topic: "tcp", seen: 2, mastered: 2 }"#),
        "{}",
        said("mastery")
    );
    assert_eq!(said("deleted"), "deleted: None 0");
}

/// Two instances on one PostgreSQL database: a session saved through one is loaded by the other, with
/// the account check and the learner's mastery; deleted through one, gone for both.
#[tokio::test]
async fn a_session_made_through_one_instance_is_read_by_another() {
    let url = fresh_database().await;
    let (one, two) = (postgres(&url).await, postgres(&url).await);
    let learner = users::create(&one, "aki", "アキ", "h", infra_dojo::auth::Role::Learner, 1)
        .await
        .unwrap();
    exec(
        &one,
        &format!(
            "insert into question_progress (user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at)
             values ({learner}, 'q1', 'tcp', 3, 9, 2, 2, 1, 5), ({learner}, 'q2', 'tcp', 1, 9, 1, 0, 0, 5)"
        ),
    )
    .await;
    let (first, second) = (
        Store::new(one.clone(), "user_id"),
        Store::new(two, "user_id"),
    );
    let expiry = OffsetDateTime::now_utc() + time::Duration::days(14);
    let mut made = record(
        serde_json::json!({"user_id": learner, "csrf": "tok", "nested": {"a": [1, "二"]}}),
        expiry,
    );
    first.create(&mut made).await.unwrap();

    let loaded = second
        .load(&made.id)
        .await
        .unwrap()
        .expect("the other instance reads it");
    assert_eq!(loaded.data["csrf"], "tok");
    assert_eq!(loaded.data["nested"], serde_json::json!({"a": [1, "二"]}));
    assert_eq!(loaded.data[ACCOUNT_EXISTS], true);
    assert!(!loaded.data.contains_key(TOPIC_MASTERY));
    // timestamptz keeps microseconds.
    assert_eq!(
        loaded.expiry_date.unix_timestamp_nanos() / 1000,
        expiry.unix_timestamp_nanos() / 1000
    );
    let with_mastery = session_store::with_topic_mastery(second.load(&made.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        with_mastery.data[TOPIC_MASTERY],
        serde_json::json!([{"topic": "tcp", "seen": 2, "mastered": 1}])
    );

    // Saved back through the second: the load's keys are not stored, the change is seen by the first.
    let mut changed = with_mastery.clone();
    changed.data.insert("csrf".into(), "new".into());
    second.save(&changed).await.unwrap();
    let stored: String = infra_dojo::on!(&one, pool => {
        sqlx::query_scalar("select data from tower_sessions where id = $1")
            .bind(made.id.to_string())
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert!(
        !stored.contains(ACCOUNT_EXISTS) && !stored.contains(TOPIC_MASTERY),
        "{stored}"
    );
    assert_eq!(
        first.load(&made.id).await.unwrap().unwrap().data["csrf"],
        "new"
    );

    // The account deleted: the session says so; an id that is no number names no one.
    account::delete_account(&one, learner).await.unwrap();
    assert_eq!(
        first.load(&made.id).await.unwrap().unwrap().data[ACCOUNT_EXISTS],
        false
    );
    let mut odd = record(serde_json::json!({"user_id": "12"}), expiry);
    first.create(&mut odd).await.unwrap();
    let odd = second.load(&odd.id).await.unwrap().unwrap();
    assert!(!odd.data.contains_key(ACCOUNT_EXISTS), "{:?}", odd.data);

    second.delete(&made.id).await.unwrap();
    assert!(first.load(&made.id).await.unwrap().is_none());
}

/// Expired sessions: never loaded, and deleted by `delete_expired` on both backends, live ones kept.
#[tokio::test]
async fn expired_sessions_are_not_loaded_and_are_deleted_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in [
        sqlite(dir.path()).await,
        postgres(&fresh_database().await).await,
    ] {
        let sessions = Store::new(db.clone(), "user_id");
        let now = OffsetDateTime::now_utc();
        let mut live = record(serde_json::json!({"k": 1}), now + time::Duration::hours(1));
        let mut expired = record(
            serde_json::json!({"k": 2}),
            now - time::Duration::seconds(5),
        );
        sessions.create(&mut live).await.unwrap();
        sessions.create(&mut expired).await.unwrap();
        assert!(
            sessions.load(&expired.id).await.unwrap().is_none(),
            "{db:?}"
        );
        assert_eq!(count(&db, "select count(*) from tower_sessions").await, 2);
        sessions.delete_expired().await.unwrap();
        assert_eq!(count(&db, "select count(*) from tower_sessions").await, 1);
        assert_eq!(sessions.load(&live.id).await.unwrap().unwrap().data["k"], 1);
    }
}

/// `/healthz`'s check on PostgreSQL: a write transaction. A database that refuses writes is reported as
/// such (503 with its reason), and the probe leaves no row behind.
#[tokio::test]
async fn the_health_check_proves_postgresql_takes_writes() {
    let url = fresh_database().await;
    let db = postgres(&url).await;
    store::health::probe_write(&db).await.unwrap();
    assert_eq!(count(&db, "select count(*) from tower_sessions").await, 0);
    let storage = Storage::for_db(&db);
    assert_eq!(storage.check(&db).await, Ok(()));
    assert_eq!(storage.check_before_write(&db).await, Ok(()));

    // As on a standby: every transaction read-only.
    let name = url
        .split('?')
        .next()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .1
        .to_string();
    admin(&format!(
        "alter database {name} set default_transaction_read_only = on"
    ))
    .await;
    // A pool of its own (migrating would already fail: the schema is there).
    let read_only = Db::Postgres(sqlx::PgPool::connect(&url).await.unwrap());
    let e = store::health::probe_write(&read_only).await.unwrap_err();
    assert!(store::is_read_only(&e), "{e}");
    assert!(!store::is_disk_full(&e), "{e}");
    assert_eq!(storage.check(&read_only).await, Err(Problem::ReadOnly));
    assert!(Problem::ReadOnly.health_reason().contains("読み取り専用"));

    // A server that does not answer.
    let Db::Postgres(pool) = &read_only else {
        unreachable!()
    };
    pool.close().await;
    assert_eq!(storage.check(&read_only).await, Err(Problem::Unavailable));
}

fn infra_dojo(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra-dojo"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn user_add_creates_the_account_in_postgresql() {
    let url = fresh_database().await;
    let out = infra_dojo(
        &[
            "user",
            "add",
            "teacher1",
            "--instructor",
            "--display-name",
            "田中先生",
            "--db",
            &url,
        ],
        "a-long-password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = postgres(&url).await;
    let user = users::by_name(&db, "teacher1")
        .await
        .unwrap()
        .expect("created");
    assert!(user.is_instructor());
    assert_eq!(user.display_name, "田中先生");
    let hash = user.password_hash.unwrap();
    assert!(infra_dojo::auth::password::verify("a-long-password", &hash));

    // Again: the name is taken, said in Japanese; nothing added.
    let again = infra_dojo(
        &["user", "add", "teacher1", "--db", &url],
        "another-password\n",
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("すでに使われています"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(count(&db, "select count(*) from app_user").await, 1);
}

/// Joining, leaving, a guest merged into a member and a member's account deleted: the class's members and
/// aggregates the same on both backends.
#[tokio::test]
async fn classes_and_their_aggregates_change_the_same_on_both_backends() {
    async fn story(db: &Db) -> Vec<String> {
        let role = infra_dojo::auth::Role::Learner;
        let teacher = users::create(db, "t", "先生", "h", infra_dojo::auth::Role::Instructor, 1)
            .await
            .unwrap();
        let class = classes::create(db, teacher, "A組", "CODEA", 2)
            .await
            .unwrap();
        let (kim, lee) = (
            users::create(db, "kim", "キム", "h", role, 3)
                .await
                .unwrap(),
            users::create(db, "lee", "リー", "h", role, 3)
                .await
                .unwrap(),
        );
        exec(
            db,
            &format!(
                "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at)
                 values ('a1', {kim}, 'tcp', 1, 2, 1, 10, 100), ('a2', {lee}, 'tcp', 1, 2, 2, 10, 110)"
            ),
        )
        .await;
        classes::join(db, class, kim, 50).await.unwrap();
        classes::join(db, class, kim, 60).await.unwrap();
        classes::join(db, class, lee, 70).await.unwrap();
        let guest = users::create_guest(db, 80).await.unwrap();
        exec(
            db,
            &format!(
                "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at)
                 values ('a3', {guest}, 'ftp', 1, 1, 1, 10, 120)"
            ),
        )
        .await;
        users::merge_guest(db, guest, kim).await.unwrap();
        let mut seen = vec![
            format!("{:?}", classes::members(db, class).await.unwrap()),
            aggregates(db).await,
        ];
        classes::leave(db, class, lee).await.unwrap();
        seen.push(aggregates(db).await);
        account::delete_account(db, kim).await.unwrap();
        seen.push(format!("{:?}", classes::members(db, class).await.unwrap()));
        seen.push(aggregates(db).await);
        seen
    }
    async fn aggregates(db: &Db) -> String {
        let mut rows = Vec::new();
        for table in ["class_learner", "learner_topic", "class_stat"] {
            rows.push(format!(
                "{table} {}",
                count(db, &format!("select count(*) from {table}")).await
            ));
        }
        rows.join(", ")
    }
    let dir = tempfile::tempdir().unwrap();
    let on_sqlite = story(&sqlite(dir.path()).await).await;
    let on_postgres = story(&postgres(&fresh_database().await).await).await;
    assert_eq!(on_sqlite, on_postgres);
    assert!(
        on_sqlite[0].contains("キム") && on_sqlite[0].contains("リー"),
        "{on_sqlite:?}"
    );
    assert_eq!(on_sqlite[3], "[]");
}

/// `infra-dojo demo-seed --db postgres://…` makes the same demo as on SQLite, and a second run changes
/// nothing.
#[tokio::test]
async fn demo_seed_makes_the_same_demo_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.db");
    let url = fresh_database().await;
    let tables = [
        "app_user",
        "class",
        "class_member",
        "attempt",
        "answer",
        "question_progress",
        "widget_answer",
        "learner_topic",
    ];
    let mut counts = Vec::new();
    for db in [file.to_str().unwrap(), url.as_str()] {
        let out = infra_dojo(
            &[
                "demo-seed",
                "--learners",
                "12",
                "--attempts",
                "6",
                "--db",
                db,
            ],
            "",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let again = infra_dojo(
            &[
                "demo-seed",
                "--learners",
                "12",
                "--attempts",
                "6",
                "--db",
                db,
            ],
            "",
        );
        assert!(String::from_utf8_lossy(&again.stdout).contains("すでにあります"));
        let opened = Db::open(std::path::Path::new(db), true).await.unwrap();
        let mut these = Vec::new();
        for table in tables {
            these.push(count(&opened, &format!("select count(*) from {table}")).await);
        }
        counts.push(these);
    }
    assert_eq!(counts[0], counts[1], "{tables:?}");
    assert_eq!(counts[0][0], 13, "the teacher and 12 learners");
}
