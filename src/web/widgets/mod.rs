//! The widgets on topic pages, server side: each widget's HTML as placed in its page (every scenario as a
//! table or list, so the page teaches without JavaScript and on paper), and the JSON API the scripts use
//! for other scenarios and for checking a learner's prediction. The truth is always the model, found in
//! the [registry](crate::widgets::registry); this module only routes to it and presents it.
//!
//! Each widget has a view here — one module with its askama page struct and a `View` implementing
//! [`WidgetView`] — and `VIEWS` lists them from the same list as the registry
//! ([`for_each_widget`](crate::for_each_widget)). The routes are shared: `GET /api/widgets/{name}` and
//! `POST /api/widgets/{name}/check` ask the registry, so no handler knows a widget by name.

pub mod captures;
mod conntrack;
mod forktree;
mod ftp;
mod handshake;
mod lb_layers;
mod pipe;
mod pmtud;
mod procmem;
mod race;
mod sched;
mod sessions;
mod signals;
mod snmp;

use crate::store;
use crate::web::error::{ApiError, AppError};
use crate::web::extract::{JsonBody, QueryPairs};
use crate::web::precompressed::{fnv64, not_modified};
use crate::web::state::AppState;
use crate::web::visitor::Visitor;
use crate::widgets::{self, GradedItem, ParamError, Widget, WidgetError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

impl From<ParamError> for AppError {
    fn from(e: ParamError) -> Self {
        AppError::bad_request(e.0)
    }
}

impl From<WidgetError> for AppError {
    fn from(e: WidgetError) -> Self {
        let status = match &e {
            WidgetError::Param(_) => StatusCode::BAD_REQUEST,
            WidgetError::Shape(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WidgetError::NoCheck(_) => StatusCode::NOT_FOUND,
            WidgetError::Internal(_) => return AppError::Other(anyhow::Error::new(e)),
        };
        AppError::Invalid {
            status,
            message: e.to_string(),
        }
    }
}

/// A widget as the web shows it: its page HTML and any routes of its own. The model behind it is a
/// [`Widget`] from the registry.
pub trait WidgetView: Sync {
    /// The model this view presents; its name and label are the view's.
    fn widget(&self) -> &'static dyn Widget;

    /// The widget's block in its topic page: every scenario as HTML, before any script runs.
    fn render(&self) -> askama::Result<String>;

    /// Endpoints only this widget has, beside the shared ones (FTP's port calculator).
    fn routes(&self) -> Router<AppState> {
        Router::new()
    }
}

macro_rules! views {
    ($($name:ident),*) => { [$(&$name::View as &dyn WidgetView),*] };
}

/// Every widget's view, made from the same list as [`widgets::REGISTRY`]: one `View` per widget module
/// here, in the same order.
static VIEWS: &[&dyn WidgetView] = &crate::for_each_widget!(views);

fn view(name: &str) -> Option<&'static dyn WidgetView> {
    VIEWS.iter().copied().find(|v| v.widget().name() == name)
}

/// The label and HTML of widget `name` as placed in a topic page, or `None` if no such widget exists.
pub fn render_for_page(name: &str) -> Option<(String, String)> {
    let view = view(name)?;
    match view.render() {
        Ok(html) => Some((view.widget().label().to_string(), html)),
        Err(e) => {
            tracing::error!(widget = name, error = %e, "widget failed to render");
            None
        }
    }
}

/// The name serde gives a value (enum variants as in the JSON API), so tables and JSON agree.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn side_label(side: &str) -> &'static str {
    if side == "client" {
        "クライアント"
    } else {
        "サーバー"
    }
}

pub fn router() -> Router<AppState> {
    VIEWS.iter().fold(
        Router::new()
            .route("/api/widgets/{name}", get(scenario))
            .route("/api/widgets/{name}/check", post(check))
            .route("/captures/{widget}/{file}", get(captures::pcap)),
        |router, view| router.merge(view.routes()),
    )
}

/// The widget called `name`, or a 404 naming the ones there are.
fn find(name: &str) -> Result<&'static dyn Widget, ApiError> {
    widgets::find(name).ok_or_else(|| {
        let names: Vec<&str> = widgets::registry().iter().map(|w| w.name()).collect();
        ApiError(AppError::Invalid {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "ウィジェット \"{}\" はありません（{}）",
                name.chars().take(40).collect::<String>(),
                names.join(", ")
            ),
        })
    })
}

/// A JSON document the model wrote, sent as it is.
fn json_response(json: widgets::Json) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        String::from(Box::<str>::from(json)),
    )
        .into_response()
}

/// `GET /api/widgets/{name}?…`: a whole scenario from the model. The same query gives the same bytes to
/// everyone, so it carries an `ETag` (a hash of the JSON) and may be kept if asked again (`no-cache`);
/// an `If-None-Match` that names it gets a 304 without the body.
async fn scenario(
    Path(name): Path<String>,
    QueryPairs(pairs): QueryPairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let json = String::from(Box::<str>::from(find(&name)?.scenario_json(&pairs)?));
    let etag = HeaderValue::from_str(&format!("\"{:016x}\"", fnv64(json.as_bytes())))
        .map_err(|e| ApiError(AppError::Other(anyhow::Error::new(e))))?;
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if not_modified(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response())
}

/// `POST /api/widgets/{name}/check`: is the learner's prediction right, and why. The widget reads and
/// grades the body; a signed-in learner's graded item is stored. JSON only: a cross-site form cannot
/// send `application/json` without a CORS preflight this server never allows, which is this endpoint's
/// CSRF protection.
async fn check(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, ApiError> {
    let widget = find(&name)?;
    let graded = widget.check(&body)?;
    record(&state, &visitor, widget.name(), &graded.item).await?;
    Ok(json_response(graded.reply))
}

/// Stores a signed-in learner's prediction as a graded item (anonymous predictions are graded, not kept).
async fn record(
    state: &AppState,
    visitor: &Visitor,
    widget: &str,
    item: &GradedItem,
) -> Result<(), ApiError> {
    if let Some(user) = &visitor.signed_in {
        store::quiz::record_widget_answer(
            &state.db,
            user.user_id,
            widget,
            &item.scenario,
            item.step,
            item.field,
            &item.answer,
            item.correct,
            store::now(),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_widget_has_one_view_and_renders() {
        let models: Vec<&str> = widgets::registry().iter().map(|w| w.name()).collect();
        let views: Vec<&str> = VIEWS.iter().map(|v| v.widget().name()).collect();
        assert_eq!(models, views, "each View presents its own module's widget");
        for v in VIEWS {
            let html = v.render().expect("renders");
            let name = v.widget().name();
            assert!(
                html.contains(&format!("data-widget=\"{name}\""))
                    && html.contains(&format!("data-api=\"/api/widgets/{name}\""))
                    && html.contains(v.widget().label()),
                "{name}"
            );
        }
        assert!(render_for_page("nope").is_none());
    }
}
