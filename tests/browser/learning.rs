//! Guards the learning loop in a real browser (issue 15): on the quiz, an empty submit is stopped by a
//! summary, an untouched ordering is unanswered until moved or accepted ("この順番で答える"), "確認" shows one
//! question's feedback at once and locks it, "1 問ずつ" shows one question at a time, and "未回答のまま採点
//! する" grades the rest as unanswered; the same quiz without JavaScript (server's summary, selects for
//! the ordering); the review loop on a phone in the dark theme; a learner's data page, download and
//! account deletion; the instructor's retention view. Screenshots in light, dark and phone sizes.

use crate::support::{Browser, Options, PHONE, sideways_scroll, tap, type_into, wait_for};
use serde_json::json;

/// Signs up through the form and lands on /me.
async fn sign_up(b: &Browser, name: &str) {
    b.open("/signup?next=/me").await;
    type_into(b, "#name", name).await;
    type_into(b, "#display_name", &format!("{name} さん")).await;
    type_into(b, "#password", "correct horse battery").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/me").await;
}

/// Switches the site to its dark theme (a cookie, kept for the session).
async fn dark(b: &Browser) {
    b.open("/").await;
    if b.eval("return getComputedStyle(document.documentElement).colorScheme")
        .await
        != "dark"
    {
        b.click("[data-theme-toggle]").await;
    }
}

/// The CSS selector of the first question of `kind` on the page.
async fn first_of(b: &Browser, kind: &str) -> String {
    let id = b
        .eval(&format!(
            "return document.querySelector('[data-question][data-kind={kind}]').dataset.number"
        ))
        .await;
    format!("[data-question][data-number='{}']", id.as_str().unwrap())
}

