//! Guards reading on a 360 px phone and on paper: the header stays compact; the menu button opens the
//! course navigation over the page (keyboard reachable, `aria-expanded` true while open, Esc and the
//! close button shut it and give focus back), and without JavaScript the same control is a link that
//! jumps to the navigation; every widget's diagram text is drawn at 12 px or more, before and after
//! stepping; a printed /topics/tcp keeps every handshake scenario's step table.

use crate::support::{
    Browser, Options, PHONE, assert_accessible, emulate_media, keys, small_diagram_text, tap,
    wait_for,
};

fn phone() -> Options {
    Options {
        size: PHONE,
        ..Options::default()
    }
}

async fn rect(b: &Browser, css: &str) -> (f64, f64) {
    let r = b
        .eval(&format!(
            "const r = document.querySelector({css:?}).getBoundingClientRect(); return [r.top, r.height]"
        ))
        .await;
    (r[0].as_f64().expect("top"), r[1].as_f64().expect("height"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_menu_opens_the_course_navigation_on_a_phone() {
    let b = Browser::start_with(phone()).await;
    b.open("/topics/tcp").await;
    let (_, header) = rect(&b, ".site-header").await;
    assert!(
        header <= 100.0,
        "the header takes {header}px of a 780px phone screen"
    );

    // The first Tab stops: the skip link, then the menu button.
    b.press(keys::TAB).await;
    b.press(keys::TAB).await;
    let focused = b
        .eval("return document.activeElement.matches('button[data-nav-toggle]')")
        .await;
    assert_eq!(focused.as_bool(), Some(true), "the menu is the second stop");
    assert_eq!(
        b.eval("return document.querySelector('[data-nav-toggle]').getAttribute('aria-expanded')")
            .await,
        "false"
    );
    b.press(keys::ENTER).await;
    assert_eq!(
        b.eval("return document.querySelector('[data-nav-toggle]').getAttribute('aria-expanded')")
            .await,
        "true"
    );
    // The navigation is on screen, from the top, and focus is on the current topic.
    let (top, _) = rect(&b, "#course-nav").await;
    assert!(top.abs() < 1.0, "the drawer starts at the top, not {top}px");
    assert_eq!(
        b.eval("return document.activeElement.getAttribute('href')")
            .await,
        "/topics/tcp"
    );
    assert_eq!(
        b.eval("return document.querySelector('main').inert").await,
        true,
        "the page behind is inert"
    );
    b.screenshot("phone-menu-open").await;
    assert_accessible(&b, "/topics/tcp with the phone menu open").await;

    // Esc closes it and focus returns to the button.
    b.press(keys::ESCAPE).await;
    assert_eq!(
        b.eval("return document.querySelector('[data-nav-toggle]').getAttribute('aria-expanded')")
            .await,
        "false"
    );
    assert_eq!(
        b.eval("return document.activeElement.matches('[data-nav-toggle]')")
            .await,
        true
    );
    assert_eq!(
        b.eval("return document.querySelector('main').inert").await,
        false
    );

    // Open again, then follow a link.
    tap(&b, "button[data-nav-toggle]").await;
    tap(&b, "#course-nav a[href='/topics/ftp']").await;
    b.wait_for_path("/topics/ftp").await;
    // The close button shuts it too.
    tap(&b, "button[data-nav-toggle]").await;
    tap(&b, "#course-nav .nav-close").await;
    assert_eq!(
        b.eval("return document.querySelector('[data-nav-toggle]').getAttribute('aria-expanded')")
            .await,
        "false"
    );
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_javascript_the_menu_is_a_link_to_the_navigation() {
    let b = Browser::start_with(Options {
        javascript: false,
        size: PHONE,
    })
    .await;
    b.open("/topics/tcp").await;
    let (top, _) = rect(&b, "#course-nav").await;
    assert!(top > 2000.0, "the navigation is after the page ({top}px)");
    b.click("a[data-nav-toggle]").await;
    assert_eq!(b.path().await, "/topics/tcp#course-nav");
    let (top, _) = rect(&b, "#course-nav").await;
    assert!(top.abs() < 80.0, "the link brought it into view ({top}px)");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diagram_text_is_at_least_12px_at_360px() {
    let b = Browser::start_with(phone()).await;
    let mut small = Vec::new();
    for (path, widget) in [
        ("/topics/tcp", "#widget-handshake"),
        ("/topics/ftp", "#widget-ftp"),
        ("/topics/process-tree", "#widget-forktree"),
    ] {
        b.open(path).await;
        wait_for(
            &b,
            &format!("document.querySelector('{widget} svg text')"),
            "the diagram",
        )
        .await;
        for t in small_diagram_text(&b, widget, 12.0).await {
            small.push(format!("{path} at the start: {t}"));
        }
        tap(&b, &format!("{widget} [data-action=last]")).await;
        // Let any drawing animation finish.
        tokio::time::sleep(std::time::Duration::from_millis(900)).await;
        for t in small_diagram_text(&b, widget, 12.0).await {
            small.push(format!("{path} at the end: {t}"));
        }
    }
    assert!(small.is_empty(), "text under 12px:\n{}", small.join("\n"));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_printed_tcp_page_keeps_every_step_table() {
    let b = Browser::start().await;
    for path in ["/topics/tcp", "/topics/ftp", "/topics/process-tree"] {
        b.open(path).await;
        emulate_media(&b, "print").await;
        let hidden = b
            .eval(
                "return [...document.querySelectorAll('.widget table')]
                   .filter(t => !t.checkVisibility() || t.getBoundingClientRect().height === 0)
                   .map(t => t.caption ? t.caption.textContent : t.className)",
            )
            .await;
        let tables = b.count(".widget table").await;
        assert!(tables >= 3, "{path}: {tables} tables");
        assert_eq!(
            hidden,
            serde_json::json!([]),
            "{path}: tables missing from the printout"
        );
        // The interactive diagram and its controls are not printed.
        assert_eq!(
            b.eval("return document.querySelector('.widget-live').checkVisibility()")
                .await,
            false,
            "{path}"
        );
        emulate_media(&b, "").await;
    }
    b.quit().await;
}
