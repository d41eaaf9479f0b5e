//! Database tests on a fresh SQLite file: an attempt is stored whole or not at all, a reused form token
//! stores nothing, group commit keeps attempts independent, a batch written together equals the same
//! attempts one after another, progress boxes follow the schedule, and a guest merges into an account.

mod common;

use infra_dojo::store::quiz::{AttemptWriter, NewAnswer, NewAttempt, Recorded};
use infra_dojo::store::{self, users};

fn answers(correct: &[bool]) -> Vec<NewAnswer> {
    correct
        .iter()
        .enumerate()
        .map(|(i, &c)| NewAnswer {
            question_id: format!("tcp-q{i}"),
            position: i as i64,
            response: "{\"type\":\"blank\"}".into(),
            correct: c,
            credit: if c { 100 } else { 0 },
            misconception: (!c).then(|| "ack-equals-seq".to_string()),
            time_ms: 1000,
        })
        .collect()
}

async fn count(db: &infra_dojo::db::Db, sql: &str) -> i64 {
    infra_dojo::on!(db, pool => sqlx::query_as::<_, (i64,)>(sql).fetch_one(pool).await)
        .unwrap()
        .0
}

fn attempt(token: &str, user_id: i64, correct: &[bool]) -> NewAttempt {
    NewAttempt {
        token: token.into(),
        user_id,
        topic: "tcp".into(),
        seed: 1,
        duration_ms: 5000,
        answers: answers(correct),
        now: 1_000_000,
        review: false,
    }
}

#[tokio::test]
async fn an_attempt_is_stored_whole_and_a_reused_token_stores_nothing() {
    let app = common::app().await;
    let db = &app.state.db;
    let user = users::create_guest(&app.state.db, 1).await.unwrap();
    let first = store::quiz::record_attempt(
        &app.state.db,
        &"a".repeat(32),
        user,
        "tcp",
        1,
        10,
        &answers(&[true, false, true]),
        100,
    )
    .await
    .unwrap();
    assert!(matches!(first, Recorded::New(_)));
    let again = store::quiz::record_attempt(
        &app.state.db,
        &"a".repeat(32),
        user,
        "tcp",
        1,
        10,
        &answers(&[true, true, true]),
        200,
    )
    .await
    .unwrap();
    let Recorded::New(id) = first else {
        unreachable!()
    };
    assert_eq!(
        again,
        Recorded::Duplicate {
            attempt_id: id,
            user_id: user
        }
    );
    assert_eq!(count(db, "select count(*) from attempt").await, 1);
    assert_eq!(count(db, "select count(*) from answer").await, 3);
    assert_eq!(
        count(
            db,
            "select cast(sum(seen) as bigint) from question_progress"
        )
        .await,
        3,
        "progress counted once"
    );
    // A wrong answer is due at once in box 1; a right one waits in box 2.
    assert_eq!(
        count(
            db,
            "select box from question_progress where question_id = 'tcp-q1'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            db,
            "select due_at from question_progress where question_id = 'tcp-q1'"
        )
        .await,
        100
    );
    assert_eq!(
        count(
            db,
            "select box from question_progress where question_id = 'tcp-q0'"
        )
        .await,
        2
    );

    // An attempt by a user who does not exist fails on the foreign key: nothing of it remains.
    let failed = store::quiz::record_attempt(
        &app.state.db,
        &"b".repeat(32),
        999_999,
        "tcp",
        1,
        10,
        &answers(&[true]),
        300,
    )
    .await;
    assert!(failed.is_err());
    assert_eq!(count(db, "select count(*) from attempt").await, 1);
    assert_eq!(count(db, "select count(*) from answer").await, 3);
}

