//! Router tests for the instructor's view: a small fixed class built through the HTTP flows and
//! `record_attempt` with hand-chosen answers, and the numbers on the class page checked against values
//! worked out by hand (grid, overall mastery, sorting, "needs help", attempts per day, live counts); the
//! learner drill-down; class management (create, rename, new code, archive, members, remove) and the
//! learner's side (join by code or link, leave); bad input that changes nothing; and authorization on every
//! route: a visitor is sent to log in, a learner gets 403, another instructor 404, a missing CSRF token 403.

mod common;

use axum::http::StatusCode;
use common::{Account, Client, Reply, TestApp};
use infra_dojo::quiz::grade;
use infra_dojo::store;

const DAY: i64 = 86_400;
/// "11/26" for a unix time, in Japan time (as the page writes dates).
fn month_day(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix + 9 * 3600).unwrap();
    format!("{}/{}", u8::from(t.month()), t.day())
}

/// The fixed class: aki, ben, chie and dan, with hand-chosen attempts (see each line).
struct Fixture<'a> {
    teacher: Account<'a>,
    class_id: i64,
    aki: Account<'a>,
    now: i64,
}

async fn fixture(app: &TestApp) -> Fixture<'_> {
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
    let (a, b, d) = (aki.id, others[0], others[2]);
    assert_eq!(app.state.quizzes.topic("tcp").len(), 10);
    assert_eq!(app.state.quizzes.topic("icmp").len(), 10);
    assert_eq!(app.state.quizzes.topic("signals").len(), 10);
    // aki: TCP all right, then all right but the first two → 8 questions in box 3 → TCP 80%, overall 8/130 = 6%.
    app.answer_topic(a, "tcp", &[], now - 3 * DAY).await;
    app.answer_topic(a, "tcp", &[0, 1], now - DAY).await;
    // ben: TCP all right once (box 2: seen, not mastered → 0%); ICMP right twice → 100%; overall 10/130 = 7%
    // (rounded down). Last seen 8 days ago.
    app.answer_topic(b, "tcp", &[], now - 10 * DAY).await;
    app.answer_topic(b, "icmp", &[], now - 10 * DAY + 60).await;
    app.answer_topic(b, "icmp", &[], now - 8 * DAY).await;
    // dan: シグナル with 6 wrong a minute ago → 0% mastered, 6 misses at 40% accuracy.
    app.answer_topic(d, "signals", &[0, 1, 2, 3, 4, 5], now - 60)
        .await;
    // chie: nothing.
    Fixture {
        teacher,
        class_id,
        aki,
        now,
    }
}

/// The grid as (name, overall, last activity, cells) rows.
fn grid(page: &Reply) -> Vec<Vec<String>> {
    page.rows(".mastery-grid tbody tr")
}

fn column(page: &Reply, slug: &str) -> usize {
    let slugs = page.attrs(".mastery-grid thead a[data-topic]", "data-topic");
    3 + slugs.iter().position(|s| s == slug).unwrap()
}

#[tokio::test]
async fn the_grid_shows_the_numbers_worked_out_by_hand() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let page = f
        .teacher
        .get(&format!("/instructor/classes/{}", f.class_id))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let rows = grid(&page);
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        ["aki さん", "ben さん", "chie さん", "dan さん"],
        "sorted by name by default"
    );
    let (tcp, icmp, signals) = (
        column(&page, "tcp"),
        column(&page, "icmp"),
        column(&page, "signals"),
    );
    assert_eq!(rows[0].len(), 3 + app.state.course.topics.len());
    // aki
    assert_eq!(
        (
            rows[0][1].as_str(),
            rows[0][tcp].as_str(),
            rows[0][icmp].as_str()
        ),
        ("6%", "80%", "—")
    );
    assert_eq!(rows[0][2], "1 日前");
    // ben
    assert_eq!(
        (
            rows[1][1].as_str(),
            rows[1][tcp].as_str(),
            rows[1][icmp].as_str()
        ),
        ("7%", "0%", "100%")
    );
    // chie: nothing at all
    assert_eq!(rows[2][1], "0%");
    assert!(rows[2][3..].iter().all(|c| c == "—"), "{:?}", rows[2]);
    assert_eq!(rows[2][2], "—");
    // dan
    assert_eq!(
        (rows[3][1].as_str(), rows[3][signals].as_str()),
        ("0%", "0%")
    );
    // Colours: 80% is the top step, 100% too, a seen 0% the lowest, untouched its own class.
    let classes = page.attrs(".mastery-grid tbody tr:first-child td", "class");
    assert_eq!(classes[tcp - 1], "m4");
    assert_eq!(classes[icmp - 1], "none");
    assert_eq!(
        page.attrs(".mastery-grid tbody tr:nth-child(2) td", "class")[tcp - 1],
        "m0"
    );
    // Each topic header links to its analysis page.
    assert_eq!(
        page.attrs(".mastery-grid thead a[data-topic=tcp]", "href"),
        [format!("/instructor/classes/{}/topics/tcp", f.class_id)]
    );
    // Weakest topics, averaged over the members who started each: シグナル 0% (dan), TCP (80 + 0) / 2 = 40%
    // (aki, ben), ICMP 100% (ben). Topics nobody started are not listed.
    assert_eq!(
        page.texts(".weak-list li"),
        [
            "シグナル 平均習得率 0% 1 人が着手",
            "TCP 平均習得率 40% 2 人が着手",
            "ICMP 平均習得率 100% 1 人が着手"
        ]
    );
}

