//! Router tests for the learning loop (issue 15, learner half): unanswered questions are never graded
//! silently (nothing answered stores nothing; some unanswered comes back as a summary to confirm; an
//! ordering left at "—" is unanswered); the per-question check (確認) grades one question, keeps the first
//! answer and never lets a changed answer earn credit, and the attempt is stored once; partial credit is
//! stored and shown with its rule; the review loop asks one question at a time with its feedback, a count
//! and a forecast; a learner downloads everything kept about them and deletes their account (password
//! and a tick; their sessions end; the instructor's class no longer shows them); the instructor's
//! retention view.

mod common;

use axum::http::StatusCode;
use common::{Client, Reply, TestApp};
use infra_dojo::quiz::bank::Kind;
use infra_dojo::quiz::grade::Response;

type Pairs = Vec<(String, String)>;

/// The csrf and token fields of a quiz page.
fn hidden(page: &Reply) -> Pairs {
    let field =
        |name: &str| page.attrs(&format!("form[data-quiz] input[name={name}]"), "value")[0].clone();
    vec![
        ("csrf".to_string(), field("csrf")),
        ("token".to_string(), field("token")),
    ]
}

/// Fields answering `ids` right (others left out: unanswered).
fn answer_only(app: &TestApp, page: &Reply, ids: &[&str]) -> Pairs {
    let form = common::quiz_form(app, page);
    let content = app.state.content();
    let mut pairs = hidden(page);
    for id in ids {
        let q = content.quizzes.question(id).unwrap();
        let r = common::answer(q, form.seed(), true);
        pairs.extend(common::response_fields(&form, q, &r));
    }
    pairs
}

async fn submit(c: &Client<'_>, slug: &str, pairs: &Pairs) -> Reply {
    c.post_pairs(&format!("/topics/{slug}/quiz"), pairs).await
}

fn ids(app: &TestApp, slug: &str) -> Vec<String> {
    app.state
        .content()
        .quizzes
        .topic(slug)
        .iter()
        .map(|q| q.id.clone())
        .collect()
}

#[tokio::test]
async fn nothing_answered_stores_nothing_and_some_unanswered_asks_first() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("alice").await;
    let page = c.get("/topics/tcp/quiz").await;
    // The empty submit of the issue: refused, nothing stored.
    let empty = submit(&c, "tcp", &hidden(&page)).await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.body
    );
    assert!(empty.body.contains("1 問も答えていません"));
    assert_eq!(app.count("attempt").await, 0);

    // Two answered: the same form comes back with the rest marked and a summary; nothing stored.
    let all = ids(&app, "tcp");
    let pairs = answer_only(&app, &page, &[&all[0], &all[1]]);
    let back = submit(&c, "tcp", &pairs).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!(app.count("attempt").await, 0);
    assert_eq!(back.texts("[data-unanswered-summary]").len(), 1);
    assert_eq!(back.texts(".question.is-unanswered").len(), all.len() - 2);
    let summary_links = back.attrs("[data-unanswered-summary] a", "href");
    assert_eq!(summary_links.len(), all.len() - 2);
    assert_eq!(summary_links[0], format!("#q-{}", all[2]));
    // What was answered is kept on the page (a checked radio, a typed text or chosen positions).
    let form = common::quiz_form(&app, &back);
    assert_eq!(
        form.token(),
        common::quiz_form(&app, &page).token(),
        "the same attempt"
    );
    let kept = back.attrs("input[checked]", "value").len()
        + back
            .attrs("option[selected]:not([value=''])", "value")
            .len()
        + back
            .attrs("input[type=text][value]:not([value=''])", "value")
            .len();
    assert!(kept >= 2, "answers kept: {kept}");

    // Confirmed: graded with the rest blank, stored once.
    let mut confirmed = pairs.clone();
    confirmed.push(("confirm_blank".into(), "1".into()));
    let done = submit(&c, "tcp", &confirmed).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(app.count("attempt").await, 1);
    let results = c.get(done.header("location").unwrap()).await;
    assert_eq!(results.texts(".result-item.is-correct").len(), 2);

    // A confirm field sent twice is refused like any field the form did not issue once.
    let page = c.get("/topics/tcp/quiz").await;
    let mut twice = answer_only(&app, &page, &[&all[0]]);
    twice.push(("confirm_blank".into(), "1".into()));
    twice.push(("confirm_blank".into(), "1".into()));
    assert_eq!(
        submit(&c, "tcp", &twice).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("attempt").await, 1);
}

