//! What the class is answering right now: `live.json` for the live panel's polling, and the same data for
//! the panel as it stands when the overview loads. Per question, members who answered it and who got it
//! right; per topic, submissions and answers; over the last 10 minutes (from the start of the minute 10
//! minutes ago: [`rolling_since`]) or since a given moment.

use super::topic_title;
use crate::classroom::live_window::LiveWindow;
use crate::jst::{self, DAY};
use crate::quiz::mastery::percent;
use crate::store::{self, class_stats};
use crate::web::chrome::{pick, pick_with};
use crate::web::error::{ApiError, AppError, Result};
use crate::web::guards::OwnedClass;
use crate::web::quiz::question_label;
use crate::web::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::HashMap;

/// The live panel's default window.
pub const LIVE_WINDOW_SECS: i64 = 600;
/// How far back `live.json?since=` may reach.
const LIVE_MAX_BACK_SECS: i64 = 7 * DAY;

/// A question in the live panel.
#[derive(Debug, Clone, Serialize)]
pub struct LiveRow {
    pub question_id: String,
    pub topic: String,
    pub topic_title: String,
    pub label: String,
    pub attempted: i64,
    pub correct: i64,
}

/// A topic in the live panel.
#[derive(Debug, Clone, Serialize)]
pub struct LiveTopicRow {
    pub topic: String,
    pub title: String,
    pub learners: i64,
    pub attempts: i64,
    pub answers: i64,
    pub correct: i64,
}

/// What `live.json` returns, and what the live panel shows at page load.
#[derive(Debug, Clone, Serialize)]
pub struct LiveData {
    /// The server's clock (unix seconds): pass it back as `since` to count from this moment.
    pub server_time: i64,
    pub since: i64,
    /// "17:05:09" (Japan time) of `server_time`.
    pub updated: String,
    /// One sentence for the panel's status line.
    pub summary: String,
    pub questions: Vec<LiveRow>,
    pub topics: Vec<LiveTopicRow>,
}

/// Where the rolling window starts at `now`: at the start of the minute [`LIVE_WINDOW_SECS`] ago, so the
/// window moves in whole minutes (between 10 and 11 minutes long) and its counts can be kept while it
/// stays put (`web::instructor::cache`).
pub fn rolling_since(now: i64) -> i64 {
    (now - LIVE_WINDOW_SECS).div_euclid(60) * 60
}

