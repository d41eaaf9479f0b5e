//! Guards the instructor's view in a real browser: demo data seeded into the app's database, log in as the
//! demo instructor, open the class, sort the grid by clicking its header, open a learner, watch the live
//! panel count a quiz that a second browser session (a learner who joins with the code) submits, fit a
//! phone screen without sideways page scrolling (the grid scrolls in its own box), raise no console error,
//! and link each topic to its analysis page.

use crate::support::{Browser, Options, PHONE, sideways_scroll, type_into, wait_for};
use fantoccini::Locator;
use infra_dojo::quiz::bank::Kind;
use std::time::{Duration, Instant};

async fn log_in(b: &Browser, name: &str, password: &str, next: &str) {
    b.open(&format!("/login?next={next}")).await;
    type_into(b, "#name", name).await;
    type_into(b, "#password", password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_for_path(next).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instructor_follows_the_demo_class_live() {
    let b = Browser::start().await;
    let state = b.app().state.clone();
    let options = infra_dojo::demo::Options {
        learners: 8,
        attempts: 6,
        ..Default::default()
    };
    let content = state.content();
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
    let class_path = format!("/instructor/classes/{class_id}");

    // Log in as the demo instructor and open the class from the list.
    log_in(
        &b,
        infra_dojo::demo::TEACHER_NAME,
        infra_dojo::demo::PASSWORD,
        "/instructor",
    )
    .await;
    assert_eq!(b.text("h1").await, "講師のページ");
    b.click(".class-list a").await;
    b.wait_for_path(&class_path).await;
    assert_eq!(b.text("h1").await, infra_dojo::demo::CLASS_NAME);
    assert_eq!(b.count(".mastery-grid tbody tr").await, 8);
    b.screenshot("instructor-overview").await;
    // The whole page, for a person to look at.
    b.client
        .set_window_size(1280, 3200)
        .await
        .expect("tall window");
    b.screenshot("instructor-overview-full").await;
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");

    // Sort by overall mastery, highest first: a click on the header (a plain link) and another to flip it.
    b.click("th a[data-sort=mastery]").await;
    let overall = || async {
        b.eval("return [...document.querySelectorAll('.mastery-grid tbody tr td:nth-of-type(1)')].map(td => parseInt(td.textContent, 10))")
            .await
            .as_array()
            .expect("numbers")
            .iter()
            .map(|v| v.as_i64().expect("a number"))
            .collect::<Vec<_>>()
    };
    b.client
        .wait()
        .for_element(Locator::Css("th[aria-sort=ascending] a[data-sort=mastery]"))
        .await
        .expect("sorted ascending");
    let up = overall().await;
    assert!(up.windows(2).all(|w| w[0] <= w[1]), "ascending: {up:?}");
    b.click("th a[data-sort=mastery]").await;
    b.client
        .wait()
        .for_element(Locator::Css(
            "th[aria-sort=descending] a[data-sort=mastery]",
        ))
        .await
        .expect("sorted descending");
    let down = overall().await;
    assert!(
        down.windows(2).all(|w| w[0] >= w[1]),
        "descending: {down:?}"
    );
    assert!(
        b.client
            .current_url()
            .await
            .expect("url")
            .query()
            .unwrap_or_default()
            .contains("sort=mastery&dir=desc")
    );

    // Each topic header links to the topic's analysis page.
    let href = b
        .eval("return document.querySelector('th a[data-topic=tcp]').getAttribute('href')")
        .await;
    assert_eq!(
        href.as_str(),
        Some(format!("{class_path}/topics/tcp").as_str())
    );

    // Open the first learner: every attempt with its answers.
    let learner_name = b.text(".mastery-grid tbody tr:first-child th a").await;
    b.click(".mastery-grid tbody tr:first-child th a").await;
    b.client
        .wait()
        .for_element(Locator::Css(".learner-page"))
        .await
        .expect("learner page");
    assert!(
        b.path()
            .await
            .starts_with(&format!("{class_path}/learners/"))
    );
    assert!(b.text("h1").await.starts_with(&learner_name));
    assert_eq!(b.count("details.attempt").await, 6);
    assert!(b.count(".answer-table tbody tr").await >= 6);
    assert_eq!(b.count(".trend-chart .trend-dot").await, 8);
    b.client
        .set_window_size(1280, 3200)
        .await
        .expect("tall window");
    b.screenshot("instructor-learner").await;
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");

    // Live: a learner in a second browser joins with the code and submits the TCP quiz; the panel counts it
    // within a poll or two, without a reload.
    b.open(&class_path).await;
    b.client
        .wait()
        .for_element(Locator::Css(".live-panel[data-live-active=true]"))
        .await
        .expect("live polling started");
    let first = content.quizzes.topic("tcp")[0].clone();
    let count_script = format!(
        "const row = document.querySelector(\"[data-live-questions] tr[data-question='{}']\"); return row ? parseInt(row.children[2].textContent, 10) : 0",
        first.id
    );
    let before = b.eval(&count_script).await.as_i64().expect("count");
    b.eval("window.__notReloaded = true; return true").await;

    let learner = b.another(Options::default()).await;
    learner.open("/signup?next=/me").await;
    for (field, value) in [
        ("#name", "hikari"),
        ("#display_name", "ひかり"),
        ("#password", "correct horse battery"),
    ] {
        type_into(&learner, field, value).await;
    }
    learner.click("form.stacked-form button[type=submit]").await;
    learner.wait_for_path("/me").await;
    type_into(&learner, "#join-code", &join_code).await;
    learner.click(".join-form button[type=submit]").await;
    learner
        .client
        .wait()
        .for_element(Locator::Css(".class-memberships li"))
        .await
        .expect("joined");
    assert!(
        learner
            .text(".class-memberships li strong")
            .await
            .contains("デモクラス")
    );
    learner.screenshot("instructor-learner-me-classes").await;
    learner.open("/topics/tcp/quiz").await;
    wait_for(
        &learner,
        "document.querySelector('.check-button')",
        "the quiz script",
    )
    .await;
    // The first question answered (an ordering as shown, a single choice right), the rest left blank.
    if matches!(first.kind, Kind::Order { .. }) {
        learner
            .click(&format!(
                "[data-question='{}'] [data-order-accept]",
                first.id
            ))
            .await;
    }
    if let Kind::Single { options } = &first.kind {
        let right = options
            .iter()
            .position(|o| o.correct)
            .expect("a right option");
        // Options are opaque per-attempt tokens: read this one as the server would.
        let sealed = learner
            .eval("return document.querySelector('form[data-quiz] input[name=token]').value")
            .await
            .as_str()
            .expect("token")
            .to_string();
        let form = state
            .quiz_forms
            .open(infra_dojo::quiz::form::Purpose::Quiz, &sealed)
            .expect("the page's form");
        learner
            .click(&format!(
                "[data-question='{}'] input[value='{}']",
                first.id,
                form.choice_token(&first.id, right)
            ))
            .await;
    }
    learner.click("form[data-quiz] button[type=submit]").await;
    // One question answered: the summary asks first, and the learner has it graded as it is.
    learner
        .click(".unanswered-summary [data-unanswered=submit]")
        .await;
    learner
        .client
        .wait()
        .for_element(Locator::Css(".score"))
        .await
        .expect("results");
    assert_eq!(learner.console_errors().await, Vec::<String>::new());
    learner.quit().await;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = b.eval(&count_script).await.as_i64().expect("count");
        if now == before + 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the live count stayed at {now} (was {before})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        b.eval("return window.__notReloaded === true")
            .await
            .as_bool(),
        Some(true),
        "updated without a reload"
    );
    let summary = b.text("[data-live-summary]").await;
    assert!(summary.contains("提出"), "{summary}");
    b.screenshot("instructor-live").await;
    // "今から数え直す" counts from the server's last answer on: nothing yet.
    b.click("[data-live-restart]").await;
    wait_for(
        &b,
        "document.querySelector('[data-live-summary]').textContent.includes('から: まだ解答はありません')",
        "the restart to count from now",
    )
    .await;
    assert_eq!(b.count("[data-live-questions] tr").await, 0);
    b.click("[data-live-window]").await;
    assert_eq!(b.console_errors().await, Vec::<String>::new());

    // A phone: the page does not scroll sideways; the grid scrolls inside its own box.
    b.client
        .set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("phone size");
    b.open(&class_path).await;
    assert_eq!(sideways_scroll(&b).await, 0, "overview fits a phone");
    let grid_scrolls = b.eval("const g = document.querySelector('.grid-scroll'); return g.scrollWidth > g.clientWidth").await;
    assert_eq!(
        grid_scrolls.as_bool(),
        Some(true),
        "the grid scrolls in its box"
    );
    b.screenshot("instructor-overview-phone").await;
    b.client
        .set_window_size(PHONE.0, 4000)
        .await
        .expect("tall phone");
    b.screenshot("instructor-overview-phone-full").await;
    b.client
        .set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("phone size");
    b.click(".mastery-grid tbody tr:first-child th a").await;
    b.client
        .wait()
        .for_element(Locator::Css(".learner-page"))
        .await
        .expect("learner page");
    assert_eq!(sideways_scroll(&b).await, 0, "learner page fits a phone");
    b.screenshot("instructor-learner-phone").await;
    b.open("/instructor").await;
    assert_eq!(sideways_scroll(&b).await, 0, "class list fits a phone");
    assert_eq!(b.console_errors().await, Vec::<String>::new());

    // Open the TCP question analysis from the grid, then download the CSV exports as the browser would.
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");
    b.open(&class_path).await;
    b.click("th a[data-topic=tcp]").await;
    b.wait_for_path(&format!("{class_path}/topics/tcp")).await;
    assert_eq!(b.text("h1").await, "問題分析: TCP");
    assert!(
        b.count("[data-question]").await >= 6,
        "every TCP question is analysed"
    );
    b.screenshot("instructor-analysis").await;
    let csv = b
        .eval(&format!(
            "return fetch('{class_path}/export/answers.csv').then(r => r.arrayBuffer()).then(buf => {{
                 const bytes = new Uint8Array(buf);
                 const text = new TextDecoder('utf-8').decode(bytes.slice(3));
                 return {{ bom: [bytes[0], bytes[1], bytes[2]], lines: text.split('\\r\\n').filter(l => l).length }};
             }})"
        ))
        .await;
    assert_eq!(
        csv["bom"],
        serde_json::json!([0xEF, 0xBB, 0xBF]),
        "UTF-8 with BOM for Excel"
    );
    assert!(csv["lines"].as_u64().unwrap() > 10, "{csv}");
    let link = b.eval("return [...document.querySelectorAll('a')].some(a => a.getAttribute('href').endsWith('/export/grid.csv'))").await;
    assert_eq!(link.as_bool(), Some(true), "the grid export is linked");
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

