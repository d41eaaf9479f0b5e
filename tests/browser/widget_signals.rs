//! Guards the signals widget (W5 in facts.md) on /topics/signals: Ctrl-C reaches the whole foreground
//! group (cat and grep), never bash or the background server; a grep that blocks SIGINT keeps it pending
//! and dies when it unblocks; Ctrl-Z then `bg` then Ctrl-C reaches only bash; the signal(7) table marks
//! the current signal and which numbers vary by architecture; ←/→ step inside the widget only; predict
//! mode keeps later steps out of the DOM until the server grades a wrong fate and a right number; a
//! 360 px phone in the dark theme has no sideways scroll and diagram text of at least 12 px; without
//! JavaScript the tables are there.

use crate::support::{Browser, keys, tap, type_into, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, dark_phone, finish, focus_widget, open_widget, toggle_predict_mode,
    wait_ready, without_javascript,
};

const W: &str = "#widget-signals";

async fn step(b: &Browser) -> u64 {
    b.eval(
        "return Number(document.querySelector('#widget-signals [data-widget-root]').dataset.step)",
    )
    .await
    .as_u64()
    .unwrap_or(999)
}

/// The fate the diagram shows for `pid` at this step.
async fn fate(b: &Browser, pid: u32) -> String {
    b.eval(&format!(
        "return document.querySelector('{W} .sig-svg .sig-proc[data-pid=\"{pid}\"]')?.dataset.fate ?? ''"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The PIDs marked as reached by this step's signal.
async fn hit(b: &Browser) -> Vec<u64> {
    let v = b
        .eval(&format!(
            "return [...document.querySelectorAll('{W} .sig-svg .sig-hit')].map(g => Number(g.dataset.pid))"
        ))
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

async fn body_has(b: &Browser, text: &str) -> bool {
    b.eval(&format!(
        "return document.body.textContent.includes('{text}')"
    ))
    .await
    .as_bool()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn keyboard_signals_reach_the_foreground_group_only() {
    let b = Browser::start().await;
    open_widget(&b, "signals", "/topics/signals").await;
    focus_widget(&b, "signals").await;
    b.press(keys::RIGHT).await;
    assert_eq!(step(&b).await, 1);
    assert_eq!(hit(&b).await, [201, 202], "the pipeline's group");
    assert_eq!(
        (fate(&b, 201).await, fate(&b, 202).await),
        ("terminated".into(), "terminated".into())
    );
    assert_eq!(
        (fate(&b, 100).await, fate(&b, 301).await),
        ("unaffected".into(), "unaffected".into())
    );
    assert_eq!(
        b.text(&format!("{W} .sig-disp-table tr.sig-current th"))
            .await,
        "SIGINT"
    );
    b.press(keys::RIGHT).await;
    assert_eq!(fate(&b, 201).await, "reaped", "SIGCHLD, then wait");
    assert_eq!(
        b.eval("return location.pathname").await,
        "/topics/signals",
        "←/→ stayed in the widget"
    );

    // grep blocks SIGINT: pending, then delivered when it unblocks.
    b.click(&format!("{W} .sig-handler option[value='block']"))
        .await;
    wait_ready(&b, "signals").await;
    tap(&b, &format!("{W} [data-action=next]")).await;
    assert_eq!(fate(&b, 202).await, "pending");
    assert!(
        b.text(&format!("{W} .sig-svg .sig-proc[data-pid='202']"))
            .await
            .contains("保留: SIGINT")
    );
    tap(&b, &format!("{W} [data-action=last]")).await;
    tap(&b, &format!("{W} [data-action=back]")).await;
    assert_eq!(fate(&b, 202).await, "terminated");

    // Ctrl-Z, bg, Ctrl-C: the last reaches bash alone.
    b.click(&format!("{W} .sig-scenario option[value='ctrl-z']"))
        .await;
    wait_ready(&b, "signals").await;
    tap(&b, &format!("{W} [data-action=last]")).await;
    assert_eq!(hit(&b).await, [100]);
    assert_eq!(fate(&b, 100).await, "handled");
    assert_eq!(fate(&b, 202).await, "unaffected");
    // The table says which numbers vary by architecture (SIGTSTP: 20, 18, 24, 25).
    let tstp = b
        .text(&format!("{W} .sig-disp-table tr[data-signal='SIGTSTP']"))
        .await;
    assert!(
        tstp.contains("20") && tstp.contains("25") && tstp.contains("違う"),
        "{tstp}"
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-signals-ctrl-z").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_grades_fates_on_the_server_without_showing_the_future() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "signals",
        "/topics/signals#w=signals&scenario=kill&handler=catch&step=0",
    )
    .await;
    // The static tables hold every outcome, e.g. the kill -9 step of this run.
    assert!(body_has(&b, "kill -9 301 と入力する").await);
    toggle_predict_mode(&b, "signals").await;
    assert_eq!(b.count(&format!("{W} [data-widget-static]")).await, 0);
    assert!(
        !body_has(&b, "kill -9 301 と入力する").await,
        "no later step in the DOM"
    );
    assert!(
        !body_has(&b, "ハンドラが動き、終わると").await,
        "no outcome text"
    );
    assert_eq!(b.count(&format!("{W} .sig-steps-list li")).await, 1);
    let q = b.text(&format!("{W} .sig-q")).await;
    assert!(q.contains("kill 301 と入力する"), "{q}");
    // server (the default choice) catches SIGTERM: "terminated" is wrong.
    b.click(&format!("{W} .sig-answer option[value='terminated']"))
        .await;
    tap(&b, &format!("{W} .sig-pform button[type=submit]")).await;
    wait_for(
        &b,
        "document.querySelector('#widget-signals .sig-feedback:not([hidden])')",
        "feedback",
    )
    .await;
    assert_eq!(step(&b).await, 1);
    assert!(
        b.text(&format!("{W} .sig-verdict"))
            .await
            .contains("不正解")
    );
    assert_eq!(
        b.eval(&format!(
            "return document.querySelector('{W} [data-sig-expected]').dataset.sigExpected"
        ))
        .await,
        "handled"
    );
    // Now the next action is the question; its number is 9.
    assert!(body_has(&b, "kill -9 301 と入力する").await);
    b.click(&format!("{W} .sig-pfield option[value='signo']"))
        .await;
    type_into(&b, &format!("{W} input.sig-answer"), "9").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-signals [data-widget-root]').dataset.step === '2'",
        "step 2",
    )
    .await;
    let verdict = b.text(&format!("{W} .sig-verdict")).await;
    assert!(
        verdict.contains("正解") && !verdict.contains("不正解"),
        "{verdict}"
    );
    assert_eq!(fate(&b, 301).await, "terminated");
    toggle_predict_mode(&b, "signals").await;
    assert_eq!(b.count(&format!("{W} [data-widget-static]")).await, 1);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_in_the_dark_theme_fits_and_keeps_text_legible() {
    let b = dark_phone().await;
    open_widget(
        &b,
        "signals",
        "/topics/signals#w=signals&scenario=ctrl-c&handler=block&step=1",
    )
    .await;
    assert_fits_the_phone(&b, "#widget-signals .sig-svg", "360 px").await;
    b.eval("document.querySelector('#widget-signals .sig-main').scrollIntoView(); return 1")
        .await;
    b.screenshot("widget-signals-phone-dark").await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_the_tables_are_there() {
    let b = without_javascript().await;
    b.open("/topics/signals").await;
    assert_eq!(
        b.count(&format!("{W} [data-signal-table] tbody tr")).await,
        9
    );
    assert_eq!(b.count(&format!("{W} details.widget-scenario")).await, 11);
    let row = b
        .text(&format!(
            "{W} details[data-scenario='ctrl-c'] tr[data-step='1']"
        ))
        .await;
    assert!(
        row.contains("SIGINT（2）") && row.contains("cat(201), grep(202)"),
        "{row}"
    );
    b.screenshot("widget-signals-no-js").await;
    b.quit().await;
}
