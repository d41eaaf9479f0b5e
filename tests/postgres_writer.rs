//! The quiz write path and the class aggregates on PostgreSQL: the same attempts written through
//! `store::quiz::write_attempts` on SQLite and on PostgreSQL leave the same rows; several attempt writers
//! on one PostgreSQL database (one per instance) store a form sent through two of them once, and lose no
//! update when they race on one learner's questions. Needs a PostgreSQL cluster: run through
//! `scripts/with-postgres cargo test --test postgres_writer`.

#[path = "common/backend.rs"]
mod backend;

use infra_dojo::db::Db;
use infra_dojo::on;
use infra_dojo::store::aggregates;
use infra_dojo::store::quiz::{self, AttemptWriter, NewAnswer, NewAttempt, Recorded};

const DAY: i64 = 86_400;
const START: i64 = 1_750_000_000;
/// The class of the seeded learners 1 and 2 (learner 3 studies alone).
const CLASS: i64 = 1;

async fn postgres() -> Db {
    let url = backend::fresh_postgres_database().await;
    Db::Postgres(infra_dojo::db::open_postgres(&url).await.unwrap())
}

async fn sqlite(dir: &std::path::Path) -> Db {
    Db::Sqlite(infra_dojo::db::open(&dir.join("w.db")).await.unwrap())
}

async fn execute(db: &Db, sql: &str) {
    on!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ())).unwrap();
}

