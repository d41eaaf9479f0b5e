//! Router tests for the SNMP (W11) and race (W12) widgets: each page carries its widget's tables where
//! the notes need them, the API serves every scenario and names a bad parameter in Japanese, predictions
//! are graded and stored only for signed-in learners with nothing stored on bad input, and each page stays
//! under 100 KB transferred.

use super::{common, json_get, json_post, widget_answers};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

/// Every URL a topic page loads (its stylesheets, scripts and preloaded modules) and the bytes they
/// transfer with brotli, as a browser receives them.
async fn page_transfer(app: &common::TestApp, slug: &str) -> (usize, Vec<String>) {
    let page = app.get(&format!("/topics/{slug}")).await;
    let mut urls: Vec<String> = page.attrs("link[rel=stylesheet]", "href");
    urls.extend(page.attrs("script[src]", "src"));
    urls.extend(page.attrs("link[rel=modulepreload]", "href"));
    let mut total = 0;
    for url in std::iter::once(format!("/topics/{slug}")).chain(urls.clone()) {
        let req = Request::get(&url)
            .header("accept-encoding", "br")
            .body(Body::empty())
            .unwrap();
        let res = app.request(req).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        total += res.bytes;
    }
    (total, urls)
}

#[tokio::test]
async fn snmp_renders_without_javascript_beside_its_supplement() {
    let app = common::app().await;
    let page = app.get("/topics/snmp").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["snmp"]
    );
    assert_eq!(
        page.attrs("#widget-snmp details[data-scenario]", "data-scenario"),
        [
            "get",
            "walk-system",
            "walk-iftable",
            "bulk",
            "set",
            "trap",
            "inform",
            "poll"
        ]
    );
    // The walk of the system group, in lexicographic order, then the first OID outside it.
    let walk = page.texts("#widget-snmp details[data-scenario=walk-system] code.varbind");
    let returned: Vec<&String> = walk.iter().skip(1).step_by(2).collect();
    assert!(
        returned[0].starts_with("sysDescr.0 = OCTET STRING"),
        "{walk:?}"
    );
    assert!(returned[6].starts_with("ifIndex.1 = INTEGER"), "{walk:?}");
    // Every row names its source; SET shows both errors; the trap goes to UDP 162; the poll's rate.
    assert!(
        page.texts("#widget-snmp details[data-scenario=set] td")
            .iter()
            .any(|t| t == "noAccess / 1")
    );
    assert!(
        page.texts("#widget-snmp details[data-scenario=set] td")
            .iter()
            .any(|t| t == "notWritable / 1")
    );
    assert!(
        page.texts("#widget-snmp details[data-scenario=trap] td")
            .iter()
            .any(|t| t == "40161 → 162")
    );
    let poll = page
        .texts("#widget-snmp details[data-scenario=poll] td")
        .join(" ");
    assert!(poll.contains("100000000 bit/s"), "{poll}");
    assert_eq!(
        page.texts("#widget-snmp .source").len(),
        page.texts("#widget-snmp tbody tr[data-step]").len()
    );
    assert!(
        page.texts("#widget-snmp [data-mib] td code")
            .contains(&"1.3.6.1.2.1.1.3.0".to_string())
    );
    // The notes are empty: the widget follows the supplement it illustrates, listed in the page's
    // contents.
    let widget = page.body.find("id=\"widget-snmp\"").unwrap();
    let supplement = page.body.find("id=\"supplement\"").unwrap();
    assert!(widget > supplement);
    assert!(
        page.texts(".page-toc .toc-widget a")
            .contains(&"図解: SNMP のマネージャーとエージェント".to_string())
    );
    assert!(page.body.contains("css/widgets/snmp.css"));
}

