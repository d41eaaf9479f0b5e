//! The instructor's side, under `/instructor/…`. Every route goes through [`OwnedClass`] (or
//! [`Instructor`]): a visitor is sent to log in, a learner gets 403, and an instructor asking for a
//! class they do not own gets 404 — the class is simply not there for them.

use crate::auth::Visitor;
use crate::error::AppError;
use crate::state::AppState;
use crate::store;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}

/// A signed-in instructor (checked against the database, not the session, on every request).
pub struct Instructor {
    pub user: store::users::User,
    pub visitor: Visitor,
}

/// Why an instructor route refused.
pub enum Refusal {
    /// Not signed in: log in, then come back.
    LogIn(String),
    Error(AppError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::LogIn(back) => {
                let encoded: String = back
                    .bytes()
                    .map(|b| if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                    .collect();
                Redirect::to(&format!("/login?next={encoded}")).into_response()
            }
            Refusal::Error(e) => e.into_response(),
        }
    }
}

impl<E: Into<AppError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Refusal::Error(e.into())
    }
}

impl FromRequestParts<AppState> for Instructor {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map_or("/instructor", |p| p.as_str()).to_string();
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let Some(signed_in) = &visitor.signed_in else {
            return Err(Refusal::LogIn(back));
        };
        let user = store::users::by_id(&state.db, signed_in.user_id).await?.ok_or(Refusal::LogIn(back))?;
        if !user.is_instructor() {
            return Err(AppError::Forbidden.into());
        }
        Ok(Instructor { user, visitor })
    }
}

/// A class the signed-in instructor owns, from the `{class_id}` path parameter.
pub struct OwnedClass {
    pub class: store::classes::Class,
    pub instructor: Instructor,
}

impl FromRequestParts<AppState> for OwnedClass {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let instructor = Instructor::from_request_parts(parts, state).await?;
        let Path(params) = Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        let class_id: i64 = params.get("class_id").and_then(|v| v.parse().ok()).ok_or(AppError::NotFound)?;
        let class = store::classes::by_id(&state.db, class_id).await?.ok_or(AppError::NotFound)?;
        if class.owner_id != instructor.user.user_id {
            return Err(AppError::NotFound.into());
        }
        Ok(OwnedClass { class, instructor })
    }
}

/// A fresh join code: 8 characters without look-alikes (no 0/O, 1/I/L), easy to read out in class.
pub fn new_join_code() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Other(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}
