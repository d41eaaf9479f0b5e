//! `lb-layers` (W6): what an L3, L4 and L7 device can decide, on two topic pages with unique ids; the API
//! evaluating packets, and predictions graded and kept only for learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

// lb-layers: what an L3, L4 and L7 device can see and decide on (facts.md W6), on two topic pages

#[tokio::test]
async fn the_layer_widget_is_on_both_topics_once_each_with_unique_ids() {
    let app = common::app().await;
    for (slug, anchor) in [
        ("load-balancer", "以下"),
        ("custom-protocols", "SQLなども独自プロトコル"),
    ] {
        let page = app.get(&format!("/topics/{slug}")).await;
        assert_eq!(
            page.attrs("section[data-widget]", "data-widget"),
            vec!["lb-layers"],
            "{slug}"
        );
        let ids = page.attrs("[id]", "id");
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{slug}: {ids:?}");
        assert!(
            page.body.find(anchor).unwrap() < page.body.find("id=\"widget-lb-layers\"").unwrap()
        );
        assert!(
            page.texts(".page-toc .toc-widget a")
                .contains(&"図解: L3・L4・L7 の装置が見るもの・決められること".to_string()),
            "{slug}"
        );
        assert_eq!(
            page.attrs("#widget-lb-layers details[data-scenario]", "data-scenario")
                .len(),
            10
        );
        // W6: "/api → pool B" is rejected at L3 and L4.
        let rows =
            page.rows("#widget-lb-layers details[data-scenario=path-http] .lb-devices tbody tr");
        assert_eq!(rows.len(), 3);
        assert!(
            rows[0][2].starts_with("使えない") && rows[1][2].starts_with("使えない"),
            "{rows:?}"
        );
        assert!(rows[2][2].starts_with("使える"), "{rows:?}");
        // Without termination only the SNI; with ECH not even that.
        let sni =
            page.rows("#widget-lb-layers details[data-scenario=host-sni] .lb-devices tbody tr");
        assert!(
            sni[2][2].starts_with("使える") && sni[2][3].contains("SNI"),
            "{sni:?}"
        );
        let ech =
            page.rows("#widget-lb-layers details[data-scenario=host-ech] .lb-devices tbody tr");
        assert!(
            ech[2][2].starts_with("使えない") && ech[2][3].contains("public.example"),
            "{ech:?}"
        );
        assert!(
            page.texts("#widget-lb-layers details[data-scenario=host-ech] tr.lb-encrypted")
                .len()
                >= 4,
            "the request is drawn as encrypted"
        );
        let sources = page.texts("#widget-lb-layers .lb-devices .source");
        assert_eq!(sources.len(), 30);
        assert!(
            sources.iter().all(|s| s.starts_with("出典: RFC ")),
            "{sources:?}"
        );
    }
}

#[tokio::test]
async fn the_layer_api_evaluates_packets_and_names_bad_parameters() {
    let app = common::app().await;
    let (status, v) = json_get(&app, "/api/widgets/lb-layers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["scenario"], "path-http");
    assert_eq!(v["lowest"], 7);
    let (_, v) = json_get(
        &app,
        "/api/widgets/lb-layers?scenario=custom-tcp&rule=port-5432&port=5432",
    )
    .await;
    let can: Vec<bool> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["can_apply"].as_bool().unwrap())
        .collect();
    assert_eq!(can, [false, true, true]);
    assert_eq!(v["devices"][1]["decision"], "DB プールへ");
    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/lb-layers?scenario=nope", "scenario"),
            ("/api/widgets/lb-layers?payload=smtp", "payload"),
            ("/api/widgets/lb-layers?tls=ssl3", "tls"),
            ("/api/widgets/lb-layers?payload=postgres&tls=tls", "tls"),
            ("/api/widgets/lb-layers?port=0", "port"),
            ("/api/widgets/lb-layers?port=99999", "port"),
            ("/api/widgets/lb-layers?method=DELETE", "method"),
            ("/api/widgets/lb-layers?host=evil.example", "host"),
            ("/api/widgets/lb-layers?path=%2Fadmin", "path"),
            ("/api/widgets/lb-layers?cookie=maybe", "cookie"),
            ("/api/widgets/lb-layers?terminate=2", "terminate"),
            ("/api/widgets/lb-layers?rule=l8", "rule"),
        ],
    )
    .await;
}

#[tokio::test]
async fn layer_predictions_are_graded_and_kept_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/lb-layers/check";
    let body = json!({"scenario": "port-db", "layers": [4]});
    let (status, v) = json_post(&app, url, &body.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["correct"], false);
    assert_eq!(v["expected"], "L4・L7");
    assert!(widget_answers(&app).await.is_empty());

    let c = app.client();
    c.sign_up("layer-learner").await;
    let res = c
        .post_json(url, &json!({"scenario": "path-passthrough", "layers": []}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = c
        .post_json(
            url,
            &json!({"scenario": "host-sni", "tls": "ech", "layers": [7]}),
        )
        .await;
    assert!(res.body.contains("\"correct\":false"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "lb-layers".into(),
                "path-passthrough".into(),
                -1,
                "layers".into(),
                "なし".into(),
                true
            ),
            (
                "lb-layers".into(),
                "host-ech".into(),
                -1,
                "layers".into(),
                "L7".into(),
                false
            ),
        ]
    );

    // Bad bodies: a Japanese 4xx naming the problem, nothing stored.
    assert_bodies_refused(
        &c,
        url,
        &[
            (
                json!({"scenario": "port-db", "layers": [8]}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"scenario": "port-db", "layers": [4, 4]}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"scenario": "port-db", "layers": [4], "port": 0}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"scenario": "nope", "layers": []}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"scenario": "port-db"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"scenario": "port-db", "layers": "4"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"scenario": "port-db", "layers": [], "seed": 1}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ],
    )
    .await;
    assert_eq!(widget_answers(&app).await.len(), 2, "nothing more stored");
    use infra_dojo::widgets::labels;
    assert_eq!(
        labels::field_label("lb-layers", "layers"),
        "ルールを適用できる層"
    );
    assert_eq!(
        labels::scenario_label("lb-layers", "host-ech"),
        "Host で振り分け（ECH、TLS 終端なし）"
    );
}