#[tokio::test]
async fn an_untouched_ordering_is_unanswered_not_graded_in_its_starting_order() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("bob").await;
    let content = app.state.content();
    let order = content
        .quizzes
        .topic("tcp")
        .iter()
        .find(|q| matches!(q.kind, Kind::Order { .. }))
        .expect("tcp has an ordering question")
        .clone();
    let page = c.get("/topics/tcp/quiz").await;
    // The page offers "—" and selects it: no starting order is an answer.
    let selected = page.attrs(
        &format!("li[data-question='{}'] option[selected]", order.id),
        "value",
    );
    assert!(
        !selected.is_empty() && selected.iter().all(|v| v.is_empty()),
        "{selected:?}"
    );
    let others: Vec<String> = ids(&app, "tcp")
        .into_iter()
        .filter(|i| *i != order.id)
        .collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let mut pairs = answer_only(&app, &page, &others);
    // The selects posted as they are: every position "—".
    for token in page.attrs(&format!("li[data-question='{}'] select", order.id), "name") {
        pairs.push((token, String::new()));
    }
    let back = submit(&c, "tcp", &pairs).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(
        back.attrs(".question.is-unanswered", "data-question"),
        vec![order.id.clone()]
    );
    assert_eq!(app.count("attempt").await, 0);
}

/// A check of question `id` with `response`.
async fn check(
    app: &TestApp,
    c: &Client<'_>,
    page: &Reply,
    id: &str,
    response: &Response,
) -> Reply {
    let form = common::quiz_form(app, page);
    let q = app.state.content().quizzes.question(id).unwrap().clone();
    let mut pairs = hidden(page);
    pairs.push(("q".into(), id.into()));
    pairs.extend(common::response_fields(&form, &q, response));
    c.post_pairs("/topics/tcp/quiz/check", &pairs).await
}

