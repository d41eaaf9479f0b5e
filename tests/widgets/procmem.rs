//! `procmem` (W13): what a process is made of, through fork, exec and exit — the tables, the API, and
//! predictions graded and stored only for learners, nothing for bad bodies.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A fate for every component, as the model has them for the operation step of `scenario`.
async fn procmem_answer(
    app: &common::TestApp,
    scenario: &str,
    change: Option<(&str, &str)>,
) -> Value {
    let (_, run) = json_get(app, &format!("/api/widgets/procmem?scenario={scenario}")).await;
    let mut answer = serde_json::Map::new();
    for f in run["steps"][0]["fates"].as_array().unwrap() {
        answer.insert(f["component"].as_str().unwrap().into(), f["fate"].clone());
    }
    if let Some((c, f)) = change {
        answer.insert(c.into(), json!(f));
    }
    Value::Object(answer)
}

#[tokio::test]
async fn the_procmem_widget_serves_its_scenarios_and_tables() {
    let app = common::app().await;
    let page = app.get("/topics/process-components").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["procmem"]
    );
    assert_eq!(
        page.attrs("#widget-procmem details", "data-scenario"),
        ["anatomy", "fork", "exec", "thread"]
    );
    // The no-JS page: /proc/200/maps, and execve's table says the caught SIGINT is reset.
    let maps = page.texts("#widget-procmem .procmem-maps");
    assert!(maps[0].contains("r-xp") && maps[0].contains("[heap]") && maps[0].contains("[stack]"));
    let exec = page.texts("#widget-procmem details[data-scenario=exec] table.fates td.fate");
    assert_eq!(exec.len(), 12);
    assert!(exec.contains(&"既定の動作に戻る".to_string()), "{exec:?}");
    assert!(exec.contains(&"閉じられる".to_string()), "{exec:?}");

    for scenario in ["anatomy", "fork", "exec", "thread"] {
        let (status, v) =
            json_get(&app, &format!("/api/widgets/procmem?scenario={scenario}")).await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        for step in v["steps"].as_array().unwrap() {
            for key in [
                "call",
                "note",
                "explain",
                "source",
                "processes",
                "fates",
                "ask",
            ] {
                assert!(step.get(key).is_some(), "{scenario}: step lacks {key}");
            }
        }
    }
    let (_, v) = json_get(
        &app,
        "/api/widgets/procmem?scenario=exec&cloexec=false&sigint=ignore",
    )
    .await;
    let fate = |c: &str| {
        v["steps"][0]["fates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["component"] == c)
            .unwrap()["fate"]
            .clone()
    };
    assert_eq!(
        (fate("fd4"), fate("sigint")),
        (json!("kept"), json!("kept"))
    );

    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/procmem?scenario=vfork", "scenario"),
            ("/api/widgets/procmem?cloexec=yes", "cloexec"),
            ("/api/widgets/procmem?sigint=catch", "sigint"),
        ],
    )
    .await;
}

#[tokio::test]
async fn procmem_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/procmem/check";
    let slip = json!({"scenario": "exec", "step": 0,
        "answer": procmem_answer(&app, "exec", Some(("sigint", "kept"))).await});
    let (status, v) = json_post(&app, url, &slip.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["correct"].as_bool(), v["score"].as_u64()),
        (Some(false), Some(11))
    );
    assert!(
        widget_answers(&app).await.is_empty(),
        "a visitor's answer is not kept"
    );

    let c = app.client();
    c.sign_up("procmem-learner").await;
    assert_eq!(c.post_json(url, &slip).await.status, StatusCode::OK);
    let right = json!({"scenario": "thread", "step": 0, "answer": procmem_answer(&app, "thread", None).await});
    let res = c.post_json(url, &right).await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    let stored = widget_answers(&app).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(
        (
            stored[0].0.as_str(),
            stored[0].1.as_str(),
            stored[0].2,
            stored[0].3.as_str(),
            stored[0].5
        ),
        ("procmem", "exec", 0, "fates", false)
    );
    assert!(stored[0].4.contains("sigint=kept"), "{}", stored[0].4);
    assert_eq!((stored[1].1.as_str(), stored[1].5), ("thread", true));

    let full = procmem_answer(&app, "fork", None).await;
    let mut missing = full.clone();
    missing.as_object_mut().unwrap().remove("cwd");
    let cases = [
        (json!({"scenario": "fork", "step": 0}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"scenario": "fork", "step": 0, "answer": full, "seed": 1}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"scenario": "fork", "step": 0, "answer": "pid=new"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"scenario": "vfork", "step": 0, "answer": full}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"scenario": "fork", "sigint": "catch", "step": 0, "answer": full}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"scenario": "fork", "step": 2, "answer": full}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"scenario": "fork", "step": 0, "answer": missing}).to_string(), StatusCode::BAD_REQUEST),
        (
            json!({"scenario": "fork", "step": 0, "answer": procmem_answer(&app, "fork", Some(("cwd", "moved"))).await}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    assert_bodies_refused(&c, url, &cases).await;
    assert_eq!(
        widget_answers(&app).await.len(),
        2,
        "nothing stored for bad input"
    );
}
