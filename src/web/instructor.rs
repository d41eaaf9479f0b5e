//! The instructor's side, under `/instructor/…`. Every route goes through [`OwnedClass`] (or
//! [`Instructor`]): a visitor is sent to log in, a learner gets 403, and an instructor asking for a
//! class they do not own gets 404 — the class is simply not there for them.
//!
//! Routes here: the class list and creation (`/instructor`), the class overview (learner × topic grid,
//! "needs help", weakest topics, attempts per day, the live panel) with its settings (rename, new join code,
//! archive), members and their removal, `live.json` for the live panel, the learner drill-down, and the
//! learner's side of a join link (`/join/{code}`). Question analysis and CSV exports live in
//! `web/analysis.rs`.

use crate::auth::{Visitor, throttle};
use crate::error::AppError;
use crate::error::Result as PageResult;
use crate::quiz::grade::{self, Response as Answered};
use crate::quiz::{present, schedule};
use crate::state::AppState;
use crate::store;
use crate::store::class_stats;
use crate::web::auth::ClientAddress;
use crate::web::extract::FormBody;
use crate::web::layout::Layout;
use crate::web::progress::format_jst;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path};
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The instructor's routes, and the learner's side of a join link.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/instructor", get(index))
        .route("/instructor/classes", post(create_class))
        .route("/instructor/classes/{class_id}", get(overview))
        .route("/instructor/classes/{class_id}/rename", post(rename))
        .route("/instructor/classes/{class_id}/code", post(regenerate_code))
        .route("/instructor/classes/{class_id}/archive", post(archive))
        .route("/instructor/classes/{class_id}/restore", post(restore))
        .route("/instructor/classes/{class_id}/members", get(members))
        .route(
            "/instructor/classes/{class_id}/members/{user_id}/remove",
            get(remove_page).post(remove_member),
        )
        .route("/instructor/classes/{class_id}/live.json", get(live))
        .route(
            "/instructor/classes/{class_id}/learners/{user_id}",
            get(learner),
        )
        .route("/join/{code}", get(join_page).post(join))
}

/// A signed-in instructor (checked against the database, not the session, on every request).
pub struct Instructor {
    pub user: store::users::User,
    pub visitor: Visitor,
}

/// Why an instructor route refused.
pub enum Refusal {
    /// Not signed in: log in, then come back.
    LogIn(String),
    Error(AppError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::LogIn(back) => crate::web::auth::login_redirect(&back).into_response(),

            Refusal::Error(e) => e.into_response(),
        }
    }
}

impl<E: Into<AppError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Refusal::Error(e.into())
    }
}

impl FromRequestParts<AppState> for Instructor {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/instructor", |p| p.as_str())
            .to_string();
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let Some(signed_in) = &visitor.signed_in else {
            return Err(Refusal::LogIn(back));
        };
        let user = store::users::by_id(&state.db, signed_in.user_id)
            .await?
            .ok_or(Refusal::LogIn(back))?;
        if !user.is_instructor() {
            return Err(AppError::Forbidden.into());
        }
        Ok(Instructor { user, visitor })
    }
}

/// A class the signed-in instructor owns, from the `{class_id}` path parameter.
pub struct OwnedClass {
    pub class: store::classes::Class,
    pub instructor: Instructor,
}

impl FromRequestParts<AppState> for OwnedClass {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let instructor = Instructor::from_request_parts(parts, state).await?;
        let Path(params) =
            Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        let class_id: i64 = params
            .get("class_id")
            .and_then(|v| v.parse().ok())
            .ok_or(AppError::NotFound)?;
        let class = store::classes::by_id(&state.db, class_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if class.owner_id != instructor.user.user_id {
            return Err(AppError::NotFound.into());
        }
        Ok(OwnedClass { class, instructor })
    }
}

/// A fresh join code: 8 characters without look-alikes (no 0/O, 1/I/L), easy to read out in class.
pub fn new_join_code() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Other(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

// ---------------------------------------------------------------------------------------------------------
// Pages and handlers.

/// Longest class name, in characters.
pub const NAME_MAX_CHARS: usize = 60;
const DAY: i64 = 86_400;
/// Japan time, for day boundaries and dates shown.
const JST: i64 = 9 * 3600;
/// A member with no attempt for this many days is listed under "needs help".
pub const INACTIVE_DAYS: i64 = 7;
/// Misses on one topic count over this many days…
pub const MISS_WINDOW_DAYS: i64 = 14;
/// …and need at least this many wrong answers (with accuracy under 50%).
pub const MISS_MIN_WRONG: i64 = 3;
/// Topics named per learner for many misses (the rest are counted).
const MISS_TOPICS_NAMED: usize = 2;
/// The lowest overall mastery: this many active members at most…
pub const LOWEST_COUNT: usize = 5;
/// …whose overall mastery is under this percentage.
pub const LOWEST_BELOW_PERCENT: i64 = 50;
/// Learners listed under "needs help" before "and N more".
const NEEDS_HELP_SHOWN: usize = 20;
const WEAKEST_SHOWN: usize = 5;
/// Days in the attempts-per-day chart, today included.
pub const CHART_DAYS: i64 = 30;
/// The live panel's default window.
pub const LIVE_WINDOW_SECS: i64 = 600;
/// How far back `live.json?since=` may reach.
const LIVE_MAX_BACK_SECS: i64 = 7 * DAY;
/// Mastery snapshots on the learner page, one per week ending now.
const TREND_WEEKS: i64 = 8;

fn unprocessable(message: impl Into<String>) -> AppError {
    AppError::Invalid {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: message.into(),
    }
}

fn not_found(message: impl Into<String>) -> AppError {
    AppError::Invalid {
        status: StatusCode::NOT_FOUND,
        message: message.into(),
    }
}

/// A checked class name: trimmed, 1–60 characters, no control characters.
pub fn class_name(raw: &str) -> PageResult<String> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 {
        return Err(unprocessable("クラス名を入力してください。"));
    }
    if count > NAME_MAX_CHARS {
        return Err(unprocessable(format!(
            "クラス名は {NAME_MAX_CHARS} 文字までです（いま {count} 文字）。"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(unprocessable("クラス名に改行や制御文字は使えません。"));
    }
    Ok(name.to_string())
}

/// A typed join code as stored: full-width letters folded, upper case, no spaces or hyphens.
pub fn normalize_code(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    raw.nfkc()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase()
}

/// Percentage rounded down, 0 when there is nothing to divide by, never over 100.
fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 100 / whole).clamp(0, 100)
    }
}

/// One of five colour steps for a mastery percentage (the number is always written too).
pub fn level(percent: i64) -> u8 {
    match percent {
        i64::MIN..=0 => 0,
        1..=24 => 1,
        25..=49 => 2,
        50..=74 => 3,
        _ => 4,
    }
}

/// "3 日前", "5 時間前", "12 分前".
fn ago(now: i64, then: i64) -> String {
    let secs = (now - then).max(0);
    if secs < 3600 {
        format!("{} 分前", secs / 60)
    } else if secs < DAY {
        format!("{} 時間前", secs / 3600)
    } else {
        format!("{} 日前", secs / DAY)
    }
}

/// A Japan-time day number (days since 1970-01-01 JST) as "11/26".
fn month_day(day: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(day * DAY) {
        Ok(t) => format!("{}/{}", u8::from(t.month()), t.day()),
        Err(_) => String::new(),
    }
}

