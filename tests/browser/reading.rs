//! Guards the reading flow with JavaScript on: the course map leads to a topic; previous/next links and
//! the ←/→ keys move between topics (but not while typing in the search box); `/` focuses the search box
//! and a query lands on highlighted results; the theme toggle flips and persists; phone width has no
//! horizontal scrolling; no page logs a console error.

use crate::support::{Browser, Options, PHONE, keys, sideways_scroll};

#[tokio::test(flavor = "multi_thread")]
async fn home_to_topic_and_between_topics_by_link_and_key() {
    let b = Browser::start().await;
    b.open("/").await;
    assert_eq!(b.text("h1").await, "インフラエンジニアの教科書2 メモ");
    b.click(".course-map a[href='/topics/tcp']").await;
    b.wait_for_path("/topics/tcp").await;
    assert_eq!(b.text("main h1").await, "TCP");

    b.click("a.pager-next").await;
    b.wait_for_path("/topics/icmp").await;
    b.click("a.pager-prev").await;
    b.wait_for_path("/topics/tcp").await;

    b.press(keys::RIGHT).await;
    b.wait_for_path("/topics/icmp").await;
    b.press(keys::LEFT).await;
    b.press(keys::LEFT).await;
    b.wait_for_path("/topics/jon-postel").await;
    b.screenshot("reading-topic-desktop").await;
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slash_focuses_search_and_arrows_stay_in_the_box() {
    let b = Browser::start().await;
    b.open("/topics/tcp").await;
    b.press("/").await;
    let focused = b.eval("return document.activeElement.id").await;
    assert_eq!(focused, "site-search");
    // ← inside the search box moves the caret, not the page.
    b.press("ハンドシェイク").await;
    b.press(keys::LEFT).await;
    assert_eq!(b.path().await, "/topics/tcp");
    b.press(keys::ENTER).await;
    b.wait_for_path("/search").await;
    assert!(b.count(".glossary-hits a[href='/topics/tcp']").await == 1);
    assert!(b.count(".result-snippet mark").await > 0);
    b.click(".result-title").await;
    b.wait_for_path("/topics/tcp").await;
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_theme_toggle_flips_and_survives_a_reload() {
    let b = Browser::start().await;
    b.open("/").await;
    let before = b
        .eval("return getComputedStyle(document.body).backgroundColor")
        .await;
    b.click("[data-theme-toggle]").await;
    let after = b
        .eval("return getComputedStyle(document.body).backgroundColor")
        .await;
    assert_ne!(before, after, "background changes");
    let theme = b
        .eval("return document.documentElement.dataset.theme")
        .await;
    b.client.refresh().await.expect("reload");
    assert_eq!(
        b.eval("return document.documentElement.dataset.theme")
            .await,
        theme,
        "the server applied the cookie"
    );
    assert_eq!(
        b.eval("return getComputedStyle(document.body).backgroundColor")
            .await,
        after
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn phone_width_reads_without_sideways_scrolling() {
    let b = Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await;
    for path in [
        "/",
        "/topics/tcp",
        "/topics/process-tree",
        "/topics/snmp",
        "/search?q=fork",
    ] {
        b.open(path).await;
        let overflow = sideways_scroll(&b).await;
        assert_eq!(overflow, 0, "{path} scrolls sideways by {overflow}px");
    }
    b.open("/topics/tcp").await;
    b.screenshot("reading-topic-phone").await;
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}
