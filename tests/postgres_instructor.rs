//! The instructor's class views on PostgreSQL: the same class — members, attempts, answers, mastery, the
//! aggregates `store::aggregates` keeps — inserted row by row into a SQLite file and into a PostgreSQL
//! database, and every function of `store::class_view` and `store::class_stats` asked the same on both.
//! Their texts differ per backend (packing, arrays, casts, byte order): the answers must not. A few
//! answers are also checked against what they must be, so two backends agreeing on nothing (or on
//! something wrong) fails too.
//!
//! The PostgreSQL database sorts text in an English locale (ICU), not in bytes.
//!
//! Needs a PostgreSQL cluster: `scripts/with-postgres cargo test --test postgres_instructor`.

use infra_dojo::classroom::aggregates::{SEP, response_tag_key};
use infra_dojo::db::Db;
use infra_dojo::on;
use infra_dojo::store::class_stats;
use infra_dojo::store::class_view::{self, Order};
use sqlx::{Connection, Executor};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A new, empty database in the throwaway cluster (`scripts/with-postgres`); its URL.
async fn fresh_database() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let admin = std::env::var("INFRA_DOJO_TEST_POSTGRES").expect(
        "INFRA_DOJO_TEST_POSTGRES is not set: run these tests through \
         scripts/with-postgres cargo test --test postgres_instructor",
    );
    let name = format!(
        "ti_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    // A locale whose order is not the bytes' (as a production database's may well be): names and the
    // ranges of scopes must come out in SQLite's byte order all the same.
    conn.execute(
        format!(
            "create database {name} template template0 encoding 'UTF8' locale 'C.UTF-8'
             locale_provider icu icu_locale 'en-US'"
        )
        .as_str(),
    )
    .await
    .unwrap();
    conn.close().await.unwrap();
    let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}?{query}")
}

/// A value of an inserted row.
enum V {
    I(i64),
    T(String),
    /// A null integer.
    NullI,
    /// A null text.
    NullT,
    F(f64),
}

fn i(n: i64) -> V {
    V::I(n)
}

fn t(s: &str) -> V {
    V::T(s.to_string())
}

/// Inserts `rows` into `table` (`columns` comma-separated), one bound statement per row.
async fn insert(db: &Db, table: &str, columns: &str, rows: Vec<Vec<V>>) {
    let count = columns.split(',').count();
    let params: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    let sql = format!(
        "insert into {table} ({columns}) values ({})",
        params.join(", ")
    );
    for row in rows {
        assert_eq!(row.len(), count, "{table}");
        on!(db, pool => {
            let mut query = sqlx::query(&sql);
            for value in row {
                query = match value {
                    V::I(n) => query.bind(n),
                    V::T(s) => query.bind(s),
                    V::NullI => query.bind(None::<i64>),
                    V::NullT => query.bind(None::<String>),
                    V::F(f) => query.bind(f),
                };
            }
            query.execute(pool).await.unwrap_or_else(|e| panic!("{table}: {e}"));
        });
    }
}

const NOW: i64 = 1_750_000_000;
const DAY: i64 = 86_400;
const CLASS: i64 = 1;
const OTHER_CLASS: i64 = 2;
/// Questions in the course, for mastery percentages.
const QUESTIONS: i64 = 10;

fn today() -> i64 {
    infra_dojo::jst::day(NOW)
}

/// A class's scope of one question.
fn q(topic: &str, question: &str) -> String {
    format!("{topic}{SEP}{question}")
}