/// The class's answers in the rolling window at `now` (`since`: `None`) or since a given moment, in
/// course order (topics) and bank order (questions). The rolling window's counts are kept in the cache
/// while the class and the window do not change, and its attempts while who the members are does not
/// (`classroom::live_window`): after a member's attempt only the attempts stored since are read.
pub(super) async fn live_data(
    state: &AppState,
    class_id: i64,
    since: Option<i64>,
    now: i64,
) -> Result<LiveData> {
    let content = state.content();
    let rolling = since.is_none();
    let since = since.unwrap_or_else(|| rolling_since(now));
    let counts = async {
        if !rolling {
            return tokio::try_join!(
                class_stats::live_questions(&state.db, class_id, since),
                class_stats::live_topics(&state.db, class_id, since)
            );
        }
        let key = crate::web::instructor::cache::Key {
            version: store::class_view::members_version(&state.db, class_id).await?,
            generation: content.generation,
            extra: since,
        };
        if let Some(kept) = state.class_cache.live(class_id, key, now) {
            return Ok(kept);
        }
        // The window's attempts, read again only from the last one read while only attempts (and
        // resets, which change none) changed the members; from scratch when who they are did. Also
        // from scratch (through the time index, bounded by the window) when the last attempt read has
        // left the list: the ids after it may then span far more than the window, every class's.
        let roster = store::class_view::roster_version(&state.db, class_id).await?;
        let window = match state
            .class_cache
            .take_window(class_id, roster, content.generation)
        {
            Some(mut window)
                if window.since <= since
                    && window
                        .attempts
                        .last()
                        .is_some_and(|a| a.attempt_id == window.watermark) =>
            {
                let fresh =
                    class_stats::live_attempts(&state.db, class_id, since, window.watermark)
                        .await?;
                window.advance(since, fresh);
                window
            }
            _ => LiveWindow::new(
                since,
                class_stats::live_attempts(&state.db, class_id, since, 0).await?,
            ),
        };
        let counted = window.counts();
        state
            .class_cache
            .keep_window(class_id, roster, content.generation, window);
        // The window stays put until the next minute turns: the key's `since` says which window.
        state
            .class_cache
            .keep_live(class_id, key, now, i64::MAX, counted.clone());
        Ok(counted)
    };
    let (questions, topics) = counts.await?;
    let course = &content.course;
    let topic_order: HashMap<&str, usize> = course
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let order = |slug: &str| topic_order.get(slug).copied().unwrap_or(usize::MAX);
    let mut rows: Vec<(usize, usize, LiveRow)> = questions
        .into_iter()
        .map(|q| {
            let position = content
                .quizzes
                .topic(&q.topic)
                .iter()
                .position(|b| b.id == q.question_id)
                .unwrap_or(usize::MAX);
            let label = content
                .quizzes
                .question(&q.question_id)
                .map_or_else(|| q.question_id.clone(), question_label);
            (
                order(&q.topic),
                position,
                LiveRow {
                    topic_title: topic_title(course, &q.topic),
                    label,
                    question_id: q.question_id,
                    topic: q.topic,
                    attempted: q.attempted,
                    correct: q.correct,
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, &a.2.question_id).cmp(&(b.0, b.1, &b.2.question_id)));
    let mut topic_rows: Vec<LiveTopicRow> = topics
        .into_iter()
        .map(|t| LiveTopicRow {
            title: topic_title(course, &t.topic),
            topic: t.topic,
            learners: t.learners,
            attempts: t.attempts,
            answers: t.answers,
            correct: t.correct,
        })
        .collect();
    topic_rows.sort_by_key(|t| order(&t.topic));
    let attempts: i64 = topic_rows.iter().map(|t| t.attempts).sum();
    let answers: i64 = topic_rows.iter().map(|t| t.answers).sum();
    let correct: i64 = topic_rows.iter().map(|t| t.correct).sum();
    let window = if rolling {
        pick("直近 10 分", "Last 10 minutes").to_string()
    } else {
        let clock = jst::clock(since);
        pick_with(|| format!("{clock} から"), || format!("Since {clock}"))
    };
    let summary = if attempts == 0 {
        pick_with(
            || format!("{window}: まだ解答はありません。"),
            || format!("{window}: no answers yet."),
        )
    } else {
        let share = percent(correct, answers);
        pick_with(
            || format!("{window}: {attempts} 回の提出、{answers} 問に解答（正答率 {share}%）。"),
            || {
                let s = |n: i64| if n == 1 { "" } else { "s" };
                format!(
                    "{window}: {attempts} attempt{}, {answers} answer{} ({share}% correct).",
                    s(attempts),
                    s(answers)
                )
            },
        )
    };
    Ok(LiveData {
        server_time: now,
        since,
        updated: jst::clock(now),
        summary,
        questions: rows.into_iter().map(|r| r.2).collect(),
        topics: topic_rows,
    })
}

/// `GET /instructor/classes/{class_id}/live.json[?since=UNIX]`: per question and per topic, what the
/// class answered in the last 10 minutes (or since `since`, at most 7 days back), and the server time
/// to continue from. Bad input is a JSON 400 in Japanese.
pub async fn live(
    owned: OwnedClass,
    State(state): State<AppState>,
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> std::result::Result<Response, ApiError> {
    let now = store::now();
    let Query(pairs) = query.map_err(|_| {
        AppError::bad_request(pick(
            "クエリ文字列を読めません。",
            "The query string cannot be read.",
        ))
    })?;
    let since = match pairs.iter().find(|(k, _)| k == "since") {
        None => None,
        Some((_, v)) => {
            let since: i64 = v.trim().parse().map_err(|_| {
                AppError::bad_request(pick(
                    "since は unix 秒の整数で指定してください。",
                    "since must be a whole number of unix seconds.",
                ))
            })?;
            // Up to the next second: the page's 今から数え直す counts from the second after its last
            // update (static/js/instructor.js), which is the next one when it clicks within that second.
            if since > now + 1 || since < now - LIVE_MAX_BACK_SECS {
                return Err(AppError::bad_request(pick(
                    "since は現在から 7 日前までの時刻（unix 秒）で指定してください。",
                    "since must be a time (unix seconds) within the last 7 days.",
                ))
                .into());
            }
            Some(since)
        }
    };
    let data = live_data(&state, owned.class.class_id, since, now).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(data)).into_response())
}
