//! Router tests for the network widgets of issue 11: the connection-vs-session timeline (`sessions`,
//! facts.md W10) beside its topic's supplement, the L3/L4/L7 decision widget (`lb-layers`, W6) on two
//! topic pages, and the course map marking every topic that has a widget. Each widget: its no-JS
//! tables, its JSON API with a Japanese 400 naming a bad parameter, predictions graded and kept only
//! for signed-in learners, nothing stored for bad input, and the page's transfer budget.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::widget_api::{assert_widget_page_budget, json_get, json_post, widget_answers};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------------
// sessions: connections, TLS, requests and a login session on one timeline (facts.md W10)

#[tokio::test]
async fn the_sessions_timeline_follows_the_supplement_of_its_empty_topic() {
    let app = common::app().await;
    let page = app.get("/topics/connection-vs-session").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["sessions"]
    );
    // The notes are empty: the widget comes after the supplement, outside it, and so does its
    // table-of-contents entry.
    let supplement = page.body.find("id=\"supplement\"").unwrap();
    let widget = page.body.find("id=\"widget-sessions\"").unwrap();
    assert!(supplement < widget);
    assert!(
        page.attrs("#supplement section[data-widget]", "id")
            .is_empty()
    );
    assert!(page.attrs("#notes section[data-widget]", "id").is_empty());
    let toc = page.attrs(".page-toc a", "href");
    assert_eq!(toc, ["#notes", "#supplement", "#widget-sessions"]);
    // Every id on the page is unique.
    let ids = page.attrs("[id]", "id");
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");

    // Every scenario is there as a table with its counts; W10's facts in words.
    assert_eq!(
        page.attrs("#widget-sessions details[data-scenario]", "data-scenario"),
        [
            "keepalive",
            "http2-resume",
            "l4-memory",
            "l4-sticky",
            "l7-memory",
            "l7-sticky"
        ]
    );
    let keepalive = "#widget-sessions details[data-scenario=keepalive]";
    assert_eq!(
        page.texts(&format!("{keepalive} [data-count=connections]")),
        ["2 本"]
    );
    assert_eq!(
        page.texts(&format!("{keepalive} [data-count=sessions]")),
        ["1 個"]
    );
    assert_eq!(page.texts(&format!("{keepalive} tbody tr")).len(), 10);
    let l7 = "#widget-sessions details[data-scenario=l7-memory]";
    assert_eq!(
        page.texts(&format!("{l7} [data-count=survives]")),
        ["失われる"]
    );
    assert_eq!(page.texts(&format!("{l7} tr.lost")).len(), 2);
    assert!(
        page.texts(&format!("{l7} .ss-outcome"))[0].contains("リクエスト 2 でログインが失われます")
    );
    let h2 = page.texts("#widget-sessions details[data-scenario=http2-resume] tr.ss-tls-resumed");
    assert!(h2[0].contains("RFC 8446 §2.2"), "{h2:?}");
    // Each step cites its sources.
    let sources = page.texts("#widget-sessions .ss-table .source");
    assert!(sources.len() > 40 && sources.iter().all(|s| s.starts_with("出典: RFC ")));
    assert!(page.body.contains("css/widgets/sessions.css"));
}

