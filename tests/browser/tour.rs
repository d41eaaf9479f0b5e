//! Guards how the main pages look to a person, and leaves the pictures for one to look at: the course map
//! and a topic page (a signed-in learner, so the map shows mastery), each widget at phone width after a
//! few steps, `/me`, and the instructor's class grid — desktop and 360 px phone, light and dark — with no
//! page scrolling sideways and no console error. The PNGs land in `target/screenshots/tour-*.png`.

use crate::support::{Browser, DESKTOP, PHONE, sideways_scroll, tap, type_into, wait_for};
use fantoccini::Locator;

async fn log_in(b: &Browser, name: &str, password: &str) {
    b.open("/login").await;
    type_into(b, "#name", name).await;
    type_into(b, "#password", password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("main h1"))
        .await
        .expect("signed in");
}

/// Takes the page in both themes at the window's size, checking it does not scroll sideways.
async fn both_themes(b: &Browser, name: &str) {
    for theme in ["light", "dark"] {
        b.set_theme(theme).await;
        b.eval("window.scrollTo(0, 0); return 1").await;
        b.screenshot(&format!("tour-{name}-{theme}")).await;
    }
    let overflow = sideways_scroll(b).await;
    assert_eq!(overflow, 0, "{name} scrolls sideways by {overflow}px");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_main_pages_at_desktop_and_phone_width() {
    let b = Browser::start().await;
    let state = b.app().state.clone();
    let content = state.content();
    let options = infra_dojo::demo::Options {
        learners: 30,
        attempts: 12,
        ..Default::default()
    };
    let outcome = infra_dojo::demo::seed(&state.db, &content.course, &content.quizzes, &options)
        .await
        .expect("demo seed");
    let infra_dojo::demo::Outcome::Created { class_id, .. } = outcome else {
        panic!("{outcome:?}")
    };

    // A demo learner: the course map and a topic with their mastery beside each topic.
    log_in(&b, "demo-01", infra_dojo::demo::PASSWORD).await;
    for (size, label) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        b.client
            .set_window_size(size.0, size.1)
            .await
            .expect("size");
        b.open("/").await;
        assert!(b.count(".course-map .nav-mastery").await > 0);
        both_themes(&b, &format!("map-{label}")).await;
        b.open("/topics/tcp").await;
        both_themes(&b, &format!("tcp-{label}")).await;
        b.open("/me").await;
        both_themes(&b, &format!("me-{label}")).await;
    }

    // Each widget at phone width, a few steps in (a tall window, so the whole widget is in the picture).
    b.client
        .set_window_size(PHONE.0, 2400)
        .await
        .expect("tall phone");
    for (path, widget, extra) in [
        ("/topics/tcp", "#widget-handshake", None),
        (
            "/topics/ftp",
            "#widget-ftp",
            Some("#widget-ftp input[name=client_nat]"),
        ),
        ("/topics/process-tree", "#widget-forktree", None),
    ] {
        b.open(path).await;
        wait_for(
            &b,
            &format!("document.querySelector('{widget} svg text')"),
            "the diagram",
        )
        .await;
        if let Some(css) = extra {
            tap(&b, css).await;
        }
        for _ in 0..4 {
            tap(&b, &format!("{widget} [data-action=next]")).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(900)).await;
        for theme in ["light", "dark"] {
            b.set_theme(theme).await;
            b.screenshot_of(
                &format!("{widget} [data-widget-root]"),
                &format!("tour-widget-{}-phone-{theme}", &widget[8..]),
            )
            .await;
        }
    }
    assert_eq!(b.console_errors().await, Vec::<String>::new());

    // The instructor's grid.
    b.client
        .set_window_size(DESKTOP.0, DESKTOP.1)
        .await
        .expect("size");
    b.client.delete_all_cookies().await.expect("log out");
    log_in(
        &b,
        infra_dojo::demo::TEACHER_NAME,
        infra_dojo::demo::PASSWORD,
    )
    .await;
    let class = format!("/instructor/classes/{class_id}");
    for (size, label) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        b.client
            .set_window_size(size.0, size.1)
            .await
            .expect("size");
        b.open(&class).await;
        both_themes(&b, &format!("grid-{label}")).await;
        for theme in ["light", "dark"] {
            b.set_theme(theme).await;
            b.screenshot_of(".grid-scroll", &format!("tour-grid-cells-{label}-{theme}"))
                .await;
        }
    }
    assert_eq!(b.console_errors().await, Vec::<String>::new());
    b.quit().await;
}
