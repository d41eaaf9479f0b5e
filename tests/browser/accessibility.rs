//! Guards accessibility on every kind of page, as axe-core (injected over WebDriver, see
//! `support::assert_accessible`) judges it: no serious or critical violation in the light theme or the
//! dark one, before and after interacting — the course map, topic pages with each widget (stepped, in
//! 予想モード), search, log-in and sign-up, the quiz and its results, /me, review, reset, joining a class,
//! the instructor's list, class grid, live panel, members, analysis and learner pages, and the 403 and 404
//! pages. Every page is checked even when one fails, so a run lists all of them.

use crate::support::{Browser, Options, PHONE, axe_violations, keys, tap, type_into, wait_for};
use fantoccini::Locator;

/// Collects every page's violations (both themes) and fails once at the end, listing them all.
#[derive(Default)]
struct Sweep {
    failures: Vec<String>,
}

impl Sweep {
    async fn check(&mut self, b: &Browser, what: &str) {
        let before = b
            .eval("return document.documentElement.dataset.theme || null")
            .await;
        for theme in ["light", "dark"] {
            b.eval(&format!(
                "document.documentElement.dataset.theme = '{theme}'; return 1"
            ))
            .await;
            let found = axe_violations(b).await;
            if !found.is_empty() {
                self.failures
                    .push(format!("{what} ({theme}):\n{}", found.join("\n")));
            }
        }
        b.eval(&format!(
            "const t = {before}; if (t) document.documentElement.dataset.theme = t; else delete document.documentElement.dataset.theme; return 1"
        ))
        .await;
    }

