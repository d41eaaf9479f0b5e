//! Guards the SNMP widget on /topics/snmp (W11 in facts.md): the walk of the system group steps with
//! ←/→/Home/End inside the widget (never turning the page) and shows sysDescr.0 as the first OID; 予想モード
//! keeps every later step, the MIB rows not yet returned and the tables out of the DOM, grades a wrong
//! next-OID and a right port on the server and only then reveals the step; the poll chart and the rate;
//! the tables without JavaScript; a 360 px phone has no sideways scroll and diagram text ≥ 12 px.

use crate::support::{Browser, keys, tap, type_into, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, finish, focus_widget, in_widget_dom, open_widget, phone,
    toggle_predict_mode, widget_step, without_javascript,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn keys_walk_the_system_group_inside_the_widget() {
    let b = Browser::start().await;
    open_widget(&b, "snmp", "/topics/snmp#w=snmp&scenario=walk-system").await;
    assert_eq!(widget_step(&b, "snmp").await, "0");
    focus_widget(&b, "snmp").await;
    b.press(keys::RIGHT).await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "snmp").await, "2");
    assert!(
        b.text("#widget-snmp .sn-note").await.contains("sysDescr.0"),
        "the first GetNext of a walk returns sysDescr.0"
    );
    assert!(
        b.text("#widget-snmp .sn-source")
            .await
            .contains("RFC 3416 §4.2.2")
    );
    assert!(
        b.text("#widget-snmp .sn-mib li.sn-here")
            .await
            .contains("1.3.6.1.2.1.1.1.0")
    );
    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "snmp").await, "15");
    assert!(
        b.text("#widget-snmp .sn-explain")
            .await
            .contains("snmpwalk(1)")
    );
    assert!(
        b.text("#widget-snmp .sn-outcome")
            .await
            .contains("GetNextRequest 7 回")
    );
    b.press(keys::LEFT).await;
    assert_eq!(widget_step(&b, "snmp").await, "14");
    b.press(keys::HOME).await;
    assert_eq!(widget_step(&b, "snmp").await, "0");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.client.current_url().await.expect("url").path(),
        "/topics/snmp",
        "←/→ stayed in the widget"
    );
    // The buttons, in the shared order.
    let order = b
        .eval("return [...document.querySelectorAll('#widget-snmp .step-controls button')].map(b => b.dataset.action).join()")
        .await;
    assert_eq!(order, "first,back,play,next,last");
    tap(&b, "#widget-snmp [data-action=next]").await;
    assert_eq!(widget_step(&b, "snmp").await, "1");
    assert!(
        b.eval("return location.hash")
            .await
            .as_str()
            .unwrap()
            .contains("step=1")
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-snmp-desktop").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_hides_the_future_and_grades_on_the_server() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "snmp",
        "/topics/snmp#w=snmp&scenario=walk-iftable&step=0",
    )
    .await;
    assert_eq!(b.count("#widget-snmp [data-widget-static]").await, 1);
    assert_eq!(b.count("#widget-snmp .widget-captures").await, 1);
    toggle_predict_mode(&b, "snmp").await;
    // Nothing of the run is in the DOM: no tables, no returned OID, no step button after the start.
    assert_eq!(b.count("#widget-snmp [data-widget-static]").await, 0);
    // The lab's real captures (every PDU and reply of the walk) leave the page with the tables.
    assert_eq!(b.count("#widget-snmp .widget-captures").await, 0);
    assert!(!in_widget_dom(&b, "snmp", "ifIndex.1").await);
    assert_eq!(b.count("#widget-snmp .sn-steps li").await, 1);
    assert_eq!(b.count("#widget-snmp .sn-ladder [data-sn-step]").await, 1);
    assert_eq!(b.count("#widget-snmp .sn-ladder .sn-pending").await, 1);
    // Step 1 is the GetNextRequest: its destination port.
    assert!(
        b.text("#widget-snmp .sn-q")
            .await
            .contains("GetNextRequest")
    );
    type_into(&b, "#widget-snmp input.sn-answer", "161").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-snmp [data-widget-root]').dataset.step === '1'",
        "step 1",
    )
    .await;
    assert!(
        b.text("#widget-snmp .sn-verdict")
            .await
            .starts_with("✓ 正解")
    );
    // Step 2 is the Response: the next OID is asked and nowhere in the page yet.
    assert_eq!(
        b.eval("return document.querySelector('#widget-snmp .sn-pfield').value")
            .await,
        "oid"
    );
    assert!(!in_widget_dom(&b, "snmp", "ifIndex.1").await);
    assert!(!in_widget_dom(&b, "snmp", "1.3.6.1.2.1.2.2.1.1.1").await);
    assert_eq!(b.count("#widget-snmp .sn-steps li").await, 2);
    // The classic slip: thinking a walk reads a row (ifIndex.1, ifDescr.1, …) rather than a column.
    b.press("ifDescr.1").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-snmp [data-widget-root]').dataset.step === '2'",
        "step 2",
    )
    .await;
    assert!(b.text("#widget-snmp .sn-verdict").await.contains("不正解"));
    assert_eq!(
        b.text("#widget-snmp [data-sn-expected]").await,
        "1.3.6.1.2.1.2.2.1.1.1（ifIndex.1）"
    );
    // Revealed only now; the next Response's OID (ifIndex.2) is still absent.
    assert!(in_widget_dom(&b, "snmp", "ifIndex.1").await);
    assert!(!in_widget_dom(&b, "snmp", "ifIndex.2").await);
    assert_eq!(b.count("#widget-snmp .sn-mib li[data-oid]").await, 1);
    // Leaving 予想モード brings the tables back.
    toggle_predict_mode(&b, "snmp").await;
    assert_eq!(b.count("#widget-snmp [data-widget-static]").await, 1);
    assert!(b.count("#widget-snmp .sn-steps li").await > 20);
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-snmp-predict").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fast_poll_with_counter32_is_wrong_and_the_chart_shows_it() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "snmp",
        "/topics/snmp#w=snmp&scenario=poll&rate_mbps=1000&step=5",
    )
    .await;
    assert_eq!(b.count("#widget-snmp .sn-chart rect.sn-bar-wrong").await, 1);
    assert!(
        b.text("#widget-snmp .sn-detail")
            .await
            .contains("427,337,693 bit/s")
    );
    tap(&b, "#widget-snmp .sn-hc").await;
    wait_for(&b, "location.hash.includes('hc=1')", "the HC counter").await;
    tap(&b, "#widget-snmp [data-action=last]").await;
    assert_eq!(b.count("#widget-snmp .sn-chart rect.sn-bar-wrong").await, 0);
    assert_eq!(b.count("#widget-snmp .sn-chart rect.sn-bar-calc").await, 4);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tables_read_without_javascript() {
    let b = without_javascript().await;
    b.open("/topics/snmp").await;
    assert_eq!(
        b.count("#widget-snmp details[data-scenario] table").await,
        8
    );
    assert_eq!(
        b.count("#widget-snmp .sn").await,
        0,
        "no diagram without script"
    );
    assert!(
        b.text("#widget-snmp details[data-scenario=get] table")
            .await
            .contains("sysUpTime.0")
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_has_no_sideways_scroll_and_legible_diagram_text() {
    let b = phone().await;
    for path in [
        "/topics/snmp#w=snmp&scenario=bulk&step=2",
        "/topics/snmp#w=snmp&scenario=poll&rate_mbps=1000&step=14",
        "/topics/snmp#w=snmp&scenario=inform&lost=1&step=6",
    ] {
        b.open("/").await;
        open_widget(&b, "snmp", path).await;
        assert_fits_the_phone(&b, "#widget-snmp svg", path).await;
    }
    b.screenshot("widget-snmp-phone").await;
    finish(b).await;
}
