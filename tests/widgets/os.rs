//! Router tests for the OS widgets of issue 12: the pipe (W8) and what a process is made of (W13). Each
//! page carries its widget's no-JS tables, the JSON API serves every scenario and answers a bad
//! parameter with a Japanese 400 naming it, predictions are graded and stored only for signed-in
//! learners, bad bodies store nothing, and the page stays within the issue's transfer budget.

use super::{common, json_get, json_post, widget_answers};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

// ---- pipe (W8: `cat /var/log/messages | grep Error`)

/// Bytes a browser receives for a topic page and everything it loads (brotli), and the widget
/// script's own size: the issue's budget is 100 KB in total and 40 KB of script.
async fn page_transfer(app: &common::TestApp, slug: &str, widget: &str) -> (usize, usize) {
    let page = app.get(&format!("/topics/{slug}")).await;
    let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
    urls.extend(page.attrs("script[src]", "src"));
    urls.extend(page.attrs("link[rel=modulepreload]", "href"));
    let script = urls
        .iter()
        .find(|u| u.ends_with(&format!("/js/widgets/{widget}.js")))
        .cloned()
        .expect("the page preloads its widget's script");
    let raw_js = app.get(&script).await.body.len();
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
    (total, raw_js)
}

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

    for (uri, param) in [
        ("/api/widgets/pipe?scenario=nope", "scenario"),
        ("/api/widgets/pipe?size=1048577", "size"),
        ("/api/widgets/pipe?size=-5", "size"),
        ("/api/widgets/pipe?size=1e3", "size"),
        ("/api/widgets/pipe?pipefail=maybe", "pipefail"),
        ("/api/widgets/pipe?matches=2", "matches"),
    ] {
        let (status, v) = json_get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("パラメータ {param}")),
            "{uri}: {message}"
        );
    }

    let (total, raw_js) = page_transfer(&app, "ipc", "pipe").await;
    println!("ipc: {total} bytes transferred (brotli), pipe.js {raw_js} bytes");
    assert!(raw_js < 40 * 1024, "pipe.js is {raw_js} bytes");
    assert!(total < 100 * 1024, "ipc: {total} bytes transferred");
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
    for (body, expected) in cases {
        let req = Request::post(url)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = c.send(req).await;
        assert_eq!(res.status, expected, "{body}: {}", res.body);
        let v: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message
                .chars()
                .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)),
            "{body}: not Japanese: {message}"
        );
    }
    assert_eq!(
        widget_answers(&app).await.len(),
        before,
        "nothing stored for bad input"
    );
}

// ---- procmem (W13: what a process is made of)

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

    for (uri, param) in [
        ("/api/widgets/procmem?scenario=vfork", "scenario"),
        ("/api/widgets/procmem?cloexec=yes", "cloexec"),
        ("/api/widgets/procmem?sigint=catch", "sigint"),
    ] {
        let (status, v) = json_get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("パラメータ {param}")),
            "{uri}: {message}"
        );
    }

    let (total, raw_js) = page_transfer(&app, "process-components", "procmem").await;
    println!("process-components: {total} bytes transferred (brotli), procmem.js {raw_js} bytes");
    assert!(raw_js < 40 * 1024, "procmem.js is {raw_js} bytes");
    assert!(
        total < 100 * 1024,
        "process-components: {total} bytes transferred"
    );
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
    for (body, expected) in cases {
        let req = Request::post(url)
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        let res = c.send(req).await;
        assert_eq!(res.status, expected, "{body}: {}", res.body);
        let v: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message
                .chars()
                .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)),
            "{body}: not Japanese: {message}"
        );
    }
    assert_eq!(
        widget_answers(&app).await.len(),
        2,
        "nothing stored for bad input"
    );
}
