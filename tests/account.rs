//! Router tests for what guards a learner's account in the learning loop: a session whose account is gone
//! (deleted on another device, or before its sessions could be ended) is signed out on its next request —
//! never a 500, and its answers go to a guest; the password re-entered to delete an account is throttled
//! in the login lanes, so a stolen session gets no more guesses than the login form, and deleting the
//! account forgets those lanes; a sealed form is bound to its purpose, so a review question cannot be
//! posted as a quiz nor a one-question quiz as a review.

mod common;

use axum::http::StatusCode;
use common::{Client, TestApp};

/// How many stored sessions there are.
async fn session_rows(app: &TestApp) -> i64 {
    app.count("tower_sessions").await
}

/// Every field of the quiz page `uri`, answered right.
async fn answered_quiz(app: &TestApp, c: &Client<'_>, uri: &str) -> Vec<(String, String)> {
    let page = c.get(uri).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    common::answer_quiz(app, &page, &[])
}

#[tokio::test]
async fn a_session_whose_account_is_gone_is_signed_out_and_never_a_500() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("zoe").await;
    assert_eq!(c.get("/me").await.status, StatusCode::OK);
    // A quiz page opened while signed in, submitted after the account is gone.
    let pairs = answered_quiz(&app, &c, "/topics/tcp/quiz").await;
    let zoe = app.user_id("zoe").await;
    let rows = session_rows(&app).await;
    // The account goes, its session stays (as a session saved by a request in flight would).
    infra_dojo::store::account::delete_account(&app.state.db, zoe)
        .await
        .unwrap();
    assert_eq!(session_rows(&app).await, rows);

    // Any page: the header no longer names them, and the session is emptied.
    let topic = c.get("/topics/tcp").await;
    assert_eq!(topic.status, StatusCode::OK);
    assert!(!topic.body.contains("zoe"), "the header names nobody");
    assert_eq!(session_rows(&app).await, rows - 1, "the session is deleted");
    let me = c.get("/me").await;
    assert_eq!(me.status, StatusCode::SEE_OTHER, "signed out: to the login");

    // The quiz posted from the old page is graded for a guest, not refused with a 500.
    let sent = c.post_pairs("/topics/tcp/quiz", &pairs).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let results = c.get(sent.header("location").unwrap()).await;
    assert_eq!(
        results.status,
        StatusCode::OK,
        "the guest sees their result"
    );
    let (owners,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select count(*) from attempt a join app_user u on u.user_id = a.user_id where u.role = 'guest'",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(owners, 1);
}

/// A session stored by tower-sessions' own SQLite store (MessagePack, before `web::session_store`) is
/// still read — signed in while the account exists, signed out once it is gone — and what the store
/// writes now is JSON without the flag its loads add.
#[tokio::test]
async fn a_session_stored_before_the_json_store_still_signs_in_and_out() {
    if common::backend::sqlite_only("sessions in MessagePack were only ever stored in SQLite") {
        return;
    }
    use tower_sessions::SessionStore;
    let app = common::app().await;
    let c = app.client();
    c.sign_up("mia").await;
    assert!(c.get("/me").await.body.contains("mia"));
    let (json, flagged): (i64, i64) = sqlx::query_as(
        "select count(*), coalesce(sum(instr(data, 'account_exists') > 0), 0) from tower_sessions
         where typeof(data) = 'text' and json_extract(data, '$.user_id') is not null",
    )
    .fetch_one(app.state.db.as_sqlite().unwrap())
    .await
    .unwrap();
    assert_eq!((json, flagged), (1, 0), "stored as JSON, the flag left out");

    // The same session written again by the crate's store, as an older version of the server did.
    let cookie = c.cookies.lock().unwrap()[infra_dojo::auth::SESSION_COOKIE].clone();
    let id: tower_sessions::session::Id = cookie.parse().unwrap();
    let ours = infra_dojo::web::session_store::Store::new(app.state.db.clone(), "user_id");
    let mut record = ours.load(&id).await.unwrap().expect("the session");
    assert_eq!(
        record
            .data
            .remove(infra_dojo::web::session_store::ACCOUNT_EXISTS),
        Some(serde_json::Value::Bool(true))
    );
    tower_sessions_sqlx_store::SqliteStore::new(app.state.db.as_sqlite().unwrap().clone())
        .save(&record)
        .await
        .unwrap();
    let (blobs,): (i64,) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select count(*) from tower_sessions where typeof(data) = 'blob'")
            .fetch_one(pool)
            .await)
            .unwrap();
    assert_eq!(blobs, 1);
    let me = c.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("mia"), "still signed in");

    let mia = app.user_id("mia").await;
    infra_dojo::store::account::delete_account(&app.state.db, mia)
        .await
        .unwrap();
    let topic = c.get("/topics/tcp").await;
    assert_eq!(topic.status, StatusCode::OK);
    assert!(!topic.body.contains("mia"), "the header names nobody");
    assert_eq!(session_rows(&app).await, 0, "the session is deleted");
}