/// Learners 1–3 and instructor 9; class 1 with learners 1 and 2, joined through the aggregates
/// (`add_members`), as `store::classes::join` does.
async fn seed(db: &Db) {
    execute(
        db,
        "insert into app_user (user_id, name, display_name, role, created_at) values
           (1, 'aki', 'アキ', 'learner', 0), (2, 'ben', 'Ben', 'learner', 0),
           (3, 'chie', '', 'learner', 0), (9, 'sensei', '先生', 'instructor', 0)",
    )
    .await;
    execute(
        db,
        "insert into class (class_id, owner_id, name, join_code, created_at) values (1, 9, 'A', 'CODEA', 0)",
    )
    .await;
    execute(
        db,
        "insert into class_member (class_id, user_id, joined_at) values (1, 1, 0), (1, 2, 0)",
    )
    .await;
    let mut tx = db.begin().await.unwrap();
    aggregates::add_members(&mut tx, CLASS, &[1, 2], 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn answer(question: usize, option: usize, credit: i64, misconception: Option<&str>) -> NewAnswer {
    NewAnswer {
        question_id: format!("q{question}"),
        position: question as i64,
        response: format!(r#"{{"type":"choice","value":[{option}]}}"#),
        correct: credit == 100,
        credit,
        misconception: misconception.map(str::to_string),
        time_ms: 1000 + question as i64,
    }
}

fn attempt(
    token: &str,
    user_id: i64,
    topic: &str,
    now: i64,
    answers: Vec<NewAnswer>,
) -> NewAttempt {
    NewAttempt {
        token: token.to_string(),
        user_id,
        topic: topic.to_string(),
        seed: -7,
        duration_ms: 30_000,
        answers,
        now,
        review: false,
    }
}

/// A history with what the write path has to handle: members and a learner alone, a question answered
/// twice in one batch, partial credit, misconceptions, a review, a form sent twice (in one batch and
/// across batches), and an attempt older than one already counted (its topic made again from history).
fn batches() -> Vec<Vec<NewAttempt>> {
    let day = |d: i64| START + d * DAY;
    vec![
        vec![
            attempt(
                "t1",
                1,
                "tcp",
                day(0),
                vec![answer(0, 1, 100, None), answer(1, 2, 0, Some("syn"))],
            ),
            attempt(
                "t2",
                2,
                "tcp",
                day(0) + 5,
                vec![answer(0, 0, 0, Some("ack")), answer(1, 1, 50, None)],
            ),
            attempt("t3", 3, "tcp", day(0) + 9, vec![answer(0, 1, 100, None)]),
        ],
        vec![
            attempt(
                "t4",
                1,
                "tcp",
                day(2),
                vec![answer(0, 1, 100, None), answer(1, 1, 100, None)],
            ),
            attempt(
                "t5",
                1,
                "tcp",
                day(2) + 60,
                vec![answer(0, 1, 100, None), answer(2, 3, 0, Some("syn"))],
            ),
            // Sent again in the same batch, and by another learner: stored once, as learner 1's.
            attempt("t4", 2, "tcp", day(2) + 61, vec![answer(0, 1, 100, None)]),
            NewAttempt {
                review: true,
                ..attempt("r1", 2, "ftp", day(3), vec![answer(4, 0, 100, None)])
            },
        ],
        vec![
            // A token stored two batches ago.
            attempt("t1", 1, "tcp", day(9), vec![answer(0, 1, 100, None)]),
            attempt(
                "t6",
                2,
                "tcp",
                day(9),
                vec![
                    answer(0, 1, 100, None),
                    answer(1, 1, 100, None),
                    answer(2, 0, 0, None),
                ],
            ),
            attempt(
                "t7",
                1,
                "ftp",
                day(10),
                vec![answer(4, 2, 0, Some("port")), answer(5, 1, 100, None)],
            ),
        ],
        vec![
            // Older than learner 2's latest tcp attempt: the topic is replayed from the history.
            attempt("t8", 2, "tcp", day(1), vec![answer(2, 3, 0, Some("syn"))]),
            attempt(
                "t9",
                1,
                "tcp",
                day(30),
                vec![
                    answer(0, 1, 100, None),
                    answer(1, 1, 100, None),
                    answer(2, 1, 100, None),
                ],
            ),
        ],
    ]
}

/// Every row the write path and the aggregates keep, as text, sorted: attempts named by their token
/// (PostgreSQL's ids have gaps: an insert that does nothing on a conflict still draws one), reals rounded
/// to millionths (the two backends print and re-read them with different digits). `as_rebuilt`: only what a rebuild makes
/// again (learner rows of members, class sums not back to zero, no change counters).
async fn rows(db: &Db, as_rebuilt: bool) -> Vec<(String, Vec<String>)> {
    let members = "where user_id in (select user_id from class_member)";
    let tables: &[(&str, &str, &str)] = &[
        (
            "attempt",
            "token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at, credit, kind",
            "",
        ),
        (
            "answer",
            "@attempt_id, question_id, position, response, correct, misconception, time_ms, credit",
            "",
        ),
        (
            "question_progress",
            "user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at, ~stability, ~difficulty",
            "",
        ),
        (
            "topic_reset",
            "user_id, topic, @after_attempt_id, reset_at",
            "",
        ),
        (
            "widget_answer",
            "widget_answer_id, user_id, widget, scenario, step, field, answer, correct, created_at",
            "",
        ),
        (
            "learner_topic",
            "user_id, topic, attempts, last_at, @last_attempt_id, mastered, score, answered_first, right_first, extra",
            members,
        ),
        (
            "learner_question",
            "user_id, topic, question_id, answers, correct, first_correct, extra",
            members,
        ),
        ("learner_recent", "user_id, last_at, days", members),
        ("topic_question", "topic, question_id, bit", ""),
        (
            "class_learner",
            "class_id, user_id, sort_name, attempts, last_at, mastered, miss_day, miss_counts",
            "",
        ),
        (
            "class_stat",
            "class_id, kind, scope, key, n, m, learners",
            "where (n != 0 or m != 0 or learners != 0) and kind != 'version'",
        ),
        (
            "class_option_member",
            "class_id, scope, option, name, user_id",
            "",
        ),
        (
            "class_rank",
            "class_id, topic, score, user_id, answered_first, right_first",
            "",
        ),
    ];
    let mut out = Vec::new();
    for (table, columns, filter) in tables {
        let row: Vec<String> = columns
            .split(", ")
            .map(|c| {
                if let Some(real) = c.strip_prefix('~') {
                    format!("coalesce(cast(cast(round({real} * 1000000) as bigint) as text), '-')")
                } else if let Some(id) = c.strip_prefix('@') {
                    format!(
                        "coalesce((select x.token from attempt x where x.attempt_id = t.{id}), '-')"
                    )
                } else {
                    format!("coalesce(cast({c} as text), '-')")
                }
            })
            .collect();
        let filter = if as_rebuilt { filter } else { "" };
        let sql = format!("select {} from {table} t {filter}", row.join(" || '|' || "));
        let found: Vec<(String,)> =
            on!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await).unwrap();
        let mut found: Vec<String> = found.into_iter().map(|(r,)| r).collect();
        found.sort();
        out.push((table.to_string(), found));
    }
    out
}

/// Every aggregate made again from the history (`rebuild_all`) equals what the incremental updates left.
async fn same_after_rebuild(db: &Db) {
    let kept = rows(db, true).await;
    let mut tx = db.begin().await.unwrap();
    aggregates::rebuild_all(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    for ((table, a), (_, b)) in kept.iter().zip(&rows(db, true).await) {
        assert_eq!(a, b, "{table}: kept, then rebuilt");
    }
}

/// Writes every batch in a transaction of its own, as the attempt writer does; what each attempt did,
/// with the token of the attempt stored.
async fn write_all(db: &Db) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for batch in batches() {
        let attempts: Vec<&NewAttempt> = batch.iter().collect();
        let mut tx = db.begin().await.unwrap();
        let recorded = quiz::write_attempts(&mut tx, &attempts).await.unwrap();
        tx.commit().await.unwrap();
        let mut said = Vec::new();
        for r in recorded {
            said.push(match r {
                Recorded::New(id) => format!("new {}", token(db, id).await),
                Recorded::Duplicate {
                    attempt_id,
                    user_id,
                } => format!("sent before: {} of {user_id}", token(db, attempt_id).await),
            });
        }
        out.push(said);
    }
    out
}

async fn token(db: &Db, attempt_id: i64) -> String {
    let (token,): (String,) =
        on!(db, pool => sqlx::query_as("select token from attempt where attempt_id = $1")
        .bind(attempt_id)
        .fetch_one(pool)
        .await)
        .unwrap();
    token
}

/// What the learners did besides quizzes: widget predictions, a topic reset, an attempt after it.
async fn more(db: &Db) {
    for (user, correct, at) in [(1, true, 3), (2, false, 4), (2, true, 5), (3, true, 6)] {
        quiz::record_widget_answer(
            db,
            user,
            "handshake",
            "normal",
            1,
            "ack",
            "\"x\"",
            correct,
            START + at * DAY,
        )
        .await
        .unwrap();
    }
    quiz::reset_topic(db, 1, "ftp", START + 11 * DAY)
        .await
        .unwrap();
    let after = [answer(4, 0, 100, None), answer(5, 0, 0, None)];
    quiz::record_attempt(db, "t10", 1, "ftp", 3, 9_000, &after, START + 12 * DAY)
        .await
        .unwrap();
}

/// Everything the learner pages read about `user`, as text.
async fn read_back(db: &Db, user: i64) -> String {
    let now = START + 40 * DAY;
    let history = quiz::history(db, user, 100).await.unwrap();
    let listed: Vec<_> = history
        .iter()
        .map(|a| {
            let with_id = format!("{a:?}");
            with_id.replacen(&format!("attempt_id: {}", a.attempt_id), "", 1)
        })
        .collect();
    let mut stats = quiz::topic_stats(db, user).await.unwrap();
    stats.sort_by(|a, b| a.topic.cmp(&b.topic));
    let due: Vec<_> = quiz::due(db, user, now)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.question_id,
                d.topic,
                d.box_number,
                d.due_at,
                d.last_correct,
            )
        })
        .collect();
    let mut answers = Vec::new();
    for a in &history {
        assert_eq!(
            quiz::attempt(db, a.attempt_id).await.unwrap().as_ref(),
            Some(a)
        );
        for n in quiz::answers(db, a.attempt_id).await.unwrap() {
            answers.push((
                n.question_id,
                n.position,
                n.response,
                n.correct,
                n.misconception,
                n.time_ms,
                n.credit,
            ));
        }
    }
    format!(
        "{listed:?}\n{stats:?}\n{due:?}\n{}\n{answers:?}",
        quiz::due_count(db, user, now).await.unwrap()
    )
}

