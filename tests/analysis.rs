//! Router tests for the instructor's question analysis and CSV exports, on a small fixed class whose
//! answers were chosen by hand: facility and discrimination computed by hand, option counts and who chose
//! each option, misconception grouping, common wrong responses, widget step statistics; the CSV files'
//! BOM, header, rows, Japanese text and RFC 4180 quoting; and authorization on every route.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use infra_dojo::store;
use infra_dojo::store::quiz::NewAnswer;

const T0: i64 = 1_764_000_000;
/// The display name of the first learner: Japanese, with a comma and quotes to be quoted in CSV.
const TRICKY_NAME: &str = "山田, \"太郎\"";
/// A typed answer with a comma, quotes and a newline.
const TRICKY_RESPONSE: &str = "a,b \"c\"\nd";

fn choice(question: &str, option: usize, correct: bool, misconception: Option<&str>) -> NewAnswer {
    NewAnswer {
        question_id: question.into(),
        position: 0,
        response: format!(r#"{{"type":"choice","value":[{option}]}}"#),
        correct,
        credit: if correct { 100 } else { 0 },
        misconception: misconception.map(str::to_string),
        time_ms: 1500,
    }
}

fn text(
    question: &str,
    value: Option<&str>,
    correct: bool,
    misconception: Option<&str>,
) -> NewAnswer {
    NewAnswer {
        question_id: question.into(),
        position: 0,
        response: match value {
            Some(v) => serde_json::json!({"type": "text", "value": v}).to_string(),
            None => r#"{"type":"blank"}"#.to_string(),
        },
        correct,
        credit: if correct { 100 } else { 0 },
        misconception: misconception.map(str::to_string),
        time_ms: 2500,
    }
}

const Q1: &str = "tcp-closed-port"; // single: 0 RST (right), 1 silent, 2 ICMP, 3 SYN+ACK
const Q2: &str = "tcp-isn-each-side"; // single: 0 right, 1 single-isn, 2 seq-random
const Q3: &str = "tcp-syn-sent-state"; // text: SYN-SENT

/// The fixed class: learners l1…l6 (in sign-up order, so in user-id order), their answers on TCP, and an
/// outsider whose answers must never count.
///
/// First answers (1 = right):   Q1 Q2 Q3  score
///   l1 (山田, "太郎")            1  0  1   2
///   l2                          1  1  0   2
///   l3                          1  1  1   3
///   l4                          0  1  0   1
///   l5                          0  1  1   2
///   l6                          0  0  0   0
/// Ranked (score, then user id): l3, l1, l2, l5, l4, l6. 6 ranked → groups of round(0.27 × 6) = 2:
/// upper {l3, l1}, lower {l4, l6}.
///   Q1: facility 3/6 = 50%; upper 2/2, lower 0/2 → D = 1.00
///   Q2: facility 4/6 = 66% (rounded down); upper 1/2 (l3), lower 1/2 (l4) → D = 0.00
///   Q3: facility 3/6 = 50%; upper 2/2, lower 0/2 → D = 1.00
/// Later attempts (never first answers): l6 gets Q1 right and answers Q3 "LISTEN"; l2 answers Q3
/// "SYN-RECEIVED".
async fn seed_class(app: &TestApp, owner: i64) -> i64 {
    let db = &app.state.db;
    let class_id = store::classes::create(db, owner, "3年A組", "ANALYSIS", T0)
        .await
        .unwrap();
    let mut ids = vec![app.learner_as("learner1", TRICKY_NAME).await.id];
    for name in ["learner2", "learner3", "learner4", "learner5", "learner6"] {
        ids.push(app.learner(name).await.id);
    }
    for &id in &ids {
        store::classes::join(db, class_id, id, T0).await.unwrap();
    }
    let (l1, l2, l3, l4, l5, l6) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]);
    let outsider = app.learner("outsider").await.id;

    app.record(
        "a1",
        l1,
        "tcp",
        T0 + 10,
        vec![
            choice(Q1, 0, true, None),
            choice(Q2, 1, false, Some("single-isn")),
            text(Q3, Some("SYN-SENT"), true, None),
        ],
    )
    .await;
    app.record(
        "a2",
        l2,
        "tcp",
        T0 + 20,
        vec![
            choice(Q1, 0, true, None),
            choice(Q2, 0, true, None),
            text(Q3, Some(TRICKY_RESPONSE), false, None),
        ],
    )
    .await;
    app.record(
        "a3",
        l3,
        "tcp",
        T0 + 30,
        vec![
            choice(Q1, 0, true, None),
            choice(Q2, 0, true, None),
            text(Q3, Some("SYN-SENT"), true, None),
        ],
    )
    .await;
    app.record(
        "a4",
        l4,
        "tcp",
        T0 + 40,
        vec![
            choice(Q1, 1, false, Some("closed-port-silent")),
            choice(Q2, 0, true, None),
            text(Q3, Some("SYN-RECEIVED"), false, Some("state-wrong-side")),
        ],
    )
    .await;
    app.record(
        "a5",
        l5,
        "tcp",
        T0 + 50,
        vec![
            choice(Q1, 1, false, Some("closed-port-silent")),
            choice(Q2, 0, true, None),
            text(Q3, Some("SYN-SENT"), true, None),
        ],
    )
    .await;
    app.record(
        "a6",
        l6,
        "tcp",
        T0 + 60,
        vec![
            choice(Q1, 2, false, Some("tcp-closed-port-icmp")),
            choice(Q2, 1, false, Some("single-isn")),
            text(Q3, None, false, None),
        ],
    )
    .await;
    // Retries: they count as attempts and option choices, never as first answers.
    app.record(
        "a6b",
        l6,
        "tcp",
        T0 + 600,
        vec![
            choice(Q1, 0, true, None),
            text(Q3, Some("LISTEN"), false, Some("state-wrong-side")),
        ],
    )
    .await;
    app.record(
        "a2b",
        l2,
        "tcp",
        T0 + 700,
        vec![text(
            Q3,
            Some("SYN-RECEIVED"),
            false,
            Some("state-wrong-side"),
        )],
    )
    .await;
    // Not a member: would change every number if it counted.
    app.record(
        "ax",
        outsider,
        "tcp",
        T0 + 5,
        vec![
            choice(Q1, 3, false, Some("syn-always-accepted")),
            choice(Q2, 2, false, Some("seq-random-each-segment")),
            text(Q3, Some("SYN-SENT"), true, None),
        ],
    )
    .await;

    // Handshake predictions: step 1 ack is half wrong, step 2 client state always right.
    let state_db = &app.state.db;
    let w = |user, step, field, correct| async move {
        store::quiz::record_widget_answer(
            state_db,
            user,
            "handshake",
            "normal",
            step,
            field,
            "x",
            correct,
            T0 + 100,
        )
        .await
        .unwrap();
    };
    w(l1, 1, "ack", true).await;
    w(l2, 1, "ack", false).await;
    w(l3, 2, "client_state", true).await;
    w(l4, 2, "client_state", true).await;
    w(outsider, 2, "client_state", false).await;
    w(outsider, 2, "client_state", false).await;
    class_id
}