/// Scrolls `css` to the middle of the window, for a screenshot.
async fn show(b: &Browser, css: &str) {
    b.eval(&format!(
        "document.querySelector(\"{css}\").scrollIntoView({{block: 'center'}}); return 1"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn quiz_check_one_at_a_time_and_the_unanswered_summary() {
    let b = Browser::start().await;
    sign_up(&b, "kaito").await;
    b.open("/topics/tcp/quiz").await;
    wait_for(
        &b,
        "document.querySelector('.check-button')",
        "the quiz script",
    )
    .await;
    let total = b.count("[data-question]").await;

    // Nothing answered: the summary stops the post and offers no "grade it anyway".
    tap(&b, ".quiz-submit button[type=submit]").await;
    wait_for(
        &b,
        "document.querySelector('.unanswered-summary:not([hidden])')",
        "the summary",
    )
    .await;
    assert_eq!(
        b.text(".unanswered-summary h2").await,
        "まだ 1 問も答えていません"
    );
    assert_eq!(
        b.count(".unanswered-summary [data-unanswered=submit]")
            .await,
        0
    );
    assert_eq!(b.path().await, "/topics/tcp/quiz", "nothing was sent");
    tap(&b, ".unanswered-summary [data-unanswered=back]").await;

    // An ordering is unanswered until moved or accepted; accepting sets 1…n in the order shown.
    let order = first_of(&b, "order").await;
    assert!(
        b.text(&format!("{order} .order-status"))
            .await
            .starts_with("未回答")
    );
    let positions =
        format!("return [...document.querySelectorAll(\"{order} select\")].map(s => s.value)");
    let n = b.count(&format!("{order} select")).await;
    assert_eq!(b.eval(&positions).await, json!(vec![""; n]));
    tap(&b, &format!("{order} [data-order-accept]")).await;
    assert!(
        b.text(&format!("{order} .order-status"))
            .await
            .starts_with("回答済み")
    );
    let expected: Vec<String> = (1..=n).map(|k| k.to_string()).collect();
    assert_eq!(b.eval(&positions).await, json!(expected));
    assert_eq!(
        b.count(&format!("{order} [data-order-accept]:not([hidden])"))
            .await,
        0
    );

    // 確認: that question's feedback at once, from the server; its answer is then locked.
    tap(&b, &format!("{order} .check-button")).await;
    wait_for(
        &b,
        &format!("document.querySelector(\"{order} .check-feedback:not([hidden])\")"),
        "the ordering's feedback",
    )
    .await;
    let feedback = b.text(&format!("{order} .check-feedback")).await;
    assert!(
        feedback.contains("あなたの答え") && feedback.contains("解説"),
        "{feedback}"
    );
    assert!(
        feedback.contains("得点"),
        "partial credit shows its points: {feedback}"
    );
    assert!(!feedback.contains("null"), "{feedback}");
    assert_eq!(
        b.count(&format!("{order} [data-move]:not(:disabled)"))
            .await,
        0,
        "locked"
    );
    let kept: (i64,) = infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as("select count(*) from attempt_check")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(kept.0, 1, "the first answer is kept on the server");
    show(&b, &format!("{order} .check-feedback")).await;
    b.screenshot("learning-quiz-check").await;

    // 1 問ずつ: one question on screen; check a wrong answer and go on.
    tap(&b, ".one-toggle").await;
    let visible = "return [...document.querySelectorAll('[data-question]')].filter(q => q.offsetParent).length";
    assert_eq!(b.eval(visible).await, json!(1));
    let text = first_of(&b, "text").await;
    let target: usize = text
        .trim_end_matches("']")
        .rsplit('\'')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for _ in 1..target {
        tap(&b, "[data-one=next]").await;
    }
    assert_eq!(
        b.text(".one-where").await,
        format!("{total} 問中 {target} 問目")
    );
    type_into(&b, &format!("{text} input[type=text]"), "まちがい").await;
    tap(&b, &format!("{text} .check-button")).await;
    wait_for(
        &b,
        &format!("document.querySelector(\"{text} .check-feedback:not([hidden])\")"),
        "the text question's feedback",
    )
    .await;
    assert!(
        b.text(&format!("{text} .check-feedback"))
            .await
            .starts_with("✗ 不正解")
    );
    assert_eq!(b.eval(visible).await, json!(1));
    b.screenshot("learning-quiz-one-at-a-time").await;

    // The rest unanswered: listed, then graded as it is on request. (Still one at a time: a link in the
    // summary brings its question on screen.)
    tap(&b, ".quiz-submit button[type=submit]").await;
    wait_for(
        &b,
        "document.querySelector('.unanswered-summary:not([hidden])')",
        "the summary",
    )
    .await;
    let summary = b.text(".unanswered-summary").await;
    assert!(
        summary.contains(&format!("{total} 問中 {} 問に答えがありません", total - 2)),
        "{summary}"
    );
    assert_eq!(b.count(".unanswered-summary a").await, total - 2);
    assert_eq!(b.count(".question.is-unanswered").await, total - 2);
    let last = b
        .eval("const a = [...document.querySelectorAll('.unanswered-summary a')].pop(); a.click(); return a.getAttribute('href')")
        .await;
    let shown = b
        .eval("return [...document.querySelectorAll('[data-question]')].filter(q => q.offsetParent).map(q => '#' + q.id)")
        .await;
    assert_eq!(
        shown,
        json!([last]),
        "the linked question is the one on screen"
    );
    show(&b, ".unanswered-summary").await;
    b.screenshot("learning-quiz-unanswered").await;
    tap(&b, ".unanswered-summary [data-unanswered=submit]").await;
    wait_for(
        &b,
        "location.pathname.startsWith('/attempts/')",
        "the results",
    )
    .await;
    // The two checked answers count as checked: the ordering as accepted, the text one wrong.
    let answers: Vec<(String, i64)> =
        infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as("select response, credit from answer order by position")
            .fetch_all(pool)
            .await)
            .unwrap();
    assert_eq!(answers.len(), total);
    let given: Vec<&(String, i64)> = answers
        .iter()
        .filter(|(r, _)| !r.contains("\"blank\""))
        .collect();
    assert_eq!(given.len(), 2, "{answers:?}");
    assert!(
        given
            .iter()
            .any(|(r, credit)| r.contains("\"text\"") && *credit == 0),
        "the wrong text answer: {given:?}"
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quiz_submits_and_grades_without_javascript() {
    let b = Browser::start_with(Options {
        javascript: false,
        ..Options::default()
    })
    .await;
    b.open("/topics/tcp/quiz").await;
    assert_eq!(b.count(".check-button").await, 0, "確認 needs the script");
    // The ordering is numbered with selects, all "—" to start with.
    let order = first_of(&b, "order").await;
    let n = b.count(&format!("{order} select")).await;
    for k in 1..=n {
        b.click(&format!(
            "{order} li:nth-child({k}) select option[value='{k}']"
        ))
        .await;
    }
    let single = first_of(&b, "single").await;
    b.click(&format!("{single} input[type=radio]")).await;
    b.click(".quiz-submit button[type=submit]").await;
    // The server's summary: the same form back, filled in as sent, with "grade it as it is".
    b.text("[data-unanswered-summary]").await;
    let total = b.count("[data-question]").await;
    assert_eq!(b.count(".question.is-unanswered").await, total - 2);
    assert_eq!(
        b.eval(&format!(
            "return [...document.querySelectorAll(\"{order} select\")].map(s => s.value)"
        ))
        .await,
        json!((1..=n).map(|k| k.to_string()).collect::<Vec<_>>()),
        "the ordering comes back as chosen"
    );
    b.screenshot("learning-quiz-unanswered-no-js").await;
    b.click("[data-confirm-blank]").await;
    b.text(".score").await;
    assert!(b.path().await.starts_with("/attempts/"));
    assert_eq!(b.count(".result-item").await, total);
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_loop_asks_one_question_at_a_time_on_a_phone_in_the_dark() {
    let b = Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await;
    dark(&b).await;
    sign_up(&b, "mio").await;
    // One quiz, all left unanswered but one single choice answered right: everything else is due now,
    // that one in the coming days.
    b.open("/topics/tcp/quiz").await;
    wait_for(
        &b,
        "document.querySelector('.check-button')",
        "the quiz script",
    )
    .await;
    let single = first_of(&b, "single").await;
    let id = b
        .eval(&format!(
            "return document.querySelector(\"{single}\").dataset.question"
        ))
        .await
        .as_str()
        .unwrap()
        .to_string();
    let sealed = b
        .eval("return document.querySelector('form[data-quiz] input[name=token]').value")
        .await
        .as_str()
        .unwrap()
        .to_string();
    let form = b
        .app()
        .state
        .quiz_forms
        .open(infra_dojo::quiz::form::Purpose::Quiz, &sealed)
        .unwrap();
    let content = b.app().state.content();
    let infra_dojo::quiz::bank::Kind::Single { options } =
        &content.quizzes.question(&id).unwrap().kind
    else {
        panic!("a single choice")
    };
    let right = options.iter().position(|o| o.correct).unwrap();
    tap(
        &b,
        &format!("{single} input[value='{}']", form.choice_token(&id, right)),
    )
    .await;
    tap(&b, ".quiz-submit button[type=submit]").await;
    tap(&b, ".unanswered-summary [data-unanswered=submit]").await;
    wait_for(
        &b,
        "location.pathname.startsWith('/attempts/')",
        "the results",
    )
    .await;
    let total = b.count(".result-item").await;

    b.open("/me/review").await;
    assert_eq!(b.text("[data-due-now]").await, (total - 1).to_string());
    let days = b
        .eval("return [...document.querySelectorAll('[data-forecast]')].reduce((n, d) => n + Number(d.dataset.forecast), 0)")
        .await
        .as_i64()
        .unwrap();
    assert_eq!(days, 1, "the right one is in the 7-day forecast");
    assert!(b.text(".review-about").await.contains("FSRS"));
    assert_eq!(
        b.count("form[data-review] [data-question]").await,
        1,
        "one question"
    );
    assert!(
        !b.text("main").await.contains("数値が毎回変わる"),
        "generated questions are shown with their text"
    );
    b.screenshot("learning-review-phone-dark").await;
    // Sending nothing is stopped on the page.
    tap(&b, "form[data-review] button[type=submit]").await;
    wait_for(
        &b,
        "document.querySelector('.unanswered-summary:not([hidden])')",
        "the summary",
    )
    .await;
    assert_eq!(b.text(".unanswered-summary h2").await, "まだ答えていません");
    assert_eq!(b.path().await, "/me/review");
    // Answer it (wrongly if need be): its feedback at once, above the next question.
    let kind = b
        .eval("return document.querySelector('form[data-review] [data-question]').dataset.kind")
        .await;
    match kind.as_str().unwrap() {
        "single" | "multiple" => tap(&b, "form[data-review] input[name^='a.']").await,
        "order" => tap(&b, "form[data-review] [data-order-accept]").await,
        _ => type_into(&b, "form[data-review] input[type=text]", "1").await,
    }
    tap(&b, "form[data-review] button[type=submit]").await;
    wait_for(&b, "location.search.startsWith('?done=')", "the feedback").await;
    assert_eq!(b.count("[data-review-done]").await, 1);
    assert!(b.text("[data-review-done]").await.contains("解説"));
    assert_eq!(
        b.count("form[data-review] [data-question]").await,
        1,
        "the next one"
    );
    assert_eq!(sideways_scroll(&b).await, 0);
    // The forecast's labels stay readable at 360 px (12 px or more on screen).
    let label_px = b
        .eval("return document.querySelector('.forecast-chart .chart-label').getBoundingClientRect().height")
        .await
        .as_f64()
        .unwrap();
    assert!(label_px >= 12.0, "{label_px}");
    b.screenshot("learning-review-done-phone-dark").await;
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_learner_downloads_their_data_and_deletes_their_account() {
    let b = Browser::start().await;
    sign_up(&b, "sora").await;
    b.click(".data-link a").await;
    b.wait_for_path("/me/data").await;
    assert_eq!(b.text("[data-count=attempts]").await, "0");
    assert_eq!(b.count(".data-downloads a[download]").await, 7);
    // The JSON file, as the link fetches it.
    let json = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/me/data/export.json').then(r => r.json()).then(done, e => done(String(e)));",
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(json["account"]["name"], "sora");
    assert!(json["account"].get("password_hash").is_none());
    b.screenshot("learning-data").await;

    b.click("a[href='/me/delete']").await;
    b.wait_for_path("/me/delete").await;
    b.click("input[name=confirm]").await;
    type_into(&b, "#delete-password", "not the password").await;
    b.click("form button.danger").await;
    assert!(
        b.text(".form-errors")
            .await
            .contains("パスワードが違います")
    );
    b.screenshot("learning-delete-wrong").await;
    b.click("input[name=confirm]").await;
    type_into(&b, "#delete-password", "correct horse battery").await;
    b.click("form button.danger").await;
    b.wait_for_path("/me/deleted").await;
    assert!(b.text("main").await.contains("削除しました"));
    b.open("/me").await;
    assert!(b.path().await.starts_with("/login"), "signed out");
    let (left,): (i64,) = infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as("select count(*) from app_user where name = 'sora'")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(left, 0);
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_instructor_sees_what_the_class_likely_still_knows() {
    let b = Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await;
    let state = b.app().state.clone();
    let content = state.content();
    let options = infra_dojo::demo::Options {
        learners: 6,
        attempts: 6,
        ..Default::default()
    };
    let infra_dojo::demo::Outcome::Created { class_id, .. } =
        infra_dojo::demo::seed(&state.db, &content.course, &content.quizzes, &options)
            .await
            .expect("demo seed")
    else {
        panic!("a new demo class")
    };
    b.open("/login?next=/instructor").await;
    type_into(&b, "#name", infra_dojo::demo::TEACHER_NAME).await;
    type_into(&b, "#password", infra_dojo::demo::PASSWORD).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/instructor").await;
    b.open(&format!("/instructor/classes/{class_id}")).await;
    assert!(b.text("[data-credit-rule]").await.contains("満点"));
    b.click(&format!(
        "a[href='/instructor/classes/{class_id}/retention']"
    ))
    .await;
    b.wait_for_path(&format!("/instructor/classes/{class_id}/retention"))
        .await;
    assert!(b.count("tr[data-retention]").await > 0);
    for percent in b
        .eval("return [...document.querySelectorAll('tr[data-retention]')].map(r => Number(r.dataset.retention))")
        .await
        .as_array()
        .unwrap()
    {
        let p = percent.as_i64().unwrap();
        assert!((0..=100).contains(&p), "{p}");
    }
    assert_eq!(
        sideways_scroll(&b).await,
        0,
        "the table scrolls in its own box"
    );
    b.screenshot("learning-retention-phone").await;
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}