#[tokio::test]
async fn the_same_attempts_leave_the_same_rows_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let (lite, pg) = (sqlite(dir.path()).await, postgres().await);
    let mut recorded = Vec::new();
    for db in [&lite, &pg] {
        seed(db).await;
        recorded.push(write_all(db).await);
        more(db).await;
    }
    assert_eq!(recorded[0], recorded[1]);
    // The repeats are the first attempt with the token, whoever sent them.
    assert_eq!(recorded[1][0][0], "new t1");
    assert_eq!(recorded[1][1][2], "sent before: t4 of 1");
    assert_eq!(recorded[1][2][0], "sent before: t1 of 1");

    let (on_sqlite, on_postgres) = (rows(&lite, false).await, rows(&pg, false).await);
    for ((table, a), (_, b)) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(a, b, "{table}: SQLite, then PostgreSQL");
    }
    // Not trivially equal: every table the path writes has rows.
    for (table, found) in &on_postgres {
        assert!(!found.is_empty(), "{table} is empty");
    }
    for user in [1, 2, 3] {
        assert_eq!(
            read_back(&lite, user).await,
            read_back(&pg, user).await,
            "learner {user}"
        );
    }

    // What the incremental updates left is what the history gives, rebuilt (on both: a rebuild starts the
    // change counters again).
    same_after_rebuild(&lite).await;
    same_after_rebuild(&pg).await;
    // And a learner leaving takes their part of the class's sums away on both.
    for db in [&lite, &pg] {
        let mut tx = db.begin().await.unwrap();
        aggregates::add_members(&mut tx, CLASS, &[2], -1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        execute(db, "delete from class_member where user_id = 2").await;
    }
    assert_eq!(rows(&lite, false).await, rows(&pg, false).await);
}

