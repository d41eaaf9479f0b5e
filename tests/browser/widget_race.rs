//! Guards the race widget on /topics/thread (W12 in facts.md): stepping the default order 121212 with
//! the keys shows both threads loading 0 and the counter ending at 1; picking the order 111222 ends at 2;
//! 予想モード keeps later steps, the final value and the table of 20 orders out of the DOM, grades a wrong
//! final value on the server and then a right step value; fork shows two pages after copy-on-write and
//! the parent printing 1; the tables without JavaScript; a 360 px phone has no sideways scroll and
//! diagram text ≥ 12 px.

use crate::support::{Browser, keys, tap, type_into, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, finish, focus_widget, in_widget_dom, open_widget, phone,
    toggle_predict_mode, widget_step, without_javascript,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_through_a_lost_update() {
    let b = Browser::start().await;
    open_widget(&b, "race", "/topics/thread#w=race").await;
    focus_widget(&b, "race").await;
    for _ in 0..3 {
        b.press(keys::RIGHT).await;
    }
    assert_eq!(widget_step(&b, "race").await, "3");
    // T1 and T2 have both loaded 0.
    assert_eq!(b.text("#widget-race [data-rc-reg='1']").await, "r = 0");
    assert_eq!(b.text("#widget-race [data-rc-reg='2']").await, "r = 0");
    b.press(keys::END).await;
    assert_eq!(b.text("#widget-race .rc-mem-value").await, "counter = 1");
    assert!(b.text("#widget-race .rc-outcome").await.contains("18 通り"));
    b.press(keys::HOME).await;
    assert_eq!(widget_step(&b, "race").await, "0");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.client.current_url().await.expect("url").path(),
        "/topics/thread"
    );
    // Another order from the table of 20: one thread after the other gives 2.
    b.eval("document.querySelector('#widget-race .rc-orders-box').open = true; return 1")
        .await;
    tap(&b, "#widget-race .rc-orders button[data-order='111222']").await;
    wait_for(
        &b,
        "location.hash.includes('schedule=111222')",
        "order 111222",
    )
    .await;
    tap(&b, "#widget-race [data-action=last]").await;
    assert_eq!(b.text("#widget-race .rc-mem-value").await, "counter = 2");
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-race-desktop").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_hides_the_future_and_grades_on_the_server() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "race",
        "/topics/thread#w=race&scenario=threads&schedule=121212",
    )
    .await;
    toggle_predict_mode(&b, "race").await;
    assert_eq!(
        b.count("#widget-race [data-widget-static]").await,
        0,
        "tables out"
    );
    assert_eq!(
        b.count("#widget-race .rc-orders").await,
        0,
        "no outcomes of the 20 orders"
    );
    assert!(!in_widget_dom(&b, "race", "counter = 1").await);
    assert!(!in_widget_dom(&b, "race", "18 通り").await);
    assert_eq!(
        b.eval("return document.querySelector('#widget-race .rc-pfield').value")
            .await,
        "final"
    );
    // Two increments, so 2? Wrong: the server says 1.
    type_into(&b, "#widget-race .rc-answer", "2").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-race .rc-verdict')",
        "the verdict",
    )
    .await;
    assert!(b.text("#widget-race .rc-verdict").await.contains("不正解"));
    assert_eq!(b.text("#widget-race [data-rc-expected]").await, "1");
    assert_eq!(
        widget_step(&b, "race").await,
        "0",
        "a question about the whole run reveals no step"
    );
    // Reveal pthread_create, then T1's load: predict its value.
    tap(&b, "#widget-race .rc-skip").await;
    assert_eq!(widget_step(&b, "race").await, "1");
    b.eval(
        "const f = document.querySelector('#widget-race .rc-pfield'); f.value = 'value'; f.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    assert!(b.text("#widget-race .rc-q").await.contains("r = counter;"));
    assert_eq!(b.text("#widget-race [data-rc-reg='1']").await, "r = ?");
    type_into(&b, "#widget-race .rc-answer", "0").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-race [data-widget-root]').dataset.step === '2'",
        "step 2",
    )
    .await;
    assert!(
        b.text("#widget-race .rc-verdict")
            .await
            .starts_with("✓ 正解")
    );
    assert_eq!(b.text("#widget-race [data-rc-reg='1']").await, "r = 0");
    toggle_predict_mode(&b, "race").await;
    assert_eq!(
        b.count("#widget-race [data-widget-static]").await,
        1,
        "tables back"
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-race-predict").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fork_keeps_two_pages_and_the_parent_prints_1() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "race",
        "/topics/thread#w=race&scenario=fork&schedule=112122&step=99",
    )
    .await;
    assert_eq!(b.count("#widget-race .rc-mem").await, 2);
    assert!(b.text("#widget-race .rc-outcome").await.contains("親は 1"));
    assert!(
        b.text("#widget-race .rc-explain")
            .await
            .contains("MAP_SHARED")
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tables_read_without_javascript() {
    let b = without_javascript().await;
    b.open("/topics/thread").await;
    assert_eq!(
        b.count("#widget-race details[data-scenario] table.steps")
            .await,
        3
    );
    assert_eq!(b.count("#widget-race .rc").await, 0);
    assert!(
        b.text("#widget-race details[data-scenario=threads]")
            .await
            .contains("lost update")
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_has_no_sideways_scroll_and_legible_diagram_text() {
    let b = phone().await;
    for path in [
        "/topics/thread#w=race&scenario=mutex&schedule=121212&step=4",
        "/topics/thread#w=race&scenario=fork&schedule=121212&step=9",
    ] {
        b.open("/").await;
        open_widget(&b, "race", path).await;
        assert_fits_the_phone(&b, "#widget-race svg", path).await;
    }
    b.screenshot("widget-race-phone").await;
    finish(b).await;
}
