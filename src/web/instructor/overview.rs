//! The class at a glance (`GET /instructor/classes/{class_id}`): the learner × topic mastery grid (sortable
//! without JavaScript), "needs help" (`classroom::needs_help`), the weakest topics, attempts per day, the
//! live panel at page load, and the class settings. Mastery follows `quiz::mastery`, the same rule and
//! colours as the learner's `/me`.

use super::charts::{self, CHART_DAYS, DayChart};
use super::live::{LIVE_WINDOW_SECS, LiveData, live_data};
use super::{analysis_href, class_href, display, learner_href, members_href, topic_title};
use crate::classroom::NAME_MAX_CHARS;
use crate::classroom::needs_help::{self, MISS_MIN_WRONG, MISS_WINDOW_DAYS};
use crate::jst::{self, DAY};
use crate::quiz::mastery::{Level, Mastery};
use crate::store::{self, class_stats};
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
use std::collections::HashMap;

/// Topics listed under "weakest topics".
const WEAKEST_SHOWN: usize = 5;

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
    pub started: usize,
    pub class: &'static str,
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
    pub member_count: usize,
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
    pub needs_help: Vec<HelpItem>,
    pub needs_help_more: usize,
    pub weakest: Vec<WeakTopic>,
    pub chart: DayChart,
    pub live: LiveData,
    pub live_url: String,
}

/// Reads `sort` and `dir`; anything else in the query is ignored, a bad value is a 400.
fn grid_order(
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<(SortKey, bool)> {
    let Query(pairs) = query.map_err(|_| {
        AppError::bad_request(pick(
            "クエリ文字列を読めません。",
            "The query string cannot be read.",
        ))
    })?;
    let mut key = SortKey::Name;
    let mut dir: Option<bool> = None;
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
            _ => {}
        }
    }
    Ok((key, dir.unwrap_or(key.default_desc())))
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

/// Sorts the grid: by the key in the direction asked, ties by name A→Z (or the name sort itself).
fn sort_rows(rows: &mut [GridRow], sort: SortKey, desc: bool) {
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
        match sort {
            SortKey::Name if desc => by_name(b, a),
            _ => primary.then_with(|| by_name(a, b)),
        }
    });
}

/// Per member, per topic column: (started, mastered).
type Progress = HashMap<i64, Vec<(bool, i64)>>;

/// Who has started which topic (from their attempts) and mastered how many of its questions.
fn progress(
    topics: &[TopicHead],
    started: &[class_stats::Started],
    mastered: &[class_stats::Mastered],
) -> Progress {
    let column: HashMap<&str, usize> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let mut grid: Progress = HashMap::with_capacity(started.len());
    let untouched = || vec![(false, 0); topics.len()];
    for s in started {
        let cells = grid.entry(s.user_id).or_insert_with(untouched);
        for topic in &s.topics {
            if let Some(&i) = column.get(topic.as_str()) {
                cells[i].0 = true;
            }
        }
    }
    for m in mastered {
        if let Some(&i) = column.get(m.topic.as_str()) {
            grid.entry(m.user_id).or_insert_with(untouched)[i] = (true, m.mastered);
        }
    }
    grid
}

/// A member's row: their mastery per topic and overall, and their last activity.
fn grid_row(
    class_id: i64,
    member: &store::classes::Member,
    cells: &[(bool, i64)],
    topics: &[TopicHead],
    last_at: Option<i64>,
    now: i64,
) -> GridRow {
    let per_topic: Vec<Mastery> = cells
        .iter()
        .zip(topics)
        .map(|(&(_, m), t)| Mastery::of(m, t.questions))
        .collect();
    let overall = Mastery::sum(per_topic.iter().copied()).percent();
    GridRow {
        user_id: member.user_id,
        href: learner_href(class_id, member.user_id),
        display_name: display(&member.display_name, &member.name),
        name: member.name.clone(),
        overall,
        overall_class: Level::of(overall).class(),
        last_at,
        last_activity: last_at.map_or("—".into(), |t| super::ago(now, t)),
        cells: cells
            .iter()
            .zip(&per_topic)
            .map(|(&(started, _), m)| {
                if m.questions == 0 || !started {
                    Cell {
                        text: "—".into(),
                        class: Level::Untouched.class(),
                    }
                } else {
                    Cell {
                        text: format!("{}%", m.percent()),
                        class: m.level(true).class(),
                    }
                }
            })
            .collect(),
    }
}

