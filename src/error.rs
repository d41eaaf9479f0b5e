//! The one error type handlers return. Each variant knows its status and its Japanese message; internal
//! errors are logged once with their cause and shown as a generic 500 page that reveals nothing.
//! The same error renders as an HTML page ([`AppError`]) or as JSON for the API ([`ApiError`]).
//! A database error that means the disk is full is not a bug: it gets a 503 that says so, and the
//! response is marked ([`StorageFailure`]) so later writes check the storage first.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("ページが見つかりません")]
    NotFound,
    #[error("ログインが必要です")]
    Unauthorized,
    #[error("このページを見る権限がありません")]
    Forbidden,
    /// Bad input: the message says what was wrong and how to fix it.
    #[error("{message}")]
    Invalid { status: StatusCode, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Marks a response that failed because of the storage (see `crate::storage`), for the layer that
/// watches it.
#[derive(Debug, Clone, Copy)]
pub struct StorageFailure(pub crate::storage::Problem);

/// `Result` with [`AppError`].
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    /// A 400 with this message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::Invalid {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// Whether this failed because the disk (or SQLite's page limit) is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            AppError::Database(e) => crate::store::is_disk_full(e),
            // The attempt writer's errors arrive wrapped in anyhow.
            AppError::Other(e) => e.chain().any(|cause| {
                cause
                    .downcast_ref::<sqlx::Error>()
                    .is_some_and(crate::store::is_disk_full)
            }),
            _ => false,
        }
    }

    pub fn status(&self) -> StatusCode {
        if self.is_disk_full() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Invalid { status, .. } => *status,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Database(_) | AppError::Template(_) | AppError::Other(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// What the user is told. Internal causes stay in the log.
    pub fn public_message(&self) -> String {
        if self.is_disk_full() {
            return crate::storage::Problem::Full.message().to_string();
        }
        match self {
            AppError::Database(_) | AppError::Template(_) | AppError::Other(_) => {
                "サーバー内部でエラーが起きました。時間をおいてもう一度お試しください。".to_string()
            }
            other => other.to_string(),
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut res = crate::web::pages::error_page(self.status(), &self.public_message());
        if self.is_disk_full() {
            res.extensions_mut()
                .insert(StorageFailure(crate::storage::Problem::Full));
        }
        res
    }
}

/// [`AppError`] rendered as `{"error": "…"}` for `/api/…` routes.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = serde_json::json!({ "error": self.0.public_message() });
        let mut res = (self.0.status(), Json(body)).into_response();
        if self.0.is_disk_full() {
            res.extensions_mut()
                .insert(StorageFailure(crate::storage::Problem::Full));
        }
        res
    }
}