#[tokio::test]
async fn the_password_to_delete_an_account_is_throttled_like_a_login_and_then_forgotten() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("yuki").await;
    let csrf = c.csrf("/me/delete").await;
    let delete = |password: &'static str| {
        let csrf = csrf.clone();
        let c = &c;
        async move {
            c.post_form(
                "/me/delete",
                &[("csrf", &csrf), ("password", password), ("confirm", "yes")],
            )
            .await
        }
    };
    // Five wrong guesses are told the password is wrong…
    for _ in 0..5 {
        let r = delete("not my password").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("パスワードが違います"));
    }
    // …then the next waits, right password or not, and the account stays.
    for password in ["still guessing", common::PASSWORD] {
        let r = delete(password).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.header("retry-after").is_some());
        assert!(r.body.contains("待って"), "{}", r.body);
        assert!(app.user_id("yuki").await > 0);
    }
    // The same lanes as the login form: logging in as them from here waits too.
    let other = app.client();
    let login = other.log_in("yuki", common::PASSWORD).await;
    assert_eq!(login.status, StatusCode::TOO_MANY_REQUESTS);

    // Once the wait is over, the right password deletes the account and its lanes go with it.
    app.time_passes("login-pair", 60_000).await;
    let done = delete(common::PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (lanes,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select count(*) from throttle where key like '%yuki'")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(lanes, 0, "no lane keeps the name");
    // A newcomer may take the name and log in at once.
    let newcomer = app.client();
    assert_eq!(newcomer.sign_up("yuki").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_review_question_is_not_a_quiz_and_a_quiz_is_not_a_review() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("xena").await;
    // Everything wrong: every question is due for review at once.
    let page = c.get("/topics/tcp/quiz").await;
    let form = common::quiz_form(&app, &page);
    let ids: Vec<&str> = form.question_ids.iter().map(String::as_str).collect();
    let wrong = common::answer_quiz(&app, &page, &ids);
    assert_eq!(
        c.post_pairs("/topics/tcp/quiz", &wrong).await.status,
        StatusCode::SEE_OTHER
    );
    let attempts = app.count("attempt").await;

    // The review loop's form, answered right, posted to the quiz and to its check: refused.
    let review = c.get("/me/review").await;
    let token = review.attrs("form[data-review] input[name=token]", "value")[0].clone();
    let csrf = review.attrs("form[data-review] input[name=csrf]", "value")[0].clone();
    let sealed = app
        .state
        .quiz_forms
        .open(infra_dojo::quiz::form::Purpose::Review, &token)
        .unwrap();
    let content = app.state.content();
    let q = content
        .quizzes
        .question(&sealed.question_ids[0])
        .unwrap()
        .clone();
    let mut pairs = vec![("csrf".to_string(), csrf), ("token".to_string(), token)];
    pairs.extend(common::response_fields(
        &sealed,
        &q,
        &common::answer(&q, sealed.seed(), true),
    ));
    for uri in [
        format!("/topics/{}/quiz", q.topic),
        format!("/topics/{}/quiz/check", q.topic),
    ] {
        let mut with_q = pairs.clone();
        if uri.ends_with("check") {
            with_q.push(("q".to_string(), q.id.clone()));
        }
        let r = c.post_pairs(&uri, &with_q).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        assert!(r.body.contains("一致しません"), "{}", r.body);
    }
    assert_eq!(app.count("attempt").await, attempts, "nothing stored");
    // It is still good where it was issued.
    assert_eq!(
        c.post_pairs("/me/review", &pairs).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("attempt").await, attempts + 1);

    // A one-question quiz (the retry link's form), posted to the review loop: refused.
    let one = c
        .get(&format!("/topics/tcp/quiz?only={}", form.question_ids[0]))
        .await;
    let answered = common::answer_quiz(&app, &one, &[]);
    let r = c.post_pairs("/me/review", &answered).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(app.count("attempt").await, attempts + 1, "nothing stored");
}
