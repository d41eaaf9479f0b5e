//! `sessions` (W10): connections, TLS, requests and a login session on one timeline, beside its topic's
//! supplement; the API naming bad parameters, predictions graded and kept only for learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused_naming, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::{Value, json};

// sessions: connections, TLS, requests and a login session on one timeline (facts.md W10)

#[tokio::test]
async fn the_sessions_timeline_follows_the_supplement_of_its_empty_topic() {
    let app = common::app().await;
    let page = app.get("/topics/connection-vs-session").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["sessions"]
    );
    // The notes are empty: the widget comes after the supplement, outside it, and so does its
    // table-of-contents entry.
    let supplement = page.body.find("id=\"supplement\"").unwrap();
    let widget = page.body.find("id=\"widget-sessions\"").unwrap();
    assert!(supplement < widget);
    assert!(
        page.attrs("#supplement section[data-widget]", "id")
            .is_empty()
    );
    assert!(page.attrs("#notes section[data-widget]", "id").is_empty());
    let toc = page.attrs(".page-toc a", "href");
    assert_eq!(toc, ["#notes", "#supplement", "#widget-sessions"]);
    // Every id on the page is unique.
    let ids = page.attrs("[id]", "id");
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");

    // Every scenario is there as a table with its counts; W10's facts in words.
    assert_eq!(
        page.attrs("#widget-sessions details[data-scenario]", "data-scenario"),
        [
            "keepalive",
            "http2-resume",
            "l4-memory",
            "l4-sticky",
            "l7-memory",
            "l7-sticky"
        ]
    );
    let keepalive = "#widget-sessions details[data-scenario=keepalive]";
    assert_eq!(
        page.texts(&format!("{keepalive} [data-count=connections]")),
        ["2 本"]
    );
    assert_eq!(
        page.texts(&format!("{keepalive} [data-count=sessions]")),
        ["1 個"]
    );
    assert_eq!(page.texts(&format!("{keepalive} tbody tr")).len(), 10);
    let l7 = "#widget-sessions details[data-scenario=l7-memory]";
    assert_eq!(
        page.texts(&format!("{l7} [data-count=survives]")),
        ["失われる"]
    );
    assert_eq!(page.texts(&format!("{l7} tr.lost")).len(), 2);
    assert!(
        page.texts(&format!("{l7} .ss-outcome"))[0].contains("リクエスト 2 でログインが失われます")
    );
    let h2 = page.texts("#widget-sessions details[data-scenario=http2-resume] tr.ss-tls-resumed");
    assert!(h2[0].contains("RFC 8446 §2.2"), "{h2:?}");
    // Each step cites its sources.
    let sources = page.texts("#widget-sessions .ss-table .source");
    assert!(sources.len() > 40 && sources.iter().all(|s| s.starts_with("出典: RFC ")));
    assert!(page.body.contains("css/widgets/sessions.css"));
}

#[tokio::test]
async fn the_sessions_api_serves_setups_and_names_bad_parameters() {
    let app = common::app().await;
    let (status, v) = json_get(&app, "/api/widgets/sessions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["scenario"], "keepalive");
    assert_eq!(v["counts"]["connections"], 2);
    assert_eq!(v["survives"], true);
    let (_, v) = json_get(&app, "/api/widgets/sessions?scenario=l4-memory&pause=30").await;
    assert_eq!(v["scenario"], "h1+l4+memory+resume+3+2+30");
    assert_eq!(v["counts"]["connections"], 1);
    assert_eq!(v["survives"], true, "one connection: L4 keeps it on A");
    let (_, v) = json_get(&app, "/api/widgets/sessions?scenario=l7-memory").await;
    assert_eq!(v["lost_at"], 2);
    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/sessions?scenario=nope", "scenario"),
            ("/api/widgets/sessions?http=h3", "http"),
            ("/api/widgets/sessions?balancer=l3", "balancer"),
            ("/api/widgets/sessions?store=disk", "store"),
            ("/api/widgets/sessions?sticky=perhaps", "sticky"),
            ("/api/widgets/sessions?resume=2", "resume"),
            ("/api/widgets/sessions?before=0", "before"),
            ("/api/widgets/sessions?after=7", "after"),
            ("/api/widgets/sessions?pause=601", "pause"),
            ("/api/widgets/sessions?pause=-1", "pause"),
            ("/api/widgets/sessions?pause=%EF%BC%91", "pause"),
        ],
    )
    .await;
}

