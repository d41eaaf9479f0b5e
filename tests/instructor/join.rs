//! The learner's side: joining by code or link and leaving; join codes cannot be guessed at speed.

use crate::common::{self};
use axum::http::StatusCode;

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
    let (misses,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select failures from throttle where kind = 'join-address' and key = '203.0.113.9'",
    )
    .fetch_one(pool)
    .await)
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
async fn what_the_instructor_sees_is_said_before_joining() {
    let app = crate::common::app().await;
    let teacher = app.instructor("teacher").await;
    let (_, code) = teacher.create_class("1年A組").await;
    let aki = app.learner("aki").await;
    // On /me, in no class yet: the form says it next to the code field, before any joining.
    let me = aki.get("/me").await;
    let notice = me.texts("form.join-form #join-notice").join("");
    assert!(
        notice.contains("講師") && notice.contains("見られる"),
        "{notice}"
    );
    assert_eq!(me.attrs("#join-code", "aria-describedby"), ["join-notice"]);
    // The join link's page says it above its button.
    let page = aki.get(&format!("/join/{code}")).await;
    assert!(
        page.texts("main p")
            .iter()
            .any(|p| p.contains("見られるようになります"))
    );
}
