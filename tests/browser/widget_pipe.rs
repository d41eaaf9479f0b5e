//! Guards the pipe widget on /topics/ipc (W8 in facts.md): the keys step through the shell's system
//! calls with each process's descriptor table (pipe() gives 3 and 4, cat's 1 becomes the write end),
//! the ending and `$?` are the model's, 予想モード shows no later step (nor the tables) before the
//! server grades and then reveals the step, the page without JavaScript has every scenario's table,
//! and a 360 px phone has no sideways scroll and diagram text of at least 12 px.

use crate::support::tap as click;
use crate::support::{Browser, keys, wait_for};
use crate::widget_support::{
    assert_fits_the_phone, finish, focus_widget, open_widget, phone, toggle_predict_mode,
    widget_step, without_javascript,
};

/// What descriptor `fd` of `pid` shows in the diagram now.
async fn fd(b: &Browser, pid: u32, fd: u32) -> String {
    b.text(&format!("#widget-pipe [data-pp-fd='{pid}:{fd}'] .pp-fdk"))
        .await
}

/// Text of the live widget only (the folded tables aside).
async fn live_text(b: &Browser) -> String {
    b.eval("return document.querySelector('#widget-pipe .pp').textContent")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_through_the_calls_and_the_descriptor_tables() {
    let b = Browser::start().await;
    open_widget(&b, "pipe", "/topics/ipc").await;
    assert_eq!(widget_step(&b, "pipe").await, "0");
    assert_eq!(fd(&b, 100, 0).await, "端末");
    focus_widget(&b, "pipe").await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "pipe").await, "1");
    assert!(b.text("#widget-pipe .pp-call").await.contains("pipe(fds)"));
    assert_eq!(
        (fd(&b, 100, 3).await, fd(&b, 100, 4).await),
        ("読み口".to_string(), "書き口".to_string())
    );
    b.press(keys::RIGHT).await;
    b.press(keys::RIGHT).await;
    assert_eq!(widget_step(&b, "pipe").await, "3");
    assert!(b.text("#widget-pipe .pp-call").await.contains("dup2(4, 1)"));
    assert_eq!(fd(&b, 101, 1).await, "書き口");
    assert_eq!(
        b.count("#widget-pipe [data-pp-fd='101:1'].pp-changed")
            .await,
        1,
        "the changed descriptor is marked"
    );
    assert!(
        b.text("#widget-pipe .pp-source").await.contains("dup2(2)"),
        "each step names its man page"
    );
    // The page's own ←/→ (next topic) stay quiet inside the widget.
    assert!(b.path().await.starts_with("/topics/ipc"));
    b.press(keys::END).await;
    let summary = b.text("#widget-pipe [data-pp-summary]").await;
    assert!(summary.contains("$? = 0"), "{summary}");
    // At the end the pipe is empty and nobody holds either end.
    assert!(
        b.text("#widget-pipe [data-pp-pipe]")
            .await
            .contains("0 / 65,536")
    );
    b.press(keys::HOME).await;
    assert_eq!(widget_step(&b, "pipe").await, "0");

    // SIGPIPE: grep -m 1 quits early; pipefail reports cat's 141.
    b.eval(
        "const s = document.querySelector('#widget-pipe .pp-scenario');
         s.value = 'early-exit'; s.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    wait_for(
        &b,
        "location.hash.includes('scenario=early-exit')",
        "early-exit",
    )
    .await;
    click(&b, "#widget-pipe .pp-pipefail").await;
    wait_for(&b, "location.hash.includes('pipefail=1')", "pipefail").await;
    click(&b, "#widget-pipe [data-action=last]").await;
    let summary = b.text("#widget-pipe [data-pp-summary]").await;
    assert!(
        summary.contains("SIGPIPE") && summary.contains("$? = 141"),
        "{summary}"
    );
    assert!(
        b.text("#widget-pipe .pp-svg")
            .await
            .contains("回収済み・141（SIGPIPE）")
    );

    // The hash reproduces the view after a reload.
    b.client.refresh().await.expect("reload");
    wait_for(
        &b,
        "document.querySelector('#widget-pipe [data-widget-root]')?.dataset.state === 'ready'",
        "the widget after reload",
    )
    .await;
    assert!(
        b.text("#widget-pipe [data-pp-summary]")
            .await
            .contains("141")
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.screenshot("widget-pipe-desktop").await;
    b.eval("document.documentElement.dataset.theme = 'dark'; return 1")
        .await;
    b.screenshot("widget-pipe-desktop-dark").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn predict_mode_shows_no_later_step_until_the_server_grades() {
    let b = Browser::start().await;
    open_widget(
        &b,
        "pipe",
        "/topics/ipc#w=pipe&scenario=shell-keeps-w&step=0",
    )
    .await;
    toggle_predict_mode(&b, "pipe").await;
    let q = b.text("#widget-pipe .pp-q").await;
    assert!(q.contains("pipe(fds)"), "{q}");
    // Nothing after the question is in the DOM: no later call, no step button, not even the tables.
    assert_eq!(b.count("#widget-pipe .pp-steps li").await, 1);
    assert_eq!(b.count("#widget-pipe [data-widget-static]").await, 0);
    let text = b
        .eval("return document.getElementById('widget-pipe').textContent")
        .await;
    let text = text.as_str().unwrap();
    assert!(
        !text.contains("dup2(") && !text.contains("終わらない") && !text.contains("close(3)"),
        "{text}"
    );
    b.eval("document.querySelector('#widget-pipe .pp-predict').scrollIntoView({block: 'center'}); return 1")
        .await;
    b.screenshot("widget-pipe-predict").await;
    // Next is held at the question.
    click(&b, "#widget-pipe [data-action=next]").await;
    assert_eq!(widget_step(&b, "pipe").await, "0");

    // A wrong table: forgetting the read end pipe() returns.
    b.eval(
        "const s = document.querySelector('#widget-pipe .pp-fdsel[data-fd=\"4\"]');
         s.value = 'pipe-w'; s.dispatchEvent(new Event('change')); return 1",
    )
    .await;
    click(&b, "#widget-pipe .pp-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-pipe .pp-feedback:not([hidden])')",
        "feedback",
    )
    .await;
    assert!(b.text("#widget-pipe .pp-verdict").await.contains("不正解"));
    assert!(
        b.text("#widget-pipe [data-pp-expected]")
            .await
            .contains("3: パイプの読み口")
    );
    assert_eq!(
        widget_step(&b, "pipe").await,
        "1",
        "the step is revealed after grading"
    );
    assert_eq!(fd(&b, 100, 3).await, "読み口");

    // The fork: the child's table is the shell's; answer it right.
    assert!(b.text("#widget-pipe .pp-q").await.contains("子 101"));
    b.eval(
        "for (const [i, v] of ['tty','tty','tty','pipe-r','pipe-w'].entries()) {
           const s = document.querySelector(`#widget-pipe .pp-fdsel[data-fd=\"${i}\"]`);
           s.value = v; s.dispatchEvent(new Event('change'));
         } return 1",
    )
    .await;
    click(&b, "#widget-pipe .pp-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-pipe [data-widget-root]').dataset.step === '2'",
        "step 2",
    )
    .await;
    assert!(
        b.text("#widget-pipe .pp-verdict")
            .await
            .starts_with("✓ 正解")
    );
    assert_eq!(b.count("#widget-pipe .pp-steps li").await, 3);
    assert!(!live_text(&b).await.contains("close(4)"));

    // Skip to the shell's wait: the ending is asked before any data moves.
    for _ in 0..11 {
        click(&b, "#widget-pipe .pp-skip").await;
    }
    assert!(
        b.text("#widget-pipe .pp-q")
            .await
            .contains("どう終わりますか")
    );
    assert!(!live_text(&b).await.contains("write(1"));
    click(&b, "#widget-pipe input[value='grep-hangs']").await;
    click(&b, "#widget-pipe .pp-check").await;
    wait_for(&b, "document.querySelector('#widget-pipe .pp-verdict')?.textContent.includes('正解') && document.querySelector('#widget-pipe [data-widget-root]').dataset.step === '14'", "the ending's verdict").await;
    assert!(
        b.text("#widget-pipe .pp-verdict")
            .await
            .starts_with("✓ 正解")
    );
    // Leaving predict mode brings the tables back.
    toggle_predict_mode(&b, "pipe").await;
    assert_eq!(b.count("#widget-pipe [data-widget-static]").await, 1);
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_every_scenario_is_a_table() {
    let b = without_javascript().await;
    b.open("/topics/ipc").await;
    assert_eq!(
        b.count("#widget-pipe details[data-scenario] table").await,
        5
    );
    assert!(
        b.text("#widget-pipe details[data-scenario=pipeline] tbody")
            .await
            .contains("dup2(4, 1)")
    );
    assert_eq!(b.count("#widget-pipe .pp").await, 0);
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_has_no_sideways_scroll_and_legible_diagram_text() {
    let b = phone().await;
    open_widget(&b, "pipe", "/topics/ipc#w=pipe&scenario=pipeline&step=16").await;
    assert_fits_the_phone(&b, "#widget-pipe .pp-svg", "360 px").await;
    b.eval("document.querySelector('#widget-pipe .pp-svg').scrollIntoView({block: 'center'}); return 1")
        .await;
    b.screenshot("widget-pipe-phone").await;
    b.eval("document.documentElement.dataset.theme = 'dark'; return 1")
        .await;
    b.screenshot("widget-pipe-phone-dark").await;
    finish(b).await;
}
