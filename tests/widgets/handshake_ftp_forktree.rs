//! The first three widgets — the TCP handshake (W1), FTP's two connections (W2) and the fork tree (W3):
//! their no-JS tables on each topic page, the JSON API computed by the model, bad parameters and
//! malformed bodies refused in Japanese, the port calculator, and predictions graded on the server and
//! stored only for signed-in learners.

use crate::common;
use crate::common::widget_api::{
    assert_bodies_refused, assert_queries_refused, is_japanese, json_get, json_post, widget_answers,
};
use axum::http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn each_widget_renders_without_javascript_on_its_topic_page() {
    let app = common::app().await;

    let tcp = app.get("/topics/tcp").await;
    assert_eq!(
        tcp.attrs("section[data-widget]", "data-widget"),
        vec!["handshake"]
    );
    // Every scenario is there as a table; the normal one matches the fact sheet (W1).
    assert_eq!(
        tcp.attrs("#widget-handshake details", "data-scenario")
            .len(),
        6
    );
    let normal = tcp.texts("#widget-handshake details[data-scenario=normal] tbody tr td.state");
    assert_eq!(
        &normal[..8],
        [
            "CLOSED",
            "LISTEN",
            "SYN-SENT",
            "SYN-RECEIVED",
            "ESTABLISHED",
            "SYN-RECEIVED",
            "ESTABLISHED",
            "ESTABLISHED"
        ]
    );
    let row2 = tcp.texts("#widget-handshake details[data-scenario=normal] tr[data-step='2'] td");
    assert!(
        row2.contains(&"2718281828".to_string()) && row2.contains(&"3141592654".to_string()),
        "{row2:?}"
    );
    assert!(
        tcp.texts(".page-toc .toc-widget a")
            .contains(&"図解: TCP 3-way ハンドシェイク".to_string())
    );

    let ftp = app.get("/topics/ftp").await;
    assert_eq!(
        ftp.attrs("section[data-widget]", "data-widget"),
        vec!["ftp"]
    );
    let active = ftp.texts("#widget-ftp details[data-scenario=active] .transcript code");
    assert!(
        active.contains(&"PORT 203,0,113,5,192,0".to_string()),
        "{active:?}"
    );
    let passive = ftp.texts("#widget-ftp details[data-scenario=passive] .transcript code");
    assert!(
        passive.iter().any(|l| l.contains("(198,51,100,7,195,80)")),
        "{passive:?}"
    );
    assert!(
        !ftp.texts("#widget-ftp details[data-scenario=active-nat] tr.blocked")
            .is_empty(),
        "the NAT case shows a blocked connection"
    );
    // The widget comes right after the list holding "P28の画像".
    let p28 = ftp.body.find("P28の画像").unwrap();
    let widget = ftp.body.find("id=\"widget-ftp\"").unwrap();
    assert!(
        p28 < widget && !ftp.body[p28..widget].contains("<li id="),
        "widget follows the P28 item, after its list"
    );

    let tree = app.get("/topics/process-tree").await;
    assert_eq!(
        tree.attrs("section[data-widget]", "data-widget"),
        vec!["forktree"]
    );
    let fork_loop = tree.texts("#widget-forktree details[data-scenario=fork-loop] .pstree code");
    assert_eq!(fork_loop.len(), 9, "init and 2^3 processes: {fork_loop:?}");
    assert!(
        tree.texts("#widget-forktree details[data-scenario=bash-ls] td")
            .iter()
            .any(|t| t.contains("ls"))
    );

    // A page without a widget (the tribute to Jon Postel) has none, and links no widget stylesheet.
    let postel = app.get("/topics/jon-postel").await;
    assert!(
        postel
            .attrs("section[data-widget]", "data-widget")
            .is_empty()
    );
    assert!(!postel.body.contains("css/widgets/"));
    assert!(tcp.body.contains("css/widgets/handshake.css"));
}

