//! A signed-in reader's pages made cheaply and still exactly: the sidebar's mastery read with the session
//! (never kept between requests), and the topic page's gzip assembled from parts deflated once
//! (`web::session_store`, `web::signed_gzip`; issue 16).

mod common;

use axum::http::StatusCode;

/// The sidebar's mastery comes with the session's load on every page, never kept between requests: an
/// answer shows on the very next page, and what the load added is never written back into the session.
#[tokio::test]
async fn the_sidebar_shows_an_answer_on_the_next_page_and_the_session_stores_no_mastery() {
    use tower_sessions::SessionStore;
    let app = common::app().await;
    let aki = app.learner("aki").await;
    let icmp = |res: &common::Reply| {
        let html = res.html();
        let sel = scraper::Selector::parse("a[href='/topics/icmp'] + .nav-mastery").unwrap();
        let el = html.select(&sel).next().expect("a mark");
        el.text().collect::<String>()
    };
    assert_eq!(icmp(&aki.client.get("/topics/tcp").await), "未着手—");
    app.answer_topic(
        aki.id,
        "icmp",
        &(0..20).collect::<Vec<_>>(),
        infra_dojo::store::now(),
    )
    .await;
    assert_eq!(icmp(&aki.client.get("/topics/tcp").await), "習得 0%0%");

    // The store's load inside a page's scope carries the rows; its save leaves them out.
    let cookie = aki.client.cookies.lock().unwrap()[infra_dojo::auth::SESSION_COOKIE].clone();
    let id: tower_sessions::session::Id = cookie.parse().unwrap();
    let store = infra_dojo::web::session_store::Store::new(app.state.db.clone(), "user_id");
    let plain = store.load(&id).await.unwrap().expect("the session");
    assert!(
        !plain
            .data
            .contains_key(infra_dojo::web::session_store::TOPIC_MASTERY)
    );
    let record = infra_dojo::web::session_store::with_topic_mastery(store.load(&id))
        .await
        .unwrap()
        .expect("the session");
    let rows = &record.data[infra_dojo::web::session_store::TOPIC_MASTERY];
    assert_eq!(rows[0]["topic"], "icmp", "{rows}");
    assert!(rows[0]["seen"].as_i64().unwrap() > 0, "{rows}");
    store.save(&record).await.unwrap();
    let (stored,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select count(*) from tower_sessions where data like '%topic_mastery%'
            or data like '%account_exists%'",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(stored, 0);
    // And the course map on the home page says the same.
    assert_eq!(icmp(&aki.client.get("/").await), "習得 0%0%");
}

/// A signed-in reader's topic page in gzip is made from the parts it shares with the anonymous page,
/// deflated once (`web::signed_gzip`): for every theme, a learner and an instructor, it decodes to exactly
/// the page sent to a client that takes no compression — and the real pages do take that path.
#[tokio::test]
async fn a_signed_in_topic_page_in_gzip_is_exactly_the_page() {
    let app = common::app().await;
    let aki = app.learner("aki").await;
    app.answer_topic(aki.id, "icmp", &[], infra_dojo::store::now())
        .await;
    let teacher = app.instructor("sato").await;
    let content = app.state.content();
    for client in [&aki.client, &teacher.client] {
        let session = client.cookie_header().unwrap();
        for (theme_cookie, theme) in [
            ("", None),
            ("; theme=dark", Some("dark")),
            ("; theme=light", Some("light")),
        ] {
            let cookie = format!("{session}{theme_cookie}");
            for slug in ["tcp", "icmp", "process-tree"] {
                let uri = format!("/topics/{slug}");
                let plain = common::raw(
                    app.router.clone(),
                    common::get_with(&uri, &[("cookie", &cookie)]),
                )
                .await;
                assert_eq!(plain.header("content-encoding"), None);
                let page = plain.decoded();
                assert!(
                    page.contains("nav-mastery"),
                    "{uri}: a signed-in reader's page"
                );
                let gz = common::raw(
                    app.router.clone(),
                    common::get_with(
                        &uri,
                        &[
                            ("cookie", &cookie),
                            ("accept-encoding", common::BROWSER_ENCODINGS),
                        ],
                    ),
                )
                .await;
                assert_eq!(gz.status, StatusCode::OK);
                assert_eq!(gz.header("content-encoding"), Some("gzip"), "{uri}");
                assert_eq!(gz.header("cache-control"), Some("no-store"), "{uri}");
                assert!(
                    gz.header("vary")
                        .unwrap()
                        .to_ascii_lowercase()
                        .contains("accept-encoding")
                );
                assert_eq!(gz.decoded(), page, "{uri} {theme:?}");
                assert!(
                    gz.raw.len() < page.len() / 4,
                    "{uri}: {} bytes",
                    gz.raw.len()
                );
                // The path taken: the page matches its skeleton.
                let skeleton = content
                    .rendered
                    .topic_skeleton(slug, theme)
                    .expect("a skeleton for every topic and theme");
                assert!(skeleton.gzip(page.as_bytes()).is_some(), "{uri} {theme:?}");
            }
        }
    }
}
