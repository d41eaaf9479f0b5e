//! The widget API as the router tests call it: JSON in and out of `/api/widgets/…`, the graded answers
//! a test expects in `widget_answer`, bad parameters and bodies refused in Japanese, and the transfer
//! budget for a page with its widget.

use super::{Client, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use std::fmt::Display;

/// Whether `message` is written in Japanese (it has kana), as every refusal must be.
pub fn is_japanese(message: &str) -> bool {
    message
        .chars()
        .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch))
}

/// `GET` each URI of `cases`: a 400 whose message is Japanese and, where a parameter is given,
/// names it (「パラメータ scenario …」).
pub async fn assert_queries_refused(app: &TestApp, cases: &[(&str, &str)]) {
    for (uri, param) in cases {
        let (status, v) = json_get(app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let message = v["error"].as_str().unwrap_or_default();
        assert!(is_japanese(message), "{uri}: not Japanese: {message}");
        assert!(
            param.is_empty() || message.contains(&format!("パラメータ {param}")),
            "{uri}: {message}"
        );
    }
}

/// `POST` each body of `cases` to `url` as JSON from `c`: the status given, and a Japanese message.
pub async fn assert_bodies_refused<B: Display>(
    c: &Client<'_>,
    url: &str,
    cases: &[(B, StatusCode)],
) {
    let named: Vec<(&B, StatusCode, &str)> = cases.iter().map(|(b, s)| (b, *s, "")).collect();
    assert_bodies_refused_naming(c, url, &named).await;
}

/// As [`assert_bodies_refused`], and the message contains the third element of each case (the
/// parameter at fault; empty when any Japanese message will do).
pub async fn assert_bodies_refused_naming<B: Display>(
    c: &Client<'_>,
    url: &str,
    cases: &[(B, StatusCode, &str)],
) {
    for (body, expected, name) in cases {
        let req = Request::post(url)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = c.send(req).await;
        assert_eq!(res.status, *expected, "{body}: {}", res.body);
        let v: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
        let message = v["error"].as_str().unwrap_or_default();
        assert!(is_japanese(message), "{body}: not Japanese: {message}");
        assert!(message.contains(name), "{body}: {message}");
    }
}

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
    infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select widget, scenario, step, field, answer, correct <> 0 from widget_answer order by widget_answer_id",
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

/// The issues' budget for a page with one of its widgets: under 100 KB transferred (brotli) with every
/// stylesheet and module it loads (the widget's script and the shared modules it imports, preloaded),
/// nothing from another host, and the widget's script under 40 KB.
pub async fn assert_widget_page_budget(app: &TestApp, slug: &str, widget: &str) {
    let page = app.get(&format!("/topics/{slug}")).await;
    assert!(
        !page.body.contains("src=\"http"),
        "{slug}: nothing from another host"
    );
    let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
    urls.extend(page.attrs("script[src]", "src"));
    let modules = page.attrs("link[rel=modulepreload]", "href");
    assert!(
        modules
            .iter()
            .any(|m| m.ends_with(&format!("/js/widgets/{widget}.js")))
            && modules.iter().any(|m| m.contains("/js/widgets/lib/")),
        "{slug} preloads {widget}.js and its shared modules: {modules:?}"
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