#[tokio::test]
async fn the_grid_sorts_by_name_mastery_and_activity_without_javascript() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let names = |page: &Reply| {
        grid(page)
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
    };
    let base = format!("/instructor/classes/{}", f.class_id);
    let cases = [
        (
            "?sort=name&dir=desc",
            ["dan さん", "chie さん", "ben さん", "aki さん"],
        ),
        // Ties (chie and dan at 0%) by name.
        (
            "?sort=mastery&dir=asc",
            ["chie さん", "dan さん", "aki さん", "ben さん"],
        ),
        (
            "?sort=mastery&dir=desc",
            ["ben さん", "aki さん", "chie さん", "dan さん"],
        ),
        (
            "?sort=activity&dir=desc",
            ["dan さん", "aki さん", "ben さん", "chie さん"],
        ),
        (
            "?sort=activity&dir=asc",
            ["chie さん", "ben さん", "aki さん", "dan さん"],
        ),
    ];
    for (query, expected) in cases {
        let page = f.teacher.get(&format!("{base}{query}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(names(&page), expected, "{query}");
    }
    // The header links: the current column flips its direction, the others start from their default.
    let page = f.teacher.get(&format!("{base}?sort=mastery&dir=asc")).await;
    assert_eq!(
        page.attrs("th a[data-sort=mastery]", "href"),
        [format!("{base}?sort=mastery&dir=desc#grid")]
    );
    assert_eq!(
        page.attrs("th a[data-sort=activity]", "href"),
        [format!("{base}?sort=activity&dir=desc#grid")]
    );
    assert_eq!(
        page.attrs("th a[data-sort=name]", "href"),
        [format!("{base}?sort=name&dir=asc#grid")]
    );
    assert_eq!(
        page.attrs("th[aria-sort=ascending] a", "data-sort"),
        ["mastery"]
    );
    // Bad values are a 400 in Japanese.
    for bad in ["?sort=age", "?dir=up"] {
        let reply = f.teacher.get(&format!("{base}{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(reply.body.contains("並べ替え"), "{bad}");
    }
}

#[tokio::test]
async fn needs_help_says_why_for_each_learner() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let page = f
        .teacher
        .get(&format!("/instructor/classes/{}", f.class_id))
        .await;
    let items = page.texts(".help-list > li");
    let find = |name: &str| {
        items
            .iter()
            .find(|i| i.starts_with(name))
            .cloned()
            .unwrap_or_default()
    };
    // chie never started; ben has been away 8 days; dan missed 6 of 10 on シグナル a minute ago.
    assert!(
        find("chie さん").contains("まだ一度もクイズを解いていません"),
        "{items:?}"
    );
    assert!(
        find("ben さん").contains("8 日間 活動がありません"),
        "{items:?}"
    );
    assert!(
        find("dan さん").contains("「シグナル」で直近 14 日に 6 問まちがえています（正答率 40%）"),
        "{items:?}"
    );
    // Of those who started, all three are under 50% overall and in the lowest five.
    for name in ["aki さん", "ben さん", "dan さん"] {
        assert!(find(name).contains("下位 5 人"), "{name}: {items:?}");
    }
    // aki missed only 2 on TCP: not "many misses"; and is active.
    assert!(!find("aki さん").contains("まちがえて"), "{items:?}");
    assert!(!find("aki さん").contains("活動がありません"), "{items:?}");
    // dan has two reasons and the lowest mastery: listed first.
    assert!(items[0].starts_with("dan さん"), "{items:?}");
}

#[tokio::test]
async fn attempts_per_day_are_counted_on_japan_days() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let page = f
        .teacher
        .get(&format!("/instructor/classes/{}", f.class_id))
        .await;
    let rows: Vec<(String, String)> = {
        let html = page.html();
        let tr = scraper::Selector::parse(".day-table tbody tr").unwrap();
        let td = scraper::Selector::parse("td").unwrap();
        html.select(&tr)
            .map(|r| {
                let cells: Vec<String> = r.select(&td).map(|c| c.text().collect()).collect();
                (cells[0].clone(), cells[1].clone())
            })
            .collect()
    };
    assert_eq!(rows.len(), 30);
    let on = |unix: i64| {
        rows.iter()
            .find(|r| r.0 == month_day(unix))
            .map(|r| r.1.clone())
            .unwrap()
    };
    assert_eq!(on(f.now - 60), "1", "dan today");
    assert_eq!(on(f.now - DAY), "1", "aki yesterday");
    assert_eq!(on(f.now - 3 * DAY), "1");
    assert_eq!(on(f.now - 8 * DAY), "1");
    // ben's two attempts ten days ago, a minute apart (or across midnight: then one each).
    let ten = if month_day(f.now - 10 * DAY) == month_day(f.now - 10 * DAY + 60) {
        "2"
    } else {
        "1"
    };
    assert_eq!(on(f.now - 10 * DAY), ten);
    let total: i64 = rows.iter().map(|r| r.1.parse::<i64>().unwrap()).sum();
    assert_eq!(total, 6);
    assert_eq!(
        page.texts(".day-chart rect.day-bar").len(),
        30,
        "one bar per day"
    );
    assert!(page.texts(".day-chart desc")[0].contains("合計 6 回"));
}

#[tokio::test]
async fn live_json_counts_before_and_after_a_member_submits() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let url = format!("/instructor/classes/{}/live.json", f.class_id);
    let before: serde_json::Value = serde_json::from_str(&f.teacher.get(&url).await.body).unwrap();
    let signals = app.state.quizzes.topic("signals");
    let q0 = |v: &serde_json::Value| {
        v["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["question_id"] == signals[0].id.as_str())
            .cloned()
    };
    // Only dan answered in the last 10 minutes: every シグナル question by one member, right on 4 of 10.
    assert_eq!(before["questions"].as_array().unwrap().len(), 10);
    assert_eq!(q0(&before).unwrap()["attempted"], 1);
    assert_eq!(q0(&before).unwrap()["correct"], 0);
    assert_eq!(before["topics"][0]["topic"], "signals");
    assert_eq!(before["topics"][0]["answers"], 10);
    assert_eq!(before["topics"][0]["correct"], 4);
    let server_time = before["server_time"].as_i64().unwrap();
    assert!((server_time - store::now()).abs() <= 2);
    // Nothing since now.
    let since_now: serde_json::Value = serde_json::from_str(
        &f.teacher
            .get(&format!("{url}?since={server_time}"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(since_now["questions"].as_array().unwrap().len(), 0);

    // aki takes the シグナル quiz through the site, all right.
    let page = f.aki.get("/topics/signals/quiz").await;
    let done = f
        .aki
        .post_pairs(
            "/topics/signals/quiz",
            &common::answer_quiz(&app, &page, &[]),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let after: serde_json::Value = serde_json::from_str(&f.teacher.get(&url).await.body).unwrap();
    assert_eq!(q0(&after).unwrap()["attempted"], 2);
    assert_eq!(q0(&after).unwrap()["correct"], 1);
    assert_eq!(after["topics"][0]["learners"], 2);
    assert_eq!(after["topics"][0]["attempts"], 2);
    assert_eq!(after["topics"][0]["correct"], 14);
    let since: serde_json::Value = serde_json::from_str(
        &f.teacher
            .get(&format!("{url}?since={server_time}"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(
        q0(&since).unwrap()["attempted"],
        1,
        "since counts only what came after"
    );
    assert_eq!(q0(&since).unwrap()["correct"], 1);

    // The panel on the page shows the same counts at load, with a reload link for readers without JS.
    let page = f
        .teacher
        .get(&format!("/instructor/classes/{}", f.class_id))
        .await;
    assert!(
        page.texts("[data-live-summary]")[0].contains("2 回の提出、20 問に解答"),
        "{:?}",
        page.texts("[data-live-summary]")
    );
    assert_eq!(page.texts("[data-live-questions] tr").len(), 10);
    assert_eq!(
        page.attrs("[data-live-reload]", "href"),
        [format!("/instructor/classes/{}#live", f.class_id)]
    );

    // Bad `since`: a 400 with a Japanese message, as JSON.
    for bad in ["abc", "99999999999", "1"] {
        let reply = f.teacher.get(&format!("{url}?since={bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(reply.body.contains("since"), "{}", reply.body);
    }
    // A member of another class does not count.
    let other = app.instructor("other").await;
    let (_, other_code) = other.create_class("別のクラス").await;
    let eve = app.learner("eve").await;
    eve.join_class(&other_code).await;
    app.answer_topic(eve.id, "signals", &[], store::now()).await;
    let again: serde_json::Value = serde_json::from_str(&f.teacher.get(&url).await.body).unwrap();
    assert_eq!(q0(&again).unwrap()["attempted"], 2);
}

#[tokio::test]
async fn the_drill_down_shows_every_answer_the_review_queue_and_the_trend() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let aki = app.user_id("aki").await;
    let url = format!("/instructor/classes/{}/learners/{aki}", f.class_id);
    let page = f.teacher.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("h1")[0], "aki さん aki");
    // Two attempts, newest first, each with its ten answers.
    let attempts = page.texts("details.attempt > summary");
    assert_eq!(attempts.len(), 2);
    assert!(attempts[0].contains("8 / 10"), "{attempts:?}");
    assert!(attempts[1].contains("10 / 10"), "{attempts:?}");
    assert_eq!(
        page.texts("details.attempt .answer-table tbody tr").len(),
        20
    );
    // The newest attempt's first two answers are wrong, shown with what was answered and the right answer.
    let tcp = app.state.quizzes.topic("tcp");
    let wrong_rows = page.texts("details.attempt:first-of-type .answer-table tr.is-wrong");
    assert_eq!(wrong_rows.len(), 2);
    for (i, row) in wrong_rows.iter().enumerate() {
        let g = grade::grade(&tcp[i], 42, &common::answer(&tcp[i], 42, false)).unwrap();
        assert!(row.contains("× 不正解"), "{row}");
        assert!(row.contains(&g.given), "{row} / {}", g.given);
        assert!(row.contains(&g.expected), "{row} / {}", g.expected);
        if let Some(tag) = &g.misconception {
            assert!(row.contains(tag.as_str()), "{row} / {tag}");
        }
    }
    assert!(
        page.texts("details.attempt:first-of-type .answer-table tr.is-correct")[0]
            .contains("○ 正解")
    );
    assert!(page.body.contains("1.0 秒"), "time spent per answer");
    // Review queue: the two missed TCP questions are due now.
    assert_eq!(page.texts(".due-table tbody tr").len(), 2);
    // Mastery per topic: TCP 8/10.
    let tcp_row = page
        .texts(".learner-topics tbody tr")
        .into_iter()
        .find(|r| r.starts_with("TCP"))
        .unwrap();
    assert!(
        tcp_row.contains("8 / 10") && tcp_row.contains("80%"),
        "{tcp_row}"
    );
    // Over time: TCP at 0% a week ago, 80% now (the last snapshot).
    let trend = page.texts(".trend-table tbody tr");
    assert_eq!(trend.len(), 1, "{trend:?}");
    assert!(
        trend[0].starts_with("TCP") && trend[0].ends_with("80%"),
        "{trend:?}"
    );
    assert_eq!(page.texts(".trend-chart circle.trend-dot").len(), 8);
}

#[tokio::test]
async fn a_drill_down_is_only_for_members_of_the_class() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let outsider = app.learner("outsider").await;
    drop(outsider);
    let id = app.user_id("outsider").await;
    for path in [
        format!("/instructor/classes/{}/learners/{id}", f.class_id),
        format!("/instructor/classes/{}/learners/abc", f.class_id),
        format!("/instructor/classes/{}/learners/999999", f.class_id),
    ] {
        assert_eq!(
            f.teacher.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let teacher_id = app.user_id("teacher").await;
    assert_eq!(
        f.teacher
            .get(&format!(
                "/instructor/classes/{}/learners/{teacher_id}",
                f.class_id
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn create_rename_regenerate_archive_and_restore() {
    let app = common::app().await;
    let t = app.instructor("teacher").await;
    // Bad names: 422, the form again with the message, nothing written.
    let csrf = t.csrf("/instructor").await;
    for bad in ["", "   ", "あ".repeat(61).as_str()] {
        let reply = t
            .post_form("/instructor/classes", &[("csrf", &csrf), ("name", bad)])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(reply.texts(".form-errors").len(), 1);
    }
    assert_eq!(app.count("class").await, 0);
    let (id, code) = t.create_class(&"あ".repeat(60)).await;
    assert_eq!(code.len(), 8);
    let list = t.get("/instructor").await;
    assert_eq!(list.texts(".class-list tbody th"), ["あ".repeat(60)]);
    assert_eq!(list.texts(".class-list .join-code").join(","), code);

    let page = t.get(&format!("/instructor/classes/{id}")).await;
    assert!(
        page.attrs("a", "href").contains(&format!("/join/{code}")),
        "the join link is shown"
    );
    let csrf = page.attrs("#settings input[name=csrf]", "value")[0].clone();

    // Rename: bad names change nothing.
    let rename = format!("/instructor/classes/{id}/rename");
    assert_eq!(
        t.post_form(&rename, &[("csrf", &csrf), ("name", " ")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        t.post_form(&rename, &[("csrf", &csrf), ("name", &"x".repeat(61))])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        store::classes::by_id(&app.state.db, id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "あ".repeat(60)
    );
    let reply = t
        .post_form(&rename, &[("csrf", &csrf), ("name", " 2年B組 ")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.get(&format!("/instructor/classes/{id}"))
            .await
            .texts("h1")[0],
        "2年B組"
    );

    // A new code: the old one stops working.
    let reply = t
        .post_form(
            &format!("/instructor/classes/{id}/code"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let new_code = store::classes::by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .join_code;
    assert_ne!(new_code, code);
    let l = app.learner("lena").await;
    assert_eq!(l.join_class(&code).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("class_member").await, 0);
    assert_eq!(
        l.join_class(&new_code.to_lowercase()).await.status,
        StatusCode::SEE_OTHER,
        "codes are case-insensitive"
    );
    assert_eq!(app.count("class_member").await, 1);

    // Archive: listed under 終了, the code refuses, the page still opens; restore undoes it.
    let reply = t
        .post_form(
            &format!("/instructor/classes/{id}/archive"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let list = t.get("/instructor").await;
    assert!(list.texts(".class-list tbody th").is_empty());
    assert_eq!(list.texts(".archived-list a"), ["2年B組"]);
    let m = app.learner("mika").await;
    let refused = m.join_class(&new_code).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(refused.body.contains("見つかりません"));
    assert_eq!(
        t.get(&format!("/instructor/classes/{id}")).await.status,
        StatusCode::OK
    );
    let reply = t
        .post_form(
            &format!("/instructor/classes/{id}/restore"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(m.join_class(&new_code).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("class_member").await, 2);
}

#[tokio::test]
async fn learners_join_by_code_or_link_and_leave() {
    let app = common::app().await;
    let t = app.instructor("teacher").await;
    let (id, code) = t.create_class("ゼミ").await;
    let l = app.learner("lena").await;

    // Unknown, empty and over-long codes: a Japanese message, nothing written.
    let unknown = l.join_class("ZZZZZZZZ").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown
            .body
            .contains("参加コード「ZZZZZZZZ」のクラスは見つかりません"),
        "{}",
        unknown.body
    );
    assert_eq!(l.join_class(" ").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        l.join_class(&"A".repeat(41)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("class_member").await, 0);
    // Without the CSRF token: 403, nothing written.
    assert_eq!(
        l.post_form("/me/classes/join", &[("code", &code)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("class_member").await, 0);

    // The join link: a visitor logs in first and comes back.
    let visitor = app.client();
    let reply = visitor.get(&format!("/join/{code}")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/login?next=/join/{code}")
    );
    // A learner sees the class and a button; the POST joins.
    let page = l.get(&format!("/join/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("h1"), ["クラス「ゼミ」"]);
    assert!(page.body.contains("teacher 先生"));
    let csrf = page.attrs("form input[name=csrf]", "value")[0].clone();
    assert_eq!(
        l.post_form(&format!("/join/{code}"), &[]).await.status,
        StatusCode::FORBIDDEN,
        "CSRF"
    );
    let joined = l
        .post_form(&format!("/join/{code}"), &[("csrf", &csrf)])
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    assert_eq!(joined.header("location"), Some("/me#classes"));
    assert!(
        l.get(&format!("/join/{code}"))
            .await
            .body
            .contains("すでに参加しています")
    );
    assert_eq!(l.get("/join/ZZZZZZZZ").await.status, StatusCode::NOT_FOUND);
    // Joining twice is harmless.
    assert_eq!(l.join_class(&code).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("class_member").await, 1);

    // /me lists the class with a leave button.
    let me = l.get("/me").await;
    assert_eq!(me.texts(".class-memberships li strong"), ["ゼミ"]);
    let leave = me.attrs(".leave-form", "action")[0].clone();
    assert_eq!(leave, format!("/me/classes/{id}/leave"));
    assert_eq!(
        l.post_form(&leave, &[]).await.status,
        StatusCode::FORBIDDEN,
        "CSRF"
    );
    let csrf = me.attrs(".leave-form input[name=csrf]", "value")[0].clone();
    let left = l.post_form(&leave, &[("csrf", &csrf)]).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("class_member").await, 0);
    assert!(l.get("/me").await.texts(".class-memberships li").is_empty());
    // Leaving again, or a class that does not exist: 404.
    assert_eq!(
        l.post_form(&leave, &[("csrf", &csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        l.post_form("/me/classes/abc/leave", &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // An instructor cannot join a class as a member.
    let other = app.instructor("other").await;
    let refused = other.join_class(&code).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("class_member").await, 0);
    // A visitor posting the form is sent to log in.
    let reply = app
        .client()
        .post_form("/me/classes/join", &[("code", &code)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        reply
            .header("location")
            .unwrap()
            .starts_with("/login?next=")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_codes_cannot_be_guessed_at_speed_and_the_right_code_still_works() {
    use infra_dojo::auth::throttle::{JOIN_ADDRESS, JOIN_USER};
    let app = common::app().await;
    let t = app.instructor("teacher").await;
    let (_, code) = t.create_class("ゼミ").await;
    let guesser = app.client_at("203.0.113.9");
    guesser.sign_up("mallory").await;

    // 40 guesses at once (before: 500 in 0.4 s, all looked up): only the free ones are looked up.
    let csrf = guesser.csrf("/me").await;
    let burst = (0..40)
        .map(|i| {
            guesser.form_request(
                "/me/classes/join",
                &[("csrf", &csrf), ("code", &format!("QQQQ{i:04}"))],
            )
        })
        .collect();
    let statuses = app.all_at_once(burst).await;
    let looked_up = statuses
        .iter()
        .filter(|s| **s == StatusCode::NOT_FOUND)
        .count() as i64;
    assert!(
        (JOIN_USER.free..=JOIN_USER.free + 1).contains(&looked_up),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::NOT_FOUND || *s == StatusCode::TOO_MANY_REQUESTS)
    );
    // Over the next hour the waits double: after 5 more misses, 32 s — even for the right code.
    for i in 0..5 {
        app.time_passes("join-user", 11 * 60 * 1000).await;
        assert_eq!(
            guesser.join_class(&format!("QQQR{i:04}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let refused = guesser.join_class(&code).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((16..=32).contains(&wait), "{wait}");
    assert!(
        refused.body.contains("参加コードの入力間違いが続いた"),
        "{}",
        refused.body
    );
    assert_eq!(app.count("class_member").await, 0);

    // The right code works for someone else, elsewhere or at the same address.
    for (name, ip) in [("nina", "198.51.100.3"), ("oscar", "203.0.113.9")] {
        let l = app.client_at(ip);
        assert_eq!(l.sign_up(name).await.status, StatusCode::SEE_OTHER);
        assert_eq!(
            l.join_class(&code).await.status,
            StatusCode::SEE_OTHER,
            "{name}"
        );
    }
    assert_eq!(app.count("class_member").await, 2);

    // Many accounts at one address share its lane: past the free misses (a class mistyping together),
    // each further one waits, doubling, up to a minute. The link (GET) is counted like the form.
    let (misses,): (i64,) = sqlx::query_as(
        "select failures from throttle where kind = 'join-address' and key = '203.0.113.9'",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    let mut made = 0;
    let mut misses = misses;
    while misses < JOIN_ADDRESS.free + 3 {
        let l = app.client_at("203.0.113.9");
        l.sign_up(&format!("sock{made}")).await;
        made += 1;
        for i in 0..JOIN_USER.free {
            if misses >= JOIN_ADDRESS.free + 3 {
                break;
            }
            if misses >= JOIN_ADDRESS.free {
                app.time_passes("join-address", 61 * 1000).await;
            }
            let reply = l.get(&format!("/join/WWWW{i:04}")).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{misses} {}",
                reply.body
            );
            misses += 1;
        }
    }
    let fresh = app.client_at("203.0.113.9");
    fresh.sign_up("newcomer").await;
    let slowed = fresh.join_class(&code).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = slowed.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=8).contains(&wait), "{wait}");
    assert!(slowed.body.contains("このネットワークからの参加コード"));
    // Elsewhere, nothing changed.
    let elsewhere = app.client_at("198.51.100.4");
    elsewhere.sign_up("pat").await;
    assert_eq!(
        elsewhere.join_class(&code).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn removing_a_member_takes_a_confirmation() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let ben = app.user_id("ben").await;
    let members = f
        .teacher
        .get(&format!("/instructor/classes/{}/members", f.class_id))
        .await;
    assert_eq!(
        members.texts(".member-list tbody th"),
        ["aki さん", "ben さん", "chie さん", "dan さん"]
    );
    let confirm_url = format!("/instructor/classes/{}/members/{ben}/remove", f.class_id);
    assert!(
        members
            .attrs(".member-list a", "href")
            .contains(&confirm_url)
    );
    let confirm = f.teacher.get(&confirm_url).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert_eq!(
        confirm.texts("h1"),
        ["「ben さん」をクラスから外しますか？"]
    );
    assert_eq!(
        app.count("class_member").await,
        4,
        "the confirmation page writes nothing"
    );
    let csrf = confirm.attrs("form input[name=csrf]", "value")[0].clone();
    assert_eq!(
        f.teacher.post_form(&confirm_url, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let done = f.teacher.post_form(&confirm_url, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("class_member").await, 3);
    assert_eq!(app.count("attempt").await, 6, "their attempts stay theirs");
    let page = f
        .teacher
        .get(&format!("/instructor/classes/{}", f.class_id))
        .await;
    assert_eq!(grid(&page).len(), 3);
    // Not a member any more: 404 for the confirmation, the removal and the drill-down.
    assert_eq!(
        f.teacher.get(&confirm_url).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.teacher
            .post_form(&confirm_url, &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.teacher
            .get(&format!(
                "/instructor/classes/{}/learners/{ben}",
                f.class_id
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Every route this file adds, as (method, path) for the fixture's class and a member.
fn routes(class_id: i64, member: i64) -> Vec<(&'static str, String)> {
    let c = format!("/instructor/classes/{class_id}");
    vec![
        ("GET", "/instructor".into()),
        ("POST", "/instructor/classes".into()),
        ("GET", c.clone()),
        ("GET", format!("{c}?sort=mastery&dir=desc")),
        ("POST", format!("{c}/rename")),
        ("POST", format!("{c}/code")),
        ("POST", format!("{c}/archive")),
        ("POST", format!("{c}/restore")),
        ("GET", format!("{c}/members")),
        ("GET", format!("{c}/members/{member}/remove")),
        ("POST", format!("{c}/members/{member}/remove")),
        ("GET", format!("{c}/live.json")),
        ("GET", format!("{c}/learners/{member}")),
    ]
}

async fn call(c: &Client<'_>, method: &str, path: &str, form: &[(&str, &str)]) -> Reply {
    if method == "GET" {
        c.get(path).await
    } else {
        c.post_form(path, form).await
    }
}

#[tokio::test]
async fn every_route_checks_who_is_asking() {
    let app = common::app().await;
    let f = fixture(&app).await;
    let member = app.user_id("ben").await;
    let learner_client = app.learner("lurker").await;
    let other = app.instructor("other").await;
    let visitor = app.client();
    let before = (app.count("class").await, app.count("class_member").await);
    let class = store::classes::by_id(&app.state.db, f.class_id)
        .await
        .unwrap()
        .unwrap();
    for (method, path) in routes(f.class_id, member) {
        let form = [("name", "乗っ取り")];
        // A visitor is sent to log in, and back here afterwards.
        let reply = call(&visitor, method, &path, &form).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "visitor {method} {path}"
        );
        let location = reply.header("location").unwrap().to_string();
        let encoded = path
            .replace('?', "%3F")
            .replace('=', "%3D")
            .replace('&', "%26");
        assert_eq!(
            location,
            format!("/login?next={encoded}"),
            "visitor {method} {path}"
        );
        // A learner: 403.
        let reply = call(&learner_client, method, &path, &form).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "learner {method} {path}"
        );
        // Another instructor: the class is not there (404); their own list and create form work.
        if path.starts_with("/instructor/classes/") {
            let csrf = other.csrf("/instructor").await;
            let reply = call(
                &other,
                method,
                &path,
                &[("csrf", &csrf), ("name", "乗っ取り")],
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "other instructor {method} {path}"
            );
        }
        // The owner without the CSRF token: 403 on every POST.
        if method == "POST" {
            let reply = f.teacher.post_form(&path, &form).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "no CSRF {method} {path}"
            );
        }
    }
    assert_eq!(
        (app.count("class").await, app.count("class_member").await),
        before,
        "nothing was written"
    );
    assert_eq!(
        store::classes::by_id(&app.state.db, f.class_id)
            .await
            .unwrap()
            .unwrap()
            .name,
        class.name
    );
    assert_eq!(
        store::classes::by_id(&app.state.db, f.class_id)
            .await
            .unwrap()
            .unwrap()
            .join_code,
        class.join_code
    );
    // Another instructor's list shows none of this class.
    assert!(!other.get("/instructor").await.body.contains("1年A組"));
    // Unknown and malformed class ids: 404 for the owner too.
    for path in [
        "/instructor/classes/999999",
        "/instructor/classes/abc",
        "/instructor/classes/999999/live.json",
    ] {
        assert_eq!(
            f.teacher.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn demo_seed_fills_a_class_and_is_idempotent() {
    let app = common::app().await;
    let options = infra_dojo::demo::Options {
        learners: 6,
        attempts: 8,
        ..Default::default()
    };
    let outcome = infra_dojo::demo::seed(
        &app.state.db,
        &app.state.course,
        &app.state.quizzes,
        &options,
    )
    .await
    .unwrap();
    let infra_dojo::demo::Outcome::Created {
        class_id,
        learners,
        attempts,
        answers,
        widget_answers,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!((learners, attempts), (6, 48));
    assert_eq!(app.count("attempt").await, 48);
    assert_eq!(app.count("answer").await, answers as i64);
    assert_eq!(app.count("widget_answer").await, widget_answers as i64);
    assert!(widget_answers > 0);
    // The stored answers agree with the grader and with the attempts' scores.
    let (mismatched,): (i64,) = sqlx::query_as(
        "select count(*) from attempt a where a.correct_count != (select count(*) from answer n where n.attempt_id = a.attempt_id and n.correct)",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    let tagged: (i64,) =
        sqlx::query_as("select count(*) from answer where misconception is not null")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert!(tagged.0 > 0, "wrong answers carry real misconception tags");
    // Progress matches what recording each attempt would have produced: every answered question has a row.
    let (without_progress,): (i64,) = sqlx::query_as(
        "select count(*) from (select distinct a.user_id, n.question_id from attempt a join answer n using (attempt_id)) x
         where not exists (select 1 from question_progress p where p.user_id = x.user_id and p.question_id = x.question_id)",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(without_progress, 0);
    // Again: nothing new.
    let again = infra_dojo::demo::seed(
        &app.state.db,
        &app.state.course,
        &app.state.quizzes,
        &options,
    )
    .await
    .unwrap();
    assert_eq!(again, infra_dojo::demo::Outcome::AlreadyThere { class_id });
    assert_eq!(app.count("attempt").await, 48);
    // The demo instructor can log in and open the class.
    let c = app.client();
    let reply = c.log_in("demo-teacher", "demo-password").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/instructor/classes/{class_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("h1"), ["デモクラス（デモデータ）"]);
    assert_eq!(grid(&page).len(), 6);
    assert_eq!(grid(&page)[0][0], "デモ受講者01");
}
