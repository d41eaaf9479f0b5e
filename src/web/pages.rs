//! The reading pages: the home page (course map), a topic page per `###` section, and the error page. What
//! an anonymous reader sees is rendered and compressed once per version of the content ([`RenderedPages`]).

use crate::content::{Course, TocEntry, Topic};
use crate::quiz::bank::Bank;
use crate::web::error::{AppError, Result};
use crate::web::layout::{Layout, LiveReloadTag, NavPart, course_nav};
use crate::web::precompressed::Precompressed;
use crate::web::signed_gzip::Skeleton;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::sync::OnceLock;

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
    headers: HeaderMap,
) -> Result<Response> {
    let content = state.content();
    let (due, progress) = match &visitor.signed_in {
        Some(user) => (
            Some(
                crate::store::quiz::due_count(&state.db, user.user_id, crate::store::now()).await?,
            ),
            Some(crate::web::progress::nav_progress(&state, &visitor).await?),
        ),
        None => {
            // Every reader who is not signed in sees the same page for a theme.
            if let Some(page) = content.rendered.home(layout.theme) {
                return Ok(anonymous(page, &headers));
            }
            (None, None)
        }
    };
    Ok(home_page(
        &content.course,
        &content.quizzes,
        layout,
        due,
        progress.as_ref(),
    )
    .into_response())
}

fn home_page<'a>(
    course: &'a Course,
    quizzes: &Bank,
    layout: Layout,
    due: Option<i64>,
    progress: Option<&std::collections::HashMap<String, crate::web::layout::NavProgress>>,
) -> HomePage<'a> {
    HomePage {
        layout,
        due,
        question_count: quizzes.len(),
        title: &course.title,
        nav: course_nav(course, None, progress),
        signed_in: progress.is_some(),
        topic_count: course.topics.len(),
        annotation_count: course.topics.iter().map(|t| t.annotation_count).sum(),
    }
}

