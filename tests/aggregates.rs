//! The class aggregates (`store::aggregates`, migration 0008) are exactly what the history gives. After a
//! mix of attempts (right, wrong, blank, typed, multiple choice, one arriving out of order), topic resets,
//! joins (before and after answering), leaves, answers given while outside the class, and a guest merged
//! into a member, the overview and the question analysis computed from the aggregates equal the same
//! figures computed from every attempt — for every order, several pages, several days later (misses
//! age out, learners become inactive) — and the stored aggregates equal a rebuild from the history.

mod common;

use infra_dojo::content::Language;
use infra_dojo::db::Db;
use infra_dojo::quiz::bank::Kind;
use infra_dojo::quiz::grade::{self, Response};
use infra_dojo::store::{self, aggregates, class_view, quiz::NewAnswer};
use infra_dojo::web::instructor::analysis::breakdown_from_history;
use infra_dojo::web::instructor::cache::ClassCache;
use infra_dojo::web::instructor::standing::{self, Ask, Order, Topic, With};
use infra_dojo::widgets::rng::Rng;

const DAY: i64 = 86_400;
/// "Now" for the story: its attempts fall in the 35 days before.
const NOW: i64 = 1_764_000_000;
const TOPICS: [&str; 3] = ["tcp", "ftp", "process"];

/// A response to `q`: right, or one of several wrong ones (another option, a typed mistake, a blank).
fn respond(
    q: &infra_dojo::quiz::bank::Question,
    seed: u64,
    right: bool,
    rng: &mut Rng,
) -> Response {
    if right {
        return common::answer(q, seed, true);
    }
    if rng.below(8) == 0 {
        return Response::Blank;
    }
    match &q.kind {
        Kind::Single { options } | Kind::Multiple { options } => {
            let wrong: Vec<usize> = (0..options.len())
                .filter(|&i| !options[i].correct)
                .collect();
            let pick = wrong[rng.below(wrong.len() as u64) as usize];
            if matches!(q.kind, Kind::Multiple { .. }) && rng.below(2) == 0 {
                let mut chosen: Vec<usize> =
                    (0..options.len()).filter(|&i| options[i].correct).collect();
                chosen.push(pick);
                Response::Choice(chosen)
            } else {
                Response::Choice(vec![pick])
            }
        }
        Kind::Numeric { wrong, .. } | Kind::Text { wrong, .. }
            if !wrong.is_empty() && rng.below(2) == 0 =>
        {
            Response::Text(wrong[rng.below(wrong.len() as u64) as usize].value.clone())
        }
        _ => common::answer(q, seed, false),
    }
}

/// Stores an attempt of `user` on `topic` at `at`, each question right with probability `skill`/10.
async fn attempt(
    app: &common::TestApp,
    token: &str,
    user: i64,
    topic: &str,
    at: i64,
    skill: u64,
    rng: &mut Rng,
) {
    let seed = 42;
    let mut answers = Vec::new();
    for q in app.state.content().quizzes.topic(topic) {
        let right = rng.below(10) < skill;
        let r = respond(q, seed, right, rng);
        let g = grade::grade(q, seed, &r).expect("grades");
        answers.push(NewAnswer {
            question_id: q.id.clone(),
            position: 0,
            response: serde_json::to_string(&r).unwrap(),
            correct: g.correct,
            credit: g.credit,
            misconception: g.misconception.clone(),
            time_ms: 1000,
        });
    }
    app.record(token, user, topic, at, answers).await;
}

fn topics(app: &common::TestApp) -> Vec<Topic> {
    let content = app.state.content();
    content
        .course
        .topics
        .iter()
        .map(|t| Topic {
            slug: t.slug.clone(),
            title: t.title.clone(),
            questions: content.quizzes.topic(&t.slug).len() as i64,
        })
        .collect()
}

