//! The learner's side of a class: joining with a code, from `/me` or through a join link
//! (`/join/{code}`, a page with a button). Codes follow `classroom::join_code`; every lookup is counted
//! before it is made (`auth::throttle`), so codes cannot be guessed at speed. Instructors cannot join.

use super::display;
use crate::auth::{Role, throttle};
use crate::classroom::join_code;
use crate::store;
use crate::web::auth::ClientAddress;
use crate::web::chrome::{pick, pick_with};
use crate::web::error::{AppError, Result};
use crate::web::extract::CsrfForm;
use crate::web::guards::SignedInUser;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

/// Adds the signed-in user to the active class with this code. Unknown or archived codes are a 404 and
/// instructors cannot join; nothing is written in either case. Wrong codes are throttled per user and per
/// address ([`find_by_code`]).
pub async fn join_with_code(
    state: &AppState,
    user_id: i64,
    address: &str,
    raw_code: &str,
) -> Result<store::classes::Class> {
    let class = find_by_code(state, user_id, address, raw_code).await?;
    let user = store::users::by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.role != Role::Learner {
        return Err(AppError::forbidden_with(pick(
            "クラスに参加できるのは受講者のアカウントだけです。",
            "Only learner accounts can join a class.",
        )));
    }
    store::classes::join(&state.db, class.class_id, user_id, store::now()).await?;
    tracing::info!(user.id = user_id, class.id = class.class_id, "joined class");
    Ok(class)
}

/// The active class with this (typed) code, or a Japanese 404. Each lookup is counted for `user_id` and
/// `address` before it is made and given back when the code is right, so codes cannot be guessed at speed
/// (`auth::throttle`, a 429 with `Retry-After`); malformed codes are refused before counting.
async fn find_by_code(
    state: &AppState,
    user_id: i64,
    address: &str,
    raw_code: &str,
) -> Result<store::classes::Class> {
    let code =
        join_code::parse(raw_code).map_err(|e| AppError::bad_request(super::code_error(&e)))?;
    let reservation = match throttle::reserve_join(&state.db, user_id, address).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            tracing::warn!(user.id = user_id, address = %address, reason = ?wait.reason, "join code throttled");
            return Err(wait.into());
        }
    };
    match store::classes::by_code(&state.db, &code).await? {
        Some(class) => {
            reservation.release(&state.db).await?;
            Ok(class)
        }
        // A wrong code keeps its count.
        None => Err(AppError::not_found_with(pick_with(
            || {
                format!(
                    "参加コード「{code}」のクラスは見つかりません。コードを確かめてください（終了したクラスには参加できません）。"
                )
            },
            || {
                format!(
                    "No class has the join code “{code}”. Check the code (archived classes cannot be joined)."
                )
            },
        ))),
    }
}

/// `GET /join/{code}`: the class and a button to join.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/join.html")]
pub struct JoinPage {
    pub layout: Layout,
    pub csrf: String,
    pub action: String,
    pub class_name: String,
    pub owner_name: String,
    pub already: bool,
}

/// `GET /join/{code}`: for a signed-in learner, the class and a button to join; a visitor logs in first.
pub async fn join_page(
    user: SignedInUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
    layout: Layout,
    ClientAddress(address): ClientAddress,
) -> Result<Response> {
    let class = find_by_code(&state, user.user_id, &address, &code).await?;
    let owner = store::users::by_id(&state.db, class.owner_id).await?;
    Ok(JoinPage {
        layout,
        csrf: user.visitor.csrf_token().await?,
        action: format!("/join/{}", class.join_code),
        already: store::classes::is_member(&state.db, class.class_id, user.user_id).await?,
        owner_name: owner
            .map(|o| display(&o.display_name, o.name.as_deref().unwrap_or_default()))
            .unwrap_or_default(),
        class_name: class.name,
    }
    .into_response())
}

/// `POST /join/{code}`: joins, then shows the learner's page with their classes.
pub async fn join(
    user: SignedInUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
    ClientAddress(address): ClientAddress,
    _: CsrfForm,
) -> Result<Response> {
    join_with_code(&state, user.user_id, &address, &code).await?;
    Ok(Redirect::to("/me#classes").into_response())
}
