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

mod fixture;

use fixture::{CLASS, DAY, NOW, OTHER_CLASS, QUESTIONS, fill, fresh_database, today};
use infra_dojo::db::Db;
use infra_dojo::store::class_stats;
use infra_dojo::store::class_view::{self, Order};
use std::collections::HashMap;

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
        let day = infra_dojo::jst::day(now);
        let flagged = class_view::flagged(db, CLASS, now, day, QUESTIONS, ids, None)
            .await
            .unwrap();
        see(&format!("flagged {now}"), format!("{:?}", sorted(&flagged)));
        // Some members only, those without a reason among them included.
        let some = class_view::flagged(db, CLASS, now, day, QUESTIONS, ids, Some(&[2, 3, 6, 999]))
            .await
            .unwrap();
        see(
            &format!("flagged {now} of some"),
            format!("{:?}", sorted(&some)),
        );
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
    let flagged = class_view::flagged(&db, CLASS, NOW, today(), QUESTIONS, &[3, 7], None)
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
    // Of some members only: the same standings for those with a reason, nobody else.
    let some = class_view::flagged(
        &db,
        CLASS,
        NOW,
        today(),
        QUESTIONS,
        &[3, 7],
        Some(&[2, 3, 999]),
    )
    .await
    .unwrap();
    let some: Vec<_> = some
        .iter()
        .map(|s| (s.user_id, (s.reasons, s.overall, s.last_at)))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(some, [(2, reasons[&2]), (3, reasons[&3])]);
    let later = class_view::flagged(&db, CLASS, NOW + 5 * DAY, today() + 5, QUESTIONS, &[], None)
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
