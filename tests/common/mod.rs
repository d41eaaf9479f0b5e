//! Shared by the integration tests: an app on a fresh temporary SQLite file, and request helpers.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use infra_dojo::content::source::ContentSource;
use sqlx::sqlite::SqliteConnectOptions;
use tower::ServiceExt;

/// An app with the embedded content and its own database file (removed with the `TempDir`).
pub struct TestApp {
    pub router: axum::Router,
    pub state: infra_dojo::state::AppState,
    _dir: tempfile::TempDir,
}

pub async fn app() -> TestApp {
    app_with(&ContentSource::Embedded).await
}

pub async fn app_with(source: &ContentSource) -> TestApp {
    app_with_db(source, |options| options).await
}

/// An app whose database connections are opened with `adjust`ed options (a page limit, say).
pub async fn app_with_db(
    source: &ContentSource,
    adjust: impl FnOnce(SqliteConnectOptions) -> SqliteConnectOptions,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.db");
    let db = infra_dojo::db::open_with(adjust(infra_dojo::db::connect_options(&path)))
        .await
        .expect("open db");
    let content = infra_dojo::load_content(source).expect("content loads");
    let state = infra_dojo::build_state(db, content, Default::default())
        .await
        .expect("state");
    TestApp {
        router: infra_dojo::app(state.clone()),
        state,
        _dir: dir,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body's length in bytes as sent (compressed, when the request asked for it).
    pub bytes: usize,
}

impl Reply {
    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// Texts of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    /// An attribute of every element matching `selector`.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// The database file.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("test.db")
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            bytes: bytes.len(),

            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }
}

/// A browser-like client for router tests: keeps the session cookie between requests.
pub struct Client<'a> {
    pub app: &'a TestApp,
    pub cookie: std::sync::Mutex<Option<String>>,
}

impl TestApp {
    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookie: std::sync::Mutex::new(None),
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                    (b as char).to_string()
                } else if b == b' ' {
                    "+".into()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Client<'_> {
    pub async fn send(&self, mut req: Request<Body>) -> Reply {
        if let Some(cookie) = self.cookie.lock().unwrap().clone() {
            req.headers_mut().insert("cookie", cookie.parse().unwrap());
        }
        let reply = self.app.request(req).await;
        if let Some(set) = reply.header("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        reply
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_form(&self, uri: &str, pairs: &[(&str, &str)]) -> Reply {
        let req = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form_encode(pairs)))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_json(&self, uri: &str, json: &serde_json::Value) -> Reply {
        let req = Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(json.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// The CSRF token of the first form on a page.
    pub async fn csrf(&self, uri: &str) -> String {
        self.get(uri)
            .await
            .attrs("input[name=csrf]", "value")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no csrf on {uri}"))
    }

    /// Signs up (and so signs in) a learner.
    pub async fn sign_up(&self, name: &str) -> Reply {
        let csrf = self.csrf("/signup").await;
        self.post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("display_name", &format!("{name} さん")),
                ("password", "correct horse battery"),
                ("next", "/me"),
            ],
        )
        .await
    }
}
