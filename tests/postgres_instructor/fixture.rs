//! The class both backends get, inserted row by row (`fill`), and the PostgreSQL database it goes in.

use infra_dojo::classroom::aggregates::{SEP, response_tag_key};
use infra_dojo::db::Db;
use infra_dojo::on;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A new, empty database in the throwaway cluster (`scripts/with-postgres`); its URL.
pub async fn fresh_database() -> String {
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

pub const NOW: i64 = 1_750_000_000;
pub const DAY: i64 = 86_400;
pub const CLASS: i64 = 1;
pub const OTHER_CLASS: i64 = 2;
/// Questions in the course, for mastery percentages.
pub const QUESTIONS: i64 = 10;

pub fn today() -> i64 {
    infra_dojo::jst::day(NOW)
}

/// A class's scope of one question.
fn q(topic: &str, question: &str) -> String {
    format!("{topic}{SEP}{question}")
}

/// The class: a teacher, eight members (one never answered, one inactive for weeks, one who joined a
/// moment ago), an outsider who answers too, and another class of the same teacher.
pub async fn fill(db: &Db) {
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