/// The option rows of a question: the option's text, then the numbers and tag in their cells (times,
/// share, learners, misconception).
fn option_rows(reply: &common::Reply, question: &str) -> Vec<(String, Vec<String>)> {
    let html = reply.html();
    let rows = scraper::Selector::parse(&format!("#q-{question} table.options tbody tr")).unwrap();
    let head = scraper::Selector::parse("th").unwrap();
    let values = scraper::Selector::parse(".times, .share, .learners, .misconception").unwrap();
    let text = |e: scraper::ElementRef| e.text().collect::<String>().trim().to_string();
    html.select(&rows)
        .map(|r| {
            (
                text(r.select(&head).next().unwrap()),
                r.select(&values).map(text).collect(),
            )
        })
        .collect()
}

/// The cells of a row of a table, header cell first.

#[tokio::test]
async fn facility_discrimination_options_and_misconceptions_match_the_hand_computation() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let class_id = seed_class(&app, teacher.id).await;

    // The store's numbers first.
    use futures_util::TryStreamExt;
    let answers: Vec<_> = store::analysis::topic_answers(&app.state.db, class_id, "tcp")
        .try_collect()
        .await
        .unwrap();
    let stats = infra_dojo::classroom::item_stats::breakdown(&answers, 5, 20).stats;
    let get = |id: &str| stats.iter().find(|s| s.question_id == id).unwrap().clone();
    let (s1, s2, s3) = (get(Q1), get(Q2), get(Q3));
    assert_eq!(
        (s1.attempts, s1.correct, s1.first_answers, s1.first_correct),
        (7, 4, 6, 3)
    );
    assert_eq!(
        (s2.attempts, s2.correct, s2.first_answers, s2.first_correct),
        (6, 4, 6, 4)
    );
    assert_eq!(
        (s3.attempts, s3.correct, s3.first_answers, s3.first_correct),
        (8, 3, 6, 3)
    );
    assert_eq!(s1.ranked, 6);
    assert_eq!(
        (
            s1.upper_answers,
            s1.upper_correct,
            s1.lower_answers,
            s1.lower_correct
        ),
        (2, 2, 2, 0)
    );
    assert_eq!(
        (
            s2.upper_answers,
            s2.upper_correct,
            s2.lower_answers,
            s2.lower_correct
        ),
        (2, 1, 2, 1)
    );
    assert_eq!(s1.facility(), Some(50));
    assert_eq!(s1.discrimination(), Some(1.0));
    assert_eq!(
        s2.facility(),
        Some(66),
        "4/6, rounded down like every percentage"
    );
    assert_eq!(s2.discrimination(), Some(0.0));
    assert_eq!(s3.discrimination(), Some(1.0));

    // The page.
    let page = teacher
        .get(&format!("/instructor/classes/{class_id}/topics/tcp"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("h1"), vec!["問題分析: TCP"]);
    let cell = |q: &str, class: &str| {
        page.texts(&format!(".analysis-summary tr[data-question={q}] .{class}"))[0].clone()
    };
    assert_eq!(cell(Q1, "attempts"), "7");
    assert_eq!(cell(Q1, "facility"), "50%");
    assert_eq!(cell(Q1, "discrimination"), "1.00");
    assert_eq!(cell(Q2, "facility"), "66%");
    assert_eq!(cell(Q2, "discrimination"), "0.00");
    assert_eq!(cell(Q3, "facility"), "50%");
    // Questions nobody answered show dashes, not zeros.
    assert_eq!(cell("tcp-close-order", "facility"), "—");
    assert_eq!(cell("tcp-close-order", "discrimination"), "—");
    // The definition is on the page.
    assert!(
        page.texts(".analysis-note")
            .iter()
            .any(|t| t.contains("27%") && t.contains("上位群の正答率 − 下位群の正答率"))
    );
    // The facility chart is SVG with a label; the table is its alternative.
    assert_eq!(page.attrs("svg.chart", "role")[0], "img");

    // Options of Q1: counts over every answer (retries included), and who chose each wrong one.
    let options = option_rows(&page, Q1);
    assert_eq!(options.len(), 4);
    assert!(options[0].0.starts_with("A. RST") && options[0].0.contains("正解"));
    assert_eq!(options[0].1, vec!["4", "57%", "4"]);
    assert_eq!(
        options[1].1,
        vec![
            "2",
            "28%",
            "2",
            "閉じたポートへの SYN に TCP は何も返さないと思う"
        ]
    );
    assert_eq!(
        options[2].1,
        vec![
            "1",
            "14%",
            "1",
            "閉じたポートへの TCP の SYN に ICMP Port Unreachable が返ると思う"
        ]
    );
    assert_eq!(
        options[3].1,
        vec![
            "0",
            "0%",
            "0",
            "閉じたポートへの SYN にも SYN+ACK が返ると思う"
        ],
        "the outsider's SYN+ACK does not count"
    );
    let who = |q: &str| {
        page.texts(&format!("#q-{q} details.choosers"))
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(who(Q1).len(), 2, "one list per wrong option someone chose");
    assert_eq!(
        page.texts(&format!("#q-{Q1} details.choosers a")),
        vec!["learner4 さん", "learner5 さん", "learner6 さん"]
    );
    assert!(
        who(Q1)[0].starts_with("B「何も返さない」を選んだ人（2 人）"),
        "{:?}",
        who(Q1)
    );
    let l4 = app.user_id("learner4").await;
    assert!(
        page.attrs(&format!("#q-{Q1} details a"), "href")
            .contains(&format!("/instructor/classes/{class_id}/learners/{l4}"))
    );
    // Q2's wrong option was chosen by l1, whose name is shown as written.
    assert_eq!(
        page.texts(&format!("#q-{Q2} details.choosers a")),
        vec!["learner6 さん", TRICKY_NAME]
    );

    // Misconception grouping per question, and over the topic.
    let tags = page.rows(&format!("#q-{Q3} table.tags tbody tr"));
    assert_eq!(
        tags[0],
        vec!["クライアントとサーバーの TCP の状態を取り違える", "3", "3"]
    );
    assert!(tags.contains(&vec!["未回答".to_string(), "1".into(), "1".into()]));
    assert!(
        tags.iter()
            .any(|t| t[0].starts_with("タグなし") && t[1] == "1")
    );
    let q1_tags = page.rows(&format!("#q-{Q1} table.tags tbody tr"));
    assert_eq!(
        q1_tags,
        vec![
            vec!["閉じたポートへの SYN に TCP は何も返さないと思う", "2", "2"],
            vec![
                "閉じたポートへの TCP の SYN に ICMP Port Unreachable が返ると思う",
                "1",
                "1"
            ]
        ]
    );
    let topic_tags = page.rows("table.topic-tags tbody tr");
    assert_eq!(
        topic_tags[0],
        vec!["クライアントとサーバーの TCP の状態を取り違える", "3", "3"]
    );
    assert!(topic_tags.contains(&vec![
        "ISN はクライアントが両方向の分を決めると思う".to_string(),
        "2".into(),
        "2".into()
    ]));
    assert!(
        !topic_tags
            .iter()
            .any(|t| t[0] == "閉じたポートへの SYN にも SYN+ACK が返ると思う"
                || t[0] == "シーケンス番号はセグメントごとにランダムだと思う"),
        "the outsider's misses do not count"
    );

    // Most common wrong responses of the text question, decoded.
    let wrong = page.rows(&format!("#q-{Q3} table.wrong-responses tbody tr"));
    assert_eq!(
        wrong[0],
        vec![
            "SYN-RECEIVED",
            "2",
            "2",
            "クライアントとサーバーの TCP の状態を取り違える"
        ]
    );
    assert!(wrong.iter().any(|w| w[0] == TRICKY_RESPONSE));
    assert!(
        wrong
            .iter()
            .any(|w| w[0] == "（未回答）" || w[0] == "LISTEN")
    );

    // Widget steps of the handshake, worst first; the outsider's misses do not count.
    let steps = page.rows("table.widget-steps tbody tr");
    assert_eq!(steps.len(), 2);
    assert!(
        steps[0][0].starts_with("2.") && steps[0][0].contains("TCP ハンドシェイク: 通常の接続"),
        "{:?}",
        steps[0]
    );
    assert_eq!(steps[0][1], "ack 番号");
    assert_eq!(steps[0][2], "50%（1 / 2）");
    assert_eq!(steps[0][3], "2");
    assert!(
        steps[1][0].starts_with("3.") && steps[1][2].starts_with("100%"),
        "{:?}",
        steps[1]
    );

    // Links to both exports.
    let links = page.attrs(".actions a", "href");
    assert!(links.contains(&format!("/instructor/classes/{class_id}/export/grid.csv")));
    assert!(links.contains(&format!(
        "/instructor/classes/{class_id}/export/answers.csv"
    )));
}

#[tokio::test]
async fn widget_steps_show_on_the_widgets_topic_and_small_classes_get_no_index() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let teacher_id = teacher.id;
    let db = &app.state.db;
    let class_id = store::classes::create(db, teacher_id, "少人数", "SMALLONE", T0)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["small1", "small2", "small3"] {
        let id = app.learner(name).await.id;
        store::classes::join(db, class_id, id, T0).await.unwrap();
        ids.push(id);
    }
    for (i, id) in ids.iter().enumerate() {
        app.record(
            &format!("t{i}"),
            *id,
            "tcp",
            T0 + i as i64,
            vec![choice(Q1, i % 2, i % 2 == 0, None)],
        )
        .await;
    }
    store::quiz::record_widget_answer(
        &app.state.db,
        ids[0],
        "forktree",
        "bash-ls",
        -1,
        "tree",
        "101<100",
        false,
        T0,
    )
    .await
    .unwrap();

    let page = teacher
        .get(&format!("/instructor/classes/{class_id}/topics/tcp"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // Three learners: facility yes, discrimination no.
    assert!(
        page.texts(&format!(
            ".analysis-summary tr[data-question={Q1}] .facility"
        ))[0]
            .starts_with("66%")
    );
    assert_eq!(
        page.texts(&format!(
            ".analysis-summary tr[data-question={Q1}] .discrimination"
        )),
        vec!["—"]
    );
    // TCP has the handshake widget but nobody predicted with it yet; the fork tree is not on this page.
    assert!(page.texts("table.widget-steps").is_empty());
    assert!(!page.body.contains("最終的なツリー"));

    let tree = teacher
        .get(&format!(
            "/instructor/classes/{class_id}/topics/process-tree"
        ))
        .await;
    assert_eq!(tree.status, StatusCode::OK);
    let steps = tree.rows("table.widget-steps tbody tr");
    assert_eq!(steps.len(), 1);
    assert!(steps[0][0].starts_with("最終的なツリー"));
    assert!(steps[0][2].starts_with("0%"));
}

/// Splits CSV text into records of fields, RFC 4180 style (quoted fields may hold commas, quotes and
/// line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF outside quotes");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\n') => panic!("bare LF ends a record"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the last record ends with CRLF"
    );
    records
}

