//! The class at a glance (`GET /instructor/classes/{class_id}`): the learner × topic mastery grid, a page
//! of [`PER_PAGE`] members at a time, sortable without JavaScript (`sort`, `dir`, `page`; a bad value is a
//! 400, a page past the last shows the last), "needs help" (`classroom::needs_help`, over the whole
//! class), the weakest topics, attempts per day, the live panel at page load, and the class settings.
//! Mastery follows `quiz::mastery`, the same rule and colours as the learner's `/me`. The figures come
//! from `standing` (the class's aggregates; its history when they cannot say).

use super::charts::{self, DayChart};
use super::live::{LiveData, live_data};
use super::standing::{self, Ask, Order, Topic};
use super::{analysis_href, class_href, display, learner_href, members_href, topic_title};
use crate::classroom::NAME_MAX_CHARS;
use crate::jst;
use crate::quiz::mastery::{Level, Mastery};
use crate::store;
use crate::web::chrome::pick;
use crate::web::error::{AppError, Result};
use crate::web::guards::OwnedClass;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

/// Members per page of the grid: a page stays a few dozen KB whatever the class's size.
pub const PER_PAGE: i64 = 50;

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

    fn order(self) -> Order {
        match self {
            SortKey::Name => Order::Name,
            SortKey::Mastery => Order::Mastery,
            SortKey::Activity => Order::Activity,
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

/// One cell: the mastery percentage written out, and its colour step (`none` if untouched).
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
    pub started: i64,
    pub class: &'static str,
}

/// A link to another page of the grid (same order).
pub struct PageLink {
    pub href: String,
    pub label: String,
    /// The page shown now (not a link).
    pub current: bool,
    /// Pages are left out before this one ("…").
    pub gap_before: bool,
}

/// `GET /instructor/classes/{class_id}`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/overview.html")]
pub struct OverviewPage {
    pub layout: Layout,
    pub csrf: String,
    pub class_id: i64,
    pub name: String,
    pub name_max: usize,
    pub join_code: String,
    pub join_path: String,
    pub archived: Option<String>,
    pub member_count: i64,
    pub members_href: String,
    /// The retention view.
    pub retention_href: String,
    pub self_href: String,
    pub topics: Vec<TopicHead>,
    pub rows: Vec<GridRow>,
    pub sort_name: SortHead,
    pub sort_mastery: SortHead,
    pub sort_activity: SortHead,
    pub sort_label: String,
    /// Which members this page shows ("51–100 / 2,000"), and links to the others.
    pub page_label: String,
    pub page_links: Vec<PageLink>,
    pub prev_page: Option<String>,
    pub next_page: Option<String>,
    pub needs_help: Vec<HelpItem>,
    pub needs_help_more: usize,
    pub weakest: Vec<WeakTopic>,
    pub chart: DayChart,
    pub live: LiveData,
    pub live_url: String,
}

/// The grid's order and page, from the query: `sort`, `dir`, `page` (1 or more); anything else in the
/// query is ignored, a bad value is a 400.
fn grid_order(
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<(SortKey, bool, i64)> {
    let Query(pairs) = query.map_err(|_| {
        AppError::bad_request(pick(
            "クエリ文字列を読めません。",
            "The query string cannot be read.",
        ))
    })?;
    let mut key = SortKey::Name;
    let mut dir: Option<bool> = None;
    let mut page = 1;
    for (k, v) in &pairs {
        match k.as_str() {
            "sort" => {
                key = SortKey::parse(v).ok_or_else(|| {
                    AppError::bad_request(pick(
                        "並べ替えの指定（sort）は name、mastery、activity のどれかです。",
                        "sort must be name, mastery or activity.",
                    ))
                })?
            }
            "dir" => {
                dir = Some(match v.as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => {
                        return Err(AppError::bad_request(pick(
                            "並べ替えの向き（dir）は asc か desc です。",
                            "dir must be asc or desc.",
                        )));
                    }
                })
            }
            "page" => {
                page = v
                    .parse::<i64>()
                    .ok()
                    .filter(|p| (1..=1_000_000).contains(p))
                    .ok_or_else(|| {
                        AppError::bad_request(pick(
                            "ページ（page）は 1 以上の整数で指定してください。",
                            "page must be a whole number from 1.",
                        ))
                    })?
            }
            _ => {}
        }
    }
    Ok((key, dir.unwrap_or(key.default_desc()), page))
}

/// The overview's own URL for this order and page (the default order and page 1 have no query).
fn page_href(class_id: i64, sort: SortKey, desc: bool, page: i64) -> String {
    let mut query = Vec::new();
    if sort != SortKey::Name || desc {
        query.push(format!(
            "sort={}&dir={}",
            sort.name(),
            if desc { "desc" } else { "asc" }
        ));
    }
    if page > 1 {
        query.push(format!("page={page}"));
    }
    if query.is_empty() {
        class_href(class_id)
    } else {
        format!("{}?{}", class_href(class_id), query.join("&"))
    }
}

/// "名前の昇順", "最終活動の新しい順"…: the order in words.
fn sort_label(sort: SortKey, desc: bool) -> String {
    format!(
        "{}{}{}",
        match sort {
            SortKey::Name => pick("名前", "name"),
            SortKey::Mastery => pick("全体の習得率", "overall mastery"),
            SortKey::Activity => pick("最終活動", "last activity"),
        },
        pick("の", ", "),
        match (sort, desc) {
            (SortKey::Activity, true) => pick("新しい順", "newest first"),
            (SortKey::Activity, false) => pick("古い順", "oldest first"),
            (SortKey::Name, false) => pick("昇順", "A to Z"),
            (SortKey::Name, true) => pick("降順", "Z to A"),
            (_, false) => pick("昇順", "lowest first"),
            (_, true) => pick("降順", "highest first"),
        }
    )
}

/// Links to the pages around `page` (the first, the last, and two on each side), in order.
fn page_links(class_id: i64, sort: SortKey, desc: bool, page: i64, pages: i64) -> Vec<PageLink> {
    let mut shown: Vec<i64> = [1, pages]
        .into_iter()
        .chain((page - 2).max(1)..=(page + 2).min(pages))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let mut previous = 0;
    shown
        .into_iter()
        .map(|p| {
            let link = PageLink {
                href: format!("{}#grid", page_href(class_id, sort, desc, p)),
                label: p.to_string(),
                current: p == page,
                gap_before: p > previous + 1,
            };
            previous = p;
            link
        })
        .collect()
}

/// A member's row: their mastery per topic and overall, and their last activity.
fn grid_row(class_id: i64, m: &standing::Member, topics: &[TopicHead], now: i64) -> GridRow {
    GridRow {
        user_id: m.user_id,
        href: learner_href(class_id, m.user_id),
        display_name: display(&m.display_name, &m.name),
        name: m.name.clone(),
        overall: m.overall,
        overall_class: Level::of(m.overall).class(),
        last_at: m.last_at,
        last_activity: m.last_at.map_or("—".into(), |t| super::ago(now, t)),
        cells: m
            .cells
            .iter()
            .zip(topics)
            .map(|(&(started, mastered), t)| {
                let mastery = Mastery::of(mastered, t.questions);
                if mastery.questions == 0 || !started {
                    Cell {
                        text: "—".into(),
                        class: Level::Untouched.class(),
                    }
                } else {
                    Cell {
                        text: format!("{}%", mastery.percent()),
                        class: mastery.level(true).class(),
                    }
                }
            })
            .collect(),
    }
}

/// `GET /instructor/classes/{class_id}`: the class at a glance.
pub async fn overview(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response> {
    let (sort, desc, page) = grid_order(query)?;
    let class = &owned.class;
    let class_id = class.class_id;
    let now = store::now();
    let today = jst::day(now);
    let content = state.content();
    let heads: Vec<TopicHead> = content
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
    let topics: Vec<Topic> = heads
        .iter()
        .map(|t| Topic {
            slug: t.slug.clone(),
            title: t.title.clone(),
            questions: t.questions,
        })
        .collect();
    let ask = Ask {
        order: sort.order(),
        desc,
        page,
        per_page: PER_PAGE,
        now,
        language: crate::web::chrome::current(),
    };
    let title = |slug: &str| topic_title(&content.course, slug);
    let db = &state.db;
    let with = standing::With {
        generation: content.generation,
        cache: &state.class_cache,
    };
    let (figures, live) = tokio::try_join!(
        async {
            Ok::<_, AppError>(
                match standing::from_aggregates(db, class_id, &topics, &ask, &with, title).await? {
                    Some(figures) => figures,
                    None => standing::from_history(db, class_id, &topics, &ask, title).await?,
                },
            )
        },
        live_data(&state, class_id, None, now),
    )?;
    let rows: Vec<GridRow> = figures
        .rows
        .iter()
        .map(|m| grid_row(class_id, m, &heads, now))
        .collect();
    let names = store::class_view::names(
        db,
        &figures
            .flagged
            .iter()
            .map(|f| f.user_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let needs_help = figures
        .flagged
        .into_iter()
        .map(|f| {
            let (display_name, name) = names.get(&f.user_id).cloned().unwrap_or_default();
            HelpItem {
                href: learner_href(class_id, f.user_id),
                display_name: display(&display_name, &name),
                reasons: f.reasons,
            }
        })
        .collect();
    let weakest = figures
        .weakest
        .iter()
        .map(|w| WeakTopic {
            title: topic_title(&content.course, &w.slug),
            href: analysis_href(class_id, &w.slug),
            percent: w.percent,
            started: w.started,
            class: w.mastery.level(true).class(),
        })
        .collect();
    let (page, pages) = (figures.page, figures.pages);
    let first = (page - 1) * PER_PAGE + 1;
    let last = (first + rows.len() as i64 - 1).max(first);
    let page_label = if figures.members == 0 {
        String::new()
    } else {
        crate::web::chrome::pick_with(
            || format!("{first}〜{last} 人目（全 {} 人）", figures.members),
            || format!("{first}–{last} of {}", figures.members),
        )
    };
    let link = |p: i64| format!("{}#grid", page_href(class_id, sort, desc, p));
    Ok(OverviewPage {
        layout,
        csrf: owned.instructor.visitor.csrf_token().await?,
        class_id,
        name: class.name.clone(),
        name_max: NAME_MAX_CHARS,
        join_code: class.join_code.clone(),
        join_path: format!("/join/{}", class.join_code),
        archived: class.archived_at.map(jst::date_time),
        member_count: figures.members,
        members_href: members_href(class_id),
        retention_href: format!("/instructor/classes/{class_id}/retention"),
        self_href: page_href(class_id, sort, desc, page),
        sort_name: sort_head(class_id, SortKey::Name, sort, desc),
        sort_mastery: sort_head(class_id, SortKey::Mastery, sort, desc),
        sort_activity: sort_head(class_id, SortKey::Activity, sort, desc),
        sort_label: sort_label(sort, desc),
        page_label,
        page_links: if pages > 1 {
            page_links(class_id, sort, desc, page, pages)
        } else {
            Vec::new()
        },
        prev_page: (page > 1).then(|| link(page - 1)),
        next_page: (page < pages).then(|| link(page + 1)),
        topics: heads,
        rows,
        needs_help,
        needs_help_more: figures.flagged_more,
        weakest,
        chart: charts::day_chart(&figures.per_day, today),
        live,
        live_url: format!("/instructor/classes/{class_id}/live.json"),
    }
    .into_response())
}
