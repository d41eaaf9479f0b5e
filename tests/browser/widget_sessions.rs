//! Guards the connection-vs-session timeline on /topics/connection-vs-session (W10 in facts.md): it sits
//! after the supplement; ←/→/Home/End step through the keepalive run, whose last step is the second
//! connection's TLS handshake and request, with one login session over two connections; the L7 balancer
//! with sessions in memory loses the login at request 2; predict mode puts no step, count or outcome
//! (nor the static tables) in the page until the server has graded the counts, then shows which were
//! wrong; a 360 px phone has no sideways scroll and no diagram text under 12 px; without JavaScript
//! every scenario reads as a table; no console errors.

use crate::support::{Browser, keys, type_into, wait_for};
use crate::widget_support::{
    finish, focus_widget, open_widget, phone, smallest_svg_text, toggle_predict_mode, widget_step,
    without_javascript,
};

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_through_one_session_over_two_connections() {
    let b = Browser::start().await;
    open_widget(&b, "sessions", "/topics/connection-vs-session").await;
    // After the supplement, not inside it.
    assert_eq!(
        b.eval("const w = document.getElementById('widget-sessions'); return !w.closest('#supplement') && !!(document.getElementById('supplement').compareDocumentPosition(w) & Node.DOCUMENT_POSITION_FOLLOWING)").await,
        true
    );
    assert_eq!(widget_step(&b, "sessions").await, "0");
    assert_eq!(
        b.count("#widget-sessions .ss-diagram [data-ss-step]").await,
        0
    );

    focus_widget(&b, "sessions").await;
    b.press(keys::RIGHT).await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "sessions").await, "2");
    assert!(
        b.text("#widget-sessions [data-ss-title]")
            .await
            .contains("TLS 1.3 フルハンドシェイク")
    );
    assert!(
        b.text("#widget-sessions .ss-source")
            .await
            .contains("RFC 8446")
    );
    b.press(keys::LEFT).await;
    assert_eq!(widget_step(&b, "sessions").await, "1");
    let panel = b.text("#widget-sessions .ss-detail").await;
    assert!(
        !["false", "undefined", "null"]
            .iter()
            .any(|w| panel.contains(w)),
        "{panel}"
    );
    assert!(
        b.text("#widget-sessions [data-ss-title]")
            .await
            .contains("接続 1 を開く")
    );

    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "sessions").await, "10");
    // Every step drawn; two connection bands and one session band that runs across the gap.
    assert!(
        b.count("#widget-sessions .ss-diagram g[data-ss-step]")
            .await
            >= 10
    );
    assert_eq!(b.count("#widget-sessions .ss-band-conn").await, 2);
    assert_eq!(b.count("#widget-sessions .ss-band-session").await, 1);
    let so_far = b.text("#widget-sessions [data-ss-counts]").await;
    assert!(
        so_far.contains("接続 2 本") && so_far.contains("ログインセッション 1 個"),
        "{so_far}"
    );
    assert!(
        b.text("#widget-sessions [data-ss-outcome]")
            .await
            .contains("ログインは最後まで続きます")
    );
    b.press(keys::HOME).await;
    assert_eq!(widget_step(&b, "sessions").await, "0");

    // L7 per request with sessions in memory: request 2 lands on B and finds no session.
    b.eval("const s = document.getElementById('ss-scenario'); s.value = 'l7-memory'; s.dispatchEvent(new Event('change')); return 1").await;
    wait_for(
        &b,
        "location.hash.includes('scenario=l7-memory')",
        "the scenario to load",
    )
    .await;
    focus_widget(&b, "sessions").await;
    for _ in 0..4 {
        b.press(keys::RIGHT).await;
    }
    assert_eq!(widget_step(&b, "sessions").await, "4");
    let title = b.text("#widget-sessions [data-ss-title]").await;
    assert!(
        title.contains("リクエスト 2") && title.contains("→ B（見つからない）"),
        "{title}"
    );
    assert_eq!(b.count("#widget-sessions .ss-session-lost").await, 1);

    // A setting changed by hand reloads the run from the model: a shared store keeps the login.
    b.eval("const s = document.getElementById('ss-store'); s.value = 'shared'; s.dispatchEvent(new Event('change')); return 1").await;
    wait_for(
        &b,
        "location.hash.includes('store=shared')",
        "the setting to apply",
    )
    .await;
    focus_widget(&b, "sessions").await;
    b.press(keys::END).await;
    assert_eq!(b.count("#widget-sessions .ss-session-lost").await, 0);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_shows_nothing_of_the_run_until_the_server_grades() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "sessions",
        "/topics/connection-vs-session#w=sessions&scenario=l4-memory",
    )
    .await;
    // The lab's real captures (which backend answered) are on the page until a prediction starts.
    assert_eq!(b.count("#widget-sessions .widget-captures").await, 1);
    toggle_predict_mode(&b, "sessions").await;
    wait_for(
        &b,
        "document.querySelector('#widget-sessions form.ss-pform')",
        "the predict form",
    )
    .await;
    // Nothing of the run is in the DOM: no step, no step button, no count, no outcome, no table.
    for css in [
        "#widget-sessions [data-ss-step]",
        "#widget-sessions .ss-steps li",
        "#widget-sessions [data-ss-counts]",
        "#widget-sessions [data-ss-outcome]",
        "#widget-sessions [data-widget-static]",
        "#widget-sessions .widget-captures",
        "#widget-sessions .ss-table",
        "#widget-sessions .ss-verdicts",
    ] {
        assert_eq!(
            b.count(css).await,
            0,
            "{css} while the prediction is pending"
        );
    }
    let text = b
        .eval("return document.getElementById('widget-sessions').textContent")
        .await;
    let text = text.as_str().unwrap();
    assert!(
        !text.contains("ログインが失われます") && !text.contains("最後まで続きます"),
        "no outcome"
    );
    assert_eq!(
        b.eval("return document.querySelector('#widget-sessions [data-action=next]').getAttribute('aria-disabled')").await,
        "true"
    );
    // Keys do not step while a prediction is pending.
    focus_widget(&b, "sessions").await;
    b.press(keys::END).await;
    assert_eq!(b.count("#widget-sessions [data-ss-step]").await, 0);

    // Two connections, two full handshakes, five requests — but "one session per connection".
    for (id, v) in [
        ("connections", "2"),
        ("tls_full", "2"),
        ("requests", "5"),
        ("sessions", "2"),
    ] {
        type_into(&b, &format!("#ss-p-{id}"), v).await;
    }
    // From the keyboard: Space picks the radio button, Enter sends the form.
    b.eval("document.querySelector('#widget-sessions input[name=survives][value=false]').focus(); return 1")
        .await;
    b.press(keys::SPACE).await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-sessions .ss-verdicts')",
        "the verdict",
    )
    .await;
    assert!(
        b.text("#widget-sessions .ss-feedback")
            .await
            .contains("違うところがあります")
    );
    assert!(
        b.text("#widget-sessions [data-ss-verdict=sessions]")
            .await
            .contains("正しくは「1」")
    );
    assert!(
        b.text("#widget-sessions [data-ss-verdict=connections]")
            .await
            .starts_with("✓")
    );
    assert!(
        b.text("#widget-sessions [data-ss-verdict=survives]")
            .await
            .starts_with("✓")
    );
    // Now the whole run is drawn, at its last step, and the tables are back.
    assert_eq!(widget_step(&b, "sessions").await, "10");
    assert!(
        b.text("#widget-sessions [data-ss-outcome]")
            .await
            .contains("リクエスト 4 でログインが失われます")
    );
    assert_eq!(b.count("#widget-sessions [data-widget-static]").await, 1);
    assert_eq!(b.count("#widget-sessions .widget-captures").await, 1);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_fits_the_timeline_with_legible_text() {
    let b = phone().await;
    open_widget(
        &b,
        "sessions",
        "/topics/connection-vs-session#w=sessions&scenario=http2-resume&step=10",
    )
    .await;
    assert_eq!(widget_step(&b, "sessions").await, "10");
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow.as_i64(), Some(0), "no sideways scroll at 360 px");
    // The smallest text in the diagram, in CSS pixels on screen.
    let smallest = smallest_svg_text(&b, "#widget-sessions .ss-diagram").await;
    assert!(smallest >= 12.0, "diagram text {smallest:.1} px at 360 px");
    b.screenshot("sessions-phone").await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_every_scenario_is_a_table() {
    let b = without_javascript().await;
    b.open("/topics/connection-vs-session").await;
    assert_eq!(b.count("#widget-sessions details[data-scenario]").await, 6);
    assert_eq!(b.count("#widget-sessions .ss-table").await, 6);
    assert!(
        b.text("#widget-sessions details[data-scenario=keepalive] [data-count=connections]")
            .await
            .contains('2')
    );
    b.quit().await;
}
