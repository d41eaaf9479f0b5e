//! The URL map in one place, and the layers every response passes through: security headers,
//! compression, request tracing, a timeout, a body limit, and the storage guard (a database that lost
//! its file or its room refuses writes with a page that says so).

use crate::web::state::AppState;
use crate::web::{
    account, assets, auth, health, instructor, live_reload, pages, progress, quiz, review, search,
    storage, widgets,
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
    // Sessions live in SQLite; the cookie is HttpOnly, SameSite=Lax, Secure and `__Host-` when served over
    // HTTPS (see `auth::cookie_name`).
    let secure = state.settings.secure_cookies;
    let sessions = SessionManagerLayer::new(SqliteStore::new(state.db.clone()))
        .with_name(crate::auth::cookie_name(
            crate::auth::SESSION_COOKIE,
            secure,
        ))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    let mut routes = Router::new()
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
        .merge(review::router())
        .merge(account::router())
        .merge(instructor::router());
    // Only `serve --watch` has the live-reload endpoint; elsewhere the path is an ordinary 404.
    if state.live_reload.is_some() {
        routes = routes.merge(live_reload::router());
    }
    let routes = routes.fallback(pages::not_found).with_state(state.clone());

    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    // Behind HTTPS, browsers are told to never use plain HTTP for this site again (a year, the usual
    // value); without it the header would be a lie.
    let hsts = secure.then(|| HeaderValue::from_static("max-age=31536000"));
    routes
        // Responses are personal unless their handler says otherwise (static assets, pages every
        // anonymous reader shares): nothing about a learner is kept by a browser or a shared cache.
        .layer(header(header::CACHE_CONTROL, "no-store"))
        // Inside the session layer: error pages are redrawn with the visitor's name and theme.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::error_page_for_visitor,
        ))
        .layer(sessions)
        // Outside the session layer, so a session that fails to save is explained, and a refused
        // write does not touch the session store at all.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            storage::guard,
        ))
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
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &axum::response::Response<_>| hsts.clone(),
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(TraceLayer::new_for_http())
        // Outermost: the course's language for everything a request renders, error pages from the
        // layers above (413, 408) included.
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::web::chrome::scope,
        ))
}
