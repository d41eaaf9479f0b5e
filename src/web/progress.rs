//! A learner's progress: `/me` (per topic: seen, mastered, best and latest score, last activity, as a
//! course map coloured by mastery; overall bar; history), `/me/review` (the Leitner queue of what is due),
//! and resetting one topic (a confirmation page, then a POST with the CSRF token). A learner's classes are
//! on `/me` too: joining one with its code, and leaving one.

use crate::auth::Visitor;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::store;
use crate::web::extract::FormBody;
use crate::web::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/review", get(review))
        .route("/me/topics/{slug}/reset", get(reset_page).post(reset))
        .route("/me/classes/join", axum::routing::post(join_class))
        .route(
            "/me/classes/{class_id}/leave",
            axum::routing::post(leave_class),
        )
}

/// Unix seconds as Japan time, "2026-11-26 17:05".
pub fn format_jst(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let t = t.to_offset(offset);
            format!(
                "{}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => String::new(),
    }
}

/// The signed-in user's id, or a redirect to the login page that comes back here.
fn require_login(
    visitor: &Visitor,
    uri: &OriginalUri,
) -> std::result::Result<(i64, String), Redirect> {
    match &visitor.signed_in {
        Some(user) => Ok((user.user_id, user.name.clone())),
        None => Err(crate::web::auth::login_redirect(
            uri.0.path_and_query().map_or("/me", |p| p.as_str()),
        )),
    }
}

/// One topic on `/me`.
pub struct TopicRow {
    pub href: String,
    pub title: String,
    pub part: String,
    pub questions: usize,
    pub seen: i64,
    pub mastered: i64,
    pub mastery_percent: i64,
    /// 0–4, for the colour (with the number always written beside it).
    pub level: i64,
    pub best: String,
    pub latest: String,
    pub attempts: i64,
    pub last_activity: String,
    pub reset_href: String,
}