#[tokio::test]
async fn group_commit_keeps_attempts_independent() {
    let app = common::app().await;
    let db = &app.state.db;
    let user = users::create_guest(&app.state.db, 1).await.unwrap();
    let writer =
        AttemptWriter::start(infra_dojo::db::writer_for(&app.state.db).await.unwrap()).unwrap();
    // Many at once, so they share batches; one of them is doomed (unknown user).
    let mut handles = Vec::new();
    for i in 0..50 {
        let w = writer.clone();
        let owner = if i == 17 { 999_999 } else { user };
        handles.push(tokio::spawn(async move {
            w.record(attempt(&format!("{i:032x}"), owner, &[true, false]))
                .await
        }));
    }
    let mut ok = 0;
    let mut failed = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(Recorded::New(_)) => ok += 1,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => failed += 1,
        }
    }
    assert_eq!((ok, failed), (49, 1));
    assert_eq!(count(db, "select count(*) from attempt").await, 49);
    assert_eq!(
        count(db, "select count(*) from answer").await,
        98,
        "no partial attempt"
    );
    assert_eq!(count(db, "select count(*) from attempt a where (select count(*) from answer b where b.attempt_id = a.attempt_id) != 2").await, 0);
    // The same token twice, even in one batch, is one attempt.
    let (x, y) = tokio::join!(
        writer.record(attempt(&"f".repeat(32), user, &[true])),
        writer.record(attempt(&"f".repeat(32), user, &[true]))
    );
    let ids: Vec<i64> = [x.unwrap(), y.unwrap()]
        .iter()
        .map(|r| match r {
            Recorded::New(id) => *id,
            Recorded::Duplicate { attempt_id, .. } => *attempt_id,
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(count(db, "select count(*) from attempt").await, 50);
}

/// One batch, written together, must leave what the same attempts written one by one would leave.
#[tokio::test]
async fn a_batch_is_written_as_if_one_attempt_after_another() {
    let app = common::app().await;
    let db = &app.state.db;
    let kim = users::create_guest(&app.state.db, 1).await.unwrap();
    let lee = users::create_guest(&app.state.db, 1).await.unwrap();
    let mut earlier = attempt(&"e".repeat(32), kim, &[false]);
    earlier.now = 100;
    let mut tx = db.begin().await.unwrap();
    store::quiz::write_attempts(&mut tx, &[&earlier])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Kim answers tcp-q0 right twice in one batch (box 1 → 2 → 3) and tcp-q1 right then wrong;
    // Lee replays Kim's first form (same token: Kim's attempt, not Lee's); an old token comes back.
    let mut first = attempt(&"1".repeat(32), kim, &[true, true]);
    first.now = 1_000;
    first.seed = i64::MIN; // seeds are u64 stored as i64: they must survive the trip exactly
    let mut second = attempt(&"2".repeat(32), kim, &[true, false]);
    second.now = 2_000;
    second.seed = i64::MAX;
    let replay = attempt(&"1".repeat(32), lee, &[true]);
    let again = attempt(&"e".repeat(32), kim, &[true]);
    let mut tx = db.begin().await.unwrap();
    let recorded = store::quiz::write_attempts(&mut tx, &[&first, &second, &replay, &again])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (Recorded::New(first_id), Recorded::New(second_id)) = (recorded[0], recorded[1]) else {
        panic!("{recorded:?}");
    };
    assert_ne!(first_id, second_id);
    assert_eq!(
        recorded[2],
        Recorded::Duplicate {
            attempt_id: first_id,
            user_id: kim
        }
    );
    assert!(matches!(recorded[3], Recorded::Duplicate { user_id, .. } if user_id == kim));
    assert_eq!(count(db, "select count(*) from attempt").await, 3);
    let seeds: Vec<(i64,)> =
        infra_dojo::on!(db, pool => sqlx::query_as("select seed from attempt where attempt_id in ($1, $2) order by attempt_id")
            .bind(first_id)
            .bind(second_id)
            .fetch_all(pool)
            .await)
            .unwrap();
    assert_eq!(seeds, [(i64::MIN,), (i64::MAX,)]);
    assert_eq!(count(db, "select count(*) from answer").await, 5);
    let row = |q: &'static str| async move {
        infra_dojo::on!(db, pool => sqlx::query_as::<_, (i64, i64, i64, i64, bool, i64)>(
            "select box, due_at, seen, correct, last_correct <> 0, last_at from question_progress
             where user_id = $1 and question_id = $2",
        )
        .bind(kim)
        .bind(q)
        .fetch_one(pool)
        .await)
    };
    // tcp-q0: wrong at 100 (level 1), right at 1,000 (level 2), right at 2,000 (level 3), due when FSRS
    // says after those three answers one after another.
    use infra_dojo::quiz::schedule::{self, Progress};
    let after = |s: schedule::Scheduled, at: i64| Progress {
        box_number: s.box_number,
        memory: Some(s.memory),
        last_at: at,
    };
    let s1 = schedule::next(None, 0, 100);
    let s2 = schedule::next(Some(after(s1, 100)), 100, 1_000);
    let s3 = schedule::next(Some(after(s2, 1_000)), 100, 2_000);
    assert!(s3.due_at >= 2_000 + 86_400, "a day at least");
    assert_eq!(
        row("tcp-q0").await.unwrap(),
        (3, s3.due_at, 3, 2, true, 2_000)
    );
    let (stability,): (f64,) = infra_dojo::on!(db, pool => sqlx::query_as(
        "select stability from question_progress where user_id = $1 and question_id = 'tcp-q0'",
    )
    .bind(kim)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert!(
        (stability - s3.memory.stability).abs() < 1e-9,
        "{stability}"
    );
    // tcp-q1: right at 1,000 (box 2), wrong at 2,000: back to box 1, due at once.
    assert_eq!(row("tcp-q1").await.unwrap(), (1, 2_000, 2, 1, false, 2_000));
    let (lee_rows,): (i64,) =
        infra_dojo::on!(db, pool => sqlx::query_as("select count(*) from question_progress where user_id = $1")
            .bind(lee)
            .fetch_one(pool)
            .await)
            .unwrap();
    assert_eq!(lee_rows, 0, "the replay stored nothing for Lee");
}

#[tokio::test]
async fn a_guest_merges_into_an_account_adding_counts() {
    let app = common::app().await;
    let db = &app.state.db;
    let guest = users::create_guest(&app.state.db, 1).await.unwrap();
    let account = users::create(db, "kim", "キム", "x", infra_dojo::auth::Role::Learner, 1)
        .await
        .unwrap();
    store::quiz::record_attempt(
        &app.state.db,
        &"1".repeat(32),
        account,
        "tcp",
        1,
        10,
        &answers(&[true]),
        100,
    )
    .await
    .unwrap();
    store::quiz::record_attempt(
        &app.state.db,
        &"2".repeat(32),
        guest,
        "tcp",
        1,
        10,
        &answers(&[false, true]),
        200,
    )
    .await
    .unwrap();
    users::merge_guest(db, guest, account).await.unwrap();
    assert_eq!(count(db, "select count(*) from app_user").await, 1);
    assert_eq!(
        count(
            db,
            &format!("select count(*) from attempt where user_id = {account}")
        )
        .await,
        2
    );
    assert_eq!(
        count(
            db,
            "select seen from question_progress where question_id = 'tcp-q0'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            db,
            "select box from question_progress where question_id = 'tcp-q0'"
        )
        .await,
        1,
        "the later (wrong) answer's box wins"
    );
}

/// `/me` reads its four parts in one statement (`store::me`): each part must be what the separate queries
/// give — statistics after a reset, the newest attempts first and no more than asked, the reviews due at
/// that moment, the classes active first and by name with their instructor — and a new learner's parts
/// are empty.
#[tokio::test]
async fn the_me_summary_agrees_with_the_queries_it_replaces() {
    let app = common::app().await;
    let db = &app.state.db;
    let role = infra_dojo::auth::Role::Learner;
    let learner = users::create(db, "mio", "ミオ", "x", role, 1)
        .await
        .unwrap();
    let newcomer = users::create(db, "sora", "ソラ", "x", role, 1)
        .await
        .unwrap();
    let teacher = users::create(
        db,
        "t",
        "田中先生",
        "x",
        infra_dojo::auth::Role::Instructor,
        1,
    )
    .await
    .unwrap();

    let empty = store::me::summary(db, newcomer, 20, 10_000).await.unwrap();
    assert_eq!(
        (
            empty.stats.len(),
            empty.history.len(),
            empty.due,
            empty.classes.len()
        ),
        (0, 0, 0, 0)
    );

    let mut token = 0;
    for (topic, at, correct) in [
        ("tcp", 100, &[true, false, true][..]),
        ("icmp", 200, &[false, false][..]),
        ("tcp", 300, &[true, true, true][..]),
        ("ftp", 400, &[true][..]),
    ] {
        token += 1;
        store::quiz::record_attempt(
            &app.state.db,
            &format!("{token:032}"),
            learner,
            topic,
            1,
            10,
            &answers(correct),
            at,
        )
        .await
        .unwrap();
    }
    store::quiz::reset_topic(&app.state.db, learner, "ftp", 500)
        .await
        .unwrap();
    for (name, archived) in [("B組", false), ("卒業した組", true), ("A組", false)] {
        let class = store::classes::create(db, teacher, name, &format!("CODE{name}"), 1)
            .await
            .unwrap();
        store::classes::join(db, class, learner, 600).await.unwrap();
        if archived {
            store::classes::archive(&app.state.db, class, 700)
                .await
                .unwrap();
        }
    }

    // Far enough ahead that every question still in the learner's progress is due.
    let now = 1_000_000_000;
    let summary = store::me::summary(db, learner, 3, now).await.unwrap();
    let mut expected = store::quiz::topic_stats(&app.state.db, learner)
        .await
        .unwrap();
    let mut stats = summary.stats.clone();
    expected.sort_by(|a, b| a.topic.cmp(&b.topic));
    stats.sort_by(|a, b| a.topic.cmp(&b.topic));
    assert_eq!(stats, expected);
    assert!(
        stats
            .iter()
            .any(|s| s.topic == "tcp" && s.attempts == 2 && s.best == Some(100)),
        "{stats:?}"
    );
    assert_eq!(
        summary.history,
        store::quiz::history(&app.state.db, learner, 3)
            .await
            .unwrap()
    );
    assert_eq!(
        summary
            .history
            .iter()
            .map(|a| a.created_at)
            .collect::<Vec<_>>(),
        [400, 300, 200]
    );
    assert_eq!(
        summary.due,
        store::quiz::due_count(&app.state.db, learner, now)
            .await
            .unwrap()
    );
    assert!(summary.due > 0, "{summary:?}");
    let classes: Vec<(&str, &str, bool)> = summary
        .classes
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.owner_name.as_str(),
                c.archived_at.is_some(),
            )
        })
        .collect();
    assert_eq!(
        classes,
        [
            ("A組", "田中先生", false),
            ("B組", "田中先生", false),
            ("卒業した組", "田中先生", true)
        ]
    );
    assert!(summary.classes.iter().all(|c| c.joined_at == 600));
}
