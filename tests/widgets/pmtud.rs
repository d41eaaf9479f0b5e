//! `pmtud` (W4, on /topics/icmp): path MTU discovery and the black hole — every setup as a table
//! without JavaScript, presets and settings from the API, and predictions graded and stored only for
//! learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn pmtud_renders_every_setup_without_javascript_on_the_icmp_page() {
    let app = common::app().await;
    let icmp = app.get("/topics/icmp").await;
    assert_eq!(
        icmp.attrs("section[data-widget]", "data-widget"),
        vec!["pmtud"]
    );
    assert!(icmp.body.contains("css/widgets/pmtud.css"));
    let setups = icmp.attrs("#widget-pmtud details", "data-scenario");
    assert_eq!(
        setups,
        [
            "normal",
            "black-hole",
            "drop-echo",
            "mss-clamp",
            "plpmtud",
            "ipv6",
            "ipv6-black-hole",
            "df-off"
        ]
    );
    // The black hole: the 1500-byte segment dies at R1, the ICMP at the firewall, A's PMTU stays 1500.
    let hole = icmp.texts("#widget-pmtud details[data-scenario=black-hole] tr.lost td");
    assert!(
        hole.iter().any(|t| t.contains("R1 で破棄"))
            && hole.iter().any(|t| t.contains("FW で破棄")),
        "{hole:?}"
    );
    let outcome = icmp.texts("#widget-pmtud details[data-scenario=black-hole] .outcome");
    assert!(outcome[0].contains("完了しません"), "{outcome:?}");
    let normal = icmp.texts("#widget-pmtud details[data-scenario=normal] td.state");
    assert_eq!(normal.last().map(String::as_str), Some("1400 / 1360"));
    // Every step cites its source.
    let explains = icmp.texts("#widget-pmtud .explain");
    assert!(explains.len() > 40);
    assert!(explains.iter().all(|e| e.contains("出典: ")));
    let frags = icmp.texts("#widget-pmtud details[data-scenario=df-off] td");
    assert!(frags.iter().any(|t| t.contains("1396 + 124")), "{frags:?}");
}

#[tokio::test]
async fn pmtud_api_serves_presets_and_settings_and_refuses_bad_ones_in_japanese() {
    let app = common::app().await;
    let (status, v) = json_get(&app, "/api/widgets/pmtud?scenario=black-hole").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["outcome"]["completes"], false);
    assert_eq!(v["outcome"]["pmtu"], 1500);
    assert_eq!(v["steps"][3]["size"], 1500);
    assert_eq!(v["steps"][3]["df"], true);
    assert_eq!(v["steps"][4]["stops_at"], "fw");
    for step in v["steps"].as_array().unwrap() {
        for key in [
            "kind", "from", "to", "size", "fate", "note", "explain", "source", "pmtu", "mss",
        ] {
            assert!(step.get(key).is_some(), "step lacks {key}: {step}");
        }
    }
    let (_, v) = json_get(&app, "/api/widgets/pmtud?ip=6&mtu=1280").await;
    assert_eq!(
        (v["outcome"]["pmtu"].as_u64(), v["outcome"]["mss"].as_u64()),
        (Some(1280), Some(1220))
    );
    assert_eq!(v["scenario"], "v6+mtu1280");
    // A preset's toggles can be overridden: black hole + clamping is the mss-clamp preset.
    let (_, v) = json_get(&app, "/api/widgets/pmtud?scenario=black-hole&clamp=true").await;
    assert_eq!(v["scenario"], "mss-clamp");
    assert_eq!(v["outcome"]["completes"], true);

    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/pmtud?scenario=nope", "scenario"),
            ("/api/widgets/pmtud?filter=some", "filter"),
            ("/api/widgets/pmtud?ip=5", "ip"),
            ("/api/widgets/pmtud?clamp=2", "clamp"),
            ("/api/widgets/pmtud?plpmtud=yes", "plpmtud"),
            ("/api/widgets/pmtud?mtu=1500", "mtu"),
            ("/api/widgets/pmtud?mtu=1279", "mtu"),
            ("/api/widgets/pmtud?mtu=abc", "mtu"),
            ("/api/widgets/pmtud?ip=6&df=false", "df"),
        ],
    )
    .await;
}

#[tokio::test]
async fn pmtud_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/pmtud/check";
    let hole = json!({"filter": "type3", "ip": 4, "clamp": false, "plpmtud": false, "df": true, "mtu": 1400,
                      "completes": true, "pmtu": 1400});
    let (status, v) = json_post(&app, url, &hole.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["correct"], false);
    assert_eq!(
        (
            v["completes_correct"].as_bool(),
            v["pmtu_correct"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(v["expected"], "転送は完了しない。A の経路 MTU は 1500");
    assert_eq!(v["step"], 3);
    // A visitor is graded, nothing is kept.
    assert!(widget_answers(&app).await.is_empty());

    let c = app.client();
    c.sign_up("pmtud-learner").await;
    let res = c.post_json(url, &hole).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = c
        .post_json(
            url,
            &json!({"scenario": "ipv6", "completes": true, "pmtu": 1400}),
        )
        .await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "pmtud".into(),
                "black-hole".into(),
                3,
                "outcome".into(),
                "completes:1400".into(),
                false
            ),
            (
                "pmtud".into(),
                "ipv6".into(),
                3,
                "outcome".into(),
                "completes:1400".into(),
                true
            ),
        ]
    );

    // Bad bodies: the right status, a Japanese message, nothing stored.
    let before = widget_answers(&app).await.len();
    assert_bodies_refused(
        &c,
        url,
        &[
            ("{not json", StatusCode::BAD_REQUEST),
            (r#"{"completes":true}"#, StatusCode::UNPROCESSABLE_ENTITY),
            (
                r#"{"completes":true,"pmtu":1400,"seed":1}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                r#"{"completes":"yes","pmtu":1400}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (r#"{"completes":true,"pmtu":1600}"#, StatusCode::BAD_REQUEST),
            (
                r#"{"completes":true,"pmtu":1400,"mtu":20000}"#,
                StatusCode::BAD_REQUEST,
            ),
            (
                r#"{"completes":true,"pmtu":1400,"ip":5}"#,
                StatusCode::BAD_REQUEST,
            ),
            (
                r#"{"completes":true,"pmtu":1400,"scenario":"nope"}"#,
                StatusCode::BAD_REQUEST,
            ),
            (
                r#"{"completes":true,"pmtu":1400,"filter":""}"#,
                StatusCode::BAD_REQUEST,
            ),
            (
                r#"{"completes":true,"pmtu":1400,"ip":6,"df":false}"#,
                StatusCode::BAD_REQUEST,
            ),
        ],
    )
    .await;
    assert_eq!(
        widget_answers(&app).await.len(),
        before,
        "nothing stored for bad input"
    );
}
