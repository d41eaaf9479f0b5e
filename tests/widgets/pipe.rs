//! `pipe` (W8: `cat /var/log/messages | grep Error`): the tables, every scenario from the API, and
//! predictions graded and stored only for learners, nothing for bad bodies.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_pipe_widget_serves_its_scenarios_and_tables() {
    let app = common::app().await;
    let page = app.get("/topics/ipc").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["pipe"]
    );
    assert_eq!(
        page.attrs("#widget-pipe details", "data-scenario"),
        [
            "pipeline",
            "early-exit",
            "shell-keeps-w",
            "grep-keeps-w",
            "cat-keeps-r"
        ]
    );
    // The no-JS table: dup2(4, 1) leaves cat's 1 on the write end; every row names its man page.
    let calls = page.texts("#widget-pipe details[data-scenario=pipeline] tbody td code");
    assert_eq!(&calls[..3], ["pipe(fds)", "fork()", "dup2(4, 1)"]);
    let fds = page.texts("#widget-pipe details[data-scenario=pipeline] tbody td.fds");
    assert!(fds[2].contains("1 パイプの書き口"), "{}", fds[2]);
    let summary = page.texts("#widget-pipe details[data-scenario=early-exit] .pipe-summary");
    assert!(
        summary[0].contains("pipefail なしで 0") && summary[0].contains("pipefail ありで 141"),
        "{summary:?}"
    );

    for scenario in [
        "pipeline",
        "early-exit",
        "shell-keeps-w",
        "grep-keeps-w",
        "cat-keeps-r",
    ] {
        let (status, v) = json_get(&app, &format!("/api/widgets/pipe?scenario={scenario}")).await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        assert_eq!(v["scenario"], scenario);
        assert_eq!(v["capacity"], 65536);
        for step in v["steps"].as_array().unwrap() {
            for key in [
                "pid",
                "kind",
                "call",
                "note",
                "explain",
                "source",
                "processes",
                "pipe",
            ] {
                assert!(step.get(key).is_some(), "{scenario}: step lacks {key}");
            }
        }
    }
    let (_, v) = json_get(&app, "/api/widgets/pipe?scenario=early-exit&pipefail=true").await;
    assert_eq!(
        (v["outcome"].as_str(), v["status"].as_i64()),
        (Some("sigpipe"), Some(141))
    );
    let (_, v) = json_get(&app, "/api/widgets/pipe?scenario=shell-keeps-w").await;
    assert_eq!(
        (v["outcome"].as_str(), v["status"].as_i64()),
        (Some("grep-hangs"), None)
    );
    let (_, v) = json_get(&app, "/api/widgets/pipe?size=0&matches=false").await;
    assert_eq!(v["status"], 1);

    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/pipe?scenario=nope", "scenario"),
            ("/api/widgets/pipe?size=1048577", "size"),
            ("/api/widgets/pipe?size=-5", "size"),
            ("/api/widgets/pipe?size=1e3", "size"),
            ("/api/widgets/pipe?pipefail=maybe", "pipefail"),
            ("/api/widgets/pipe?matches=2", "matches"),
        ],
    )
    .await;
}

#[tokio::test]
async fn pipe_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/pipe/check";
    let dup2 = json!({"scenario": "pipeline", "step": 2, "field": "fds",
        "answer": "tty,pipe-w,tty,pipe-r,none"});
    let (status, v) = json_post(&app, url, &dup2.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["correct"], false);
    assert_eq!(v["expected"], "tty,pipe-w,tty,pipe-r,pipe-w");
    assert_eq!(v["wrong_fds"], json!([4]));
    assert!(v["source"].as_str().unwrap().contains("dup2(2)"));
    // A visitor's prediction is graded, not kept.
    assert!(widget_answers(&app).await.is_empty());

    let c = app.client();
    c.sign_up("pipe-learner").await;
    let res = c.post_json(url, &dup2).await;
    assert_eq!(res.status, StatusCode::OK);
    let (_, run) = json_get(&app, "/api/widgets/pipe?scenario=grep-keeps-w").await;
    let wait = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["ask"] == "outcome")
        .unwrap();
    let res = c
        .post_json(
            url,
            &json!({"scenario": "grep-keeps-w", "step": wait, "field": "outcome", "answer": "grep-hangs"}),
        )
        .await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "pipe".into(),
                "pipeline".into(),
                2,
                "fds".into(),
                "tty,pipe-w,tty,pipe-r,none".into(),
                false
            ),
            (
                "pipe".into(),
                "grep-keeps-w".into(),
                wait as i64,
                "outcome".into(),
                "grep-hangs".into(),
                true
            ),
        ]
    );

    // Bad bodies: a Japanese 400/422 and nothing stored.
    let before = widget_answers(&app).await.len();
    let cases = [
        (
            r#"{"scenario":"pipeline","step":2,"field":"fds"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"scenario":"pipeline","step":2,"field":"fds","answer":"tty","pid":101}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"scenario":"pipeline","step":"2","field":"fds","answer":"tty"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"scenario":"nope","step":2,"field":"fds","answer":"tty,tty,tty,none,none"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"pipeline","size":99999999,"step":2,"field":"fds","answer":"tty,tty,tty,none,none"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"pipeline","step":2,"field":"outcome","answer":"completes"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"pipeline","step":2,"field":"fds","answer":"tty,tty,tty,sock,none"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"pipeline","step":500,"field":"fds","answer":"tty,tty,tty,none,none"}"#,
            StatusCode::BAD_REQUEST,
        ),
    ];
    assert_bodies_refused(&c, url, &cases).await;
    assert_eq!(
        widget_answers(&app).await.len(),
        before,
        "nothing stored for bad input"
    );
}