/// A page every anonymous reader with this theme shares: a cache may keep it, but must ask again (a
/// release changes it), and must not hand it to a signed-in reader (`Vary: Cookie`); it comes in the
/// coding asked for, with its `ETag`.
pub fn anonymous(page: &Precompressed, request: &HeaderMap) -> Response {
    page.respond(
        request,
        &[
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::VARY,
                HeaderValue::from_static("Cookie, Accept-Encoding"),
            ),
        ],
    )
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
    headers: HeaderMap,
) -> Result<Response> {
    let content = state.content();
    let topic = content.course.topic(&slug).ok_or(AppError::NotFound)?;
    // A reader who is not signed in sees a page that depends only on the topic and the theme.
    if layout.user_name.is_none()
        && let Some(page) = content.rendered.topic(&topic.slug, layout.theme)
    {
        return Ok(anonymous(page, &headers));
    }
    let progress = match &visitor.signed_in {
        Some(_) => Some(crate::web::progress::nav_progress(&state, &visitor).await?),
        None => None,
    };
    let theme = layout.theme;
    let page = topic_page(
        &content.course,
        &content.quizzes,
        topic,
        layout,
        progress.as_ref(),
    )
    .render()?;
    // gzip from the parts every reader's page shares, deflated once (`web::signed_gzip`).
    if crate::web::precompressed::accepts_gzip(&headers)
        && let Some(gzip) = content
            .rendered
            .topic_skeleton(&topic.slug, theme)
            .and_then(|skeleton| skeleton.gzip(page.as_bytes()))
    {
        let length = HeaderValue::from(gzip.len());
        let mut response = Response::new(axum::body::Body::from(gzip));
        let out = response.headers_mut();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        out.insert(header::CONTENT_LENGTH, length);
        out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        return Ok(response);
    }
    Ok(Html(page).into_response())
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

/// The pages a reader who is not signed in sees — every topic page and the home page — one per theme
/// choice, rendered once per version of the content (and compressed once, see [`RenderedPages::warm`]):
/// such a page depends only on the topic and the theme cookie, so serving it is copying bytes.
#[derive(Debug, Default)]
pub struct RenderedPages {
    topics: std::collections::HashMap<String, [Precompressed; 3]>,
    /// Per topic and theme, the parts a signed-in reader's page shares with the anonymous one, deflated
    /// on first need (`web::signed_gzip`).
    skeletons: std::collections::HashMap<String, [OnceLock<Option<Skeleton>>; 3]>,
    home: Option<[Precompressed; 3]>,
}

const THEMES: [Option<&str>; 3] = [None, Some("light"), Some("dark")];

impl RenderedPages {
    /// Renders every topic page and the home page for every theme; with `live_reload` (`serve --watch`)
    /// each page carries the script that reloads it when the content changes.
    pub fn build(
        course: &Course,
        quizzes: &Bank,
        live_reload: Option<&LiveReloadTag>,
    ) -> Result<Self> {
        let layout = |theme: Option<&'static str>| {
            let mut layout = Layout::new(None, course.language);
            layout.theme = theme;
            layout.live_reload = live_reload.cloned();
            layout
        };
        let html = "text/html; charset=utf-8";
        // Kept in an allocation of its exact size (the rendered `String` grew by doubling).
        let page = |rendered: String| {
            Precompressed::new(Bytes::copy_from_slice(rendered.as_bytes()), html)
        };
        let mut pages = RenderedPages::default();
        for topic in &course.topics {
            let mut themes: [Precompressed; 3] = Default::default();
            for (i, theme) in THEMES.iter().enumerate() {
                themes[i] =
                    page(topic_page(course, quizzes, topic, layout(*theme), None).render()?);
            }
            pages.topics.insert(topic.slug.clone(), themes);
            pages
                .skeletons
                .insert(topic.slug.clone(), Default::default());
        }
        let mut home: [Precompressed; 3] = Default::default();
        for (i, theme) in THEMES.iter().enumerate() {
            home[i] = page(home_page(course, quizzes, layout(*theme), None, None).render()?);
        }
        pages.home = Some(home);
        Ok(pages)
    }

    /// Compresses every page now (see `web::precompressed`): `serve` runs it on a thread of its own
    /// after start and after each reload.
    pub fn warm(&self) {
        for page in self.topics.values().chain(self.home.iter()).flatten() {
            page.warm();
        }
    }

    /// A topic page as an anonymous reader with `theme` sees it.
    pub fn topic(&self, slug: &str, theme: Option<&str>) -> Option<&Precompressed> {
        let i = THEMES.iter().position(|t| *t == theme)?;
        self.topics.get(slug).map(|pages| &pages[i])
    }

    /// The parts of `slug`'s page with `theme` that a signed-in reader's page shares (made now if they
    /// were not yet).
    pub fn topic_skeleton(&self, slug: &str, theme: Option<&str>) -> Option<&Skeleton> {
        let i = THEMES.iter().position(|t| *t == theme)?;
        let page = self.topics.get(slug)?[i].identity();
        self.skeletons.get(slug)?[i]
            .get_or_init(|| Skeleton::of(page))
            .as_ref()
    }

    /// The home page as an anonymous reader with `theme` sees it.
    pub fn home(&self, theme: Option<&str>) -> Option<&Precompressed> {
        let i = THEMES.iter().position(|t| *t == theme)?;
        self.home.as_ref().map(|pages| &pages[i])
    }

    /// Bytes held, in every coding made so far (for the memory account in `bench/RESULTS.md`).
    pub fn bytes(&self) -> usize {
        self.topics
            .values()
            .chain(self.home.iter())
            .flatten()
            .map(Precompressed::stored_bytes)
            .sum::<usize>()
            + self
                .skeletons
                .values()
                .flatten()
                .filter_map(|s| s.get().and_then(Option::as_ref))
                .map(Skeleton::stored_bytes)
                .sum::<usize>()
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
