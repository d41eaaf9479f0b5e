//! The question analysis of one topic for one class (`GET /instructor/classes/{class_id}/topics/{slug}`):
//! per question, attempts, facility, the discrimination index, each option's count and who chose it,
//! wrong answers by misconception tag and the most common wrong responses; then the widget prediction
//! steps of the topic, worst first. The figures come from `classroom::item_stats` (one scan of the
//! topic's answers, counted as the rows arrive); this module turns them into words, tables and charts.

use super::charts::{self, BarChart};
use super::{analysis_href, class_href, learner_href};
use crate::classroom::item_stats::{self, Tallies};
use crate::quiz::bank::{Kind, Question};
use crate::quiz::grade::Response as Answered;
use crate::quiz::mastery::percent;
use crate::store;
use crate::web::chrome::{pick, pick_with};
use crate::web::error::{AppError, Result};
use crate::web::guards::OwnedClass;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use crate::widgets::labels;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use std::collections::HashMap;

/// Wrong responses listed per numeric, text or order question.
const WRONG_RESPONSES_SHOWN: usize = 5;
/// Names listed under one option; the rest are counted (each learner's page has their answers, the CSV
/// every answer). A fixed number, so the page weighs the same for 30 learners or 10,000.
pub const NAMES_SHOWN: usize = 20;

/// A link to another topic's analysis.
pub struct TopicLink {
    pub href: String,
    pub title: String,
    pub current: bool,
}

/// A learner named under an option, linked to their drill-down.
pub struct Chooser {
    pub href: String,
    pub name: String,
}

/// One option of a choice question.
pub struct OptionRow {
    /// A, B, C… in bank order.
    pub letter: char,
    pub text: String,
    pub correct: bool,
    /// The misconception's label, in words (empty for the right option).
    pub misconception: String,
    /// The tag as the bank and the CSV write it.
    pub misconception_tag: String,
    pub why: String,
    pub times: i64,
    pub learners: i64,
    /// Share of the question's answers that chose it, in percent.
    pub share: i64,
    pub choosers: Vec<Chooser>,
    /// Choosers not listed (beyond [`NAMES_SHOWN`]).
    pub more: i64,
}

/// Wrong answers with one misconception tag.
pub struct TagRow {
    pub label: String,
    /// The tag as written in the bank (empty for untagged and blank answers).
    pub tag: String,
    pub times: i64,
    pub learners: i64,
}

/// A common wrong response.
pub struct WrongRow {
    pub response: String,
    /// The misconception's label, in words.
    pub misconception: String,
    /// The tag as the bank and the CSV write it.
    pub misconception_tag: String,
    pub times: i64,
    pub learners: i64,
}

/// One question's analysis.
pub struct QuestionView {
    pub id: String,
    pub anchor: String,
    pub number: usize,
    pub prompt: String,
    pub kind: &'static str,
    pub is_choice: bool,
    pub attempts: i64,
    pub correct: i64,
    /// Members whose first answer counts for the facility.
    pub learners: i64,
    pub facility: String,
    /// 0–100, for the bar (the number is written beside it).
    pub facility_percent: i64,
    pub discrimination: String,
    /// What the index says, in words ("—" when there is none).
    pub discrimination_note: &'static str,
    pub options: Vec<OptionRow>,
    pub tags: Vec<TagRow>,
    pub wrong: Vec<WrongRow>,
}

/// One predicted field of one widget step.
pub struct WidgetRow {
    /// A few characters for the chart: step number and field ("2 ack").
    pub short: String,
    pub widget: String,
    pub scenario: String,
    pub step: String,
    pub field: String,
    pub attempts: i64,
    pub correct: i64,
    pub learners: i64,
    pub share: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "instructor/analysis.html")]
pub struct AnalysisPage {
    pub layout: Layout,
    pub class_name: String,
    pub class_href: String,
    pub topic_title: String,
    pub topic_href: String,
    pub grid_csv_href: String,
    pub answers_csv_href: String,
    pub members: i64,
    /// Members ranked for the discrimination index, and the size of each group.
    pub ranked: i64,
    pub group_size: i64,
    pub enough_for_discrimination: bool,
    pub questions: Vec<QuestionView>,
    /// The facility per question as bars (the table below is its text alternative).
    pub facility_chart: BarChart,
    pub topic_tags: Vec<TagRow>,
    pub has_widgets: bool,
    pub widget_steps: Vec<WidgetRow>,
    pub widget_chart: BarChart,
    pub topics: Vec<TopicLink>,
}

