//! `demo-seed`: a full demo class, seeded once.

use crate::common::{self};
use crate::grid;
use axum::http::StatusCode;

#[tokio::test]
async fn demo_seed_fills_a_class_and_is_idempotent() {
    let app = common::app().await;
    let options = infra_dojo::demo::Options {
        learners: 6,
        attempts: 8,
        ..Default::default()
    };
    let outcome = infra_dojo::demo::seed(
        &app.state.db,
        &app.state.content().course,
        &app.state.content().quizzes,
        &options,
    )
    .await
    .unwrap();
    let infra_dojo::demo::Outcome::Created {
        class_id,
        learners,
        attempts,
        answers,
        widget_answers,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!((learners, attempts), (6, 48));
    assert_eq!(app.count("attempt").await, 48);
    assert_eq!(app.count("answer").await, answers as i64);
    assert_eq!(app.count("widget_answer").await, widget_answers as i64);
    assert!(widget_answers > 0);
    // The stored answers agree with the grader and with the attempts' scores.
    let (mismatched,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select count(*) from attempt a where a.correct_count != (select count(*) from answer n where n.attempt_id = a.attempt_id and n.correct <> 0)",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(mismatched, 0);
    let tagged: (i64,) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select count(*) from answer where misconception is not null")
            .fetch_one(pool)
            .await)
            .unwrap();
    assert!(tagged.0 > 0, "wrong answers carry real misconception tags");
    // Progress matches what recording each attempt would have produced: every answered question has a row.
    let (without_progress,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select count(*) from (select distinct a.user_id, n.question_id from attempt a join answer n using (attempt_id)) x
         where not exists (select 1 from question_progress p where p.user_id = x.user_id and p.question_id = x.question_id)",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(without_progress, 0);
    // Again: nothing new.
    let again = infra_dojo::demo::seed(
        &app.state.db,
        &app.state.content().course,
        &app.state.content().quizzes,
        &options,
    )
    .await
    .unwrap();
    assert_eq!(again, infra_dojo::demo::Outcome::AlreadyThere { class_id });
    assert_eq!(app.count("attempt").await, 48);
    // The demo instructor can log in and open the class.
    let c = app.client();
    let reply = c.log_in("demo-teacher", "demo-password").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/instructor/classes/{class_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("h1"), ["デモクラス（デモデータ）"]);
    assert_eq!(grid(&page).len(), 6);
    assert_eq!(grid(&page)[0][0], "デモ受講者01");
}