#[tokio::test]
async fn answers_csv_has_a_bom_a_header_every_member_answer_and_quotes_right() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let class_id = seed_class(&app, teacher.id).await;

    let reply = teacher
        .get(&format!(
            "/instructor/classes/{class_id}/export/answers.csv"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let disposition = reply.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"class-{class_id}-answers-"))
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(disposition.is_ascii());
    assert!(reply.body.starts_with('\u{feff}'), "UTF-8 BOM first");
    let records = parse_csv(&reply.body['\u{feff}'.len_utf8()..]);
    assert_eq!(
        records[0],
        vec![
            "ログイン名",
            "表示名",
            "受験ID",
            "トピック",
            "問題ID",
            "回答",
            "正誤",
            "誤解タグ",
            "誤解",
            "回答時間(ms)",
            "回答日時"
        ]
    );
    // 6 members × 3 first answers + 3 retried answers; the outsider's 3 are not there.
    assert_eq!(records.len() - 1, 21);
    assert!(records.iter().all(|r| r.len() == 11));
    assert!(!records.iter().any(|r| r[0] == "outsider"));
    // The Japanese display name with a comma and quotes survives, as does the typed answer with a newline.
    assert_eq!(records.iter().filter(|r| r[1] == TRICKY_NAME).count(), 3);
    let tricky = records
        .iter()
        .find(|r| r[5] == TRICKY_RESPONSE)
        .expect("typed answer intact");
    assert_eq!(
        (tricky[0].as_str(), tricky[4].as_str(), tricky[6].as_str()),
        ("learner2", Q3, "0")
    );
    assert!(
        reply.body.contains("\"a,b \"\"c\"\"\nd\""),
        "quoted with doubled quotes"
    );
    // Choices read as option text; topic as its title; time in JST, ISO 8601.
    let l4_q1 = records
        .iter()
        .find(|r| r[0] == "learner4" && r[4] == Q1)
        .unwrap();
    assert_eq!(l4_q1[3], "TCP");
    assert_eq!(l4_q1[5], "何も返さない");
    assert_eq!(
        (
            l4_q1[6].as_str(),
            l4_q1[7].as_str(),
            l4_q1[8].as_str(),
            l4_q1[9].as_str()
        ),
        (
            "0",
            "closed-port-silent",
            "閉じたポートへの SYN に TCP は何も返さないと思う",
            "1500"
        )
    );
    assert_eq!(l4_q1[10], "2025-11-25T01:00:40+09:00");
    let blank = records
        .iter()
        .find(|r| r[0] == "learner6" && r[4] == Q3 && r[6] == "0" && r[7].is_empty())
        .unwrap();
    assert_eq!(blank[5], "（未回答）");
}