/// The first start builds the aggregates from the history, once, on PostgreSQL too.
#[tokio::test]
async fn the_aggregates_are_built_from_the_history_once() {
    let pg = postgres().await;
    seed(&pg).await;
    write_all(&pg).await;
    let kept = rows(&pg, true).await;
    for table in [
        "learner_topic",
        "learner_question",
        "class_stat",
        "class_learner",
    ] {
        execute(&pg, &format!("delete from {table}")).await;
    }
    execute(&pg, "delete from aggregate_state").await;
    assert!(aggregates::rebuild_if_needed(&pg).await.unwrap());
    assert!(!aggregates::rebuild_if_needed(&pg).await.unwrap());
    assert_eq!(rows(&pg, true).await, kept);
}

async fn count(db: &Db, sql: &str) -> i64 {
    let (n,): (i64,) = on!(db, pool => sqlx::query_as(sql).fetch_one(pool).await).unwrap();
    n
}

#[tokio::test]
async fn a_form_sent_through_two_instances_is_stored_once() {
    let pg = postgres().await;
    seed(&pg).await;
    let one = AttemptWriter::start(infra_dojo::db::writer_for(&pg).await.unwrap()).unwrap();
    let two = AttemptWriter::start(infra_dojo::db::writer_for(&pg).await.unwrap()).unwrap();
    for i in 0..20 {
        let sent = attempt(
            &format!("twice-{i}"),
            1,
            "tcp",
            START + i,
            vec![answer(0, 1, 100, None), answer(1, 0, 0, None)],
        );
        let (a, b) = tokio::join!(one.record(sent.clone()), two.record(sent));
        let (a, b) = (a.unwrap(), b.unwrap());
        let stored = match (a, b) {
            (
                Recorded::New(id),
                Recorded::Duplicate {
                    attempt_id,
                    user_id: 1,
                },
            )
            | (
                Recorded::Duplicate {
                    attempt_id,
                    user_id: 1,
                },
                Recorded::New(id),
            ) => {
                assert_eq!(id, attempt_id);
                id
            }
            other => panic!("form {i}: {other:?}"),
        };
        let answers = format!("select count(*) from answer where attempt_id = {stored}");
        assert_eq!(count(&pg, &answers).await, 2);
    }
    assert_eq!(count(&pg, "select count(*) from attempt").await, 20);
    assert_eq!(count(&pg, "select count(*) from answer").await, 40);
    assert_eq!(
        count(&pg, "select sum(seen)::bigint from question_progress").await,
        40
    );
    assert_eq!(
        count(&pg, "select attempts from class_learner where user_id = 1").await,
        20
    );
    one.close().await;
    two.close().await;
}

