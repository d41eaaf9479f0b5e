//! What every page's frame needs: asset URLs, the reader's theme choice (a cookie set by the theme
//! button, read here so the page arrives in the right colours without inline script), the live-reload
//! script under `serve --watch`, and the course navigation.

use crate::content::{Course, Language};
use crate::web::assets;
use crate::web::chrome::{self, Chrome};
use crate::web::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use std::convert::Infallible;

/// The frame of every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub css_url: String,
    pub js_url: String,
    pub icon_url: String,
    /// `Some("light")`/`Some("dark")` when the reader chose; `None` follows the system.
    pub theme: Option<&'static str>,
    /// Text for the search box.
    pub query: String,
    /// The signed-in user's display name, for the header.
    pub user_name: Option<String>,
    /// The signed-in user is an instructor: the header links to their classes.
    pub instructor: bool,
    /// The frame's words, in the course's language.
    pub t: &'static Chrome,
    /// `serve --watch` only: the live-reload script and the content version this page shows.
    pub live_reload: Option<LiveReloadTag>,
}

/// What a page needs to reload itself under `serve --watch` (see `web::live_reload`).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveReloadTag {
    pub js_url: String,
    pub css_url: String,
    /// The version of the content the page was made from; the script reloads the page when the server
    /// reports another one.
    pub version: String,
}

impl Layout {
    /// The frame for a request with these cookies, in a course in `language`.
    pub fn new(cookie_header: Option<&str>, language: Language) -> Self {
        Layout {
            css_url: assets::url("css/app.css"),
            js_url: assets::url("js/app.js"),
            icon_url: assets::url("favicon.svg"),
            theme: theme_from_cookies(cookie_header),
            query: String::new(),
            user_name: None,
            instructor: false,
            t: Chrome::of(language),
            live_reload: None,
        }
    }

    /// The versioned URL of a static file, for a section's own stylesheet or script (see
    /// `templates/instructor/section.html`).
    pub fn asset(&self, path: &str) -> String {
        assets::url(path)
    }
}

/// The theme a request's `Cookie` header chooses: `Some("light")`/`Some("dark")`, or `None` to follow
/// the system.
pub fn theme_from_cookies(cookie_header: Option<&str>) -> Option<&'static str> {
    cookie_header.and_then(|cookies| {
        cookies.split(';').find_map(|pair| match pair.trim() {
            "theme=dark" => Some("dark"),
            "theme=light" => Some("light"),
            _ => None,
        })
    })
}

impl FromRequestParts<AppState> for Layout {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut layout = Layout::new(
            parts
                .headers
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok()),
            chrome::current(),
        );
        // Only a request that carries a session cookie costs a session lookup.
        if let Ok(session) = tower_sessions::Session::from_request_parts(parts, state).await {
            let identity =
                crate::web::visitor::HeaderIdentity::read(parts, &session, &state.db).await;
            layout.user_name = identity.user_name;
            layout.instructor = identity.instructor;
        }
        // Taken before the handler takes its snapshot, so the version named here is never newer than
        // the content shown: a reload during the request costs at most one extra page reload.
        if let Some(live) = &state.live_reload {
            layout.live_reload = Some(live.tag(state.content().generation));
        }
        Ok(layout)
    }
}

/// A link in the course navigation.
#[derive(Debug, Clone)]
pub struct NavItem<'a> {
    pub href: String,
    pub title: &'a str,
    pub current: bool,
    pub annotations: usize,
    pub has_widget: bool,
    pub empty: bool,
    /// The signed-in reader's mastery of the topic (topics with a quiz only).
    pub progress: Option<NavProgress>,
}

/// A topic's mastery beside its link, for a signed-in reader: the same colour step and number as `/me`.
#[derive(Debug, Clone, PartialEq)]
pub struct NavProgress {
    /// The colour step's CSS class (`quiz::mastery::Level::class`).
    pub class: &'static str,
    /// What is drawn: "40%", or "—" before the first answer.
    pub text: String,
    /// What a screen reader hears and the tooltip says: 「習得 40%」 or 「未着手」.
    pub label: String,
}

impl NavProgress {
    /// The progress of a learner who has `started` the topic and mastered `mastery` of it.
    pub fn new(mastery: crate::quiz::mastery::Mastery, started: bool) -> NavProgress {
        use crate::web::chrome::pick_with;
        let level = mastery.level(started);
        if started {
            let percent = mastery.percent();
            NavProgress {
                class: level.class(),
                text: format!("{percent}%"),
                label: pick_with(
                    || format!("習得 {percent}%"),
                    || format!("{percent}% mastered"),
                ),
            }
        } else {
            NavProgress {
                class: level.class(),
                text: "—".to_string(),
                label: crate::web::chrome::pick("未着手", "Not started").to_string(),
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct NavChapter<'a> {
    pub name: Option<&'a str>,
    pub items: Vec<NavItem<'a>>,
}

#[derive(Debug, Clone)]
pub struct NavPart<'a> {
    pub name: Option<&'a str>,
    pub chapters: Vec<NavChapter<'a>>,
}

/// The course map, with `current` marked and, for a signed-in reader, each topic's progress (by slug).
pub fn course_nav<'a>(
    course: &'a Course,
    current: Option<&str>,
    progress: Option<&std::collections::HashMap<String, NavProgress>>,
) -> Vec<NavPart<'a>> {
    course
        .parts
        .iter()
        .map(|part| NavPart {
            name: part.name.as_deref(),
            chapters: part
                .chapters
                .iter()
                .map(|chapter| NavChapter {
                    name: chapter.name.as_deref(),
                    items: chapter
                        .topics
                        .iter()
                        .map(|&i| {
                            let t = &course.topics[i];
                            NavItem {
                                href: format!("/topics/{}", t.slug),
                                title: &t.title,
                                current: current == Some(t.slug.as_str()),
                                annotations: t.annotation_count,
                                has_widget: !t.widgets.is_empty(),
                                empty: t.notes_empty,
                                progress: progress.and_then(|p| p.get(&t.slug).cloned()),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}
