//! Router tests for the OS widgets of issue 12 — `sched` (W7: process states and per-CPU run queues, on
//! the process and run-queue pages) and `signals` (W5): each page's no-JS tables, the JSON API computed
//! by the model, a Japanese 400 naming a bad parameter, grading stored for signed-in learners only and
//! nothing stored for bad input, and the page's transfer budget (under 100 KB compressed).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::widget_api::{json_get, json_post, widget_answers};
use serde_json::{Value, json};

// ---- sched (W7: process states on a multicore machine)

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

    for (uri, name) in [
        ("/api/widgets/sched?scenario=nope", "scenario"),
        ("/api/widgets/sched?cpus=0", "cpus"),
        ("/api/widgets/sched?cpus=5", "cpus"),
        ("/api/widgets/sched?cpus=two", "cpus"),
        ("/api/widgets/sched?tasks=9", "tasks"),
        ("/api/widgets/sched?tasks=-1", "tasks"),
    ] {
        let (status, v) = json_get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("パラメータ {name}")),
            "{uri}: {message}"
        );
    }
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
    for (body, expected, name) in cases {
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
        assert!(message.contains(name), "{body}: {message}");
    }
    assert!(
        widget_answers(&app).await.is_empty(),
        "nothing stored for bad input"
    );
}

#[tokio::test]
async fn the_sched_pages_stay_within_the_issue_budget() {
    // Issue 12: a widget page under 100 KB compressed in total (HTML, CSS, the script and its modules),
    // the script under 40 KB.
    let app = common::app().await;
    for slug in ["process", "run-queue"] {
        let page = app.get(&format!("/topics/{slug}")).await;
        let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
        urls.extend(page.attrs("script[src]", "src"));
        urls.extend(page.attrs("link[rel=modulepreload]", "href"));
        let script = urls
            .iter()
            .find(|u| u.ends_with("/js/widgets/sched.js"))
            .cloned();
        let raw = app
            .get(&script.expect("the page preloads sched.js"))
            .await
            .body
            .len();
        assert!(raw < 40 * 1024, "sched.js is {raw} bytes");
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
        println!("{slug}: {total} bytes transferred (brotli), sched.js {raw} bytes");
        assert!(total < 100 * 1024, "{slug}: {total} bytes");
    }
}

// ---- signals (W5: who gets a signal and what happens)

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
    for (uri, name) in [
        ("/api/widgets/signals?scenario=ctrl-x", "scenario"),
        ("/api/widgets/signals?handler=trap", "handler"),
    ] {
        let (status, v) = json_get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains(&format!("パラメータ {name}")),
            "{v}"
        );
    }
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
    for bad in [
        json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 301}),
        json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 301, "answer": "ignored", "seed": 4}),
        json!({"scenario": "kill", "handler": "x", "step": 0, "field": "fate", "pid": 301, "answer": "ignored"}),
        json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 999, "answer": "ignored"}),
        json!({"scenario": "kill", "step": 0, "field": "signo", "answer": "0"}),
    ] {
        let res = c.post_json(url, &bad).await;
        assert!(
            res.status == StatusCode::BAD_REQUEST || res.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            res.status
        );
        assert!(
            res.body
                .chars()
                .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)),
            "{}",
            res.body
        );
    }
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

#[tokio::test]
async fn the_signals_page_stays_within_the_issue_budget() {
    let app = common::app().await;
    let page = app.get("/topics/signals").await;
    let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
    urls.extend(page.attrs("script[src]", "src"));
    urls.extend(page.attrs("link[rel=modulepreload]", "href"));
    let script = urls
        .iter()
        .find(|u| u.ends_with("/js/widgets/signals.js"))
        .cloned();
    let raw = app
        .get(&script.expect("the page preloads signals.js"))
        .await
        .body
        .len();
    assert!(raw < 40 * 1024, "signals.js is {raw} bytes");
    let mut total = 0;
    for url in std::iter::once("/topics/signals".to_string()).chain(urls) {
        let req = Request::get(&url)
            .header("accept-encoding", "br")
            .body(Body::empty())
            .unwrap();
        let res = app.request(req).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        total += res.bytes;
    }
    println!("signals: {total} bytes transferred (brotli), signals.js {raw} bytes");
    assert!(total < 100 * 1024, "signals: {total} bytes");
}
