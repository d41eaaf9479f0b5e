//! Guards the quiz flow in a real browser: sign up, take the TCP quiz by clicking (the ordering question
//! by keyboard, with the ↑/↓ buttons), see the graded feedback, and find the attempt on /me after a reload.

use crate::support::{Browser, keys, type_into};
use fantoccini::Locator;
use infra_dojo::quiz::bank::Kind;
use infra_dojo::quiz::present::question_seed;

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_take_the_tcp_quiz_and_find_it_on_me() {
    let b = Browser::start().await;
    b.open("/signup?next=/me").await;
    for (field, value) in [
        ("#name", "ayumi"),
        ("#display_name", "あゆみ"),
        ("#password", "correct horse battery"),
    ] {
        b.client
            .find(Locator::Css(field))
            .await
            .expect(field)
            .send_keys(value)
            .await
            .expect("type");
    }
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/me").await;
    assert_eq!(b.text("h1").await, "あゆみ の学習状況");

    b.open("/topics/tcp").await;
    b.click(".quiz-link a").await;
    b.wait_for_path("/topics/tcp/quiz").await;
    // The page carries only opaque option tokens; the test reads them the way the server does, by
    // opening the sealed form with the app's key.
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
        .expect("the page's form");
    let seed = form.seed();
    let ids: Vec<String> = b
        .eval(
            "return [...document.querySelectorAll('[data-question]')].map(q => q.dataset.question)",
        )
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let bank = b.app().state.content();
    for id in &ids {
        let q = bank.quizzes.question(id).unwrap();
        let scope = format!("[data-question='{id}']");
        // The answer field of a numeric, text or generated question.
        let field = format!("{scope} input[type=text]");
        match &q.kind {
            Kind::Single { options } | Kind::Multiple { options } => {
                for (i, _) in options.iter().enumerate().filter(|(_, o)| o.correct) {
                    let token = form.choice_token(id, i);
                    b.click(&format!("{scope} input[value='{token}']")).await;
                }
            }
            Kind::Order { items, .. } => {
                // Move each item up into place with the keyboard: focus its ↑ button, press Enter.
                // (The shuffle may already show the right order: then nothing moves.)
                let mut moved = false;
                for target in 0..items.len() {
                    let item = form.choice_token(id, target);
                    loop {
                        let position = b.eval(&format!(
                            "return [...document.querySelectorAll(\"{scope} .order-item\")].findIndex(li => li.dataset.item === '{item}')"
                        )).await.as_i64().unwrap() as usize;
                        if position == target {
                            break;
                        }
                        let up = b
                            .client
                            .find(Locator::Css(&format!(
                                "{scope} .order-item[data-item='{item}'] [data-move=up]"
                            )))
                            .await
                            .expect("up button");
                        up.send_keys(keys::ENTER).await.expect("press");
                        moved = true;
                    }
                }
                if moved {
                    let live = b.text(&format!("{scope} [data-order-live]")).await;
                    assert!(
                        live.contains("番目に移動しました"),
                        "moves are announced: {live}"
                    );
                } else {
                    // Already right as shown: it is an answer only once the learner says so.
                    b.click(&format!("{scope} [data-order-accept]")).await;
                }
                assert!(
                    b.text(&format!("{scope} .order-status"))
                        .await
                        .starts_with("回答済み"),
                    "the ordering counts as answered"
                );
            }
            Kind::Numeric { answer, .. } => type_into(&b, &field, &answer.to_string()).await,
            Kind::Text { answers, .. } => type_into(&b, &field, &answers[0]).await,
            Kind::Generated { generator } => {
                let answer = generator.instance(question_seed(seed, id)).answer;
                type_into(&b, &field, &answer.to_string()).await
            }
        }
    }
    b.click("form[data-quiz] button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css(".score"))
        .await
        .expect("results");
    assert!(b.path().await.starts_with("/attempts/"));
    assert_eq!(
        b.text(".score strong").await,
        format!("{0} / {0} 点", ids.len())
    );
    assert!(
        b.text(".score")
            .await
            .contains(&format!("完全正解 {} 問", ids.len())),
        "{}",
        b.text(".score").await
    );
    assert_eq!(b.count(".result-item.is-correct").await, ids.len());
    let times: i64 = infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as::<_, (i64,)>("select count(*) from answer where time_ms > 0")
        .fetch_one(pool)
        .await)
        .unwrap()
        .0;
    assert!(times > 0, "time per question was measured");
    b.screenshot("quiz-results").await;

    b.open("/me").await;
    b.client.refresh().await.expect("reload");
    let row = b.text(".progress-table tbody tr:nth-child(4)").await;
    assert!(row.starts_with("TCP") && row.contains("100%"), "{row}");
    assert_eq!(b.count(".history a").await, 1);
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}
