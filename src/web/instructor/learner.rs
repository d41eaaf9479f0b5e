//! One member's drill-down (`GET /instructor/classes/{class_id}/learners/{user_id}`): every attempt and
//! answer as the results page would show it, the review queue, mastery per topic (`quiz::mastery`, as on
//! their `/me`), and mastery at the end of each of the last weeks, replayed from their answers. 404
//! unless the user is a member of this class.

use super::charts::{self, TrendChart};
use super::{analysis_href, class_href, display, remove_href, topic_title};
use crate::jst::{self, DAY};
use crate::quiz::grade::{self, Response as Answered};
use crate::quiz::mastery::{self, Mastery};
use crate::quiz::present;
use crate::store::{self, class_stats};
use crate::web::chrome::pick_with;
use crate::web::error::Result;
use crate::web::guards::ClassMember;
use crate::web::layout::Layout;
use crate::web::quiz::question_label;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Mastery snapshots on the learner page, one per week ending now.
const TREND_WEEKS: i64 = 8;

/// One answer as the instructor sees it.
pub struct AnswerView {
    pub number: i64,
    pub prompt: String,
    pub given: String,
    pub expected: String,
    pub correct: bool,
    /// The misconception the answer revealed, in words (the bank's label for its tag).
    pub misconception: Option<String>,
    pub time: String,
}

/// An attempt on the learner page, with its answers.
pub struct AttemptView {
    pub when: String,
    pub topic_title: String,
    pub topic_href: String,
    pub score: String,
    pub duration: String,
    pub answers: Vec<AnswerView>,
}

/// A topic's current mastery on the learner page.
pub struct LearnerTopic {
    pub title: String,
    pub href: String,
    pub mastered: i64,
    pub questions: i64,
    /// "40%", or 「未着手」 for a topic not started: not attempted is not 0%.
    pub share: String,
    pub class: &'static str,
}

/// A question in the learner's review queue.
pub struct DueRow {
    pub topic_title: String,
    pub label: String,
    pub box_number: i64,
    pub due: String,
    pub last_correct: bool,
}

/// A topic's mastery at each weekly snapshot.
pub struct TrendRow {
    pub title: String,
    /// "40%" per week, "—" for the weeks before the topic's first answer.
    pub cells: Vec<String>,
}

/// `GET /instructor/classes/{class_id}/learners/{user_id}`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/learner.html")]
pub struct LearnerPage {
    pub layout: Layout,
    pub class_name: String,
    pub class_href: String,
    pub display_name: String,
    pub name: String,
    pub joined: String,
    pub overall: i64,
    pub overall_mastered: i64,
    pub total_questions: i64,
    pub remove_href: String,
    pub topics: Vec<LearnerTopic>,
    pub week_labels: Vec<String>,
    pub trend: Vec<TrendRow>,
    pub trend_chart: TrendChart,
    pub due: Vec<DueRow>,
    pub attempts: Vec<AttemptView>,
    pub answer_count: usize,
}

/// A stored answer as the results page would show it (a question since removed from the bank: what
/// was stored).
fn answer_view(
    state: &AppState,
    n: &store::quiz::Answer,
    attempt: &store::quiz::Attempt,
) -> AnswerView {
    let number = n.position + 1;
    let seed = attempt.seed as u64;
    let (prompt, given, expected) = match state.content().quizzes.question(&n.question_id) {
        Some(q) => {
            let response: Answered = serde_json::from_str(&n.response).unwrap_or(Answered::Blank);
            let prompt = present::present(q, number as usize, seed).prompt;
            match grade::grade(q, seed, &response) {
                Ok(g) => (prompt, g.given, g.expected),
                Err(_) => (prompt, n.response.clone(), String::new()),
            }
        }
        None => (
            pick_with(
                || format!("（問題 {} は現在の問題集にありません）", n.question_id),
                || {
                    format!(
                        "(Question {} is no longer in the question bank)",
                        n.question_id
                    )
                },
            ),
            n.response.clone(),
            String::new(),
        ),
    };
    AnswerView {
        number,
        prompt,
        given,
        expected,
        correct: n.correct,
        misconception: n
            .misconception
            .as_deref()
            .map(|tag| state.content().quizzes.tag_label(tag).to_string()),
        time: super::duration(n.time_ms),
    }
}