/// The overview and the analysis of `class_id`, from the aggregates and from the history, must agree.
/// The cache of costly figures is shared by every comparison: a figure kept before a change must not be
/// served after it.
async fn same_figures(app: &common::TestApp, class_id: i64, cache: &ClassCache, nows: &[i64]) {
    let with = With {
        generation: 0,
        cache,
    };
    let db = &app.state.db;
    let topics = topics(app);
    let title = |slug: &str| slug.to_uppercase();
    for &now in nows {
        for order in [Order::Name, Order::Mastery, Order::Activity] {
            for desc in [false, true] {
                for page in [1, 2, 4] {
                    let ask = Ask {
                        order,
                        desc,
                        page,
                        per_page: 3,
                        now,
                        language: Language::Ja,
                    };
                    let kept = standing::from_aggregates(
                        &app.state.db,
                        class_id,
                        &topics,
                        &ask,
                        &with,
                        title,
                    )
                    .await
                    .unwrap()
                    .expect("no bank is capped");
                    let history =
                        standing::from_history(&app.state.db, class_id, &topics, &ask, title)
                            .await
                            .unwrap();
                    assert_eq!(
                        kept, history,
                        "class {class_id}, now {now}, {order:?} desc {desc} page {page}"
                    );
                }
            }
        }
    }
    let widgets = vec!["handshake".to_string(), "forktree".to_string()];
    assert_eq!(
        class_view::widget_steps(db, class_id, &widgets)
            .await
            .unwrap(),
        store::analysis::widget_steps(&app.state.db, class_id, &widgets)
            .await
            .unwrap(),
        "class {class_id}: widget steps"
    );
    for topic in TOPICS {
        let kept = class_view::breakdown(db, class_id, topic, 5, 20)
            .await
            .unwrap()
            .expect("few questions");
        let history = breakdown_from_history(&app.state.db, class_id, topic)
            .await
            .unwrap();
        assert_eq!(kept, history, "class {class_id}, topic {topic}");
    }
}

/// Every aggregate row, sorted (sums that came back to zero left out: a rebuild has no row for them).
async fn snapshot(db: &infra_dojo::db::Db) -> Vec<String> {
    let mut rows = Vec::new();
    // Learner rows are kept for members only: those of learners outside every class are not compared.
    let members = "where user_id in (select user_id from class_member)";
    for (table, filter) in [
        ("learner_topic", members),
        ("learner_question", members),
        ("learner_recent", members),
        ("class_learner", ""),
        ("class_option_member", ""),
        ("class_rank", ""),
        (
            "class_stat",
            "where (n != 0 or m != 0 or learners != 0) and kind != 'version'",
        ),
    ] {
        let columns = match db {
            Db::Sqlite(_) => format!("select name from pragma_table_info('{table}') order by cid"),
            Db::Postgres(_) => format!(
                "select column_name::text from information_schema.columns where table_name = '{table}' order by ordinal_position"
            ),
        };
        let cols: Vec<(String,)> = infra_dojo::on!(db, pool => sqlx::query_as(&columns)
        .fetch_all(pool)
        .await)
        .unwrap();
        // `class_learner.changed` says which transaction last wrote the row (for "needs help" kept between
        // views), not what the row counts: a rebuild writes it afresh.
        let list = cols
            .iter()
            .map(|(c,)| c.as_str())
            .filter(|c| *c != "changed")
            .collect::<Vec<_>>()
            .join(", ");
        let row = match db {
            Db::Sqlite(_) => format!("json_array({list})"),
            Db::Postgres(_) => format!("json_build_array({list})::text"),
        };
        let json: Vec<(String,)> = infra_dojo::on!(db, pool => sqlx::query_as(&format!(
            "select {row} from {table} {filter} order by {list}"
        ))
        .fetch_all(pool)
        .await)
        .unwrap();
        rows.extend(json.into_iter().map(|(r,)| format!("{table} {r}")));
    }
    rows
}

