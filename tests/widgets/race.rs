//! `race` (W12): two threads incrementing a counter on the thread page — the tables, every schedule from
//! the API, and predictions graded and stored only for learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn race_renders_without_javascript_on_the_thread_page() {
    let app = common::app().await;
    let page = app.get("/topics/thread").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["race"]
    );
    assert_eq!(
        page.attrs("#widget-race details[data-scenario]", "data-scenario"),
        ["threads", "mutex", "fork"]
    );
    // The default order 121212 loses an update; 18 of the 20 orders do; a mutex saves them all.
    let threads = "#widget-race details[data-scenario=threads]";
    assert_eq!(page.texts(&format!("{threads} tr[data-order]")).len(), 20);
    assert_eq!(
        page.texts(&format!("{threads} tr[data-order].lost")).len(),
        18
    );
    assert_eq!(
        page.texts("#widget-race details[data-scenario=mutex] tr[data-order].lost")
            .len(),
        0
    );
    assert!(page.texts(&format!("{threads} .outcome"))[0].contains("表示する counter は 1"));
    let fork = page
        .texts("#widget-race details[data-scenario=fork] td")
        .join(" ");
    assert!(
        fork.contains("子のページ: 1") && fork.contains("親のページ: 1"),
        "{fork}"
    );
    assert_eq!(
        page.texts("#widget-race .source").len(),
        page.texts("#widget-race tbody tr[data-step]").len()
    );
    // After the notes' line on mutual exclusion.
    let anchor = page.body.find("排他制御の仕組みがある").unwrap();
    assert!(anchor < page.body.find("id=\"widget-race\"").unwrap());
}

#[tokio::test]
async fn the_race_api_serves_every_scenario_and_names_bad_parameters() {
    let app = common::app().await;
    for scenario in ["threads", "mutex", "fork"] {
        for schedule in ["111222", "121212", "222111"] {
            let (status, v) = json_get(
                &app,
                &format!("/api/widgets/race?scenario={scenario}&schedule={schedule}&start=5"),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(v["orders"].as_array().unwrap().len(), 20);
            let expected = match (scenario, schedule) {
                ("threads", "121212") | ("fork", _) => 6,
                _ => 7,
            };
            assert_eq!(v["final_value"], expected, "{scenario} {schedule}");
            for step in v["steps"].as_array().unwrap() {
                for key in [
                    "actor",
                    "op",
                    "code",
                    "registers",
                    "memory",
                    "ask",
                    "note",
                    "explain",
                    "source",
                ] {
                    assert!(step.get(key).is_some(), "step lacks {key}");
                }
            }
        }
    }
    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/race?scenario=process", "scenario"),
            ("/api/widgets/race?schedule=1122", "schedule"),
            ("/api/widgets/race?schedule=111111", "schedule"),
            ("/api/widgets/race?start=1001", "start"),
            ("/api/widgets/race?start=x", "start"),
        ],
    )
    .await;
}

#[tokio::test]
async fn race_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/race/check";
    let final_value = json!({"scenario": "threads", "schedule": "121212", "step": 0, "field": "final", "answer": "2"});
    let (status, v) = json_post(&app, url, &final_value.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["correct"].as_bool(), v["expected"].as_str()),
        (Some(false), Some("1"))
    );
    assert!(widget_answers(&app).await.is_empty());

    let c = app.client();
    c.sign_up("race-learner").await;
    assert_eq!(c.post_json(url, &final_value).await.status, StatusCode::OK);
    let load = json!({"scenario": "fork", "schedule": "121212", "step": 2, "field": "value", "answer": "0"});
    let res = c.post_json(url, &load).await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_bodies_refused(&c, url, &[
        (
            json!({"scenario": "threads", "schedule": "12", "step": 0, "field": "final", "answer": "2"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "value", "answer": "0"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 40, "field": "final", "answer": "0"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": "二"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": 2}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": "2", "seed": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ]).await;
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "race".into(),
                "threads".into(),
                -1,
                "final".into(),
                "2".into(),
                false
            ),
            (
                "race".into(),
                "fork".into(),
                2,
                "value".into(),
                "0".into(),
                true
            ),
        ]
    );
}
