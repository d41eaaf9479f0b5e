//! The fast path in front of the router: a GET or HEAD for bytes every anonymous reader shares — a topic
//! page or the home page for a request without a session cookie, any static file — is answered from
//! memory before routing, sessions, tracing and the other layers, with the same bytes and headers the
//! router's handlers give (`pages::anonymous`, `assets::respond`) and the same security headers
//! (`router::security_headers`). Everything else, and anything it is unsure of (a session cookie, a path
//! it does not know as written), goes to the router unchanged.
//!
//! Why: those layers cost several times what copying a page from memory does, so the busiest requests a
//! class makes (every reader opening the same topic) were bounded by them (`bench/pages.sh`).
//!
//! With `--metrics-bind`, what it answers is counted as the route it stands for (`web::metrics`).

use crate::web::metrics::FastRoute;
use crate::web::state::AppState;
use crate::web::{assets, pages};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, header};
use axum::response::Response;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// The router with the fast path in front (see the module documentation).
#[derive(Clone)]
pub struct FastPath<S> {
    state: AppState,
    inner: S,
    shared: Arc<Shared>,
}

struct Shared {
    /// `router::security_headers`, for this deployment.
    security: Vec<(HeaderName, HeaderValue)>,
    /// The session cookie's name followed by `=`: a request carrying it may be signed in.
    session_cookie: String,
}

impl<S> FastPath<S> {
    pub fn new(state: AppState, inner: S) -> Self {
        let secure = state.settings.secure_cookies;
        let shared = Arc::new(Shared {
            security: crate::web::router::security_headers(secure),
            session_cookie: format!(
                "{}=",
                crate::auth::cookie_name(crate::auth::SESSION_COOKIE, secure)
            ),
        });
        FastPath {
            state,
            inner,
            shared,
        }
    }

    /// The response for a request the fast path can answer alone, or `None`.
    fn answer(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let mut response = if let Some(rest) = path.strip_prefix("/static/") {
            let (version, file) = rest.split_once('/')?;
            assets::respond(version, file, headers)?
        } else {
            // One Cookie header at most (HTTP/1 clients send one; the session layer would read them
            // all), in plain text.
            let mut all = headers.get_all(header::COOKIE).iter();
            let cookies = match (all.next(), all.next()) {
                (None, _) => "",
                (Some(one), None) => one.to_str().ok()?,
                (Some(_), Some(_)) => return None,
            };
            if has_cookie(cookies, &self.shared.session_cookie) {
                return None;
            }
            let theme = crate::web::layout::theme_from_cookies(Some(cookies));
            let content = self.state.content();
            let page = if path == "/" {
                content.rendered.home(theme)?
            } else {
                let slug = path.strip_prefix("/topics/")?;
                if slug.contains('/') {
                    return None;
                }
                content.rendered.topic(slug, theme)?
            };
            pages::anonymous(page, headers)
        };
        let out = response.headers_mut();
        for (name, value) in &self.shared.security {
            out.insert(name.clone(), value.clone());
        }
        Some(response)
    }
}

/// Whether a `Cookie` header holds a cookie `name_eq` (`name=`).
fn has_cookie(cookies: &str, name_eq: &str) -> bool {
    cookies
        .split(';')
        .any(|pair| pair.trim_start().starts_with(name_eq))
}

impl<S, B> tower::Service<Request<B>> for FastPath<S>
where
    S: tower::Service<Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clock is read only when there are metrics to record.
        let started = self.state.metrics.as_ref().map(|_| Instant::now());
        let path = request.uri().path();
        match self.answer(request.method(), path, request.headers()) {
            Some(response) => {
                if let (Some(metrics), Some(started)) = (&self.state.metrics, started) {
                    let route = if path.starts_with("/static/") {
                        FastRoute::Static
                    } else if path == "/" {
                        FastRoute::Home
                    } else {
                        FastRoute::Topic
                    };
                    metrics.fast_answer(route, request.method(), response.status(), started);
                }
                futures_util::future::Either::Left(ready(Ok(response)))
            }
            None => futures_util::future::Either::Right(self.inner.call(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_cookie;

    #[test]
    fn the_session_cookie_is_found_only_by_its_own_name() {
        assert!(has_cookie("theme=dark; dojo_session=abc", "dojo_session="));
        assert!(has_cookie("dojo_session=abc", "dojo_session="));
        assert!(!has_cookie("theme=dark; dojo_csrf=x", "dojo_session="));
        assert!(!has_cookie("not_dojo_session=1", "dojo_session="));
        assert!(!has_cookie("", "dojo_session="));
    }
}
