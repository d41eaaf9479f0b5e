//! Question analysis and CSV exports for an instructor's class, every route behind [`OwnedClass`]:
//!
//! * `GET /instructor/classes/{class_id}/topics/{slug}` — per question of the topic: attempts, facility,
//!   discrimination index, each option's count and who chose it, wrong answers by misconception tag and
//!   the most common wrong responses; then the widget prediction steps of the topic, worst first.
//! * `GET /instructor/classes/{class_id}/export/grid.csv` — learner × topic mastery.
//! * `GET /instructor/classes/{class_id}/export/answers.csv` — every answer of every member.
//!
//! The numbers come from `store::analysis` (one scan of the topic's answers per page, counted as the
//! rows arrive); this module turns them into words, tables and SVG bars. The CSV files are UTF-8 with a
//! BOM (Excel reads Japanese only with it) and are streamed: a task reads the rows as SQLite yields them
//! and sends 64 KiB chunks through a small bounded channel, so a class of any size is exported in
//! constant memory, and a client that goes away stops the query.

use crate::error::{AppError, Result};
use crate::quiz::bank::{Kind, Question};
use crate::quiz::grade::Response as Answered;
use crate::state::AppState;
use crate::store;
use crate::web::instructor::OwnedClass;
use crate::web::layout::Layout;
use crate::widgets::{forktree, handshake};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt;
use std::collections::HashMap;

/// The analysis page and the two exports.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/instructor/classes/{class_id}/topics/{slug}",
            get(topic_analysis),
        )
        .route(
            "/instructor/classes/{class_id}/export/grid.csv",
            get(grid_csv),
        )
        .route(
            "/instructor/classes/{class_id}/export/answers.csv",
            get(answers_csv),
        )
}

/// Wrong responses listed per numeric, text or order question.
const WRONG_RESPONSES_SHOWN: usize = 5;
/// Names listed under one option; a class of thousands gets the first ones and a count of the rest.
const NAMES_SHOWN: usize = 200;

// ---------------------------------------------------------------- question analysis page

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
    pub misconception: String,
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
    pub misconception: String,
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
    /// The instructor pages' stylesheet (wide tables, numeric cells, chart colours).
    pub css_url: String,
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
    /// Server-rendered SVG of the facility per question (the table below is its text alternative).
    pub facility_chart: String,
    pub topic_tags: Vec<TagRow>,
    pub has_widgets: bool,
    pub widget_steps: Vec<WidgetRow>,
    pub widget_chart: String,
    pub topics: Vec<TopicLink>,
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 100 + whole / 2) / whole
    }
}

fn kind_label(kind: &Kind) -> &'static str {
    match kind {
        Kind::Single { .. } => "単一選択",
        Kind::Multiple { .. } => "複数選択",
        Kind::Order { .. } => "並べ替え",
        Kind::Numeric { .. } => "数値",
        Kind::Text { .. } => "記述",
        Kind::Generated { .. } => "数値（自動生成）",
    }
}

/// Ebel's rule of thumb for the discrimination index.
fn discrimination_note(d: Option<f64>) -> &'static str {
    match d {
        None => "—",
        Some(d) if d >= 0.4 => "よく識別している",
        Some(d) if d >= 0.3 => "良好",
        Some(d) if d >= 0.2 => "見直しの余地あり",
        Some(d) if d >= 0.0 => "識別できていない（要見直し）",
        Some(_) => "逆転している（問題文・正解を確認）",
    }
}

