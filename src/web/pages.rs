//! The reading pages: the home page (course map), a topic page per `###` section, and the error page.

use crate::content::{Course, TocEntry, Topic};
use crate::quiz::bank::Bank;
use crate::web::error::{AppError, Result};
use crate::web::layout::{Layout, LiveReloadTag, NavPart, course_nav};
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Template, WebTemplate)]
#[template(path = "topics/home.html")]
pub struct HomePage<'a> {
    pub layout: Layout,
    /// Questions due for review, for a visitor with progress.
    pub due: Option<i64>,
    pub question_count: usize,
    pub title: &'a str,
    pub nav: Vec<NavPart<'a>>,
    /// The map shows the reader's mastery of each topic.
    pub signed_in: bool,
    pub topic_count: usize,
    pub annotation_count: usize,
}

/// `GET /`: the course map.
pub async fn home(
    State(state): State<AppState>,
    layout: Layout,
    visitor: crate::web::visitor::Visitor,
) -> Result<Response> {
    let content = state.content();
    let course = &content.course;
    let (due, progress) = match &visitor.signed_in {
        Some(user) => (
            Some(
                crate::store::quiz::due_count(&state.db, user.user_id, crate::store::now()).await?,
            ),
            Some(crate::web::progress::nav_progress(&state, user.user_id).await?),
        ),
        None => (None, None),
    };
    Ok(HomePage {
        layout,
        due,
        question_count: content.quizzes.len(),
        title: &course.title,
        nav: course_nav(course, None, progress.as_ref()),
        signed_in: progress.is_some(),
        topic_count: course.topics.len(),
        annotation_count: course.topics.iter().map(|t| t.annotation_count).sum(),
    }
    .into_response())
}

/// A neighbouring topic, for previous/next links.
pub struct Neighbour<'a> {
    pub href: String,
    pub title: &'a str,
}

#[derive(Template, WebTemplate)]
#[template(path = "topics/topic.html")]
pub struct TopicPage<'a> {
    pub layout: Layout,
    pub course_title: &'a str,
    pub topic: &'a Topic,
    pub toc: &'a [TocEntry],
    pub nav: Vec<NavPart<'a>>,
    pub prev: Option<Neighbour<'a>>,
    pub next: Option<Neighbour<'a>>,
    /// Stylesheets of the widgets on this page.
    pub widget_css: Vec<String>,
    /// The widgets' ES modules, preloaded so they arrive together.
    pub widget_js: Vec<String>,
    /// Questions in this topic's quiz.
    pub quiz_count: usize,
}

/// `GET /topics/{slug}`.
pub async fn topic(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    layout: Layout,
    visitor: crate::web::visitor::Visitor,
) -> Result<Response> {
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    // A reader who is not signed in sees a page that depends only on the topic and the theme.
    if layout.user_name.is_none()
        && let Some(html) = content.rendered.topic(&topic.slug, layout.theme)
    {
        // The same bytes for every anonymous reader with this theme: a cache may keep them, but must ask
        // again (a release changes them), and must not hand them to a signed-in reader.
        return Ok((
            [
                (axum::http::header::CACHE_CONTROL, "no-cache"),
                (axum::http::header::VARY, "Cookie"),
            ],
            Html(html),
        )
            .into_response());
    }
    let progress = match &visitor.signed_in {
        Some(user) => Some(crate::web::progress::nav_progress(&state, user.user_id).await?),
        None => None,
    };
    Ok(topic_page(
        &content.course,
        &content.quizzes,
        topic,
        layout,
        progress.as_ref(),
    )
    .into_response())
}

