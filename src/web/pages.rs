//! The reading pages: the home page (course map), a topic page per `###` section, and the error page. What
//! an anonymous reader sees is rendered and compressed once per version of the content ([`RenderedPages`]).

use crate::content::{Course, TocEntry, Topic};
use crate::quiz::bank::Bank;
use crate::web::error::{AppError, Result};
use crate::web::layout::{Layout, LiveReloadTag, NavPart, course_nav};
use crate::web::precompressed::Precompressed;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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
    let due = match &visitor.signed_in {
        Some(user) => {
            Some(crate::store::quiz::due_count(&state.db, user.user_id, crate::store::now()).await?)
        }
        None => {
            // Every reader who is not signed in sees the same page for a theme.
            if let Some(page) = content.rendered.home(layout.theme) {
                return Ok(anonymous(page, &headers));
            }
            None
        }
    };
    Ok(home_page(&content.course, &content.quizzes, layout, due).into_response())
}

fn home_page<'a>(
    course: &'a Course,
    quizzes: &Bank,
    layout: Layout,
    due: Option<i64>,
) -> HomePage<'a> {
    HomePage {
        layout,
        due,
        question_count: quizzes.len(),
        title: &course.title,
        nav: course_nav(course, None),
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
    Ok(topic_page(&content.course, &content.quizzes, topic, layout).into_response())
}

fn topic_page<'a>(
    course: &'a Course,
    quizzes: &Bank,
    topic: &'a Topic,
    layout: Layout,
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
        nav: course_nav(course, Some(&topic.slug)),
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
        let page = |rendered: String| Precompressed::new(Bytes::from(rendered), html);
        let mut pages = RenderedPages::default();
        for topic in &course.topics {
            let mut themes: [Precompressed; 3] = Default::default();
            for (i, theme) in THEMES.iter().enumerate() {
                themes[i] = page(topic_page(course, quizzes, topic, layout(*theme)).render()?);
            }
            pages.topics.insert(topic.slug.clone(), themes);
        }
        let mut home: [Precompressed; 3] = Default::default();
        for (i, theme) in THEMES.iter().enumerate() {
            home[i] = page(home_page(course, quizzes, layout(*theme), None).render()?);
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
            .sum()
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

/// The error page for `status`, with `message` (already safe to show).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let layout = Layout::new(None, crate::web::chrome::current());
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
