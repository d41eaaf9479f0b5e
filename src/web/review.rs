//! The review loop, `/me/review`: one question at a time, graded at once, then the next — as Anki does —
//! scheduled by FSRS (`quiz::schedule`). The page shows how many questions are due now and by the end of
//! today, a forecast of the next days, and the question due longest; answering it (`POST /me/review`)
//! stores a one-question review attempt (mastery and schedule move; quiz scores do not) and comes back with
//! its feedback above the next question. Works without JavaScript: it is plain forms and redirects.

use crate::jst;
use crate::quiz::form::Purpose;
use crate::quiz::grade::Response as Answered;
use crate::quiz::schedule::{self, Memory};
use crate::store::{self, quiz::NewAttempt};
use crate::web::chrome::pick;
use crate::web::error::{AppError, Result};
use crate::web::extract::CsrfForm;
use crate::web::guards::SignedInUser;
use crate::web::layout::Layout;
use crate::web::quiz::posted::{not_issued, open_sealed, response_for, sort_fields};
use crate::web::quiz::{self as quiz, QuestionView, ResultView, question_label};
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

/// Days the forecast covers after today.
const FORECAST_DAYS: i64 = 7;

pub fn router() -> Router<AppState> {
    Router::new().route("/me/review", get(review).post(answer))
}

/// One day of the forecast.
pub struct ForecastDay {
    pub label: String,
    pub count: usize,
    /// Bar height in the chart's units (0–56).
    pub height: i64,
    /// The bar's top (bars stand on y = 76; the tallest leaves room for its number above it).
    pub top: i64,
    /// Its left edge.
    pub x: i64,
}

/// The question being asked, with what the learner may know about it.
pub struct Current {
    pub question: QuestionView,
    pub topic_title: String,
    pub topic_href: String,
    pub level: i64,
    pub last_correct: bool,
    /// Chance it is still known now, in whole percent (FSRS retrievability).
    pub recall: i64,
    pub csrf: String,
    pub token: String,
}

/// A question waiting after the current one.
pub struct Upcoming {
    pub label: String,
    pub topic_title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub due_now: usize,
    pub due_today: usize,
    pub forecast: Vec<ForecastDay>,
    /// Nothing is due in the forecast's days: a sentence instead of an empty chart.
    pub forecast_empty: bool,
    pub current: Option<Current>,
    pub upcoming: Vec<Upcoming>,
    /// The answer just given, graded.
    pub done: Option<ResultView>,
    /// When the next question falls due, when none is due now.
    pub next_due: Option<String>,
}

#[derive(Deserialize)]
pub struct ReviewParams {
    /// The review attempt just stored, whose feedback to show.
    done: Option<String>,
}

/// `GET /me/review`.
async fn review(
    user: SignedInUser,
    State(state): State<AppState>,
    Query(params): Query<ReviewParams>,
    layout: Layout,
) -> Result<Response> {
    let content = state.content();
    let now = store::now();
    let today = jst::day(now);
    let end_of_today = jst::day_start(today + 1);
    let queue: Vec<store::learning::Queued> =
        store::learning::due_by(&state.db, user.user_id, end_of_today)
            .await?
            .into_iter()
            .filter(|d| content.quizzes.question(&d.question_id).is_some())
            .collect();
    let due_now = queue.iter().filter(|d| d.due_at <= now).count();
    let later = store::learning::due_times(
        &state.db,
        user.user_id,
        end_of_today,
        jst::day_start(today + 1 + FORECAST_DAYS),
    )
    .await?;
    let counts: Vec<usize> = (1..=FORECAST_DAYS)
        .map(|k| later.iter().filter(|t| jst::day(**t) == today + k).count())
        .collect();
    let peak = counts.iter().copied().max().unwrap_or(0).max(1) as i64;
    let forecast: Vec<ForecastDay> = counts
        .iter()
        .enumerate()
        .map(|(k, &count)| {
            let height = count as i64 * 56 / peak;
            ForecastDay {
                label: jst::month_day(jst::day_start(today + 1 + k as i64)),
                count,
                height,
                top: 76 - height,
                x: k as i64 * 40 + 8,
            }
        })
        .collect();

    let done = match params.done.as_deref().map(str::parse::<i64>) {
        Some(Ok(id)) => done_view(&state, user.user_id, id).await?,
        Some(Err(_)) => return Err(AppError::NotFound),
        None => None,
    };

    let mut due = queue.iter().filter(|d| d.due_at <= now);
    let current = match due.next() {
        Some(d) => {
            let q = content
                .quizzes
                .question(&d.question_id)
                .ok_or(AppError::NotFound)?;
            let form = state
                .quiz_forms
                .issue(Purpose::Review, &q.topic, &[q.id.as_str()], quiz::now_ms())
                .map_err(|e| AppError::Other(anyhow::anyhow!("no randomness: {e}")))?;
            let topic = content.course.topic(&q.topic);
            let memory = Memory {
                stability: d.stability,
                difficulty: d.difficulty,
            };
            let mut question = quiz::view(q, 1, &form);
            // One question at a time: no number.
            question.number = 0;
            Some(Current {
                question,
                topic_title: topic.map_or(q.topic.clone(), |t| t.title.clone()),
                topic_href: format!("/topics/{}", q.topic),
                level: d.box_number,
                last_correct: d.last_correct,
                recall: (schedule::retrievability(memory, now - d.last_at) * 100.0).floor() as i64,
                csrf: user.visitor.csrf_token().await?,
                token: form.sealed(),
            })
        }
        None => None,
    };
    let upcoming = due
        .chain(queue.iter().filter(|d| d.due_at > now))
        .take(5)
        .filter_map(|d| {
            let q = content.quizzes.question(&d.question_id)?;
            Some(Upcoming {
                label: question_label(q),
                topic_title: content
                    .course
                    .topic(&q.topic)
                    .map_or(q.topic.clone(), |t| t.title.clone()),
            })
        })
        .collect();
    let next_due = if current.is_none() {
        store::learning::due_times(&state.db, user.user_id, now, i64::MAX)
            .await?
            .into_iter()
            .min()
            .map(jst::date_time)
    } else {
        None
    };
    Ok(ReviewPage {
        layout,
        due_now,
        due_today: queue.len(),
        forecast_empty: forecast.iter().all(|d| d.count == 0),
        forecast,
        current,
        upcoming,
        done,
        next_due,
    }
    .into_response())
}

