//! `sched` (W7): process states and per-CPU run queues, on the process and run-queue pages — the tables,
//! the API computed by the model, and predictions stored for learners only, nothing for bad input.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused_naming, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sched_is_on_both_topic_pages_with_its_tables() {
    let app = common::app().await;
    for slug in ["process", "run-queue"] {
        let page = app.get(&format!("/topics/{slug}")).await;
        assert_eq!(
            page.attrs("section[data-widget]", "data-widget"),
            vec!["sched"],
            "{slug}"
        );
        // One section, one id: the anchor the table of contents links to is unique on the page.
        assert_eq!(page.body.matches("id=\"widget-sched\"").count(), 1);
        assert_eq!(
            page.attrs(".page-toc .toc-widget a", "href"),
            vec!["#widget-sched"]
        );
        assert_eq!(
            page.attrs("#widget-sched details", "data-scenario"),
            vec!["lifecycle", "balance", "load"]
        );
        // Lifecycle on 2 CPUs, step 6: grep waits for the disk; R 2 + D 1 = 3.
        let row = page.texts("#widget-sched details[data-scenario=lifecycle] tr[data-step='6'] td");
        assert!(row.iter().any(|t| t.contains("103 D grep")), "{row:?}");
        assert!(row.contains(&"2 + 1 = 3".to_string()), "{row:?}");
        assert!(page.body.contains("css/widgets/sched.css"));
    }
}

#[tokio::test]
async fn the_sched_api_computes_every_scenario_and_names_bad_parameters() {
    let app = common::app().await;
    for cpus in 1..=4u64 {
        for scenario in ["lifecycle", "balance&tasks=8", "load"] {
            let (status, v) = json_get(
                &app,
                &format!("/api/widgets/sched?scenario={scenario}&cpus={cpus}"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{scenario}");
            assert_eq!(v["cpus"], cpus);
            for step in v["steps"].as_array().unwrap() {
                assert!(step["running"].as_u64().unwrap() <= cpus);
                assert_eq!(step["cpus"].as_array().unwrap().len() as u64, cpus);
                for key in ["event", "explain", "source", "tasks", "load", "pulls"] {
                    assert!(step.get(key).is_some(), "{scenario}: step lacks {key}");
                }
            }
        }
    }
    let (_, v) = json_get(&app, "/api/widgets/sched?scenario=balance&cpus=3&tasks=5").await;
    assert_eq!(
        v["steps"][1]["pulls"],
        json!([{"pid": 102, "from": 0, "to": 1}])
    );
    assert_eq!(v["steps"][4]["cpus"][0]["queue"], json!([104, 105]));

    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/sched?scenario=nope", "scenario"),
            ("/api/widgets/sched?cpus=0", "cpus"),
            ("/api/widgets/sched?cpus=5", "cpus"),
            ("/api/widgets/sched?cpus=two", "cpus"),
            ("/api/widgets/sched?tasks=9", "tasks"),
            ("/api/widgets/sched?tasks=-1", "tasks"),
        ],
    )
    .await;
}

#[tokio::test]
async fn sched_predictions_are_graded_and_stored_for_learners_only() {
    let app = common::app().await;
    let url = "/api/widgets/sched/check";
    let stat = |answer: &str| json!({"scenario": "lifecycle", "cpus": 2, "step": 2, "field": "stat", "pid": 103, "answer": answer});
    let (status, right) = json_post(&app, url, &stat("S").to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{right}");
    assert_eq!(right["correct"], true);
    assert!(right["source"].as_str().unwrap().contains("pipe(7)"));
    assert!(
        widget_answers(&app).await.is_empty(),
        "a visitor's answer is not kept"
    );

    let c = app.client();
    c.sign_up("sched-learner").await;
    assert!(
        c.post_json(url, &stat("R"))
            .await
            .body
            .contains("\"correct\":false")
    );
    let load = json!({"scenario": "load", "cpus": 2, "step": 10, "field": "load", "answer": "2"});
    let res = c.post_json(url, &load).await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "sched".into(),
                "lifecycle/2cpu".into(),
                2,
                "stat".into(),
                "103:R".into(),
                false
            ),
            (
                "sched".into(),
                "load/2cpu".into(),
                10,
                "load".into(),
                "2".into(),
                true
            ),
        ]
    );
}

#[tokio::test]
async fn bad_sched_predictions_get_a_japanese_error_and_store_nothing() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("sched-typo").await;
    let url = "/api/widgets/sched/check";
    let cases = [
        ("{not json", StatusCode::BAD_REQUEST, ""),
        (
            r#"{"scenario":"load","step":0,"field":"load"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            r#"{"scenario":"load","step":0,"field":"load","answer":"1","seed":1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            r#"{"scenario":"load","step":"0","field":"load","answer":"1"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            r#"{"scenario":"nope","step":0,"field":"load","answer":"1"}"#,
            StatusCode::BAD_REQUEST,
            "scenario",
        ),
        (
            r#"{"scenario":"load","cpus":9,"step":0,"field":"load","answer":"1"}"#,
            StatusCode::BAD_REQUEST,
            "cpus",
        ),
        (
            r#"{"scenario":"load","step":99,"field":"load","answer":"1"}"#,
            StatusCode::BAD_REQUEST,
            "step",
        ),
        (
            r#"{"scenario":"load","step":0,"field":"x","answer":"1"}"#,
            StatusCode::BAD_REQUEST,
            "field",
        ),
        (
            r#"{"scenario":"load","step":0,"field":"stat","pid":7,"answer":"R"}"#,
            StatusCode::BAD_REQUEST,
            "pid",
        ),
        (
            r#"{"scenario":"load","step":0,"field":"stat","pid":101,"answer":"W"}"#,
            StatusCode::BAD_REQUEST,
            "answer",
        ),
        (
            r#"{"scenario":"load","step":0,"field":"running","answer":"100"}"#,
            StatusCode::BAD_REQUEST,
            "answer",
        ),
    ];
    assert_bodies_refused_naming(&c, url, &cases).await;
    assert!(
        widget_answers(&app).await.is_empty(),
        "nothing stored for bad input"
    );
}
