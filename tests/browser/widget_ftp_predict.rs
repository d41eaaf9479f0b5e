//! Guards the FTP widget's predict mode on /topics/ftp ("which connection does the server open?"): it
//! stops before the data connection, asks who opens it, to which port and (with a NAT or firewall)
//! whether it arrives, shows the server's verdict with the expected answer and explanation, stores a
//! signed-in learner's answers, and works with the keyboard on a phone; while it asks, nothing ahead —
//! later steps, their replies (425…), the outcome, the tables, the number of steps — is in the page.

use crate::support::tap as click;
use crate::support::{Browser, Options, PHONE, keys, type_into, wait_for};
use crate::widget_ftp::{click_and_reload, only_unexpected, open_widget, step_counter};
use crate::widget_support::finish;
use serde_json::json;

/// Scrolls the predict box to the top, clear of the sticky site header, for a screenshot.
async fn show_predict(b: &Browser) {
    b.eval("document.querySelector('.ftp-predict').scrollIntoView({block: 'start'}); window.scrollBy(0, -70); return 1")
        .await;
}

/// Whether the predict question is on screen.
const ASKING: &str = "(() => { const f = document.querySelector('#widget-ftp .ftp-pform'); \
     return f && !f.hidden && f.offsetParent !== null; })()";

/// Waits for the verdict of the predict question to appear (its text starts with ✓ or ✗).
async fn verdict(b: &Browser) -> String {
    wait_for(
        b,
        "document.querySelector('#widget-ftp .ftp-pverdict')",
        "the predict verdict",
    )
    .await;
    b.text("#widget-ftp .ftp-pverdict").await
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_stops_before_the_data_connection_and_grades_on_the_server() {
    let b = Browser::start().await;
    // A signed-in learner, so the answers are stored as graded items.
    b.open("/signup?next=/me").await;
    for (field, value) in [
        ("#name", "ftp-yoso"),
        ("#display_name", "予想さん"),
        ("#password", "correct horse battery"),
    ] {
        type_into(&b, field, value).await;
    }
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/me").await;

    open_widget(&b, "").await;
    assert_eq!(b.count("#widget-ftp .ftp-predict:not([hidden])").await, 0);
    click(&b, ".ftp-predict-toggle").await;
    assert_eq!(
        b.eval("return document.querySelector('.ftp-predict-toggle').getAttribute('aria-pressed')")
            .await,
        json!("true")
    );
    // Active mode: control, PORT, RETR, then the data connection (step 4). Stepping stops at RETR.
    for _ in 0..5 {
        click(&b, "button[data-action=next]").await;
    }
    assert_eq!(step_counter(&b).await, "ステップ 3");
    wait_for(&b, ASKING, "the question").await;
    assert!(
        b.text(".ftp-pmsg")
            .await
            .contains("先に予想を答えてください")
    );
    assert!(b.text(".ftp-q").await.contains("ステップ 4"));
    assert!(
        b.text(".ftp-pform")
            .await
            .contains("データ接続を開くのはどちら？")
    );
    assert!(
        b.text(".ftp-pform")
            .await
            .contains("接続先のポート番号は？")
    );
    // No NAT or client firewall: the "does it arrive?" part is not asked.
    assert_eq!(b.count(".ftp-pform fieldset.ftp-pq[hidden]").await, 1);
    // The mode is part of the link: a reload asks the same question again.
    b.client.refresh().await.expect("reload");
    wait_for(&b, ASKING, "the question after a reload").await;
    assert_eq!(step_counter(&b).await, "ステップ 3");
    assert_eq!(
        b.eval("return document.querySelector('.ftp-predict-toggle').getAttribute('aria-pressed')")
            .await,
        json!("true")
    );
    // Nothing gives the answer away: no data connection drawn, the RETR text held back.
    assert_eq!(b.count(".ftp-svg line[data-purpose=data]").await, 0);
    assert!(!b.text(".ftp-now-text").await.contains("自分から"));
    show_predict(&b).await;
    b.screenshot("widget-ftp-predict-asking").await;

    // Wrong: "the client opens it, to port 20".
    click(&b, "input[name=ftp-opener][value=client]").await;
    type_into(&b, "input[name=ftp-port]", "20").await;
    click(&b, ".ftp-pform button[type=submit]").await;
    assert!(verdict(&b).await.starts_with("✗ 不正解"));
    assert_eq!(
        b.text("[data-ftp-expected]").await,
        "サーバーが開く。接続先ポートは 49152（198.51.100.7:20 → 203.0.113.5:49152）"
    );
    let explain = b.text(".ftp-pexplain").await;
    assert!(explain.contains("PORT で知らせたポート 49152"), "{explain}");
    assert!(
        explain.contains("20 番はサーバー側の送信元ポート"),
        "{explain}"
    );
    // The step is revealed and the learner can go on.
    assert_eq!(step_counter(&b).await, "ステップ 4 / 5");
    assert_eq!(
        b.count(".ftp-svg line[data-purpose=data][data-opener=server]")
            .await,
        1
    );
    assert_eq!(b.count(".ftp-pform:not([hidden])").await, 0);
    click(&b, "button[data-action=next]").await;
    assert_eq!(step_counter(&b).await, "ステップ 5 / 5");
    show_predict(&b).await;
    b.screenshot("widget-ftp-predict-wrong").await;

    // Another setup asks again: passive behind a NAT, so "does it arrive?" is asked too.
    click_and_reload(&b, "button[data-mode=passive]").await;
    click_and_reload(&b, "input[name=client_nat]").await;
    wait_for(&b, ASKING, "the second question").await;
    assert_eq!(step_counter(&b).await, "ステップ 2");
    assert_eq!(b.count(".ftp-pform fieldset.ftp-pq[hidden]").await, 0);
    assert_eq!(b.count(".ftp-pverdict").await, 0, "the old verdict is gone");
    click(&b, "input[name=ftp-opener][value=client]").await;
    type_into(&b, "input[name=ftp-port]", "50000").await;
    // Forgetting a part gets a hint, not a request.
    click(&b, ".ftp-pform button[type=submit]").await;
    assert!(b.text(".ftp-pmsg").await.contains("届くかどうか"));
    click(&b, "input[name=ftp-reaches][value=true]").await;
    click(&b, ".ftp-pform button[type=submit]").await;
    assert!(verdict(&b).await.starts_with("✓ 正解"));
    assert!(
        b.text(".ftp-pexplain")
            .await
            .contains("227 応答で知らせたポート 50000")
    );
    assert_eq!(step_counter(&b).await, "ステップ 3 / 5");
    show_predict(&b).await;
    b.screenshot("widget-ftp-predict-right").await;

    // Both answers were stored for this learner, graded as the page said.
    let rows: Vec<(String, String, i64, String, bool)> = infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as(
        "select scenario, answer, step, field, correct <> 0 from widget_answer where widget = 'ftp' order by widget_answer_id",
    )
    .fetch_all(pool)
    .await)
    .expect("widget answers");
    assert_eq!(
        rows,
        [
            ("active".into(), "client:20".into(), 3, "data".into(), false),
            (
                "passive+nat".into(),
                "client:50000:reaches".into(),
                2,
                "data".into(),
                true
            ),
        ]
    );

    // Off again: stepping is free and the box is gone.
    click(&b, ".ftp-predict-toggle").await;
    assert_eq!(b.count("#widget-ftp .ftp-predict:not([hidden])").await, 0);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_works_with_the_keyboard_on_a_phone() {
    let b = Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await;
    open_widget(
        &b,
        "#w=ftp&mode=passive&client_nat=false&client_fw=none&server_fw=only21&step=0",
    )
    .await;
    click(&b, ".ftp-predict-toggle").await;
    // → steps; it stops at the PASV step, before the client's data connection.
    b.eval("document.querySelector('button[data-action=next]').focus(); return 1")
        .await;
    for _ in 0..3 {
        b.press(keys::RIGHT).await;
    }
    assert_eq!(step_counter(&b).await, "ステップ 2");
    wait_for(&b, ASKING, "the question").await;
    // Keyboard only: Space picks a radio, Tab moves on, → moves within a radio group, Enter submits.
    b.eval("document.querySelector('input[name=ftp-opener][value=client]').focus(); return 1")
        .await;
    b.press(keys::SPACE).await;
    b.press(keys::TAB).await;
    b.press("50000").await;
    b.press(keys::TAB).await;
    b.press(keys::RIGHT).await;
    let picked = b
        .eval("return document.querySelector('input[name=ftp-reaches]:checked')?.value ?? null")
        .await;
    assert_eq!(picked, json!("false"), "→ picked ブロックされる");
    // The focused control shows a focus ring.
    let ring = b
        .eval("return getComputedStyle(document.activeElement).outlineStyle")
        .await;
    assert_eq!(ring, json!("solid"));
    let fits = b
        .eval("const d = document.documentElement; return d.scrollWidth <= d.clientWidth")
        .await;
    assert_eq!(fits, json!(true), "no sideways scroll while asking");
    show_predict(&b).await;
    b.screenshot("widget-ftp-predict-phone-asking").await;
    b.press(keys::ENTER).await;
    assert!(verdict(&b).await.starts_with("✓ 正解"));
    assert!(
        b.text("[data-ftp-expected]")
            .await
            .ends_with("ブロックされる")
    );
    assert!(
        b.text(".ftp-pexplain")
            .await
            .contains("21 番しか開けておらず")
    );
    // Focus moved to the verdict, inside the widget, so ←/→ keep stepping.
    let focused = b
        .eval("return document.activeElement.classList.contains('ftp-feedback')")
        .await;
    assert_eq!(focused, json!(true));
    assert_eq!(step_counter(&b).await, "ステップ 3 / 4");
    b.press(keys::LEFT).await;
    assert_eq!(step_counter(&b).await, "ステップ 2 / 4");
    let fits = b
        .eval("const d = document.documentElement; return d.scrollWidth <= d.clientWidth")
        .await;
    assert_eq!(fits, json!(true), "no sideways scroll with the verdict");
    b.press(keys::RIGHT).await;
    show_predict(&b).await;
    b.screenshot("widget-ftp-predict-phone-answered").await;
    finish(b).await;
}

/// The FTP widget as the DOM holds it: its text and every attribute value, hidden or not.
async fn everything_in_widget(b: &Browser) -> String {
    b.eval(
        "const w = document.getElementById('widget-ftp');
         return w.textContent + ' ' + [...w.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.value)).join(' ')",
    )
    .await
    .as_str()
    .unwrap()
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_leaves_no_later_step_reply_or_outcome_in_the_page() {
    // Issue 15: asking who opens the data connection, the page showed the step buttons "4. サーバが
    // データ接続を開く / 5. データ接続が開けない" and a dimmed "425 Can't open data connection.".
    let b = Browser::start().await;
    open_widget(
        &b,
        "#w=ftp&mode=active&client_nat=false&client_fw=stateful&server_fw=passive-range&step=0",
    )
    .await;
    click(&b, ".ftp-predict-toggle").await;
    // Stepping on stops at the question (RETR, step 3).
    for _ in 0..5 {
        click(&b, "button[data-action=next]").await;
    }
    wait_for(&b, ASKING, "the question").await;
    let dom = everything_in_widget(&b).await;
    for ahead in [
        "サーバがデータ接続を開く",
        "データ接続が開けない",
        "425",
        "Can't open data connection",
        "失敗:",
        "ステップ 3 / 5",
    ] {
        assert!(!dom.contains(ahead), "{ahead:?} is ahead of the question");
    }
    // The steps shown so far, and nothing more: 0–2 (control, PORT, RETR).
    assert_eq!(b.count("#widget-ftp .ftp-steplist li").await, 3);
    assert_eq!(b.count("#widget-ftp .ftp-transcript li").await, 4);
    assert_eq!(
        b.count("#widget-ftp .ftp-conns li[data-purpose=data]")
            .await,
        0
    );
    assert_eq!(
        b.count("#widget-ftp [data-widget-static]").await,
        0,
        "no tables"
    );
    assert_eq!(
        step_counter(&b).await,
        "ステップ 3",
        "not even how many steps follow"
    );
    show_predict(&b).await;
    b.screenshot("widget-ftp-predict-no-future").await;

    // "答えを見る": the rest comes in, the failure included, and the tables are back.
    click(&b, ".ftp-skip").await;
    click(&b, "button[data-action=next]").await;
    assert_eq!(step_counter(&b).await, "ステップ 5 / 5");
    assert_eq!(b.count("#widget-ftp .ftp-steplist li").await, 5);
    let dom = everything_in_widget(&b).await;
    assert!(dom.contains("425 Can't open data connection."));
    assert!(b.text("#widget-ftp .ftp-outcome").await.starts_with("失敗"));
    assert_eq!(b.count("#widget-ftp [data-widget-static]").await, 1);
    assert_eq!(
        only_unexpected(b.console_errors().await),
        Vec::<String>::new()
    );
    b.quit().await;
}