/// `GET /instructor/classes/{class_id}/learners/{user_id}`.
pub async fn learner(
    ClassMember { owned, member }: ClassMember,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<Response> {
    let class_id = owned.class.class_id;
    let uid = member.user_id;
    let now = store::now();
    let db = &state.db;
    let (attempts, answers, stats, due, resets) = tokio::try_join!(
        // Every attempt, newest first.
        store::quiz::history(db, uid, i64::MAX),
        class_stats::learner_answers(db, uid),
        store::quiz::topic_stats(db, uid),
        store::quiz::due(db, uid, now),
        class_stats::topic_resets(db, uid),
    )?;
    let content = state.content();
    let course = &content.course;
    let questions = |slug: &str| content.quizzes.topic(slug).len() as i64;

    // Current mastery per topic (question_progress, as on the grid and on their /me).
    let stats: HashMap<&str, &store::quiz::TopicStats> =
        stats.iter().map(|s| (s.topic.as_str(), s)).collect();
    let current: Vec<(LearnerTopic, Mastery)> = course
        .topics
        .iter()
        .filter(|t| questions(&t.slug) > 0)
        .map(|t| {
            let s = stats.get(t.slug.as_str());
            let m = Mastery::of(s.map_or(0, |s| s.mastered), questions(&t.slug));
            let started = s.is_some_and(|s| s.seen > 0);
            let topic = LearnerTopic {
                title: t.title.clone(),
                href: analysis_href(class_id, &t.slug),
                mastered: m.mastered,
                questions: m.questions,
                share: if started {
                    format!("{}%", m.percent())
                } else {
                    crate::web::chrome::pick("未着手", "Not started").to_string()
                },
                class: m.level(started).class(),
            };
            (topic, m)
        })
        .collect();
    let overall = Mastery::sum(current.iter().map(|c| c.1));

    // Answers grouped by attempt, and the same answers in time order for the replay.
    let by_id: HashMap<i64, &store::quiz::Attempt> =
        attempts.iter().map(|a| (a.attempt_id, a)).collect();
    let mut grouped: HashMap<i64, Vec<AnswerView>> = HashMap::new();
    let mut replay: Vec<mastery::Answered> = Vec::with_capacity(answers.len());
    for row in &answers {
        let Some(a) = by_id.get(&row.attempt_id) else {
            continue;
        };
        let n = &row.answer;
        replay.push(mastery::Answered {
            at: a.created_at,
            question: &n.question_id,
            topic: &a.topic,
            correct: n.correct,
        });
        grouped
            .entry(row.attempt_id)
            .or_default()
            .push(answer_view(&state, n, a));
    }
    let attempt_views: Vec<AttemptView> = attempts
        .iter()
        .map(|a| AttemptView {
            when: jst::date_time(a.created_at),
            topic_title: topic_title(course, &a.topic),
            topic_href: analysis_href(class_id, &a.topic),
            score: format!("{} / {}", a.correct_count, a.question_count),
            duration: super::duration(a.duration_ms),
            answers: grouped.remove(&a.attempt_id).unwrap_or_default(),
        })
        .collect();

    // Mastery at the end of each of the last weeks, replayed from the answers.
    let snapshots: Vec<i64> = (0..TREND_WEEKS)
        .map(|k| now - (TREND_WEEKS - 1 - k) * 7 * DAY)
        .collect();
    let resets: Vec<mastery::Reset> = resets
        .iter()
        .map(|r| mastery::Reset {
            topic: &r.topic,
            at: r.reset_at,
        })
        .collect();
    let series = mastery::replay(&replay, &resets, &snapshots);
    let at = |snapshot: &HashMap<String, i64>, slug: &str| {
        Mastery::of(snapshot.get(slug).copied().unwrap_or(0), questions(slug))
    };
    let week_labels: Vec<String> = snapshots.iter().map(|&t| jst::month_day(t)).collect();
    // A topic's first answer: before it, the week's cell says "not started", not 0%.
    let mut first: HashMap<&str, i64> = HashMap::new();
    for r in &replay {
        first
            .entry(r.topic)
            .and_modify(|t| *t = (*t).min(r.at))
            .or_insert(r.at);
    }
    let trend: Vec<TrendRow> = course
        .topics
        .iter()
        .filter_map(|t| Some((t, *first.get(t.slug.as_str())?)))
        .map(|(t, started)| TrendRow {
            title: t.title.clone(),
            cells: series
                .iter()
                .zip(&snapshots)
                .map(|(s, &when)| {
                    if when < started {
                        "—".to_string()
                    } else {
                        format!("{}%", at(s, &t.slug).percent())
                    }
                })
                .collect(),
        })
        .collect();
    let overall_series: Vec<i64> = series
        .iter()
        .map(|s| Mastery::sum(course.topics.iter().map(|t| at(s, &t.slug))).percent())
        .collect();

    let due_rows = due
        .iter()
        .filter_map(|d| {
            content.quizzes.question(&d.question_id).map(|q| DueRow {
                topic_title: topic_title(course, &d.topic),
                label: question_label(q),
                box_number: d.box_number,
                due: super::date_ago(now, d.due_at),
                last_correct: d.last_correct,
            })
        })
        .collect();

    Ok(LearnerPage {
        layout,
        class_name: owned.class.name.clone(),
        class_href: class_href(class_id),
        display_name: display(&member.display_name, &member.name),
        name: member.name.clone(),
        joined: jst::date_time(member.joined_at),
        overall: overall.percent(),
        overall_mastered: overall.mastered,
        total_questions: overall.questions,
        remove_href: remove_href(class_id, uid),
        topics: current.into_iter().map(|c| c.0).collect(),
        trend_chart: charts::trend_chart(&overall_series, &week_labels),
        week_labels,
        trend,
        due: due_rows,
        attempts: attempt_views,
        answer_count: answers.len(),
    }
    .into_response())
}