#[tokio::test]
async fn a_check_grades_one_question_keeps_the_first_answer_and_the_attempt_is_stored_once() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("carol").await;
    let page = c.get("/topics/tcp/quiz").await;
    let form = common::quiz_form(&app, &page);
    let content = app.state.content();
    let first = content
        .quizzes
        .topic("tcp")
        .iter()
        .find(|q| matches!(q.kind, Kind::Single { .. }))
        .unwrap()
        .clone();
    let wrong = common::answer(&first, form.seed(), false);
    let right = common::answer(&first, form.seed(), true);

    let j = check(&app, &c, &page, &first.id, &wrong).await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.body);
    let v: serde_json::Value = serde_json::from_str(&j.body).unwrap();
    assert_eq!(v["question"], first.id.as_str());
    assert_eq!(v["first"], true);
    assert_eq!(v["correct"], false);
    assert!(
        !v["expected"].as_str().unwrap().is_empty(),
        "the feedback teaches"
    );
    // Nothing about any other question comes back.
    for other in ids(&app, "tcp").iter().filter(|i| **i != first.id) {
        assert!(!j.body.contains(other.as_str()), "{other} leaked");
    }
    assert_eq!(app.count("attempt").await, 0, "a check stores no attempt");

    // Seeing the answer and changing it: the first answer is still the one kept.
    let again = check(&app, &c, &page, &first.id, &right).await;
    let v2: serde_json::Value = serde_json::from_str(&again.body).unwrap();
    assert_eq!(v2["first"], false);
    assert_eq!(v2["correct"], false);
    assert_eq!(v2["given"], v["given"]);

    // Submitting the whole form with the right answer for it: graded on the kept (wrong) one.
    let pairs = common::answer_quiz(&app, &page, &[]);
    let done = submit(&c, "tcp", &pairs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(app.count("attempt").await, 1);
    let results = c.get(done.header("location").unwrap()).await;
    assert_eq!(results.texts(".result-item.is-wrong").len(), 1);
    assert_eq!(app.count("attempt_check").await, 0, "checks go once stored");
    // A check after the attempt is stored is refused.
    let late = check(&app, &c, &page, &first.id, &right).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_bad_check_is_refused_and_keeps_nothing() {
    let app = common::app().await;
    let c = app.client();
    let page = c.get("/topics/tcp/quiz").await;
    let all = ids(&app, "tcp");
    // Blank.
    let mut pairs = hidden(&page);
    pairs.push(("q".into(), all[0].clone()));
    let blank = c.post_pairs("/topics/tcp/quiz/check", &pairs).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank.body.contains("答えを選ぶか入力して"),
        "{}",
        blank.body
    );
    // A question of another quiz; two questions at once; no CSRF token.
    let mut foreign = hidden(&page);
    foreign.push(("q".into(), "ftp-port-encoding".into()));
    assert_eq!(
        c.post_pairs("/topics/tcp/quiz/check", &foreign)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let mut two = answer_only(&app, &page, &[&all[0], &all[1]]);
    two.push(("q".into(), all[0].clone()));
    assert_eq!(
        c.post_pairs("/topics/tcp/quiz/check", &two).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut no_csrf = answer_only(&app, &page, &[&all[0]]);
    no_csrf.retain(|(k, _)| k != "csrf");
    no_csrf.push(("q".into(), all[0].clone()));
    assert_eq!(
        c.post_pairs("/topics/tcp/quiz/check", &no_csrf)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("attempt_check").await, 0);
}

#[tokio::test]
async fn partial_credit_is_stored_and_shown_with_its_rule() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("dave").await;
    let content = app.state.content();
    let order = content
        .quizzes
        .topic("tcp")
        .iter()
        .find(|q| matches!(q.kind, Kind::Order { .. }))
        .unwrap()
        .clone();
    let page = c.get("/topics/tcp/quiz").await;
    assert!(
        page.texts(&format!("li[data-question='{}'] .credit-rule", order.id))[0].contains("部分点")
    );
    let Kind::Order { items, .. } = &order.kind else {
        unreachable!()
    };
    // The right order rotated by one: all but one neighbour pair right.
    let rotated: Vec<usize> = (1..items.len()).chain([0]).collect();
    let expected = ((items.len() - 2) * 100 / (items.len() - 1)) as i64;
    let form = common::quiz_form(&app, &page);
    let mut pairs = common::answer_quiz(&app, &page, &[]);
    pairs.retain(|(k, _)| !k.starts_with(&format!("o.{}.", order.id)));
    pairs.extend(common::response_fields(
        &form,
        &order,
        &Response::Order(rotated),
    ));
    let done = submit(&c, "tcp", &pairs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (credit, correct): (i64, bool) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select credit, correct <> 0 from answer where question_id = $1")
            .bind(&order.id)
            .fetch_one(pool)
            .await)
            .unwrap();
    assert_eq!((credit, correct), (expected, false));
    let n = ids(&app, "tcp").len() as i64;
    let (attempt_credit,): (i64,) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select credit from attempt")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(attempt_credit, (n - 1) * 100 + expected);
    let results = c.get(done.header("location").unwrap()).await;
    assert_eq!(
        results.attrs(".result-item.is-partial .credit", "data-credit"),
        vec![expected.to_string()]
    );
    let points = infra_dojo::quiz::grade::points_text(attempt_credit);
    assert!(
        results.texts(".score strong")[0].starts_with(&format!("{points} / {n}")),
        "{:?}",
        results.texts(".score strong")
    );
}

#[tokio::test]
async fn the_review_loop_asks_one_question_at_a_time_with_feedback_and_a_forecast() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("erin").await;
    let all = ids(&app, "tcp");
    // Everything wrong: all due now (a forgotten question comes back at once).
    let page = c.get("/topics/tcp/quiz").await;
    let wrong: Vec<&str> = all.iter().map(String::as_str).collect();
    let done = submit(&c, "tcp", &common::answer_quiz(&app, &page, &wrong)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let review = c.get("/me/review").await;
    assert_eq!(review.status, StatusCode::OK);
    assert_eq!(review.texts("[data-due-now]"), vec![all.len().to_string()]);
    assert_eq!(
        review.texts("form[data-review] .question").len(),
        1,
        "one question at a time"
    );
    // All due now, nothing later: the forecast says so instead of drawing seven empty days.
    assert_eq!(review.texts("[data-forecast]").len(), 0);
    assert_eq!(review.texts("[data-forecast-empty]").len(), 1);
    assert!(review.body.contains("FSRS"));
    // Generated questions are listed with their text, not a placeholder.
    assert!(!review.body.contains("数値が毎回変わる問題"));

    // Answer it right: feedback at once, the next question, one fewer due.
    let token = review.attrs("form[data-review] input[name=token]", "value")[0].clone();
    let csrf = review.attrs("form[data-review] input[name=csrf]", "value")[0].clone();
    let form = app
        .state
        .quiz_forms
        .open(infra_dojo::quiz::form::Purpose::Review, &token)
        .unwrap();
    let q = app
        .state
        .content()
        .quizzes
        .question(&form.question_ids[0])
        .unwrap()
        .clone();
    let mut pairs = vec![("csrf".to_string(), csrf), ("token".to_string(), token)];
    pairs.extend(common::response_fields(
        &form,
        &q,
        &common::answer(&q, form.seed(), true),
    ));
    let answered = c.post_pairs("/me/review", &pairs).await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let next = c.get(answered.header("location").unwrap()).await;
    assert_eq!(next.texts("[data-review-done].is-correct").len(), 1);
    assert_eq!(
        next.texts("[data-due-now]"),
        vec![(all.len() - 1).to_string()]
    );
    // The question answered right is now in the coming days' forecast, once.
    let days: Vec<i64> = next
        .texts("[data-forecast]")
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(days.len(), 7);
    assert_eq!(days.iter().sum::<i64>(), 1, "{days:?}");
    let now = infra_dojo::store::now();
    let (kind, stability, due_at): (String, f64, i64) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select a.kind, p.stability, p.due_at from attempt a
         join question_progress p on p.user_id = a.user_id and p.question_id = $1
         order by a.attempt_id desc limit 1",
    )
    .bind(&q.id)
    .fetch_one(pool)
    .await)
        .unwrap();
    assert_eq!(kind, "review");
    assert!(stability > 0.0);
    assert!(
        due_at >= now + 86_400 - 5,
        "a right answer is due a day or more later"
    );
    // The forecast counts it on a coming day.
    let forecast: i64 = next
        .texts("[data-forecast]")
        .iter()
        .map(|t| t.parse::<i64>().unwrap())
        .sum();
    assert_eq!(forecast, 1);
    // Someone else's review attempt is not there.
    let other = app.client();
    other.sign_up("frank").await;
    let id = answered
        .header("location")
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        other.get(&format!("/me/review?done={id}")).await.status,
        StatusCode::NOT_FOUND
    );
    // A blank review answer stores nothing.
    let before = app.count("attempt").await;
    let again = c.get("/me/review").await;
    let blank = vec![
        (
            "csrf".to_string(),
            again.attrs("form[data-review] input[name=csrf]", "value")[0].clone(),
        ),
        (
            "token".to_string(),
            again.attrs("form[data-review] input[name=token]", "value")[0].clone(),
        ),
    ];
    assert_eq!(
        c.post_pairs("/me/review", &blank).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.count("attempt").await, before);
    // /me's best score ignores the one-question review attempt.
    let me = c.get("/me").await;
    assert!(
        !me.body.contains(">100%<"),
        "a review answer is not a quiz score"
    );
}