/// A class larger than a page: the pager under the grid (keyboard-reachable links, the current page
/// marked), "next page" keeps the order the instructor chose, and the page fits a phone in light and dark
/// themes.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_class_is_read_a_page_at_a_time_in_its_order() {
    let b = Browser::start().await;
    let state = b.app().state.clone();
    let options = infra_dojo::demo::Options {
        learners: 60,
        attempts: 4,
        ..Default::default()
    };
    let content = state.content();
    let outcome = infra_dojo::demo::seed(&state.db, &content.course, &content.quizzes, &options)
        .await
        .expect("demo seed");
    let infra_dojo::demo::Outcome::Created { class_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let class_path = format!("/instructor/classes/{class_id}");
    log_in(
        &b,
        infra_dojo::demo::TEACHER_NAME,
        infra_dojo::demo::PASSWORD,
        &class_path,
    )
    .await;
    assert_eq!(b.count(".mastery-grid tbody tr").await, 50);
    assert_eq!(b.text(".pagination a[aria-current=page]").await, "1");
    // Sort by overall mastery (a header link), then go to the next page: the order stays.
    b.click("th a[data-sort=mastery]").await;
    wait_for(&b, "location.search.includes('sort=mastery')", "sorted").await;
    b.click(".pagination a[rel=next]").await;
    wait_for(&b, "location.search.includes('page=2')", "page 2").await;
    let search = b.eval("return location.search").await;
    assert_eq!(search.as_str(), Some("?sort=mastery&dir=asc&page=2"));
    assert_eq!(b.count(".mastery-grid tbody tr").await, 10);
    assert_eq!(b.text(".pagination a[aria-current=page]").await, "2");
    assert!(
        b.text(".pagination p")
            .await
            .contains("51〜60 人目（全 60 人）")
    );
    // The pager is reached with the keyboard like any link.
    let focusable = b
        .eval("return [...document.querySelectorAll('.pagination a[href]')].every(a => a.tabIndex === 0)")
        .await;
    assert_eq!(focusable.as_bool(), Some(true));
    b.eval("document.querySelector('#grid').scrollIntoView()")
        .await;
    b.screenshot("instructor-pages").await;
    b.eval("document.cookie = 'theme=dark; path=/'; location.reload()")
        .await;
    wait_for(
        &b,
        "document.documentElement.dataset.theme === 'dark'",
        "dark theme",
    )
    .await;
    b.eval("document.querySelector('.pagination').scrollIntoView()")
        .await;
    b.screenshot("instructor-pages-dark").await;
    b.client
        .set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("phone size");
    assert_eq!(
        sideways_scroll(&b).await,
        0,
        "the paged overview fits a phone"
    );
    b.eval("document.querySelector('.pagination').scrollIntoView()")
        .await;
    b.screenshot("instructor-pages-phone").await;
    assert!(b.console_errors().await.is_empty());
    b.quit().await;
}
