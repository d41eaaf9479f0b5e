//! `POST /topics/{slug}/quiz/check`: the quiz's per-question check (確認). The page's script posts one
//! question's fields with the attempt form's `token` and `q` = the question id; the server grades that
//! question alone and answers with its feedback as JSON — nothing about any other question.
//!
//! The first answer checked is the one that counts: it is kept server-side, keyed by the form's nonce
//! (`attempt_check`, `store::learning::check_answer`), and a second check of the same question gets the
//! feedback of the kept answer back, not a grade of the new one. When the whole form is submitted, a
//! checked question is graded on its kept answer whatever the form posts for it then — so seeing the right
//! answer and changing yours earns nothing. Why server-side rather than sealed state: a sealed "already
//! checked" token would be the client's to drop or replay; a row cannot be forgotten by the client.
//! Nothing is stored as an attempt here: the attempt is still stored once, by the submit.

use super::posted::{open_form, response_for, sort_fields};
use super::{form_questions, result_view};
use crate::quiz::grade::{Response as Answered, points_text};
use crate::store;
use crate::web::chrome::pick;
use crate::web::error::{ApiError, AppError};
use crate::web::extract::{CsrfForm, KnownTopic};
use crate::web::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

/// The feedback of one checked question.
#[derive(Debug, Serialize)]
pub struct Checked {
    pub question: String,
    /// This post's answer is the one kept (false: the question was checked before; this is the first
    /// answer's feedback).
    pub first: bool,
    pub correct: bool,
    /// Percent of the point earned.
    pub credit: i64,
    /// The credit as points ("0.5").
    pub points: String,
    pub rule: Option<&'static str>,
    pub given: String,
    pub expected: String,
    pub why_wrong: Vec<String>,
    pub explanation: String,
    pub source: String,
    pub notes_href: String,
    /// A sentence for the learner about the kept answer, when this post was not the first.
    pub note: Option<&'static str>,
}

pub(super) async fn check(
    State(state): State<AppState>,
    KnownTopic(slug): KnownTopic,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Json<Checked>, ApiError> {
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    let form = open_form(&state, &topic.slug, &pairs)?;
    let posted = sort_fields(&form, &pairs, &["q"])?;
    let id = posted.extras.get("q").copied().unwrap_or_default();
    if !form.has_question(id) {
        return Err(AppError::bad_request(pick(
            "確認する問題が、このクイズにありません。",
            "The question to check is not in this quiz.",
        ))
        .into());
    }
    // One question per check: fields of another question would be graded by nobody, and its feedback
    // must not come back here.
    if form
        .question_ids
        .iter()
        .any(|other| other != id && posted.touches(other))
    {
        return Err(AppError::bad_request(pick(
            "確認では、1 問分の答えだけを送ってください。",
            "A check sends the answer to one question only.",
        ))
        .into());
    }
    let token = form.token();
    if store::learning::attempt_stored(&state.db, &token).await? {
        return Err(AppError::Conflict(
            pick(
                "このクイズはすでに送信されています。",
                "This quiz has already been sent.",
            )
            .to_string(),
        )
        .into());
    }
    let questions = form_questions(&content, &form, Some(&topic.slug))?;
    let (number, q) = questions
        .iter()
        .enumerate()
        .find(|(_, q)| q.id == id)
        .map(|(i, q)| (i + 1, *q))
        .ok_or(AppError::NotFound)?;
    let response = response_for(q, &form, &posted)?;
    if matches!(response, Answered::Blank) {
        return Err(AppError::unprocessable(pick(
            "答えを選ぶか入力してから「確認」を押してください。",
            "Choose or type an answer, then press “Check”.",
        ))
        .into());
    }
    // Graded before it is kept, so a response the grader refuses is not kept either.
    let seed = form.seed();
    crate::quiz::grade::grade(q, seed, &response).map_err(|e| AppError::unprocessable(e.0))?;
    let json = serde_json::to_string(&response).map_err(|e| AppError::Other(e.into()))?;
    let (kept, first) =
        store::learning::check_answer(&state.db, &token, id, &json, store::now()).await?;
    let kept: Answered = serde_json::from_str(&kept).unwrap_or(Answered::Blank);
    let item = result_view(q, number, seed, &kept, &topic.slug).ok_or(AppError::NotFound)?;
    Ok(Json(Checked {
        question: q.id.clone(),
        first,
        correct: item.correct,
        credit: item.credit,
        points: points_text(item.credit),
        rule: item.rule,
        given: item.given,
        expected: item.expected,
        why_wrong: item.why_wrong,
        explanation: item.explanation,
        source: item.source,
        notes_href: item.notes_href,
        note: (!first).then(|| {
            pick(
                "この問題は確認済みです。最初に確認した答えで採点します。",
                "You checked this question before: your first answer is the one graded.",
            )
        }),
    }))
}