#[tokio::test]
async fn aggregates_equal_the_history_after_attempts_resets_joins_leaves_and_a_merge() {
    let app = common::app().await;
    let db = &app.state.db;
    let teacher = app.instructor("teacher").await;
    let (class_a, _) = teacher.create_class("A組").await;
    let (class_b, _) = teacher.create_class("B組").await;
    let mut ids = Vec::new();
    for (name, shown) in [
        ("aoi", "青井"),
        ("ben", "ben"),
        ("chika", "Chika"),
        ("dan", "Dan"),
        ("emi", "エミ"),
        ("fuu", "風"),
    ] {
        ids.push(app.learner_as(name, shown).await.id);
    }
    // Without a display name (made as the CLI can): listed by login name.
    let hash = infra_dojo::auth::password::hash(common::PASSWORD).unwrap();
    ids.push(
        store::users::create(
            db,
            "gen",
            "",
            &hash,
            infra_dojo::auth::Role::Learner,
            NOW - 40 * DAY,
        )
        .await
        .unwrap(),
    );
    // More members than "needs help" lists (20), so the order and the cut count.
    for i in 8..=32 {
        ids.push(
            store::users::create(
                db,
                &format!("l{i:02}"),
                &format!("受講者{i:02}"),
                &hash,
                infra_dojo::auth::Role::Learner,
                NOW - 40 * DAY,
            )
            .await
            .unwrap(),
        );
    }
    let outsider = app.learner("outsider").await.id;
    let mut rng = Rng::new(7);
    let start = NOW - 35 * DAY;
    let cache = ClassCache::default();

    // Four join A before answering; the fifth answers first and joins later.
    for &id in ids[..4].iter().chain(&ids[7..]) {
        store::classes::join(db, class_a, id, start).await.unwrap();
    }
    store::classes::join(db, class_b, ids[5], start)
        .await
        .unwrap();
    let mut n = 0;
    for day in 0..34 {
        for (k, &id) in ids.iter().enumerate() {
            // Each learner keeps their own pace: some stop early (inactive), some answer often.
            if (day + k) % (k + 2) != 0 || (k == 3 && day > 20) {
                continue;
            }
            let topic = TOPICS[(day / 4 + k) % TOPICS.len()];
            // Any time of day: Japan-time days begin at 15:00 UTC.
            let at = start + day as i64 * DAY + rng.below(DAY as u64) as i64;
            n += 1;
            // Now and then a prediction in a widget (right or not), as the topic pages ask for.
            if rng.below(3) == 0 {
                let (widget, scenario, step, field) = [
                    ("handshake", "normal", 1, "client_state"),
                    ("handshake", "normal", 2, "server_state"),
                    ("handshake", "closed-port", 0, "client_state"),
                    ("forktree", "fork-exec", -1, "tree"),
                ][rng.below(4) as usize];
                store::quiz::record_widget_answer(
                    &app.state.db,
                    id,
                    widget,
                    scenario,
                    step,
                    field,
                    "\"x\"",
                    rng.below(2) == 0,
                    at,
                )
                .await
                .unwrap();
            }
            attempt(
                &app,
                &format!("a{n}"),
                id,
                topic,
                at,
                1 + (k as u64 * 3) % 9,
                &mut rng,
            )
            .await;
        }
        if day == 10 {
            store::classes::join(db, class_a, ids[4], start + 10 * DAY)
                .await
                .unwrap();
            store::classes::join(db, class_a, ids[5], start + 10 * DAY)
                .await
                .unwrap();
        }
        if day == 18 {
            // Resets (mastery gone, answers kept) and a member leaving (then answering outside).
            store::quiz::reset_topic(&app.state.db, ids[1], "tcp", start + 18 * DAY)
                .await
                .unwrap();
            store::quiz::reset_topic(&app.state.db, ids[2], "ftp", start + 18 * DAY)
                .await
                .unwrap();
            store::classes::leave(db, class_a, ids[3]).await.unwrap();
            store::classes::leave(db, class_b, ids[5]).await.unwrap();
        }
        if day == 20 {
            // Figures compared (and kept in the cache) mid-way: the rest of the story changes them.
            same_figures(&app, class_a, &cache, &[NOW]).await;
        }
        if day == 25 {
            // The leaver comes back, with what they answered meanwhile.
            store::classes::join(db, class_a, ids[3], start + 25 * DAY)
                .await
                .unwrap();
        }
    }
    // An outsider's answers never count.
    attempt(&app, "out", outsider, "tcp", NOW - DAY, 1, &mut rng).await;
    // An attempt that arrives after a later one (a clock set back): first answers stay the earliest.
    attempt(&app, "late", ids[0], "tcp", start + 2 * DAY, 9, &mut rng).await;
    attempt(&app, "late2", ids[4], "process", start + DAY, 0, &mut rng).await;
    // A guest's answers merged into a member's account.
    let guest = store::users::create_guest(&app.state.db, NOW - 3 * DAY)
        .await
        .unwrap();
    attempt(&app, "g1", guest, "ftp", NOW - 3 * DAY, 3, &mut rng).await;
    store::quiz::record_widget_answer(
        &app.state.db,
        guest,
        "handshake",
        "normal",
        1,
        "client_state",
        "\"x\"",
        true,
        NOW - DAY,
    )
    .await
    .unwrap();
    attempt(&app, "g2", guest, "tcp", start, 8, &mut rng).await;
    store::users::merge_guest(db, guest, ids[2]).await.unwrap();
    // The learner without a display name joins B last.
    store::classes::join(db, class_b, ids[6], NOW)
        .await
        .unwrap();

    let mastered: (i64,) = infra_dojo::on!(db, pool => sqlx::query_as("select count(*) from question_progress where box >= 3")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert!(
        mastered.0 > 10,
        "the story masters questions: {}",
        mastered.0
    );
    let later = [NOW, NOW + 3 * DAY, NOW + 9 * DAY, NOW + 30 * DAY];
    same_figures(&app, class_a, &cache, &later).await;
    same_figures(&app, class_b, &cache, &later).await;
    // The story reaches what the comparison is about: a cut "needs help" list, several pages, an index
    // of discrimination, options named.
    let ask = Ask {
        order: Order::Name,
        desc: false,
        page: 1,
        per_page: 3,
        now: NOW,
        language: Language::Ja,
    };
    let a = standing::from_history(&app.state.db, class_a, &topics(&app), &ask, |s: &str| {
        s.to_string()
    })
    .await
    .unwrap();
    assert!(
        a.flagged.len() == 20 && a.flagged_more > 0 && a.pages > 4,
        "{a:?}"
    );
    assert!(a.flagged.iter().any(|f| f.reasons.len() >= 3));
    let tcp = breakdown_from_history(&app.state.db, class_a, "tcp")
        .await
        .unwrap();
    assert!(tcp.stats.iter().any(|s| s.discrimination().is_some()));
    assert!(tcp.options.iter().any(|o| o.learners.len() > 1));
    assert!(!tcp.wrong.is_empty() && !tcp.tags.is_empty());
    let steps = store::analysis::widget_steps(&app.state.db, class_a, &["handshake".to_string()])
        .await
        .unwrap();
    assert!(steps.len() >= 3 && steps.iter().any(|s| s.learners > 1));

    // A member of class A deletes their account: the classes' figures are as if they never took
    // part, and nothing of theirs is left in the aggregates.
    store::account::delete_account(db, ids[0]).await.unwrap();
    same_figures(&app, class_a, &cache, &later).await;
    same_figures(&app, class_b, &cache, &later).await;

    // What the incremental updates left is what the history gives when everything is rebuilt.
    let kept = snapshot(db).await;
    let mut tx = db.begin().await.unwrap();
    aggregates::rebuild_all(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let rebuilt = snapshot(db).await;
    assert_eq!(kept.len(), rebuilt.len());
    for (a, b) in kept.iter().zip(&rebuilt) {
        assert_eq!(a, b);
    }
}

/// When a question bank shrinks below what someone mastered, the kept totals cannot cap each topic
/// (`quiz::mastery`), so the overview is computed from the history.
#[tokio::test]
async fn a_shrunken_bank_falls_back_to_the_history() {
    let app = common::app().await;
    let db = &app.state.db;
    let teacher = app.instructor("teacher").await;
    let (class_id, _) = teacher.create_class("C組").await;
    let learner = app.learner("kei").await.id;
    store::classes::join(db, class_id, learner, NOW - 10 * DAY)
        .await
        .unwrap();
    for k in 0..3 {
        app.answer_topic(learner, "tcp", &[], NOW - (5 - k) * DAY)
            .await;
    }
    let mut topics = topics(&app);
    let ask = Ask {
        order: Order::Mastery,
        desc: false,
        page: 1,
        per_page: 50,
        now: NOW,
        language: Language::Ja,
    };
    let title = |s: &str| s.to_string();
    let cache = ClassCache::default();
    let with = With {
        generation: 0,
        cache: &cache,
    };
    assert!(
        standing::from_aggregates(&app.state.db, class_id, &topics, &ask, &with, title)
            .await
            .unwrap()
            .is_some()
    );
    let tcp = topics.iter_mut().find(|t| t.slug == "tcp").unwrap();
    tcp.questions = 2;
    assert!(
        standing::from_aggregates(&app.state.db, class_id, &topics, &ask, &with, title)
            .await
            .unwrap()
            .is_none()
    );
    let history = standing::from_history(&app.state.db, class_id, &topics, &ask, title)
        .await
        .unwrap();
    let all = app.state.content().quizzes.topic("tcp").len() as i64;
    let column = topics.iter().position(|t| t.slug == "tcp").unwrap();
    assert_eq!(
        history.rows[0].cells[column],
        (true, all),
        "every question mastered"
    );
    assert_eq!(
        history.rows[0].overall,
        100 * 2 / topics.iter().map(|t| t.questions).sum::<i64>()
    );
}

/// A database from before the aggregates (history, and no aggregate rows nor `aggregate_state` row) gets
/// them from its history when the server starts.
#[tokio::test]
async fn a_database_from_before_the_aggregates_gets_them_at_start() {
    let app = common::app().await;
    let db = &app.state.db;
    let teacher = app.instructor("teacher").await;
    let (class_id, _) = teacher.create_class("D組").await;
    let mut rng = Rng::new(3);
    for (k, name) in ["hana", "iku", "jun"].into_iter().enumerate() {
        let id = app.learner(name).await.id;
        store::classes::join(db, class_id, id, NOW - 20 * DAY)
            .await
            .unwrap();
        for day in 0..6 {
            let at = NOW - (12 - 2 * day) * DAY + k as i64 * 600;
            attempt(
                &app,
                &format!("{name}{day}"),
                id,
                TOPICS[day as usize % 3],
                at,
                3 + k as u64 * 2,
                &mut rng,
            )
            .await;
        }
    }
    let kept = snapshot(db).await;
    assert!(kept.iter().any(|r| r.starts_with("class_stat")));
    for table in [
        "learner_topic",
        "learner_question",
        "class_learner",
        "class_stat",
        "class_option_member",
        "class_rank",
        "learner_recent",
        "aggregate_state",
    ] {
        infra_dojo::on!(db, pool => sqlx::query(&format!("delete from {table}"))
            .execute(pool)
            .await.map(|r| r.rows_affected()))
        .unwrap();
    }
    let content =
        infra_dojo::load_content(&infra_dojo::content::source::ContentSource::Embedded).unwrap();
    infra_dojo::build_state(db.clone(), content, Default::default())
        .await
        .unwrap();
    assert_eq!(snapshot(db).await, kept);
    let marked: (i64,) =
        infra_dojo::on!(db, pool => sqlx::query_as("select count(*) from aggregate_state")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(marked.0, 1, "built once");
}