/// Unix seconds as Japan time of day, "17:05:09".
fn clock(unix: i64) -> String {
    let s = (unix + JST).rem_euclid(DAY);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Milliseconds as "12.3 秒" or "2 分 05 秒".
fn duration_text(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 60_000 {
        format!("{:.1} 秒", ms as f64 / 1000.0)
    } else {
        format!("{} 分 {:02} 秒", ms / 60_000, ms / 1000 % 60)
    }
}

/// A short label for a question in lists (generated questions have no fixed prompt).
fn question_label(q: &crate::quiz::bank::Question) -> String {
    if q.prompt.is_empty() {
        return format!("{}（数値が毎回変わる計算問題）", q.id);
    }
    let short: String = q.prompt.chars().take(50).collect();
    if short.len() < q.prompt.len() {
        format!("{short}…")
    } else {
        short
    }
}

fn display(display_name: &str, name: &str) -> String {
    if display_name.is_empty() {
        name.to_string()
    } else {
        display_name.to_string()
    }
}

fn class_href(class_id: i64) -> String {
    format!("/instructor/classes/{class_id}")
}

fn learner_href(class_id: i64, user_id: i64) -> String {
    format!("/instructor/classes/{class_id}/learners/{user_id}")
}

fn analysis_href(class_id: i64, slug: &str) -> String {
    format!("/instructor/classes/{class_id}/topics/{slug}")
}

/// A form with only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// A class name form (create, rename).
#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

// --- The class list ---------------------------------------------------------------------------------------

/// A class in the instructor's list.
pub struct ClassRow {
    pub href: String,
    pub name: String,
    pub join_code: String,
    pub members: i64,
    pub created: String,
    pub archived: String,
}

/// `GET /instructor`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub css_url: String,
    pub csrf: String,
    pub instructor_name: String,
    pub active: Vec<ClassRow>,
    pub archived: Vec<ClassRow>,
    /// The name typed into the create form (kept after an error).
    pub name: String,
    pub error: Option<String>,
    pub name_max: usize,
}

async fn index_page(
    state: &AppState,
    instructor: &Instructor,
    layout: Layout,
    name: String,
    error: Option<String>,
) -> PageResult<IndexPage> {
    let (mut active, mut archived) = (Vec::new(), Vec::new());
    for c in store::classes::owned_with_counts(&state.db, instructor.user.user_id).await? {
        let row = ClassRow {
            href: class_href(c.class_id),
            name: c.name,
            join_code: c.join_code,
            members: c.members,
            created: format_jst(c.created_at),
            archived: c.archived_at.map(format_jst).unwrap_or_default(),
        };
        if c.archived_at.is_some() {
            archived.push(row)
        } else {
            active.push(row)
        }
    }
    Ok(IndexPage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        csrf: instructor.visitor.csrf_token().await?,
        instructor_name: display(
            &instructor.user.display_name,
            instructor.user.name.as_deref().unwrap_or_default(),
        ),
        active,
        archived,
        name,
        error,
        name_max: NAME_MAX_CHARS,
    })
}

/// `GET /instructor`: the instructor's classes and a form to create one.
async fn index(
    instructor: Instructor,
    State(state): State<AppState>,
    layout: Layout,
) -> PageResult<Response> {
    Ok(index_page(&state, &instructor, layout, String::new(), None)
        .await?
        .into_response())
}

/// `POST /instructor/classes`: creates a class with a fresh join code, then shows it.
async fn create_class(
    instructor: Instructor,
    State(state): State<AppState>,
    layout: Layout,
    FormBody(form): FormBody<NameForm>,
) -> PageResult<Response> {
    instructor.visitor.verify_csrf(Some(&form.csrf)).await?;
    let name = match class_name(&form.name) {
        Ok(name) => name,
        Err(e) => {
            let typed: String = form.name.chars().take(200).collect();
            let page = index_page(&state, &instructor, layout, typed, Some(e.to_string())).await?;
            return Ok((e.status(), page).into_response());
        }
    };
    let (db, owner) = (&state.db, instructor.user.user_id);
    let class_id = with_fresh_code(|code| {
        let name = &name;
        async move { store::classes::create(db, owner, name, &code, store::now()).await }
    })
    .await?;
    tracing::info!(
        user.id = instructor.user.user_id,
        class.id = class_id,
        "class created"
    );
    Ok(Redirect::to(&class_href(class_id)).into_response())
}

/// Runs `write` with a fresh join code, drawing again on the (astronomically rare) collision with an
/// existing code; five collisions in a row is an internal error.
async fn with_fresh_code<T, F, Fut>(mut write: F) -> Result<T, AppError>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    for _ in 0..5 {
        let code = new_join_code()?;
        match write(code).await {
            Ok(value) => return Ok(value),
            Err(e) if store::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Other(anyhow::anyhow!(
        "no free join code after 5 tries"
    )))
}

// --- Class settings ---------------------------------------------------------------------------------------

/// `POST /instructor/classes/{class_id}/rename`.
async fn rename(
    owned: OwnedClass,
    State(state): State<AppState>,
    FormBody(form): FormBody<NameForm>,
) -> PageResult<Response> {
    owned
        .instructor
        .visitor
        .verify_csrf(Some(&form.csrf))
        .await?;
    let name = class_name(&form.name)?;
    store::classes::rename(&state.db, owned.class.class_id, &name).await?;
    Ok(Redirect::to(&format!("{}#settings", class_href(owned.class.class_id))).into_response())
}

/// `POST /instructor/classes/{class_id}/code`: a new join code; the old one stops working.
async fn regenerate_code(
    owned: OwnedClass,
    State(state): State<AppState>,
    FormBody(form): FormBody<CsrfForm>,
) -> PageResult<Response> {
    owned
        .instructor
        .visitor
        .verify_csrf(Some(&form.csrf))
        .await?;
    let class_id = owned.class.class_id;
    let db = &state.db;
    with_fresh_code(|code| async move { store::classes::set_code(db, class_id, &code).await })
        .await?;
    Ok(Redirect::to(&format!("{}#settings", class_href(class_id))).into_response())
}

/// `POST /instructor/classes/{class_id}/archive`: the class stays readable; its code stops working.
async fn archive(
    owned: OwnedClass,
    State(state): State<AppState>,
    FormBody(form): FormBody<CsrfForm>,
) -> PageResult<Response> {
    owned
        .instructor
        .visitor
        .verify_csrf(Some(&form.csrf))
        .await?;
    store::classes::archive(&state.db, owned.class.class_id, store::now()).await?;
    Ok(Redirect::to(&class_href(owned.class.class_id)).into_response())
}

/// `POST /instructor/classes/{class_id}/restore`: an archived class becomes active again.
async fn restore(
    owned: OwnedClass,
    State(state): State<AppState>,
    FormBody(form): FormBody<CsrfForm>,
) -> PageResult<Response> {
    owned
        .instructor
        .visitor
        .verify_csrf(Some(&form.csrf))
        .await?;
    store::classes::restore(&state.db, owned.class.class_id).await?;
    Ok(Redirect::to(&class_href(owned.class.class_id)).into_response())
}

// --- Members ----------------------------------------------------------------------------------------------

/// A member on the members page.
pub struct MemberRow {
    pub href: String,
    pub display_name: String,
    pub name: String,
    pub joined: String,
    pub last_activity: String,
    pub attempts: i64,
    pub remove_href: String,
}

/// `GET /instructor/classes/{class_id}/members`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub css_url: String,
    pub class_name: String,
    pub class_href: String,
    pub members: Vec<MemberRow>,
}

