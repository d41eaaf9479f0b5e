//! Extractors whose rejections speak Japanese: a malformed JSON body or query string gets a clear message
//! and the right status (400, 413, 415, 422) as JSON, never axum's English plain text; a form that cannot
//! be read, or whose CSRF token is wrong ([`CsrfForm`]), gets a Japanese error page.

use crate::web::chrome::{pick, pick_with};
use crate::web::error::{ApiError, AppError};
use crate::web::state::{AppState, Settings};
use crate::web::visitor::Visitor;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Most query parameters any API accepts; more is a mistake or an attack.
const MAX_QUERY_PAIRS: usize = 32;
/// Longest accepted query value.
const MAX_QUERY_VALUE: usize = 200;

/// A JSON request body.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError(json_rejection(rejection))),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    let (status, message) = match &rejection {
        JsonRejection::MissingJsonContentType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            pick(
                "Content-Type: application/json で送ってください。",
                "Send it with Content-Type: application/json.",
            )
            .to_string(),
        ),
        JsonRejection::JsonSyntaxError(_) => (
            StatusCode::BAD_REQUEST,
            pick("JSON の形が正しくありません。", "The JSON is malformed.").to_string(),
        ),
        JsonRejection::JsonDataError(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            pick_with(
                || format!("JSON の項目が正しくありません: {}", e.body_text()),
                || format!("A JSON field is wrong: {}", e.body_text()),
            ),
        ),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                pick(
                    "リクエストが大きすぎます（64 KB まで）。",
                    "The request is too large (at most 64 KB).",
                )
                .to_string(),
            )
        }
        _ => (
            rejection.status(),
            pick(
                "リクエストを読めませんでした。",
                "The request could not be read.",
            )
            .to_string(),
        ),
    };
    AppError::Invalid { status, message }
}

/// Query parameters as ordered pairs, bounded in number and length.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let pairs = axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_: QueryRejection| {
                ApiError(AppError::bad_request(pick(
                    "クエリ文字列を読めません。",
                    "The query string cannot be read.",
                )))
            })?
            .0;
        if pairs.len() > MAX_QUERY_PAIRS {
            return Err(ApiError(AppError::bad_request(pick_with(
                || format!("パラメータが多すぎます（{MAX_QUERY_PAIRS} 個まで）。"),
                || format!("Too many parameters (at most {MAX_QUERY_PAIRS})."),
            ))));
        }
        if let Some((key, _)) = pairs
            .iter()
            .find(|(_, v)| v.chars().count() > MAX_QUERY_VALUE)
        {
            return Err(ApiError(AppError::bad_request(pick_with(
                || format!("パラメータ {key} の値が長すぎます（{MAX_QUERY_VALUE} 文字まで）。"),
                || {
                    format!(
                        "The value of {key} is too long (at most {MAX_QUERY_VALUE} characters)."
                    )
                },
            ))));
        }
        Ok(QueryPairs(pairs))
    }
}

/// A topic of the course, from the `{slug}` path parameter; a slug the course does not have is a 404.
/// Taken before a form is read, so a post to a topic that does not exist is a 404 whatever it carries.
pub struct KnownTopic(pub String);

impl FromRequestParts<AppState> for KnownTopic {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Path(slug) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        match state.content().course.topic(&slug) {
            Some(_) => Ok(KnownTopic(slug)),
            None => Err(AppError::NotFound),
        }
    }
}

/// A state-changing form: its `csrf` field is checked against the visitor's CSRF cookie (the
/// double-submit pattern, `Visitor::verify_csrf`) before the handler runs, then the form is decoded as `T`.
/// The one way a form body is read, so no handler can forget the check. `T` holds the form's own fields
/// (`csrf` is not one of them); a form with nothing else to read is plain `CsrfForm` ([`NoFields`]); a
/// form whose field names are not known in advance reads `CsrfForm<Vec<(String, String)>>`, every pair
/// in order, `csrf` included.
///
/// Unreadable bodies are refused first, as before the check existed: 415 for another content type, 413
/// over the body limit, 422 when the fields do not fit `T`, each with a Japanese page; then a missing or
/// wrong token is a 403.
pub struct CsrfForm<T = NoFields>(pub T);

/// The fields of a form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    Settings: FromRef<S>,
    crate::db::Db: FromRef<S>,
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let body = form_body(Request::from_parts(parts, body), state).await?;
        let value = decode::<T>(&body)?;
        // The first `csrf` field, wherever it stands (a form that repeats it is the handler's to refuse).
        let pairs = decode::<Vec<(String, String)>>(&body)?;
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        visitor.verify_csrf(token).await?;
        Ok(CsrfForm(value))
    }
}

/// The body of a form post (`application/x-www-form-urlencoded`), within the body limit.
async fn form_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(form_error(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    Bytes::from_request(req, state)
        .await
        .map_err(|rejection| form_error(rejection.status()))
}

/// A form body decoded as `T`.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| form_error(StatusCode::UNPROCESSABLE_ENTITY))
}

/// A form that cannot be read, in Japanese, with its status (a client error; anything else is a 400).
fn form_error(status: StatusCode) -> AppError {
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => pick(
            "送信された内容が大きすぎます（64 KB まで）。",
            "What was sent is too large (at most 64 KB).",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            pick("フォームの形式で送信してください。", "Send it as a form.")
        }
        _ => pick(
            "フォームの内容を読めませんでした。入力を確かめて、もう一度送信してください。",
            "The form could not be read. Check what you entered and send it again.",
        ),
    };
    let status = if status.is_client_error() {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    AppError::Invalid {
        status,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_only_form_reads_whatever_else_is_posted() {
        assert!(decode::<NoFields>(b"csrf=abc&extra=1").is_ok());
        let pairs = decode::<Vec<(String, String)>>(b"a.q1=x&csrf=t&a.q1=y").unwrap();
        assert_eq!(pairs.len(), 3, "repeated fields are kept, in order");
    }

    #[test]
    fn unreadable_forms_keep_their_client_error_status() {
        #[derive(Debug, Deserialize)]
        struct Numbered {
            #[allow(dead_code)]
            n: i64,
        }
        assert_eq!(
            decode::<Numbered>(b"n=seven").unwrap_err().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            form_error(StatusCode::PAYLOAD_TOO_LARGE).to_string(),
            "送信された内容が大きすぎます（64 KB まで）。"
        );
        assert_eq!(
            form_error(StatusCode::INTERNAL_SERVER_ERROR).status(),
            StatusCode::BAD_REQUEST
        );
    }
}
