//! Guards the process-state / run-queue widget (W7 in facts.md) on /topics/run-queue and
//! /topics/process: ←/→/End step the lifecycle on 2 CPUs — grep (PID 103) waits R in CPU 0's queue,
//! runs, sleeps S on the pipe, waits D for the disk, is stopped T, exits Z and is gone after wait — with
//! one queue drawn per CPU and the load count R + D; ←/→ never turn the page; 4 CPUs draw 4 lanes;
//! predict mode keeps every later step (event list, static tables, text) out of the DOM until the server
//! has graded a wrong STAT and a right count; a 360 px phone in the dark theme has no sideways scroll and
//! diagram text of at least 12 px; without JavaScript both pages show the tables.

use crate::support::{Browser, keys, tap, type_into, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, dark_phone, finish, focus_widget, open_widget, toggle_predict_mode,
    wait_ready, without_javascript,
};

const W: &str = "#widget-sched";

async fn step(b: &Browser) -> u64 {
    b.eval("return Number(document.querySelector('#widget-sched [data-widget-root]').dataset.step)")
        .await
        .as_u64()
        .unwrap_or(999)
}

/// The STAT the ps table shows for `pid`, or "" when ps has no such line.
async fn stat(b: &Browser, pid: u32) -> String {
    b.eval(&format!(
        "return document.querySelector('{W} .sched-ps-table tr[data-pid=\"{pid}\"] .sched-stat')?.textContent ?? ''"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// (tasks running, R + D) as the counters show them.
async fn counts(b: &Browser) -> (u64, u64) {
    let v = b
        .eval("const q = (a) => Number(document.querySelector(`#widget-sched [${a}]`)?.getAttribute(a)); return [q('data-sched-running'), q('data-sched-load')]")
        .await;
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

/// Where grep (PID 103) is drawn: "on" a CPU, "queued", or an off-CPU state.
async fn grep_place(b: &Browser) -> String {
    b.eval(&format!(
        "const c = document.querySelector('{W} .sched-svg .sched-chip[data-pid=\"103\"]'); return c ? c.getAttribute('class') : ''"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_a_task_through_r_s_d_t_z_on_per_cpu_queues() {
    let b = Browser::start().await;
    open_widget(&b, "sched", "/topics/run-queue").await;
    assert_eq!(
        b.count(&format!("{W} .sched-lane[data-cpu]")).await,
        2,
        "one lane (queue) per CPU"
    );
    assert_eq!(counts(&b).await, (2, 2));
    focus_widget(&b, "sched").await;
    b.press(keys::RIGHT).await;
    assert_eq!(step(&b).await, 1);
    assert_eq!(stat(&b, 103).await, "R");
    assert!(
        grep_place(&b).await.contains("sched-queued"),
        "waits in CPU 0's queue"
    );
    assert_eq!(
        counts(&b).await,
        (2, 3),
        "2 run at once; R + D counts the waiting one"
    );
    b.press(keys::RIGHT).await;
    assert!(
        grep_place(&b).await.contains("sched-on"),
        "runs after the time slice"
    );
    assert_eq!(stat(&b, 103).await, "R");
    b.press(keys::RIGHT).await;
    assert_eq!(stat(&b, 103).await, "S");
    assert_eq!(counts(&b).await, (2, 2), "S is not counted");
    for _ in 0..3 {
        b.press(keys::RIGHT).await;
    }
    assert_eq!(stat(&b, 103).await, "D");
    assert_eq!(counts(&b).await, (2, 3), "D is counted");
    assert!(
        b.text(&format!("{W} .sched-source"))
            .await
            .contains("proc(5)")
    );
    b.press(keys::LEFT).await;
    assert_eq!(step(&b).await, 5);
    b.press(keys::END).await;
    assert_eq!(step(&b).await, 12);
    assert_eq!(stat(&b, 103).await, "", "reaped: ps shows it no more");
    b.press(keys::LEFT).await;
    assert_eq!(stat(&b, 103).await, "Z");
    assert_eq!(
        b.eval("return location.pathname").await,
        "/topics/run-queue",
        "←/→ stayed in the widget"
    );

    // Four CPUs: four lanes, four running.
    b.click(&format!("{W} .sched-cpus-select option[value='4']"))
        .await;
    wait_ready(&b, "sched").await;
    assert_eq!(b.count(&format!("{W} .sched-lane[data-cpu]")).await, 4);
    assert_eq!(counts(&b).await, (4, 4));
    // Balance: 1 CPU, 8 tasks → one runs, seven wait.
    b.click(&format!("{W} .sched-scenario option[value='balance']"))
        .await;
    wait_ready(&b, "sched").await;
    b.click(&format!("{W} .sched-cpus-select option[value='1']"))
        .await;
    wait_ready(&b, "sched").await;
    b.click(&format!("{W} .sched-tasks-select option[value='8']"))
        .await;
    wait_ready(&b, "sched").await;
    tap(&b, &format!("{W} [data-action=next]")).await;
    for _ in 0..7 {
        tap(&b, &format!("{W} [data-action=next]")).await;
    }
    assert_eq!(counts(&b).await, (1, 8));
    assert_eq!(b.count(&format!("{W} .sched-svg .sched-queued")).await, 7);
    assert!(
        b.eval("return location.hash")
            .await
            .as_str()
            .unwrap()
            .contains("tasks=8")
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-sched-balance").await;
    b.quit().await;
}

/// Whether the page's text holds `text` anywhere (visible or not).
async fn body_has(b: &Browser, text: &str) -> bool {
    b.eval(&format!(
        "return document.body.textContent.includes('{text}')"
    ))
    .await
    .as_bool()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_keeps_later_steps_out_of_the_page_until_graded() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "sched",
        "/topics/process#w=sched&scenario=lifecycle&cpus=2&step=2",
    )
    .await;
    assert_eq!(step(&b).await, 2);
    // The static tables hold every step (row 4's event is the pipe write).
    assert_eq!(
        b.count(&format!("{W} details.sched-tables [data-widget-static]"))
            .await,
        1
    );
    let future = "読むパイプに書き込む";
    assert!(body_has(&b, future).await);
    toggle_predict_mode(&b, "sched").await;
    assert_eq!(
        b.count(&format!("{W} [data-widget-static]")).await,
        0,
        "static tables out"
    );
    assert!(!body_has(&b, future).await, "no later step in the DOM");
    assert!(!body_has(&b, "ディスクを待つ").await);
    assert_eq!(
        b.count(&format!("{W} .sched-steps-list li")).await,
        3,
        "steps 0–2 only"
    );
    // The question names the next event only.
    let q = b.text(&format!("{W} .sched-q")).await;
    assert!(
        q.contains("空のパイプから read()") && q.contains("STAT"),
        "{q}"
    );
    // A wrong STAT: the server says S.
    b.click(&format!("{W} .sched-answer option[value='R']"))
        .await;
    tap(&b, &format!("{W} .sched-pform button[type=submit]")).await;
    wait_for(
        &b,
        "document.querySelector('#widget-sched .sched-feedback:not([hidden])')",
        "feedback",
    )
    .await;
    assert_eq!(step(&b).await, 3);
    assert!(
        b.text(&format!("{W} .sched-verdict"))
            .await
            .contains("不正解")
    );
    assert_eq!(b.text(&format!("{W} [data-sched-expected]")).await, "S");
    assert_eq!(stat(&b, 103).await, "S");
    // Now the pipe write is revealed as the question, and the disk read still is not in the page.
    assert!(body_has(&b, future).await);
    assert!(!body_has(&b, "ディスクを待つ").await);
    // A right count: after the write 2 tasks still run.
    b.click(&format!("{W} .sched-pfield option[value='running']"))
        .await;
    type_into(&b, &format!("{W} input.sched-answer"), "2").await;
    b.press(keys::ENTER).await;
    wait_for(
        &b,
        "document.querySelector('#widget-sched [data-widget-root]').dataset.step === '4'",
        "the next step",
    )
    .await;
    assert!(
        b.text(&format!("{W} .sched-verdict"))
            .await
            .contains("正解")
    );
    assert!(
        !b.text(&format!("{W} .sched-verdict"))
            .await
            .contains("不正解")
    );
    // Leaving predict mode brings the tables back.
    toggle_predict_mode(&b, "sched").await;
    assert_eq!(b.count(&format!("{W} [data-widget-static]")).await, 1);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_in_the_dark_theme_fits_and_keeps_text_legible() {
    let b = dark_phone().await;
    open_widget(
        &b,
        "sched",
        "/topics/run-queue#w=sched&scenario=balance&cpus=1&tasks=8&step=8",
    )
    .await;
    assert_fits_the_phone(&b, "#widget-sched .sched-svg", "360 px").await;
    assert_eq!(
        b.eval("return getComputedStyle(document.documentElement).colorScheme")
            .await,
        "dark"
    );
    b.eval("document.querySelector('#widget-sched .sched-main').scrollIntoView(); return 1")
        .await;
    b.screenshot("widget-sched-phone-dark").await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_both_pages_show_the_tables() {
    let b = without_javascript().await;
    for page in ["/topics/process", "/topics/run-queue"] {
        b.open(page).await;
        assert_eq!(
            b.count(&format!("{W} details.widget-scenario table")).await,
            3,
            "{page}"
        );
        let row = b
            .text(&format!(
                "{W} details[data-scenario=lifecycle] tr[data-step='6']"
            ))
            .await;
        assert!(
            row.contains("103 D grep") && row.contains("2 + 1 = 3"),
            "{page}: {row}"
        );
    }
    b.screenshot("widget-sched-no-js").await;
    b.quit().await;
}