fn sessions_body(extra: Value) -> Value {
    let mut body = json!({
        "scenario": "l7-memory",
        "connections": 2, "tls_full": 2, "requests": 5, "sessions": 1, "survives": false
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn sessions_predictions_are_graded_and_kept_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/sessions/check";
    let (status, right) = json_post(
        &app,
        url,
        &sessions_body(json!({})).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{right}");
    assert_eq!(right["correct"], true);
    assert!(right["explain"].as_str().unwrap().contains("リクエスト 2"));
    // "One session per connection" is the slip the widget is about.
    let (_, wrong) = json_post(
        &app,
        url,
        &sessions_body(json!({"sessions": 2, "survives": true})).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(wrong["correct"], false);
    let verdicts = wrong["verdicts"].as_array().unwrap();
    let fields: Vec<(&str, bool, &str)> = verdicts
        .iter()
        .map(|v| {
            (
                v["field"].as_str().unwrap(),
                v["correct"].as_bool().unwrap(),
                v["expected"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("connections", true, "2"),
            ("tls_full", true, "2"),
            ("requests", true, "5"),
            ("sessions", false, "1"),
            ("survives", false, "失われる")
        ]
    );
    assert!(
        widget_answers(&app).await.is_empty(),
        "visitors are not kept"
    );

    let c = app.client();
    c.sign_up("session-learner").await;
    let res = c
        .post_json(
            url,
            &sessions_body(json!({"store": "shared", "survives": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [(
            "sessions".into(),
            // l7-memory with a shared store is exactly the keepalive scenario: stored by its name.
            "keepalive".into(),
            -1,
            "counts".into(),
            "connections=2 tls_full=2 requests=5 sessions=1 survives=yes".into(),
            true
        )]
    );
    // The instructor's analysis reads them in Japanese.
    use infra_dojo::widgets::labels;
    assert_eq!(
        labels::scenario_label("sessions", "l7-memory"),
        "L7 バランサー・セッションはメモリ"
    );
    assert_eq!(
        labels::step_label("sessions", "l7-memory", -1),
        "タイムライン全体（数と結末）"
    );
    assert!(labels::field_label("sessions", "counts").contains("ログインが続くか"));
}

#[tokio::test]
async fn bad_sessions_predictions_get_a_japanese_error_and_store_nothing() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("session-typo").await;
    let url = "/api/widgets/sessions/check";
    let ok = sessions_body(json!({}));
    let cases = [
        ("{not json".to_string(), StatusCode::BAD_REQUEST, ""),
        (
            sessions_body(json!({"seed": 3})).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            sessions_body(json!({"connections": -1})).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            sessions_body(json!({"survives": "yes"})).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            {
                let mut b = ok.clone();
                b.as_object_mut().unwrap().remove("requests");
                b.to_string()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            sessions_body(json!({"scenario": "nope"})).to_string(),
            StatusCode::BAD_REQUEST,
            "scenario",
        ),
        (
            sessions_body(json!({"scenario": ""})).to_string(),
            StatusCode::BAD_REQUEST,
            "scenario",
        ),
        (
            sessions_body(json!({"balancer": "l3"})).to_string(),
            StatusCode::BAD_REQUEST,
            "balancer",
        ),
        (
            sessions_body(json!({"pause": 601})).to_string(),
            StatusCode::BAD_REQUEST,
            "pause",
        ),
        (
            sessions_body(json!({"after": 0})).to_string(),
            StatusCode::BAD_REQUEST,
            "after",
        ),
        (
            sessions_body(json!({"tls_full": 100})).to_string(),
            StatusCode::BAD_REQUEST,
            "tls_full",
        ),
    ];
    assert_bodies_refused_naming(&c, url, &cases).await;
    let res = c
        .post_form(url, &[("scenario", "keepalive"), ("connections", "2")])
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        widget_answers(&app).await.is_empty(),
        "nothing stored for bad input"
    );
}
