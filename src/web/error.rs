//! The one error type handlers return. Each variant knows its status and its Japanese message; internal
//! errors are logged once with their cause and shown as a generic 500 page that reveals nothing.
//! The same error renders as an HTML page ([`AppError`]) or as JSON for the API ([`ApiError`]).
//! A database error that means the disk is full is not a bug: it gets a 503 that says so, and the
//! response is marked ([`StorageFailure`]) so later writes check the storage first.

use crate::web::chrome::pick;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
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
    /// Too many attempts (429) or too busy (503): the message says how long to wait, and `Retry-After`
    /// says it to programs.
    #[error("{message}")]
    RetryLater {
        status: StatusCode,
        retry_after_secs: u64,
        message: String,
    },
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

    /// A 422 (the input was read but is not acceptable) with this message.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        AppError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
        }
    }

    /// A 404 that says what is missing, where the generic page would leave the reader guessing.
    pub fn not_found_with(message: impl Into<String>) -> Self {
        AppError::Invalid {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// A 403 that says why.
    pub fn forbidden_with(message: impl Into<String>) -> Self {
        AppError::Invalid {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
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
            AppError::Invalid { status, .. } | AppError::RetryLater { status, .. } => *status,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Database(_) | AppError::Template(_) | AppError::Other(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// What the user is told. Internal causes stay in the log.
    pub fn public_message(&self) -> String {
        self.public_message_in(crate::content::Language::Ja)
    }

    /// What the user is told, in the course's language where the message is generic. (Messages about
    /// bad input are written by handlers in Japanese.)
    pub fn public_message_in(&self, language: crate::content::Language) -> String {
        use crate::content::Language::En;
        if self.is_disk_full() {
            return crate::storage::Problem::Full.message(language).to_string();
        }
        match (self, language) {
            (AppError::Database(_) | AppError::Template(_) | AppError::Other(_), En) => {
                "Something went wrong on the server. Please try again later.".to_string()
            }
            (AppError::Database(_) | AppError::Template(_) | AppError::Other(_), _) => {
                "サーバー内部でエラーが起きました。時間をおいてもう一度お試しください。".to_string()
            }
            (AppError::NotFound, En) => "There is no page at this address.".to_string(),
            (AppError::Unauthorized, En) => "Please log in to see this page.".to_string(),
            (AppError::Forbidden, En) => "You are not allowed to see this page.".to_string(),
            (other, _) => other.to_string(),
        }
    }

    /// The `Retry-After` header value, for [`AppError::RetryLater`].
    pub fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            AppError::RetryLater {
                retry_after_secs, ..
            } => Some(HeaderValue::from(*retry_after_secs)),
            _ => None,
        }
    }

    fn log(&self) {
        // A 503 for a full queue is load, not a fault: its handler logs it once as a warning.
        if self.status().is_server_error() && !matches!(self, AppError::RetryLater { .. }) {
            tracing::error!(error = %self, "request failed");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let retry_after = self.retry_after();
        let language = crate::web::chrome::current();
        let mut response =
            crate::web::pages::error_page(self.status(), &self.public_message_in(language));
        if let Some(value) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.is_disk_full() {
            response
                .extensions_mut()
                .insert(StorageFailure(crate::storage::Problem::Full));
        }
        response
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
        let mut response = (self.0.status(), Json(body)).into_response();
        if let Some(value) = self.0.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.0.is_disk_full() {
            response
                .extensions_mut()
                .insert(StorageFailure(crate::storage::Problem::Full));
        }
        response
    }
}

/// A throttled guess: 429 with how long to wait, in words and in `Retry-After`.
impl From<crate::auth::throttle::Wait> for AppError {
    fn from(wait: crate::auth::throttle::Wait) -> Self {
        AppError::RetryLater {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after_secs: wait.secs(),
            message: wait.message(crate::web::chrome::current()),
        }
    }
}

/// Layer just outside the body limit and the request timeout (`web::router`). Some refusals are made
/// before any handler of ours runs — 413 for a body whose `Content-Length` is over the limit, 408 for a
/// request that does not finish in time, 405 for a method a route does not take, 400 for a path that is
/// not UTF-8 — and come as tower-http's or axum's English plain text, or nothing at all. They go out as
/// every other refusal does: a Japanese page, or `{"error": …}` from the endpoints that answer JSON,
/// keeping the status and `Allow`. A handler's own refusal (a page or JSON already) passes untouched.
pub async fn explain_layer_refusals(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let json = answers_json(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    // Pages and JSON are the application's own; the framework's refusals are plain text or empty.
    let from_handler = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            let v = v.as_bytes();
            v.starts_with(b"text/html") || v.starts_with(b"application/json")
        });
    if from_handler || !status.is_client_error() {
        return response;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => pick(
            "送信された内容が大きすぎます（64 KB まで）。",
            "What was sent is too large (at most 64 KB).",
        ),
        StatusCode::REQUEST_TIMEOUT => pick(
            "リクエストが時間内に届き終わりませんでした。もう一度送信してください。",
            "The request did not arrive in time. Send it again.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => pick(
            "このアドレスはその方法（HTTP メソッド）では使えません。リンクかフォームから開いてください。",
            "This address does not take that HTTP method. Open it from a link or a form.",
        ),
        _ => pick(
            "リクエストを読めませんでした。アドレスとパラメータを確かめてください。",
            "The request could not be read. Check the address and its parameters.",
        ),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let error = AppError::Invalid {
        status,
        message: message.to_string(),
    };
    let mut explained = if json {
        ApiError(error).into_response()
    } else {
        error.into_response()
    };
    if let Some(allow) = allow {
        explained.headers_mut().insert(header::ALLOW, allow);
    }
    explained
}

/// The endpoints whose answers, refusals included, are JSON: the widget API, the quiz's per-question
/// check and the live panel's polling.
fn answers_json(path: &str) -> bool {
    path.starts_with("/api/") || path.ends_with("/quiz/check") || path.ends_with(".json")
}
