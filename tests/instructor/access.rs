//! Authorization on every route: a visitor is sent to log in, a learner gets 403, another instructor
//! 404, a missing CSRF token 403, and nothing is written.

use crate::common::{self, Client, Reply};
use crate::fixture;
use axum::http::StatusCode;
use infra_dojo::store;

/// Every route of `web/instructor/`, as (method, path) for the fixture's class and a member.
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
async fn an_instructor_lands_on_the_class_and_a_403_says_who_is_signed_in() {
    let app = common::app().await;
    let f = fixture(&app).await;
    // Logging in from the header (no page to go back to): the one class's dashboard.
    let again = app.client();
    let reply = again.log_in("teacher", common::PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.header("location"),
        Some(format!("/instructor/classes/{}", f.class_id).as_str())
    );
    // With a page to go back to, that page.
    let csrf = again.csrf("/login").await;
    let back = again
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "teacher"),
                ("password", common::PASSWORD),
                ("next", "/topics/tcp"),
            ],
        )
        .await;
    assert_eq!(back.header("location"), Some("/topics/tcp"));
    // Two classes: the list of them.
    f.teacher.create_class("2年B組").await;
    let reply = app.client().log_in("teacher", common::PASSWORD).await;
    assert_eq!(reply.header("location"), Some("/instructor"));
    // A learner still lands where they were going.
    let reply = app.client().log_in("aki", common::PASSWORD).await;
    assert_eq!(reply.header("location"), Some("/"));

    // A learner who opens an instructor page: 403, in their own frame (their name, no log-in links), in
    // their theme.
    let refused = app
        .request(
            axum::http::Request::get("/instructor")
                .header(
                    "cookie",
                    format!("{}; theme=dark", f.aki.cookie_header().unwrap()),
                )
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.texts(".account a"), ["aki さん のページ"]);
    assert_eq!(refused.attrs("html", "data-theme"), ["dark"]);
    // A visitor's 404 keeps the visitor's links.
    let missing = app.get("/topics/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.texts(".account a"), ["ログイン", "登録"]);
}