/// The weakest topics: the lowest mastery over the members who have started each (a topic nobody has
/// reached yet is not weak, only ahead).
fn weakest(
    topics: &[TopicHead],
    members: &[store::classes::Member],
    grid: &Progress,
) -> Vec<WeakTopic> {
    let mut weakest: Vec<WeakTopic> = topics
        .iter()
        .enumerate()
        .filter(|(_, t)| t.questions > 0)
        .filter_map(|(i, t)| {
            let started: Vec<Mastery> = members
                .iter()
                .filter_map(|m| grid.get(&m.user_id).filter(|r| r[i].0))
                .map(|r| Mastery::of(r[i].1, t.questions))
                .collect();
            if started.is_empty() {
                return None;
            }
            let together = Mastery::sum(started.iter().copied());
            Some(WeakTopic {
                title: t.title.clone(),
                href: t.href.clone(),
                percent: together.percent(),
                started: started.len(),
                class: together.level(true).class(),
            })
        })
        .collect();
    weakest.sort_by_key(|w| w.percent);
    weakest.truncate(WEAKEST_SHOWN);
    weakest
}

/// `GET /instructor/classes/{class_id}`: the class at a glance.
pub async fn overview(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response> {
    let (sort, desc) = grid_order(query)?;
    let class = &owned.class;
    let class_id = class.class_id;
    let now = store::now();
    let today = jst::day(now);
    let db = &state.db;
    let read = |e: sqlx::Error| AppError::from(e);
    // A few aggregate queries over the whole class, run side by side on the read pool.
    let (members, mastered, started, misses, per_day, live) = tokio::try_join!(
        async { store::classes::members(db, class_id).await.map_err(read) },
        async { class_stats::mastered(db, class_id).await.map_err(read) },
        async { class_stats::started(db, class_id).await.map_err(read) },
        async {
            class_stats::recent_misses(db, class_id, now - MISS_WINDOW_DAYS * DAY, MISS_MIN_WRONG)
                .await
                .map_err(read)
        },
        async {
            let since = jst::day_start(today - CHART_DAYS + 1);
            class_stats::attempts_per_day(db, class_id, since, jst::OFFSET)
                .await
                .map_err(read)
        },
        live_data(&state, class_id, now - LIVE_WINDOW_SECS, now),
    )?;

    let content = state.content();
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
    let grid = progress(&topics, &started, &mastered);
    let last_at: HashMap<i64, i64> = started.iter().map(|s| (s.user_id, s.last_at)).collect();
    let untouched = vec![(false, 0); topics.len()];
    let mut rows: Vec<GridRow> = members
        .iter()
        .map(|m| {
            let cells = grid.get(&m.user_id).unwrap_or(&untouched);
            grid_row(
                class_id,
                m,
                cells,
                &topics,
                last_at.get(&m.user_id).copied(),
                now,
            )
        })
        .collect();
    let weakest = weakest(&topics, &members, &grid);

    let standing: Vec<needs_help::Learner> = rows
        .iter()
        .map(|r| needs_help::Learner {
            user_id: r.user_id,
            overall: r.overall,
            last_at: r.last_at,
        })
        .collect();
    let title = |slug: &str| topic_title(&content.course, slug);
    let (flagged, needs_help_more) = needs_help::assess_in(
        crate::web::chrome::current(),
        &standing,
        &misses,
        title,
        now,
    );
    let needs_help = flagged
        .into_iter()
        .filter_map(|f| {
            let row = rows.iter().find(|r| r.user_id == f.user_id)?;
            Some(HelpItem {
                href: row.href.clone(),
                display_name: row.display_name.clone(),
                reasons: f.reasons,
            })
        })
        .collect();

    sort_rows(&mut rows, sort, desc);
    let per_day: Vec<(i64, i64)> = per_day.iter().map(|d| (d.day, d.attempts)).collect();
    Ok(OverviewPage {
        layout,
        csrf: owned.instructor.visitor.csrf_token().await?,
        class_id,
        name: class.name.clone(),
        name_max: NAME_MAX_CHARS,
        join_code: class.join_code.clone(),
        join_path: format!("/join/{}", class.join_code),
        archived: class.archived_at.map(jst::date_time),
        member_count: members.len(),
        members_href: members_href(class_id),
        retention_href: format!("/instructor/classes/{class_id}/retention"),
        self_href: match query_string(sort, desc) {
            Some(q) => format!("{}?{q}", class_href(class_id)),
            None => class_href(class_id),
        },
        sort_name: sort_head(class_id, SortKey::Name, sort, desc),
        sort_mastery: sort_head(class_id, SortKey::Mastery, sort, desc),
        sort_activity: sort_head(class_id, SortKey::Activity, sort, desc),
        sort_label: sort_label(sort, desc),
        topics,
        rows,
        needs_help,
        needs_help_more,
        weakest,
        chart: charts::day_chart(&per_day, today),
        live,
        live_url: format!("/instructor/classes/{class_id}/live.json"),
    }
    .into_response())
}