/// `GET /instructor/classes/{class_id}/members`: who is in the class, with a way to remove each.
async fn members(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
) -> PageResult<Response> {
    let class_id = owned.class.class_id;
    let (list, activity) = tokio::try_join!(
        store::classes::members(&state.db, class_id),
        class_stats::activity(&state.db, class_id)
    )?;
    let activity: HashMap<i64, class_stats::Activity> =
        activity.into_iter().map(|a| (a.user_id, a)).collect();
    let now = store::now();
    let members = list
        .into_iter()
        .map(|m| {
            let a = activity.get(&m.user_id);
            MemberRow {
                href: learner_href(class_id, m.user_id),
                display_name: display(&m.display_name, &m.name),
                remove_href: format!(
                    "/instructor/classes/{class_id}/members/{}/remove",
                    m.user_id
                ),
                joined: format_jst(m.joined_at),
                last_activity: a.and_then(|a| a.last_at).map_or("—".into(), |t| {
                    format!("{}（{}）", format_jst(t), ago(now, t))
                }),
                attempts: a.map_or(0, |a| a.attempts),
                name: m.name,
            }
        })
        .collect();
    Ok(MembersPage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        class_name: owned.class.name,
        class_href: class_href(class_id),
        members,
    }
    .into_response())
}

/// The member named by the `{user_id}` path parameter, or 404.
async fn member_from_path(
    state: &AppState,
    class_id: i64,
    user_id: &str,
) -> PageResult<store::classes::Member> {
    let user_id: i64 = user_id.parse().map_err(|_| AppError::NotFound)?;
    store::classes::member(&state.db, class_id, user_id)
        .await?
        .ok_or_else(|| not_found("この学習者はこのクラスのメンバーではありません。"))
}

/// The confirmation before removing a member.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/remove.html")]
pub struct RemovePage {
    pub layout: Layout,
    pub css_url: String,
    pub csrf: String,
    pub class_name: String,
    pub class_href: String,
    pub member_name: String,
    pub action: String,
    pub back_href: String,
}

/// `GET /instructor/classes/{class_id}/members/{user_id}/remove`: the confirmation step.
async fn remove_page(
    owned: OwnedClass,
    State(state): State<AppState>,
    Path((_, user_id)): Path<(String, String)>,
    layout: Layout,
) -> PageResult<Response> {
    let class_id = owned.class.class_id;
    let member = member_from_path(&state, class_id, &user_id).await?;
    Ok(RemovePage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        csrf: owned.instructor.visitor.csrf_token().await?,
        class_name: owned.class.name,
        class_href: class_href(class_id),
        member_name: display(&member.display_name, &member.name),
        action: format!(
            "/instructor/classes/{class_id}/members/{}/remove",
            member.user_id
        ),
        back_href: format!("/instructor/classes/{class_id}/members"),
    }
    .into_response())
}

/// `POST /instructor/classes/{class_id}/members/{user_id}/remove`: removes the member (their answers stay
/// theirs; the class simply stops showing them).
async fn remove_member(
    owned: OwnedClass,
    State(state): State<AppState>,
    Path((_, user_id)): Path<(String, String)>,
    FormBody(form): FormBody<CsrfForm>,
) -> PageResult<Response> {
    owned
        .instructor
        .visitor
        .verify_csrf(Some(&form.csrf))
        .await?;
    let class_id = owned.class.class_id;
    let member = member_from_path(&state, class_id, &user_id).await?;
    store::classes::leave(&state.db, class_id, member.user_id).await?;
    tracing::info!(
        user.id = owned.instructor.user.user_id,
        class.id = class_id,
        member.id = member.user_id,
        "member removed"
    );
    Ok(Redirect::to(&format!("/instructor/classes/{class_id}/members")).into_response())
}

// --- The class overview -----------------------------------------------------------------------------------

/// How the grid is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Mastery,
    Activity,
}

impl SortKey {
    fn parse(s: &str) -> Option<SortKey> {
        match s {
            "name" => Some(SortKey::Name),
            "mastery" => Some(SortKey::Mastery),
            "activity" => Some(SortKey::Activity),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Mastery => "mastery",
            SortKey::Activity => "activity",
        }
    }

    /// The direction a first click sorts in: names A→Z, weakest first, most recent first.
    fn default_desc(self) -> bool {
        matches!(self, SortKey::Activity)
    }
}

/// A sortable column header: its link and its current state.
pub struct SortHead {
    pub href: String,
    /// `aria-sort`: ascending, descending or none.
    pub aria_sort: &'static str,
    pub arrow: &'static str,
}

fn sort_head(class_id: i64, key: SortKey, current: SortKey, desc: bool) -> SortHead {
    let next_desc = if key == current {
        !desc
    } else {
        key.default_desc()
    };
    SortHead {
        href: format!(
            "{}?sort={}&dir={}#grid",
            class_href(class_id),
            key.name(),
            if next_desc { "desc" } else { "asc" }
        ),
        aria_sort: match (key == current, desc) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        },
        arrow: match (key == current, desc) {
            (false, _) => "",
            (true, false) => "▲",
            (true, true) => "▼",
        },
    }
}

/// A topic column of the grid.
pub struct TopicHead {
    pub slug: String,
    pub title: String,
    pub href: String,
    pub questions: i64,
}

/// One cell: the mastery percentage written out, and its colour step (`m0`…`m4`, `none` if untouched).
pub struct Cell {
    pub text: String,
    pub class: &'static str,
}

/// A learner's row of the grid.
pub struct GridRow {
    pub user_id: i64,
    pub href: String,
    pub display_name: String,
    pub name: String,
    pub overall: i64,
    pub overall_class: &'static str,
    pub last_at: Option<i64>,
    pub last_activity: String,
    pub cells: Vec<Cell>,
}

/// A learner who may need help, with every reason.
pub struct HelpItem {
    pub href: String,
    pub display_name: String,
    pub reasons: Vec<String>,
}

/// A topic under "weakest topics".
pub struct WeakTopic {
    pub title: String,
    pub href: String,
    pub percent: i64,
    /// Members who have started the topic.
    pub started: usize,
    pub class: &'static str,
}

/// A bar (or a point) of a chart, in SVG user units, with its tooltip.
pub struct ChartBar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub label: String,
}

/// An axis label.
pub struct ChartTick {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

/// A day of the chart's table alternative.
pub struct DayRow {
    pub date: String,
    pub attempts: i64,
}

/// The attempts-per-day chart, laid out on the server.
pub struct DayChart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub baseline: i64,
    pub bars: Vec<ChartBar>,
    pub y_ticks: Vec<ChartTick>,
    pub x_labels: Vec<ChartTick>,
    pub summary: String,
    pub rows: Vec<DayRow>,
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `n` (at least 1), for a readable axis.
fn nice_max(n: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= n.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Lays out attempts per day for the `CHART_DAYS` days ending `today` (JST day numbers).
fn day_chart(counts: &[class_stats::DayCount], today: i64) -> DayChart {
    let (width, height, left, right, top, bottom) = (640, 200, 40, 8, 10, 26);
    let first = today - CHART_DAYS + 1;
    let by_day: HashMap<i64, i64> = counts.iter().map(|c| (c.day, c.attempts)).collect();
    let days: Vec<(i64, i64)> = (first..=today)
        .map(|d| (d, by_day.get(&d).copied().unwrap_or(0)))
        .collect();
    let max = nice_max(days.iter().map(|d| d.1).max().unwrap_or(0));
    let plot_h = height - top - bottom;
    let slot = (width - left - right) / CHART_DAYS;
    let baseline = height - bottom;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, &(day, n))| {
            let h = n * plot_h / max;
            ChartBar {
                x: left + i as i64 * slot + 2,
                y: baseline - h,
                width: slot - 4,
                height: h,
                label: format!("{}: {n} 回", month_day(day)),
            }
        })
        .collect();
    let y_ticks = [0, max / 2, max]
        .iter()
        .map(|&v| ChartTick {
            x: left - 6,
            y: baseline - v * plot_h / max,
            label: v.to_string(),
        })
        .collect();
    let x_labels = days
        .iter()
        .enumerate()
        .filter(|(i, _)| (CHART_DAYS - 1 - *i as i64) % 7 == 0)
        .map(|(i, &(day, _))| ChartTick {
            x: left + i as i64 * slot + slot / 2,
            y: height - 8,
            label: month_day(day),
        })
        .collect();
    let total: i64 = days.iter().map(|d| d.1).sum();
    let busiest = days.iter().max_by_key(|d| (d.1, -d.0)).filter(|d| d.1 > 0);
    let summary = match busiest {
        Some(&(day, n)) => format!(
            "過去 {CHART_DAYS} 日の解答回数は合計 {total} 回。最も多かったのは {} の {n} 回です。",
            month_day(day)
        ),
        None => format!("過去 {CHART_DAYS} 日、このクラスの解答はありません。"),
    };
    DayChart {
        width,
        height,
        left,
        right: width - right,
        baseline,
        bars,
        y_ticks,
        x_labels,
        summary,
        rows: days
            .iter()
            .rev()
            .map(|&(day, attempts)| DayRow {
                date: month_day(day),
                attempts,
            })
            .collect(),
    }
}