#[tokio::test]
async fn the_sessions_api_serves_setups_and_names_bad_parameters() {
    let app = common::app().await;
    let (status, v) = json_get(&app, "/api/widgets/sessions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["scenario"], "keepalive");
    assert_eq!(v["counts"]["connections"], 2);
    assert_eq!(v["survives"], true);
    let (_, v) = json_get(&app, "/api/widgets/sessions?scenario=l4-memory&pause=30").await;
    assert_eq!(v["scenario"], "h1+l4+memory+resume+3+2+30");
    assert_eq!(v["counts"]["connections"], 1);
    assert_eq!(v["survives"], true, "one connection: L4 keeps it on A");
    let (_, v) = json_get(&app, "/api/widgets/sessions?scenario=l7-memory").await;
    assert_eq!(v["lost_at"], 2);
    for (query, param) in [
        ("scenario=nope", "scenario"),
        ("http=h3", "http"),
        ("balancer=l3", "balancer"),
        ("store=disk", "store"),
        ("sticky=perhaps", "sticky"),
        ("resume=2", "resume"),
        ("before=0", "before"),
        ("after=7", "after"),
        ("pause=601", "pause"),
        ("pause=-1", "pause"),
        ("pause=%EF%BC%91", "pause"),
    ] {
        let (status, v) = json_get(&app, &format!("/api/widgets/sessions?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let message = v["error"].as_str().unwrap();
        assert!(
            message.contains(&format!("パラメータ {param}")),
            "{query}: {message}"
        );
    }
}

fn sessions_body(extra: Value) -> Value {
    let mut body = json!({
        "scenario": "l7-memory",
        "connections": 2, "tls_full": 2, "requests": 5, "sessions": 1, "survives": false
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn sessions_predictions_are_graded_and_kept_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/sessions/check";
    let (status, right) = json_post(
        &app,
        url,
        &sessions_body(json!({})).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{right}");
    assert_eq!(right["correct"], true);
    assert!(right["explain"].as_str().unwrap().contains("リクエスト 2"));
    // "One session per connection" is the slip the widget is about.
    let (_, wrong) = json_post(
        &app,
        url,
        &sessions_body(json!({"sessions": 2, "survives": true})).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(wrong["correct"], false);
    let verdicts = wrong["verdicts"].as_array().unwrap();
    let fields: Vec<(&str, bool, &str)> = verdicts
        .iter()
        .map(|v| {
            (
                v["field"].as_str().unwrap(),
                v["correct"].as_bool().unwrap(),
                v["expected"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("connections", true, "2"),
            ("tls_full", true, "2"),
            ("requests", true, "5"),
            ("sessions", false, "1"),
            ("survives", false, "失われる")
        ]
    );
    assert!(
        widget_answers(&app).await.is_empty(),
        "visitors are not kept"
    );

    let c = app.client();
    c.sign_up("session-learner").await;
    let res = c
        .post_json(
            url,
            &sessions_body(json!({"store": "shared", "survives": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [(
            "sessions".into(),
            // l7-memory with a shared store is exactly the keepalive scenario: stored by its name.
            "keepalive".into(),
            -1,
            "counts".into(),
            "connections=2 tls_full=2 requests=5 sessions=1 survives=yes".into(),
            true
        )]
    );
    // The instructor's analysis reads them in Japanese.
    use infra_dojo::widgets::labels;
    assert_eq!(
        labels::scenario_label("sessions", "l7-memory"),
        "L7 バランサー・セッションはメモリ"
    );
    assert_eq!(
        labels::step_label("sessions", "l7-memory", -1),
        "タイムライン全体（数と結末）"
    );
    assert!(labels::field_label("sessions", "counts").contains("ログインが続くか"));
}

#[tokio::test]
async fn bad_sessions_predictions_get_a_japanese_error_and_store_nothing() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("session-typo").await;
    let url = "/api/widgets/sessions/check";
    let ok = sessions_body(json!({}));
    let cases = [
        ("{not json".to_string(), StatusCode::BAD_REQUEST, None),
        (
            sessions_body(json!({"seed": 3})).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            sessions_body(json!({"connections": -1})).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            sessions_body(json!({"survives": "yes"})).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            {
                let mut b = ok.clone();
                b.as_object_mut().unwrap().remove("requests");
                b.to_string()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            sessions_body(json!({"scenario": "nope"})).to_string(),
            StatusCode::BAD_REQUEST,
            Some("scenario"),
        ),
        (
            sessions_body(json!({"scenario": ""})).to_string(),
            StatusCode::BAD_REQUEST,
            Some("scenario"),
        ),
        (
            sessions_body(json!({"balancer": "l3"})).to_string(),
            StatusCode::BAD_REQUEST,
            Some("balancer"),
        ),
        (
            sessions_body(json!({"pause": 601})).to_string(),
            StatusCode::BAD_REQUEST,
            Some("pause"),
        ),
        (
            sessions_body(json!({"after": 0})).to_string(),
            StatusCode::BAD_REQUEST,
            Some("after"),
        ),
        (
            sessions_body(json!({"tls_full": 100})).to_string(),
            StatusCode::BAD_REQUEST,
            Some("tls_full"),
        ),
    ];
    for (body, expected, param) in cases {
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
        if let Some(param) = param {
            assert!(message.contains(param), "{body}: {message}");
        }
    }
    let res = c
        .post_form(url, &[("scenario", "keepalive"), ("connections", "2")])
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        widget_answers(&app).await.is_empty(),
        "nothing stored for bad input"
    );
}

#[tokio::test]
async fn the_sessions_page_stays_within_issue_11s_budget() {
    let app = common::app().await;
    assert_widget_page_budget(&app, "connection-vs-session", "sessions").await;
}

#[tokio::test]
async fn the_course_map_marks_every_topic_with_a_widget() {
    let app = common::app().await;
    let content = app.state.content();
    let with_widget: Vec<String> = content
        .course
        .topics
        .iter()
        .filter(|t| !t.widgets.is_empty())
        .map(|t| format!("/topics/{}", t.slug))
        .collect();
    assert!(with_widget.contains(&"/topics/connection-vs-session".to_string()));
    let home = app.get("/").await;
    let html = home.html();
    let item = scraper::Selector::parse(".course-map li").unwrap();
    let link = scraper::Selector::parse("a").unwrap();
    let badge = scraper::Selector::parse(".badge-widget").unwrap();
    let mut marked = Vec::new();
    for li in html.select(&item) {
        let href = li
            .select(&link)
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap();
        if let Some(b) = li.select(&badge).next() {
            // Text a screen reader reads, not an icon alone.
            assert_eq!(b.text().collect::<String>(), "図解");
            assert_eq!(b.value().attr("title"), Some("図解あり"));
            marked.push(href.to_string());
        }
    }
    assert_eq!(marked, with_widget);
}

// ---------------------------------------------------------------------------------------------------
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
    for (query, param) in [
        ("scenario=nope", "scenario"),
        ("payload=smtp", "payload"),
        ("tls=ssl3", "tls"),
        ("payload=postgres&tls=tls", "tls"),
        ("port=0", "port"),
        ("port=99999", "port"),
        ("method=DELETE", "method"),
        ("host=evil.example", "host"),
        ("path=%2Fadmin", "path"),
        ("cookie=maybe", "cookie"),
        ("terminate=2", "terminate"),
        ("rule=l8", "rule"),
    ] {
        let (status, v) = json_get(&app, &format!("/api/widgets/lb-layers?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let message = v["error"].as_str().unwrap();
        assert!(
            message.contains(&format!("パラメータ {param}")),
            "{query}: {message}"
        );
    }
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
    for (body, expected) in [
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
    ] {
        let res = c.post_json(url, &body).await;
        assert_eq!(res.status, expected, "{body}: {}", res.body);
        let v: Value = serde_json::from_str(&res.body).unwrap();
        let message = v["error"].as_str().unwrap();
        assert!(
            message
                .chars()
                .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)),
            "{body}: {message}"
        );
    }
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

#[tokio::test]
async fn the_layer_pages_stay_within_issue_11s_budget() {
    let app = common::app().await;
    assert_widget_page_budget(&app, "load-balancer", "lb-layers").await;
    assert_widget_page_budget(&app, "custom-protocols", "lb-layers").await;
}