    /// Opens `path` and checks it as a reader meets it: after its widgets have drawn their scenario
    /// (before that, a diagram's title is not there yet, and axe ran against a half-built page).
    async fn page(&mut self, b: &Browser, path: &str) {
        b.open(path).await;
        wait_for(
            b,
            "[...document.querySelectorAll('[data-widget-root]')].every(r => r.dataset.state === 'ready')",
            &format!("the widgets on {path} to load"),
        )
        .await;
        self.check(b, path).await;
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "axe-core: serious or critical violations on {} page state(s)\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

async fn sign_up(b: &Browser, name: &str) {
    b.open("/signup?next=/me").await;
    type_into(b, "#name", name).await;
    type_into(b, "#display_name", "ひかり").await;
    type_into(b, "#password", "correct horse battery").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path("/me").await;
}

/// The widgets of issues 11 and 12, each on its topic page as loaded and after one step.
#[tokio::test(flavor = "multi_thread")]
async fn the_network_and_os_widgets_pass_axe() {
    let b = Browser::start().await;
    let mut sweep = Sweep::default();
    for (topic, widget) in [
        ("load-balancer", "lb-layers"),
        ("connection-vs-session", "sessions"),
        ("snmp", "snmp"),
        ("icmp", "pmtud"),
        ("firewall", "conntrack"),
        ("run-queue", "sched"),
        ("signals", "signals"),
        ("ipc", "pipe"),
        ("thread", "race"),
        ("process-components", "procmem"),
    ] {
        let path = format!("/topics/{topic}");
        sweep.page(&b, &path).await;
        let next = format!("#widget-{widget} [data-action=next]");
        let has_next = b
            .eval(&format!("return !!document.querySelector('{next}')"))
            .await
            .as_bool()
            .unwrap_or(false);
        assert!(has_next, "{widget}: the shared stepper's next button");
        tap(&b, &next).await;
        sweep.check(&b, &format!("{path} after a step")).await;
    }
    b.quit().await;
    sweep.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_pages_and_widgets_pass_axe() {
    let b = Browser::start().await;
    let mut sweep = Sweep::default();
    for path in [
        "/",
        "/topics/snmp",
        "/search?q=%E3%83%8F%E3%83%B3%E3%83%89%E3%82%B7%E3%82%A7%E3%82%A4%E3%82%AF",
        "/search?q=zzzzqqq",
        "/login",
        "/signup",
        "/topics/no-such-topic",
        "/topics/tcp/quiz",
    ] {
        sweep.page(&b, path).await;
    }

    // The handshake: stepped, then in 予想モード.
    sweep.page(&b, "/topics/tcp").await;
    tap(&b, "#widget-handshake [data-action=next]").await;
    tap(&b, "#widget-handshake [data-action=next]").await;
    sweep.check(&b, "/topics/tcp after two steps").await;
    tap(&b, "#widget-handshake [data-action=last]").await;
    sweep.check(&b, "/topics/tcp at the last step").await;
    tap(&b, "#widget-handshake .hs-predict-toggle").await;
    sweep.check(&b, "/topics/tcp in 予想モード").await;

    // FTP: stepped to the end in passive mode.
    sweep.page(&b, "/topics/ftp").await;
    tap(&b, "#widget-ftp button[data-mode=passive]").await;
    tap(&b, "#widget-ftp button[data-action=last]").await;
    sweep.check(&b, "/topics/ftp passive, last step").await;
    tap(&b, "#widget-ftp .ftp-predict-toggle").await;
    sweep.check(&b, "/topics/ftp in 予想モード").await;

    // The process tree: stepped, then building a tree by clicking.
    sweep.page(&b, "/topics/process-tree").await;
    tap(&b, "#widget-forktree [data-action=next]").await;
    tap(&b, "#widget-forktree [data-action=next]").await;
    sweep
        .check(&b, "/topics/process-tree after two steps")
        .await;
    tap(&b, "#widget-forktree .ft-mode[data-mode='build']").await;
    sweep.check(&b, "/topics/process-tree building").await;

    // A phone: the menu open.
    let phone = b
        .another(Options {
            size: PHONE,
            ..Options::default()
        })
        .await;
    sweep.page(&phone, "/topics/tcp").await;
    tap(&phone, "button[data-nav-toggle]").await;
    sweep
        .check(&phone, "/topics/tcp on a phone, menu open")
        .await;
    phone.quit().await;
    b.quit().await;
    sweep.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn learner_and_instructor_pages_pass_axe() {
    let b = Browser::start().await;
    let state = b.app().state.clone();
    let content = state.content();
    let options = infra_dojo::demo::Options {
        learners: 6,
        attempts: 5,
        ..Default::default()
    };
    let outcome = infra_dojo::demo::seed(&state.db, &content.course, &content.quizzes, &options)
        .await
        .expect("demo seed");
    let infra_dojo::demo::Outcome::Created {
        class_id,
        join_code,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let mut sweep = Sweep::default();

    // A learner: joins, answers a quiz, reads the results, /me, review and reset.
    let learner = b.another(Options::default()).await;
    sign_up(&learner, "hikari").await;
    sweep.check(&learner, "/me (new learner)").await;
    sweep.page(&learner, &format!("/join/{join_code}")).await;
    learner.click("main form button[type=submit]").await;
    // The join posts and redirects; opening the quiz before that lands would race the two navigations.
    learner.wait_for_path("/me").await;
    learner.open("/topics/tcp/quiz").await;
    sweep.check(&learner, "/topics/tcp/quiz signed in").await;
    learner
        .eval("for (const r of document.querySelectorAll('form[data-quiz] input[type=radio]')) { r.checked = true; } return 1")
        .await;
    learner.click("form[data-quiz] button[type=submit]").await;
    // The orderings and written answers are left blank: the summary asks first, and is checked too.
    learner
        .client
        .wait()
        .for_element(Locator::Css("[data-unanswered=submit]"))
        .await
        .expect("the unanswered summary");
    sweep.check(&learner, "the quiz's unanswered summary").await;
    learner.click("[data-unanswered=submit]").await;
    learner
        .client
        .wait()
        .for_element(Locator::Css(".score"))
        .await
        .expect("results");
    sweep.check(&learner, "quiz results").await;
    for path in [
        "/me",
        "/me/review",
        "/me/topics/tcp/reset",
        "/",
        "/topics/tcp",
        "/instructor",
    ] {
        sweep.page(&learner, path).await;
    }
    learner.quit().await;

    // The instructor: the list, the grid with its live panel running, members, analysis, a learner.
    b.open("/login").await;
    type_into(&b, "#name", infra_dojo::demo::TEACHER_NAME).await;
    type_into(&b, "#password", infra_dojo::demo::PASSWORD).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .expect("signed in");
    let class = format!("/instructor/classes/{class_id}");
    sweep.page(&b, "/instructor").await;
    sweep.page(&b, &class).await;
    wait_for(
        &b,
        "document.querySelector('.live-panel[data-live-active=true]')",
        "the live panel",
    )
    .await;
    sweep.check(&b, "class grid with the live panel").await;
    for path in [
        format!("{class}/members"),
        format!("{class}/topics/tcp"),
        format!("{class}/topics/ftp"),
        format!("{class}/topics/process-tree"),
    ] {
        sweep.page(&b, &path).await;
    }
    b.open(&class).await;
    b.click(".mastery-grid tbody tr:first-child th a").await;
    b.client
        .wait()
        .for_element(Locator::Css(".learner-page"))
        .await
        .expect("learner page");
    sweep.check(&b, "a learner's page").await;
    b.click("details.attempt summary").await;
    sweep.check(&b, "a learner's page, an attempt open").await;
    b.quit().await;
    sweep.finish();
}

/// Tabs through the whole page from the top and lists every stop a sighted keyboard user cannot see (no
/// size, or clipped to a pixel), as "tag.class (n-th stop)".
async fn invisible_tab_stops(b: &Browser) -> Vec<String> {
    b.eval("document.activeElement?.blur(); window.scrollTo(0, 0); return 1")
        .await;
    let mut hidden = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for n in 1..400 {
        b.press(keys::TAB).await;
        let stop = b
            .eval(
                "const e = document.activeElement;
                 if (!e || e === document.body) return null;
                 const r = e.getBoundingClientRect();
                 const id = e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || '') + '#' + [...document.querySelectorAll('*')].indexOf(e);
                 const clipped = getComputedStyle(e).clip === 'rect(0px, 0px, 0px, 0px)';
                 return { id, visible: r.width > 2 && r.height > 2 && !clipped && e.checkVisibility() };",
            )
            .await;
        if stop.is_null() {
            break;
        }
        let id = stop["id"].as_str().unwrap_or_default().to_string();
        if !seen.insert(id.clone()) {
            break; // Wrapped around to the start.
        }
        if stop["visible"] != true {
            hidden.push(format!("{id} (stop {n})"));
        }
    }
    hidden
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tab_stop_is_visible() {
    let b = Browser::start().await;
    let mut hidden = Vec::new();
    for path in [
        "/topics/tcp/quiz",
        "/topics/process-tree/quiz",
        "/topics/tcp",
    ] {
        b.open(path).await;
        wait_for(&b, "document.readyState === 'complete'", "the page").await;
        for stop in invisible_tab_stops(&b).await {
            hidden.push(format!("{path}: {stop}"));
        }
    }
    assert!(
        hidden.is_empty(),
        "invisible tab stops:\n{}",
        hidden.join("\n")
    );
    b.quit().await;
}
