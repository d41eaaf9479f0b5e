//! Taking a quiz: `GET /topics/{slug}/quiz` shows the questions (never the key), `POST` grades them on the
//! server and stores the attempt, every answer and the progress in one transaction, then redirects to
//! `GET /attempts/{id}`, the results page that teaches. A form submitted twice is stored once.

use crate::auth::{self, Visitor};
use crate::error::{AppError, Result};
use crate::quiz::bank::Question;
use crate::quiz::grade::{self, Response as Answered};
use crate::quiz::present::{self, Form};
use crate::state::AppState;
use crate::store::{self, quiz::NewAnswer, quiz::NewAttempt, quiz::Recorded};

use crate::web::extract::FormBody;
use crate::web::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;

/// Most questions one attempt may carry.
const MAX_QUESTIONS: usize = 60;
/// Longest accepted answer text.
const MAX_ANSWER_CHARS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/topics/{slug}/quiz", get(quiz_page).post(submit))
        .route("/attempts/{id}", get(results))
}

/// A question as the page shows it.
pub struct QuestionView {
    pub id: String,
    pub number: usize,
    pub prompt: String,
    pub kind: &'static str,
    /// (bank index, text), in display order: options, or items to order.
    pub choices: Vec<(usize, String)>,
    pub unit: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/take.html")]
pub struct QuizPage {
    pub layout: Layout,
    pub slug: String,
    pub topic_title: String,
    pub csrf: String,
    pub token: String,
    pub seed: String,
    pub started_ms: i64,
    pub ids: String,
    pub questions: Vec<QuestionView>,
    pub retry: bool,
    pub signed_in: bool,
}

#[derive(Deserialize)]
pub struct QuizParams {
    /// Comma-separated question ids: retry only these.
    only: Option<String>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn view(q: &Question, number: usize, seed: u64) -> QuestionView {
    let p = present::present(q, number, seed);
    let (kind, choices, unit) = match p.form {
        Form::Single { options } => ("single", options, String::new()),
        Form::Multiple { options } => ("multiple", options, String::new()),
        Form::Order { items } => ("order", items, String::new()),
        Form::Numeric { unit } => ("numeric", Vec::new(), unit),
        Form::Text => ("text", Vec::new(), String::new()),
    };
    QuestionView {
        id: p.id,
        number,
        prompt: p.prompt,
        kind,
        choices,
        unit,
    }
}

async fn quiz_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<QuizParams>,
    layout: Layout,
    visitor: Visitor,
) -> Result<Response> {
    let topic = state.course.topic(&slug).ok_or(AppError::NotFound)?;
    let all = state.quizzes.topic(&slug);
    if all.is_empty() {
        return Err(AppError::NotFound);
    }
    let only: Vec<&str> = params
        .only
        .as_deref()
        .map(|o| o.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut chosen: Vec<&Question> = all
        .iter()
        .filter(|q| only.contains(&q.id.as_str()))
        .collect();
    let retry = !chosen.is_empty();
    if chosen.is_empty() {
        chosen = all.iter().collect();
    }
    let seed = auth::random_u64()?;
    Ok(QuizPage {
        layout,
        slug: topic.slug.clone(),
        topic_title: topic.title.clone(),
        csrf: visitor.csrf_token().await?,
        token: auth::random_token()?,
        seed: seed.to_string(),
        started_ms: now_ms(),
        ids: chosen
            .iter()
            .map(|q| q.id.as_str())
            .collect::<Vec<_>>()
            .join(","),
        questions: chosen
            .iter()
            .enumerate()
            .map(|(i, q)| view(q, i + 1, seed))
            .collect(),
        retry,
        signed_in: visitor.signed_in.is_some(),
    }
    .into_response())
}

fn unprocessable(message: impl Into<String>) -> AppError {
    AppError::Invalid {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: message.into(),
    }
}

/// Reads one question's response from the submitted fields.
fn response_for(q: &Question, fields: &HashMap<&str, Vec<&str>>) -> Result<Answered> {
    let values = |key: String| fields.get(key.as_str()).cloned().unwrap_or_default();
    let answer_key = format!("a.{}", q.id);
    let too_long = |v: &&str| v.chars().count() > MAX_ANSWER_CHARS;
    if values(answer_key.clone()).iter().any(too_long) {
        return Err(unprocessable(format!(
            "問題 {} の答えが長すぎます（{MAX_ANSWER_CHARS} 文字まで）。",
            q.id
        )));
    }
    Ok(match q.kind.name() {
        "single" | "multiple" => {
            let given = values(answer_key);
            if given.is_empty() {
                return Ok(Answered::Blank);
            }
            let indices = given
                .iter()
                .map(|v| {
                    v.parse::<usize>().map_err(|_| {
                        unprocessable(format!("問題 {} の選択肢の値が正しくありません。", q.id))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Answered::Choice(indices)
        }
        "order" => {
            let crate::quiz::bank::Kind::Order { items, .. } = &q.kind else {
                return Ok(Answered::Blank);
            };
            let mut ranked = Vec::with_capacity(items.len());
            for i in 0..items.len() {
                let position = values(format!("o.{}.{i}", q.id))
                    .first()
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or_else(|| {
                        unprocessable(format!(
                            "問題 {} の並べ替えで、すべての項目の順番を選んでください。",
                            q.id
                        ))
                    })?;
                ranked.push((position, i));
            }
            ranked.sort_unstable();
            if ranked
                .iter()
                .enumerate()
                .any(|(k, (position, _))| *position != k + 1)
            {
                return Err(unprocessable(format!(
                    "問題 {} の並べ替えで、1 から {} の番号を一度ずつ使ってください。",
                    q.id,
                    items.len()
                )));
            }
            Answered::Order(ranked.into_iter().map(|(_, i)| i).collect())
        }
        _ => match values(answer_key).first() {
            Some(v) if !v.trim().is_empty() => Answered::Text(v.to_string()),
            _ => Answered::Blank,
        },
    })
}

async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    visitor: Visitor,
    FormBody(pairs): FormBody<Vec<(String, String)>>,
) -> Result<Response> {
    let topic = state.course.topic(&slug).ok_or(AppError::NotFound)?;
    let mut fields: HashMap<&str, Vec<&str>> = HashMap::new();
    for (k, v) in &pairs {
        fields.entry(k.as_str()).or_default().push(v.as_str());
    }
    let one = |key: &str| fields.get(key).and_then(|v| v.first().copied());
    visitor.verify_csrf(one("csrf")).await?;

    let token = one("token").filter(|t| auth::is_token(t)).ok_or_else(|| {
        AppError::bad_request(
            "フォームの識別子が正しくありません。クイズのページを開き直してください。",
        )
    })?;
    let seed: u64 = one("seed")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::bad_request("フォームの内容が正しくありません（seed）。"))?;
    let started: i64 = one("started")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(now_ms);
    let ids: Vec<&str> = one("q")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > MAX_QUESTIONS {
        return Err(AppError::bad_request(
            "問題の一覧がありません。クイズのページを開き直してください。",
        ));
    }
    let mut questions = Vec::with_capacity(ids.len());
    for id in &ids {
        match state.quizzes.question(id) {
            Some(q) if q.topic == topic.slug => questions.push(q),
            _ => {
                return Err(AppError::Invalid {
                    status: StatusCode::NOT_FOUND,
                    message: format!(
                        "問題「{}」はこのトピックにありません。",
                        id.chars().take(40).collect::<String>()
                    ),
                });
            }
        }
    }

    // Grade everything before writing anything: one bad answer rejects the whole submission.
    let duration_ms = (now_ms() - started).clamp(0, 24 * 3600 * 1000);
    let even_share = duration_ms / questions.len() as i64;
    let mut answers = Vec::with_capacity(questions.len());
    for (position, q) in questions.iter().enumerate() {
        let response = response_for(q, &fields)?;
        let graded = grade::grade(q, seed, &response).map_err(|e| unprocessable(e.0))?;
        let time_ms = one(&format!("t.{}", q.id))
            .and_then(|t| t.parse::<i64>().ok())
            .map_or(even_share, |t| t.clamp(0, 3_600_000));
        answers.push(NewAnswer {
            question_id: q.id.clone(),
            position: position as i64,
            response: serde_json::to_string(&response).map_err(|e| AppError::Other(e.into()))?,
            correct: graded.correct,
            misconception: graded.misconception,
            time_ms,
        });
    }

    let owner = visitor.owner_id(&state).await?;
    let attempt = NewAttempt {
        token: token.to_string(),
        user_id: owner,
        topic: topic.slug.clone(),
        seed: seed as i64,
        duration_ms,
        answers,
        now: store::now(),
    };
    let correct = attempt.answers.iter().filter(|a| a.correct).count();
    let recorded = state.attempts.record(attempt).await?;
    let attempt_id = match recorded {
        Recorded::New(id) => {
            tracing::info!(user.id = owner, quiz.topic = %topic.slug, attempt.id = id, correct, "attempt recorded");
            id
        }
        Recorded::Duplicate {
            attempt_id,
            user_id,
        } if user_id == owner => attempt_id,
        Recorded::Duplicate { .. } => {
            return Err(AppError::Conflict(
                "このクイズはすでに送信されています。".to_string(),
            ));
        }
    };
    Ok(Redirect::to(&format!("/attempts/{attempt_id}")).into_response())
}

/// One question's outcome on the results page.
pub struct ResultView {
    pub number: usize,
    pub prompt: String,
    pub correct: bool,
    pub given: String,
    pub expected: String,
    pub why_wrong: Vec<String>,
    pub explanation: String,
    pub source: String,
    pub notes_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/results.html")]
pub struct ResultsPage {
    pub layout: Layout,
    pub slug: String,
    pub topic_title: String,
    pub correct: usize,
    pub total: usize,
    pub percent: usize,
    pub items: Vec<ResultView>,
    pub retry_href: Option<String>,
    pub is_guest: bool,
    pub attempt_id: i64,
}

async fn results(
    State(state): State<AppState>,
    Path(id): Path<String>,
    layout: Layout,
    visitor: Visitor,
) -> Result<Response> {
    let attempt_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let attempt = store::quiz::attempt(&state.db, attempt_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Someone else's attempt is simply not there, for this visitor.
    if visitor.viewer_id().await? != Some(attempt.user_id) {
        return Err(AppError::NotFound);
    }
    let topic = state
        .course
        .topic(&attempt.topic)
        .ok_or(AppError::NotFound)?;
    let seed = attempt.seed as u64;
    let mut items = Vec::new();
    let mut missed = Vec::new();
    for (i, answer) in store::quiz::answers(&state.db, attempt_id)
        .await?
        .into_iter()
        .enumerate()
    {
        let Some(q) = state.quizzes.question(&answer.question_id) else {
            continue;
        };
        let response: Answered = serde_json::from_str(&answer.response).unwrap_or(Answered::Blank);
        let Ok(graded) = grade::grade(q, seed, &response) else {
            continue;
        };
        if !answer.correct {
            missed.push(q.id.clone());
        }
        items.push(ResultView {
            number: i + 1,
            prompt: present::present(q, i + 1, seed).prompt,
            correct: answer.correct,
            given: graded.given,
            expected: graded.expected,
            why_wrong: graded.why_wrong,
            explanation: graded.explanation,
            source: q.source.clone(),
            notes_href: match &q.section {
                Some(section) => format!("/topics/{}#{section}", topic.slug),
                None => format!("/topics/{}", topic.slug),
            },
        });
    }
    let correct = items.iter().filter(|i| i.correct).count();
    let total = items.len();
    Ok(ResultsPage {
        layout,
        slug: topic.slug.clone(),
        topic_title: topic.title.clone(),
        correct,
        total,
        percent: (correct * 100).checked_div(total).unwrap_or(0),
        items,
        retry_href: (!missed.is_empty())
            .then(|| format!("/topics/{}/quiz?only={}", topic.slug, missed.join(","))),
        is_guest: visitor.signed_in.is_none(),
        attempt_id,
    }
    .into_response())
}
