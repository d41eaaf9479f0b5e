//! Taking a quiz: `GET /topics/{slug}/quiz` shows the questions (never the key, nor anything it can be
//! derived from: options are opaque per-attempt tokens, and what the server chose travels sealed, see
//! `quiz::form`), `POST` grades them on the server and stores the attempt, every answer and the progress
//! in one transaction, then redirects to `GET /attempts/{id}`, the results page that teaches. A form
//! submitted twice is stored once; a form that names fields the server did not issue is refused.
//!
//! Unanswered questions are never graded silently: a post with some left blank (an ordering left at its
//! "—" positions included) comes back as the same form, filled in as sent, with a summary of what is
//! unanswered and a button that submits anyway (`confirm_blank`); the page's script asks the same
//! question before sending. A post with nothing answered stores nothing. With JavaScript, each question
//! also has a "確認" button (`check`): its feedback at once, the first answer kept for the attempt.

pub mod check;
pub(crate) mod posted;

use crate::quiz::bank::Question;
use crate::quiz::form::{AttemptForm, Purpose};
use crate::quiz::grade::{self, Response as Answered};
use crate::quiz::present::{self, Form};
use crate::store::{self, quiz::NewAnswer, quiz::NewAttempt, quiz::Recorded};
use crate::web::chrome::{self, pick};
use crate::web::error::{AppError, Result};
use crate::web::state::{AppState, Snapshot};
use crate::web::visitor::Visitor;
use posted::{Posted, open_form, response_for, sort_fields};

use crate::web::extract::{CsrfForm, KnownTopic};
use crate::web::layout::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// The field a post carries to say "grade it with the unanswered questions left blank".
pub(crate) const CONFIRM_BLANK: &str = "confirm_blank";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/topics/{slug}/quiz", get(quiz_page).post(submit))
        .route("/topics/{slug}/quiz/check", post(check::check))
        .route("/attempts/{id}", get(results))
}

/// Whether pages are written in English (the course's language).
pub(crate) fn english() -> bool {
    chrome::current() == crate::content::Language::En
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
    /// How the question earns partial credit, if it can (`quiz::grade::credit_rule`).
    pub rule: Option<&'static str>,
    /// Tokens of the options already chosen (a form sent back for confirmation).
    pub chosen: Vec<String>,
    /// The text already typed.
    pub typed: String,
    /// The position already chosen for each item, in display order (0: none).
    pub positions: Vec<usize>,
    /// Left unanswered in the post being confirmed.
    pub unanswered: bool,
}

impl QuestionView {
    /// Whether item `display` (0-based, display order) has position `pos` chosen (0: none yet).
    pub fn has_position(&self, display: &usize, pos: &usize) -> bool {
        self.positions.get(*display) == Some(pos)
    }

    /// Whether item `display` has no position chosen yet.
    pub fn unplaced(&self, display: &usize) -> bool {
        self.positions.get(*display).is_none_or(|p| *p == 0)
    }
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
    /// Numbers of the questions left unanswered, when a post comes back for confirmation.
    pub unanswered: Vec<usize>,
}

#[derive(Deserialize)]
pub struct QuizParams {
    /// Comma-separated question ids: retry only these.
    only: Option<String>,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A question as this attempt shows it, with nothing filled in.
pub(crate) fn view(q: &Question, number: usize, form: &AttemptForm) -> QuestionView {
    let p = present::present(q, number, form.seed());
    let (kind, choices, unit) = match p.form {
        Form::Single { options } => ("single", options, String::new()),
        Form::Multiple { options } => ("multiple", options, String::new()),
        Form::Order { items } => ("order", items, String::new()),
        Form::Numeric { unit } => ("numeric", Vec::new(), unit),
        Form::Text => ("text", Vec::new(), String::new()),
    };
    let choices: Vec<(String, String)> = choices
        .into_iter()
        .map(|(index, text)| (form.choice_token(&p.id, index), text))
        .collect();
    QuestionView {
        positions: vec![0; if kind == "order" { choices.len() } else { 0 }],
        choices,
        id: p.id,
        number,
        prompt: p.prompt,
        kind,
        unit,
        rule: grade::credit_rule(&q.kind, english()),
        chosen: Vec::new(),
        typed: String::new(),
        unanswered: false,
    }
}

/// Fills a question in as it was posted, for the confirmation page.
fn prefill(v: &mut QuestionView, posted: &Posted) {
    let given = posted.answers.get(v.id.as_str());
    match v.kind {
        "single" | "multiple" => {
            v.chosen = given
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default();
        }
        "order" => {
            let sent = posted.orders.get(v.id.as_str());
            for (k, (token, _)) in v.choices.iter().enumerate() {
                v.positions[k] = sent
                    .and_then(|s| s.iter().find(|(t, _)| t == token))
                    .and_then(|(_, p)| p.parse().ok())
                    .filter(|p| (1..=v.choices.len()).contains(p))
                    .unwrap_or(0);
            }
        }
        _ => v.typed = given.and_then(|g| g.first()).unwrap_or(&"").to_string(),
    }
}

/// The form's questions from the current banks; a question gone or moved (a new release) is a 409.
pub(crate) fn form_questions<'a>(
    content: &'a Snapshot,
    form: &AttemptForm,
    topic: Option<&str>,
) -> Result<Vec<&'a Question>> {
    let mut questions = Vec::with_capacity(form.question_ids.len());
    for id in &form.question_ids {
        match content.quizzes.question(id) {
            Some(q) if topic.is_none_or(|t| q.topic == t) => questions.push(q),
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
    Ok(questions)
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
        .issue(Purpose::Quiz, &topic.slug, &ids, now_ms())
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
        unanswered: Vec::new(),
    }
    .into_response())
}

