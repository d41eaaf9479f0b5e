//! Guards the PMTUD simulator on /topics/icmp (W4 in facts.md): stepping with ←/→/Home/End through the
//! black hole (handshake and small request pass, the 1500-byte DF segment dies at R1, the ICMP at the
//! firewall, A's PMTU stays 1500 and the transfer does not complete) without turning the page; the
//! settings (drop Echo only, IPv6, MSS clamping) change the outcome; 予想モード stops before the big
//! segment with nothing after it in the DOM — no later step, no outcome, no static tables — and grades on
//! the server, storing a signed-in learner's answer; the page without JavaScript shows every setup as a
//! table; and a 360 px phone in the dark theme has no sideways scroll and diagram text of at least 12 px.

use crate::support::tap as click;
use crate::support::{Browser, keys, type_into, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, choose, finish, focus_widget, open_widget, phone, toggle_predict_mode,
    widget_step, without_javascript,
};
use serde_json::Value;
use std::time::Duration;

const READY: &str =
    "document.querySelector('#widget-pmtud [data-widget-root]')?.dataset.state === 'ready'";

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_through_the_black_hole_and_settings_change_the_outcome() {
    let b = Browser::start().await;
    open_widget(&b, "pmtud", "/topics/icmp").await;
    choose(&b, "pmtud", "scenario", "black-hole").await;
    assert_eq!(widget_step(&b, "pmtud").await, "0");
    focus_widget(&b, "pmtud").await;
    for _ in 0..3 {
        b.press(keys::RIGHT).await;
    }
    assert_eq!(widget_step(&b, "pmtud").await, "3");
    // Handshake and small request got through.
    assert_eq!(b.count("#widget-pmtud .pm-row.pm-fate-delivered").await, 3);
    b.press(keys::RIGHT).await;
    assert!(
        b.text("#widget-pmtud .pm-title")
            .await
            .contains("R1 で捨てられる")
    );
    assert_eq!(b.count("#widget-pmtud .pm-row.pm-fate-too-big").await, 1);
    b.press(keys::RIGHT).await;
    assert!(
        b.text("#widget-pmtud .pm-title")
            .await
            .contains("ファイアウォールで捨てられる")
    );
    assert_eq!(b.text("#widget-pmtud [data-pm-pmtu]").await, "1500");
    assert!(
        b.text("#widget-pmtud .pm-source")
            .await
            .contains("RFC 2923 §2.1")
    );
    b.press(keys::LEFT).await;
    assert_eq!(widget_step(&b, "pmtud").await, "4");
    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "pmtud").await, "9");
    assert!(
        b.text("#widget-pmtud .pm-outcome")
            .await
            .contains("完了しません")
    );
    b.screenshot("widget-pmtud-black-hole").await;
    b.press(keys::HOME).await;
    assert_eq!(widget_step(&b, "pmtud").await, "0");
    assert_eq!(b.count("#widget-pmtud .pm-row").await, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.client.current_url().await.expect("url").path(),
        "/topics/icmp"
    );

    // Drop Echo only: PMTUD works (PMTU 1400), ping fails.
    choose(&b, "pmtud", "filter", "echo").await;
    click(&b, "#widget-pmtud [data-action=last]").await;
    assert!(
        b.text("#widget-pmtud .pm-outcome")
            .await
            .contains("ping は通りません")
    );
    assert_eq!(b.text("#widget-pmtud [data-pm-pmtu]").await, "1400");
    // IPv6: DF cannot be cleared, Packet Too Big brings 1400 and the MSS becomes 1340.
    choose(&b, "pmtud", "ip", "6").await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-pmtud input[name=df]').disabled")
            .await,
        Value::Bool(true)
    );
    click(&b, "#widget-pmtud [data-action=last]").await;
    assert_eq!(b.text("#widget-pmtud [data-pm-mss]").await, "1340");
    // The step list jumps to the Packet Too Big step.
    click(&b, "#widget-pmtud .pm-steps li[data-step='5'] button").await;
    assert!(
        b.text("#widget-pmtud .pm-title")
            .await
            .contains("Packet Too Big")
    );
    // A bad MTU gets the server's Japanese message naming the parameter; the last run stays.
    b.eval("const i = document.querySelector('#widget-pmtud input[name=mtu]'); i.value = '1600'; i.dispatchEvent(new Event('change')); return 1").await;
    wait_for(
        &b,
        "!document.querySelector('#widget-pmtud .pm-error').hidden",
        "the error",
    )
    .await;
    assert!(
        b.text("#widget-pmtud .pm-error")
            .await
            .contains("パラメータ mtu")
    );
    assert_eq!(b.text("#widget-pmtud [data-pm-mss]").await, "1340");
    let errors: Vec<String> = b
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.contains("status of 400"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    b.quit().await;
}

