//! Several instances on one database, as behind a load balancer (issue 14): each `another_instance()` has
//! its own pool, attempt writer, caches and memory, and shares only the database with the first. A learner
//! signs in through one and carries on through the other; a quiz form sent through both at once is stored
//! once; an instructor on one instance sees, at once, what learners did through the other.
//!
//! On SQLite the two share one file (as two processes on one machine may); `scripts/test` runs this file
//! on PostgreSQL too, where several machines would.

mod common;

use axum::http::StatusCode;
use common::{Client, TestApp};

/// A client on `app` holding `from`'s cookies: the same browser, sent to another upstream.
fn same_browser<'a>(app: &'a TestApp, from: &Client<'_>) -> Client<'a> {
    let client = app.client();
    *client.cookies.lock().unwrap() = from.cookies.lock().unwrap().clone();
    client
}

#[tokio::test]
async fn a_learner_signed_in_through_one_instance_carries_on_through_another() {
    let one = common::app().await;
    let two = one.another_instance().await;
    let on_one = one.client();
    on_one.sign_up("aki").await;
    let on_two = same_browser(&two, &on_one);

    let me = on_two.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        me.body.contains("aki さん"),
        "signed in on two: {}",
        me.body
    );

    // The quiz page from instance two, answered and sent through instance one: both seal and open forms
    // with the one key in the database.
    let page = on_two.get("/topics/tcp/quiz").await;
    let pairs = common::answer_quiz(&two, &page, &[]);
    let done = on_one.post_pairs("/topics/tcp/quiz", &pairs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let result = done
        .header("location")
        .expect("the result page")
        .to_string();
    let shown = on_two.get(&result).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let questions = one.state.content().quizzes.topic("tcp").len();
    assert!(
        shown.body.contains(&format!("{questions} / {questions}")),
        "the result, read through two: {}",
        shown.body
    );

    // Signing out through two ends the session everywhere.
    let csrf = on_two.csrf("/me").await;
    let out = on_two.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = on_one.get("/me").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "signed out on one too");
    assert!(after.header("location").unwrap().starts_with("/login"));
}

#[tokio::test]
async fn a_quiz_form_sent_through_two_instances_at_once_is_stored_once() {
    let one = common::app().await;
    let two = one.another_instance().await;
    let on_one = one.client();
    on_one.sign_up("ren").await;
    let on_two = same_browser(&two, &on_one);
    let questions = one.state.content().quizzes.topic("ftp").len() as i64;

    // Five forms, each sent through both instances at the same moment (a balancer retrying on the other
    // upstream does exactly this): each one attempt, both answers pointing at it.
    for round in 1..=5 {
        let page = on_one.get("/topics/ftp/quiz").await;
        let pairs = common::answer_quiz(&one, &page, &[]);
        let (a, b) = tokio::join!(
            on_one.post_pairs("/topics/ftp/quiz", &pairs),
            on_two.post_pairs("/topics/ftp/quiz", &pairs)
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.body);
        assert_eq!(a.header("location"), b.header("location"), "one attempt");
        assert_eq!(one.count("attempt").await, round);
        assert_eq!(one.count("answer").await, round * questions);
    }
    let (seen,): (i64,) = infra_dojo::on!(&one.state.db, pool => sqlx::query_as(
        "select max(seen) from question_progress"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(seen, 5, "each form counted once in the progress");
}

#[tokio::test]
async fn an_instructor_on_one_instance_sees_at_once_what_learners_did_through_another() {
    let one = common::app().await;
    let two = one.another_instance().await;
    let teacher = two.instructor("teacher").await;
    let (class_id, code) = teacher.create_class("2年B組").await;
    let learner = one.learner("mio").await;
    let joined = learner.join_class(&code).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);

    // The instructor's views on two, read (and cached there) before anything is answered.
    let overview = format!("/instructor/classes/{class_id}");
    let live = format!("{overview}/live.json");
    let grid = format!("{overview}/export/grid.csv");
    let before = teacher.get(&overview).await;
    assert!(
        before.body.contains("mio さん"),
        "the member, joined through one"
    );
    let live_before: serde_json::Value =
        serde_json::from_str(&teacher.get(&live).await.body).unwrap();
    assert_eq!(live_before["topics"].as_array().unwrap().len(), 0);
    let grid_before = teacher.get(&grid).await.body;

    // mio answers the シグナル quiz through one, two of its questions wrong.
    let topic = one.state.content().quizzes.topic("signals").to_vec();
    let page = learner.get("/topics/signals/quiz").await;
    let wrong = [topic[0].id.as_str(), topic[1].id.as_str()];
    let pairs = common::answer_quiz(&one, &page, &wrong);
    let done = learner.post_pairs("/topics/signals/quiz", &pairs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let live_after: serde_json::Value =
        serde_json::from_str(&teacher.get(&live).await.body).unwrap();
    assert_eq!(live_after["topics"][0]["topic"], "signals");
    assert_eq!(live_after["topics"][0]["attempts"], 1);
    assert_eq!(
        live_after["topics"][0]["correct"],
        topic.len() as i64 - 2,
        "{live_after}"
    );
    let grid_after = teacher.get(&grid).await.body;
    assert_ne!(grid_after, grid_before, "the export moved");
    let after = teacher.get(&overview).await;
    assert_ne!(
        after.body, before.body,
        "the overview cached on two is not served stale"
    );
    // The question analysis on two: mio's wrong answer and right one, counted.
    let analysis = teacher.get(&format!("{overview}/topics/signals")).await;
    assert_eq!(analysis.status, StatusCode::OK, "{}", analysis.body);
    let cell = |q: &str, class: &str| {
        analysis.texts(&format!(".analysis-summary tr[data-question={q}] .{class}"))[0].clone()
    };
    assert_eq!(cell(&topic[0].id, "attempts"), "1");
    assert_eq!(cell(&topic[0].id, "facility"), "0%");
    assert_eq!(cell(&topic[2].id, "facility"), "100%");
}
