//! A learner's own data: `/me/data` lists what is kept and offers it as JSON (`/me/data/export.json`,
//! everything in one file) and CSV (one file per kind), for the signed-in user only; `/me/delete` deletes
//! the account and everything kept about it, after a confirmation that asks for the password again
//! (`store::account::delete_account`, which also ends every session it signed in with).

use crate::auth::{password, throttle};
use crate::store::{self, account::Export};
use crate::web::auth::ClientAddress;
use crate::web::chrome;
use crate::web::chrome::pick;
use crate::web::error::{AppError, Result};
use crate::web::extract::CsrfForm;
use crate::web::guards::SignedInUser;
use crate::web::instructor::export::Sheet;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use crate::web::visitor;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/data", get(data_page))
        .route("/me/data/{file}", get(download))
        .route("/me/delete", get(delete_page).post(delete))
        .route("/me/deleted", get(deleted))
}

/// The CSV files offered, by name, with what each holds.
const CSV_FILES: [(&str, &str, &str); 6] = [
    ("account.csv", "アカウント", "Account"),
    (
        "attempts.csv",
        "クイズと復習の解答記録",
        "Quiz and review attempts",
    ),
    ("answers.csv", "1 問ごとの答え", "Every answer"),
    ("reviews.csv", "復習の状態（FSRS）", "Review states (FSRS)"),
    ("widget-answers.csv", "図の予想", "Widget predictions"),
    ("classes.csv", "クラス", "Classes"),
];

#[derive(Template, WebTemplate)]
#[template(path = "progress/data.html")]
pub struct DataPage {
    pub layout: Layout,
    pub files: Vec<(&'static str, &'static str)>,
    pub counts: Export,
}

