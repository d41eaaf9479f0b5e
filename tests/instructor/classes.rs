//! Class management: create, rename, a new code, archive and restore; removing a member takes a
//! confirmation.

use crate::common::{self};
use crate::{fixture, grid};
use axum::http::StatusCode;
use infra_dojo::store;

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