/// What of the run the page shows as text, and which step rows exist.
async fn visible_rows(b: &Browser) -> Vec<String> {
    let v = b
        .eval("return [...document.querySelectorAll('#widget-pmtud [data-pm-step]')].map(g => g.dataset.pmStep)")
        .await;
    serde_json::from_value(v).expect("strings")
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_hides_the_future_and_grades_on_the_server() {
    let b = Browser::start().await;
    b.open("/signup?next=/me").await;
    for (field, value) in [
        ("#name", "pmtud-yoso"),
        ("#display_name", "予想さん"),
        ("#password", "correct horse battery"),
    ] {
        type_into(&b, field, value).await;
    }
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/me").await;

    open_widget(&b, "pmtud", "/topics/icmp").await;
    choose(&b, "pmtud", "scenario", "black-hole").await;
    toggle_predict_mode(&b, "pmtud").await;
    for _ in 0..6 {
        click(&b, "#widget-pmtud [data-action=next]").await;
    }
    // Stopped before the big segment: steps 0–2 drawn, step 3 pending, nothing later.
    assert_eq!(widget_step(&b, "pmtud").await, "3");
    assert_eq!(visible_rows(&b).await, ["0", "1", "2", "3"]);
    assert_eq!(b.count("#widget-pmtud .pm-fate-pending").await, 1);
    assert_eq!(b.text(".step-counter").await, "ステップ 3 / ?");
    let text = b.eval("return document.body.textContent").await;
    let text = text.as_str().unwrap();
    for secret in [
        "完了しません",
        "R1 で破棄",
        "FW で破棄",
        "ETIMEDOUT",
        "ICMP MTU",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} is in the DOM before the answer"
        );
    }
    assert_eq!(
        b.count("[data-widget-static]").await,
        0,
        "static tables are out of the DOM"
    );
    assert_eq!(b.count("#widget-pmtud .pm-steps li").await, 3);
    assert_eq!(
        b.eval("return document.querySelector('#widget-pmtud [data-action=next]').getAttribute('aria-disabled')").await,
        "true"
    );
    b.screenshot("widget-pmtud-predict-asking").await;

    // Forgetting a part gets a hint, not a request; then a wrong answer.
    click(&b, ".pm-pform button[type=submit]").await;
    assert!(b.text(".pm-pmsg").await.contains("完了するかどうか"));
    click(&b, "input[name=pm-completes][value=true]").await;
    type_into(&b, "input[name=pm-pmtu]", "1400").await;
    click(&b, ".pm-pform button[type=submit]").await;
    wait_for(
        &b,
        "document.querySelector('#widget-pmtud .pm-verdict')",
        "the verdict",
    )
    .await;
    assert!(b.text(".pm-verdict").await.starts_with("✗ 不正解"));
    assert_eq!(
        b.text("[data-pm-expected]").await,
        "転送は完了しない。A の経路 MTU は 1500"
    );
    // Revealed: the step, the rest of the run and the tables are back.
    assert_eq!(widget_step(&b, "pmtud").await, "4");
    assert_eq!(b.count("[data-widget-static]").await, 1);
    focus_widget(&b, "pmtud").await;
    b.press(keys::END).await;
    assert!(
        b.text("#widget-pmtud .pm-outcome")
            .await
            .contains("完了しません")
    );
    b.screenshot("widget-pmtud-predict-answered").await;

    // Another setup asks again; a right answer this time (MSS clamping: completes, PMTU unchanged).
    b.eval(
        "const c = document.querySelector('#widget-pmtud input[name=clamp]'); c.click(); return 1",
    )
    .await;
    wait_for(&b, READY, "the clamped run").await;
    b.press(keys::HOME).await;
    for _ in 0..4 {
        click(&b, "#widget-pmtud [data-action=next]").await;
    }
    wait_for(
        &b,
        "document.querySelector('#widget-pmtud .pm-pform')",
        "the question",
    )
    .await;
    assert_eq!(b.count("#widget-pmtud .pm-verdict").await, 0);
    click(&b, "input[name=pm-completes][value=true]").await;
    type_into(&b, "input[name=pm-pmtu]", "1500").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-pmtud .pm-verdict')",
        "the verdict",
    )
    .await;
    assert!(b.text(".pm-verdict").await.starts_with("✓ 正解"));

    let rows: Vec<(String, i64, String, String, bool)> = infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as(
        "select scenario, step, field, answer, correct <> 0 from widget_answer where widget = 'pmtud' order by widget_answer_id",
    )
    .fetch_all(pool)
    .await)
    .expect("widget answers");
    assert_eq!(
        rows,
        [
            (
                "black-hole".into(),
                3,
                "outcome".into(),
                "completes:1400".into(),
                false
            ),
            (
                "mss-clamp".into(),
                3,
                "outcome".into(),
                "completes:1500".into(),
                true
            ),
        ]
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_every_setup_is_a_table() {
    let b = without_javascript().await;
    b.open("/topics/icmp").await;
    assert_eq!(
        b.count("#widget-pmtud details.widget-scenario table.steps")
            .await,
        8
    );
    assert_eq!(b.count("#widget-pmtud .pm").await, 0);
    let first = b
        .text("#widget-pmtud details[data-scenario=normal] tr[data-step='5']")
        .await;
    assert!(
        first.contains("MTU 1400") && first.contains("出典"),
        "{first}"
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dark_phone_shows_it_without_sideways_scroll_and_with_legible_text() {
    let b = phone().await;
    open_widget(
        &b,
        "pmtud",
        "/topics/icmp#w=pmtud&filter=type3&plpmtud=true&step=20",
    )
    .await;
    b.click("[data-theme-toggle]").await;
    assert_fits_the_phone(&b, ".pm-svg", "360 px").await;
    b.eval("document.querySelector('.pm-svg').scrollIntoView({block: 'start'}); window.scrollBy(0, -60); return 1").await;
    b.screenshot("widget-pmtud-phone-dark").await;
    finish(b).await;
}
