//! Guards the static-vs-stateful firewall widget on /topics/firewall (W9 in facts.md): stepping with
//! ←/→/Home/End through HTTPS shows each packet in both lanes, the rule that decided highlighted, the ct
//! state (NEW, then ESTABLISHED) and `conntrack -L` as conntrack prints it, without turning the page; the
//! FTP helper's expectation appears and the data connection is RELATED; 予想モード asks each packet
//! before showing it — no later packet, verdict, table line or outcome in the DOM, static tables removed —
//! and grades on the server, storing a signed-in learner's answer; the page without JavaScript shows every
//! scenario as a table; a 360 px phone in the dark theme has no sideways scroll and ≥ 12 px diagram text.

use crate::support::tap as click;
use crate::support::{Browser, keys, type_into, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, choose, finish, focus_widget, open_widget, phone, toggle_predict_mode,
    widget_step, without_javascript,
};
use std::time::Duration;

async fn table(b: &Browser) -> String {
    b.text("#widget-conntrack .ct-table").await
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_through_https_and_the_table_prints_like_conntrack() {
    let b = Browser::start().await;
    open_widget(&b, "conntrack", "/topics/firewall").await;
    focus_widget(&b, "conntrack").await;
    assert!(table(&b).await.contains("（空）"));
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "conntrack").await, "1");
    assert_eq!(b.text("#widget-conntrack [data-ct-state]").await, "NEW");
    assert_eq!(
        b.text("#widget-conntrack [data-ct-stateful]").await,
        "✓ 通す（F3）"
    );
    assert!(table(&b).await.contains("tcp      6 120 SYN_SENT src=192.168.1.10 dst=198.51.100.7 sport=50100 dport=443 [UNREPLIED]"));
    assert_eq!(
        b.text("#widget-conntrack .ct-rules-list li.is-hit .ct-rule-id")
            .await,
        "S1"
    );
    b.press(keys::RIGHT).await;
    assert_eq!(
        b.text("#widget-conntrack [data-ct-state]").await,
        "ESTABLISHED"
    );
    assert!(table(&b).await.contains("60 SYN_RECV"));
    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "conntrack").await, "4");
    assert!(table(&b).await.contains("300 ESTABLISHED"));
    assert!(!b.text("#widget-conntrack .ct-outcome").await.is_empty());
    b.press(keys::LEFT).await;
    assert_eq!(widget_step(&b, "conntrack").await, "3");
    b.press(keys::HOME).await;
    assert_eq!(widget_step(&b, "conntrack").await, "0");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.client.current_url().await.expect("url").path(),
        "/topics/firewall"
    );

    // The FTP helper: the expectation after 227, the data connection RELATED.
    choose(&b, "conntrack", "scenario", "ftp-helper").await;
    click(&b, "#widget-conntrack .ct-steps li[data-step='4'] button").await;
    assert!(
        b.text("#widget-conntrack .ct-table")
            .await
            .contains("300 proto=6 src=192.168.1.10 dst=198.51.100.7 sport=0 dport=50000")
    );
    click(&b, "#widget-conntrack [data-action=next]").await;
    assert_eq!(b.text("#widget-conntrack [data-ct-state]").await, "RELATED");
    b.screenshot("widget-conntrack-ftp-helper").await;
    // A stray ACK: static lets it in (S2), conntrack drops it.
    choose(&b, "conntrack", "scenario", "stray-ack").await;
    click(&b, "#widget-conntrack [data-action=next]").await;
    assert_eq!(
        b.text("#widget-conntrack [data-ct-static]").await,
        "✓ 通す（S2）"
    );
    assert_eq!(
        b.text("#widget-conntrack [data-ct-stateful]").await,
        "✗ 破棄（既定）"
    );
    assert_eq!(
        b.count("#widget-conntrack .ct-lane[data-ct-lane=stateful] .is-drop")
            .await,
        1
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_asks_each_packet_before_showing_it() {
    let b = Browser::start().await;
    b.open("/signup?next=/me").await;
    for (field, value) in [
        ("#name", "ct-yoso"),
        ("#display_name", "予想さん"),
        ("#password", "correct horse battery"),
    ] {
        type_into(&b, field, value).await;
    }
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/me").await;

    open_widget(&b, "conntrack", "/topics/firewall").await;
    choose(&b, "conntrack", "scenario", "ftp-passive").await;
    toggle_predict_mode(&b, "conntrack").await;
    wait_for(
        &b,
        "document.querySelector('#widget-conntrack .ct-pform')",
        "the first question",
    )
    .await;
    assert_eq!(b.text(".step-counter").await, "ステップ 0 / ?");
    // Nothing about any packet's fate is on the page yet.
    assert_eq!(b.count("[data-widget-static]").await, 0);
    assert_eq!(b.count("#widget-conntrack .ct-steps li").await, 0);
    assert_eq!(
        b.count("#widget-conntrack .is-pass, #widget-conntrack .is-drop")
            .await,
        0
    );
    let text = b
        .eval("return document.getElementById('widget-conntrack').textContent")
        .await;
    for secret in ["SYN_SENT", "通す（", "破棄（既定", "50124"] {
        assert!(
            !text.as_str().unwrap().contains(secret),
            "{secret} shown before the answer"
        );
    }
    assert_eq!(
        b.eval("return document.querySelector('#widget-conntrack [data-action=next]').getAttribute('aria-disabled')").await,
        "true"
    );
    // Missing parts get a hint; then a right answer for the control SYN.
    click(&b, ".ct-pform button[type=submit]").await;
    assert!(b.text(".ct-pmsg").await.contains("三つとも"));
    click(&b, "input[name=ct-static][value=accept]").await;
    click(&b, "input[name=ct-stateful][value=accept]").await;
    b.eval("const s = document.querySelector('select[name=ct-state]'); s.value = 'NEW'; return 1")
        .await;
    click(&b, ".ct-pform button[type=submit]").await;
    wait_for(
        &b,
        "document.querySelector('#widget-conntrack .ct-verdict-line')",
        "the verdict",
    )
    .await;
    assert!(b.text(".ct-verdict-line").await.starts_with("✓ 正解"));
    assert_eq!(widget_step(&b, "conntrack").await, "1");
    assert!(table(&b).await.contains("SYN_SENT"));
    // The next packets: skip three, then get the data SYN wrong.
    for _ in 0..3 {
        click(&b, "#widget-conntrack .ct-skip").await;
    }
    assert_eq!(widget_step(&b, "conntrack").await, "4");
    assert_eq!(b.count("#widget-conntrack .ct-steps li").await, 4);
    b.screenshot("widget-conntrack-predict-asking").await;
    click(&b, "input[name=ct-static][value=accept]").await;
    click(&b, "input[name=ct-stateful][value=accept]").await;
    b.eval(
        "const s = document.querySelector('select[name=ct-state]'); s.value = 'RELATED'; return 1",
    )
    .await;
    click(&b, ".ct-pform button[type=submit]").await;
    wait_for(&b, "document.querySelector('#widget-conntrack .ct-feedback:not([hidden])') && document.querySelector('#widget-conntrack [data-widget-root]').dataset.step === '5'", "the second verdict").await;
    assert!(b.text(".ct-verdict-line").await.starts_with("✗ 不正解"));
    assert_eq!(
        b.text("[data-ct-expected]").await,
        "静的フィルタ: 通す（S7）、conntrack: NEW で破棄（policy）"
    );
    // All answered: the outcome and the static tables are back.
    assert!(!b.text("#widget-conntrack .ct-outcome").await.is_empty());
    assert_eq!(b.count("[data-widget-static]").await, 1);

    let rows: Vec<(String, i64, String, bool)> = infra_dojo::on!(&b.app().state.db, pool => sqlx::query_as(
        "select scenario, step, answer, correct <> 0 from widget_answer where widget = 'conntrack' order by widget_answer_id",
    )
    .fetch_all(pool)
    .await)
    .expect("widget answers");
    assert_eq!(
        rows,
        [
            (
                "ftp-passive".into(),
                0,
                "static:accept,stateful:accept,state:NEW".into(),
                true
            ),
            (
                "ftp-passive".into(),
                4,
                "static:accept,stateful:accept,state:RELATED".into(),
                false
            ),
        ]
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_every_scenario_is_a_table() {
    let b = without_javascript().await;
    b.open("/topics/firewall").await;
    assert_eq!(
        b.count("#widget-conntrack details.widget-scenario table.steps")
            .await,
        7
    );
    assert_eq!(b.count("#widget-conntrack .ct").await, 0);
    assert!(
        b.text("#widget-conntrack details[data-scenario=https] pre.ct-lines")
            .await
            .contains("SYN_SENT")
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dark_phone_shows_it_without_sideways_scroll_and_with_legible_text() {
    let b = phone().await;
    open_widget(
        &b,
        "conntrack",
        "/topics/firewall#w=conntrack&scenario=ftp-helper&loose=1&step=5",
    )
    .await;
    b.click("[data-theme-toggle]").await;
    assert_fits_the_phone(&b, ".ct-svg", "360 px").await;
    b.eval("document.querySelector('.ct-svg').scrollIntoView({block: 'start'}); window.scrollBy(0, -60); return 1").await;
    b.screenshot("widget-conntrack-phone-dark").await;
    finish(b).await;
}
