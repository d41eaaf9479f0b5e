//! Router tests for the instructor's view: a small fixed class built through the HTTP flows and
//! `record_attempt` with hand-chosen answers, and the numbers on the class page checked against values
//! worked out by hand (grid, overall mastery, sorting, "needs help", attempts per day, live counts); the
//! learner drill-down; class management (create, rename, new code, archive, members, remove) and the
//! learner's side (join by code or link, leave); bad input that changes nothing; and authorization on every
//! route: a visitor is sent to log in, a learner gets 403, another instructor 404, a missing CSRF token 403.
//!
//! One file per page group, as in `src/web/instructor/`: `overview` (grid, sorting, needs help, attempts
//! per day, live counts), `learner` (the drill-down), `classes` (create, rename, code, archive, members),
//! `join` (the learner's side), `access` (who may call each route) and `demo` (the demo seed). The fixed
//! class every file starts from is here.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod classes;
mod demo;
mod english;
mod join;
mod learner;
mod overview;

use axum::http::StatusCode;
use common::{Account, Reply, TestApp};
use infra_dojo::store;

pub const DAY: i64 = 86_400;
/// "11/26" for a unix time, in Japan time (as the page writes dates).
pub fn month_day(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix + 9 * 3600).unwrap();
    format!("{}/{}", u8::from(t.month()), t.day())
}

/// The fixed class: aki, ben, chie and dan, with hand-chosen attempts (see each line).
pub struct Fixture<'a> {
    pub teacher: Account<'a>,
    pub class_id: i64,
    /// The class's join code.
    pub code: String,
    pub aki: Account<'a>,
    pub now: i64,
}

pub async fn fixture(app: &TestApp) -> Fixture<'_> {
    let teacher = app.instructor("teacher").await;
    let (class_id, code) = teacher.create_class("1年A組").await;
    let aki = app.learner("aki").await;
    let mut others = Vec::new();
    for name in ["ben", "chie", "dan"] {
        let c = app.learner(name).await;
        assert_eq!(c.join_class(&code).await.status, StatusCode::SEE_OTHER);
        others.push(c.id);
    }
    assert_eq!(aki.join_class(&code).await.status, StatusCode::SEE_OTHER);
    let now = store::now();
    // The class started a month ago: everyone joined before the attempts below.
    backdate_joins(app, class_id, now - 30 * DAY).await;
    let (a, b, d) = (aki.id, others[0], others[2]);
    assert_eq!(app.state.content().quizzes.topic("tcp").len(), 10);
    assert_eq!(app.state.content().quizzes.topic("icmp").len(), 14);
    assert_eq!(app.state.content().quizzes.topic("signals").len(), 14);
    // aki: TCP all right, then all right but the first two → 8 questions in box 3 → TCP 80%, overall 8/172 = 4% (rounded down).
    app.answer_topic(a, "tcp", &[], now - 3 * DAY).await;
    app.answer_topic(a, "tcp", &[0, 1], now - DAY).await;
    // ben: TCP all right once (box 2: seen, not mastered → 0%); ICMP right twice → 100%; overall 14/172 = 8%
    // (rounded down). Last seen 8 days ago.
    app.answer_topic(b, "tcp", &[], now - 10 * DAY).await;
    app.answer_topic(b, "icmp", &[], now - 10 * DAY + 60).await;
    app.answer_topic(b, "icmp", &[], now - 8 * DAY).await;
    // dan: シグナル with 9 of 14 wrong a minute ago → 0% mastered, 9 misses at 5/14 = 35% accuracy.
    app.answer_topic(d, "signals", &[0, 1, 2, 3, 4, 5, 6, 7, 8], now - 60)
        .await;
    // chie: nothing.
    Fixture {
        teacher,
        class_id,
        code,
        aki,
        now,
    }
}

/// Moves every member's joining time of `class_id` back to `at`, for fixtures whose attempts are dated in
/// the past (the live panel counts only what members did after joining).
pub async fn backdate_joins(app: &TestApp, class_id: i64, at: i64) {
    infra_dojo::on!(&app.state.db, pool => sqlx::query("update class_member set joined_at = $1 where class_id = $2")
        .bind(at)
        .bind(class_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))
        .unwrap();
}

/// The grid as (name, overall, last activity, cells) rows.
pub fn grid(page: &Reply) -> Vec<Vec<String>> {
    page.rows(".mastery-grid tbody tr")
}

pub fn column(page: &Reply, slug: &str) -> usize {
    let slugs = page.attrs(".mastery-grid thead a[data-topic]", "data-topic");
    3 + slugs.iter().position(|s| s == slug).unwrap()
}
