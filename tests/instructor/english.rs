//! An English course (tests/fixtures/english): the instructor's pages read in English, with no Japanese
//! left in `main` — the class list, the class overview (live panel, needs help, grid, chart, settings),
//! members, a learner's drill-down, the remove and join pages and a topic's question analysis.

use crate::DAY;
use crate::common::{self, Reply};
use axum::http::StatusCode;
use infra_dojo::content::source::ContentSource;
use infra_dojo::store;

/// Kana (U+3040–U+30FF) or kanji (U+4E00–U+9FFF).
fn japanese(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}')
}

/// The text of the page's `main`, checked for Japanese.
fn assert_english(url: &str, page: &Reply) {
    assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.body);
    let main = page.texts("main").join("\n");
    assert!(!main.is_empty(), "{url}: no main");
    let found: String = main.chars().filter(|&c| japanese(c)).collect();
    assert!(found.is_empty(), "{url}: Japanese {found:?} in\n{main}");
}

#[tokio::test]
async fn an_english_course_gets_english_instructor_pages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/english");
    let app = common::app_with(&ContentSource::Dir(dir)).await;
    assert_eq!(app.state.content().quizzes.topic("tcp").len(), 2);
    let teacher = app.instructor_as("teacher", "Ms Tanaka").await;
    let (class_id, code) = teacher.create_class("Period 1").await;
    let aki = app.learner_as("aki", "Aki").await;
    let ben = app.learner_as("ben", "Ben").await;
    let cho = app.learner_as("cho", "Cho").await;
    for l in [&aki, &ben, &cho] {
        assert_eq!(l.join_class(&code).await.status, StatusCode::SEE_OTHER);
    }
    let now = store::now();
    crate::backdate_joins(&app, class_id, now - 30 * DAY).await;
    // aki: a wrong answer two days ago and another a minute ago (the live panel, the analysis tables,
    // the review queue); ben: nothing yet; cho: all right, but nine days ago (inactive).
    app.answer_topic(aki.id, "tcp", &[0, 1], now - 2 * DAY)
        .await;
    app.answer_topic(aki.id, "tcp", &[0], now - 60).await;
    app.answer_topic(cho.id, "tcp", &[], now - 9 * DAY).await;

    let class = format!("/instructor/classes/{class_id}");
    let pages = [
        "/instructor".to_string(),
        class.clone(),
        format!("{class}?sort=mastery&dir=asc"),
        format!("{class}/members"),
        format!("{class}/learners/{}", aki.id),
        format!("{class}/learners/{}", ben.id),
        format!("{class}/members/{}/remove", aki.id),
        format!("{class}/topics/tcp"),
        format!("{class}/topics/ports"),
    ];
    for url in &pages {
        let page = teacher.get(url).await;
        assert_english(url, &page);
        assert!(page.body.contains(r#"<html lang="en""#), "{url}");
    }
    // The words are the English ones, not just free of Japanese.
    let overview = teacher.get(&class).await;
    assert!(overview.body.contains("Learners who may need help"));
    assert!(overview.body.contains("Has not taken any quiz yet."));
    assert!(overview.body.contains("Weakest topics"));
    assert!(overview.body.contains("Attempts per day"));
    let members = teacher.get(&format!("{class}/members")).await;
    assert_eq!(members.texts("h1"), ["Members (3)"]);

    // The live panel's JSON, which the script puts on the page as it is.
    let live = teacher.get(&format!("{class}/live.json")).await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(
        live.body
            .contains("Last 10 minutes: 1 attempt, 2 answers (50% correct)."),
        "{}",
        live.body
    );
    assert!(!live.body.chars().any(japanese), "{}", live.body);

    // A learner who has not joined sees the join page in English too.
    let dee = app.learner_as("dee", "Dee").await;
    let url = format!("/join/{code}");
    assert_english(&url, &dee.get(&url).await);

    // The CSV exports name their columns in English too (the rows hold what learners typed).
    let answers = teacher.get(&format!("{class}/export/answers.csv")).await;
    assert_eq!(answers.status, StatusCode::OK);
    let head = answers
        .body
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap();
    assert_eq!(
        head,
        "Login,Display name,Attempt,Topic,Question,Answer,Correct,Misconception tag,Misconception,Time (ms),Answered at"
    );
    let grid = teacher.get(&format!("{class}/export/grid.csv")).await;
    let head = grid
        .body
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap();
    assert!(
        head.starts_with("Login,Display name,Overall (%)") && head.ends_with("Last active"),
        "{head}"
    );
}
