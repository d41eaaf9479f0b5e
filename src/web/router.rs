//! The URL map in one place, and the layers every response passes through: security headers,
//! compression, request tracing, a timeout, a body limit, and the storage guard (a database that lost
//! its file or its room refuses writes with a page that says so).

use crate::web::state::AppState;
use crate::web::{
    account, assets, auth, health, instructor, live_reload, pages, progress, quiz, review, search,
    session_store, storage, visitor, widgets,
};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::get;
use std::time::Duration;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// No inline script or style, nothing from another host, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Largest request body accepted anywhere (forms and JSON are far smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The headers every response carries (unless its handler set its own): CSP, no sniffing, no framing, a
/// same-origin referrer and opener, and behind HTTPS (`secure`) HSTS — browsers are told to never use
/// plain HTTP for this site again (a year, the usual value); without HTTPS the header would be a lie.
/// The router adds them as layers; `web::fast` adds the same list to what it answers before routing.
pub fn security_headers(secure: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    if secure {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    headers
}

/// Middleware of a route whose page shows the course navigation with the learner's mastery.
async fn with_topic_mastery(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    session_store::with_topic_mastery(next.run(request)).await
}

pub fn router(state: AppState) -> Router {
    // Sessions live in SQLite; the cookie is HttpOnly, SameSite=Lax, Secure and `__Host-` when served over
    // HTTPS (see `auth::cookie_name`).
    let secure = state.settings.secure_cookies;
    let sessions = SessionManagerLayer::new(session_store::Store::new(
        state.db.clone(),
        visitor::USER_ID,
    ))
    .with_name(crate::auth::cookie_name(
        crate::auth::SESSION_COOKIE,
        secure,
    ))
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(state.settings.secure_cookies)
    .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    let mut routes = Router::new()
        // Their pages show the learner's mastery beside each topic: read with the session, in one
        // statement (`session_store::with_topic_mastery`).
        .route(
            "/",
            get(pages::home).layer(axum::middleware::from_fn(with_topic_mastery)),
        )
        .route(
            "/topics/{slug}",
            get(pages::topic).layer(axum::middleware::from_fn(with_topic_mastery)),
        )
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
    let mut app = routes
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
        // The two refusals above are tower-http's English plain text: in Japanese, as page or JSON.
        .layer(axum::middleware::from_fn(
            crate::web::error::explain_layer_refusals,
        ))
        // Pages made per request (a signed-in reader's) are compressed with gzip at its fastest level:
        // brotli at level 4 took 70% of the server's time on a signed-in topic page, and even at level
        // 0 it served fewer pages than gzip 1 while every response in flight held a larger encoder
        // (`bench/RESULTS.md`). Bytes every reader shares come compressed already, brotli at its best
        // (`web::precompressed`), and pass through untouched.
        .layer(
            CompressionLayer::new()
                .no_br()
                .quality(CompressionLevel::Fastest),
        );
    for (name, value) in security_headers(secure) {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    let metrics = state.metrics.is_some();
    let app = app
        .layer(TraceLayer::new_for_http())
        // The course's language for everything a request renders, error pages from the layers above
        // (413, 408) included.
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::web::chrome::scope,
        ));
    // Outermost, so the time counts every layer; only with `--metrics-bind` (`web::metrics`).
    if metrics {
        app.layer(axum::middleware::from_fn(crate::web::metrics::record))
    } else {
        app
    }
}