#[tokio::test]
async fn grid_csv_has_one_row_per_member_with_mastery_per_topic() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let class_id = seed_class(&app, teacher.id).await;
    // l3 masters Q1 and Q2 (box 3 after two more right answers in later sessions).
    let l3 = app.user_id("learner3").await;
    app.record(
        "m1",
        l3,
        "tcp",
        T0 + 86_400 * 3,
        vec![choice(Q1, 0, true, None), choice(Q2, 0, true, None)],
    )
    .await;
    app.record(
        "m2",
        l3,
        "tcp",
        T0 + 86_400 * 9,
        vec![choice(Q1, 0, true, None), choice(Q2, 0, true, None)],
    )
    .await;
    let mastered: i64 = infra_dojo::on!(&app.state.db, pool => sqlx::query_as::<_, (i64,)>(
        "select count(*) from question_progress where user_id = $1 and box >= 3",
    )
    .bind(l3)
    .fetch_one(pool)
    .await)
    .unwrap()
    .0;
    assert_eq!(mastered, 2, "the Leitner schedule moved both to box 3");

    let reply = teacher
        .get(&format!("/instructor/classes/{class_id}/export/grid.csv"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .contains("grid")
    );
    assert!(reply.body.starts_with('\u{feff}'));
    let records = parse_csv(&reply.body['\u{feff}'.len_utf8()..]);
    let header = &records[0];
    assert_eq!(&header[..3], &["ログイン名", "表示名", "全体(%)"]);
    assert_eq!(header.last().unwrap(), "最終活動");
    let tcp_column = header
        .iter()
        .position(|h| h == "TCP(%)")
        .expect("a column per topic");
    assert_eq!(records.len() - 1, 6, "one row per member");
    let tcp_questions = app.state.content().quizzes.topic("tcp").len() as i64;
    let total = app.state.content().quizzes.len() as i64;
    let row = records.iter().find(|r| r[0] == "learner3").unwrap();
    assert_eq!(row[tcp_column], (2 * 100 / tcp_questions).to_string());
    assert_eq!(row[2], (2 * 100 / total).to_string());
    assert_eq!(
        row.last().unwrap(),
        "2025-12-04T01:00:00+09:00",
        "the last attempt, nine days after the first"
    );
    let l1 = records.iter().find(|r| r[1] == TRICKY_NAME).unwrap();
    assert_eq!(l1[tcp_column], "0", "answered, nothing mastered: 0");
    // A topic nobody in the class answered is an empty cell, as "—" on the grid: not 0.
    let icmp_column = header.iter().position(|h| h == "ICMP(%)").unwrap();
    assert!(records[1..].iter().all(|r| r[icmp_column].is_empty()));
    assert!(reply.body.contains("\"山田, \"\"太郎\"\"\""));
}

