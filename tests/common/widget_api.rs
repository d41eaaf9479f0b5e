//! The widget API as the router tests call it: JSON in and out of `/api/widgets/…`, the graded answers
//! a test expects in `widget_answer`, and issue 11's transfer budget for a page with its widget.

use super::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;

/// `GET uri`: the status and the JSON body (the response must say it is JSON).
pub async fn json_get(app: &TestApp, uri: &str) -> (StatusCode, Value) {
    let res = app.get(uri).await;
    assert!(
        res.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "{uri}: {}",
        res.body
    );
    (res.status, serde_json::from_str(&res.body).expect("json"))
}

/// `POST uri` with `body` as `content_type`: the status and the JSON body (`Null` when it is not JSON).
pub async fn json_post(
    app: &TestApp,
    uri: &str,
    body: &str,
    content_type: &str,
) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.request(req).await;
    (
        res.status,
        serde_json::from_str(&res.body).unwrap_or(Value::Null),
    )
}

/// Every stored widget answer, oldest first: (widget, scenario, step, field, answer, correct).
pub async fn widget_answers(app: &TestApp) -> Vec<(String, String, i64, String, String, bool)> {
    sqlx::query_as(
        "select widget, scenario, step, field, answer, correct from widget_answer order by widget_answer_id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap()
}

/// Issue 11's budget for a page with one of its widgets: under 100 KB transferred (brotli) with every
/// stylesheet and module it loads, and the widget's script under 40 KB.
pub async fn assert_widget_page_budget(app: &TestApp, slug: &str, widget: &str) {
    let page = app.get(&format!("/topics/{slug}")).await;
    let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
    urls.extend(page.attrs("script[src]", "src"));
    let modules = page.attrs("link[rel=modulepreload]", "href");
    assert!(
        modules
            .iter()
            .any(|m| m.ends_with(&format!("/js/widgets/{widget}.js"))),
        "{slug} preloads {widget}.js: {modules:?}"
    );
    urls.extend(modules);
    let script = urls
        .iter()
        .find(|u| u.ends_with(&format!("/js/widgets/{widget}.js")))
        .unwrap()
        .clone();
    let raw = app.get(&script).await.body.len();
    assert!(raw < 40 * 1024, "{widget}.js is {raw} bytes");
    let mut total = 0;
    for url in std::iter::once(format!("/topics/{slug}")).chain(urls) {
        let req = Request::get(&url)
            .header("accept-encoding", "br")
            .body(Body::empty())
            .unwrap();
        let res = app.request(req).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        total += res.bytes;
    }
    println!("{slug} with {widget}: {total} bytes transferred (brotli), script {raw} bytes");
    assert!(total < 100 * 1024, "{slug}: {total} bytes transferred");
}