/// Grades one response into the answer to store.
pub(crate) fn graded_answer(
    q: &Question,
    seed: u64,
    position: usize,
    response: &Answered,
    time_ms: i64,
) -> Result<NewAnswer> {
    let graded = grade::grade(q, seed, response).map_err(|e| AppError::unprocessable(e.0))?;
    Ok(NewAnswer {
        question_id: q.id.clone(),
        position: position as i64,
        response: serde_json::to_string(response).map_err(|e| AppError::Other(e.into()))?,
        correct: graded.correct,
        credit: graded.credit,
        misconception: graded.misconception,
        time_ms,
    })
}

/// A short label for a question in lists (the learner's review, the instructor's pages): its prompt,
/// and for a generated question the prompt of an example instance, marked as one (its numbers change
/// each time it is asked).
pub(crate) fn question_label(q: &Question) -> String {
    let text = q.example_prompt();
    let short: String = text.chars().take(60).collect();
    let short = if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    };
    if matches!(q.kind, crate::quiz::bank::Kind::Generated { .. }) {
        format!("{short}{}", pick("（数値は一例）", " (example numbers)"))
    } else {
        short
    }
}

/// The message for a post with nothing answered: nothing is stored.
pub(crate) fn nothing_answered() -> AppError {
    AppError::unprocessable(pick(
        "まだ 1 問も答えていません。答えてから採点してください（何も保存していません）。",
        "Nothing is answered yet. Answer something, then check (nothing was stored).",
    ))
}

/// `POST /topics/{slug}/quiz`. The field names carry question ids, so the form is read as pairs (its
/// CSRF token checked on the way in, like every form) and sorted against the sealed form it names. A
/// question already checked (確認) is graded on the answer kept then, whatever is posted for it now.
async fn submit(
    State(state): State<AppState>,
    KnownTopic(slug): KnownTopic,
    layout: Layout,
    visitor: Visitor,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response> {
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    let form = open_form(&state, &topic.slug, &pairs)?;
    let posted = sort_fields(&form, &pairs, &[CONFIRM_BLANK])?;
    let questions = form_questions(&content, &form, Some(&topic.slug))?;
    let token = form.token();
    let checked = store::learning::checks(&state.db, &token).await?;

    // Read everything before writing anything: one bad answer rejects the whole submission.
    let mut responses = Vec::with_capacity(questions.len());
    for q in &questions {
        let kept = checked
            .get(&q.id)
            .and_then(|json| serde_json::from_str::<Answered>(json).ok());
        responses.push(match kept {
            Some(response) => response,
            None => response_for(q, &form, &posted)?,
        });
    }
    let blank: Vec<usize> = responses
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Answered::Blank))
        .map(|(i, _)| i + 1)
        .collect();
    if blank.len() == questions.len() {
        return Err(nothing_answered());
    }
    if !blank.is_empty() && posted.extras.get(CONFIRM_BLANK) != Some(&"1") {
        // Back to the learner, filled in as sent: what is unanswered, and "grade it anyway".
        let mut views: Vec<QuestionView> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut v = view(q, i + 1, &form);
                prefill(&mut v, &posted);
                v.unanswered = blank.contains(&(i + 1));
                v
            })
            .collect();
        // A question checked before keeps its kept answer; it is not unanswered.
        for v in &mut views {
            v.unanswered &= !checked.contains_key(&v.id);
        }
        return Ok(QuizPage {
            layout,
            slug: topic.slug.clone(),
            topic_title: topic.title.clone(),
            csrf: visitor.csrf_token().await?,
            token: form.sealed(),
            questions: views,
            retry: false,
            signed_in: visitor.signed_in.is_some(),
            unanswered: blank,
        }
        .into_response());
    }

    let seed = form.seed();
    let duration_ms = (now_ms() - form.issued_ms).clamp(0, 24 * 3600 * 1000);
    let even_share = duration_ms / questions.len() as i64;
    let mut answers = Vec::with_capacity(questions.len());
    for (position, (q, response)) in questions.iter().zip(&responses).enumerate() {
        // The page's own measure, never more than the whole attempt took.
        let time_ms = posted
            .times
            .get(q.id.as_str())
            .and_then(|t| t.parse::<i64>().ok())
            .map_or(even_share, |t| t.clamp(0, duration_ms));
        answers.push(graded_answer(q, seed, position, response, time_ms)?);
    }

    let owner = visitor.owner_id(&state).await?;
    let attempt = NewAttempt {
        token: token.clone(),
        user_id: owner,
        topic: topic.slug.clone(),
        seed: seed as i64,
        duration_ms,
        answers,
        now: store::now(),
        review: false,
    };
    let attempt_id = record(&state, attempt, owner).await?;
    if !checked.is_empty() {
        store::learning::forget_checks(&state.db, &token).await?;
    }
    Ok(Redirect::to(&format!("/attempts/{attempt_id}")).into_response())
}

