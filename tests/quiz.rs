//! Router tests for accounts, quizzes and progress: sign up → quiz → results → /me; the answer key never
//! in the page; one transaction per attempt and idempotent resubmits; CSRF; throttling; open redirects;
//! authorization; bad input that changes nothing; guests keeping their work; review and reset.

mod common;

use axum::http::StatusCode;
use common::{Client, Reply, TestApp};
use infra_dojo::quiz::bank::Kind;

/// Form fields as (name, value) pairs.
type Pairs = Vec<(String, String)>;

/// The form fields of a quiz page, answered right (or wrong where `wrong` names the question).
fn answer_all(app: &TestApp, page: &Reply, wrong: &[&str]) -> Pairs {
    common::answer_quiz(app, page, wrong)
}

async fn submit(client: &Client<'_>, slug: &str, pairs: &[(String, String)]) -> Reply {
    client
        .post_pairs(&format!("/topics/{slug}/quiz"), pairs)
        .await
}

#[tokio::test]
async fn sign_up_take_the_tcp_quiz_see_results_and_progress() {
    let app = common::app().await;
    let c = app.client();
    let signed = c.sign_up("alice").await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.header("location"), Some("/me"));
    assert!(signed.header("set-cookie").unwrap().contains("HttpOnly"));
    assert!(
        signed
            .header("set-cookie")
            .unwrap()
            .contains("SameSite=Lax")
    );

    let page = c.get("/topics/tcp/quiz").await;
    assert_eq!(page.status, StatusCode::OK);
    let n = app.state.content().quizzes.topic("tcp").len();
    assert_eq!(page.texts(".question").len(), n);
    let first_wrong = app.state.content().quizzes.topic("tcp")[0].id.clone();
    let pairs = answer_all(&app, &page, &[first_wrong.as_str()]);
    let done = submit(&c, "tcp", &pairs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let results_url = done.header("location").unwrap().to_string();
    assert!(results_url.starts_with("/attempts/"));

    let results = c.get(&results_url).await;
    assert_eq!(results.status, StatusCode::OK);
    assert_eq!(
        results.texts(".score strong"),
        vec![format!("{} / {n} 点", n - 1)]
    );
    assert_eq!(results.texts(".result-item.is-wrong").len(), 1);
    // Every question shows its explanation and source after grading; the wrong one says why.
    assert_eq!(results.texts(".result-item .source").len(), n);
    assert!(!results.texts(".is-wrong .result-detail dd").is_empty());
    let retry = results.attrs(".actions a.primary", "href");
    assert_eq!(retry, vec![format!("/topics/tcp/quiz?only={first_wrong}")]);
    let retry_page = c.get(&retry[0]).await;
    assert_eq!(retry_page.texts(".question").len(), 1);

    let me = c.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.texts(".account a"),
        vec!["alice さん のページ"],
        "the header knows who is signed in"
    );
    assert!(
        app.get("/")
            .await
            .texts(".account a")
            .contains(&"ログイン".to_string())
    );
    // Topic pages are pre-rendered for readers who are not signed in; a signed-in reader never gets one.
    assert_eq!(
        c.get("/topics/tcp").await.texts(".account a"),
        vec!["alice さん のページ"]
    );
    assert!(
        app.get("/topics/tcp")
            .await
            .texts(".account a")
            .contains(&"ログイン".to_string())
    );

    let tcp_row = me
        .texts(".progress-table tbody tr")
        .into_iter()
        .find(|r| r.starts_with("TCP"))
        .unwrap();
    assert!(
        tcp_row.contains(&format!("{}%", (100 * (n - 1) + n / 2) / n)),
        "{tcp_row}"
    );
    assert_eq!(me.attrs(".history a", "href"), vec![results_url.clone()]);
    // The missed question is due for review at once.
    let review = c.get("/me/review").await;
    assert_eq!(review.texts("[data-due-now]"), vec!["1"]);
    assert_eq!(review.texts("form[data-review] .question").len(), 1);
    assert!(
        c.get("/")
            .await
            .texts(".notice a")
            .iter()
            .any(|t| t.contains("1 問"))
    );
}