/// A question in the live panel.
#[derive(Debug, Clone, Serialize)]
pub struct LiveRow {
    pub question_id: String,
    pub topic: String,
    pub topic_title: String,
    pub label: String,
    pub attempted: i64,
    pub correct: i64,
}

/// A topic in the live panel.
#[derive(Debug, Clone, Serialize)]
pub struct LiveTopicRow {
    pub topic: String,
    pub title: String,
    pub learners: i64,
    pub attempts: i64,
    pub answers: i64,
    pub correct: i64,
}

/// What `live.json` returns, and what the live panel shows at page load.
#[derive(Debug, Clone, Serialize)]
pub struct LiveData {
    /// The server's clock (unix seconds): pass it back as `since` to count from this moment.
    pub server_time: i64,
    pub since: i64,
    /// "17:05:09" (Japan time) of `server_time`.
    pub updated: String,
    /// One sentence for the panel's status line.
    pub summary: String,
    pub questions: Vec<LiveRow>,
    pub topics: Vec<LiveTopicRow>,
}

async fn live_data(state: &AppState, class_id: i64, since: i64, now: i64) -> PageResult<LiveData> {
    let content = state.content();
    let (questions, topics) = tokio::try_join!(
        class_stats::live_questions(&state.db, class_id, since),
        class_stats::live_topics(&state.db, class_id, since)
    )?;
    let course = &content.course;
    let topic_order: HashMap<&str, usize> = course
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let title = |slug: &str| {
        course
            .topic(slug)
            .map_or_else(|| slug.to_string(), |t| t.title.clone())
    };
    let mut rows: Vec<(usize, usize, LiveRow)> = questions
        .into_iter()
        .map(|q| {
            let bank = content.quizzes.topic(&q.topic);
            let position = bank
                .iter()
                .position(|b| b.id == q.question_id)
                .unwrap_or(usize::MAX);
            let label = content
                .quizzes
                .question(&q.question_id)
                .map_or_else(|| q.question_id.clone(), question_label);
            let order = topic_order
                .get(q.topic.as_str())
                .copied()
                .unwrap_or(usize::MAX);
            (
                order,
                position,
                LiveRow {
                    topic_title: title(&q.topic),
                    label,
                    question_id: q.question_id,
                    topic: q.topic,
                    attempted: q.attempted,
                    correct: q.correct,
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, &a.2.question_id).cmp(&(b.0, b.1, &b.2.question_id)));
    let mut topic_rows: Vec<LiveTopicRow> = topics
        .into_iter()
        .map(|t| LiveTopicRow {
            title: title(&t.topic),
            topic: t.topic,
            learners: t.learners,
            attempts: t.attempts,
            answers: t.answers,
            correct: t.correct,
        })
        .collect();
    topic_rows.sort_by_key(|t| {
        topic_order
            .get(t.topic.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    let attempts: i64 = topic_rows.iter().map(|t| t.attempts).sum();
    let answers: i64 = topic_rows.iter().map(|t| t.answers).sum();
    let correct: i64 = topic_rows.iter().map(|t| t.correct).sum();
    let window = if now - since == LIVE_WINDOW_SECS {
        "直近 10 分".to_string()
    } else {
        format!("{} から", clock(since))
    };
    let summary = if attempts == 0 {
        format!("{window}: まだ解答はありません。")
    } else {
        format!(
            "{window}: {attempts} 回の提出、{answers} 問に解答（正答率 {}%）。",
            percent(correct, answers)
        )
    };
    Ok(LiveData {
        server_time: now,
        since,
        updated: clock(now),
        summary,
        questions: rows.into_iter().map(|r| r.2).collect(),
        topics: topic_rows,
    })
}

/// `GET /instructor/classes/{class_id}`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/overview.html")]
pub struct OverviewPage {
    pub layout: Layout,
    pub css_url: String,
    pub js_url: String,
    pub csrf: String,
    pub class_id: i64,
    pub name: String,
    pub name_max: usize,
    pub join_code: String,
    pub join_path: String,
    pub archived: Option<String>,
    pub member_count: usize,
    pub members_href: String,
    pub self_href: String,
    pub topics: Vec<TopicHead>,
    pub rows: Vec<GridRow>,
    pub sort_name: SortHead,
    pub sort_mastery: SortHead,
    pub sort_activity: SortHead,
    pub sort_label: String,
    pub needs_help: Vec<HelpItem>,
    pub needs_help_more: usize,
    pub weakest: Vec<WeakTopic>,
    pub chart: DayChart,
    pub live: LiveData,
    pub live_url: String,
}

/// Reads `sort` and `dir`; anything else in the query is ignored, a bad value is a 400.
fn grid_order(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PageResult<(SortKey, bool)> {
    let Query(pairs) = query.map_err(|_| AppError::bad_request("クエリ文字列を読めません。"))?;
    let mut key = SortKey::Name;
    let mut dir: Option<bool> = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "sort" => {
                key = SortKey::parse(v).ok_or_else(|| {
                    AppError::bad_request(
                        "並べ替えの指定（sort）は name、mastery、activity のどれかです。",
                    )
                })?
            }
            "dir" => {
                dir = Some(match v.as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => {
                        return Err(AppError::bad_request(
                            "並べ替えの向き（dir）は asc か desc です。",
                        ));
                    }
                })
            }
            _ => {}
        }
    }
    Ok((key, dir.unwrap_or(key.default_desc())))
}

/// `GET /instructor/classes/{class_id}`: the class at a glance.
async fn overview(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PageResult<Response> {
    let content = state.content();
    let (sort, desc) = grid_order(query)?;
    let class = &owned.class;
    let class_id = class.class_id;
    let now = store::now();
    let today = (now + JST).div_euclid(DAY);
    let chart_since = (today - CHART_DAYS + 1) * DAY - JST;
    let db = &state.db;
    // A few aggregate queries over the whole class, run side by side on the read pool.
    let (members, mastered, started, misses, per_day, live) = tokio::try_join!(
        async {
            store::classes::members(db, class_id)
                .await
                .map_err(AppError::from)
        },
        async {
            class_stats::mastered(db, class_id)
                .await
                .map_err(AppError::from)
        },
        async {
            class_stats::started(db, class_id)
                .await
                .map_err(AppError::from)
        },
        async {
            class_stats::recent_misses(db, class_id, now - MISS_WINDOW_DAYS * DAY, MISS_MIN_WRONG)
                .await
                .map_err(AppError::from)
        },
        async {
            class_stats::attempts_per_day(db, class_id, chart_since, JST)
                .await
                .map_err(AppError::from)
        },
        live_data(&state, class_id, now - LIVE_WINDOW_SECS, now),
    )?;

    let topics: Vec<TopicHead> = content
        .course
        .topics
        .iter()
        .map(|t| TopicHead {
            slug: t.slug.clone(),
            title: t.title.clone(),
            href: analysis_href(class_id, &t.slug),
            questions: content.quizzes.topic(&t.slug).len() as i64,
        })
        .collect();
    let topic_index: HashMap<&str, usize> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let total_questions: i64 = topics.iter().map(|t| t.questions).sum();

    // (started, mastered) per member and topic column.
    let mut grid: HashMap<i64, Vec<(bool, i64)>> = HashMap::with_capacity(members.len());
    for s in &started {
        let row = grid
            .entry(s.user_id)
            .or_insert_with(|| vec![(false, 0); topics.len()]);
        for topic in &s.topics {
            if let Some(&i) = topic_index.get(topic.as_str()) {
                row[i].0 = true;
            }
        }
    }
    for c in &mastered {
        if let Some(&i) = topic_index.get(c.topic.as_str()) {
            grid.entry(c.user_id)
                .or_insert_with(|| vec![(false, 0); topics.len()])[i] = (true, c.mastered);
        }
    }
    let last_at: HashMap<i64, i64> = started.iter().map(|s| (s.user_id, s.last_at)).collect();
    let empty = vec![(false, 0); topics.len()];
    let mut rows: Vec<GridRow> = members
        .iter()
        .map(|m| {
            let progress = grid.get(&m.user_id).unwrap_or(&empty);
            let cells = progress
                .iter()
                .zip(&topics)
                .map(|(&(started, mastered), t)| {
                    if t.questions == 0 || !started {
                        Cell {
                            text: "—".into(),
                            class: "none",
                        }
                    } else {
                        let p = percent(mastered.min(t.questions), t.questions);
                        Cell {
                            text: format!("{p}%"),
                            class: LEVEL_CLASSES[level(p) as usize],
                        }
                    }
                })
                .collect();
            let mastered: i64 = progress
                .iter()
                .zip(&topics)
                .map(|(&(_, m), t)| m.min(t.questions))
                .sum();
            let overall = percent(mastered, total_questions);
            let last_at = last_at.get(&m.user_id).copied();
            GridRow {
                user_id: m.user_id,
                href: learner_href(class_id, m.user_id),
                display_name: display(&m.display_name, &m.name),
                name: m.name.clone(),
                overall,
                overall_class: LEVEL_CLASSES[level(overall) as usize],
                last_at,
                last_activity: last_at.map_or("—".into(), |t| ago(now, t)),
                cells,
            }
        })
        .collect();

    // Weakest topics: the lowest average mastery among the members who have started the topic (a topic
    // nobody has reached yet is not weak, only ahead).
    let mut weakest: Vec<WeakTopic> = topics
        .iter()
        .enumerate()
        .filter(|(_, t)| t.questions > 0)
        .filter_map(|(i, t)| {
            let started: Vec<i64> = members
                .iter()
                .filter_map(|m| {
                    grid.get(&m.user_id)
                        .filter(|r| r[i].0)
                        .map(|r| r[i].1.min(t.questions))
                })
                .collect();
            if started.is_empty() {
                return None;
            }
            let p = percent(started.iter().sum(), t.questions * started.len() as i64);
            Some(WeakTopic {
                title: t.title.clone(),
                href: t.href.clone(),
                percent: p,
                started: started.len(),
                class: LEVEL_CLASSES[level(p) as usize],
            })
        })
        .collect();
    weakest.sort_by_key(|w| w.percent);
    weakest.truncate(WEAKEST_SHOWN);

    let (needs_help, needs_help_more) = needs_help(&rows, &misses, &topics, now);

    let by_name = |a: &GridRow, b: &GridRow| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then(a.user_id.cmp(&b.user_id))
    };
    rows.sort_by(|a, b| {
        let primary = match sort {
            SortKey::Name => std::cmp::Ordering::Equal,
            SortKey::Mastery => a.overall.cmp(&b.overall),
            SortKey::Activity => a.last_at.cmp(&b.last_at),
        };
        let primary = if desc { primary.reverse() } else { primary };
        // Ties (and the name sort itself) by name, always A→Z unless names are what is sorted.
        match sort {
            SortKey::Name if desc => by_name(b, a),
            _ => primary.then_with(|| by_name(a, b)),
        }
    });
    let sort_label = format!(
        "{}の{}",
        match sort {
            SortKey::Name => "名前",
            SortKey::Mastery => "全体の習得率",
            SortKey::Activity => "最終活動",
        },
        match (sort, desc) {
            (SortKey::Activity, true) => "新しい順",
            (SortKey::Activity, false) => "古い順",
            (_, false) => "昇順",
            (_, true) => "降順",
        }
    );

    let self_href = match query_string(sort, desc) {
        Some(q) => format!("{}?{q}", class_href(class_id)),
        None => class_href(class_id),
    };
    Ok(OverviewPage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        js_url: crate::web::assets::url("js/instructor.js"),
        csrf: owned.instructor.visitor.csrf_token().await?,
        class_id,
        name: class.name.clone(),
        name_max: NAME_MAX_CHARS,
        join_code: class.join_code.clone(),
        join_path: format!("/join/{}", class.join_code),
        archived: class.archived_at.map(format_jst),
        member_count: members.len(),
        members_href: format!("/instructor/classes/{class_id}/members"),
        self_href,
        sort_name: sort_head(class_id, SortKey::Name, sort, desc),
        sort_mastery: sort_head(class_id, SortKey::Mastery, sort, desc),
        sort_activity: sort_head(class_id, SortKey::Activity, sort, desc),
        sort_label,
        topics,
        rows,
        needs_help,
        needs_help_more,
        weakest,
        chart: day_chart(&per_day, today),
        live,
        live_url: format!("/instructor/classes/{class_id}/live.json"),
    }
    .into_response())
}

/// The overview's own query string for this order (`None` for the default order).
fn query_string(sort: SortKey, desc: bool) -> Option<String> {
    (sort != SortKey::Name || desc).then(|| {
        format!(
            "sort={}&dir={}",
            sort.name(),
            if desc { "desc" } else { "asc" }
        )
    })
}

/// CSS classes for the five mastery steps.
const LEVEL_CLASSES: [&str; 5] = ["m0", "m1", "m2", "m3", "m4"];

/// Who may need help, and why: no activity for [`INACTIVE_DAYS`] days, many misses on one topic lately,
/// or among the [`LOWEST_COUNT`] lowest overall mastery of those who have started. Learners with more
/// reasons come first, then lower mastery. Returns the first [`NEEDS_HELP_SHOWN`] and how many more.
fn needs_help(
    rows: &[GridRow],
    misses: &[class_stats::TopicMisses],
    topics: &[TopicHead],
    now: i64,
) -> (Vec<HelpItem>, usize) {
    let mut reasons: HashMap<i64, Vec<String>> = HashMap::new();
    for r in rows {
        match r.last_at {
            None => reasons
                .entry(r.user_id)
                .or_default()
                .push("まだ一度もクイズを解いていません。".into()),
            Some(t) if now - t >= INACTIVE_DAYS * DAY => {
                reasons.entry(r.user_id).or_default().push(format!(
                    "{} 日間 活動がありません（最終: {}）。",
                    (now - t) / DAY,
                    format_jst(t)
                ))
            }
            Some(_) => {}
        }
    }
    let title = |slug: &str| {
        topics
            .iter()
            .find(|t| t.slug == slug)
            .map_or_else(|| slug.to_string(), |t| t.title.clone())
    };
    // Accuracy under 50%: right answers fewer than wrong ones.
    let mut misses: Vec<&class_stats::TopicMisses> = misses
        .iter()
        .filter(|m| m.wrong >= MISS_MIN_WRONG && (m.answered - m.wrong) * 2 < m.answered)
        .collect();
    misses.sort_by(|a, b| {
        a.user_id
            .cmp(&b.user_id)
            .then(b.wrong.cmp(&a.wrong))
            .then(a.topic.cmp(&b.topic))
    });
    for same_learner in misses.chunk_by(|a, b| a.user_id == b.user_id) {
        // The worst topics by name; the rest as a count, so one learner does not fill the list.
        for m in same_learner.iter().take(MISS_TOPICS_NAMED) {
            reasons.entry(m.user_id).or_default().push(format!(
                "「{}」で直近 {MISS_WINDOW_DAYS} 日に {} 問まちがえています（正答率 {}%）。",
                title(&m.topic),
                m.wrong,
                percent(m.answered - m.wrong, m.answered)
            ));
        }
        if same_learner.len() > MISS_TOPICS_NAMED {
            reasons
                .entry(same_learner[0].user_id)
                .or_default()
                .push(format!(
                    "ほかに {} トピックでも、まちがいが正解より多くなっています。",
                    same_learner.len() - MISS_TOPICS_NAMED
                ));
        }
    }
    let mut started: Vec<&GridRow> = rows.iter().filter(|r| r.last_at.is_some()).collect();
    started.sort_by_key(|r| (r.overall, r.user_id));
    for r in started
        .into_iter()
        .take(LOWEST_COUNT)
        .filter(|r| r.overall < LOWEST_BELOW_PERCENT)
    {
        reasons.entry(r.user_id).or_default().push(format!(
            "全体の習得率が {}% で、クラスの下位 {LOWEST_COUNT} 人に入っています。",
            r.overall
        ));
    }
    let mut listed: Vec<(&GridRow, Vec<String>)> = rows
        .iter()
        .filter_map(|r| reasons.remove(&r.user_id).map(|why| (r, why)))
        .collect();
    listed.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then(a.0.overall.cmp(&b.0.overall))
            .then(a.0.user_id.cmp(&b.0.user_id))
    });
    let more = listed.len().saturating_sub(NEEDS_HELP_SHOWN);
    let shown = listed
        .into_iter()
        .take(NEEDS_HELP_SHOWN)
        .map(|(r, why)| HelpItem {
            href: r.href.clone(),
            display_name: r.display_name.clone(),
            reasons: why,
        })
        .collect();
    (shown, more)
}