#[tokio::test]
async fn the_snmp_api_serves_every_scenario_and_names_bad_parameters() {
    let app = common::app().await;
    for scenario in [
        "get",
        "walk-system",
        "walk-iftable&interfaces=4",
        "bulk&non_repeaters=0&max_repetitions=10",
        "set",
        "trap&lost=true",
        "inform&lost=true",
        "poll&interval=300&rate_mbps=100000&hc=true",
    ] {
        let (status, v) = json_get(&app, &format!("/api/widgets/snmp?scenario={scenario}")).await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        for step in v["steps"].as_array().unwrap() {
            for key in [
                "kind", "from", "pdu", "dst_port", "varbinds", "ask", "note", "explain", "source",
            ] {
                assert!(step.get(key).is_some(), "{scenario}: step lacks {key}");
            }
        }
    }
    let (_, walk) = json_get(&app, "/api/widgets/snmp?scenario=walk-iftable").await;
    assert_eq!(walk["steps"][1]["varbinds"][0]["name"], "ifIndex.1");
    assert_eq!(walk["steps"][3]["varbinds"][0]["name"], "ifIndex.2");
    assert_eq!(walk["steps"][5]["varbinds"][0]["name"], "ifDescr.1");
    let (_, fast) = json_get(&app, "/api/widgets/snmp?scenario=poll&rate_mbps=1000").await;
    assert_eq!(fast["steps"][4]["rate"]["ambiguous"], true);
    assert_eq!(
        fast["steps"][4]["rate"]["actual_bits_per_second"],
        1_000_000_000u64
    );

    for (query, key) in [
        ("scenario=nope", "scenario"),
        ("interfaces=9", "interfaces"),
        ("non_repeaters=x", "non_repeaters"),
        ("max_repetitions=11", "max_repetitions"),
        ("interval=4", "interval"),
        ("rate_mbps=100001", "rate_mbps"),
        ("hc=maybe", "hc"),
        ("lost=-1", "lost"),
    ] {
        let (status, v) = json_get(&app, &format!("/api/widgets/snmp?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("パラメータ {key}")),
            "{query}: {message}"
        );
    }
}

#[tokio::test]
async fn snmp_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/snmp/check";
    let next_oid =
        json!({"scenario": "walk-system", "step": 1, "field": "oid", "answer": "sysDescr.0"});
    let (status, right) = json_post(&app, url, &next_oid.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{right}");
    assert_eq!(right["correct"], true);
    assert_eq!(right["source"], "RFC 3416 §4.2.2");
    let rate = json!({"scenario": "poll", "rate_mbps": 1000, "step": 4, "field": "rate", "answer": "1000000000"});
    let (_, wrong) = json_post(&app, url, &rate.to_string(), "application/json").await;
    assert_eq!(wrong["correct"], false, "Counter32 wrapped twice: {wrong}");
    assert_eq!(wrong["expected"], "427337693 bit/s");
    assert!(
        widget_answers(&app).await.is_empty(),
        "a visitor's answers are not kept"
    );

    let c = app.client();
    c.sign_up("snmp-learner").await;
    assert_eq!(c.post_json(url, &next_oid).await.status, StatusCode::OK);
    assert_eq!(c.post_json(url, &rate).await.status, StatusCode::OK);
    let bad = [
        (
            json!({"scenario": "walk-system", "step": 1, "field": "oid", "answer": "???"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "walk-system", "step": 0, "field": "oid", "answer": "sysDescr.0"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "walk-system", "step": 99, "field": "oid", "answer": "sysDescr.0"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "poll", "interval": 1, "step": 4, "field": "rate", "answer": "1"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "poll", "step": 4, "field": "rate", "answer": "1", "seed": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"scenario": "poll", "step": "4", "field": "rate", "answer": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"scenario": "poll", "step": 4, "field": "rate"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, expected) in bad {
        let res = c.post_json(url, &body).await;
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
        widget_answers(&app).await,
        [
            (
                "snmp".into(),
                "walk-system".into(),
                1,
                "oid".into(),
                "sysDescr.0".into(),
                true
            ),
            (
                "snmp".into(),
                "poll".into(),
                4,
                "rate".into(),
                "1000000000".into(),
                false
            ),
        ],
        "only the two good answers are stored"
    );
}

#[tokio::test]
async fn the_snmp_page_stays_under_100_kb() {
    let app = common::app().await;
    let (total, urls) = page_transfer(&app, "snmp").await;
    let script = urls
        .iter()
        .find(|u| u.ends_with("js/widgets/snmp.js"))
        .expect("preloaded");
    let raw = app.get(script).await.body.len();
    println!("snmp: page {total} bytes transferred (brotli), snmp.js {raw} bytes");
    assert!(raw < 40 * 1024, "snmp.js is {raw} bytes");
    assert!(total < 100 * 1024, "snmp page: {total} bytes");
}

#[tokio::test]
async fn race_renders_without_javascript_on_the_thread_page() {
    let app = common::app().await;
    let page = app.get("/topics/thread").await;
    assert_eq!(
        page.attrs("section[data-widget]", "data-widget"),
        vec!["race"]
    );
    assert_eq!(
        page.attrs("#widget-race details[data-scenario]", "data-scenario"),
        ["threads", "mutex", "fork"]
    );
    // The default order 121212 loses an update; 18 of the 20 orders do; a mutex saves them all.
    let threads = "#widget-race details[data-scenario=threads]";
    assert_eq!(page.texts(&format!("{threads} tr[data-order]")).len(), 20);
    assert_eq!(
        page.texts(&format!("{threads} tr[data-order].lost")).len(),
        18
    );
    assert_eq!(
        page.texts("#widget-race details[data-scenario=mutex] tr[data-order].lost")
            .len(),
        0
    );
    assert!(page.texts(&format!("{threads} .outcome"))[0].contains("表示する counter は 1"));
    let fork = page
        .texts("#widget-race details[data-scenario=fork] td")
        .join(" ");
    assert!(
        fork.contains("子のページ: 1") && fork.contains("親のページ: 1"),
        "{fork}"
    );
    assert_eq!(
        page.texts("#widget-race .source").len(),
        page.texts("#widget-race tbody tr[data-step]").len()
    );
    // After the notes' line on mutual exclusion.
    let anchor = page.body.find("排他制御の仕組みがある").unwrap();
    assert!(anchor < page.body.find("id=\"widget-race\"").unwrap());
}

#[tokio::test]
async fn the_race_api_serves_every_scenario_and_names_bad_parameters() {
    let app = common::app().await;
    for scenario in ["threads", "mutex", "fork"] {
        for schedule in ["111222", "121212", "222111"] {
            let (status, v) = json_get(
                &app,
                &format!("/api/widgets/race?scenario={scenario}&schedule={schedule}&start=5"),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(v["orders"].as_array().unwrap().len(), 20);
            let expected = match (scenario, schedule) {
                ("threads", "121212") | ("fork", _) => 6,
                _ => 7,
            };
            assert_eq!(v["final_value"], expected, "{scenario} {schedule}");
            for step in v["steps"].as_array().unwrap() {
                for key in [
                    "actor",
                    "op",
                    "code",
                    "registers",
                    "memory",
                    "ask",
                    "note",
                    "explain",
                    "source",
                ] {
                    assert!(step.get(key).is_some(), "step lacks {key}");
                }
            }
        }
    }
    for (query, key) in [
        ("scenario=process", "scenario"),
        ("schedule=1122", "schedule"),
        ("schedule=111111", "schedule"),
        ("start=1001", "start"),
        ("start=x", "start"),
    ] {
        let (status, v) = json_get(&app, &format!("/api/widgets/race?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            v["error"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("パラメータ {key}")),
            "{query}: {v}"
        );
    }
}

#[tokio::test]
async fn race_predictions_are_graded_and_stored_only_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/race/check";
    let final_value = json!({"scenario": "threads", "schedule": "121212", "step": 0, "field": "final", "answer": "2"});
    let (status, v) = json_post(&app, url, &final_value.to_string(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["correct"].as_bool(), v["expected"].as_str()),
        (Some(false), Some("1"))
    );
    assert!(widget_answers(&app).await.is_empty());

    let c = app.client();
    c.sign_up("race-learner").await;
    assert_eq!(c.post_json(url, &final_value).await.status, StatusCode::OK);
    let load = json!({"scenario": "fork", "schedule": "121212", "step": 2, "field": "value", "answer": "0"});
    let res = c.post_json(url, &load).await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    for (body, expected) in [
        (
            json!({"scenario": "threads", "schedule": "12", "step": 0, "field": "final", "answer": "2"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "value", "answer": "0"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 40, "field": "final", "answer": "0"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": "二"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": 2}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": "2", "seed": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let res = c.post_json(url, &body).await;
        assert_eq!(res.status, expected, "{body}: {}", res.body);
        let v: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
        let message = v["error"].as_str().unwrap_or_default();
        assert!(
            message
                .chars()
                .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)),
            "{body}: {message}"
        );
    }
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "race".into(),
                "threads".into(),
                -1,
                "final".into(),
                "2".into(),
                false
            ),
            (
                "race".into(),
                "fork".into(),
                2,
                "value".into(),
                "0".into(),
                true
            ),
        ]
    );
}

#[tokio::test]
async fn the_thread_page_stays_under_100_kb() {
    let app = common::app().await;
    let (total, urls) = page_transfer(&app, "thread").await;
    let script = urls
        .iter()
        .find(|u| u.ends_with("js/widgets/race.js"))
        .expect("preloaded");
    let raw = app.get(script).await.body.len();
    println!("thread: page {total} bytes transferred (brotli), race.js {raw} bytes");
    assert!(raw < 40 * 1024, "race.js is {raw} bytes");
    assert!(total < 100 * 1024, "thread page: {total} bytes");
}