#[tokio::test]
async fn every_route_checks_the_role_and_the_owner() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let class_id = seed_class(&app, teacher.id).await;
    let other = app.instructor("other").await;
    let learner = app.learner("curious").await;
    let visitor = app.client();

    for path in ["topics/tcp", "export/grid.csv", "export/answers.csv"] {
        let uri = format!("/instructor/classes/{class_id}/{path}");
        let seen = visitor.get(&uri).await;
        assert_eq!(seen.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(
            seen.header("location"),
            Some(format!("/login?next={uri}").as_str())
        );
        assert_eq!(
            learner.get(&uri).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
        let theirs = other.get(&uri).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!theirs.body.contains("3年A組"));
        assert_eq!(teacher.get(&uri).await.status, StatusCode::OK, "{uri}");
        assert_eq!(
            teacher
                .get(&format!("/instructor/classes/999999/{path}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            teacher
                .get(&format!("/instructor/classes/abc/{path}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    let unknown = teacher
        .get(&format!(
            "/instructor/classes/{class_id}/topics/no-such-topic"
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("ページが見つかりません"));
}

#[tokio::test]
async fn the_answers_csv_streams_through_compression_too() {
    // A browser asks for br/gzip; the compression layer polls the body once more after its end, which
    // once made the CSV stream panic (found by the instructor browser test). Responses made per request
    // are compressed with gzip (brotli is for bytes compressed once: `web::precompressed`).
    let app = common::app().await;
    let teacher = app.instructor("teacher-br").await;
    let class_id = seed_class(&app, teacher.id).await;
    for (accept, encoding) in [
        ("gzip, deflate, br, zstd", Some("gzip")),
        ("gzip", Some("gzip")),
        ("br", None),
    ] {
        let req =
            axum::http::Request::get(format!("/instructor/classes/{class_id}/export/answers.csv"))
                .header("accept-encoding", accept)
                .body(axum::body::Body::empty())
                .unwrap();
        let res = teacher.send(req).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("content-encoding"), encoding, "{accept}");
        assert!(res.bytes > 0);
    }
}

/// OWASP CSV injection, including what plain first-character checks miss: a full-width ＝ (typed by a
/// Japanese IME, read as a formula by Excel) and a space before `=` (skipped by LibreOffice and Excel).
#[tokio::test]
async fn the_grid_csv_defuses_formulas_in_names_learners_chose() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let class_id = seed_class(&app, teacher.id).await;
    let names = [
        "＝HYPERLINK(\"http://x\")",
        " =1+1",
        "\u{3000}@SUM(A1)",
        "－1",
    ];
    for (i, display_name) in names.iter().enumerate() {
        let login = format!("formula{i}");
        let id = app.learner_as(&login, display_name).await.id;
        store::classes::join(&app.state.db, class_id, id, T0)
            .await
            .unwrap();
    }
    let reply = teacher
        .get(&format!("/instructor/classes/{class_id}/export/grid.csv"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let records = parse_csv(&reply.body['\u{feff}'.len_utf8()..]);
    for display_name in names {
        let cell = records
            .iter()
            .map(|r| r[1].clone())
            .find(|cell| cell.ends_with(display_name.trim_start()))
            .unwrap_or_else(|| panic!("{display_name:?} not in {records:?}"));
        assert!(
            cell.starts_with('\''),
            "{display_name:?} came out as {cell:?}"
        );
    }
}

#[tokio::test]
async fn instructors_read_misconceptions_and_generated_questions_in_words() {
    let app = common::app().await;
    let teacher = app.instructor("teacher").await;
    let (class_id, code) = teacher.create_class("1年C組").await;
    let aki = app.learner("aki").await;
    assert_eq!(aki.join_class(&code).await.status, StatusCode::SEE_OTHER);
    let content = app.state.content();
    let now = store::now();
    // Every TCP question wrong, generated ones included: every tag the bank can record shows up.
    let all: Vec<usize> = (0..content.quizzes.topic("tcp").len()).collect();
    let graded = app.answer_topic(aki.id, "tcp", &all, now).await;
    let tags: Vec<&str> = graded
        .iter()
        .filter_map(|g| g.misconception.as_deref())
        .collect();
    assert!(tags.len() >= 3, "{tags:?}");

    let class = format!("/instructor/classes/{class_id}");
    let page = teacher.get(&format!("{class}/topics/tcp")).await;
    assert_eq!(page.status, StatusCode::OK);
    let main = page.texts("main").join(" ");
    // Every element's own text: a tag shown as a slug would be one of them (question ids contain tags
    // too, so the whole text is not searched).
    let elements = page.texts("main *");
    for tag in &tags {
        let label = content.quizzes.tag_label(tag);
        assert!(main.contains(label), "{tag}: its label is on the page");
        assert!(
            !elements.iter().any(|t| t.trim() == *tag),
            "{tag}: never as a slug"
        );
    }
    // Options' tags too, answered or not.
    for label in page.texts("table.options .misconception") {
        assert!(
            !label.is_ascii(),
            "{label}: an option's misconception in words"
        );
    }
    // Generated questions: an example of what they ask, not their id.
    let generated = "tcp-gen-synack-ack";
    let heading = page.texts(&format!("#q-{generated} h2")).join("");
    assert!(
        heading.contains("例:") && heading.contains("SYN+ACK の ack 番号"),
        "{heading}"
    );
    assert!(!heading.contains(generated), "{heading}");

    // The live panel names it by an example too (the label lists share with the learner's review).
    let live: serde_json::Value =
        serde_json::from_str(&teacher.get(&format!("{class}/live.json")).await.body).unwrap();
    let row = live["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question_id"] == generated)
        .expect("the generated question is live");
    let label = row["label"].as_str().unwrap();
    assert!(
        label.contains("（数値は一例）") && !label.contains(generated),
        "{label}"
    );

    // The learner's page: the prompt they were given, and each misconception in words.
    let learner = teacher.get(&format!("{class}/learners/{}", aki.id)).await;
    let rows = learner.texts(".answer-table tbody tr").join("\n");
    assert!(rows.contains("SYN+ACK の ack 番号"), "{rows}");
    assert!(!rows.contains(generated), "{rows}");
    for tag in &tags {
        assert!(
            !learner
                .texts(".answer-table td")
                .iter()
                .any(|t| t.trim() == *tag),
            "{tag} in\n{rows}"
        );
    }
    assert_eq!(
        learner.texts(".answer-table .misconception").len(),
        tags.len()
    );
}
