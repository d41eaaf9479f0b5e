//! Guards the process-components widget on /topics/process-components (W13 in facts.md): the keys
//! walk the tour of /proc/PID (the address space lights up text first), execve's last step shows
//! SIGINT back at SIG_DFL and fd 4 closed, 予想モード shows neither the fates nor the process after
//! execve (nor the tables) until the server grades, then marks the wrong component; the page
//! without JavaScript has every scenario; a 360 px phone has no sideways scroll and diagram text of
//! at least 12 px.

use crate::support::tap as click;
use crate::support::{Browser, keys, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, finish, focus_widget, open_widget, phone, toggle_predict_mode,
    widget_step, without_javascript,
};

#[tokio::test(flavor = "multi_thread")]
async fn keys_walk_the_tour_and_execve_resets_the_handler() {
    let b = Browser::start().await;
    open_widget(&b, "procmem", "/topics/process-components").await;
    assert_eq!(widget_step(&b, "procmem").await, "0");
    assert_eq!(b.count("#widget-procmem .pm-card").await, 1);
    focus_widget(&b, "procmem").await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "procmem").await, "1");
    assert_eq!(
        b.count("#widget-procmem [data-pm-region=text].pm-lit")
            .await,
        1,
        "the text mapping lights up"
    );
    assert!(
        b.text("#widget-procmem .pm-source")
            .await
            .contains("proc(5)")
    );
    b.press(keys::END).await;
    assert_eq!(widget_step(&b, "procmem").await, "10");
    assert!(b.text("#widget-procmem .pm-note").await.contains("PID"));
    assert!(b.path().await.starts_with("/topics/process-components"));

    b.eval(
        "const s = document.querySelector('#widget-procmem .pm-scenario');
         s.value = 'exec'; s.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    wait_for(&b, "location.hash.includes('scenario=exec')", "exec").await;
    click(&b, "#widget-procmem [data-action=next]").await;
    assert!(
        b.text("#widget-procmem [data-pm-signal=SIGINT]")
            .await
            .contains("SIG_DFL")
    );
    assert_eq!(
        b.count("#widget-procmem .pm-fds tbody tr").await,
        4,
        "fd 4 closed"
    );
    assert!(
        b.text("#widget-procmem [data-pm-fate=sigint]")
            .await
            .contains("既定の動作に戻る")
    );
    // Without FD_CLOEXEC fd 4 survives execve.
    click(&b, "#widget-procmem .pm-cloexec").await;
    wait_for(&b, "location.hash.includes('cloexec=0')", "no FD_CLOEXEC").await;
    click(&b, "#widget-procmem [data-action=next]").await;
    assert_eq!(b.count("#widget-procmem .pm-fds tbody tr").await, 5);
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-procmem-desktop").await;
    b.eval("document.documentElement.dataset.theme = 'dark'; return 1")
        .await;
    b.screenshot("widget-procmem-desktop-dark").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_hides_the_outcome_until_the_server_grades() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "procmem",
        "/topics/process-components#w=procmem&scenario=exec&step=0",
    )
    .await;
    toggle_predict_mode(&b, "procmem").await;
    assert!(b.text("#widget-procmem .pm-q").await.contains("execve"));
    assert_eq!(b.count("#widget-procmem [data-pm-fate]").await, 0);
    assert_eq!(b.count("#widget-procmem [data-widget-static]").await, 0);
    assert_eq!(b.count("#widget-procmem .pm-steps li").await, 1);
    let text = b
        .eval("return document.getElementById('widget-procmem').textContent")
        .await;
    assert!(
        !text.as_str().unwrap().contains("python3.11"),
        "the process after execve is not shown"
    );
    click(&b, "#widget-procmem [data-action=next]").await;
    assert_eq!(
        widget_step(&b, "procmem").await,
        "0",
        "held at the question"
    );
    b.eval("document.querySelector('#widget-procmem .pm-predict').scrollIntoView({block: 'start'}); return 1")
        .await;
    b.screenshot("widget-procmem-predict").await;

    // Every component right but SIGINT (the slip: a caught handler does not survive execve).
    b.eval(
        "const a = {pid:'kept', ppid:'kept', tid:'kept', memory:'replaced', stack:'replaced', fds:'kept',
                    fd4:'closed', cwd:'kept', creds:'kept', sigint:'kept', sigpipe:'kept', mask:'kept'};
         for (const [c, v] of Object.entries(a)) {
           const s = document.querySelector(`#widget-procmem .pm-fatesel[data-component=\"${c}\"]`);
           s.value = v; s.dispatchEvent(new Event('change'));
         } return 1",
    )
    .await;
    click(&b, "#widget-procmem .pm-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-procmem .pm-feedback:not([hidden])')",
        "feedback",
    )
    .await;
    assert!(
        b.text("#widget-procmem .pm-verdict")
            .await
            .contains("11 / 12")
    );
    assert!(
        b.text("#widget-procmem [data-pm-wrong=sigint]")
            .await
            .contains("既定の動作に戻る")
    );
    assert_eq!(widget_step(&b, "procmem").await, "1");
    assert_eq!(b.count("#widget-procmem [data-pm-fate]").await, 12);
    b.eval("document.querySelector('#widget-procmem .pm-feedback').scrollIntoView({block: 'start'}); return 1")
        .await;
    b.screenshot("widget-procmem-graded").await;
    toggle_predict_mode(&b, "procmem").await;
    assert_eq!(b.count("#widget-procmem [data-widget-static]").await, 1);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_every_scenario_is_a_table() {
    let b = without_javascript().await;
    b.open("/topics/process-components").await;
    assert_eq!(b.count("#widget-procmem details[data-scenario]").await, 4);
    assert_eq!(
        b.count("#widget-procmem details[data-scenario] table.fates")
            .await,
        3
    );
    assert!(
        b.text("#widget-procmem .procmem-maps")
            .await
            .contains("[stack]")
    );
    assert_eq!(b.count("#widget-procmem .pm").await, 0);
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_has_no_sideways_scroll_and_legible_diagram_text() {
    let b = phone().await;
    open_widget(
        &b,
        "procmem",
        "/topics/process-components#w=procmem&scenario=fork&step=1",
    )
    .await;
    assert_eq!(b.count("#widget-procmem .pm-card").await, 2);
    assert_fits_the_phone(&b, "#widget-procmem .pm-svg", "360 px").await;
    b.eval("document.querySelector('#widget-procmem .pm-card').scrollIntoView({block: 'start'}); return 1")
        .await;
    b.screenshot("widget-procmem-phone").await;
    b.eval("document.documentElement.dataset.theme = 'dark'; return 1")
        .await;
    b.screenshot("widget-procmem-phone-dark").await;
    finish(b).await;
}