// --- Live -------------------------------------------------------------------------------------------------

/// `GET /instructor/classes/{class_id}/live.json[?since=UNIX]`: per question and per topic, what the
/// class answered in the last 10 minutes (or since `since`), and the server time to continue from.
async fn live(
    owned: OwnedClass,
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> std::result::Result<Response, crate::error::ApiError> {
    let now = store::now();
    let Query(pairs) = query.map_err(|_| AppError::bad_request("クエリ文字列を読めません。"))?;
    let since = match pairs.iter().find(|(k, _)| k == "since") {
        None => now - LIVE_WINDOW_SECS,
        Some((_, v)) => {
            let since: i64 = v
                .trim()
                .parse()
                .map_err(|_| AppError::bad_request("since は unix 秒の整数で指定してください。"))?;
            if since > now || since < now - LIVE_MAX_BACK_SECS {
                return Err(AppError::bad_request(
                    "since は現在から 7 日前までの時刻（unix 秒）で指定してください。",
                )
                .into());
            }
            since
        }
    };
    let data = live_data(&state, owned.class.class_id, since, now).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(data)).into_response())
}

// --- The learner drill-down -------------------------------------------------------------------------------

/// One answer as the instructor sees it.
pub struct AnswerView {
    pub number: i64,
    pub prompt: String,
    pub given: String,
    pub expected: String,
    pub correct: bool,
    pub misconception: Option<String>,
    pub time: String,
}