async fn data_page(
    user: SignedInUser,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<Response> {
    let export = store::account::export(&state.db, user.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let english = layout.t.lang == "en";
    Ok(DataPage {
        layout,
        files: CSV_FILES
            .iter()
            .map(|(file, ja, en)| (*file, if english { *en } else { *ja }))
            .collect(),
        counts: export,
    }
    .into_response())
}

fn attachment(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"infra-dojo-{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /me/data/{file}`: the signed-in user's own data; any other name is a 404.
async fn download(
    user: SignedInUser,
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response> {
    if file != "export.json" && !CSV_FILES.iter().any(|(f, _, _)| *f == file) {
        return Err(AppError::NotFound);
    }
    let data = store::account::export(&state.db, user.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if file == "export.json" {
        let body = serde_json::to_vec_pretty(&data).map_err(|e| AppError::Other(e.into()))?;
        return Ok(attachment(body, "application/json", &file));
    }
    let body = csv_of(&file, &data).map_err(|e| AppError::Other(e.into()))?;
    Ok(attachment(body, "text/csv; charset=utf-8", &file))
}

/// One kind of the user's data as CSV (a header row, then a row per record; times in unix seconds).
fn csv_of(file: &str, d: &Export) -> std::io::Result<Vec<u8>> {
    let mut sheet = Sheet::new();
    let mut rows = |header: &[&str], write: &mut dyn FnMut(&mut Sheet) -> csv::Result<()>| {
        let mut r = sheet.record();
        for h in header {
            r = r.field(h);
        }
        r.end()?;
        write(&mut sheet)
    };
    let done = match file {
        "account.csv" => rows(
            &["user_id", "name", "display_name", "role", "created_at"],
            &mut |s| {
                let a = &d.account;
                s.record()
                    .int(a.user_id)
                    .text(a.name.as_deref().unwrap_or_default())
                    .text(&a.display_name)
                    .field(&a.role)
                    .int(a.created_at)
                    .end()
            },
        ),
        "attempts.csv" => rows(
            &[
                "attempt_id",
                "topic",
                "kind",
                "question_count",
                "correct_count",
                "credit_hundredths",
                "duration_ms",
                "created_at",
            ],
            &mut |s| {
                for a in &d.attempts {
                    s.record()
                        .int(a.attempt_id)
                        .field(&a.topic)
                        .field(&a.kind)
                        .int(a.question_count)
                        .int(a.correct_count)
                        .int(a.credit)
                        .int(a.duration_ms)
                        .int(a.created_at)
                        .end()?;
                }
                Ok(())
            },
        ),
        "answers.csv" => rows(
            &[
                "attempt_id",
                "question_id",
                "position",
                "response",
                "correct",
                "credit_percent",
                "misconception",
                "time_ms",
            ],
            &mut |s| {
                for a in &d.answers {
                    s.record()
                        .int(a.attempt_id)
                        .field(&a.question_id)
                        .int(a.position)
                        .text(&a.response)
                        .int(i64::from(a.correct))
                        .int(a.credit)
                        .field(a.misconception.as_deref().unwrap_or_default())
                        .int(a.time_ms)
                        .end()?;
                }
                Ok(())
            },
        ),
        "reviews.csv" => rows(
            &[
                "question_id",
                "topic",
                "level",
                "due_at",
                "seen",
                "correct",
                "last_correct",
                "last_at",
                "stability_days",
                "difficulty",
            ],
            &mut |s| {
                for r in &d.reviews {
                    s.record()
                        .field(&r.question_id)
                        .field(&r.topic)
                        .int(r.box_number)
                        .int(r.due_at)
                        .int(r.seen)
                        .int(r.correct)
                        .int(i64::from(r.last_correct))
                        .int(r.last_at)
                        .field(&format!("{:.4}", r.stability))
                        .field(&format!("{:.4}", r.difficulty))
                        .end()?;
                }
                Ok(())
            },
        ),
        "widget-answers.csv" => rows(
            &[
                "widget",
                "scenario",
                "step",
                "field",
                "answer",
                "correct",
                "created_at",
            ],
            &mut |s| {
                for w in &d.widget_answers {
                    s.record()
                        .field(&w.widget)
                        .field(&w.scenario)
                        .int(w.step)
                        .field(&w.field)
                        .text(&w.answer)
                        .int(i64::from(w.correct))
                        .int(w.created_at)
                        .end()?;
                }
                Ok(())
            },
        ),
        _ => rows(&["class_id", "name", "relation", "since"], &mut |s| {
            for c in &d.classes {
                s.record()
                    .int(c.class_id)
                    .text(&c.name)
                    .field(&c.relation)
                    .int(c.since)
                    .end()?;
            }
            Ok(())
        }),
    };
    done.map_err(std::io::Error::other)?;
    sheet.finish()
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub csrf: String,
    pub name: String,
    pub instructor: bool,
    pub error: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "progress/deleted.html")]
pub struct DeletedPage {
    pub layout: Layout,
}

async fn delete_page(
    user: SignedInUser,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<Response> {
    let account = store::users::by_id(&state.db, user.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(DeletePage {
        layout,
        csrf: user.visitor.csrf_token().await?,
        name: user.name.clone(),
        instructor: account.is_instructor(),
        error: None,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
    /// The "I understand" box.
    #[serde(default)]
    confirm: String,
}

/// `POST /me/delete`: with the box ticked and the right password, deletes the account and everything
/// kept about it, ends its sessions, and says so; otherwise 422 and nothing changes.
async fn delete(
    user: SignedInUser,
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    layout: Layout,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response> {
    let account = store::users::by_id(&state.db, user.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let refuse = |error: &'static str, csrf: String, layout: Layout| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            DeletePage {
                layout,
                csrf,
                name: user.name.clone(),
                instructor: account.is_instructor(),
                error: Some(error),
            },
        )
            .into_response()
    };
    let csrf = user.visitor.csrf_token().await?;
    if form.confirm != "yes" {
        return Ok(refuse(
            pick(
                "削除してよいことを確かめるチェックを入れてください。",
                "Tick the box to confirm the deletion.",
            ),
            csrf,
            layout,
        ));
    }
    if form.password.is_empty() || form.password.chars().count() > 1024 {
        return Ok(refuse(
            pick("パスワードが違います。", "The password is wrong."),
            csrf,
            layout,
        ));
    }
    // A guess here is a guess at the password: it is counted in the login lanes of this name before it
    // is checked, so a stolen session gets no more guesses than the login form gives.
    let name = account.name.clone().unwrap_or_default();
    let reservation = match throttle::reserve_login(&state.db, &name, &address).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            tracing::warn!(user.id = user.user_id, address = %address, wait_ms = wait.ms, "account deletion throttled");
            return Err(AppError::RetryLater {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after_secs: wait.secs(),
                message: wait.message(chrome::current()),
            });
        }
    };
    let ok = match state
        .hashing
        .verify(form.password, account.password_hash.clone())
        .await
    {
        Ok(ok) => ok,
        Err(password::Busy) => {
            // Nothing was checked: the attempt does not count.
            reservation.release(&state.db).await?;
            return Err(AppError::RetryLater {
                status: StatusCode::SERVICE_UNAVAILABLE,
                retry_after_secs: password::BUSY_RETRY_SECS,
                message: pick(
                    "混み合っています。少し待ってからもう一度お試しください。",
                    "The server is busy. Wait a moment and try again.",
                )
                .to_string(),
            });
        }
    };
    if !ok {
        // A wrong password keeps its count.
        drop(reservation);
        tracing::warn!(user.id = user.user_id, address = %address, "account deletion refused: wrong password");
        return Ok(refuse(
            pick("パスワードが違います。", "The password is wrong."),
            csrf,
            layout,
        ));
    }
    reservation.release(&state.db).await?;
    store::account::delete_account(&state.db, user.user_id).await?;
    let ended = visitor::end_sessions_of(&state, user.user_id).await?;
    throttle::forget_account(&state.db, &name, user.user_id).await?;
    user.visitor.sign_out().await?;
    tracing::info!(user.id = user.user_id, sessions = ended, "account deleted");
    Ok(axum::response::Redirect::to("/me/deleted").into_response())
}

/// `GET /me/deleted`: where a deletion lands, signed out.
async fn deleted(layout: Layout) -> Response {
    DeletedPage { layout }.into_response()
}
