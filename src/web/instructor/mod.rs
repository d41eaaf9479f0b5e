//! The instructor's side, under `/instructor/…`, and the learner's side of a join link: one file per page
//! group, the route table here.
//!
//! * [`classes`]: the class list and creation (`/instructor`), renaming, a new join code, archiving.
//! * [`members`]: who is in a class, and removing one.
//! * [`overview`]: the class at a glance — learner × topic grid (a page at a time), "needs help",
//!   weakest topics, attempts per day, and the live panel as it stands at page load; its figures come
//!   from [`standing`] (the class's aggregates, or its history).
//! * [`live`]: `live.json`, what the class is answering now.
//! * [`learner`]: one member's every attempt and answer, review queue and mastery over time.
//! * [`analysis`]: per question and per widget step of a topic.
//! * [`export`]: the grid and every answer as streamed CSV.
//! * [`join`]: a learner joining with a code or a link (throttled).
//! * [`charts`]: the SVG layouts the pages' templates draw.
//!
//! Every instructor route takes a guard from `web::guards` ([`OwnedClass`](crate::web::guards::OwnedClass)
//! or [`Instructor`](crate::web::guards::Instructor)); every form is a `web::extract::CsrfForm`. The
//! rules that are not HTTP live in `classroom` and `quiz::mastery`; the pages extend
//! `templates/instructor/section.html`.

pub mod analysis;
pub mod cache;
pub mod charts;
pub mod classes;
pub mod export;
pub mod join;
pub mod learner;
pub mod live;
pub mod members;
pub mod overview;
pub mod retention;
pub mod standing;

use crate::jst;
use crate::web::chrome::pick_with;
use crate::web::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The instructor's routes, and the learner's side of a join link.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/instructor", get(classes::index))
        .route("/instructor/classes", post(classes::create))
        .route("/instructor/classes/{class_id}", get(overview::overview))
        .route(
            "/instructor/classes/{class_id}/rename",
            post(classes::rename),
        )
        .route(
            "/instructor/classes/{class_id}/code",
            post(classes::regenerate_code),
        )
        .route(
            "/instructor/classes/{class_id}/archive",
            post(classes::archive),
        )
        .route(
            "/instructor/classes/{class_id}/restore",
            post(classes::restore),
        )
        .route(
            "/instructor/classes/{class_id}/members",
            get(members::members),
        )
        .route(
            "/instructor/classes/{class_id}/members/{user_id}/remove",
            get(members::remove_page).post(members::remove),
        )
        .route("/instructor/classes/{class_id}/live.json", get(live::live))
        .route(
            "/instructor/classes/{class_id}/learners/{user_id}",
            get(learner::learner),
        )
        .route(
            "/instructor/classes/{class_id}/topics/{slug}",
            get(analysis::topic_analysis),
        )
        .route(
            "/instructor/classes/{class_id}/export/grid.csv",
            get(export::grid_csv),
        )
        .route(
            "/instructor/classes/{class_id}/export/answers.csv",
            get(export::answers_csv),
        )
        .route(
            "/instructor/classes/{class_id}/retention",
            get(retention::retention),
        )
        .route("/join/{code}", get(join::join_page).post(join::join))
}

/// The class overview.
fn class_href(class_id: i64) -> String {
    format!("/instructor/classes/{class_id}")
}

/// The members page.
fn members_href(class_id: i64) -> String {
    format!("/instructor/classes/{class_id}/members")
}

/// A member's drill-down.
fn learner_href(class_id: i64, user_id: i64) -> String {
    format!("/instructor/classes/{class_id}/learners/{user_id}")
}

/// The confirmation before removing a member.
fn remove_href(class_id: i64, user_id: i64) -> String {
    format!("/instructor/classes/{class_id}/members/{user_id}/remove")
}

/// A topic's question analysis.
fn analysis_href(class_id: i64, slug: &str) -> String {
    format!("/instructor/classes/{class_id}/topics/{slug}")
}

/// The name a person is shown by: their display name, else their login name.
fn display(display_name: &str, name: &str) -> String {
    if display_name.is_empty() {
        name.to_string()
    } else {
        display_name.to_string()
    }
}

/// A question's text as the instructor's pages show it: its prompt, or for a generated question (no
/// fixed prompt) its generator's prompt for an example seed, marked as an example.
pub(crate) fn question_text(q: &crate::quiz::bank::Question) -> String {
    let text = q.example_prompt();
    if matches!(q.kind, crate::quiz::bank::Kind::Generated { .. }) {
        pick_with(
            || format!("（計算問題: 数値は受験ごとに変わります）例: {text}"),
            || format!("(calculation: the numbers change with every attempt) e.g. {text}"),
        )
    } else {
        text.into_owned()
    }
}

/// [`jst::ago`] in the course's language: "12 分前" or "12 min ago".
fn ago(now: i64, then: i64) -> String {
    let secs = (now - then).max(0);
    pick_with(
        || jst::ago(now, then),
        || {
            if secs < 3600 {
                format!("{} min ago", secs / 60)
            } else if secs < jst::DAY {
                format!("{} h ago", secs / 3600)
            } else {
                let days = secs / jst::DAY;
                format!("{days} day{} ago", if days == 1 { "" } else { "s" })
            }
        },
    )
}

/// A date and how long ago it was: "2025/11/26 17:05（3 日前）".
fn date_ago(now: i64, then: i64) -> String {
    let (date, ago) = (jst::date_time(then), ago(now, then));
    pick_with(|| format!("{date}（{ago}）"), || format!("{date} ({ago})"))
}

/// [`jst::duration`] in the course's language: "12.3 秒" or "12.3 s".
fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    pick_with(
        || jst::duration(ms),
        || {
            if ms < 60_000 {
                format!("{:.1} s", ms as f64 / 1000.0)
            } else {
                format!("{} min {:02} s", ms / 60_000, ms / 1000 % 60)
            }
        },
    )
}

/// Why a class name was refused, in the course's language.
fn name_error(e: &crate::classroom::NameError) -> String {
    use crate::classroom::{NAME_MAX_CHARS, NameError};
    pick_with(
        || e.to_string(),
        || match e {
            NameError::Empty => "Enter a class name.".to_string(),
            NameError::TooLong(n) => {
                format!(
                    "A class name can be at most {NAME_MAX_CHARS} characters (this one is {n})."
                )
            }
            NameError::Control => {
                "A class name cannot contain line breaks or control characters.".to_string()
            }
        },
    )
}

/// Why a typed join code was refused, in the course's language.
fn code_error(e: &crate::classroom::join_code::CodeError) -> String {
    use crate::classroom::join_code::CodeError;
    pick_with(
        || e.to_string(),
        || match e {
            CodeError::TooLong => {
                "That join code is too long. Enter the 8-character code.".to_string()
            }
            CodeError::Empty => "Enter a join code.".to_string(),
        },
    )
}

/// A topic's title by its slug (the slug itself for a topic the course no longer has).
fn topic_title(course: &crate::content::Course, slug: &str) -> String {
    course
        .topic(slug)
        .map_or_else(|| slug.to_string(), |t| t.title.clone())
}
