//! Guards the fork/exec process-tree widget on /topics/process-tree (W3 in facts.md): the fork loop
//! grown to N = 3 ends with 8 processes (PIDs 100–107) under init and shows fewer when stepping back;
//! in bash-ls PID 101 becomes ls after exec, a zombie after exit and is gone after wait; "build the tree"
//! grades a right and a wrong fork-loop tree on the server and marks the wrong node; ←/→/Home/End/Space
//! work while the widget has focus (and never turn the page); the URL hash reproduces scenario, N and
//! step after a reload; no console errors; a 360 px phone shows N = 5 (32 processes) with no sideways
//! page scroll.

use crate::support::{Browser, keys, tap, wait_for};
use crate::widget_support::{finish, focus_widget, open_widget, phone, wait_ready};
use std::time::Duration;

const PAGE: &str = "/topics/process-tree";
const NODES: &str = "#widget-forktree .ft-treebox .ft-node[data-pid]";

/// Picks a scenario from the select, as a user would.
async fn choose(b: &Browser, scenario: &str) {
    b.click(&format!("#ft-scenario option[value='{scenario}']"))
        .await;
    wait_ready(b, "forktree").await;
}

/// The PIDs of the process nodes drawn in the main tree (init is PID 1), sorted.
async fn pids(b: &Browser) -> Vec<u64> {
    let v = b
        .eval(&format!(
            "return [...document.querySelectorAll(\"{NODES}\")].map(n => Number(n.dataset.pid)).sort((a, b) => a - b)"
        ))
        .await;
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("pid"))
        .collect()
}

/// One attribute of the node for `pid` in the main tree, or None when no such node is drawn.
async fn node_attr(b: &Browser, pid: u32, attr: &str) -> Option<String> {
    b.eval(&format!(
        "const n = document.querySelector(\"{NODES}[data-pid='{pid}']\"); return n ? n.getAttribute('{attr}') : null"
    ))
    .await
    .as_str()
    .map(str::to_string)
}