fn kind_label(kind: &Kind) -> &'static str {
    match kind {
        Kind::Single { .. } => pick("単一選択", "Single choice"),
        Kind::Multiple { .. } => pick("複数選択", "Multiple choice"),
        Kind::Order { .. } => pick("並べ替え", "Ordering"),
        Kind::Numeric { .. } => pick("数値", "Numeric"),
        Kind::Text { .. } => pick("記述", "Text"),
        Kind::Generated { .. } => pick("数値（自動生成）", "Numeric (generated)"),
    }
}

/// [`item_stats::discrimination_note`], in the course's language.
fn discrimination_note(discrimination: Option<f64>) -> &'static str {
    let ja = item_stats::discrimination_note(discrimination);
    let en = match discrimination {
        None => ja,
        Some(d) if d >= 0.4 => "discriminates well",
        Some(d) if d >= 0.3 => "good",
        Some(d) if d >= 0.2 => "could be improved",
        Some(d) if d >= 0.0 => "does not discriminate (review it)",
        Some(_) => "reversed (check the question and its answer)",
    };
    pick(ja, en)
}

/// A row of wrong answers grouped by tag, named in words: the tag's label from the bank.
fn tag_label(bank: &crate::quiz::bank::Bank, tag: &Option<String>, blank: bool) -> String {
    match (tag, blank) {
        (_, true) => pick("未回答", "Blank").to_string(),
        (Some(tag), false) => bank.tag_label(tag).to_string(),
        (None, false) => pick(
            "タグなし（既知の誤答に当たらない）",
            "Untagged (not a known wrong answer)",
        )
        .to_string(),
    }
}

/// A stored response in words, as the learner would recognise it: option texts, the items in their
/// order, the text typed. Falls back to the stored JSON for a question no longer in the bank.
pub fn readable_response(question: Option<&Question>, stored: &str) -> String {
    let Ok(answered) = serde_json::from_str::<Answered>(stored) else {
        return stored.to_string();
    };
    let pick = |texts: &[String], indices: &[usize], sep: &str| -> Option<String> {
        indices
            .iter()
            .map(|&i| texts.get(i).cloned())
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(sep))
    };
    let words = match (question.map(|q| &q.kind), &answered) {
        (_, Answered::Blank) => Some(crate::web::chrome::pick("（未回答）", "(blank)").to_string()),
        (_, Answered::Text(text)) => Some(text.clone()),
        (Some(Kind::Single { options } | Kind::Multiple { options }), Answered::Choice(chosen)) => {
            let texts: Vec<String> = options.iter().map(|o| o.text.clone()).collect();
            pick(&texts, chosen, " / ")
        }
        (Some(Kind::Order { items, .. }), Answered::Order(order)) => pick(items, order, " → "),
        _ => None,
    };
    words.unwrap_or_else(|| stored.to_string())
}

/// The figures of the analysis from every answer the members gave to the topic's questions (one scan,
/// counted as each member's row arrives, while SQLite reads the next ones): what the class's sums must
/// equal (`tests/aggregates.rs`), and what a topic too large for them is counted with.
pub async fn breakdown_from_history(
    db: &crate::db::Db,
    class_id: i64,
    slug: &str,
) -> std::result::Result<item_stats::Breakdown, sqlx::Error> {
    let mut tallies = Tallies::new(WRONG_RESPONSES_SHOWN, NAMES_SHOWN);
    let mut rows = store::analysis::topic_answers(db, class_id, slug);
    while let Some(learner) = rows.try_next().await? {
        tallies.add(&learner);
    }
    Ok(tallies.finish())
}