#[tokio::test]
async fn the_quiz_page_never_contains_the_answer_key() {
    let app = common::app().await;
    for topic in &app.state.content().course.topics {
        let page = app.get(&format!("/topics/{}/quiz", topic.slug)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", topic.slug);
        for q in app.state.content().quizzes.topic(&topic.slug) {
            assert!(
                !page.body.contains(&q.explanation),
                "{}: explanation leaked",
                q.id
            );
            if let Kind::Single { options } | Kind::Multiple { options } = &q.kind {
                for o in options.iter().filter(|o| !o.correct) {
                    assert!(
                        !page.body.contains(o.why.as_deref().unwrap()),
                        "{}: why leaked",
                        q.id
                    );
                }
            }
        }
        assert!(!page.body.contains("correct"), "{}", topic.slug);
    }
}

/// The blind attack that used to score 50/51 single-choice and 13/13 ordering questions: option values
/// were bank indices (the right option is usually first) and items were posted by bank index.
#[tokio::test]
async fn options_are_opaque_per_attempt_tokens_and_bank_order_shows_nowhere() {
    let app = common::app().await;
    // Where each single-choice question's right option appeared, over several page loads.
    let mut right_at: std::collections::HashMap<String, std::collections::HashSet<usize>> =
        Default::default();
    let mut seen_tokens = std::collections::HashSet::new();
    let content = app.state.content();
    for round in 0..16 {
        for topic in &content.course.topics {
            let page = app.get(&format!("/topics/{}/quiz", topic.slug)).await;
            let form = common::quiz_form(&app, &page);
            for id in &form.question_ids {
                let q = content.quizzes.question(id).unwrap();
                let values = page.attrs(
                    &format!("[data-question='{id}'] input[name='a.{id}'][value]"),
                    "value",
                );
                let items = page.attrs(&format!("[data-question='{id}'] [data-item]"), "data-item");
                for token in values.iter().chain(&items) {
                    assert!(
                        token.len() == 12 && token.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{id}: {token:?} is not an opaque token"
                    );
                    assert!(
                        seen_tokens.insert(token.clone()),
                        "{token} reused across attempts"
                    );
                }
                if let Kind::Single { options } = &q.kind {
                    if round == 0 {
                        assert_eq!(values.len(), options.len(), "{id}");
                    }
                    let right = options.iter().position(|o| o.correct).unwrap();
                    let shown_at = values
                        .iter()
                        .position(|v| *v == form.choice_token(id, right))
                        .unwrap();
                    right_at.entry(id.clone()).or_default().insert(shown_at);
                }
            }
            if round == 0 {
                // The old blind answer: "0" for every option, bank positions for every order.
                let mut blind = vec![
                    (
                        "csrf".to_string(),
                        page.attrs("input[name=csrf]", "value")[0].clone(),
                    ),
                    (
                        "token".to_string(),
                        page.attrs("input[name=token]", "value")[0].clone(),
                    ),
                ];
                for id in &form.question_ids {
                    match &app.state.content().quizzes.question(id).unwrap().kind {
                        Kind::Order { items, .. } => blind.extend(
                            (0..items.len()).map(|i| (format!("o.{id}.{i}"), (i + 1).to_string())),
                        ),
                        _ => blind.push((format!("a.{id}"), "0".to_string())),
                    }
                }
                let c = app.client();
                c.get(&format!("/topics/{}/quiz", topic.slug)).await;
                let mut refs = blind.clone();
                refs[0].1 = c.csrf(&format!("/topics/{}/quiz", topic.slug)).await;
                let res = submit(&c, &topic.slug, &refs).await;
                assert_eq!(
                    res.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{}",
                    topic.slug
                );
            }
        }
    }
    for (id, positions) in &right_at {
        assert!(
            positions.len() > 1,
            "{id}: the right option was always shown at {positions:?}"
        );
    }
    assert_eq!(
        app.count("attempt").await,
        0,
        "the blind posts stored nothing"
    );
}

/// What the server chose for an attempt — its seed, its questions, each once — cannot be changed by the
/// post: each tampering is refused with a Japanese 4xx and stores nothing.
#[tokio::test]
async fn a_post_cannot_choose_the_seed_or_the_questions() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("mallory").await;
    let page = c.get("/topics/tcp/quiz").await;
    let good = answer_all(&app, &page, &[]);
    let form = common::quiz_form(&app, &page);
    let first = form
        .question_ids
        .iter()
        .find(|id| {
            app.state
                .content()
                .quizzes
                .question(id)
                .unwrap()
                .kind
                .name()
                == "single"
        })
        .unwrap()
        .clone();
    let sealed = form.sealed();
    let (payload, mac) = sealed.rsplit_once('.').unwrap();
    let with = |f: &dyn Fn(&mut Pairs)| {
        let mut p = good.clone();
        f(&mut p);
        p
    };
    let repeated_ids = format!("{first},{first},{first}");
    let ftp_page = c.get("/topics/ftp/quiz").await;
    let ftp_question = common::quiz_form(&app, &ftp_page).question_ids[0].clone();
    let cases: Vec<(&str, Pairs, StatusCode)> = vec![
        (
            "a chosen seed",
            with(&|p| p.push(("seed".into(), "0".into()))),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a question list",
            with(&|p| p.push(("q".into(), repeated_ids.clone()))),
            StatusCode::BAD_REQUEST,
        ),
        (
            "the same question 60 times",
            with(&|p| {
                let answer = p
                    .iter()
                    .find(|(k, _)| *k == format!("a.{first}"))
                    .unwrap()
                    .clone();
                p.extend(std::iter::repeat_n(answer, 59));
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "another topic's question",
            with(&|p| p.push((format!("a.{ftp_question}"), "1".into()))),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a token whose question list was edited",
            with(&|p| {
                let mut parts: Vec<String> = payload.split('.').map(str::to_string).collect();
                parts[3] = format!("{first},{}", parts[3]);
                let forged = parts.join(".");
                assert_ne!(forged, payload);
                p.iter_mut()
                    .filter(|(k, _)| k == "token")
                    .for_each(|(_, v)| *v = format!("{forged}.{mac}"));
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "another topic's form",
            with(&|p| {
                let ftp_token = ftp_page.attrs("input[name=token]", "value")[0].clone();
                p.iter_mut()
                    .filter(|(k, _)| k == "token")
                    .for_each(|(_, v)| *v = ftp_token.clone());
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a second token",
            with(&|p| p.push(("token".into(), sealed.clone()))),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, pairs, status) in cases {
        let res = submit(&c, "tcp", &pairs).await;
        let message = res.texts("main p").concat();
        assert_eq!(res.status, status, "{what}: {message}");
        assert!(
            message.contains("クイズ") || message.contains("問題"),
            "{what}: {message}"
        );
        assert_eq!(app.count("attempt").await, 0, "{what}: nothing stored");
        assert_eq!(app.count("question_progress").await, 0, "{what}");
    }
    // The untouched form is still accepted, with the server's own seed.
    let res = submit(&c, "tcp", &good).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (seed, token): (i64, String) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select seed, token from attempt")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(seed as u64, form.seed());
    assert_eq!(token, form.token());
}

#[tokio::test]
async fn the_same_form_submitted_twice_is_recorded_once() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("bob").await;
    let page = c.get("/topics/ftp/quiz").await;
    let pairs = answer_all(&app, &page, &[]);
    let first = submit(&c, "ftp", &pairs).await;
    let second = submit(&c, "ftp", &pairs).await;
    assert_eq!(first.header("location"), second.header("location"));
    assert_eq!(app.count("attempt").await, 1);
    assert_eq!(
        app.count("answer").await,
        app.state.content().quizzes.topic("ftp").len() as i64
    );
    let (seen,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select max(seen) from question_progress")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(seen, 1, "progress counted once");
}

#[tokio::test]
async fn csrf_is_required_on_every_state_changing_form() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("carol").await;
    let page = c.get("/topics/tcp/quiz").await;
    let mut pairs = answer_all(&app, &page, &[]);
    pairs.retain(|(k, _)| k != "csrf");
    pairs.push(("csrf".into(), "0".repeat(32)));
    let res = submit(&c, "tcp", &pairs).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.texts("main p").concat().contains("再読み込み"));
    for (uri, fields) in [
        ("/logout", vec![]),
        ("/me/topics/tcp/reset", vec![]),
        (
            "/login",
            vec![("name", "carol"), ("password", "correct horse battery")],
        ),
        (
            "/signup",
            vec![
                ("name", "mallory"),
                ("display_name", "m"),
                ("password", "correct horse battery"),
            ],
        ),
    ] {
        assert_eq!(
            c.post_form(uri, &fields).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    assert_eq!(app.count("attempt").await, 0);
    assert_eq!(
        app.count("app_user").await,
        1,
        "no account made without the token"
    );
    // Still signed in: the forged logout did nothing.
    assert_eq!(c.get("/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_quiz_submissions_get_a_clear_message_and_change_nothing() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("dave").await;
    let page = c.get("/topics/tcp/quiz").await;
    let good = answer_all(&app, &page, &[]);
    let single = app
        .state
        .content()
        .quizzes
        .topic("tcp")
        .iter()
        .find(|q| q.kind.name() == "single")
        .unwrap()
        .id
        .clone();
    let order = app
        .state
        .content()
        .quizzes
        .topic("tcp")
        .iter()
        .find(|q| q.kind.name() == "order")
        .unwrap()
        .id
        .clone();
    let with = |f: &dyn Fn(&mut Pairs)| {
        let mut p = good.clone();
        f(&mut p);
        p
    };
    let cases: Vec<(Pairs, StatusCode, &str)> = vec![
        (
            with(&|p| {
                p.iter_mut()
                    .filter(|(k, _)| *k == format!("a.{single}"))
                    .for_each(|(_, v)| *v = "99".into())
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "選択肢",
        ),
        (
            with(&|p| {
                p.iter_mut()
                    .filter(|(k, _)| k.starts_with(&format!("o.{order}.")))
                    .for_each(|(_, v)| *v = "1".into())
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "並べ替え",
        ),
        (
            with(&|p| p.push(("a.no-such-question".into(), "1".into()))),
            StatusCode::BAD_REQUEST,
            "a.no-such-question",
        ),
        (
            with(&|p| p.retain(|(k, _)| k != "token")),
            StatusCode::BAD_REQUEST,
            "識別子",
        ),
        (
            with(&|p| {
                p.iter_mut()
                    .filter(|(k, _)| k == "token")
                    .for_each(|(_, v)| *v = "0123".into())
            }),
            StatusCode::BAD_REQUEST,
            "一致しません",
        ),
        (
            with(&|p| p.push((format!("a.{single}"), "x".repeat(300)))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "長すぎ",
        ),
    ];
    for (pairs, status, needle) in cases {
        let res = submit(&c, "tcp", &pairs).await;
        assert_eq!(
            res.status,
            status,
            "expected {needle}: {}",
            res.texts("main p").concat()
        );
        assert!(
            res.texts("main p").concat().contains(needle),
            "{needle}: {}",
            res.texts("main p").concat()
        );
    }
    let huge = c
        .post_form(
            "/topics/tcp/quiz",
            &[("csrf", "x"), ("pad", &"a".repeat(70 * 1024))],
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(huge.body.contains("大きすぎ"));
    assert_eq!(
        c.post_form("/topics/nope/quiz", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("attempt").await, 0, "nothing was written");
    assert_eq!(app.count("question_progress").await, 0);
}

#[tokio::test]
async fn logins_are_throttled_with_one_message_for_both_mistakes() {
    let app = common::app().await;
    let setup = app.client();
    setup.sign_up("erin").await;
    let c = app.client();
    let csrf = c.csrf("/login").await;
    let unknown = c
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "nobody"),
                ("password", "whatever12345"),
            ],
        )
        .await;
    let wrong = c
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "erin"),
                ("password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.texts("[role=alert]"), wrong.texts("[role=alert]"));
    for _ in 0..4 {
        c.post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "erin"),
                ("password", "wrong password"),
            ],
        )
        .await;
    }
    let blocked = c
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "erin"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.texts("[role=alert]").concat().contains("しばらく"));
    assert_eq!(
        c.get("/me").await.status,
        StatusCode::SEE_OTHER,
        "not signed in"
    );
}

#[tokio::test]
async fn next_only_leads_back_into_the_site() {
    let app = common::app().await;
    app.client().sign_up("frank").await;
    for (next, expected) in [
        ("/topics/tcp", "/topics/tcp"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
    ] {
        let c = app.client();
        let csrf = c.csrf("/login").await;
        let res = c
            .post_form(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("name", "frank"),
                    ("password", "correct horse battery"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(res.header("location"), Some(expected), "{next}");
    }
}

#[tokio::test]
async fn pages_that_need_an_account_send_visitors_to_log_in_and_back() {
    let app = common::app().await;
    for (uri, next) in [
        ("/me", "/me"),
        ("/me/review", "/me/review"),
        ("/me/topics/tcp/reset", "/me/topics/tcp/reset"),
    ] {
        let res = app.get(uri).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(
            res.header("location"),
            Some(format!("/login?next={next}").as_str())
        );
    }
    let login = app.get("/login?next=/me/review").await;
    assert_eq!(login.attrs("input[name=next]", "value"), vec!["/me/review"]);
}

#[tokio::test]
async fn a_learner_cannot_read_another_learners_attempt() {
    let app = common::app().await;
    let alice = app.client();
    alice.sign_up("alice").await;
    let page = alice.get("/topics/tcp/quiz").await;
    let url = submit(&alice, "tcp", &answer_all(&app, &page, &[]))
        .await
        .header("location")
        .unwrap()
        .to_string();
    assert_eq!(alice.get(&url).await.status, StatusCode::OK);
    let bob = app.client();
    bob.sign_up("bob").await;
    assert_eq!(bob.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&url).await.status,
        StatusCode::NOT_FOUND,
        "nor can a visitor"
    );
    assert_eq!(bob.get("/attempts/abc").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_guest_is_graded_and_keeps_the_work_on_sign_up_or_log_in() {
    let app = common::app().await;
    let guest = app.client();
    let page = guest.get("/topics/signals/quiz").await;
    let done = submit(&guest, "signals", &answer_all(&app, &page, &[])).await;
    let url = done.header("location").unwrap().to_string();
    let results = guest.get(&url).await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(
        results
            .attrs(".notice a", "href")
            .iter()
            .any(|h| h.starts_with("/signup")),
        "offered to sign up"
    );
    guest.sign_up("grace").await;
    let me = guest.get("/me").await;
    assert_eq!(
        me.attrs(".history a", "href"),
        vec![url.clone()],
        "the guest's attempt is now grace's"
    );
    assert_eq!(
        app.count("app_user").await,
        1,
        "the guest row became the account"
    );

    // A guest who logs in to an existing account brings their work along too.
    let again = app.client();
    let page = again.get("/topics/ipc/quiz").await;
    submit(&again, "ipc", &answer_all(&app, &page, &[])).await;
    let csrf = again.csrf("/login").await;
    again
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "grace"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(again.get("/me").await.attrs(".history a", "href").len(), 2);
    assert_eq!(
        app.count("app_user").await,
        1,
        "the second guest was merged and removed"
    );
}

#[tokio::test]
async fn resetting_a_topic_clears_its_progress_but_keeps_history() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("heidi").await;
    let page = c.get("/topics/thread/quiz").await;
    submit(&c, "thread", &answer_all(&app, &page, &[])).await;
    let confirm = c.get("/me/topics/thread/reset").await;
    assert_eq!(confirm.status, StatusCode::OK);
    let csrf = confirm.attrs("form input[name=csrf]", "value")[0].clone();
    let done = c
        .post_form("/me/topics/thread/reset", &[("csrf", &csrf)])
        .await;
    assert_eq!(done.header("location"), Some("/me"));
    let me = c.get("/me").await;
    let row = me
        .texts(".progress-table tbody tr")
        .into_iter()
        .find(|r| r.starts_with("スレッド"))
        .unwrap();
    // Back to not started: 未着手, not 0 / N (0%).
    assert!(row.contains("未着手") && row.contains("—"), "{row}");
    assert_eq!(me.attrs(".history a", "href").len(), 1);
}

#[tokio::test]
async fn widget_predictions_are_stored_for_signed_in_learners_only() {
    let app = common::app().await;
    let body = serde_json::json!({"scenario": "normal", "seed": 0, "step": 1, "field": "ack", "answer": "3141592653"});
    let guest = app.client();
    assert_eq!(
        guest
            .post_json("/api/widgets/handshake/check", &body)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.count("widget_answer").await, 0);
    let c = app.client();
    c.sign_up("ivan").await;
    let res = c.post_json("/api/widgets/handshake/check", &body).await;
    assert!(res.body.contains("\"correct\":false"));
    let (step, correct): (i64, bool) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select step, correct <> 0 from widget_answer")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!((step, correct), (1, false));
}

#[tokio::test]
async fn signup_validates_and_refuses_a_taken_name() {
    let app = common::app().await;
    app.client().sign_up("judy").await;
    let c = app.client();
    let csrf = c.csrf("/signup").await;
    let short = c
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", "J!"),
                ("display_name", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.texts(".form-errors li").len(), 3);
    let taken = c
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", "judy"),
                ("display_name", "J"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(
        taken
            .texts(".form-errors")
            .concat()
            .contains("すでに使われて")
    );
    let (hash,): (String,) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select password_hash from app_user where name = 'judy'")
            .fetch_one(pool)
            .await)
            .unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

/// Reading and opening forms stores nothing: a session row (14 days) is made only when there is
/// something to keep. The CSRF token lives in a cookie of its own, and still stops a forged form.
#[tokio::test]
async fn anonymous_visits_to_form_pages_store_no_session() {
    let app = common::app().await;
    let c = app.client();
    for path in [
        "/",
        "/topics/tcp",
        "/login",
        "/signup",
        "/topics/tcp/quiz",
        "/search?q=syn",
    ] {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
    }
    assert_eq!(app.count("tower_sessions").await, 0, "no session rows");
    let jar = c.cookie_header().unwrap();
    assert!(
        jar.starts_with("dojo_csrf=") && !jar.contains("dojo_session"),
        "{jar}"
    );
    // The token in the forms is the cookie's, the same on every page.
    let token = c.csrf("/login").await;
    assert_eq!(c.csrf("/topics/tcp/quiz").await, token);
    assert_eq!(jar, format!("dojo_csrf={token}"));

    // A form from another site: the browser sends the cookie, but the attacker cannot know the token.
    let forged = c
        .post_form(
            "/login",
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("name", "x"),
                ("password", "y"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A stranger's token does not fit this visitor's cookie either.
    let stranger = app.client();
    let theirs = stranger.csrf("/login").await;
    assert_ne!(theirs, token);
    let res = c
        .post_form(
            "/login",
            &[("csrf", &theirs), ("name", "x"), ("password", "y")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("tower_sessions").await, 0);

    // Answering a quiz is something to keep: now there is a session (for the guest's answers).
    let page = c.get("/topics/tcp/quiz").await;
    let res = submit(&c, "tcp", &answer_all(&app, &page, &[])).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(app.count("tower_sessions").await, 1);
    // Signing up renews the CSRF token: the old one no longer works.
    c.sign_up("newcomer").await;
    assert_ne!(c.csrf("/me").await, token);
    let res = c.post_form("/logout", &[("csrf", &token)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

/// Personal pages are never kept by a browser or a shared cache; pages every anonymous reader shares may
/// be, but must be asked for again.
#[tokio::test]
async fn personal_pages_are_no_store() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("carol").await;
    let page = c.get("/topics/tcp/quiz").await;
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let res = submit(&c, "tcp", &answer_all(&app, &page, &[])).await;
    let results = res.header("location").unwrap().to_string();
    for path in [
        results.as_str(),
        "/me",
        "/me/review",
        "/topics/tcp",
        "/",
        "/login",
        "/signup",
    ] {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert_eq!(res.header("cache-control"), Some("no-store"), "{path}");
    }
    let anonymous = app.get("/topics/tcp").await;
    assert_eq!(anonymous.header("cache-control"), Some("no-cache"));
    // One copy per coding, and never handed to a signed-in reader.
    assert_eq!(anonymous.header("vary"), Some("Cookie, Accept-Encoding"));
    assert_eq!(
        anonymous.header("strict-transport-security"),
        None,
        "not over HTTPS"
    );
}

/// With `--secure-cookies` (behind HTTPS): `__Host-` cookies, Secure, and HSTS.
#[tokio::test]
async fn behind_https_cookies_are_host_prefixed_and_hsts_is_sent() {
    let app = common::secure_app().await;
    let c = app.client();
    let res = c.get("/signup").await;
    assert_eq!(
        res.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let set = res.header("set-cookie").unwrap().to_string();
    assert!(set.starts_with("__Host-dojo_csrf="), "{set}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{attribute}: {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let res = c.sign_up("dora").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let cookies: Vec<String> = res
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.contains("dojo_session"))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(session.starts_with("__Host-dojo_session="), "{session}");
    assert!(
        session.contains("Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    assert_eq!(c.get("/me").await.status, StatusCode::OK, "signed in");
}