fn tag_label(tag: &Option<String>, blank: bool) -> String {
    match (tag, blank) {
        (_, true) => "未回答".to_string(),
        (Some(tag), false) => tag.clone(),
        (None, false) => "タグなし（既知の誤答に当たらない）".to_string(),
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
        (_, Answered::Blank) => Some("（未回答）".to_string()),
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

/// A horizontal bar chart as SVG: one bar per row, `value` in percent (`None`: no data, no bar). The
/// values are also written as text, and the page has a table with the same numbers.
fn bar_chart(title: &str, rows: &[(String, Option<i64>)]) -> String {
    const ROW: usize = 24;
    const LABEL: usize = 70;
    const BAR: usize = 360;
    let height = ROW * rows.len() + 8;
    let width = LABEL + BAR + 60;
    let mut svg = format!(
        "<svg class=\"chart day-chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 4 + i * ROW;
        let text_y = y + ROW / 2 + 5;
        let short: String = if label.chars().count() > 8 {
            label.chars().take(7).chain(['…']).collect()
        } else {
            label.clone()
        };
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" font-size=\"13\" fill=\"currentColor\">{}</text>",
            LABEL - 8,
            escape(&short)
        ));
        svg.push_str(&format!(
            "<rect x=\"{LABEL}\" y=\"{}\" width=\"{BAR}\" height=\"{}\" fill=\"currentColor\" fill-opacity=\"0.08\"/>",
            y + 3,
            ROW - 6
        ));
        let shown = match value {
            Some(v) => {
                let w = BAR * (*v).clamp(0, 100) as usize / 100;
                svg.push_str(&format!(
                    "<rect class=\"day-bar\" x=\"{LABEL}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#3b8a5a\"/>",
                    y + 3,
                    ROW - 6
                ));
                format!("{v}%")
            }
            None => "—".to_string(),
        };
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{text_y}\" font-size=\"13\" fill=\"currentColor\">{shown}</text>",
            LABEL + BAR + 6
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Minimal XML escaping for text put into the SVG markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn widget_label(widget: &str) -> String {
    match widget {
        "handshake" => "TCP ハンドシェイク".to_string(),
        "forktree" => "プロセスツリー".to_string(),
        "ftp" => "FTP".to_string(),
        other => other.to_string(),
    }
}

fn scenario_label(widget: &str, scenario: &str) -> String {
    let label = match widget {
        "handshake" => handshake::Scenario::from_name(scenario).map(|s| s.label()),
        "forktree" => forktree::Scenario::from_name(scenario).map(|s| s.label()),
        "ftp" => {
            // FTP scenarios are a mode plus settings, named by `ftp::scenario_name`.
            return crate::widgets::ftp::params_from_scenario_name(scenario).map_or_else(
                || scenario.to_string(),
                |p| crate::widgets::ftp::scenario_label(&p),
            );
        }
        _ => None,
    };
    label.map_or_else(|| scenario.to_string(), str::to_string)
}

/// The step as the widget shows it: its number and what happens (from the model's default run).
fn step_label(widget: &str, scenario: &str, step: i64) -> String {
    let number = format!("{}", step + 1);
    match widget {
        "handshake" => {
            let note = handshake::Scenario::from_name(scenario).and_then(|s| {
                let run = handshake::simulate(&handshake::Params {
                    scenario: s,
                    ..Default::default()
                });
                usize::try_from(step)
                    .ok()
                    .and_then(|i| run.steps.get(i))
                    .map(|st| st.note.clone())
            });
            match note {
                Some(note) => format!("{number}. {note}"),
                None => format!("ステップ {number}"),
            }
        }
        "forktree" if step < 0 => "最終的なツリー".to_string(),
        "forktree" => {
            let description = forktree::Scenario::from_name(scenario)
                .filter(|s| *s != forktree::Scenario::Random)
                .and_then(|s| {
                    let run = forktree::simulate(&forktree::Params {
                        scenario: s,
                        ..Default::default()
                    });
                    usize::try_from(step)
                        .ok()
                        .and_then(|i| run.steps.get(i))
                        .map(|st| st.description.clone())
                });
            match description {
                Some(d) => format!("{number}. {d} の後"),
                None => format!("手順 {number} の後"),
            }
        }
        "ftp" => {
            // The step that draws the data connection: the one the predict mode asks before.
            let title = crate::widgets::ftp::params_from_scenario_name(scenario).and_then(|p| {
                let run = crate::widgets::ftp::simulate(&p);
                usize::try_from(step)
                    .ok()
                    .and_then(|i| run.steps.get(i))
                    .map(|st| st.title.clone())
            });
            match title {
                Some(t) => format!("{number}. {t}"),
                None => format!("ステップ {number}"),
            }
        }
        _ => format!("ステップ {number}"),
    }
}

fn field_label(field: &str) -> String {
    match field {
        "seq" => "seq 番号".to_string(),
        "ack" => "ack 番号".to_string(),
        "client_state" => "クライアントの状態".to_string(),
        "server_state" => "サーバーの状態".to_string(),
        "tree" => "プロセスツリー".to_string(),
        "data" => "データ接続（開く側・宛先ポート・届くか）".to_string(),
        other => other.to_string(),
    }
}

/// `GET /instructor/classes/{class_id}/topics/{slug}`: the question analysis of one topic (404 for a
/// topic the course does not have).
async fn topic_analysis(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response> {
    let content = state.content();
    let slug = params.get("slug").map(String::as_str).unwrap_or_default();
    let topic = content.course.topic(slug).ok_or(AppError::NotFound)?;
    let class_id = owned.class.class_id;
    let db = &state.db;
    let widgets = async {
        if topic.widgets.is_empty() {
            Ok(Vec::new())
        } else {
            store::analysis::widget_steps(db, class_id, &topic.widgets).await
        }
    };
    // Counted as each member's row arrives, while SQLite reads the next ones.
    let answers = async {
        let mut tallies = store::analysis::Tallies::new(WRONG_RESPONSES_SHOWN);
        let mut rows = store::analysis::topic_answers(db, class_id, slug);
        while let Some(learner) = rows.try_next().await? {
            tallies.add(&learner);
        }
        Ok::<_, sqlx::Error>(tallies.finish())
    };
    let (breakdown, members, widget_rows) = tokio::try_join!(
        answers,
        store::analysis::member_count(db, class_id),
        widgets
    )?;
    let store::analysis::Breakdown {
        stats,
        options: choices,
        tags,
        wrong,
    } = breakdown;

    let class_href = format!("/instructor/classes/{class_id}");
    let stats: HashMap<&str, &store::analysis::QuestionStats> =
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
                                    href: format!("{class_href}/learners/{id}"),
                                    name: name.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let learners = chosen.map_or(0, |c| c.learners.len() as i64);
                    OptionRow {
                        letter: char::from(b'A' + (n % 26) as u8),
                        text: o.text.clone(),
                        correct: o.correct,
                        misconception: o.misconception.clone().unwrap_or_default(),
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
            prompt: if q.prompt.is_empty() {
                "（自動生成の問題: 受験ごとに数値が変わります）".to_string()
            } else {
                q.prompt.clone()
            },
            kind: kind_label(&q.kind),
            is_choice: matches!(q.kind, Kind::Single { .. } | Kind::Multiple { .. }),
            attempts: s.attempts,
            correct: s.correct,
            learners: s.first_answers,
            facility: facility.map_or("—".to_string(), |f| {
                format!("{}%", (f * 100.0).round() as i64)
            }),
            facility_percent: facility.map_or(0, |f| (f * 100.0).round() as i64),
            discrimination: discrimination.map_or("—".to_string(), |d| format!("{d:.2}")),
            discrimination_note: discrimination_note(discrimination),
            options,
            tags: tags
                .iter()
                .filter(|t| t.question_id.as_deref() == Some(q.id.as_str()))
                .map(|t| TagRow {
                    label: tag_label(&t.tag, t.blank),
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
                    misconception: w.misconception.clone().unwrap_or_default(),
                    times: w.times,
                    learners: w.learners,
                })
                .collect(),
        });
    }
    let facility_chart = if questions.is_empty() {
        String::new()
    } else {
        let rows: Vec<(String, Option<i64>)> = questions
            .iter()
            .map(|q| {
                (
                    format!("問{}", q.number),
                    (q.learners > 0).then_some(q.facility_percent),
                )
            })
            .collect();
        bar_chart(
            "問題ごとの正答率（初回の回答）。数値は下の表にもあります。",
            &rows,
        )
    };
    let widget_steps: Vec<WidgetRow> = widget_rows
        .iter()
        .map(|w| WidgetRow {
            short: format!(
                "{} {}",
                if w.step < 0 {
                    "最終".to_string()
                } else {
                    (w.step + 1).to_string()
                },
                match w.field.as_str() {
                    "client_state" => "C状態",
                    "server_state" => "S状態",
                    "tree" => "ツリー",
                    "data" => "データ接続",
                    other => other,
                }
            ),
            widget: widget_label(&w.widget),
            scenario: scenario_label(&w.widget, &w.scenario),
            step: step_label(&w.widget, &w.scenario, w.step),
            field: field_label(&w.field),
            attempts: w.attempts,
            correct: w.correct,
            learners: w.learners,
            share: percent(w.correct, w.attempts),
        })
        .collect();
    let widget_chart = if widget_steps.is_empty() {
        String::new()
    } else {
        let rows: Vec<(String, Option<i64>)> = widget_steps
            .iter()
            .take(12)
            .map(|w| (w.short.clone(), Some(w.share)))
            .collect();
        bar_chart(
            "ウィジェットの予想の正答率（低い順、上位 12 件）。数値は下の表にもあります。",
            &rows,
        )
    };
    let topics = content
        .course
        .topics
        .iter()
        .filter(|t| !content.quizzes.topic(&t.slug).is_empty() || !t.widgets.is_empty())
        .map(|t| TopicLink {
            href: format!("{class_href}/topics/{}", t.slug),
            title: t.title.clone(),
            current: t.slug == topic.slug,
        })
        .collect();
    Ok(AnalysisPage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        class_name: owned.class.name.clone(),
        grid_csv_href: format!("{class_href}/export/grid.csv"),
        answers_csv_href: format!("{class_href}/export/answers.csv"),
        class_href,
        topic_title: topic.title.clone(),
        topic_href: format!("/topics/{}", topic.slug),
        members,
        ranked,
        group_size: store::analysis::group_size(ranked),
        enough_for_discrimination: ranked >= store::analysis::MIN_RANKED,
        questions,
        facility_chart,
        topic_tags: tags
            .iter()
            .filter(|t| t.question_id.is_none())
            .map(|t| TagRow {
                label: tag_label(&t.tag, t.blank),
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

// ---------------------------------------------------------------- CSV

/// RFC 4180 CSV, written into a byte buffer: fields separated by commas, records ended by CRLF, a field
/// quoted (with its quotes doubled) when it holds a comma, a quote, CR or LF. Written here rather than
/// taken from the `csv` crate: the rules fit in a few lines with their tests, we add formula defusing
/// ([`push_text`]) that the crate does not do, and rows go straight into the chunk being streamed.
pub mod csv {
    /// The UTF-8 byte order mark: without it Excel reads UTF-8 as Shift_JIS and garbles Japanese.
    pub const BOM: &[u8] = b"\xEF\xBB\xBF";

    /// Appends `field`, quoted if RFC 4180 requires it.
    pub fn push_field(out: &mut Vec<u8>, field: &str) {
        if field.contains([',', '"', '\r', '\n']) {
            out.push(b'"');
            for part in field.split('"').enumerate() {
                if part.0 > 0 {
                    out.extend_from_slice(b"\"\"");
                }
                out.extend_from_slice(part.1.as_bytes());
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }

    /// Appends text a learner wrote (a name, a typed answer). A spreadsheet runs a cell that starts with
    /// `=`, `+`, `-`, `@`, tab or CR as a formula (OWASP "CSV injection"), so such text gets a leading `'`,
    /// which Excel shows as plain text. See [`looks_like_formula`] for what counts as "starts with".
    pub fn push_text(out: &mut Vec<u8>, text: &str) {
        if looks_like_formula(text) {
            push_field(out, &format!("'{text}"));
        } else {
            push_field(out, text);
        }
    }

    /// Whether a spreadsheet could take `text` for a formula. Beyond OWASP's first characters: Excel and
    /// LibreOffice skip leading spaces (" =1+1" is a formula), Japanese IMEs type full-width signs that
    /// Excel reads as ASCII ("＝1+1"), and `|` starts a DDE call in older Excel. So leading white space and
    /// invisible characters are skipped, and the first visible character is compared after NFKC.
    pub fn looks_like_formula(text: &str) -> bool {
        use unicode_normalization::UnicodeNormalization;
        if text.starts_with(['\t', '\r', '\n']) {
            return true;
        }
        let invisible = |c: &char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
                )
        };
        let Some(first) = text.chars().find(|c| !invisible(c)) else {
            return false;
        };
        std::iter::once(first)
            .nfkc()
            .next()
            .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '|'))
    }

    /// One record at a time: `Record::new(&mut buf).field("a").text("b").int(3).end()`.
    pub struct Record<'a> {
        out: &'a mut Vec<u8>,
        first: bool,
    }

    impl<'a> Record<'a> {
        /// Starts a record at the end of `out`.
        pub fn new(out: &'a mut Vec<u8>) -> Self {
            Record { out, first: true }
        }

        fn separate(&mut self) {
            if !self.first {
                self.out.push(b',');
            }
            self.first = false;
        }

        /// A field we wrote ourselves (ids, titles, tags, dates).
        pub fn field(mut self, value: &str) -> Self {
            self.separate();
            push_field(self.out, value);
            self
        }

        /// A field a learner wrote (see [`push_text`]).
        pub fn text(mut self, value: &str) -> Self {
            self.separate();
            push_text(self.out, value);
            self
        }

        /// A number.
        pub fn int(mut self, value: i64) -> Self {
            self.separate();
            self.out.extend_from_slice(value.to_string().as_bytes());
            self
        }

        /// An empty field.
        pub fn empty(mut self) -> Self {
            self.separate();
            self
        }

        /// Ends the record (CRLF, as RFC 4180 says).
        pub fn end(self) {
            self.out.extend_from_slice(b"\r\n");
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn one(field: &str) -> String {
            let mut out = Vec::new();
            push_field(&mut out, field);
            String::from_utf8(out).unwrap()
        }

        #[test]
        fn plain_fields_stay_bare() {
            assert_eq!(one("tcp-ack-1"), "tcp-ack-1");
            assert_eq!(one("山田 太郎"), "山田 太郎");
            assert_eq!(one(""), "");
        }

        #[test]
        fn commas_quotes_and_newlines_are_quoted() {
            assert_eq!(one("a,b"), "\"a,b\"");
            assert_eq!(one("say \"hi\""), "\"say \"\"hi\"\"\"");
            assert_eq!(one("\""), "\"\"\"\"");
            assert_eq!(one("line1\nline2"), "\"line1\nline2\"");
            assert_eq!(one("cr\r\nlf"), "\"cr\r\nlf\"");
        }

        #[test]
        fn formulas_are_defused() {
            let mut out = Vec::new();
            push_text(&mut out, "=HYPERLINK(\"http://x\",\"y\")");
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
            );
            let mut out = Vec::new();
            push_text(&mut out, "-1");
            assert_eq!(out, b"'-1");
            let mut out = Vec::new();
            push_text(&mut out, "1-1");
            assert_eq!(out, b"1-1");
            for formula in [
                "=1+1",
                " =1+1",
                "\u{3000}=1+1",
                "\u{a0}=1",
                "\u{200b}=1",
                "\u{feff}=1",
                "＝1+1",
                "　＝SUM(A1)",
                "＋1",
                "－1",
                "＠SUM(A1)",
                "+1",
                "@SUM(A1)",
                "\t=1",
                "\r=1",
                "\n=1",
                "|calc",
                "｜calc",
                "\u{fe63}1",
            ] {
                assert!(looks_like_formula(formula), "{formula:?}");
            }
            for text in ["SYN", "1=1", "a+b", "", "   ", "ｓｙｎ", "５", "（=）"] {
                assert!(!looks_like_formula(text), "{text:?}");
            }
        }

        #[test]
        fn records_end_with_crlf() {
            let mut out = Vec::new();
            Record::new(&mut out)
                .field("a")
                .int(-3)
                .empty()
                .text("x,y")
                .end();
            Record::new(&mut out).field("b").end();
            assert_eq!(String::from_utf8(out).unwrap(), "a,-3,,\"x,y\"\r\nb\r\n");
        }
    }
}

/// Unix seconds as ISO 8601 in Japan time: `2026-11-26T17:05:09+09:00`.
pub fn iso_jst(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let t = t.to_offset(offset);
            format!(
                "{}-{:02}-{:02}T{:02}:{:02}:{:02}+09:00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        Err(_) => String::new(),
    }
}

/// Today in Japan as `YYYYMMDD`, for file names.
fn today_jst() -> String {
    iso_jst(store::now())
        .get(..10)
        .unwrap_or_default()
        .replace('-', "")
}

/// Bytes gathered before a chunk is sent: large enough that per-chunk costs vanish, small enough to be
/// nothing in memory.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for a slow client before the query pauses.
const CHUNKS_IN_FLIGHT: usize = 4;

type Chunk = std::result::Result<Bytes, std::io::Error>;

/// Where a CSV export task writes: full chunks go to the response as they fill up.
struct Sink {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Chunk>,
}

impl Sink {
    /// Sends the buffer if it is full (or `force`); `false` once the client has gone away.
    async fn flush(&mut self, force: bool) -> bool {
        if self.buf.is_empty() || (!force && self.buf.len() < CHUNK) {
            return true;
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK + 1024),
        ));
        self.tx.send(Ok(chunk)).await.is_ok()
    }

    /// Ends the body with an error, so the client sees a failed download rather than a short file.
    async fn fail(&mut self, e: &sqlx::Error) {
        tracing::error!(error = %e, "CSV export failed");
        let _ = self
            .tx
            .send(Err(std::io::Error::other("export failed")))
            .await;
    }
}