fn topic_page<'a>(
    course: &'a Course,
    quizzes: &Bank,
    topic: &'a Topic,
    layout: Layout,
    progress: Option<&std::collections::HashMap<String, crate::web::layout::NavProgress>>,
) -> TopicPage<'a> {
    let neighbour = |i: usize| {
        course.topics.get(i).map(|t| Neighbour {
            href: format!("/topics/{}", t.slug),
            title: &t.title,
        })
    };
    TopicPage {
        layout,
        course_title: &course.title,
        topic,
        toc: &topic.toc,
        nav: course_nav(course, Some(&topic.slug), progress),
        prev: topic.index.checked_sub(1).and_then(neighbour),
        next: neighbour(topic.index + 1),
        quiz_count: quizzes.topic(&topic.slug).len(),
        widget_css: topic
            .widgets
            .iter()
            .map(|w| crate::web::assets::url(&format!("css/widgets/{w}.css")))
            .collect(),
        widget_js: topic
            .widgets
            .iter()
            .flat_map(|w| crate::web::assets::widget_modules(w))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

/// Topic pages as a reader who is not signed in sees them, one per theme choice, rendered once per
/// version of the content: such a page depends only on the topic and the theme cookie, so serving it is
/// copying bytes.
#[derive(Debug, Default)]
pub struct RenderedPages {
    topics: std::collections::HashMap<String, [axum::body::Bytes; 3]>,
}

const THEMES: [Option<&str>; 3] = [None, Some("light"), Some("dark")];

impl RenderedPages {
    /// Renders every topic page for every theme; with `live_reload` (`serve --watch`) each page carries
    /// the script that reloads it when the content changes.
    pub fn build(
        course: &Course,
        quizzes: &Bank,
        live_reload: Option<&LiveReloadTag>,
    ) -> Result<Self> {
        let mut topics = std::collections::HashMap::new();
        for topic in &course.topics {
            let mut pages: [axum::body::Bytes; 3] = Default::default();
            for (i, theme) in THEMES.iter().enumerate() {
                let mut layout = Layout::new(None, course.language);
                layout.theme = *theme;
                layout.live_reload = live_reload.cloned();
                pages[i] = topic_page(course, quizzes, topic, layout, None)
                    .render()?
                    .into();
            }
            topics.insert(topic.slug.clone(), pages);
        }
        Ok(RenderedPages { topics })
    }

    fn topic(&self, slug: &str, theme: Option<&str>) -> Option<axum::body::Bytes> {
        let i = THEMES.iter().position(|t| *t == theme)?;
        self.topics.get(slug).map(|pages| pages[i].clone())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
}

/// What an error page said, kept on its response so [`error_page_for_visitor`] can draw it again in
/// the visitor's frame.
#[derive(Debug, Clone)]
struct ErrorPageInfo {
    status: StatusCode,
    message: String,
}

/// The error page for `status`, with `message` (already safe to show). It is drawn in a visitor's frame
/// (no name, default theme); [`error_page_for_visitor`] redraws it for whoever asked.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let mut response = render_error_page(
        Layout::new(None, crate::web::chrome::current()),
        status,
        message,
    );
    response.extensions_mut().insert(ErrorPageInfo {
        status,
        message: message.to_string(),
    });
    response
}

/// Layer inside the session layer: an error page (403, 404, …) goes out in the requester's frame — their
/// theme, and who is signed in with their links — not a stranger's 「ログイン / 登録」. The session is
/// read only when an error page is sent.
pub async fn error_page_for_visitor(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let session = request
        .extensions()
        .get::<tower_sessions::Session>()
        .cloned();
    let cookies = request
        .headers()
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = next.run(request).await;
    let Some(info) = response.extensions().get::<ErrorPageInfo>().cloned() else {
        return response;
    };
    let mut layout = Layout::new(cookies.as_deref(), crate::web::chrome::current());
    if let Some(session) = &session {
        // The request's own parts went to the handler; the identity check (is the account still
        // there?) needs only somewhere to cache its answer.
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        let identity =
            crate::web::visitor::HeaderIdentity::read(&mut parts, session, &state.db).await;
        layout.user_name = identity.user_name;
        layout.instructor = identity.instructor;
    }
    if layout.user_name.is_none() && layout.theme.is_none() {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let redrawn = render_error_page(layout, info.status, &info.message);
    let (_, body) = redrawn.into_parts();
    // Same status and headers (Retry-After, the session's cookie), the visitor's page.
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

fn render_error_page(layout: Layout, status: StatusCode, message: &str) -> Response {
    let heading = layout.t.error_heading(status);
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        heading,
        message: message.to_string(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, message.to_string()).into_response()
        }
    }
}

/// Fallback for every unknown path.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