/// An attempt on the learner page, with its answers.
pub struct AttemptView {
    pub when: String,
    pub topic_title: String,
    pub topic_href: String,
    pub score: String,
    pub duration: String,
    pub answers: Vec<AnswerView>,
}

/// A topic's current mastery on the learner page.
pub struct LearnerTopic {
    pub title: String,
    pub href: String,
    pub mastered: i64,
    pub questions: i64,
    pub percent: i64,
    pub class: &'static str,
}

/// A question in the learner's review queue.
pub struct DueRow {
    pub topic_title: String,
    pub label: String,
    pub box_number: i64,
    pub due: String,
    pub last_correct: bool,
}

/// A topic's mastery at each weekly snapshot.
pub struct TrendRow {
    pub title: String,
    pub cells: Vec<i64>,
}

/// The overall mastery line, laid out on the server.
pub struct TrendChart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub baseline: i64,
    pub points: String,
    pub dots: Vec<ChartBar>,
    pub x_labels: Vec<ChartTick>,
    pub summary: String,
}

/// `GET /instructor/classes/{class_id}/learners/{user_id}`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/learner.html")]
pub struct LearnerPage {
    pub layout: Layout,
    pub css_url: String,
    pub class_name: String,
    pub class_href: String,
    pub display_name: String,
    pub name: String,
    pub joined: String,
    pub overall: i64,
    pub overall_mastered: i64,
    pub total_questions: i64,
    pub remove_href: String,
    pub topics: Vec<LearnerTopic>,
    pub week_labels: Vec<String>,
    pub trend: Vec<TrendRow>,
    pub trend_chart: TrendChart,
    pub due: Vec<DueRow>,
    pub attempts: Vec<AttemptView>,
    pub answer_count: usize,
}

/// Replays a learner's answers through the Leitner schedule to get mastered questions per topic at each
/// of `snapshots` (ascending unix times). A topic reset empties the topic at its time, as it did live.
fn mastery_over_time(
    answers: &[(i64, &str, &str, bool)],
    resets: &[class_stats::TopicReset],
    snapshots: &[i64],
) -> Vec<HashMap<String, i64>> {
    // (time, order, question, topic, correct); a reset sorts before answers at the same second.
    let mut events: Vec<(i64, u8, &str, &str, bool)> = answers
        .iter()
        .map(|&(t, q, topic, ok)| (t, 1, q, topic, ok))
        .collect();
    events.extend(
        resets
            .iter()
            .map(|r| (r.reset_at, 0, "", r.topic.as_str(), false)),
    );
    events.sort_by_key(|e| (e.0, e.1));
    let mut boxes: HashMap<&str, (i64, &str)> = HashMap::new();
    let mut out = Vec::with_capacity(snapshots.len());
    let mut next = events.iter().peekable();
    for &at in snapshots {
        while let Some(&&(t, kind, q, topic, ok)) = next.peek() {
            if t > at {
                break;
            }
            if kind == 0 {
                boxes.retain(|_, (_, tp)| *tp != topic);
            } else {
                let current = boxes.get(q).map(|b| b.0);
                boxes.insert(q, (schedule::next(current, ok, t).0, topic));
            }
            next.next();
        }
        let mut per_topic: HashMap<String, i64> = HashMap::new();
        for (b, topic) in boxes.values() {
            if *b >= schedule::MASTERED_BOX {
                *per_topic.entry((*topic).to_string()).or_default() += 1;
            }
        }
        out.push(per_topic);
    }
    out
}