/// A streamed CSV response: `produce` runs in its own task and writes into the [`Sink`].
fn csv_response<F, Fut>(filename: String, produce: F) -> Response
where
    F: FnOnce(Sink) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let mut buf = Vec::with_capacity(CHUNK + 1024);
    buf.extend_from_slice(csv::BOM);
    tokio::spawn(produce(Sink { buf, tx }));
    // Fused: the compression layer polls a body once more after its end, which a bare unfold forbids.
    let body =
        futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        }));

    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            // Learners' answers: never kept by a shared cache.
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Topics with questions, in course order: (slug, title, number of questions).
fn quiz_topics(state: &AppState) -> Vec<(String, String, i64)> {
    let content = state.content();
    content
        .course
        .topics
        .iter()
        .map(|t| {
            (
                t.slug.clone(),
                t.title.clone(),
                content.quizzes.topic(&t.slug).len() as i64,
            )
        })
        .filter(|(_, _, n)| *n > 0)
        .collect()
}

/// `GET …/export/grid.csv`: one row per member — login name, display name, overall mastery, mastery per
/// topic (percent of the topic's questions mastered, as on `/me`), last attempt.
async fn grid_csv(owned: OwnedClass, State(state): State<AppState>) -> Response {
    let class_id = owned.class.class_id;
    let topics = quiz_topics(&state);
    let pool = state.db.clone();
    csv_response(
        format!("class-{class_id}-grid-{}.csv", today_jst()),
        move |mut sink| async move {
            let mut header = csv::Record::new(&mut sink.buf)
                .field("ログイン名")
                .field("表示名")
                .field("全体(%)");
            for (_, title, _) in &topics {
                header = header.field(&format!("{title}(%)"));
            }
            header.field("最終活動").end();
            let total: i64 = topics.iter().map(|t| t.2).sum();
            let mut rows = store::analysis::grid(&pool, class_id);
            let mut count = 0u64;
            loop {
                let row = match rows.try_next().await {
                    Ok(Some(row)) => row,
                    Ok(None) => break,
                    Err(e) => return sink.fail(&e).await,
                };
                let mastered: HashMap<String, i64> =
                    serde_json::from_str(&row.mastered).unwrap_or_default();
                let per_topic: Vec<i64> = topics
                    .iter()
                    .map(|(slug, _, n)| mastered.get(slug).copied().unwrap_or(0).min(*n))
                    .collect();
                let mut record = csv::Record::new(&mut sink.buf)
                    .text(&row.name)
                    .text(&row.display_name)
                    .int(overall(&per_topic, total));
                for ((_, _, n), m) in topics.iter().zip(&per_topic) {
                    record = record.int(m * 100 / n);
                }
                match row.last_at {
                    Some(t) => record.field(&iso_jst(t)).end(),
                    None => record.empty().end(),
                }
                count += 1;
                if !sink.flush(false).await {
                    return;
                }
            }
            sink.flush(true).await;
            tracing::info!(class.id = class_id, rows = count, "grid exported");
        },
    )
}

