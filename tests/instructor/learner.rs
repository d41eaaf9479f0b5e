//! The learner drill-down: every answer, the review queue and the trend; only for members of the class.

use crate::common::{self};
use crate::fixture;
use axum::http::StatusCode;
use infra_dojo::quiz::grade;

#[tokio::test]
async fn the_drill_down_shows_every_answer_the_review_queue_and_the_trend() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let aki = app.user_id("aki").await;
    let url = format!("/instructor/classes/{}/learners/{aki}", f.class_id);
    let page = f.teacher.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("h1")[0], "aki さん aki");
    // Two attempts, newest first, each with its ten answers.
    let attempts = page.texts("details.attempt > summary");
    assert_eq!(attempts.len(), 2);
    assert!(attempts[0].contains("8 / 10"), "{attempts:?}");
    assert!(attempts[1].contains("10 / 10"), "{attempts:?}");
    assert_eq!(
        page.texts("details.attempt .answer-table tbody tr").len(),
        20
    );
    // The newest attempt's first two answers are wrong, shown with what was answered and the right answer.
    let content = app.state.content();
    let tcp = content.quizzes.topic("tcp");
    let wrong_rows = page.texts("details.attempt:first-of-type .answer-table tr.is-wrong");
    assert_eq!(wrong_rows.len(), 2);
    for (i, row) in wrong_rows.iter().enumerate() {
        let g = grade::grade(&tcp[i], 42, &common::answer(&tcp[i], 42, false)).unwrap();
        assert!(row.contains("× 不正解"), "{row}");
        assert!(row.contains(&g.given), "{row} / {}", g.given);
        assert!(row.contains(&g.expected), "{row} / {}", g.expected);
        // The misconception in words (the bank's label), never its tag.
        if let Some(tag) = &g.misconception {
            let label = content.quizzes.tag_label(tag);
            assert_ne!(label, tag.as_str(), "{tag} has a label");
            assert!(row.contains(label), "{row} / {label}");
            assert!(!row.contains(tag.as_str()), "{row} / {tag}");
        }
    }
    assert!(
        page.texts("details.attempt:first-of-type .answer-table tr.is-correct")[0]
            .contains("○ 正解")
    );
    assert!(page.body.contains("1.0 秒"), "time spent per answer");
    // Review queue: the two missed TCP questions are due now.
    assert_eq!(page.texts(".due-table tbody tr").len(), 2);
    // Mastery per topic: TCP 8/10.
    let tcp_row = page
        .texts(".learner-topics tbody tr")
        .into_iter()
        .find(|r| r.starts_with("TCP"))
        .unwrap();
    assert!(
        tcp_row.contains("8 / 10") && tcp_row.contains("80%"),
        "{tcp_row}"
    );
    // A topic never answered is 「未着手」, not 0 / 10 (0%), and has no colour step.
    let icmp_row = page
        .texts(".learner-topics tbody tr")
        .into_iter()
        .find(|r| r.starts_with("ICMP"))
        .unwrap();
    assert!(
        icmp_row.contains("未着手") && !icmp_row.contains('%'),
        "{icmp_row}"
    );
    assert_eq!(page.texts(".learner-topics td.none").len(), 15);
    // Over time: TCP not started a week ago (aki began three days ago), 80% now (the last snapshot).
    let trend = page.rows(".trend-table tbody tr");
    assert_eq!(trend.len(), 1, "{trend:?}");
    let tcp = &trend[0];
    assert_eq!(tcp[0], "TCP");
    assert_eq!(tcp.last().unwrap(), "80%", "{tcp:?}");
    assert_eq!(tcp[tcp.len() - 2], "—", "before the first answer: {tcp:?}");
    assert_eq!(page.texts(".trend-chart circle.trend-dot").len(), 8);
}

#[tokio::test]
async fn a_drill_down_is_only_for_members_of_the_class() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let outsider = app.learner("outsider").await;
    drop(outsider);
    let id = app.user_id("outsider").await;
    for path in [
        format!("/instructor/classes/{}/learners/{id}", f.class_id),
        format!("/instructor/classes/{}/learners/abc", f.class_id),
        format!("/instructor/classes/{}/learners/999999", f.class_id),
    ] {
        assert_eq!(
            f.teacher.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let teacher_id = app.user_id("teacher").await;
    assert_eq!(
        f.teacher
            .get(&format!(
                "/instructor/classes/{}/learners/{teacher_id}",
                f.class_id
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
