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