/// Overall mastery in percent, rounded down like the per-topic figures on `/me`.
fn overall(per_topic: &[i64], total: i64) -> i64 {
    if total == 0 {
        0
    } else {
        per_topic.iter().sum::<i64>() * 100 / total
    }
}

/// `GET …/export/answers.csv`: every answer of every member, one row each, as the rows come.
async fn answers_csv(owned: OwnedClass, State(state): State<AppState>) -> Response {
    let content = state.content();
    let class_id = owned.class.class_id;
    let pool = state.db.clone();
    // The whole snapshot travels with the stream: the rows are labelled with the banks they were read
    // against even if `serve --watch` reloads them meanwhile.
    let bank = content.clone();
    let titles: HashMap<String, String> = content
        .course
        .topics
        .iter()
        .map(|t| (t.slug.clone(), t.title.clone()))
        .collect();
    csv_response(
        format!("class-{class_id}-answers-{}.csv", today_jst()),
        move |mut sink| async move {
            let started = std::time::Instant::now();
            csv::Record::new(&mut sink.buf)
                .field("ログイン名")
                .field("表示名")
                .field("受験ID")
                .field("トピック")
                .field("問題ID")
                .field("回答")
                .field("正誤")
                .field("誤解タグ")
                .field("回答時間(ms)")
                .field("回答日時")
                .end();
            // The header goes out at once: the download starts before the first row is read.
            if !sink.flush(true).await {
                return;
            }
            let mut learners = store::analysis::answers(&pool, class_id);
            let mut count = 0u64;
            loop {
                let learner = match learners.try_next().await {
                    Ok(Some(learner)) => learner,
                    Ok(None) => break,
                    Err(e) => return sink.fail(&e).await,
                };
                for a in &learner.answers {
                    csv::Record::new(&mut sink.buf)
                        .text(&learner.name)
                        .text(&learner.display_name)
                        .int(a.attempt_id)
                        .field(
                            titles
                                .get(&a.topic)
                                .map_or(a.topic.as_str(), String::as_str),
                        )
                        .field(&a.question_id)
                        .text(&readable_response(
                            bank.quizzes.question(&a.question_id),
                            &a.response,
                        ))
                        .int(i64::from(a.correct))
                        .field(a.misconception.as_deref().unwrap_or_default())
                        .int(a.time_ms)
                        .field(&iso_jst(a.created_at))
                        .end();
                    count += 1;
                    if !sink.flush(false).await {
                        tracing::info!(
                            class.id = class_id,
                            rows = count,
                            "answers export stopped: client went away"
                        );
                        return;
                    }
                }
            }
            sink.flush(true).await;
            tracing::info!(
                class.id = class_id,
                rows = count,
                duration_ms = started.elapsed().as_millis() as u64,
                "answers exported"
            );
        },
    )
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

    #[test]
    fn iso_dates_are_in_japan_time() {
        assert_eq!(iso_jst(0), "1970-01-01T09:00:00+09:00");
        assert_eq!(iso_jst(1_764_000_000), "2025-11-25T01:00:00+09:00");
    }

    #[test]
    fn charts_escape_and_scale() {
        let svg = bar_chart("a<b", &[("問1".into(), Some(50)), ("問2".into(), None)]);
        assert!(svg.contains("aria-label=\"a&lt;b\""));
        assert!(svg.contains("width=\"180\""), "half of the 360-unit bar");
        assert!(svg.contains("—"));
    }
}
