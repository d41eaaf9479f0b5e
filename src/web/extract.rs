//! Extractors whose rejections speak Japanese: a malformed JSON body or query string gets a clear message
//! and the right status (400, 413, 415, 422) as JSON, never axum's English plain text.

use crate::error::{ApiError, AppError};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
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
            "Content-Type: application/json で送ってください。".to_string(),
        ),
        JsonRejection::JsonSyntaxError(_) => (
            StatusCode::BAD_REQUEST,
            "JSON の形が正しくありません。".to_string(),
        ),
        JsonRejection::JsonDataError(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("JSON の項目が正しくありません: {}", e.body_text()),
        ),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "リクエストが大きすぎます（64 KB まで）。".to_string(),
            )
        }
        _ => (
            rejection.status(),
            "リクエストを読めませんでした。".to_string(),
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
                ApiError(AppError::bad_request("クエリ文字列を読めません。"))
            })?
            .0;
        if pairs.len() > MAX_QUERY_PAIRS {
            return Err(ApiError(AppError::bad_request(format!(
                "パラメータが多すぎます（{MAX_QUERY_PAIRS} 個まで）。"
            ))));
        }
        if let Some((key, _)) = pairs
            .iter()
            .find(|(_, v)| v.chars().count() > MAX_QUERY_VALUE)
        {
            return Err(ApiError(AppError::bad_request(format!(
                "パラメータ {key} の値が長すぎます（{MAX_QUERY_VALUE} 文字まで）。"
            ))));
        }
        Ok(QueryPairs(pairs))
    }
}

/// A form body (`application/x-www-form-urlencoded`), whose rejection is a Japanese error page.
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(FormBody(value)),
            Err(rejection) => {
                let status = rejection.status();
                let message = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "送信された内容が大きすぎます（64 KB まで）。",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "フォームの形式で送信してください。",
                    _ => {
                        "フォームの内容を読めませんでした。入力を確かめて、もう一度送信してください。"
                    }
                };
                let status = if status.is_client_error() {
                    status
                } else {
                    StatusCode::BAD_REQUEST
                };
                Err(AppError::Invalid {
                    status,
                    message: message.to_string(),
                })
            }
        }
    }
}