/// Stores an attempt through the writer; a form sent again finds its first attempt (its owner's), or a
/// 409 for anyone else.
pub(crate) async fn record(state: &AppState, attempt: NewAttempt, owner: i64) -> Result<i64> {
    let topic = attempt.topic.clone();
    let credit: i64 = attempt.answers.iter().map(|a| a.credit).sum();
    match state.attempts.record(attempt).await? {
        Recorded::New(id) => {
            tracing::info!(user.id = owner, quiz.topic = %topic, attempt.id = id, credit, "attempt recorded");
            Ok(id)
        }
        Recorded::Duplicate {
            attempt_id,
            user_id,
        } if user_id == owner => Ok(attempt_id),
        Recorded::Duplicate { .. } => Err(AppError::Conflict(
            pick(
                "このクイズはすでに送信されています。",
                "This quiz has already been sent.",
            )
            .to_string(),
        )),
    }
}

/// One question's outcome on the results page.
pub struct ResultView {
    pub number: usize,
    pub prompt: String,
    pub correct: bool,
    /// Percent of the point earned.
    pub credit: i64,
    pub rule: Option<&'static str>,
    pub given: String,
    pub expected: String,
    pub why_wrong: Vec<String>,
    pub explanation: String,
    pub source: String,
    pub notes_href: String,
}

/// A question's result, as the results page, the check and the review loop show it.
pub(crate) fn result_view(
    q: &Question,
    number: usize,
    seed: u64,
    response: &Answered,
    topic_slug: &str,
) -> Option<ResultView> {
    let graded = grade::grade(q, seed, response).ok()?;
    Some(ResultView {
        number,
        prompt: present::present(q, number, seed).prompt,
        correct: graded.correct,
        credit: graded.credit,
        rule: grade::credit_rule(&q.kind, english()),
        given: graded.given,
        expected: graded.expected,
        why_wrong: graded.why_wrong,
        explanation: graded.explanation,
        source: q.source.clone(),
        notes_href: match &q.section {
            Some(section) => format!("/topics/{topic_slug}#{section}"),
            None => format!("/topics/{topic_slug}"),
        },
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/results.html")]
pub struct ResultsPage {
    pub layout: Layout,
    pub slug: String,
    pub topic_title: String,
    pub correct: usize,
    pub total: usize,
    /// The score with partial credit, as "7.5".
    pub points: String,
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
    let mut credit = 0;
    for (i, answer) in store::quiz::answers(&state.db, attempt_id)
        .await?
        .into_iter()
        .enumerate()
    {
        let Some(q) = content.quizzes.question(&answer.question_id) else {
            continue;
        };
        let response: Answered = serde_json::from_str(&answer.response).unwrap_or(Answered::Blank);
        let Some(mut item) = result_view(q, i + 1, seed, &response, &topic.slug) else {
            continue;
        };
        // What was stored counts (the bank may have been corrected since).
        item.correct = answer.correct;
        item.credit = answer.credit;
        if !answer.correct {
            missed.push(q.id.clone());
        }
        credit += answer.credit;
        items.push(item);
    }
    let correct = items.iter().filter(|i| i.correct).count();
    let total = items.len();
    Ok(ResultsPage {
        layout,
        slug: topic.slug.clone(),
        topic_title: topic.title.clone(),
        correct,
        total,
        points: grade::points_text(credit),
        percent: crate::quiz::mastery::percent(credit, total as i64 * 100),
        items,
        retry_href: (!missed.is_empty())
            .then(|| format!("/topics/{}/quiz?only={}", topic.slug, missed.join(","))),
        is_guest: visitor.signed_in.is_none(),
        attempt_id,
    }
    .into_response())
}
