//! Router tests for search: Japanese queries of every length, the glossary, highlighting, and bad queries.

mod common;

use axum::http::StatusCode;

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_trigram_query_finds_the_topic_and_highlights_the_match() {
    let app = common::app().await;
    let res = app
        .get(&format!("/search?q={}", encode("ブラックホール")))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let hrefs = res.attrs(".result-title", "href");
    assert!(
        hrefs.iter().any(|h| h.starts_with("/topics/icmp#n")),
        "{hrefs:?}"
    );
    assert!(
        res.texts(".result-snippet mark")
            .iter()
            .all(|m| m.contains("ブラックホール"))
    );
    assert!(!res.texts(".result-snippet mark").is_empty());
}

#[tokio::test]
async fn one_and_two_character_queries_fall_back_to_a_scan() {
    let app = common::app().await;
    let res = app.get(&format!("/search?q={}", encode("親子"))).await;
    let hrefs = res.attrs(".result-title", "href");
    assert!(
        hrefs.contains(&"/topics/process-tree".to_string()),
        "the heading matches: {hrefs:?}"
    );
    assert!(
        hrefs.iter().any(|h| h.starts_with("/topics/process#n")),
        "the notes' text matches: {hrefs:?}"
    );
    assert!(res.texts(".result-count")[0].contains("走査"));
    let one = app.get(&format!("/search?q={}", encode("鍵"))).await;
    assert_eq!(one.status, StatusCode::OK);
}

#[tokio::test]
async fn the_glossary_leads_english_and_katakana_to_the_notes_wording() {
    let app = common::app().await;
    for (query, slug) in [
        ("three-way handshake", "tcp"),
        ("ハンドシェイク", "tcp"),
        ("passive mode", "ftp"),
        ("パッシブモード", "ftp"),
        ("ファイアウォール", "firewall"),
    ] {
        let res = app.get(&format!("/search?q={}", encode(query))).await;
        let glossary = res.attrs(".glossary-hits a", "href");
        assert!(
            glossary.contains(&format!("/topics/{slug}")),
            "{query}: {glossary:?}"
        );
        let hits = res.attrs(".result-title", "href");
        let page = format!("/topics/{slug}");
        assert!(
            hits.iter()
                .any(|h| h == &page || h.starts_with(&format!("{page}#"))),
            "{query}: {hits:?}"
        );
    }
}

