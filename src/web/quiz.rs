//! Taking a quiz: `GET /topics/{slug}/quiz` shows the questions (never the key, nor anything it can be
//! derived from: options are opaque per-attempt tokens, and what the server chose travels sealed, see
//! `quiz::form`), `POST` grades them on the server and stores the attempt, every answer and the progress
//! in one transaction, then redirects to `GET /attempts/{id}`, the results page that teaches. A form
//! submitted twice is stored once; a form that names fields the server did not issue is refused.

use crate::quiz::bank::{Kind, Question};
use crate::quiz::form::AttemptForm;
use crate::quiz::grade::{self, Response as Answered};
use crate::quiz::present::{self, Form};
use crate::store::{self, quiz::NewAnswer, quiz::NewAttempt, quiz::Recorded};
use crate::web::chrome::{pick, pick_with};
use crate::web::error::{AppError, Result};
use crate::web::state::AppState;
use crate::web::visitor::Visitor;

use crate::web::extract::{CsrfForm, KnownTopic};
use crate::web::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;

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
    /// (this attempt's token, text), in display order: options, or items to order.
    pub choices: Vec<(String, String)>,
    pub unit: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/take.html")]
pub struct QuizPage {
    pub layout: Layout,
    pub slug: String,
    pub topic_title: String,
    pub csrf: String,
    /// The sealed form: what the server chose for this attempt.
    pub token: String,
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

fn view(q: &Question, number: usize, form: &AttemptForm) -> QuestionView {
    let p = present::present(q, number, form.seed());
    let (kind, choices, unit) = match p.form {
        Form::Single { options } => ("single", options, String::new()),
        Form::Multiple { options } => ("multiple", options, String::new()),
        Form::Order { items } => ("order", items, String::new()),
        Form::Numeric { unit } => ("numeric", Vec::new(), unit),
        Form::Text => ("text", Vec::new(), String::new()),
    };
    QuestionView {
        choices: choices
            .into_iter()
            .map(|(index, text)| (form.choice_token(&p.id, index), text))
            .collect(),
        id: p.id,
        number,
        prompt: p.prompt,
        kind,
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
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    let all = content.quizzes.topic(&slug);
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
    let ids: Vec<&str> = chosen.iter().map(|q| q.id.as_str()).collect();
    let form = state
        .quiz_forms
        .issue(&topic.slug, &ids, now_ms())
        .map_err(|e| AppError::Other(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(QuizPage {
        layout,
        slug: topic.slug.clone(),
        topic_title: topic.title.clone(),
        csrf: visitor.csrf_token().await?,
        token: form.sealed(),
        questions: chosen
            .iter()
            .enumerate()
            .map(|(i, q)| view(q, i + 1, &form))
            .collect(),
        retry,
        signed_in: visitor.signed_in.is_some(),
    }
    .into_response())
}

/// The message for a form the server did not issue, or issued differently.
fn not_issued() -> &'static str {
    pick(
        "このフォームはサーバーが出したものと一致しません。クイズのページを開き直して、もう一度解答してください。",
        "This form is not the one the server issued. Open the quiz page again and answer once more.",
    )
}

/// The posted fields of one attempt, grouped per question, after checking that every field is one the
/// server's form has: `csrf`, `token`, and `a.<id>` / `o.<id>.<item>` / `t.<id>` for the attempt's
/// questions. Anything else — a `seed`, a question list, another topic's question — is refused.
struct Posted<'a> {
    /// `a.<id>` values per question.
    answers: HashMap<&'a str, Vec<&'a str>>,
    /// `o.<id>.<item token>` → position, per question.
    orders: HashMap<&'a str, Vec<(&'a str, &'a str)>>,
    /// `t.<id>`: milliseconds the page measured on the question.
    times: HashMap<&'a str, &'a str>,
}

/// A field name cut for an error message (it comes from the client).
fn shown(name: &str) -> String {
    name.chars().take(40).collect()
}

fn sort_fields<'a>(form: &AttemptForm, pairs: &'a [(String, String)]) -> Result<Posted<'a>> {
    let mut posted = Posted {
        answers: HashMap::new(),
        orders: HashMap::new(),
        times: HashMap::new(),
    };
    let refused = |name: &str| {
        AppError::bad_request(pick_with(
            || {
                format!(
                    "フォームに、このクイズにない項目「{}」があります。クイズのページを開き直してください。",
                    shown(name)
                )
            },
            || {
                format!(
                    "The form has a field “{}” this quiz does not. Open the quiz page again.",
                    shown(name)
                )
            },
        ))
    };
    let (mut csrf, mut token) = (0, 0);
    for (name, value) in pairs {
        let in_attempt = |id: &str| form.has_question(id);
        if name == "csrf" {
            csrf += 1;
        } else if name == "token" {
            token += 1;
        } else if let Some(id) = name.strip_prefix("a.").filter(|id| in_attempt(id)) {
            posted.answers.entry(id).or_default().push(value);
        } else if let Some((id, item)) = name
            .strip_prefix("o.")
            .and_then(|rest| rest.split_once('.'))
            .filter(|(id, _)| in_attempt(id))
        {
            posted.orders.entry(id).or_default().push((item, value));
        } else if let Some(id) = name.strip_prefix("t.").filter(|id| in_attempt(id)) {
            if posted.times.insert(id, value).is_some() {
                return Err(refused(name));
            }
        } else {
            return Err(refused(name));
        }
    }
    if csrf > 1 || token > 1 {
        return Err(AppError::bad_request(not_issued()));
    }
    Ok(posted)
}