#[tokio::test]
async fn a_learner_downloads_everything_kept_about_them_and_only_that() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("gina").await;
    let page = c.get("/topics/tcp/quiz").await;
    submit(&c, "tcp", &common::answer_quiz(&app, &page, &[])).await;
    let other = app.client();
    other.sign_up("hank").await;
    let page = other.get("/topics/tcp/quiz").await;
    submit(&other, "tcp", &common::answer_quiz(&app, &page, &[])).await;

    let json = c.get("/me/data/export.json").await;
    assert_eq!(json.status, StatusCode::OK);
    assert!(
        json.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["account"]["name"], "gina");
    assert!(v["account"].get("password_hash").is_none());
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
    let n = ids(&app, "tcp").len();
    assert_eq!(v["answers"].as_array().unwrap().len(), n);
    assert_eq!(v["reviews"].as_array().unwrap().len(), n);
    assert!(!json.body.contains("hank"));

    let csv = c.get("/me/data/answers.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(
        csv.body.trim_start_matches('\u{feff}').lines().count(),
        n + 1
    );
    assert_eq!(
        c.get("/me/data/passwords.csv").await.status,
        StatusCode::NOT_FOUND
    );
    let page = c.get("/me/data").await;
    assert_eq!(page.texts("[data-count=attempts]"), vec!["1"]);
    // Not signed in: no data.
    let anonymous = app.client().get("/me/data/export.json").await;
    assert_ne!(anonymous.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_an_account_needs_the_password_and_removes_everything() {
    let app = common::app().await;
    let teacher = app.client();
    teacher.sign_up("teacher").await;
    infra_dojo::on!(&app.state.db, pool => sqlx::query("update app_user set role = 'instructor' where name = 'teacher'")
        .execute(pool)
        .await.map(|r| r.rows_affected()))
        .unwrap();
    teacher.log_in("teacher", common::PASSWORD).await;
    let (class_id, code) = teacher.create_class("1 組").await;
    let c = app.client();
    c.sign_up("ivy").await;
    c.join_class(&code).await;
    let page = c.get("/topics/tcp/quiz").await;
    submit(&c, "tcp", &common::answer_quiz(&app, &page, &[])).await;
    // A second session of the same account.
    let phone = app.client();
    phone.log_in("ivy", common::PASSWORD).await;
    assert_eq!(phone.get("/me").await.status, StatusCode::OK);
    let members = format!("/instructor/classes/{class_id}/members");
    assert!(teacher.get(&members).await.body.contains("ivy"));

    let form = c.get("/me/delete").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.attrs("input[name=csrf]", "value")[0].clone();
    // Wrong password, or no tick: 422, nothing deleted.
    for (password, confirm) in [("wrong password!", "yes"), (common::PASSWORD, "")] {
        let r = c
            .post_form(
                "/me/delete",
                &[
                    ("csrf", &csrf),
                    ("password", password),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let user = app.user_id("ivy").await;
    assert!(user > 0);
    // Without the CSRF token: refused.
    let r = c
        .post_form(
            "/me/delete",
            &[("password", common::PASSWORD), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let sessions = || async {
        let (n,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select count(*) from tower_sessions")
            .fetch_one(pool)
            .await)
            .unwrap();
        n
    };
    let before = sessions().await;
    let done = c
        .post_form(
            "/me/delete",
            &[
                ("csrf", &csrf),
                ("password", common::PASSWORD),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.header("location"), Some("/me/deleted"));
    for table in ["attempt", "answer", "question_progress", "class_member"] {
        let (n,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(&format!(
            "select count(*) from {table} where {}",
            match table {
                "answer" => "attempt_id not in (select attempt_id from attempt)".to_string(),
                _ => format!("user_id = {user}"),
            }
        ))
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let (users,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select count(*) from app_user where name = 'ivy'")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(users, 0);
    // Both sessions are over — the phone's row is gone before the phone asks anything; the class no
    // longer shows them; the teacher's own data is untouched.
    assert_eq!(
        sessions().await,
        before - 2,
        "this device's and the phone's"
    );
    assert_ne!(c.get("/me").await.status, StatusCode::OK);
    assert_ne!(phone.get("/me").await.status, StatusCode::OK);
    assert!(!teacher.get(&members).await.body.contains("ivy"));
    assert_eq!(teacher.get(&members).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_retention_view_shows_the_class_s_recall_per_topic_to_its_instructor_only() {
    let app = common::app().await;
    let teacher = app.client();
    teacher.sign_up("teacher2").await;
    infra_dojo::on!(&app.state.db, pool => sqlx::query("update app_user set role = 'instructor' where name = 'teacher2'")
        .execute(pool)
        .await.map(|r| r.rows_affected()))
        .unwrap();
    teacher.log_in("teacher2", common::PASSWORD).await;
    let (class_id, code) = teacher.create_class("2 組").await;
    let c = app.client();
    c.sign_up("joanne").await;
    c.join_class(&code).await;
    let page = c.get("/topics/tcp/quiz").await;
    submit(&c, "tcp", &common::answer_quiz(&app, &page, &[])).await;
    // A month later without review: the answers have faded.
    infra_dojo::on!(&app.state.db, pool => sqlx::query("update question_progress set last_at = last_at - 30 * 86400")
        .execute(pool)
        .await.map(|r| r.rows_affected()))
        .unwrap();
    let url = format!("/instructor/classes/{class_id}/retention");
    let r = teacher.get(&url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let percent: i64 = r.attrs("tr[data-retention]", "data-retention")[0]
        .parse()
        .unwrap();
    assert!(percent < 90, "{percent}");
    assert!(
        !r.texts("ul.fading li").is_empty(),
        "fading questions are named"
    );
    assert!(r.texts("tr[data-retention] td")[1].starts_with("1 / 1"));
    // A learner, or another instructor, does not see it.
    assert_ne!(c.get(&url).await.status, StatusCode::OK);
}