/// The class: a teacher, eight members (one never answered, one inactive for weeks, one who joined a
/// moment ago), an outsider who answers too, and another class of the same teacher.
async fn fill(db: &Db) {
    let users = [
        (1, Some("t"), "先生", "instructor"),
        (2, Some("aki"), "Aki", "learner"),
        (3, Some("ben"), "", "learner"),
        (4, None, "", "guest"),
        (5, Some("yui"), "ゆい", "learner"),
        (6, Some("emile"), "Émile", "learner"),
        (7, Some("zed"), "zed", "learner"),
        (8, Some("under"), "_under", "learner"),
        (9, Some("old"), "Old", "learner"),
        (10, Some("out"), "Outsider", "learner"),
    ];
    insert(
        db,
        "app_user",
        "user_id, name, display_name, role, created_at",
        users
            .iter()
            .map(|(id, name, display, role)| {
                vec![i(*id), name.map_or(V::NullT, t), t(display), t(role), i(1)]
            })
            .collect(),
    )
    .await;
    insert(
        db,
        "class",
        "class_id, owner_id, name, join_code, archived_at, created_at",
        vec![
            vec![i(CLASS), i(1), t("A組"), t("CODEA"), V::NullI, i(5)],
            vec![i(OTHER_CLASS), i(1), t("B組"), t("CODEB"), V::NullI, i(6)],
        ],
    )
    .await;
    let mut members: Vec<Vec<V>> = (2..=9)
        .map(|u| {
            let joined = if u == 7 { NOW - 100 } else { NOW - 30 * DAY };
            vec![i(CLASS), i(u), i(joined)]
        })
        .collect();
    members.push(vec![i(OTHER_CLASS), i(10), i(NOW - 30 * DAY)]);
    insert(db, "class_member", "class_id, user_id, joined_at", members).await;

    // (id, user, topic, questions, right, at)
    let attempts = [
        (1, 2, "tcp", 4, 1, NOW - 600),
        (2, 2, "tcp", 4, 3, NOW - 300),
        (3, 3, "tcp", 3, 0, NOW - 2 * DAY),
        (4, 5, "icmp", 2, 2, NOW - 10 * DAY),
        (5, 7, "tcp", 2, 1, NOW - 200),
        (6, 7, "tcp", 2, 2, NOW - 50),
        (7, 10, "tcp", 2, 0, NOW - 100),
        (8, 9, "icmp", 1, 0, NOW - 20 * DAY),
    ];
    insert(
        db,
        "attempt",
        "attempt_id, token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at, credit, kind",
        attempts
            .iter()
            .map(|(id, user, topic, n, right, at)| {
                vec![
                    i(*id),
                    t(&format!("tok{id}")),
                    i(*user),
                    t(topic),
                    i(7),
                    i(*n),
                    i(*right),
                    i(30_000),
                    i(*at),
                    i(50),
                    t("quiz"),
                ]
            })
            .collect(),
    )
    .await;
    // The answers of each attempt: its first `right` answers are right.
    let mut answers = Vec::new();
    let mut answer_id = 1;
    for (id, _, topic, n, right, _) in attempts {
        for position in 0..n {
            let correct = position < right;
            answers.push(vec![
                i(answer_id),
                i(id),
                t(&format!("{topic}-q{}", position + 1)),
                i(position),
                t(&format!(
                    r#"{{"type":"text","value":"a{answer_id}\u001f\u001e"}}"#
                )),
                i(i64::from(correct)),
                if correct || position % 2 == 1 {
                    V::NullT
                } else {
                    t("m-x")
                },
                i(1000 + answer_id),
                i(if correct { 100 } else { 0 }),
            ]);
            answer_id += 1;
        }
    }
    insert(
        db,
        "answer",
        "answer_id, attempt_id, question_id, position, response, correct, misconception, time_ms, credit",
        answers,
    )
    .await;
    // (user, question, topic, box)
    let progress = [
        (2, "tcp-q1", "tcp", 3),
        (2, "tcp-q2", "tcp", 4),
        (2, "tcp-q3", "tcp", 1),
        (5, "icmp-q1", "icmp", 5),
        (5, "icmp-q2", "icmp", 3),
        (3, "tcp-q1", "tcp", 0),
        (10, "tcp-q1", "tcp", 5),
    ];
    insert(
        db,
        "question_progress",
        "user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at, stability, difficulty",
        progress
            .iter()
            .map(|(user, question, topic, level)| {
                vec![
                    i(*user),
                    t(question),
                    t(topic),
                    i(*level),
                    i(NOW + DAY),
                    i(2),
                    i(1),
                    i(1),
                    i(NOW - 300),
                    V::F(1.5),
                    V::F(5.0),
                ]
            })
            .collect(),
    )
    .await;
    insert(
        db,
        "topic_reset",
        "user_id, topic, after_attempt_id, reset_at",
        vec![vec![i(2), t("icmp"), i(1), i(NOW - 1000)]],
    )
    .await;

    let stat = |class: i64, kind: &str, scope: &str, key: &str, n: i64, m: i64, l: i64| {
        vec![i(class), t(kind), t(scope), t(key), i(n), i(m), i(l)]
    };
    let (syn, ack, fin) = (
        r#"{"type":"text","value":"syn"}"#,
        r#"{"type":"text","value":"ack"}"#,
        r#"{"type":"text","value":"fin"}"#,
    );
    let tcp1 = q("tcp", "tcp-q1");
    let tcp2 = q("tcp", "tcp-q2");
    let tcp3 = q("tcp", "tcp-q3");
    let stats = vec![
        stat(CLASS, "version", "", "", 12, 0, 0),
        stat(CLASS, "version", "members", "", 7, 0, 0),
        stat(CLASS, "members", "", "", 8, 0, 0),
        stat(CLASS, "topic", "tcp", "", 5, 0, 3),
        stat(CLASS, "topic", "icmp", "", 2, 0, 2),
        stat(CLASS, "topic", "dns", "", 0, 0, 0),
        stat(CLASS, "mastered", "tcp", "", 2, 0, 1),
        stat(CLASS, "mastered", "icmp", "", 0, 0, 0),
        stat(CLASS, "day", "", &(today() - 1).to_string(), 3, 0, 0),
        stat(CLASS, "day", "", &today().to_string(), 5, 0, 0),
        stat(CLASS, "widget", "handshake", r#"["s1",0,"flags"]"#, 5, 2, 3),
        stat(CLASS, "widget", "handshake", r#"["s1",1,"state"]"#, 4, 4, 2),
        stat(CLASS, "widget", "handshake", r#"["s2",0,"flags"]"#, 0, 0, 0),
        stat(CLASS, "widget", "forktree", r#"["f",-1,"tree"]"#, 2, 1, 2),
        stat(CLASS, "widget", "other", r#"["o",0,"x"]"#, 1, 1, 1),
        // The discrimination index's ranking: 11 ranked, groups of 3, edges read both ways.
        stat(CLASS, "rank", "tcp", "0", 5, 0, 0),
        stat(CLASS, "rank", "tcp", "1", 4, 0, 0),
        stat(CLASS, "rank", "tcp", "2", 2, 0, 0),
        stat(CLASS, "q", &tcp1, "", 10, 6, 5),
        stat(CLASS, "q", &tcp2, "", 4, 1, 3),
        stat(CLASS, "q", &tcp3, "", 3, 1, 3),
        stat(CLASS, "q", &q("tcp", "tcp-q4"), "", 0, 0, 0),
        // Another topic whose name starts with "tcp": not in tcp's range.
        stat(CLASS, "q", &q("tcp-extra", "x1"), "", 9, 9, 9),
        // First answers per score, as the `class_rank` rows below add up.
        stat(CLASS, "qrank", &tcp1, "0", 5, 0, 0),
        stat(CLASS, "qrank", &tcp1, "1", 4, 3, 0),
        stat(CLASS, "qrank", &tcp1, "2", 2, 2, 0),
        stat(CLASS, "qrank", &tcp2, "0", 3, 0, 0),
        stat(CLASS, "qrank", &tcp2, "1", 3, 1, 0),
        stat(CLASS, "qrank", &tcp2, "2", 2, 1, 0),
        stat(CLASS, "qrank", &tcp3, "0", 1, 0, 0),
        stat(CLASS, "qrank", &tcp3, "1", 1, 0, 0),
        stat(CLASS, "qrank", &tcp3, "2", 1, 1, 0),
        stat(CLASS, "option", &tcp1, "0", 3, 0, 2),
        stat(CLASS, "option", &tcp1, "2", 1, 0, 1),
        stat(CLASS, "option", &tcp1, "1", 0, 0, 0),
        stat(CLASS, "tag", &tcp1, r#"[false,"m-x"]"#, 2, 0, 2),
        stat(CLASS, "tag", &tcp2, "[true,null]", 1, 0, 1),
        stat(CLASS, "topic_tag", "tcp", r#"[false,"m-x"]"#, 2, 0, 2),
        stat(CLASS, "response", &tcp2, syn, 3, 0, 2),
        stat(CLASS, "response", &tcp2, ack, 3, 0, 1),
        stat(CLASS, "response", &tcp2, fin, 1, 0, 1),
        stat(
            CLASS,
            "response_tag",
            &tcp2,
            &response_tag_key(syn, "m-x"),
            2,
            0,
            0,
        ),
        stat(
            CLASS,
            "response_tag",
            &tcp2,
            &response_tag_key(syn, "m-a"),
            1,
            0,
            0,
        ),
        stat(
            CLASS,
            "response_tag",
            &tcp2,
            &response_tag_key(syn, "m-z"),
            0,
            0,
            0,
        ),
        stat(
            CLASS,
            "response_tag",
            &tcp2,
            &response_tag_key(ack, "m-b"),
            1,
            0,
            0,
        ),
        // The other class's sums, which no figure of the first may include.
        stat(OTHER_CLASS, "version", "members", "", 99, 0, 0),
        stat(OTHER_CLASS, "members", "", "", 1, 0, 0),
        stat(OTHER_CLASS, "q", &tcp1, "", 50, 50, 1),
        stat(
            OTHER_CLASS,
            "widget",
            "handshake",
            r#"["s1",0,"flags"]"#,
            50,
            50,
            1,
        ),
    ];
    insert(
        db,
        "class_stat",
        "class_id, kind, scope, key, n, m, learners",
        stats,
    )
    .await;
    insert(
        db,
        "topic_question",
        "topic, question_id, bit",
        vec![
            vec![t("tcp"), t("tcp-q1"), i(0)],
            vec![t("tcp"), t("tcp-q2"), i(1)],
            vec![t("tcp"), t("tcp-q3"), i(2)],
            vec![t("icmp"), t("icmp-q1"), i(0)],
        ],
    )
    .await;
    // (score, user, answered_first, right_first): the members behind the "rank" sums.
    let ranks = [
        (0, 20, 0b011, 0b000),
        (0, 21, 0b001, 0b000),
        (0, 22, 0b111, 0b000),
        (0, 23, 0b011, 0b000),
        (0, 24, 0b001, 0b000),
        (1, 25, 0b011, 0b001),
        (1, 26, 0b111, 0b010),
        (1, 27, 0b011, 0b001),
        (1, 28, 0b001, 0b001),
        (2, 29, 0b011, 0b011),
        (2, 30, 0b111, 0b101),
    ];
    insert(
        db,
        "class_rank",
        "class_id, topic, score, user_id, answered_first, right_first",
        ranks
            .iter()
            .map(|(score, user, a, r)| vec![i(CLASS), t("tcp"), i(*score), i(*user), i(*a), i(*r)])
            .collect(),
    )
    .await;
    insert(
        db,
        "class_option_member",
        "class_id, scope, option, name, user_id",
        [
            (0, "Aki", 2),
            (0, "ben", 3),
            (0, "ゆい", 5),
            (0, "_under", 8),
            (2, "zed", 7),
        ]
        .iter()
        .map(|(option, name, user)| vec![i(CLASS), t(&tcp1), i(*option), t(name), i(*user)])
        .collect(),
    )
    .await;
    // (user, sort name, attempts, last attempt, mastered, miss day, miss counts)
    let today = today();
    let learners = [
        // One topic missed today and on each of the next five days (2 bits a day).
        (2, "aki", 2, Some(NOW - 300), 2, today, 0b0101_0101_0101),
        // Three topics missed on the days two and seven after the last attempt (today, in five days).
        (
            3,
            "ben",
            1,
            Some(NOW - 2 * DAY),
            0,
            today - 2,
            0b11 << 4 | 0b11 << 14,
        ),
        (4, "", 0, None, 0, 0, 0),
        (5, "ゆい", 1, Some(NOW - 10 * DAY), 5, today - 10, 0),
        (6, "émile", 0, None, 0, 0, 0),
        (7, "zed", 2, Some(NOW - 50), 0, today, 0),
        (8, "_under", 0, None, 0, 0, 0),
        (9, "old", 1, Some(NOW - 20 * DAY), 1, today - 20, 0b10),
    ];
    let mut rows: Vec<Vec<V>> = learners
        .iter()
        .map(|(user, name, attempts, last, mastered, day, misses)| {
            vec![
                i(CLASS),
                i(*user),
                t(name),
                i(*attempts),
                last.map_or(V::NullI, i),
                i(*mastered),
                i(*day),
                i(*misses),
            ]
        })
        .collect();
    rows.push(vec![
        i(OTHER_CLASS),
        i(10),
        t("outsider"),
        i(1),
        i(NOW - 100),
        i(1),
        i(today),
        i(3),
    ]);
    insert(
        db,
        "class_learner",
        "class_id, user_id, sort_name, attempts, last_at, mastered, miss_day, miss_counts",
        rows,
    )
    .await;
    // (user, topic, attempts, mastered)
    let topics = [
        (2, "tcp", 2, 2),
        (2, "icmp", 0, 0),
        (3, "tcp", 1, 0),
        (5, "icmp", 1, 2),
        (7, "tcp", 2, 0),
        (9, "icmp", 1, 1),
        (10, "tcp", 1, 1),
    ];
    insert(
        db,
        "learner_topic",
        "user_id, topic, attempts, last_at, last_attempt_id, mastered, score, answered_first, right_first, extra",
        topics
            .iter()
            .map(|(user, topic, attempts, mastered)| {
                vec![
                    i(*user),
                    t(topic),
                    i(*attempts),
                    i(NOW - 300),
                    i(1),
                    i(*mastered),
                    i(0),
                    i(0),
                    i(0),
                    t("{}"),
                ]
            })
            .collect(),
    )
    .await;
}

/// `items` in a stable order, as text: for results whose order the function leaves open.
fn sorted<T: std::fmt::Debug>(items: &[T]) -> Vec<String> {
    let mut shown: Vec<String> = items.iter().map(|x| format!("{x:?}")).collect();
    shown.sort();
    shown
}

/// Every function of `class_view` and `class_stats`, asked about the class; what each answered.
async fn answers(db: &Db) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    let mut see = |what: &str, value: String| seen.push((what.to_string(), value));

    let sums = class_view::sums(db, CLASS).await.unwrap();
    see(
        "sums",
        format!(
            "{} {:?} {:?} {:?}",
            sums.members,
            sorted(&sums.started.iter().collect::<Vec<_>>()),
            sorted(&sums.mastered.iter().collect::<Vec<_>>()),
            sums.days
        ),
    );
    see(
        "version",
        format!("{:?}", class_view::version(db, CLASS).await.unwrap()),
    );
    for class in [CLASS, OTHER_CLASS, 999] {
        see(
            &format!("members version {class}"),
            format!(
                "{:?}",
                class_view::members_version(db, class).await.unwrap()
            ),
        );
        see(
            &format!("member count {class}"),
            format!("{:?}", class_view::member_count(db, class).await.unwrap()),
        );
    }
    for now in [NOW, NOW + 3 * DAY, NOW + 30 * DAY] {
        see(
            &format!("next inactive {now}"),
            format!(
                "{:?}",
                class_view::next_inactive(db, CLASS, now, 7 * DAY)
                    .await
                    .unwrap()
            ),
        );
    }
    see(
        "activity",
        format!(
            "{:?}",
            sorted(&class_view::activity(db, CLASS).await.unwrap())
        ),
    );
    let widgets = ["handshake".to_string(), "forktree".to_string()];
    see(
        "widget steps",
        format!(
            "{:?}",
            class_view::widget_steps(db, CLASS, &widgets).await.unwrap()
        ),
    );
    see(
        "widget steps of none",
        format!(
            "{:?}",
            class_view::widget_steps(db, CLASS, &[]).await.unwrap()
        ),
    );
    let banks: [&[(&str, i64)]; 3] = [
        &[("tcp", 5), ("icmp", 5)],
        &[("tcp", 1), ("icmp", 5)],
        &[("tcp", 5)],
    ];
    for bank in banks {
        let bank: HashMap<String, i64> = bank.iter().map(|(s, n)| (s.to_string(), *n)).collect();
        see(
            &format!("capped {:?}", sorted(&bank.iter().collect::<Vec<_>>())),
            format!("{:?}", class_view::capped(db, &bank).await.unwrap()),
        );
    }
    for order in [Order::Name, Order::Mastery, Order::Activity] {
        for desc in [false, true] {
            for offset in [0, 3, 6] {
                let page = class_view::grid_page(db, CLASS, order, desc, offset, 3, QUESTIONS)
                    .await
                    .unwrap();
                let page: Vec<String> = page
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} {:?} {:?} {:?}",
                            r.user_id,
                            r.display_name,
                            r.name,
                            r.last_at,
                            sorted(&r.topics.iter().collect::<Vec<_>>())
                        )
                    })
                    .collect();
                see(
                    &format!("grid {order:?} desc {desc} from {offset}"),
                    format!("{page:?}"),
                );
            }
        }
    }
    let lowest = class_view::lowest(db, CLASS, QUESTIONS, 5).await.unwrap();
    see("lowest", format!("{lowest:?}"));
    see(
        "lowest, no questions",
        format!("{:?}", class_view::lowest(db, CLASS, 0, 2).await.unwrap()),
    );
    let ids: Vec<i64> = lowest.iter().map(|(u, _)| *u).collect();
    for (now, ids) in [(NOW, &ids[..]), (NOW + 5 * DAY, &[][..])] {
        let flagged =
            class_view::flagged(db, CLASS, now, infra_dojo::jst::day(now), QUESTIONS, ids)
                .await
                .unwrap();
        see(&format!("flagged {now}"), format!("{:?}", sorted(&flagged)));
    }
    let names = class_view::names(db, &[2, 3, 4, 999]).await.unwrap();
    see(
        "names",
        format!("{:?}", sorted(&names.iter().collect::<Vec<_>>())),
    );
    see(
        "names of none",
        format!("{:?}", class_view::names(db, &[]).await.unwrap()),
    );
    see(
        "breakdown tcp",
        format!(
            "{:#?}",
            class_view::breakdown(db, CLASS, "tcp", 2, 3).await.unwrap()
        ),
    );
    see(
        "breakdown icmp",
        format!(
            "{:?}",
            class_view::breakdown(db, CLASS, "icmp", 2, 3)
                .await
                .unwrap()
        ),
    );
    see(
        "breakdown in another class",
        format!(
            "{:?}",
            class_view::breakdown(db, OTHER_CLASS, "tcp", 2, 3)
                .await
                .unwrap()
        ),
    );

    see(
        "mastered",
        format!(
            "{:?}",
            sorted(&class_stats::mastered(db, CLASS).await.unwrap())
        ),
    );
    see(
        "started",
        format!(
            "{:?}",
            sorted(
                &class_stats::started(db, CLASS)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|mut s| {
                        s.topics.sort();
                        s
                    })
                    .collect::<Vec<_>>()
            )
        ),
    );
    see(
        "history activity",
        format!(
            "{:?}",
            sorted(&class_stats::activity(db, CLASS).await.unwrap())
        ),
    );
    let since = NOW - 14 * DAY;
    see(
        "recent misses",
        format!(
            "{:?}",
            sorted(
                &class_stats::recent_misses(db, CLASS, since, 1)
                    .await
                    .unwrap()
            )
        ),
    );
    see(
        "misses of",
        format!(
            "{:?}",
            sorted(
                &class_stats::misses_of(db, &[2, 3, 10], since, 1)
                    .await
                    .unwrap()
            )
        ),
    );
    see(
        "misses of none",
        format!(
            "{:?}",
            class_stats::misses_of(db, &[], since, 1).await.unwrap()
        ),
    );
    see(
        "per day",
        format!(
            "{:?}",
            class_stats::attempts_per_day(db, CLASS, NOW - 30 * DAY, 9 * 3600)
                .await
                .unwrap()
        ),
    );
    for since in [NOW - 660, NOW - 250, NOW + 1] {
        see(
            &format!("live questions {since}"),
            format!(
                "{:?}",
                sorted(&class_stats::live_questions(db, CLASS, since).await.unwrap())
            ),
        );
        see(
            &format!("live topics {since}"),
            format!(
                "{:?}",
                sorted(&class_stats::live_topics(db, CLASS, since).await.unwrap())
            ),
        );
    }
    see(
        "learner answers",
        format!("{:?}", class_stats::learner_answers(db, 2).await.unwrap()),
    );
    see(
        "topic resets",
        format!("{:?}", class_stats::topic_resets(db, 2).await.unwrap()),
    );
    seen
}

async fn both() -> (Db, Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::Sqlite(
        infra_dojo::db::open(&dir.path().join("class.db"))
            .await
            .unwrap(),
    );
    let postgres = Db::Postgres(
        infra_dojo::db::open_postgres(&fresh_database().await)
            .await
            .unwrap(),
    );
    fill(&sqlite).await;
    fill(&postgres).await;
    (sqlite, postgres, dir)
}

#[tokio::test]
async fn every_class_view_answers_the_same_on_both_backends() {
    let (sqlite, postgres, _dir) = both().await;
    let on_sqlite = answers(&sqlite).await;
    let on_postgres = answers(&postgres).await;
    assert_eq!(on_sqlite.len(), on_postgres.len());
    for ((what, lite), (_, pg)) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(
            lite, pg,
            "{what}: SQLite (left) and PostgreSQL (right) differ"
        );
    }
}