pub struct HistoryRow {
    pub href: String,
    pub topic_title: String,
    pub score: String,
    pub when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/me.html")]
pub struct MePage {
    pub layout: Layout,
    pub name: String,
    pub csrf: String,
    pub topics: Vec<TopicRow>,
    pub total_questions: usize,
    pub total_mastered: i64,
    pub total_seen: i64,
    pub overall_percent: i64,
    pub history: Vec<HistoryRow>,
    pub due: i64,
    /// The classes this learner belongs to.
    pub classes: Vec<ClassRow>,
}

/// A class on `/me`, with its leave form's target.
pub struct ClassRow {
    pub name: String,
    pub owner_name: String,
    pub joined: String,
    pub archived: bool,
    pub leave_action: String,
}

async fn me(
    State(state): State<AppState>,
    layout: Layout,
    visitor: Visitor,
    uri: OriginalUri,
) -> Result<Response> {
    let content = state.content();
    let (user_id, name) = match require_login(&visitor, &uri) {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    let stats: HashMap<String, store::quiz::TopicStats> =
        store::quiz::topic_stats(&state.db, user_id)
            .await?
            .into_iter()
            .map(|s| (s.topic.clone(), s))
            .collect();
    let course = &content.course;
    let mut topics = Vec::new();
    for t in &course.topics {
        let questions = content.quizzes.topic(&t.slug).len();
        let s = stats.get(&t.slug).cloned().unwrap_or_default();
        let mastery_percent = if questions == 0 {
            0
        } else {
            s.mastered * 100 / questions as i64
        };
        topics.push(TopicRow {
            href: format!("/topics/{}", t.slug),
            title: t.title.clone(),
            part: t.part.clone().unwrap_or_default(),
            questions,
            seen: s.seen,
            mastered: s.mastered,
            mastery_percent,
            level: if s.seen == 0 {
                0
            } else {
                1 + (mastery_percent * 3 / 100).min(3)
            },
            best: s.best.map_or("—".into(), |b| format!("{b}%")),
            latest: s.latest.map_or("—".into(), |b| format!("{b}%")),
            attempts: s.attempts,
            last_activity: s.last_at.map_or("—".into(), format_jst),
            reset_href: format!("/me/topics/{}/reset", t.slug),
        });
    }
    let total_questions = content.quizzes.len();
    let total_mastered: i64 = topics.iter().map(|t| t.mastered).sum();
    let total_seen: i64 = topics.iter().map(|t| t.seen).sum();
    let history = store::quiz::history(&state.db, user_id, 20)
        .await?
        .into_iter()
        .map(|a| HistoryRow {
            href: format!("/attempts/{}", a.attempt_id),
            topic_title: course
                .topic(&a.topic)
                .map_or(a.topic.clone(), |t| t.title.clone()),
            score: format!("{} / {}", a.correct_count, a.question_count),
            when: format_jst(a.created_at),
        })
        .collect();
    Ok(MePage {
        layout,
        name,
        csrf: visitor.csrf_token().await?,
        topics,
        total_questions,
        total_mastered,
        total_seen,
        overall_percent: if total_questions == 0 {
            0
        } else {
            total_mastered * 100 / total_questions as i64
        },
        history,
        due: store::quiz::due_count(&state.db, user_id, store::now()).await?,
        classes: store::classes::joined_with_owner(&state.db, user_id)
            .await?
            .into_iter()
            .map(|c| ClassRow {
                leave_action: format!("/me/classes/{}/leave", c.class_id),
                name: c.name,
                owner_name: c.owner_name,
                joined: format_jst(c.joined_at),
                archived: c.archived_at.is_some(),
            })
            .collect(),
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /me/classes/join`: joins the class with the typed code (unknown or archived: 404, nothing written;
/// wrong codes are throttled, 429).
async fn join_class(
    State(state): State<AppState>,
    visitor: Visitor,
    uri: OriginalUri,
    address: crate::web::auth::ClientAddress,
    FormBody(form): FormBody<JoinForm>,
) -> Result<Response> {
    let (user_id, _) = match require_login(&visitor, &uri) {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    visitor.verify_csrf(Some(&form.csrf)).await?;
    crate::web::instructor::join_with_code(&state, user_id, &address.0, &form.code).await?;
    Ok(Redirect::to("/me#classes").into_response())
}

/// `POST /me/classes/{class_id}/leave`: leaves a class the learner belongs to (404 otherwise).
async fn leave_class(
    State(state): State<AppState>,
    Path(class_id): Path<String>,
    visitor: Visitor,
    uri: OriginalUri,
    FormBody(form): FormBody<ResetForm>,
) -> Result<Response> {
    let (user_id, _) = match require_login(&visitor, &uri) {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    visitor.verify_csrf(Some(&form.csrf)).await?;
    let class_id: i64 = class_id.parse().map_err(|_| AppError::NotFound)?;
    if !store::classes::is_member(&state.db, class_id, user_id).await? {
        return Err(AppError::NotFound);
    }
    store::classes::leave(&state.db, class_id, user_id).await?;
    tracing::info!(user.id = user_id, class.id = class_id, "left class");
    Ok(Redirect::to("/me#classes").into_response())
}

pub struct ReviewGroup {
    pub title: String,
    pub href: String,
    pub quiz_href: String,
    pub questions: Vec<(String, i64, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub groups: Vec<ReviewGroup>,
    pub total: usize,
}

async fn review(
    State(state): State<AppState>,
    layout: Layout,
    visitor: Visitor,
    uri: OriginalUri,
) -> Result<Response> {
    let content = state.content();
    let (user_id, _) = match require_login(&visitor, &uri) {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    let due = store::quiz::due(&state.db, user_id, store::now()).await?;
    let mut groups: Vec<ReviewGroup> = Vec::new();
    for t in &content.course.topics {
        let here: Vec<&store::quiz::Due> = due
            .iter()
            .filter(|d| d.topic == t.slug && content.quizzes.question(&d.question_id).is_some())
            .collect();
        if here.is_empty() {
            continue;
        }
        groups.push(ReviewGroup {
            title: t.title.clone(),
            href: format!("/topics/{}", t.slug),
            quiz_href: format!(
                "/topics/{}/quiz?only={}",
                t.slug,
                here.iter()
                    .map(|d| d.question_id.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            questions: here
                .iter()
                .filter_map(|d| {
                    content
                        .quizzes
                        .question(&d.question_id)
                        .map(|q| (question_label(q), d.box_number, d.last_correct))
                })
                .collect(),
        });
    }
    let total = groups.iter().map(|g| g.questions.len()).sum();
    Ok(ReviewPage {
        layout,
        groups,
        total,
    }
    .into_response())
}

/// A short label for a question in lists.
fn question_label(q: &crate::quiz::bank::Question) -> String {
    let text = if q.prompt.is_empty() {
        "（数値が毎回変わる問題）".to_string()
    } else {
        q.prompt.clone()
    };
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/reset.html")]
pub struct ResetPage {
    pub layout: Layout,
    pub csrf: String,
    pub slug: String,
    pub title: String,
}

async fn reset_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    layout: Layout,
    visitor: Visitor,
    uri: OriginalUri,
) -> Result<Response> {
    let content = state.content();
    if let Err(redirect) = require_login(&visitor, &uri) {
        return Ok(redirect.into_response());
    }
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    Ok(ResetPage {
        layout,
        csrf: visitor.csrf_token().await?,
        slug: topic.slug.clone(),
        title: topic.title.clone(),
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
}

async fn reset(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    visitor: Visitor,
    uri: OriginalUri,
    FormBody(form): FormBody<ResetForm>,
) -> Result<Response> {
    let content = state.content();
    let (user_id, _) = match require_login(&visitor, &uri) {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    visitor.verify_csrf(Some(&form.csrf)).await?;
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    store::quiz::reset_topic(&state.db, user_id, &topic.slug, store::now()).await?;
    tracing::info!(user.id = user_id, quiz.topic = %topic.slug, "topic progress reset");
    Ok(Redirect::to("/me").into_response())
}