#[tokio::test]
async fn two_writers_racing_on_one_learner_lose_no_update() {
    let pg = postgres().await;
    seed(&pg).await;
    let writers = [
        AttemptWriter::start(infra_dojo::db::writer_for(&pg).await.unwrap()).unwrap(),
        AttemptWriter::start(infra_dojo::db::writer_for(&pg).await.unwrap()).unwrap(),
    ];
    // Learner 1 (a member) answers the same three questions 60 times: two attempts at a time, one through
    // each writer, so that their transactions overlap.
    let sent = |i: i64| {
        attempt(
            &format!("race-{i}"),
            1,
            "tcp",
            START + i,
            vec![
                answer(0, 1, 100, None),
                answer(1, (i % 3) as usize, if i % 3 == 1 { 100 } else { 0 }, None),
                answer(2, 0, 0, Some("syn")),
            ],
        )
    };
    for i in (0..60i64).step_by(2) {
        let (a, b) = tokio::join!(writers[0].record(sent(i)), writers[1].record(sent(i + 1)));
        assert!(matches!(a.unwrap(), Recorded::New(_)));
        assert!(matches!(b.unwrap(), Recorded::New(_)));
    }
    assert_eq!(
        count(
            &pg,
            "select sum(seen)::bigint from question_progress where user_id = 1"
        )
        .await,
        180
    );
    assert_eq!(
        count(
            &pg,
            "select sum(correct)::bigint from question_progress where user_id = 1"
        )
        .await,
        80
    );
    // Counters computed from what was read (not added in SQL): they add up only if no batch read a state
    // another was about to change.
    assert_eq!(
        count(&pg, "select attempts from learner_topic where user_id = 1").await,
        60
    );
    assert_eq!(
        count(
            &pg,
            "select sum(answers)::bigint from learner_question where user_id = 1"
        )
        .await,
        180
    );
    assert_eq!(
        count(&pg, "select attempts from class_learner where user_id = 1").await,
        60
    );
    // And they are what the history gives.
    same_after_rebuild(&pg).await;
    for w in &writers {
        w.close().await;
    }
}

/// The server ends the writer's session (a restart, a failover): the next batch is written on a new
/// connection, not refused until the instance restarts.
#[tokio::test]
async fn a_writer_whose_connection_the_server_dropped_opens_another() {
    let pg = postgres().await;
    seed(&pg).await;
    let writer = AttemptWriter::start(infra_dojo::db::writer_for(&pg).await.unwrap()).unwrap();
    let one = |token: &str| attempt(token, 1, "tcp", START, vec![answer(0, 1, 100, None)]);
    assert!(matches!(
        writer.record(one("before")).await.unwrap(),
        Recorded::New(_)
    ));
    let Db::Postgres(pool) = &pg else {
        unreachable!()
    };
    let mut admin = pool.acquire().await.unwrap();
    let (ended,): (i64,) = sqlx::query_as(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()) t",
    )
    .fetch_one(&mut *admin)
    .await
    .unwrap();
    assert!(ended >= 1, "the writer's session was not found");
    drop(admin);
    assert!(matches!(
        writer.record(one("after")).await.unwrap(),
        Recorded::New(_)
    ));
    assert_eq!(count(&pg, "select count(*) from attempt").await, 2);
    writer.close().await;
}