/// Reads one question's response from its posted fields, mapping the attempt's tokens back to bank indices.
fn response_for(q: &Question, form: &AttemptForm, posted: &Posted) -> Result<Answered> {
    let given = posted
        .answers
        .get(q.id.as_str())
        .cloned()
        .unwrap_or_default();
    if given.iter().any(|v| v.chars().count() > MAX_ANSWER_CHARS) {
        return Err(AppError::unprocessable(pick_with(
            || {
                format!(
                    "問題 {} の答えが長すぎます（{MAX_ANSWER_CHARS} 文字まで）。",
                    q.id
                )
            },
            || {
                format!(
                    "The answer to {} is too long (at most {MAX_ANSWER_CHARS} characters).",
                    q.id
                )
            },
        )));
    }
    let one_answer = || {
        if given.len() > 1 {
            Err(AppError::unprocessable(pick_with(
                || {
                    format!(
                        "問題 {} に答えが {} つ送られました。一つだけ答えてください。",
                        q.id,
                        given.len()
                    )
                },
                || format!("{} answers were sent for {}: send one.", given.len(), q.id),
            )))
        } else {
            Ok(given.first().copied())
        }
    };
    Ok(match &q.kind {
        Kind::Single { options } | Kind::Multiple { options } => {
            if matches!(q.kind, Kind::Single { .. }) {
                one_answer()?;
            }
            if given.is_empty() {
                return Ok(Answered::Blank);
            }
            let mut indices = Vec::with_capacity(given.len());
            for value in &given {
                let index = form
                    .choice_index(&q.id, options.len(), value)
                    .ok_or_else(|| {
                        AppError::unprocessable(pick_with(
                            || format!("問題 {} の選択肢の値が正しくありません。", q.id),
                            || format!("An option sent for {} is not one of its options.", q.id),
                        ))
                    })?;
                if indices.contains(&index) {
                    return Err(AppError::unprocessable(pick_with(
                        || format!("問題 {} で同じ選択肢が 2 回送られました。", q.id),
                        || format!("The same option was sent twice for {}.", q.id),
                    )));
                }
                indices.push(index);
            }
            Answered::Choice(indices)
        }
        Kind::Order { items, .. } => {
            let sent = posted
                .orders
                .get(q.id.as_str())
                .cloned()
                .unwrap_or_default();
            let incomplete = || {
                AppError::unprocessable(pick_with(
                    || {
                        format!(
                            "問題 {} の並べ替えで、すべての項目の順番を選んでください。",
                            q.id
                        )
                    },
                    || format!("In {}, give every item its position.", q.id),
                ))
            };
            if sent.len() != items.len() {
                return Err(incomplete());
            }
            let mut ranked = Vec::with_capacity(items.len());
            for (item, position) in sent {
                let index = form
                    .choice_index(&q.id, items.len(), item)
                    .ok_or_else(incomplete)?;
                let position = position.parse::<usize>().map_err(|_| incomplete())?;
                ranked.push((position, index));
            }
            ranked.sort_unstable();
            let mut seen = vec![false; items.len()];
            for (k, (position, index)) in ranked.iter().enumerate() {
                if *position != k + 1 || std::mem::replace(&mut seen[*index], true) {
                    return Err(AppError::unprocessable(pick_with(
                        || {
                            format!(
                                "問題 {} の並べ替えで、1 から {} の番号を一度ずつ使ってください。",
                                q.id,
                                items.len()
                            )
                        },
                        || {
                            format!(
                                "In {}, use each position from 1 to {} once.",
                                q.id,
                                items.len()
                            )
                        },
                    )));
                }
            }
            Answered::Order(ranked.into_iter().map(|(_, i)| i).collect())
        }
        Kind::Numeric { .. } | Kind::Text { .. } | Kind::Generated { .. } => match one_answer()? {
            Some(v) if !v.trim().is_empty() => Answered::Text(v.to_string()),
            _ => Answered::Blank,
        },
    })
}

