//! `conntrack` (W9, on /topics/firewall): static rules against a stateful filter — every scenario as a
//! table with `conntrack -L` lines, the API, and predictions graded and stored only for learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn conntrack_renders_every_scenario_without_javascript_on_the_firewall_page() {
    let app = common::app().await;
    let fw = app.get("/topics/firewall").await;
    assert_eq!(
        fw.attrs("section[data-widget]", "data-widget"),
        vec!["conntrack"]
    );
    assert_eq!(
        fw.attrs("#widget-conntrack details", "data-scenario"),
        [
            "https",
            "dns",
            "ftp-passive",
            "ftp-helper",
            "unsolicited-syn",
            "icmp-error",
            "stray-ack"
        ]
    );
    // Both rule tables, then conntrack -L as conntrack prints it.
    assert!(
        fw.texts("#widget-conntrack .ct-rule-table code")
            .iter()
            .any(|t| t == "ct state established,related accept")
    );
    let https = fw.texts("#widget-conntrack details[data-scenario=https] pre.ct-lines");
    assert!(
        https[0].starts_with("tcp      6 120 SYN_SENT src=192.168.1.10 dst=198.51.100.7 sport=50100 dport=443 [UNREPLIED]"),
        "{https:?}"
    );
    assert!(https[2].contains("300 ESTABLISHED") && https[2].contains("[ASSURED]"));
    let helper = fw.texts("#widget-conntrack details[data-scenario=ftp-helper] td.state");
    assert_eq!(
        helper,
        [
            "NEW",
            "ESTABLISHED",
            "ESTABLISHED",
            "ESTABLISHED",
            "RELATED",
            "ESTABLISHED"
        ]
    );
    let expect = fw.texts("#widget-conntrack details[data-scenario=ftp-helper] pre.ct-lines");
    assert!(
        expect
            .iter()
            .any(|l| l.starts_with("300 proto=6") && l.contains("dport=50000")),
        "{expect:?}"
    );
    // The stray ACK: the static filter lets it in, conntrack drops it.
    let stray = fw.texts("#widget-conntrack details[data-scenario=stray-ack] td");
    assert!(
        stray.iter().any(|t| t == "✓ 通す（S2）") && stray.iter().any(|t| t == "✗ 破棄（既定）"),
        "{stray:?}"
    );
    assert!(
        fw.texts("#widget-conntrack .explain")
            .iter()
            .filter(|e| e.contains("（出典: "))
            .count()
            >= 17
    );
}

#[tokio::test]
async fn conntrack_api_serves_each_scenario_and_refuses_bad_parameters_in_japanese() {
    let app = common::app().await;
    let (status, v) = json_get(&app, "/api/widgets/conntrack?scenario=ftp-passive").await;
    assert_eq!(status, StatusCode::OK);
    let data = &v["steps"][4];
    assert_eq!(data["ct_state"], "NEW");
    assert_eq!(data["stateful"], json!({"accept": false, "rule": "policy"}));
    assert_eq!(
        data["static_verdict"],
        json!({"accept": true, "rule": "S7"})
    );
    assert_eq!(v["helper"], false);
    for step in v["steps"].as_array().unwrap() {
        for key in [
            "packet",
            "static_verdict",
            "ct_state",
            "stateful",
            "table",
            "expect",
            "note",
            "explain",
            "source",
        ] {
            assert!(step.get(key).is_some(), "step lacks {key}");
        }
    }
    let (_, v) = json_get(
        &app,
        "/api/widgets/conntrack?scenario=stray-ack&loose=false",
    )
    .await;
    assert_eq!(v["steps"][0]["ct_state"], "INVALID");
    assert_eq!(v["name"], "stray-ack+strict");
    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/conntrack?scenario=smtp", "scenario"),
            ("/api/widgets/conntrack?loose=perhaps", "loose"),
        ],
    )
    .await;
}

#[tokio::test]
async fn conntrack_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/conntrack/check";
    let guess = json!({"scenario": "ftp-helper", "step": 4, "static": "accept", "stateful": "accept", "state": "ESTABLISHED"});
    let (status, v) = json_post(&app, url, &guess.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["correct"], false);
    assert_eq!(
        (
            v["static_correct"].as_bool(),
            v["stateful_correct"].as_bool(),
            v["state_correct"].as_bool()
        ),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(
        v["expected"],
        "静的フィルタ: 通す（S7）、conntrack: RELATED で通す（F1）"
    );
    assert!(widget_answers(&app).await.is_empty());

    let c = app.client();
    c.sign_up("conntrack-learner").await;
    assert_eq!(c.post_json(url, &guess).await.status, StatusCode::OK);
    let strict = json!({"scenario": "stray-ack", "loose": false, "step": 0, "static": "accept", "stateful": "drop", "state": "INVALID"});
    let res = c.post_json(url, &strict).await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "conntrack".into(),
                "ftp-helper".into(),
                4,
                "verdict".into(),
                "static:accept,stateful:accept,state:ESTABLISHED".into(),
                false
            ),
            (
                "conntrack".into(),
                "stray-ack+strict".into(),
                0,
                "verdict".into(),
                "static:accept,stateful:drop,state:INVALID".into(),
                true
            ),
        ]
    );

    let before = widget_answers(&app).await.len();
    assert_bodies_refused(&c, url, &[
        ("{not json", StatusCode::BAD_REQUEST),
        (
            r#"{"scenario":"dns","step":0}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"scenario":"dns","step":0,"static":"accept","stateful":"drop","state":"NEW","extra":1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"scenario":"dns","step":-1,"static":"accept","stateful":"drop","state":"NEW"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"scenario":"dns","step":2,"static":"accept","stateful":"drop","state":"NEW"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"smtp","step":0,"static":"accept","stateful":"drop","state":"NEW"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"dns","step":0,"static":"allow","stateful":"drop","state":"NEW"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"scenario":"dns","step":0,"static":"accept","stateful":"drop","state":"SYN_SENT"}"#,
            StatusCode::BAD_REQUEST,
        ),
    ]).await;
    assert_eq!(
        widget_answers(&app).await.len(),
        before,
        "nothing stored for bad input"
    );
}
