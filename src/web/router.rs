//! The URL map in one place, and the layers every response passes through: security headers,
//! compression, request tracing, a timeout, a body limit, and the storage guard (a database that lost
//! its file or its room refuses writes with a page that says so).

use crate::state::AppState;
use crate::web::{
    analysis, assets, auth, health, instructor, pages, progress, quiz, search, storage, widgets,
};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::get;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

/// No inline script or style, nothing from another host, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Largest request body accepted anywhere (forms and JSON are far smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    // Sessions live in SQLite; the cookie is HttpOnly, SameSite=Lax, Secure when served over HTTPS.
    let sessions = SessionManagerLayer::new(SqliteStore::new(state.db.clone()))
        .with_name("dojo_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    let routes = Router::new()
        .route("/", get(pages::home))
        .route("/topics/{slug}", get(pages::topic))
        .route("/search", get(search::search))
        .route("/healthz", get(health::healthz))
        .route("/static/{version}/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(widgets::router())
        .merge(auth::router())
        .merge(quiz::router())
        .merge(progress::router())
        .merge(instructor::router())
        .merge(analysis::router())
        .fallback(pages::not_found)
        .with_state(state.clone());

    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    routes
        .layer(sessions)
        // Outside the session layer, so a session that fails to save is explained, and a refused
        // write does not touch the session store at all.
        .layer(axum::middleware::from_fn_with_state(state, storage::guard))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .layer(CompressionLayer::new())
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(TraceLayer::new_for_http())
}
