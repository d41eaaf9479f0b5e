//! A learner's progress: `/me` (per topic: seen, mastered, best and latest score, last activity, as a
//! course map coloured by mastery; overall bar; history; the review loop is `web::review`),
//! and resetting one topic (a confirmation page, then a POST with the CSRF token). A learner's classes are
//! on `/me` too: joining one with its code, and leaving one.

use crate::jst;
use crate::quiz::mastery::{Level, Mastery};
use crate::store;
use crate::web::auth::ClientAddress;
use crate::web::error::{AppError, Result};
use crate::web::extract::{CsrfForm, KnownTopic};
use crate::web::guards::SignedInUser;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/topics/{slug}/reset", get(reset_page).post(reset))
        .route("/me/classes/join", axum::routing::post(join_class))
        .route(
            "/me/classes/{class_id}/leave",
            axum::routing::post(leave_class),
        )
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
    /// The colour step (`quiz::mastery`, the instructor's grid uses the same); the number is written too.
    pub level: Level,
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
    pub total_questions: i64,
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

/// `GET /me`: per topic, questions seen and mastered (`quiz::mastery`), best and latest score, attempts
/// and last activity; overall mastery; the last attempts; the learner's classes.
async fn me(user: SignedInUser, State(state): State<AppState>, layout: Layout) -> Result<Response> {
    let user_id = user.user_id;
    let content = state.content();
    let summary = store::me::summary(&state.db, user_id, 20, store::now()).await?;
    let stats: HashMap<String, store::quiz::TopicStats> = summary
        .stats
        .into_iter()
        .map(|s| (s.topic.clone(), s))
        .collect();
    let course = &content.course;
    let mut topics = Vec::new();
    let mut per_topic = Vec::new();
    for t in &course.topics {
        let questions = content.quizzes.topic(&t.slug).len();
        let s = stats.get(&t.slug).cloned().unwrap_or_default();
        let mastery = Mastery::of(s.mastered, questions as i64);
        per_topic.push(mastery);
        topics.push(TopicRow {
            href: format!("/topics/{}", t.slug),
            title: t.title.clone(),
            part: t.part.clone().unwrap_or_default(),
            questions,
            seen: s.seen,
            mastered: mastery.mastered,
            mastery_percent: mastery.percent(),
            level: mastery.level(s.seen > 0),
            best: s.best.map_or("—".into(), |b| format!("{b}%")),
            latest: s.latest.map_or("—".into(), |b| format!("{b}%")),
            attempts: s.attempts,
            last_activity: s.last_at.map_or("—".into(), jst::date_time),
            reset_href: format!("/me/topics/{}/reset", t.slug),
        });
    }
    let overall = Mastery::sum(per_topic);
    let total_seen: i64 = topics.iter().map(|t| t.seen).sum();
    let history = summary
        .history
        .into_iter()
        .map(|a| HistoryRow {
            href: format!("/attempts/{}", a.attempt_id),
            topic_title: course
                .topic(&a.topic)
                .map_or(a.topic.clone(), |t| t.title.clone()),
            score: a.points(),
            when: jst::date_time(a.created_at),
        })
        .collect();
    Ok(MePage {
        layout,
        name: user.name,
        csrf: user.visitor.csrf_token().await?,
        topics,
        total_questions: overall.questions,
        total_mastered: overall.mastered,
        total_seen,
        overall_percent: overall.percent(),
        history,
        due: summary.due,
        classes: summary
            .classes
            .into_iter()
            .map(|c| ClassRow {
                leave_action: format!("/me/classes/{}/leave", c.class_id),
                name: c.name,
                owner_name: c.owner_name,
                joined: jst::date_time(c.joined_at),
                archived: c.archived_at.is_some(),
            })
            .collect(),
    }
    .into_response())
}

/// A signed-in reader's progress per topic with a quiz, for the course navigation (the course map and
/// the topic pages' sidebar): the same mastery rule and colour step as `/me`. Read with the session
/// where the route asked for it (`session_store::with_topic_mastery`).
pub async fn nav_progress(
    state: &AppState,
    visitor: &crate::web::visitor::Visitor,
) -> Result<HashMap<String, crate::web::layout::NavProgress>> {
    let content = state.content();
    let mastery: HashMap<String, store::me::TopicMastery> = visitor
        .topic_mastery(state)
        .await?
        .into_iter()
        .map(|m| (m.topic.clone(), m))
        .collect();
    Ok(content
        .course
        .topics
        .iter()
        .filter_map(|t| {
            let questions = content.quizzes.topic(&t.slug).len() as i64;
            if questions == 0 {
                return None;
            }
            let (seen, mastered) = mastery
                .get(&t.slug)
                .map_or((0, 0), |m| (m.seen, m.mastered));
            let progress =
                crate::web::layout::NavProgress::new(Mastery::of(mastered, questions), seen > 0);
            Some((t.slug.clone(), progress))
        })
        .collect())
}

/// The join form on `/me`.
#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    code: String,
}

/// `POST /me/classes/join`: joins the class with the typed code (unknown or archived: 404, nothing written;
/// wrong codes are throttled, 429).
async fn join_class(
    user: SignedInUser,
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    CsrfForm(form): CsrfForm<JoinForm>,
) -> Result<Response> {
    crate::web::instructor::join::join_with_code(&state, user.user_id, &address, &form.code)
        .await?;
    Ok(Redirect::to("/me#classes").into_response())
}

/// `POST /me/classes/{class_id}/leave`: leaves a class the learner belongs to (404 otherwise).
async fn leave_class(
    user: SignedInUser,
    State(state): State<AppState>,
    Path(class_id): Path<String>,
    _: CsrfForm,
) -> Result<Response> {
    let user_id = user.user_id;
    let class_id: i64 = class_id.parse().map_err(|_| AppError::NotFound)?;
    if !store::classes::is_member(&state.db, class_id, user_id).await? {
        return Err(AppError::NotFound);
    }
    store::classes::leave(&state.db, class_id, user_id).await?;
    tracing::info!(user.id = user_id, class.id = class_id, "left class");
    Ok(Redirect::to("/me#classes").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/reset.html")]
pub struct ResetPage {
    pub layout: Layout,
    pub csrf: String,
    pub slug: String,
    pub title: String,
}

/// `GET /me/topics/{slug}/reset`: the confirmation before a topic's progress is reset.
async fn reset_page(
    user: SignedInUser,
    State(state): State<AppState>,
    KnownTopic(slug): KnownTopic,
    layout: Layout,
) -> Result<Response> {
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    Ok(ResetPage {
        layout,
        csrf: user.visitor.csrf_token().await?,
        slug: topic.slug.clone(),
        title: topic.title.clone(),
    }
    .into_response())
}

/// `POST /me/topics/{slug}/reset`: empties the topic's review boxes; its attempts stay in the history.
async fn reset(
    user: SignedInUser,
    State(state): State<AppState>,
    KnownTopic(slug): KnownTopic,
    _: CsrfForm,
) -> Result<Response> {
    store::quiz::reset_topic(&state.db, user.user_id, &slug, store::now()).await?;
    tracing::info!(user.id = user.user_id, quiz.topic = %slug, "topic progress reset");
    Ok(Redirect::to("/me").into_response())
}