/// `GET /instructor/classes/{class_id}/topics/{slug}`: the question analysis of one topic (404 for a
/// topic the course does not have).
pub async fn topic_analysis(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let slug = params.get("slug").map(String::as_str).unwrap_or_default();
    let content = state.content();
    let topic = content.course.topic(slug).ok_or(AppError::NotFound)?;
    let class_id = owned.class.class_id;
    let db = &state.db;
    let widgets = async {
        if topic.widgets.is_empty() {
            Ok(Vec::new())
        } else {
            store::class_view::widget_steps(db, class_id, &topic.widgets).await
        }
    };
    // The class's sums (`store::class_view`); a topic too large for them is counted from the history.
    let answers = async {
        if let Some(breakdown) =
            store::class_view::breakdown(db, class_id, slug, WRONG_RESPONSES_SHOWN, NAMES_SHOWN)
                .await?
        {
            return Ok(breakdown);
        }
        breakdown_from_history(db, class_id, slug).await
    };
    let (breakdown, members, widget_rows) = tokio::try_join!(
        answers,
        store::class_view::member_count(db, class_id),
        widgets
    )?;
    let item_stats::Breakdown {
        stats,
        options: choices,
        tags,
        wrong,
    } = breakdown;

    let class_href = class_href(class_id);
    let stats: HashMap<&str, &item_stats::QuestionStats> =
        stats.iter().map(|s| (s.question_id.as_str(), s)).collect();
    let ranked = stats.values().map(|s| s.ranked).max().unwrap_or(0);
    let mut questions = Vec::new();
    for (i, q) in content.quizzes.topic(slug).iter().enumerate() {
        let s = stats
            .get(q.id.as_str())
            .copied()
            .cloned()
            .unwrap_or_default();
        let facility = s.facility();
        let discrimination = s.discrimination();
        let options = match &q.kind {
            Kind::Single { options } | Kind::Multiple { options } => options
                .iter()
                .enumerate()
                .map(|(n, o)| {
                    let chosen = choices
                        .iter()
                        .find(|c| c.question_id == q.id && c.option == n);
                    let choosers: Vec<Chooser> = chosen
                        .map(|c| {
                            c.learners
                                .iter()
                                .take(NAMES_SHOWN)
                                .map(|(id, name)| Chooser {
                                    href: learner_href(class_id, *id),
                                    name: name.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let learners = chosen.map_or(0, |c| c.learner_count);
                    OptionRow {
                        letter: char::from(b'A' + (n % 26) as u8),
                        text: o.text.clone(),
                        correct: o.correct,
                        misconception: o
                            .misconception
                            .as_deref()
                            .map(|m| content.quizzes.tag_label(m).to_string())
                            .unwrap_or_default(),
                        misconception_tag: o.misconception.clone().unwrap_or_default(),
                        why: o.why.clone().unwrap_or_default(),
                        times: chosen.map_or(0, |c| c.times),
                        learners,
                        share: percent(chosen.map_or(0, |c| c.times), s.attempts),
                        more: learners - choosers.len() as i64,
                        choosers,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        questions.push(QuestionView {
            id: q.id.clone(),
            anchor: format!("q-{}", q.id),
            number: i + 1,
            prompt: super::question_text(q),
            kind: kind_label(&q.kind),
            is_choice: matches!(q.kind, Kind::Single { .. } | Kind::Multiple { .. }),
            attempts: s.attempts,
            correct: s.correct,
            learners: s.first_answers,
            facility: facility.map_or("—".to_string(), |f| format!("{f}%")),
            facility_percent: facility.unwrap_or(0),
            discrimination: discrimination.map_or("—".to_string(), |d| format!("{d:.2}")),
            discrimination_note: discrimination_note(discrimination),
            options,
            tags: tags
                .iter()
                .filter(|t| t.question_id.as_deref() == Some(q.id.as_str()))
                .map(|t| TagRow {
                    label: tag_label(&content.quizzes, &t.tag, t.blank),
                    tag: t.tag.clone().unwrap_or_default(),
                    times: t.times,
                    learners: t.learners,
                })
                .collect(),
            wrong: wrong
                .iter()
                .filter(|w| w.question_id == q.id)
                .map(|w| WrongRow {
                    response: readable_response(Some(q), &w.response),
                    misconception: w
                        .misconception
                        .as_deref()
                        .map(|m| content.quizzes.tag_label(m).to_string())
                        .unwrap_or_default(),
                    misconception_tag: w.misconception.clone().unwrap_or_default(),
                    times: w.times,
                    learners: w.learners,
                })
                .collect(),
        });
    }
    let facility_rows: Vec<(String, Option<i64>)> = questions
        .iter()
        .map(|q| {
            (
                pick_with(|| format!("問{}", q.number), || format!("Q{}", q.number)),
                (q.learners > 0).then_some(q.facility_percent),
            )
        })
        .collect();
    let facility_chart = charts::bar_chart(
        pick(
            "問題ごとの正答率（初回の回答）。数値は下の表にもあります。",
            "Facility by question (first answers). The numbers are also in the table below.",
        ),
        &facility_rows,
    );
    let widget_steps: Vec<WidgetRow> = widget_rows
        .iter()
        .map(|w| WidgetRow {
            short: format!(
                "{} {}",
                if w.step < 0 {
                    pick("最終", "Final").to_string()
                } else {
                    (w.step + 1).to_string()
                },
                match w.field.as_str() {
                    "client_state" => pick("C状態", "C state"),
                    "server_state" => pick("S状態", "S state"),
                    "tree" => pick("ツリー", "Tree"),
                    "data" => pick("データ接続", "Data connection"),
                    other => other,
                }
            ),
            // In words, from the widget registry (each widget knows its scenarios, steps and fields).
            widget: labels::widget_label(&w.widget),
            scenario: labels::scenario_label(&w.widget, &w.scenario),
            step: labels::step_label(&w.widget, &w.scenario, w.step),
            field: labels::field_label(&w.widget, &w.field),
            attempts: w.attempts,
            correct: w.correct,
            learners: w.learners,
            share: percent(w.correct, w.attempts),
        })
        .collect();
    let widget_bars: Vec<(String, Option<i64>)> = widget_steps
        .iter()
        .take(12)
        .map(|w| (w.short.clone(), Some(w.share)))
        .collect();
    let widget_chart = charts::bar_chart(
        pick(
            "ウィジェットの予想の正答率（低い順、上位 12 件）。数値は下の表にもあります。",
            "Facility of widget predictions (lowest first, top 12). The numbers are also in the table below.",
        ),
        &widget_bars,
    );
    let topics = content
        .course
        .topics
        .iter()
        .filter(|t| !content.quizzes.topic(&t.slug).is_empty() || !t.widgets.is_empty())
        .map(|t| TopicLink {
            href: analysis_href(class_id, &t.slug),
            title: t.title.clone(),
            current: t.slug == topic.slug,
        })
        .collect();
    Ok(AnalysisPage {
        layout,
        class_name: owned.class.name.clone(),
        grid_csv_href: format!("{class_href}/export/grid.csv"),
        answers_csv_href: format!("{class_href}/export/answers.csv"),
        class_href,
        topic_title: topic.title.clone(),
        topic_href: format!("/topics/{}", topic.slug),
        members,
        ranked,
        group_size: item_stats::group_size(ranked),
        enough_for_discrimination: ranked >= item_stats::MIN_RANKED,
        questions,
        facility_chart,
        topic_tags: tags
            .iter()
            .filter(|t| t.question_id.is_none())
            .map(|t| TagRow {
                label: tag_label(&content.quizzes, &t.tag, t.blank),
                tag: t.tag.clone().unwrap_or_default(),
                times: t.times,
                learners: t.learners,
            })
            .collect(),
        has_widgets: !topic.widgets.is_empty(),
        widget_steps,
        widget_chart,
        topics,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::bank::Choice;

    fn question(kind: Kind) -> Question {
        Question {
            id: "q".into(),
            topic: "t".into(),
            prompt: "p".into(),
            explanation: "e".into(),
            source: "s".into(),
            section: None,
            kind,
        }
    }

    #[test]
    fn responses_read_as_words() {
        let choice = question(Kind::Multiple {
            options: vec![
                Choice {
                    text: "SYN".into(),
                    correct: true,
                    why: None,
                    misconception: None,
                },
                Choice {
                    text: "ACK".into(),
                    correct: false,
                    why: Some("w".into()),
                    misconception: Some("m".into()),
                },
            ],
        });
        assert_eq!(
            readable_response(Some(&choice), r#"{"type":"choice","value":[0,1]}"#),
            "SYN / ACK"
        );
        assert_eq!(
            readable_response(Some(&choice), r#"{"type":"choice","value":[7]}"#),
            r#"{"type":"choice","value":[7]}"#
        );
        let order = question(Kind::Order {
            items: vec!["a".into(), "b".into()],
            misconception: "m".into(),
        });
        assert_eq!(
            readable_response(Some(&order), r#"{"type":"order","value":[1,0]}"#),
            "b → a"
        );
        assert_eq!(
            readable_response(None, r#"{"type":"text","value":"1,5"}"#),
            "1,5"
        );
        assert_eq!(readable_response(None, r#"{"type":"blank"}"#), "（未回答）");
        assert_eq!(readable_response(None, "not json"), "not json");
    }
}
