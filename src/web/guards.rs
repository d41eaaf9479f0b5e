//! The guards, as extractors, in one place: a handler states who may call it by the guard it takes, and
//! the guard runs before anything else reads the request.
//!
//! * [`SignedInUser`]: a visitor who is not signed in is sent to log in, and back here afterwards.
//! * [`Instructor`]: signed in, and an instructor by the database (not the session); a learner gets 403.
//! * [`OwnedClass`]: an instructor's own class from the `{class_id}` path parameter; another
//!   instructor's class, or none, is a 404 — the class is simply not there for them.
//! * [`ClassMember`]: that class and one of its members, from `{user_id}`; anyone else is a 404.

use crate::store;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::visitor::Visitor;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Why a guard refused.
pub enum Refusal {
    /// Not signed in: log in, then come back to this path.
    LogIn(String),
    Error(AppError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::LogIn(back) => crate::web::auth::login_redirect(&back).into_response(),
            Refusal::Error(e) => e.into_response(),
        }
    }
}

impl<E: Into<AppError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Refusal::Error(e.into())
    }
}

/// The request's own path and query: where to come back to after logging in.
fn back(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string()
}

/// The id in the path parameter `name`; a missing or malformed one is a 404 (no such page).
async fn path_id(parts: &mut Parts, state: &AppState, name: &str) -> Result<i64, AppError> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::NotFound)?;
    params
        .get(name)
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::NotFound)
}

/// A signed-in visitor (as the session says).
pub struct SignedInUser {
    pub user_id: i64,
    /// The name the session keeps for the header.
    pub name: String,
    pub visitor: Visitor,
}

impl FromRequestParts<AppState> for SignedInUser {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.signed_in.clone() {
            Some(user) => Ok(SignedInUser {
                user_id: user.user_id,
                name: user.name,
                visitor,
            }),
            None => Err(Refusal::LogIn(back(parts))),
        }
    }
}

/// A signed-in instructor (checked against the database, not the session, on every request).
pub struct Instructor {
    pub user: store::users::User,
    pub visitor: Visitor,
}

impl FromRequestParts<AppState> for Instructor {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = SignedInUser::from_request_parts(parts, state).await?;
        // An account deleted since the session began: as good as not signed in.
        let user = store::users::by_id(&state.db, signed_in.user_id)
            .await?
            .ok_or_else(|| Refusal::LogIn(back(parts)))?;
        if !user.is_instructor() {
            return Err(AppError::Forbidden.into());
        }
        Ok(Instructor {
            user,
            visitor: signed_in.visitor,
        })
    }
}

/// A class the signed-in instructor owns, from the `{class_id}` path parameter.
pub struct OwnedClass {
    pub class: store::classes::Class,
    pub instructor: Instructor,
}

impl FromRequestParts<AppState> for OwnedClass {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let instructor = Instructor::from_request_parts(parts, state).await?;
        let class_id = path_id(parts, state, "class_id").await?;
        let class = store::classes::by_id(&state.db, class_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if class.owner_id != instructor.user.user_id {
            return Err(AppError::NotFound.into());
        }
        Ok(OwnedClass { class, instructor })
    }
}

/// A member of a class the signed-in instructor owns, from the `{class_id}` and `{user_id}` path
/// parameters.
pub struct ClassMember {
    pub owned: OwnedClass,
    pub member: store::classes::Member,
}

impl FromRequestParts<AppState> for ClassMember {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let owned = OwnedClass::from_request_parts(parts, state).await?;
        let user_id = path_id(parts, state, "user_id").await?;
        let member = store::classes::member(&state.db, owned.class.class_id, user_id)
            .await?
            .ok_or_else(|| {
                AppError::not_found_with(crate::web::chrome::pick(
                    "この学習者はこのクラスのメンバーではありません。",
                    "This learner is not a member of this class.",
                ))
            })?;
        Ok(ClassMember { owned, member })
    }
}