/// `GET /instructor/classes/{class_id}/learners/{user_id}`: one member's every attempt and answer, review
/// queue, and mastery over time. 404 unless the user is a member of this class.
async fn learner(
    owned: OwnedClass,
    State(state): State<AppState>,
    Path((_, user_id)): Path<(String, String)>,
    layout: Layout,
) -> PageResult<Response> {
    let content = state.content();
    let class_id = owned.class.class_id;
    let member = member_from_path(&state, class_id, &user_id).await?;
    let uid = member.user_id;
    let now = store::now();
    let db = &state.db;
    let (attempts, answers, stats, due, resets) = tokio::try_join!(
        class_stats::learner_attempts(db, uid),
        class_stats::learner_answers(db, uid),
        store::quiz::topic_stats(db, uid),
        store::quiz::due(db, uid, now),
        class_stats::topic_resets(db, uid),
    )?;
    let course = &content.course;
    let title = |slug: &str| {
        course
            .topic(slug)
            .map_or_else(|| slug.to_string(), |t| t.title.clone())
    };

    // Current mastery per topic (question_progress, as on the grid).
    let stats: HashMap<&str, &store::quiz::TopicStats> =
        stats.iter().map(|s| (s.topic.as_str(), s)).collect();
    let topics: Vec<LearnerTopic> = course
        .topics
        .iter()
        .filter(|t| !content.quizzes.topic(&t.slug).is_empty())
        .map(|t| {
            let questions = content.quizzes.topic(&t.slug).len() as i64;
            let mastered = stats
                .get(t.slug.as_str())
                .map_or(0, |s| s.mastered.min(questions));
            let p = percent(mastered, questions);
            LearnerTopic {
                title: t.title.clone(),
                href: analysis_href(class_id, &t.slug),
                mastered,
                questions,
                percent: p,
                class: LEVEL_CLASSES[level(p) as usize],
            }
        })
        .collect();
    let total_questions: i64 = topics.iter().map(|t| t.questions).sum();
    let overall_mastered: i64 = topics.iter().map(|t| t.mastered).sum();

    // Answers grouped by attempt, each presented as the results page would.
    let by_id: HashMap<i64, &store::quiz::Attempt> =
        attempts.iter().map(|a| (a.attempt_id, a)).collect();
    let mut grouped: HashMap<i64, Vec<AnswerView>> = HashMap::new();
    let mut replay: Vec<(i64, &str, &str, bool)> = Vec::with_capacity(answers.len());
    for n in &answers {
        let Some(a) = by_id.get(&n.attempt_id) else {
            continue;
        };
        replay.push((
            a.created_at,
            n.question_id.as_str(),
            a.topic.as_str(),
            n.correct,
        ));
        let seed = a.seed as u64;
        let number = n.position + 1;
        let view = match content.quizzes.question(&n.question_id) {
            Some(q) => {
                let response: Answered =
                    serde_json::from_str(&n.response).unwrap_or(Answered::Blank);
                let prompt = present::present(q, number as usize, seed).prompt;
                match grade::grade(q, seed, &response) {
                    Ok(g) => AnswerView {
                        number,
                        prompt,
                        given: g.given,
                        expected: g.expected,
                        correct: n.correct,
                        misconception: n.misconception.clone(),
                        time: duration_text(n.time_ms),
                    },
                    Err(_) => AnswerView {
                        number,
                        prompt,
                        given: n.response.clone(),
                        expected: String::new(),
                        correct: n.correct,
                        misconception: n.misconception.clone(),
                        time: duration_text(n.time_ms),
                    },
                }
            }
            // A question since removed from the bank: show what was stored.
            None => AnswerView {
                number,
                prompt: format!("（問題 {} は現在の問題集にありません）", n.question_id),
                given: n.response.clone(),
                expected: String::new(),
                correct: n.correct,
                misconception: n.misconception.clone(),
                time: duration_text(n.time_ms),
            },
        };
        grouped.entry(n.attempt_id).or_default().push(view);
    }
    let answer_count = answers.len();
    let attempt_views: Vec<AttemptView> = attempts
        .iter()
        .map(|a| AttemptView {
            when: format_jst(a.created_at),
            topic_title: title(&a.topic),
            topic_href: analysis_href(class_id, &a.topic),
            score: format!("{} / {}", a.correct_count, a.question_count),
            duration: duration_text(a.duration_ms),
            answers: grouped.remove(&a.attempt_id).unwrap_or_default(),
        })
        .collect();

    // Mastery at the end of each of the last weeks, replayed from the answers.
    let snapshots: Vec<i64> = (0..TREND_WEEKS)
        .map(|k| now - (TREND_WEEKS - 1 - k) * 7 * DAY)
        .collect();
    let series = mastery_over_time(&replay, &resets, &snapshots);
    let week_labels: Vec<String> = snapshots
        .iter()
        .map(|&t| month_day((t + JST).div_euclid(DAY)))
        .collect();
    let touched: std::collections::HashSet<&str> = replay.iter().map(|r| r.2).collect();
    let trend: Vec<TrendRow> = course
        .topics
        .iter()
        .filter(|t| touched.contains(t.slug.as_str()))
        .map(|t| {
            let questions = content.quizzes.topic(&t.slug).len() as i64;
            TrendRow {
                title: t.title.clone(),
                cells: series
                    .iter()
                    .map(|s| {
                        percent(
                            s.get(&t.slug).copied().unwrap_or(0).min(questions),
                            questions,
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let overall_series: Vec<i64> = series
        .iter()
        .map(|s| {
            let m: i64 = course
                .topics
                .iter()
                .map(|t| {
                    s.get(&t.slug)
                        .copied()
                        .unwrap_or(0)
                        .min(content.quizzes.topic(&t.slug).len() as i64)
                })
                .sum();
            percent(m, total_questions)
        })
        .collect();

    let due_rows = due
        .iter()
        .filter_map(|d| {
            content.quizzes.question(&d.question_id).map(|q| DueRow {
                topic_title: title(&d.topic),
                label: question_label(q),
                box_number: d.box_number,
                due: format!("{}（{}）", format_jst(d.due_at), ago(now, d.due_at)),
                last_correct: d.last_correct,
            })
        })
        .collect();

    Ok(LearnerPage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        class_name: owned.class.name.clone(),
        class_href: class_href(class_id),
        display_name: display(&member.display_name, &member.name),
        name: member.name.clone(),
        joined: format_jst(member.joined_at),
        overall: percent(overall_mastered, total_questions),
        overall_mastered,
        total_questions,
        remove_href: format!("/instructor/classes/{class_id}/members/{uid}/remove"),
        topics,
        trend_chart: trend_chart(&overall_series, &week_labels),
        week_labels,
        trend,
        due: due_rows,
        attempts: attempt_views,
        answer_count,
    }
    .into_response())
}

/// Lays out the overall-mastery line (0–100%) over the weekly snapshots.
fn trend_chart(values: &[i64], labels: &[String]) -> TrendChart {
    let (width, height, left, right, top, bottom) = (480, 160, 40, 16, 10, 26);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let baseline = height - bottom;
    let step = if values.len() > 1 {
        plot_w / (values.len() as i64 - 1)
    } else {
        0
    };
    let at = |i: usize, v: i64| (left + i as i64 * step, baseline - v * plot_h / 100);
    let points = values.iter().enumerate().map(|(i, &v)| {
        let (x, y) = at(i, v);
        format!("{x},{y}")
    });
    let dots = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (x, y) = at(i, v);
            ChartBar {
                x,
                y,
                width: 0,
                height: 0,
                label: format!("{} 時点: {v}%", labels.get(i).cloned().unwrap_or_default()),
            }
        })
        .collect();
    let x_labels = labels
        .iter()
        .enumerate()
        .map(|(i, l)| ChartTick {
            x: at(i, 0).0,
            y: height - 8,
            label: l.clone(),
        })
        .collect();
    let summary = match (values.first(), values.last()) {
        (Some(first), Some(last)) => format!(
            "全体の習得率は {} の {first}% から、いま {last}% です。",
            labels.first().cloned().unwrap_or_default()
        ),
        _ => String::new(),
    };
    TrendChart {
        width,
        height,
        left,
        right: width - right,
        top,
        baseline,
        points: points.collect::<Vec<_>>().join(" "),
        dots,
        x_labels,
        summary,
    }
}

// --- Joining a class (the learner's side) -----------------------------------------------------------------

/// Adds the signed-in user to the active class with this code. Unknown or archived codes are a 404 and
/// instructors cannot join; nothing is written in either case. Wrong codes are throttled per user and per
/// address ([`find_by_code`]).
pub async fn join_with_code(
    state: &AppState,
    user_id: i64,
    address: &str,
    raw_code: &str,
) -> PageResult<store::classes::Class> {
    let class = find_by_code(state, user_id, address, raw_code).await?;
    let user = store::users::by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.role != "learner" {
        return Err(AppError::Invalid {
            status: StatusCode::FORBIDDEN,
            message: "クラスに参加できるのは受講者のアカウントだけです。".into(),
        });
    }
    store::classes::join(&state.db, class.class_id, user_id, store::now()).await?;
    tracing::info!(user.id = user_id, class.id = class.class_id, "joined class");
    Ok(class)
}

/// The active class with this (typed) code, or a Japanese 404. Each lookup is counted for `user_id` and
/// `address` before it is made and given back when the code is right, so codes cannot be guessed at speed
/// (`auth::throttle`, a 429 with `Retry-After`); malformed codes are refused before counting.
async fn find_by_code(
    state: &AppState,
    user_id: i64,
    address: &str,
    raw_code: &str,
) -> PageResult<store::classes::Class> {
    if raw_code.chars().count() > 40 {
        return Err(AppError::bad_request(
            "参加コードが長すぎます。8 文字のコードを入力してください。",
        ));
    }
    let code = normalize_code(raw_code);
    if code.is_empty() {
        return Err(AppError::bad_request("参加コードを入力してください。"));
    }
    let reservation = match throttle::reserve_join(&state.db, user_id, address).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            tracing::warn!(user.id = user_id, address = %address, reason = ?wait.reason, "join code throttled");
            return Err(wait.into());
        }
    };
    match store::classes::by_code(&state.db, &code).await? {
        Some(class) => {
            reservation.release(&state.db).await?;
            Ok(class)
        }
        // A wrong code keeps its count.
        None => Err(not_found(format!(
            "参加コード「{code}」のクラスは見つかりません。コードを確かめてください（終了したクラスには参加できません）。"
        ))),
    }
}

/// `GET /join/{code}`: the class and a button to join.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/join.html")]
pub struct JoinPage {
    pub layout: Layout,
    pub css_url: String,
    pub csrf: String,
    pub action: String,
    pub class_name: String,
    pub owner_name: String,
    pub already: bool,
}

/// The signed-in user's id, or a redirect to log in and come back to `back`.
fn signed_in_or_login(visitor: &Visitor, back: &str) -> std::result::Result<i64, Refusal> {
    visitor
        .signed_in
        .as_ref()
        .map(|u| u.user_id)
        .ok_or_else(|| Refusal::LogIn(back.to_string()))
}

/// `GET /join/{code}`: for a signed-in learner, the class and a button to join; a visitor logs in first.
async fn join_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    layout: Layout,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
) -> PageResult<Response> {
    let code = normalize_code(&code);
    let user_id = match signed_in_or_login(&visitor, &format!("/join/{code}")) {
        Ok(id) => id,
        Err(refusal) => return Ok(refusal.into_response()),
    };
    let class = find_by_code(&state, user_id, &address, &code).await?;
    let owner = store::users::by_id(&state.db, class.owner_id).await?;
    Ok(JoinPage {
        layout,
        css_url: crate::web::assets::url("css/instructor.css"),
        csrf: visitor.csrf_token().await?,
        action: format!("/join/{}", class.join_code),
        already: store::classes::is_member(&state.db, class.class_id, user_id).await?,
        owner_name: owner
            .map(|o| display(&o.display_name, o.name.as_deref().unwrap_or_default()))
            .unwrap_or_default(),
        class_name: class.name,
    }
    .into_response())
}