/// What the answers must be, on PostgreSQL: the comparison above would pass if both were wrong alike.
#[tokio::test]
async fn postgres_answers_are_the_class_s_figures() {
    let (_, db, _dir) = both().await;

    let sums = class_view::sums(&db, CLASS).await.unwrap();
    assert_eq!(sums.members, 8);
    assert_eq!(sums.started.get("tcp"), Some(&3));
    assert!(!sums.started.contains_key("dns"), "no learner started it");
    assert_eq!(sums.mastered.get("tcp"), Some(&2));
    assert_eq!(sums.days.get(&today()), Some(&5));
    assert_eq!(class_view::members_version(&db, CLASS).await.unwrap(), 7);
    assert_eq!(class_view::version(&db, CLASS).await.unwrap(), 12);
    assert_eq!(class_view::members_version(&db, 999).await.unwrap(), 0);
    // ben (two days ago) turns inactive after a week.
    assert_eq!(
        class_view::next_inactive(&db, CLASS, NOW, 7 * DAY)
            .await
            .unwrap(),
        Some(NOW - 2 * DAY + 7 * DAY)
    );

    // Names in byte order: "" (the guest), "_under", "aki", "ben", …, "émile", "ゆい".
    let by_name =
        |rows: Vec<class_view::PageRow>| rows.iter().map(|r| r.user_id).collect::<Vec<_>>();
    let all = class_view::grid_page(&db, CLASS, Order::Name, false, 0, 20, QUESTIONS)
        .await
        .unwrap();
    assert_eq!(by_name(all), [4, 8, 2, 3, 9, 7, 6, 5]);
    // Never active first when ascending (as SQLite and the history's sort), last when descending.
    let active = class_view::grid_page(&db, CLASS, Order::Activity, false, 0, 20, QUESTIONS)
        .await
        .unwrap();
    assert_eq!(by_name(active), [4, 8, 6, 9, 5, 3, 2, 7]);
    let active = class_view::grid_page(&db, CLASS, Order::Activity, true, 0, 20, QUESTIONS)
        .await
        .unwrap();
    assert_eq!(by_name(active), [7, 2, 3, 5, 9, 4, 8, 6]);
    let mastery = class_view::grid_page(&db, CLASS, Order::Mastery, true, 0, 2, QUESTIONS)
        .await
        .unwrap();
    assert_eq!(mastery[0].user_id, 5, "5 of 10 mastered");
    assert_eq!(mastery[1].topics.get("tcp"), Some(&(true, 2)));
    assert_eq!(mastery[1].topics.get("icmp"), Some(&(false, 0)));

    let lowest = class_view::lowest(&db, CLASS, QUESTIONS, 3).await.unwrap();
    assert_eq!(lowest, [(3, 0), (7, 0), (9, 10)]);
    let flagged = class_view::flagged(&db, CLASS, NOW, today(), QUESTIONS, &[3, 7])
        .await
        .unwrap();
    let reasons: HashMap<i64, (i64, i64, Option<i64>)> = flagged
        .iter()
        .map(|s| (s.user_id, (s.reasons, s.overall, s.last_at)))
        .collect();
    // ben: three topics missed (two named + "more") and among the lowest; aki: one missed topic;
    // never answered: inactive; old: inactive, and its misses are out of the window.
    assert_eq!(reasons[&3], (4, 0, Some(NOW - 2 * DAY)));
    assert_eq!(reasons[&2], (1, 20, Some(NOW - 300)));
    assert_eq!(reasons[&4], (1, 0, None));
    assert_eq!(reasons[&9], (1, 10, Some(NOW - 20 * DAY)));
    assert_eq!(reasons[&7], (1, 0, Some(NOW - 50)));
    assert_eq!(reasons[&5], (1, 50, Some(NOW - 10 * DAY)));
    assert_eq!(flagged.len(), 8, "{flagged:?}");
    let later = class_view::flagged(&db, CLASS, NOW + 5 * DAY, today() + 5, QUESTIONS, &[])
        .await
        .unwrap();
    let later: HashMap<i64, i64> = later.iter().map(|s| (s.user_id, s.reasons)).collect();
    // Five days on: aki's miss is still in the window, ben's three too and he is inactive now.
    assert_eq!((later[&2], later[&3], later.get(&7)), (1, 4, None));

    let b = class_view::breakdown(&db, CLASS, "tcp", 2, 3)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = b.stats.iter().map(|s| s.question_id.as_str()).collect();
    assert_eq!(
        ids,
        ["tcp-q1", "tcp-q2", "tcp-q3"],
        "tcp-extra's questions are not tcp's"
    );
    assert_eq!((b.stats[0].attempts, b.stats[0].correct), (10, 6));
    assert_eq!(
        (b.stats[0].first_answers, b.stats[0].first_correct),
        (11, 5)
    );
    assert_eq!(b.stats[0].ranked, 11);
    // Groups of 3 of 11. Upper: both of score 2 (29, 30) and the lowest user id of score 1 (25, read
    // alone); lower: the three highest user ids of score 0 (22-24: score 0 less the two lowest, read).
    let groups: Vec<_> = b
        .stats
        .iter()
        .map(|s| {
            (
                (s.upper_answers, s.upper_correct),
                (s.lower_answers, s.lower_correct),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [((3, 3), (3, 0)), ((3, 1), (2, 0)), ((1, 1), (1, 0))]
    );
    let listed: Vec<&str> = b.options[0]
        .learners
        .iter()
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(listed, ["Aki", "_under", "ben"], "byte order, three names");
    assert_eq!(b.options.len(), 2);
    let wrong: Vec<(&str, Option<&str>)> = b
        .wrong
        .iter()
        .map(|w| (w.response.as_str(), w.misconception.as_deref()))
        .collect();
    assert_eq!(
        wrong,
        [
            (r#"{"type":"text","value":"ack"}"#, Some("m-b")),
            (r#"{"type":"text","value":"syn"}"#, Some("m-x")),
        ]
    );
    assert_eq!(b.tags.len(), 3);

    let live = class_stats::live_topics(&db, CLASS, NOW - 660)
        .await
        .unwrap();
    // aki's two attempts, zed's one after joining; not zed's before, nor the outsider's.
    assert_eq!(live.len(), 1);
    assert_eq!(
        (
            live[0].learners,
            live[0].attempts,
            live[0].answers,
            live[0].correct
        ),
        (2, 3, 10, 6)
    );
    let questions = class_stats::live_questions(&db, CLASS, NOW - 660)
        .await
        .unwrap();
    let q1 = questions
        .iter()
        .find(|q| q.question_id == "tcp-q1")
        .unwrap();
    assert_eq!((q1.attempted, q1.correct), (2, 2));
    let q3 = questions
        .iter()
        .find(|q| q.question_id == "tcp-q3")
        .unwrap();
    assert_eq!((q3.attempted, q3.correct), (1, 1));

    let answers = class_stats::learner_answers(&db, 2).await.unwrap();
    assert_eq!(answers.len(), 8);
    assert!(answers[0].answer.correct && !answers[1].answer.correct);
    assert!(answers[0].answer.response.ends_with(r#"a1\u001f\u001e"}"#));
    let mastered = class_stats::mastered(&db, CLASS).await.unwrap();
    assert_eq!(
        sorted(&mastered),
        sorted(&[
            class_stats::Mastered {
                user_id: 2,
                topic: "tcp".into(),
                mastered: 2
            },
            class_stats::Mastered {
                user_id: 5,
                topic: "icmp".into(),
                mastered: 2
            },
        ])
    );
    let misses = class_stats::recent_misses(&db, CLASS, NOW - 14 * DAY, 1)
        .await
        .unwrap();
    assert_eq!(misses.len(), 1);
    assert_eq!(
        (misses[0].user_id, misses[0].answered, misses[0].wrong),
        (3, 3, 3)
    );
    let days = class_stats::attempts_per_day(&db, CLASS, NOW - 30 * DAY, 9 * 3600)
        .await
        .unwrap();
    assert_eq!(days.iter().map(|d| d.attempts).sum::<i64>(), 7);
}