#[tokio::test]
async fn full_width_and_case_do_not_matter() {
    let app = common::app().await;
    let a = app
        .get(&format!("/search?q={}", encode("ＳＹＮ")))
        .await
        .attrs(".result-title", "href");
    let b = app
        .get("/search?q=syn")
        .await
        .attrs(".result-title", "href");
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[tokio::test]
async fn annotations_and_supplements_are_searchable() {
    let app = common::app().await;
    let res = app.get(&format!("/search?q={}", encode("RFC 9293"))).await;
    assert!(
        res.attrs(".result-title", "href")
            .iter()
            .any(|h| h.contains("#ann-"))
    );
    let snmp = app
        .get(&format!("/search?q={}", encode("InformRequest")))
        .await;
    assert!(
        snmp.attrs(".result-title", "href")
            .iter()
            .any(|h| h.starts_with("/topics/snmp#s")),
        "{}",
        snmp.body
    );
}

#[tokio::test]
async fn empty_and_over_long_queries_get_a_clear_message() {
    let app = common::app().await;
    for uri in ["/search", "/search?q=", "/search?q=%20%20"] {
        let res = app.get(uri).await;
        assert_eq!(res.status, StatusCode::OK, "{uri}");
        assert_eq!(
            res.texts("[role=alert]"),
            vec!["検索語を入力してください。"]
        );
    }
    let long = app.get(&format!("/search?q={}", "a".repeat(101))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert!(long.texts("[role=alert]")[0].contains("長すぎます"));
}

#[tokio::test]
async fn queries_are_escaped_and_fts_syntax_is_literal() {
    let app = common::app().await;
    for q in [
        "<script>alert(1)</script>",
        "\"unbalanced",
        "a OR b NOT c*",
        "%_\\",
    ] {
        let res = app.get(&format!("/search?q={}", encode(q))).await;
        assert_eq!(res.status, StatusCode::OK, "{q}");
        assert!(!res.body.contains("<script>alert"), "{q}");
    }
}

/// `/search?q=abc%00` was a 500 (FTS5 "unterminated string"): every query string gets a page.
#[tokio::test]
async fn any_query_string_gets_a_page_not_an_error() {
    let app = common::app().await;
    let hostile = [
        "abc\0",
        "\0",
        "syn\0ack",
        "\"",
        "\"\"\"",
        "abc\"",
        "a\"b\"c",
        "*",
        "abc*",
        "^abc",
        "NEAR(abc def)",
        "abc OR def",
        "abc AND NOT def",
        "-abc",
        "slug:tcp",
        "body:abc",
        "{slug body}: abc",
        "(abc",
        "abc)",
        "%",
        "_",
        "%%%",
        "\\",
        "'; drop table app_user; --",
        "\u{7f}abc",
        "\u{1b}[31mabc",
        "\r\nabc",
        "\u{feff}abc",
        "\u{200b}",
        "ＳＹＮ\0",
        "𠮷野家",
        "\u{fffd}\u{fffd}\u{fffd}",
    ];
    for q in hostile {
        let res = app.get(&format!("/search?q={}", encode(q))).await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{q:?}: {}",
            res.texts("main p").concat()
        );
    }
    // Broken percent-encoding and UTF-8 are never a server error.
    for raw in ["%FF%FE", "%", "%zz", "abc%C3"] {
        let res = app.get(&format!("/search?q={raw}")).await;
        assert!(!res.status.is_server_error(), "{raw}: {}", res.status);
    }
}

/// The results of a query as (kind badge, href) pairs.
async fn results(app: &common::TestApp, q: &str) -> Vec<(String, String)> {
    let res = app.get(&format!("/search?q={}", encode(q))).await;
    assert_eq!(res.status, StatusCode::OK);
    res.texts(".result .badge")
        .into_iter()
        .zip(res.attrs(".result-title", "href"))
        .collect()
}

#[tokio::test]
async fn search_finds_widgets_and_quiz_questions_but_never_answers() {
    let app = common::app().await;
    // A widget's introduction and its scenarios' names lead to the widget.
    let found = results(&app, "同時オープン").await;
    assert!(
        found.contains(&("図解".into(), "/topics/tcp#widget-handshake".into())),
        "{found:?}"
    );
    let found = results(&app, "データ用を").await;
    assert!(
        found.contains(&("図解".into(), "/topics/ftp#widget-ftp".into())),
        "{found:?}"
    );
    // A question's prompt leads to the quiz with just that question, which opens.
    let found = results(&app, "既定の動作で使うもの").await;
    assert_eq!(
        found,
        [(
            "クイズの問題".to_string(),
            "/topics/icmp/quiz?only=icmp-traceroute-uses".to_string()
        )]
    );
    let quiz = app.get(&found[0].1).await;
    assert_eq!(quiz.status, StatusCode::OK);
    assert_eq!(
        quiz.attrs("[data-question]", "data-question"),
        ["icmp-traceroute-uses"]
    );
    // Nothing a question keeps for after answering is searchable: options, the answer, the explanation,
    // why a choice is wrong.
    let content = app.state.content();
    for slug in ["tcp", "ftp", "icmp", "process-tree"] {
        for q in content.quizzes.topic(slug) {
            let mut secret: Vec<String> = vec![q.explanation.clone()];
            match &q.kind {
                infra_dojo::quiz::bank::Kind::Single { options }
                | infra_dojo::quiz::bank::Kind::Multiple { options } => {
                    for o in options {
                        secret.push(o.text.clone());
                        secret.extend(o.why.clone());
                    }
                }
                infra_dojo::quiz::bank::Kind::Text { answers, .. } => {
                    secret.extend(answers.iter().cloned())
                }
                _ => {}
            }
            for s in secret {
                // A distinctive stretch of it, as a reader would paste.
                let probe: String = s.chars().take(14).collect();
                if probe.chars().count() < 6 || q.prompt.contains(&probe) {
                    continue;
                }
                // A question found (the glossary can lead a probe to one) shows its prompt, and only that.
                let res = app.get(&format!("/search?q={}", encode(&probe))).await;
                let hrefs = res.attrs(".result-title", "href");
                let snippets = res.texts(".result-snippet");
                for (href, snippet) in hrefs.iter().zip(&snippets) {
                    let Some(id) = href.split("only=").nth(1) else {
                        continue;
                    };
                    // The index holds text in NFKC (？ becomes ?).
                    use unicode_normalization::UnicodeNormalization;
                    let prompt: String = content
                        .quizzes
                        .question(id)
                        .expect("a question")
                        .prompt
                        .nfkc()
                        .collect();
                    let shown = snippet.trim_matches('…');
                    assert!(
                        prompt.contains(shown),
                        "{probe:?}: the result for {id} shows {shown:?}, not its prompt"
                    );
                }
            }
        }
    }
}