/// `POST /topics/{slug}/quiz`. The field names carry question ids, so the form is read as pairs (its
/// CSRF token checked on the way in, like every form) and sorted against the sealed form it names.
async fn submit(
    State(state): State<AppState>,
    KnownTopic(slug): KnownTopic,
    visitor: Visitor,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response> {
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    let sealed = pairs
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| {
            AppError::bad_request(pick(
                "フォームの識別子がありません。クイズのページを開き直してください。",
                "The form has no token. Open the quiz page again.",
            ))
        })?;
    let form = state.quiz_forms.open(sealed).map_err(|e| {
        tracing::warn!(quiz.topic = %topic.slug, reason = %e, "quiz form refused");
        AppError::bad_request(not_issued())
    })?;
    if form.topic != topic.slug || form.question_ids.is_empty() {
        return Err(AppError::bad_request(not_issued()));
    }
    let posted = sort_fields(&form, &pairs)?;
    let mut questions = Vec::with_capacity(form.question_ids.len());
    for id in &form.question_ids {
        match content.quizzes.question(id) {
            Some(q) if q.topic == topic.slug => questions.push(q),
            // The banks changed since the page was served (a new release).
            _ => {
                return Err(AppError::Conflict(
                    pick(
                        "クイズの問題が更新されました。クイズのページを開き直してください。",
                        "The quiz's questions have changed. Open the quiz page again.",
                    )
                    .to_string(),
                ));
            }
        }
    }

    // Grade everything before writing anything: one bad answer rejects the whole submission.
    let seed = form.seed();
    let duration_ms = (now_ms() - form.issued_ms).clamp(0, 24 * 3600 * 1000);
    let even_share = duration_ms / questions.len() as i64;
    let mut answers = Vec::with_capacity(questions.len());
    for (position, q) in questions.iter().enumerate() {
        let response = response_for(q, &form, &posted)?;
        let graded = grade::grade(q, seed, &response).map_err(|e| AppError::unprocessable(e.0))?;
        // The page's own measure, never more than the whole attempt took.
        let time_ms = posted
            .times
            .get(q.id.as_str())
            .and_then(|t| t.parse::<i64>().ok())
            .map_or(even_share, |t| t.clamp(0, duration_ms));
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
        token: form.token(),
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
                pick(
                    "このクイズはすでに送信されています。",
                    "This quiz has already been sent.",
                )
                .to_string(),
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
    pub percent: i64,
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
    let content = state.content();
    let attempt_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let attempt = store::quiz::attempt(&state.db, attempt_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Someone else's attempt is simply not there, for this visitor.
    if visitor.viewer_id().await? != Some(attempt.user_id) {
        return Err(AppError::NotFound);
    }
    let topic = content
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
        let Some(q) = content.quizzes.question(&answer.question_id) else {
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
        percent: crate::quiz::mastery::percent(correct as i64, total as i64),
        items,
        retry_href: (!missed.is_empty())
            .then(|| format!("/topics/{}/quiz?only={}", topic.slug, missed.join(","))),
        is_guest: visitor.signed_in.is_none(),
        attempt_id,
    }
    .into_response())
}