#[tokio::test]
async fn the_api_serves_every_scenario_from_the_model() {
    let app = common::app().await;
    for scenario in [
        "normal",
        "lost-syn",
        "lost-ack",
        "closed-port",
        "simultaneous-open",
        "close",
    ] {
        let (status, v) = json_get(
            &app,
            &format!("/api/widgets/handshake?scenario={scenario}&seed=7"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        assert_eq!(v["scenario"], scenario);
        assert!(!v["steps"].as_array().unwrap().is_empty());
        for step in v["steps"].as_array().unwrap() {
            for key in [
                "from",
                "flags",
                "seq",
                "ack",
                "client_state",
                "server_state",
                "note",
            ] {
                assert!(step.get(key).is_some(), "{scenario}: step lacks {key}");
            }
        }
    }
    let (_, normal) = json_get(&app, "/api/widgets/handshake?scenario=normal&seed=0").await;
    assert_eq!(normal["steps"][1]["ack"], 3141592654u64);
    assert_eq!(normal["steps"][1]["flags"], json!(["SYN", "ACK"]));
    let (_, relative) =
        json_get(&app, "/api/widgets/handshake?scenario=normal&relative=true").await;
    assert_eq!(relative["steps"][1]["ack"], 1);
    let (_, closed) = json_get(&app, "/api/widgets/handshake?scenario=closed-port").await;
    assert_eq!(closed["steps"][1]["flags"], json!(["RST", "ACK"]));
    assert_eq!(closed["steps"][1]["seq"], 0);

    for mode in ["active", "passive", "epsv"] {
        for nat in ["true", "false"] {
            let (status, v) = json_get(&app, &format!("/api/widgets/ftp?mode={mode}&client_nat={nat}&client_fw=stateful&server_fw=only21")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(v["connections"][0]["purpose"], "control");
            assert_eq!(v["connections"][0]["to_port"], 21);
        }
    }
    let (_, active) = json_get(&app, "/api/widgets/ftp?mode=active").await;
    assert_eq!(active["connections"][1]["opener"], "server");
    assert_eq!(active["connections"][1]["from_port"], 20);
    let (_, passive) = json_get(&app, "/api/widgets/ftp?mode=passive&server_fw=only21").await;
    assert_eq!(passive["connections"][1]["opener"], "client");
    assert_eq!(passive["connections"][1]["to_port"], 50000);
    assert_eq!(passive["connections"][1]["blocked"], true);

    for n in 1..=6u32 {
        let (_, v) = json_get(
            &app,
            &format!("/api/widgets/forktree?scenario=fork-loop&n={n}"),
        )
        .await;
        assert_eq!(v["processes"].as_array().unwrap().len(), 1 << n, "n={n}");
    }
    for scenario in [
        "bash-ls",
        "pipeline",
        "orphan",
        "random&seed=3&actions=30&fork_share=60",
    ] {
        let (status, v) =
            json_get(&app, &format!("/api/widgets/forktree?scenario={scenario}")).await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        assert!(!v["steps"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn bad_parameters_get_a_japanese_400_naming_the_problem() {
    let app = common::app().await;
    // Each a Japanese 400 (the port calculator's messages name no parameter).
    assert_queries_refused(
        &app,
        &[
            ("/api/widgets/handshake?scenario=nope", ""),
            ("/api/widgets/handshake?seed=-1", ""),
            ("/api/widgets/handshake?relative=maybe", ""),
            ("/api/widgets/ftp?mode=sideways", ""),
            ("/api/widgets/ftp?client_fw=magic", ""),
            ("/api/widgets/forktree?scenario=fork-loop&n=7", ""),
            ("/api/widgets/forktree?scenario=random&actions=31", ""),
            ("/api/widgets/forktree?scenario=random&fork_share=101", ""),
            ("/api/widgets/ftp/port?port=65536", ""),
            ("/api/widgets/ftp/port?reply=227%20(1,2,3,4,999,1)", ""),
            ("/api/widgets/ftp/port", ""),
        ],
    )
    .await;
    let (status, v) = json_get(&app, "/api/widgets/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(v["error"].as_str().unwrap().contains("handshake"));
    let too_many: String = (0..40).map(|i| format!("k{i}=v&")).collect();
    assert_eq!(
        json_get(&app, &format!("/api/widgets/handshake?{too_many}"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_port_calculator_shows_the_arithmetic_both_ways() {
    let app = common::app().await;
    let (_, v) = json_get(&app, "/api/widgets/ftp/port?port=50000").await;
    assert_eq!((v["p1"].as_u64(), v["p2"].as_u64()), (Some(195), Some(80)));
    assert!(
        v["arithmetic"]
            .as_str()
            .unwrap()
            .contains("195 × 256 + 80 = 50000")
    );
    let (_, v) = json_get(
        &app,
        "/api/widgets/ftp/port?reply=227%20Entering%20Passive%20Mode%20(192,168,10,5,19,137)",
    )
    .await;
    assert_eq!(
        (v["addr"].as_str(), v["port"].as_u64()),
        (Some("192.168.10.5"), Some(5001))
    );
    let (_, v) = json_get(&app, "/api/widgets/ftp/port?p1=195&p2=80").await;
    assert_eq!(v["port"], 50000);
}

#[tokio::test]
async fn predictions_are_graded_on_the_server() {
    let app = common::app().await;
    let ask = |answer: &str| {
        json!({"scenario": "normal", "seed": 0, "step": 1, "field": "ack", "answer": answer})
            .to_string()
    };
    let (status, right) = json_post(
        &app,
        "/api/widgets/handshake/check",
        &ask("3141592654"),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(right["correct"], true);
    let (_, wrong) = json_post(
        &app,
        "/api/widgets/handshake/check",
        &ask("3141592653"),
        "application/json",
    )
    .await;
    assert_eq!(wrong["correct"], false);
    assert_eq!(wrong["expected"], "3141592654");

    let tree = json!({"scenario": "fork-loop", "n": 1, "processes": [{"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}]});
    let (_, ok) = json_post(
        &app,
        "/api/widgets/forktree/check",
        &tree.to_string(),
        "application/json",
    )
    .await;
    assert_eq!(ok["correct"], true, "{ok}");
    // n = 2: 100 forks 101, then 100 forks 102 and 101 forks 103. Hanging 103 under 100 is the classic
    // mistake ("only the original forks").
    let wrong_tree = json!({"scenario": "fork-loop", "n": 2, "processes": [
        {"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}, {"pid": 102, "ppid": 100}, {"pid": 103, "ppid": 100}]});
    let (_, bad) = json_post(
        &app,
        "/api/widgets/forktree/check",
        &wrong_tree.to_string(),
        "application/json",
    )
    .await;
    assert_eq!(bad["correct"], false);
    assert_eq!(bad["missing"], json!([{"pid": 103, "ppid": 101}]), "{bad}");
    assert_eq!(bad["extra"], json!([{"pid": 103, "ppid": 100}]), "{bad}");
}

#[tokio::test]
async fn malformed_bodies_get_the_right_status_and_a_japanese_message() {
    let app = common::app().await;
    let url = "/api/widgets/handshake/check";
    let cases = [
        ("{not json", "application/json", StatusCode::BAD_REQUEST),
        (
            "{\"scenario\":\"normal\"}",
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "{\"scenario\":\"normal\",\"step\":1,\"field\":\"ack\",\"answer\":\"1\",\"extra\":1}",
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "scenario=normal",
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "{\"scenario\":\"nope\",\"step\":1,\"field\":\"ack\",\"answer\":\"1\"}",
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "{\"scenario\":\"normal\",\"step\":99,\"field\":\"ack\",\"answer\":\"1\"}",
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, content_type, expected) in cases {
        let (status, v) = json_post(&app, url, body, content_type).await;
        assert_eq!(status, expected, "{body}");
        assert!(
            is_japanese(v["error"].as_str().unwrap_or_default()),
            "{body}: {v}"
        );
    }
    let huge = format!("{{\"scenario\":\"{}\"}}", "a".repeat(70 * 1024));
    let (status, _) = json_post(&app, url, &huge, "application/json").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// The predict mode's question "which connection does the server open?" for one setup.
fn ftp_answer(mode: &str, extra: Value) -> Value {
    let mut body = json!({"mode": mode});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn ftp_predictions_are_graded_on_the_server_and_stored_for_learners() {
    let app = common::app().await;
    let url = "/api/widgets/ftp/check";
    // Active: the server opens it from port 20 to the port the client announced in PORT.
    let (status, right) = json_post(
        &app,
        url,
        &ftp_answer("active", json!({"opener": "server", "port": 49152})).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{right}");
    assert_eq!(right["correct"], true);
    assert_eq!(right["step"], 3);
    assert_eq!(right["reaches_correct"], Value::Null);
    assert!(
        right["expected"]
            .as_str()
            .unwrap()
            .contains("198.51.100.7:20 → 203.0.113.5:49152"),
        "{right}"
    );

    // Passive: the client opens it; answering "the server, to port 20" is the classic slip.
    let (_, wrong) = json_post(
        &app,
        url,
        &ftp_answer("passive", json!({"opener": "server", "port": 20})).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(wrong["correct"], false);
    assert_eq!(
        (
            wrong["opener_correct"].as_bool(),
            wrong["port_correct"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert!(
        wrong["expected"]
            .as_str()
            .unwrap()
            .starts_with("クライアントが開く。接続先ポートは 50000"),
        "{wrong}"
    );
    let explain = wrong["explain"].as_str().unwrap();
    assert!(
        explain.contains("227 応答で知らせたポート 50000"),
        "{explain}"
    );
    assert!(
        explain.contains("20 番が出てくるのはアクティブモード"),
        "{explain}"
    );

    // Active behind the client's NAT: the right answer includes "blocked".
    let nat = |reaches: bool| {
        ftp_answer(
            "active",
            json!({"client_nat": true, "client_fw": "none", "server_fw": "passive-range",
                   "opener": "server", "port": 49152, "reaches": reaches}),
        )
    };
    let (_, blocked) = json_post(&app, url, &nat(false).to_string(), "application/json").await;
    assert_eq!(blocked["correct"], true, "{blocked}");
    assert_eq!(blocked["reaches_correct"], true);
    assert!(
        blocked["expected"]
            .as_str()
            .unwrap()
            .ends_with("ブロックされる")
    );
    let (_, reaches) = json_post(&app, url, &nat(true).to_string(), "application/json").await;
    assert_eq!(reaches["correct"], false);
    assert!(reaches["explain"].as_str().unwrap().contains("届かない"));

    // A visitor is graded but nothing is kept; a signed-in learner's answers are stored.
    assert!(widget_answers(&app).await.is_empty());
    let c = app.client();
    c.sign_up("ftp-learner").await;
    let res = c.post_json(url, &nat(true)).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = c
        .post_json(
            url,
            &ftp_answer("passive", json!({"opener": "client", "port": 50000})),
        )
        .await;
    assert!(res.body.contains("\"correct\":true"), "{}", res.body);
    assert_eq!(
        widget_answers(&app).await,
        [
            (
                "ftp".into(),
                "active+nat".into(),
                3,
                "data".into(),
                "server:49152:reaches".into(),
                false
            ),
            (
                "ftp".into(),
                "passive".into(),
                2,
                "data".into(),
                "client:50000".into(),
                true
            ),
        ]
    );
}

#[tokio::test]
async fn bad_ftp_predictions_get_a_japanese_error_and_store_nothing() {
    let app = common::app().await;
    let c = app.client();
    c.sign_up("ftp-typo").await;
    let url = "/api/widgets/ftp/check";
    let cases = [
        ("{not json", StatusCode::BAD_REQUEST),
        // Unknown or missing fields are JSON of the wrong shape (the JsonBody extractor's 422).
        (
            r#"{"mode":"active","opener":"server","port":49152,"extra":1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"mode":"active","opener":"server"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"mode":"active","opener":"server","port":"49152"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // Values the model rejects: a 400 naming the problem.
        (
            r#"{"mode":"sideways","opener":"server","port":49152}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"","opener":"server","port":49152}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"active","client_fw":"magic","opener":"server","port":49152}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"active","server_fw":"all","opener":"server","port":49152}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"active","opener":"router","port":49152}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"active","opener":"server","port":70000}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"active","opener":"server","port":0}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"mode":"active","opener":"server","port":-5}"#,
            StatusCode::BAD_REQUEST,
        ),
    ];
    assert_bodies_refused(&c, url, &cases).await;
    // A form post (what a cross-site page could send) is refused before grading.
    let res = c
        .post_form(
            url,
            &[("mode", "active"), ("opener", "server"), ("port", "49152")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        widget_answers(&app).await.is_empty(),
        "nothing stored for bad input"
    );
}
