//! `signals` (W5): who gets a signal and what happens — the table and every run, the API, and predictions
//! stored for learners only, never for bad input.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn signals_page_has_the_table_and_every_run() {
    let app = common::app().await;
    let page = app.get("/topics/signals").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["signals"]
    );
    let rows = page.rows("#widget-signals [data-signal-table] tbody tr");
    let tstp = rows
        .iter()
        .find(|r| r[0] == "SIGTSTP")
        .expect("SIGTSTP row");
    assert_eq!(
        &tstp[1..6],
        ["20", "18", "24", "25", "アーキテクチャで違う"]
    );
    let int = rows.iter().find(|r| r[0] == "SIGINT").expect("SIGINT row");
    assert_eq!(&int[1..6], ["2", "2", "2", "2", "どこでも同じ"]);
    let kill = rows.iter().find(|r| r[0] == "SIGKILL").unwrap();
    assert_eq!(kill[7], "できない");
    let runs = page.attrs("#widget-signals details", "data-scenario");
    for key in [
        "ctrl-c",
        "ctrl-z",
        "ctrl-backslash",
        "kill",
        "stop-cont",
        "ctrl-c+block",
        "kill+catch",
    ] {
        assert!(runs.contains(&key.to_string()), "{key}: {runs:?}");
    }
    let block = page.texts(
        "#widget-signals details[data-scenario='ctrl-c+block'] tr[data-step='1'] .sig-fates span",
    );
    assert!(
        block.contains(&"grep(202): ブロック中で保留（pending）になる".to_string()),
        "{block:?}"
    );
}

#[tokio::test]
async fn the_signals_api_and_its_bad_parameters() {
    let app = common::app().await;
    for scenario in ["ctrl-c", "ctrl-z", "ctrl-backslash", "kill", "stop-cont"] {
        for handler in ["default", "catch", "ignore", "block"] {
            let (status, v) = json_get(
                &app,
                &format!("/api/widgets/signals?scenario={scenario}&handler={handler}"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{scenario} {handler}");
            assert_eq!(v["table"].as_array().unwrap().len(), 9);
            for step in v["steps"].as_array().unwrap() {
                for key in [
                    "action",
                    "signal",
                    "signo",
                    "targets",
                    "deliveries",
                    "explain",
                    "source",
                    "processes",
                ] {
                    assert!(step.get(key).is_some(), "{scenario}: step lacks {key}");
                }
            }
        }
    }
    let (_, v) = json_get(&app, "/api/widgets/signals?scenario=ctrl-c").await;
    assert_eq!(v["steps"][0]["targets"], json!([201, 202]));
    assert_eq!(v["steps"][0]["signo"], 2);
    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/signals?scenario=ctrl-x", "scenario"),
            ("/api/widgets/signals?handler=trap", "handler"),
        ],
    )
    .await;
}

#[tokio::test]
async fn signals_predictions_are_stored_for_learners_only_and_bad_ones_never() {
    let app = common::app().await;
    let url = "/api/widgets/signals/check";
    let body = json!({"scenario": "kill", "handler": "ignore", "step": 0, "field": "fate", "pid": 301, "answer": "ignored"});
    let (status, v) = json_post(&app, url, &body.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["correct"], true);
    assert!(widget_answers(&app).await.is_empty());
    let c = app.client();
    c.sign_up("signals-learner").await;
    assert_bodies_refused(
        &c,
        url,
        &[
            (
                json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 301}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 301, "answer": "ignored", "seed": 4}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"scenario": "kill", "handler": "x", "step": 0, "field": "fate", "pid": 301, "answer": "ignored"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 999, "answer": "ignored"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"scenario": "kill", "step": 0, "field": "signo", "answer": "0"}),
                StatusCode::BAD_REQUEST,
            ),
        ],
    )
    .await;
    assert!(
        widget_answers(&app).await.is_empty(),
        "nothing stored for bad input"
    );
    let res = c.post_json(url, &body).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = c
        .post_json(
            url,
            &json!({"scenario": "ctrl-z", "step": 0, "field": "signo", "answer": "19"}),
        )
        .await;
    assert!(res.body.contains("\"correct\":false"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "signals".into(),
                "kill+ignore".into(),
                0,
                "fate".into(),
                "301:ignored".into(),
                true
            ),
            (
                "signals".into(),
                "ctrl-z+default".into(),
                0,
                "signo".into(),
                "19".into(),
                false
            ),
        ]
    );
}
