//! Guards the TCP handshake stepper on /topics/tcp (W1 in facts.md): stepping with the buttons and with
//! ←/→/Home/End shows both ends' states as the fact sheet's table (seed 0: a = 3141592653,
//! b = 2718281828), the SYN,ACK carries ack = a+1, ←/→ inside the widget never turn the page, the
//! closed-port scenario ends in RST, relative numbering shows ack=1, predict mode grades a wrong and a
//! right ack on the server, the URL hash reproduces the view after a reload, no console errors, and a
//! 360 px phone has no sideways page scroll.

use crate::support::tap as click;
use crate::support::{Browser, keys, wait_for};
use crate::widget_support::{
    finish, focus_widget, open_widget, phone, toggle_predict_mode, widget_step,
};
use std::time::Duration;

const A: &str = "3141592653";
const A1: &str = "3141592654";
const B1: &str = "2718281829";

/// The client and server states the widget shows now.
async fn states(b: &Browser) -> (String, String) {
    (
        b.text("#widget-handshake [data-hs-now=client]").await,
        b.text("#widget-handshake [data-hs-now=server]").await,
    )
}

fn pair(c: &str, s: &str) -> (String, String) {
    (c.to_string(), s.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn buttons_step_through_the_fact_sheet_states() {
    let b = Browser::start().await;
    open_widget(&b, "handshake", "/topics/tcp").await;
    assert_eq!(states(&b).await, pair("CLOSED", "LISTEN"), "step 0");
    assert!(b.text(".hs-isn").await.contains(A), "ISN a shown");

    click(&b, "#widget-handshake [data-action=next]").await;
    assert_eq!(
        states(&b).await,
        pair("SYN-SENT", "SYN-RECEIVED"),
        "after step 1"
    );
    click(&b, "#widget-handshake [data-action=next]").await;
    assert_eq!(
        states(&b).await,
        pair("ESTABLISHED", "SYN-RECEIVED"),
        "after step 2"
    );
    // The SYN,ACK's ack is a+1, in the diagram and in the detail panel.
    assert!(
        b.text("#widget-handshake [data-hs-seg='1'] .hs-nums")
            .await
            .contains(&format!("ack={A1}"))
    );
    assert_eq!(
        b.text("#widget-handshake .hs-detail [data-hs-field=ack]")
            .await,
        A1
    );
    assert!(
        b.text("#widget-handshake .hs-detail .hs-explain")
            .await
            .contains("+1 は SYN の分")
    );
    click(&b, "#widget-handshake [data-action=next]").await;
    assert_eq!(
        states(&b).await,
        pair("ESTABLISHED", "ESTABLISHED"),
        "after step 3"
    );
    // The state diagram marks ESTABLISHED for both ends.
    assert_eq!(
        b.count("#widget-handshake [data-hs-sd='ESTABLISHED'].hs-sd-client.hs-sd-server")
            .await,
        1
    );
    // The polite live region (visually hidden) announces the step.
    let live = b
        .eval("return document.querySelector('#widget-handshake [aria-live=polite]').textContent")
        .await;
    assert!(
        live.as_str().unwrap().starts_with("ステップ 3 / 5"),
        "{live}"
    );

    click(&b, "#widget-handshake [data-action=back]").await;
    assert_eq!(
        states(&b).await,
        pair("ESTABLISHED", "SYN-RECEIVED"),
        "back to step 2"
    );
    click(&b, "#widget-handshake [data-action=first]").await;
    assert_eq!(states(&b).await, pair("CLOSED", "LISTEN"), "first");
    assert_eq!(
        b.count("#widget-handshake .hs-ladder [data-hs-seg]").await,
        0,
        "no arrows at step 0"
    );
    // The step list jumps straight to a step.
    click(&b, "#widget-handshake .hs-steps li[data-step='2'] button").await;
    assert_eq!(widget_step(&b, "handshake").await, "2");
    assert_eq!(
        b.count("#widget-handshake .hs-ladder [data-hs-seg]").await,
        2
    );
    click(&b, "#widget-handshake [data-action=last]").await;
    assert_eq!(widget_step(&b, "handshake").await, "5");
    assert!(
        b.text("#widget-handshake .hs-detail [data-hs-field=ack]")
            .await
            .contains("3141592754"),
        "ack=a+101"
    );

    // The static tables are still in the page, folded under 表で見る.
    assert_eq!(
        b.count("#widget-handshake details.hs-tables [data-widget-static] table")
            .await,
        6
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-handshake-desktop").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_inside_the_widget_and_never_turn_the_page() {
    let b = Browser::start().await;
    open_widget(&b, "handshake", "/topics/tcp").await;
    focus_widget(&b, "handshake").await;
    b.press(keys::RIGHT).await;
    b.press(keys::RIGHT).await;
    assert_eq!(
        states(&b).await,
        pair("ESTABLISHED", "SYN-RECEIVED"),
        "→ → is step 2"
    );
    b.press(keys::LEFT).await;
    assert_eq!(
        states(&b).await,
        pair("SYN-SENT", "SYN-RECEIVED"),
        "← is step 1"
    );
    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "handshake").await, "5");
    assert_eq!(states(&b).await, pair("ESTABLISHED", "ESTABLISHED"));
    b.press(keys::HOME).await;
    assert_eq!(states(&b).await, pair("CLOSED", "LISTEN"));
    // ←/→ went to the widget, not to the previous/next topic.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.client.current_url().await.expect("url").path(),
        "/topics/tcp"
    );
    // A button inside the widget keeps the keys too.
    click(&b, "#widget-handshake [data-action=next]").await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "handshake").await, "2");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.client.current_url().await.expect("url").path(),
        "/topics/tcp"
    );
    // Space on the widget plays from here and pauses again.
    focus_widget(&b, "handshake").await;
    b.press(keys::SPACE).await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-handshake [data-action=play]').getAttribute('aria-pressed')").await,
        "true"
    );
    wait_for(
        &b,
        "document.querySelector('#widget-handshake [data-widget-root]').dataset.step === '3'",
        "play to reach step 3",
    )
    .await;
    b.press(keys::SPACE).await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-handshake [data-action=play]').getAttribute('aria-pressed')").await,
        "false"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(widget_step(&b, "handshake").await, "3", "paused");
    assert_eq!(states(&b).await, pair("ESTABLISHED", "ESTABLISHED"));
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_port_relative_numbers_and_the_hash() {
    let b = Browser::start().await;
    open_widget(&b, "handshake", "/topics/tcp").await;
    b.eval(
        "const s = document.querySelector('#widget-handshake .hs-scenario');
         s.value = 'closed-port'; s.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    wait_for(
        &b,
        "location.hash.includes('scenario=closed-port')",
        "the closed-port scenario",
    )
    .await;
    click(&b, "#widget-handshake [data-action=last]").await;
    assert_eq!(
        b.text("#widget-handshake .hs-detail [data-hs-field=flags]")
            .await,
        "RST,ACK"
    );
    assert!(
        b.text("#widget-handshake .hs-ladder [data-hs-seg='1'] .hs-flags")
            .await
            .contains("RST")
    );
    assert!(
        b.text("#widget-handshake .hs-detail .hs-explain")
            .await
            .contains("ECONNREFUSED")
    );
    assert_eq!(states(&b).await, pair("CLOSED", "CLOSED"));

    // Relative numbering: back to normal, step 2, the SYN,ACK acknowledges 1.
    b.eval(
        "const s = document.querySelector('#widget-handshake .hs-scenario');
         s.value = 'normal'; s.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    wait_for(
        &b,
        "location.hash.includes('scenario=normal')",
        "the normal scenario",
    )
    .await;
    click(&b, "#widget-handshake .hs-relative").await;
    wait_for(
        &b,
        "location.hash.includes('relative=1')",
        "relative numbers",
    )
    .await;
    click(&b, "#widget-handshake [data-action=next]").await;
    click(&b, "#widget-handshake [data-action=next]").await;
    let nums = b.text("#widget-handshake [data-hs-seg='1'] .hs-nums").await;
    assert!(nums.ends_with("ack=1"), "SYN,ACK label {nums:?}");
    assert_eq!(
        b.text("#widget-handshake .hs-detail [data-hs-field=ack]")
            .await,
        "1"
    );
    assert_eq!(b.text("#widget-handshake .hs-relative").await, "相対番号");
    assert_eq!(
        b.eval("return document.querySelector('#widget-handshake .hs-relative').getAttribute('aria-pressed')").await,
        "true"
    );

    // A new ISN changes the numbers but keeps the step; relative ack stays 1.
    let isn_before = b.text(".hs-isn").await;
    click(&b, "#widget-handshake .hs-new-isn").await;
    wait_for(&b, "!location.hash.includes('seed=0&')", "a new seed").await;
    wait_for(
        &b,
        &format!("document.querySelector('.hs-isn').textContent !== {isn_before:?}"),
        "new ISNs",
    )
    .await;
    assert_eq!(widget_step(&b, "handshake").await, "2");
    assert_eq!(
        b.text("#widget-handshake .hs-detail [data-hs-field=ack]")
            .await,
        "1"
    );
    click(&b, "#widget-handshake .hs-relative").await;
    wait_for(
        &b,
        "!location.hash.includes('relative=1')",
        "absolute numbers",
    )
    .await;
    let ack = b
        .text("#widget-handshake .hs-detail [data-hs-field=ack]")
        .await;
    assert_ne!(ack, A1, "a new ISN gives another a+1");

    // The hash holds everything: a reload shows the same scenario, seed, step and numbers.
    let hash = b.eval("return location.hash").await;
    assert!(
        hash.as_str()
            .unwrap()
            .starts_with("#w=handshake&scenario=normal&seed="),
        "{hash}"
    );
    b.open("/").await;
    open_widget(
        &b,
        "handshake",
        &format!("/topics/tcp{}", hash.as_str().unwrap()),
    )
    .await;
    assert_eq!(widget_step(&b, "handshake").await, "2");
    assert_eq!(
        b.text("#widget-handshake .hs-detail [data-hs-field=ack]")
            .await,
        ack
    );
    assert_eq!(states(&b).await, pair("ESTABLISHED", "SYN-RECEIVED"));
    b.client.refresh().await.expect("reload");
    wait_for(
        &b,
        "document.querySelector('#widget-handshake [data-widget-root]')?.dataset.state === 'ready'",
        "the widget after reload",
    )
    .await;
    assert_eq!(
        b.text("#widget-handshake .hs-detail [data-hs-field=ack]")
            .await,
        ack
    );
    assert_eq!(states(&b).await, pair("ESTABLISHED", "SYN-RECEIVED"));
    // The widget was scrolled into view.
    let top = b
        .eval("return document.getElementById('widget-handshake').getBoundingClientRect().top")
        .await;
    assert!(
        top.as_f64().unwrap().abs() < 200.0,
        "widget scrolled into view, top = {top}"
    );

    // A hash with a bad value shows the server's message and still loads a scenario.
    b.open("/").await;
    open_widget(
        &b,
        "handshake",
        "/topics/tcp#w=handshake&scenario=bogus&seed=0&step=1",
    )
    .await;
    assert!(
        b.text("#widget-handshake .hs-error")
            .await
            .contains("bogus")
    );
    assert_eq!(states(&b).await, pair("CLOSED", "LISTEN"));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_grades_on_the_server() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "handshake",
        "/topics/tcp#w=handshake&scenario=normal&seed=0&step=1",
    )
    .await;
    assert_eq!(states(&b).await, pair("SYN-SENT", "SYN-RECEIVED"));
    toggle_predict_mode(&b, "handshake").await;
    // The question is about the SYN,ACK (step 2); its arrow is not drawn yet, only a placeholder.
    assert!(b.text("#widget-handshake .hs-q").await.contains("SYN,ACK"));
    assert_eq!(
        b.count("#widget-handshake .hs-ladder [data-hs-seg='1'].hs-pending")
            .await,
        1
    );
    assert!(!b.text("#widget-handshake .hs-ladder").await.contains(A1));
    assert_eq!(
        b.eval("return document.querySelector('#widget-handshake .hs-pfield').value")
            .await,
        "ack"
    );
    // A wrong answer (the ISN itself, forgetting the +1): marked wrong, with the expected value.
    click(&b, "#widget-handshake .hs-answer").await;
    b.press(A).await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-handshake .hs-feedback:not([hidden])')",
        "feedback",
    )
    .await;
    assert!(
        b.text("#widget-handshake .hs-verdict")
            .await
            .contains("不正解")
    );
    assert_eq!(b.text("#widget-handshake [data-hs-expected]").await, A1);
    assert!(
        b.text("#widget-handshake .hs-feedback .hs-explain")
            .await
            .contains("+1 は SYN の分")
    );
    // The step is then revealed.
    assert_eq!(widget_step(&b, "handshake").await, "2");
    assert_eq!(states(&b).await, pair("ESTABLISHED", "SYN-RECEIVED"));
    // Next question: the client's ACK; answer it right (b+1). Focus stayed in the answer box.
    assert!(
        b.text("#widget-handshake .hs-q")
            .await
            .contains("ステップ 3")
    );
    b.press(B1).await;
    b.press(keys::ENTER).await;
    wait_for(&b, "document.querySelector('#widget-handshake .hs-verdict')?.textContent.includes('正解') && document.querySelector('#widget-handshake [data-widget-root]').dataset.step === '3'", "the second verdict").await;
    assert!(
        b.text("#widget-handshake .hs-verdict")
            .await
            .starts_with("✓ 正解")
    );
    assert_eq!(b.count("#widget-handshake [data-hs-expected]").await, 0);
    assert_eq!(states(&b).await, pair("ESTABLISHED", "ESTABLISHED"));
    // A state question: pick the server's state after the data segment.
    b.eval(
        "const f = document.querySelector('#widget-handshake .hs-pfield');
         f.value = 'server_state'; f.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    b.eval(
        "const a = document.querySelector('#widget-handshake select.hs-answer');
         a.value = 'ESTABLISHED'; return 1",
    )
    .await;
    click(&b, "#widget-handshake .hs-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-handshake [data-widget-root]').dataset.step === '4'",
        "step 4",
    )
    .await;
    assert!(
        b.text("#widget-handshake .hs-verdict")
            .await
            .starts_with("✓ 正解")
    );
    assert!(
        b.eval("return location.hash")
            .await
            .as_str()
            .unwrap()
            .contains("predict=1")
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-handshake-predict").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn phone_width_has_no_sideways_scroll() {
    let b = phone().await;
    open_widget(
        &b,
        "handshake",
        "/topics/tcp#w=handshake&scenario=simultaneous-open&seed=0&step=4",
    )
    .await;
    assert_eq!(states(&b).await, pair("ESTABLISHED", "ESTABLISHED"));
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow.as_i64(), Some(0), "no sideways scroll at 360 px");
    let ladder = b
        .eval("return document.querySelector('#widget-handshake .hs-ladder').getBoundingClientRect().width")
        .await;
    assert!(
        ladder.as_f64().unwrap() <= 360.0 && ladder.as_f64().unwrap() > 250.0,
        "ladder {ladder}"
    );
    b.screenshot("widget-handshake-phone").await;
    b.eval("document.querySelector('#widget-handshake .hs-main').scrollIntoView(); return 1")
        .await;
    b.screenshot("widget-handshake-phone-diagram").await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_segments_timeline_and_close_in_the_dark_theme() {
    let b = Browser::start().await;
    click_theme_dark(&b).await;
    open_widget(
        &b,
        "handshake",
        "/topics/tcp#w=handshake&scenario=lost-syn&seed=0&step=2",
    )
    .await;
    // Two lost SYNs: arrows that stop midway with ✗; the server never left LISTEN.
    assert_eq!(
        b.count("#widget-handshake .hs-ladder .hs-seg.hs-lost")
            .await,
        2
    );
    assert_eq!(b.count("#widget-handshake .hs-ladder .hs-x").await, 2);
    assert_eq!(states(&b).await, pair("SYN-SENT", "LISTEN"));
    let times = b.text("#widget-handshake .hs-ladder").await;
    assert!(times.contains("t=1 秒"), "1 s backoff in {times:?}");
    click(&b, "#widget-handshake [data-action=next]").await;
    assert!(
        b.text("#widget-handshake .hs-ladder")
            .await
            .contains("t=3 秒"),
        "then 2 s more"
    );
    assert_eq!(states(&b).await, pair("SYN-SENT", "SYN-RECEIVED"));
    b.eval("document.querySelector('#widget-handshake .hs-main').scrollIntoView(); return 1")
        .await;
    b.screenshot("widget-handshake-lost-syn-dark").await;

    b.open("/").await;
    open_widget(
        &b,
        "handshake",
        "/topics/tcp#w=handshake&scenario=close&seed=0&step=4",
    )
    .await;
    assert_eq!(states(&b).await, pair("TIME-WAIT", "CLOSED"));
    assert_eq!(
        b.count("#widget-handshake [data-hs-sd='TIME-WAIT'].hs-sd-client")
            .await,
        1
    );
    assert!(
        b.text("#widget-handshake .hs-detail .hs-explain")
            .await
            .contains("2×MSL")
    );
    click(&b, "#widget-handshake [data-action=next]").await;
    assert_eq!(states(&b).await, pair("CLOSED", "CLOSED"));
    assert!(
        b.text("#widget-handshake .hs-ladder .hs-timer")
            .await
            .contains("2MSL")
    );
    b.eval("document.querySelector('#widget-handshake .hs-main').scrollIntoView(); return 1")
        .await;
    b.screenshot("widget-handshake-close-dark").await;
    finish(b).await;
}

/// Switches the site to the dark theme (the toggle sets a cookie the server reads).
async fn click_theme_dark(b: &Browser) {
    b.open("/").await;
    if b.eval("return getComputedStyle(document.documentElement).colorScheme")
        .await
        != "dark"
    {
        b.click("[data-theme-toggle]").await;
    }
}

/// The largest step number among `css` elements' `attr` in the handshake widget (−1 for none).
async fn highest(b: &Browser, css: &str, attr: &str) -> i64 {
    b.eval(&format!(
        "return Math.max(-1, ...[...document.querySelectorAll('#widget-handshake {css}')].map(e => Number(e.getAttribute('{attr}'))))"
    ))
    .await
    .as_i64()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_leaves_no_later_segment_in_the_page() {
    // Issue 15: a predict mode may show no future step, reply or outcome — hidden or dimmed still tells.
    let b = Browser::start().await;
    click_theme_dark(&b).await;
    open_widget(
        &b,
        "handshake",
        "/topics/tcp#w=handshake&scenario=lost-ack&seed=0&step=0&predict=1",
    )
    .await;
    for k in 0..3i64 {
        wait_for(
            &b,
            &format!("document.querySelector('#widget-handshake [data-widget-root]').dataset.step === '{k}'"),
            "the step",
        )
        .await;
        // Asked about segment k (0-based): the step list holds the k segments shown, the ladder draws
        // them and the one asked about (as "?"), and the tables that write every step out are gone.
        assert_eq!(highest(&b, ".hs-steps li[data-step]", "data-step").await, k);
        assert_eq!(
            highest(&b, ".hs-ladder [data-hs-seg]", "data-hs-seg").await,
            k
        );
        assert_eq!(b.count("#widget-handshake .hs-tables").await, 0);
        assert_eq!(b.count("#widget-handshake [data-widget-static]").await, 0);
        // In the DOM at all, hidden or not.
        let dom = b
            .eval("return document.getElementById('widget-handshake').textContent")
            .await
            .as_str()
            .unwrap()
            .to_string();
        assert!(!dom.contains("再送"), "the retransmission is ahead: {dom}");
        if k == 1 {
            b.eval("document.querySelector('#widget-handshake .hs-predict').scrollIntoView({block: 'end'}); return 1")
                .await;
            b.screenshot("widget-handshake-predict-pending-dark").await;
        }
        // Skip to the next question.
        click(&b, "#widget-handshake .hs-skip").await;
    }
    // Through to the end: everything is back, tables included.
    b.eval("location.hash = '#w=handshake&scenario=lost-ack&seed=0&step=7&predict=1'; return 1")
        .await;
    wait_for(
        &b,
        "document.querySelector('#widget-handshake [data-widget-root]').dataset.step === '7'",
        "the last step",
    )
    .await;
    assert_eq!(highest(&b, ".hs-steps li[data-step]", "data-step").await, 7);
    assert_eq!(b.count("#widget-handshake .hs-tables").await, 1);
    assert!(
        b.text("#widget-handshake .hs-ladder")
            .await
            .contains("再送")
    );
    finish(b).await;
}
