//! `GET /search?q=`: the results page.

use crate::search::{self, QueryError, Results};
use crate::web::error::Result;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "search/results.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub query: String,
    pub results: Option<Results>,
    pub message: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    mut layout: Layout,
    params: std::result::Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let content = state.content();
    let raw = params.map(|Query(p)| p.q).unwrap_or_default();
    layout.query = raw.chars().take(search::MAX_QUERY_CHARS).collect();
    let (status, results, message) = match search::parse_query(&raw) {
        Ok(query) => {
            let results = search::run(&state.search, &content.course, &query).await?;
            (StatusCode::OK, Some(results), None)
        }
        Err(e @ QueryError::Empty) => (
            StatusCode::OK,
            None,
            Some(e.message(content.course.language)),
        ),
        Err(e @ QueryError::TooLong(_)) => (
            StatusCode::BAD_REQUEST,
            None,
            Some(e.message(content.course.language)),
        ),
    };
    let page = SearchPage {
        query: layout.query.clone(),
        layout,
        results,
        message,
    };
    Ok((status, page).into_response())
}
