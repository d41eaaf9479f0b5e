//! The layer between requests and a database that may have lost its file or its room (see
//! `crate::storage`). Before a write request (any method but GET, HEAD, OPTIONS, TRACE) it checks that
//! the file is still the one opened, and refuses with a 503 page saying why rather than acknowledge an
//! answer that would be lost. After the response it turns an error with an empty body — the session
//! layer's, when saving the session fails after the handler — into a page that says what happened.

use crate::storage::Problem;
use crate::web::error::StorageFailure;
use crate::web::pages::error_page;
use crate::web::state::AppState;
use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.method().is_safe()
        && let Err(problem) = state.storage.check_before_write(&state.db).await
    {
        return refusal(problem);
    }
    let res = next.run(req).await;
    if let Some(StorageFailure(problem)) = res.extensions().get::<StorageFailure>().copied() {
        if problem == Problem::Full {
            state.storage.note_full();
        }
        return res;
    }
    if res.status().is_server_error() && res.body().size_hint().exact() == Some(0) {
        // tower-sessions logs why it failed and answers a bare 500; the cause is not passed on, so
        // look at the storage, where the likely causes are.
        return match state.storage.check(&state.db).await {
            Err(problem) => refusal(problem),
            Ok(()) => error_page(
                res.status(),
                "サーバー内部でエラーが起きました。時間をおいてもう一度お試しください。",
            ),
        };
    }
    res
}

/// The 503 page for `problem`, with a hint to come back later.
pub fn refusal(problem: Problem) -> Response {
    let mut res = error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        problem.message(crate::web::chrome::current()),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    res.extensions_mut().insert(StorageFailure(problem));
    res
}