/// The text of the first element matching `css` (textContent, which also works inside the SVG).
async fn text_of(b: &Browser, css: &str) -> String {
    b.eval(&format!(
        "return document.querySelector(\"{css}\")?.textContent ?? ''"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

async fn counter(b: &Browser) -> String {
    b.text("#widget-forktree .ft-count").await
}

/// The highlighted line of the fork-loop code, and whether it shows `i = 2`.
async fn node_line(b: &Browser) -> (String, bool) {
    let line = b
        .eval(
            "return document.querySelector('#widget-forktree .ft-line.ft-cur')?.dataset.line ?? ''",
        )
        .await;
    let text = text_of(b, "#widget-forktree .ft-line.ft-cur").await;
    (
        line.as_str().unwrap_or_default().to_string(),
        text.contains("fork();") && text.ends_with("← i = 2"),
    )
}

/// Clicks a node of the learner's tree, then lets it settle (nodes glide to new places after a fork).
async fn click_node(b: &Browser, pid: u32) {
    tap(b, &format!("{NODES}[data-pid='{pid}']")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fork_loop_grows_to_eight_processes_and_steps_back() {
    let b = Browser::start().await;
    open_widget(&b, "forktree", PAGE).await;
    choose(&b, "fork-loop").await;
    assert_eq!(
        b.eval("return document.getElementById('ft-n').value").await,
        "2"
    );
    tap(&b, "#widget-forktree .ft-n-plus").await;
    wait_ready(&b, "forktree").await;
    assert_eq!(
        b.eval("return document.getElementById('ft-n').value").await,
        "3"
    );
    assert!(
        b.text("#widget-forktree .ft-code").await.contains("i < 3"),
        "the code shows N = 3"
    );
    assert_eq!(pids(&b).await, vec![1, 100], "step 0: a.out under init");

    tap(&b, "#widget-forktree [data-action=last]").await;
    assert_eq!(counter(&b).await, "ステップ 7 / 7");
    let mut expected = vec![1];
    expected.extend(100..=107);
    assert_eq!(pids(&b).await, expected, "2^3 = 8 processes plus init");
    // The original process has N = 3 children; the last fork was 103 → 107 in iteration i = 2.
    assert_eq!(
        b.count(&format!("{NODES}[data-ppid='100']")).await,
        3,
        "PID 100 has 3 children"
    );
    assert_eq!(
        node_attr(&b, 107, "data-ppid").await.as_deref(),
        Some("103")
    );
    assert_eq!(
        node_line(&b).await,
        ("7".to_string(), true),
        "line 7 (fork) is highlighted with the loop variable i = 2"
    );
    // fork() returned the child's PID in the parent and 0 in the child.
    assert_eq!(
        text_of(&b, &format!("{NODES}[data-pid='103'] .ft-pill")).await,
        "fork()=107"
    );
    assert_eq!(
        text_of(&b, &format!("{NODES}[data-pid='107'] .ft-pill")).await,
        "fork()=0"
    );
    assert!(
        b.text("#widget-forktree .ft-rets")
            .await
            .contains("PID 107 では 0")
    );

    tap(&b, "#widget-forktree [data-action=back]").await;
    assert_eq!(counter(&b).await, "ステップ 6 / 7");
    assert_eq!(
        pids(&b).await.len(),
        8,
        "one process fewer after stepping back"
    );
    assert_eq!(
        node_attr(&b, 107, "data-pid").await,
        None,
        "107 is not there yet"
    );
    tap(&b, "#widget-forktree [data-action=first]").await;
    assert_eq!(pids(&b).await, vec![1, 100]);
    // The step list jumps straight to a step.
    tap(&b, "#widget-forktree .ft-steps button[data-step='3']").await;
    assert_eq!(counter(&b).await, "ステップ 3 / 7");
    assert_eq!(pids(&b).await, vec![1, 100, 101, 102, 103]);
    b.screenshot("widget-forktree-desktop").await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bash_ls_execs_in_the_child_which_becomes_a_zombie_until_bash_waits() {
    let b = Browser::start().await;
    open_widget(&b, "forktree", PAGE).await;
    assert_eq!(
        b.eval("return document.getElementById('ft-scenario').value")
            .await,
        "bash-ls"
    );
    assert_eq!(pids(&b).await, vec![1, 100]);

    tap(&b, "#widget-forktree [data-action=next]").await;
    assert_eq!(
        pids(&b).await,
        vec![1, 100, 101],
        "fork makes exactly one child"
    );
    assert_eq!(
        node_attr(&b, 101, "data-program").await.as_deref(),
        Some("bash")
    );
    assert!(
        b.text("#widget-forktree .ft-desc")
            .await
            .contains("A′ と A″ の 2 つに分かれるのではありません"),
        "the step corrects the notes' picture"
    );

    tap(&b, "#widget-forktree [data-action=next]").await;
    assert_eq!(counter(&b).await, "ステップ 2 / 6");
    assert_eq!(
        node_attr(&b, 101, "data-program").await.as_deref(),
        Some("ls"),
        "exec: same PID, new program"
    );
    assert!(text_of(&b, &format!("{NODES}[data-pid='101'] .ft-prog")).await == "ls");

    tap(&b, "#widget-forktree [data-action=next]").await; // bash blocks in wait4
    tap(&b, "#widget-forktree [data-action=next]").await; // ls exits
    assert_eq!(
        node_attr(&b, 101, "data-state").await.as_deref(),
        Some("zombie")
    );
    assert!(
        node_attr(&b, 101, "class")
            .await
            .unwrap_or_default()
            .contains("ft-zombie"),
        "the zombie is drawn differently"
    );
    assert_eq!(
        text_of(&b, &format!("{NODES}[data-pid='101'] .ft-st")).await,
        "Z"
    );

    tap(&b, "#widget-forktree [data-action=next]").await; // SIGCHLD
    assert!(
        b.text("#widget-forktree .ft-title")
            .await
            .contains("SIGCHLD")
    );
    tap(&b, "#widget-forktree [data-action=next]").await; // wait reaps
    assert_eq!(counter(&b).await, "ステップ 6 / 6");
    assert_eq!(node_attr(&b, 101, "data-pid").await, None, "reaped: gone");
    assert_eq!(pids(&b).await, vec![1, 100]);
    let live = b
        .eval("return document.querySelector('#widget-forktree p[aria-live=polite]').textContent")
        .await;
    assert!(
        live.as_str()
            .unwrap_or_default()
            .starts_with("ステップ 6 / 6"),
        "announced: {live}"
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn building_the_fork_loop_tree_is_graded_on_the_server() {
    let b = Browser::start().await;
    open_widget(&b, "forktree", PAGE).await;
    choose(&b, "fork-loop").await;
    tap(&b, "#widget-forktree .ft-mode[data-mode='build']").await;
    assert_eq!(
        pids(&b).await,
        vec![1, 100],
        "the learner starts from the initial tree"
    );
    assert_eq!(
        b.count("#widget-forktree .ft-steps:not([hidden])").await,
        0,
        "the steps are hidden"
    );

    // N = 2: 100 forks 101 and 102; 101 forks 103.
    click_node(&b, 100).await;
    click_node(&b, 100).await;
    click_node(&b, 101).await;
    assert_eq!(
        pids(&b).await,
        vec![1, 100, 101, 102, 103],
        "each click forks the next PID"
    );
    assert_eq!(
        node_attr(&b, 103, "data-ppid").await.as_deref(),
        Some("101")
    );
    tap(&b, "#widget-forktree .ft-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-forktree .ft-result').dataset.correct",
        "the grade",
    )
    .await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-forktree .ft-result').dataset.correct")
            .await,
        "true"
    );
    assert!(
        b.text("#widget-forktree .ft-result")
            .await
            .contains("正解です")
    );

    // A wrong tree: 100 forks three times.
    tap(&b, "#widget-forktree .ft-clear").await;
    assert_eq!(pids(&b).await, vec![1, 100]);
    for _ in 0..3 {
        click_node(&b, 100).await;
    }
    tap(&b, "#widget-forktree .ft-undo").await;
    assert_eq!(
        pids(&b).await,
        vec![1, 100, 101, 102],
        "undo removes the last fork"
    );
    click_node(&b, 100).await;
    tap(&b, "#widget-forktree .ft-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-forktree .ft-result').dataset.correct",
        "the grade",
    )
    .await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-forktree .ft-result').dataset.correct")
            .await,
        "false"
    );
    let text = b.text("#widget-forktree .ft-result").await;
    assert!(text.contains("不正解"), "{text}");
    assert!(text.contains("PID 103 の親は PID 101"), "{text}");
    assert!(
        node_attr(&b, 103, "class")
            .await
            .unwrap_or_default()
            .contains("ft-extra"),
        "PID 103 under the wrong parent is marked"
    );
    assert_eq!(b.count(&format!("{NODES}.ft-extra")).await, 1);
    b.screenshot("widget-forktree-build-wrong").await;

    // "Which action happened?" offers four calls and judges the pick from the step data.
    tap(&b, "#widget-forktree .ft-mode[data-mode='which']").await;
    assert_eq!(b.count("#widget-forktree .ft-choice").await, 4);
    tap(&b, "#widget-forktree .ft-choice").await;
    assert_eq!(
        b.count("#widget-forktree .ft-choice.ft-right").await,
        1,
        "the right call is shown"
    );
    assert!(
        b.text("#widget-forktree .ft-feedback")
            .await
            .contains("fork()")
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_step_while_focused_and_the_hash_reproduces_the_view() {
    let b = Browser::start().await;
    open_widget(&b, "forktree", PAGE).await;
    focus_widget(&b, "forktree").await;
    b.press(keys::RIGHT).await;
    b.press(keys::RIGHT).await;
    assert_eq!(counter(&b).await, "ステップ 2 / 6");
    b.press(keys::END).await;
    assert_eq!(counter(&b).await, "ステップ 6 / 6");
    b.press(keys::LEFT).await;
    assert_eq!(counter(&b).await, "ステップ 5 / 6");
    b.press(keys::HOME).await;
    assert_eq!(counter(&b).await, "ステップ 0 / 6");
    b.press(keys::LEFT).await;
    assert_eq!(
        counter(&b).await,
        "ステップ 0 / 6",
        "no step before the first"
    );
    assert_eq!(
        b.path().await.split('#').next(),
        Some(PAGE),
        "←/→ stay in the widget"
    );
    b.press(keys::SPACE).await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-forktree [data-action=play]').getAttribute('aria-pressed')").await,
        "true",
        "Space plays"
    );
    b.press(keys::SPACE).await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-forktree [data-action=play]').getAttribute('aria-pressed')").await,
        "false",
        "Space pauses"
    );

    choose(&b, "fork-loop").await;
    tap(&b, "#widget-forktree .ft-n-plus").await;
    wait_ready(&b, "forktree").await;
    for _ in 0..4 {
        tap(&b, "#widget-forktree [data-action=next]").await;
    }
    let hash = b.eval("return location.hash").await;
    let hash = hash.as_str().unwrap_or_default();
    for part in ["#w=forktree", "scenario=fork-loop", "n=3", "step=4"] {
        assert!(hash.contains(part), "{part} in {hash}");
    }
    b.client.refresh().await.expect("reload");
    wait_ready(&b, "forktree").await;
    assert_eq!(
        b.eval("return document.getElementById('ft-scenario').value")
            .await,
        "fork-loop"
    );
    assert_eq!(
        b.eval("return document.getElementById('ft-n').value").await,
        "3"
    );
    assert_eq!(counter(&b).await, "ステップ 4 / 7");
    assert_eq!(pids(&b).await, vec![1, 100, 101, 102, 103, 104]);

    // A hash for another mode and scenario opens it directly.
    open_widget(
        &b,
        "forktree",
        &format!("{PAGE}#w=forktree&scenario=orphan&subreaper=true&step=5"),
    )
    .await;
    assert!(
        b.eval("return document.getElementById('ft-subreaper').checked")
            .await
            == true
    );
    assert_eq!(
        node_attr(&b, 102, "data-ppid").await.as_deref(),
        Some("100"),
        "the subreaper adopts sleep"
    );
    open_widget(
        &b,
        "forktree",
        &format!("{PAGE}#w=forktree&scenario=orphan&step=5"),
    )
    .await;
    assert_eq!(
        node_attr(&b, 102, "data-ppid").await.as_deref(),
        Some("1"),
        "init adopts sleep"
    );
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_shows_thirty_two_processes_without_sideways_page_scroll() {
    let b = phone().await;
    open_widget(&b, "forktree", PAGE).await;
    let width = b.eval("return document.documentElement.clientWidth").await;
    assert!(
        width.as_i64().unwrap_or(0) <= 400,
        "phone width, got {width}"
    );
    choose(&b, "fork-loop").await;
    for _ in 0..3 {
        tap(&b, "#widget-forktree .ft-n-plus").await;
        wait_ready(&b, "forktree").await;
    }
    assert_eq!(
        b.eval("return document.getElementById('ft-n').value").await,
        "5"
    );
    tap(&b, "#widget-forktree [data-action=last]").await;
    assert_eq!(counter(&b).await, "ステップ 31 / 31");
    assert_eq!(pids(&b).await.len(), 33, "2^5 = 32 processes plus init");
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "no sideways page scroll at 360 px"
    );
    // The tree keeps a readable size and scrolls inside its own box instead.
    let scale = b
        .eval("const s = document.querySelector('#widget-forktree .ft-treebox svg'); return s.width.baseVal.value / s.viewBox.baseVal.width")
        .await;
    assert!(scale.as_f64().unwrap_or(0.0) >= 0.75, "tree scale {scale}");
    b.eval("document.querySelector('#widget-forktree .ft-code').scrollIntoView(); return 1")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.screenshot("widget-forktree-phone").await;
    tap(&b, "#widget-forktree .ft-mode[data-mode='which']").await;
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "no sideways page scroll in the quiz mode"
    );
    finish(b).await;
}

/// The whole widget's text, hidden parts and the SVG included.
async fn widget_dom_text(b: &Browser) -> String {
    text_of(b, "#widget-forktree").await
}

#[tokio::test(flavor = "multi_thread")]
async fn step_zero_headers_name_the_initial_state_and_never_null() {
    // Issue 15: a literal "null" stood in the step-0 header (no action at step 0, and the header was
    // built with replaceChildren, which prints null; lib/dom.js `fill` now leaves empty values out).
    let b = Browser::start().await;
    for (scenario, steps) in [
        ("bash-ls", 6),
        ("fork-loop", 3),
        ("pipeline", 14),
        ("orphan", 8),
        ("random", 10),
    ] {
        // From a later step back to the first, as a reader does.
        open_widget(
            &b,
            "forktree",
            &format!("{PAGE}#w=forktree&scenario={scenario}&step=2"),
        )
        .await;
        tap(&b, "#widget-forktree [data-action=first]").await;
        let head = text_of(&b, "#widget-forktree .ft-info-head").await;
        assert_eq!(
            head,
            format!("ステップ 0 / {steps}最初の状態プロセス 1 個（init を除く）"),
            "{scenario}"
        );
        assert_eq!(
            b.count("#widget-forktree .ft-info-head .ft-act").await,
            0,
            "no action at step 0"
        );
        let all = widget_dom_text(&b).await;
        assert!(
            !all.contains("null") && !all.contains("undefined"),
            "{scenario}: {all}"
        );
    }
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn questions_show_no_step_or_table_and_bash_ls_is_built_with_exec() {
    let b = phone().await;
    // Dark theme, as a reader on a phone at night.
    b.open("/").await;
    if b.eval("return getComputedStyle(document.documentElement).colorScheme")
        .await
        != "dark"
    {
        b.click("[data-theme-toggle]").await;
    }
    open_widget(
        &b,
        "forktree",
        &format!("{PAGE}#w=forktree&scenario=bash-ls&mode=build"),
    )
    .await;
    // A question: no step list (each step's title is an answer) and no tables, in the DOM at all.
    assert_eq!(b.count("#widget-forktree .ft-steps li").await, 0);
    assert_eq!(b.count("#widget-forktree [data-widget-static]").await, 0);
    let dom = widget_dom_text(&b).await;
    assert!(
        !dom.contains("を回収"),
        "the reap is not written out: {dom}"
    );
    // The scenario ends where it began (ls exits and is reaped): the puzzle asks for the fullest tree on
    // the way, so the starting tree checked unchanged is not already right…
    assert!(
        b.text("#widget-forktree .ft-problem")
            .await
            .contains("プロセスがいちばん多い時点")
    );
    tap(&b, "#widget-forktree .ft-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-forktree .ft-result').dataset.correct",
        "the grade",
    )
    .await;
    let verdict = b.text("#widget-forktree .ft-result").await;
    assert!(verdict.starts_with("不正解"), "{verdict}");
    // …and the feedback names the real mistake (a zombie still in the table), not fork.
    assert!(
        verdict.contains("PID 101 は終了していますが、親がまだ wait していない"),
        "{verdict}"
    );
    assert!(
        !verdict.contains("fork は呼んだプロセスの子を 1 つだけ"),
        "{verdict}"
    );

    // Fork, then exec ls in the child: right.
    click_node(&b, 100).await;
    tap(&b, "#widget-forktree .ft-tool[data-tool=exec]").await;
    assert_eq!(
        b.eval("return document.querySelector('#widget-forktree .ft-exec-program').value")
            .await,
        "ls"
    );
    click_node(&b, 101).await;
    assert_eq!(
        node_attr(&b, 101, "data-program").await.as_deref(),
        Some("ls")
    );
    assert_eq!(
        node_attr(&b, 101, "data-ppid").await.as_deref(),
        Some("100"),
        "same PID, same parent"
    );
    tap(&b, "#widget-forktree .ft-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-forktree .ft-result').dataset.correct === 'true'",
        "a right tree",
    )
    .await;
    b.screenshot("widget-forktree-build-exec-phone-dark").await;

    // The fork loop left untouched: three forks missing, drawn as dotted places (two levels deep).
    open_widget(
        &b,
        "forktree",
        &format!("{PAGE}#w=forktree&scenario=fork-loop&n=2&mode=build"),
    )
    .await;
    tap(&b, "#widget-forktree .ft-check").await;
    wait_for(
        &b,
        "document.querySelector('#widget-forktree .ft-result').dataset.correct === 'false'",
        "the grade",
    )
    .await;
    let verdict = b.text("#widget-forktree .ft-result").await;
    assert!(
        verdict.contains("PID 101、PID 102、PID 103 がありません"),
        "{verdict}"
    );
    assert_eq!(
        b.count("#widget-forktree .ft-treebox .ft-node.ft-ghost")
            .await,
        3,
        "the missing processes, grandchild included"
    );

    // "Which action happened?" is a question too.
    tap(&b, "#widget-forktree .ft-mode[data-mode='which']").await;
    assert_eq!(b.count("#widget-forktree .ft-steps li").await, 0);
    assert_eq!(b.count("#widget-forktree [data-widget-static]").await, 0);
    // Back to stepping: the steps and the tables return.
    tap(&b, "#widget-forktree .ft-mode[data-mode='step']").await;
    assert!(b.count("#widget-forktree .ft-steps li").await > 0);
    assert_eq!(b.count("#widget-forktree [data-widget-static]").await, 1);
    finish(b).await;
}
