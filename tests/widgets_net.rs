//! Router tests for the network widgets of issue 11 — `pmtud` (W4, on /topics/icmp) and `conntrack`
//! (W9, on /topics/firewall): each page carries every scenario as a table without JavaScript, the JSON
//! API serves the model's runs and answers bad parameters with a Japanese 400 naming the parameter,
//! predictions are graded on the server and stored only for signed-in learners (nothing on bad input),
//! and each page stays within its transfer budget. Kept apart from `widgets.rs` so both stay under
//! 800 lines.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

async fn json_get(app: &common::TestApp, uri: &str) -> (StatusCode, Value) {
    let res = app.get(uri).await;
    assert!(
        res.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "{uri}: {}",
        res.body
    );
    (res.status, serde_json::from_str(&res.body).expect("json"))
}

async fn json_post(app: &common::TestApp, uri: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.request(req).await;
    (
        res.status,
        serde_json::from_str(&res.body).unwrap_or(Value::Null),
    )
}

async fn widget_answers(app: &common::TestApp) -> Vec<(String, String, i64, String, String, bool)> {
    sqlx::query_as(
        "select widget, scenario, step, field, answer, correct from widget_answer order by widget_answer_id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap()
}

// ---- pmtud (W4): path MTU discovery and the black hole

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

    for (uri, key) in [
        ("/api/widgets/pmtud?scenario=nope", "scenario"),
        ("/api/widgets/pmtud?filter=some", "filter"),
        ("/api/widgets/pmtud?ip=5", "ip"),
        ("/api/widgets/pmtud?clamp=2", "clamp"),
        ("/api/widgets/pmtud?plpmtud=yes", "plpmtud"),
        ("/api/widgets/pmtud?mtu=1500", "mtu"),
        ("/api/widgets/pmtud?mtu=1279", "mtu"),
        ("/api/widgets/pmtud?mtu=abc", "mtu"),
        ("/api/widgets/pmtud?ip=6&df=false", "df"),
    ] {
        let (status, v) = json_get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("パラメータ {key}")),
            "{uri}: {message}"
        );
    }
}

#[tokio::test]
async fn pmtud_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/pmtud/check";
    let hole = json!({"filter": "type3", "ip": 4, "clamp": false, "plpmtud": false, "df": true, "mtu": 1400,
                      "completes": true, "pmtu": 1400});
    let (status, v) = json_post(&app, url, &hole.to_string()).await;
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
    for (body, expected) in [
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
    ] {
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

/// Bytes a browser receives for a topic page and everything it links and preloads (brotli).
async fn page_transfer(app: &common::TestApp, slug: &str, widget: &str) -> (usize, usize) {
    let page = app.get(&format!("/topics/{slug}")).await;
    let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
    urls.extend(page.attrs("script[src]", "src"));
    let modules = page.attrs("link[rel=modulepreload]", "href");
    assert!(
        modules
            .iter()
            .any(|m| m.ends_with(&format!("/js/widgets/{widget}.js"))),
        "{modules:?}"
    );
    urls.extend(modules);
    let script = urls
        .iter()
        .find(|u| u.ends_with(&format!("/js/widgets/{widget}.js")))
        .unwrap()
        .clone();
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
async fn the_icmp_page_stays_under_100_kb_and_its_script_under_40_kb() {
    let app = common::app().await;
    let (total, raw_js) = page_transfer(&app, "icmp", "pmtud").await;
    println!("icmp + pmtud: {total} bytes transferred (brotli), pmtud.js {raw_js} bytes");
    assert!(total < 100 * 1024, "icmp: {total} bytes transferred");
    assert!(raw_js < 40 * 1024, "pmtud.js is {raw_js} bytes");
}

// ---- conntrack (W9): static rules vs a stateful filter

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
    for (uri, key) in [
        ("/api/widgets/conntrack?scenario=smtp", "scenario"),
        ("/api/widgets/conntrack?loose=perhaps", "loose"),
    ] {
        let (status, v) = json_get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            v["error"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("パラメータ {key}")),
            "{uri}: {v}"
        );
    }
}

#[tokio::test]
async fn conntrack_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/conntrack/check";
    let guess = json!({"scenario": "ftp-helper", "step": 4, "static": "accept", "stateful": "accept", "state": "ESTABLISHED"});
    let (status, v) = json_post(&app, url, &guess.to_string()).await;
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
    for (body, expected) in [
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
    ] {
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

#[tokio::test]
async fn the_firewall_page_stays_under_100_kb_and_its_script_under_40_kb() {
    let app = common::app().await;
    let (total, raw_js) = page_transfer(&app, "firewall", "conntrack").await;
    println!(
        "firewall + conntrack: {total} bytes transferred (brotli), conntrack.js {raw_js} bytes"
    );
    assert!(total < 100 * 1024, "firewall: {total} bytes transferred");
    assert!(raw_js < 40 * 1024, "conntrack.js is {raw_js} bytes");
}
