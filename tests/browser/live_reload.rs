//! Guards `serve --watch` in a real browser: an open topic page reloads by itself when notes.md is saved
//! and shows the new text; a broken save puts the problems overlay (file:line: message) over the last
//! good version, readable in light and dark and at phone width without horizontal scrolling, and it can
//! be closed; fixing the file reloads the page and the overlay is gone. No console errors throughout.

use crate::support::{Browser, Options, PHONE, serve_content};
use infra_dojo::content::source::ContentSource;
use std::time::{Duration, Instant};

/// Evaluates `expr` until it is `true`, failing after 15 s with `what`. Evaluation errors (the page is
/// mid-reload) count as not yet.
async fn wait_until(b: &Browser, expr: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let value = b
            .client
            .execute(&format!("return Boolean({expr})"), vec![])
            .await;
        if matches!(value, Ok(serde_json::Value::Bool(true))) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Marks the current document, so that a reload (a new document, without the mark) can be told apart.
async fn mark(b: &Browser) {
    b.eval("window.__notReloaded = true; return true").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_edit_reloads_the_page_and_a_broken_one_shows_the_overlay() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("mycourse");
    infra_dojo::scaffold::create(&root, infra_dojo::content::Language::Ja).expect("scaffold");
    let watcher = infra_dojo::web::watch::Watcher::new(root.clone());
    let settings = infra_dojo::web::state::Settings {
        watch: true,
        ..Default::default()
    };
    let app = serve_content(&ContentSource::Dir(root.clone()), settings).await;
    let watching = watcher.spawn(app.state.clone());
    let b = Browser::start_for(app, Options::default()).await;

    b.open("/topics/tcp-states").await;
    assert_eq!(b.text("main h1").await, "TCP の状態");
    mark(&b).await;

    // A save: the page reloads by itself with the new text.
    let notes_path = root.join("notes.md");
    let notes = std::fs::read_to_string(&notes_path).expect("notes");
    std::fs::write(
        &notes_path,
        format!("{notes}- ブラウザーで書き足した一行\n"),
    )
    .expect("edit");
    wait_until(
        &b,
        "!window.__notReloaded && document.querySelector('main').textContent.includes('ブラウザーで書き足した一行')",
        "the page reloads with the new text",
    )
    .await;
    mark(&b).await;

    // A broken save: the overlay lists the problem; the page is not reloaded and keeps the last good text.
    let annotation_path = root.join("annotations/tcp-states.md");
    let annotation = std::fs::read_to_string(&annotation_path).expect("annotation");
    std::fs::write(
        &annotation_path,
        annotation.replace("TIME-WAIT は 2×MSL 続く", "ノートにない一文"),
    )
    .expect("break");
    wait_until(
        &b,
        "document.querySelector('.live-reload-overlay:not([hidden])')",
        "the overlay",
    )
    .await;
    let listed = b.text(".live-reload-problems li").await;
    let expected = format!(
        "{}:1: anchor \"ノートにない一文\" がトピック \"TCP の状態\" のノートに見つかりません",
        annotation_path.display()
    );
    assert_eq!(listed, expected);
    assert_eq!(
        b.text(".live-reload-overlay h2").await,
        "コンテンツに問題があります（1 件）"
    );
    assert_eq!(
        b.eval("return window.__notReloaded === true").await,
        serde_json::Value::Bool(true),
        "a broken save does not reload the page"
    );
    assert!(b.text("main").await.contains("ブラウザーで書き足した一行"));
    b.screenshot("live-reload-overlay-light").await;
    b.eval("document.documentElement.dataset.theme = 'dark'; return true")
        .await;
    b.screenshot("live-reload-overlay-dark").await;
    b.eval("delete document.documentElement.dataset.theme; return true")
        .await;
    b.client
        .set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("phone width");
    assert_eq!(
        b.eval("return document.documentElement.scrollWidth <= window.innerWidth")
            .await,
        serde_json::Value::Bool(true),
        "no horizontal scrolling at phone width"
    );
    b.screenshot("live-reload-overlay-phone").await;

    // Closing hides it; the same problems do not bring it back.
    b.click(".live-reload-close").await;
    assert_eq!(b.count(".live-reload-overlay:not([hidden])").await, 0);

    // Fixed: the page reloads, with no overlay.
    std::fs::write(&annotation_path, &annotation).expect("fix");
    wait_until(&b, "!window.__notReloaded", "the page reloads once fixed").await;
    wait_until(
        &b,
        "document.readyState === 'complete' && document.querySelector('main h1')",
        "the reloaded page",
    )
    .await;
    assert_eq!(b.count(".live-reload-overlay:not([hidden])").await, 0);
    assert_eq!(b.count("aside.annotation").await, 1);
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    watching.abort();
    b.quit().await;
}