/// The feedback of the learner's own review attempt `attempt_id` (someone else's is not there).
async fn done_view(state: &AppState, user_id: i64, attempt_id: i64) -> Result<Option<ResultView>> {
    let Some(attempt) = store::quiz::attempt(&state.db, attempt_id).await? else {
        return Err(AppError::NotFound);
    };
    if attempt.user_id != user_id || attempt.kind != "review" {
        return Err(AppError::NotFound);
    }
    let content = state.content();
    let answers = store::quiz::answers(&state.db, attempt_id).await?;
    let Some(answer) = answers.first() else {
        return Ok(None);
    };
    let Some(q) = content.quizzes.question(&answer.question_id) else {
        return Ok(None);
    };
    let response: Answered = serde_json::from_str(&answer.response).unwrap_or(Answered::Blank);
    Ok(
        quiz::result_view(q, 1, attempt.seed as u64, &response, &q.topic).map(|mut v| {
            v.correct = answer.correct;
            v.credit = answer.credit;
            v
        }),
    )
}

/// `POST /me/review`: grades the one question of a review form and stores it as a review attempt.
async fn answer(
    user: SignedInUser,
    State(state): State<AppState>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response> {
    let content = state.content();
    // Only a form `/me/review` issued: a quiz's one-question form would store a review the learner was
    // never asked for (and the other way round, see `quiz::form::Purpose`).
    let form = open_sealed(&state, Purpose::Review, &pairs)?;
    if form.question_ids.len() != 1 || content.course.topic(&form.topic).is_none() {
        return Err(AppError::bad_request(not_issued()));
    }
    let posted = sort_fields(&form, &pairs, &[])?;
    let questions = quiz::form_questions(&content, &form, Some(&form.topic))?;
    let q = questions[0];
    let response = response_for(q, &form, &posted)?;
    if matches!(response, Answered::Blank) {
        return Err(AppError::unprocessable(pick(
            "答えを選ぶか入力してから「答え合わせ」を押してください（何も保存していません）。",
            "Choose or type an answer, then press “Check” (nothing was stored).",
        )));
    }
    let duration_ms = (quiz::now_ms() - form.issued_ms).clamp(0, 24 * 3600 * 1000);
    let seed = form.seed();
    let attempt = NewAttempt {
        token: form.token(),
        user_id: user.user_id,
        topic: form.topic.clone(),
        seed: seed as i64,
        duration_ms,
        answers: vec![quiz::graded_answer(q, seed, 0, &response, duration_ms)?],
        now: store::now(),
        review: true,
    };
    let attempt_id = quiz::record(&state, attempt, user.user_id).await?;
    Ok(Redirect::to(&format!("/me/review?done={attempt_id}")).into_response())
}
