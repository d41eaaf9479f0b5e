//! Shared by the integration tests: an app on a fresh temporary SQLite file, and request helpers.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use infra_dojo::content::source::ContentSource;
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
    let dir = tempfile::tempdir().expect("temp dir");
    let db = infra_dojo::db::open(&dir.path().join("test.db"))
        .await
        .expect("open db");
    let course = infra_dojo::load_course(source).expect("content loads");
    let state = infra_dojo::build_state(db, course).await.expect("state");
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
    pub async fn request(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }
}