/// `POST /join/{code}`: joins, then shows the learner's page with their classes.
async fn join(
    State(state): State<AppState>,
    Path(code): Path<String>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    FormBody(form): FormBody<CsrfForm>,
) -> PageResult<Response> {
    let user_id = match signed_in_or_login(&visitor, &format!("/join/{}", normalize_code(&code))) {
        Ok(id) => id,
        Err(refusal) => return Ok(refusal.into_response()),
    };
    visitor.verify_csrf(Some(&form.csrf)).await?;
    join_with_code(&state, user_id, &address, &code).await?;
    Ok(Redirect::to("/me#classes").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_have_five_steps() {
        assert_eq!(
            [0, 1, 24, 25, 49, 50, 74, 75, 100].map(level),
            [0, 1, 1, 2, 2, 3, 3, 4, 4]
        );
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(normalize_code(" ａｂｃｄ-2345 "), "ABCD2345");
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(class_name("  1年A組 ").unwrap(), "1年A組");
        assert!(class_name("   ").is_err());
        assert!(class_name(&"あ".repeat(61)).is_err());
        assert!(class_name(&"あ".repeat(60)).is_ok());
        assert!(class_name("a\nb").is_err());
    }

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(
            [0, 1, 3, 7, 12, 51, 180].map(nice_max),
            [1, 1, 5, 10, 20, 100, 200]
        );
    }

    #[test]
    fn the_chart_has_a_bar_per_day_and_a_summary() {
        let today = 20_000;
        let chart = day_chart(
            &[
                class_stats::DayCount {
                    day: today,
                    attempts: 4,
                },
                class_stats::DayCount {
                    day: today - 2,
                    attempts: 2,
                },
            ],
            today,
        );
        assert_eq!(chart.bars.len() as i64, CHART_DAYS);
        assert_eq!(chart.rows[0].attempts, 4);
        assert_eq!(chart.rows[2].attempts, 2);
        assert!(chart.summary.contains("合計 6 回"), "{}", chart.summary);
        // An axis up to 5 over a plot 164 px high.
        assert_eq!(chart.bars.last().unwrap().height, 4 * 164 / 5);
    }

    #[test]
    fn replay_follows_the_schedule_and_resets() {
        let answers = [
            (100, "q1", "t", true),
            (200, "q1", "t", true),
            (300, "q2", "t", true),
            (400, "q2", "t", true),
        ];
        let snaps = [150, 250, 450, 600];
        let resets = [class_stats::TopicReset {
            topic: "t".into(),
            after_attempt_id: 0,
            reset_at: 500,
        }];
        let series = mastery_over_time(&answers, &resets, &snaps);
        let m: Vec<i64> = series
            .iter()
            .map(|s| s.get("t").copied().unwrap_or(0))
            .collect();
        assert_eq!(m, [0, 1, 2, 0]);
    }
}
