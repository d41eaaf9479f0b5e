//! `snmp` (W11): polling a MIB, counters and their rates, beside its supplement — the tables, the API
//! naming bad parameters, and predictions graded and stored only for learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::json;

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

    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/snmp?scenario=nope", "scenario"),
            ("/api/widgets/snmp?interfaces=9", "interfaces"),
            ("/api/widgets/snmp?non_repeaters=x", "non_repeaters"),
            ("/api/widgets/snmp?max_repetitions=11", "max_repetitions"),
            ("/api/widgets/snmp?interval=4", "interval"),
            ("/api/widgets/snmp?rate_mbps=100001", "rate_mbps"),
            ("/api/widgets/snmp?hc=maybe", "hc"),
            ("/api/widgets/snmp?lost=-1", "lost"),
        ],
    )
    .await;
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
    assert_bodies_refused(&c, url, &bad).await;
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
