//! A class's members: the list with each one's activity, and removing one (a confirmation page, then a
//! POST). A removed member's answers stay theirs; the class simply stops showing them.

use super::{class_href, display, learner_href, members_href, remove_href};
use crate::jst;
use crate::store::{self, class_stats};
use crate::web::error::Result;
use crate::web::extract::CsrfForm;
use crate::web::guards::{ClassMember, OwnedClass};
use crate::web::layout::Layout;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// A member on the members page.
pub struct MemberRow {
    pub href: String,
    pub display_name: String,
    pub name: String,
    pub joined: String,
    pub last_activity: String,
    pub attempts: i64,
    pub remove_href: String,
}

/// `GET /instructor/classes/{class_id}/members`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub class_name: String,
    pub class_href: String,
    pub members: Vec<MemberRow>,
}

/// `GET /instructor/classes/{class_id}/members`: who is in the class, with a way to remove each.
pub async fn members(
    owned: OwnedClass,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<Response> {
    let class_id = owned.class.class_id;
    let (list, activity) = tokio::try_join!(
        store::classes::members(&state.db, class_id),
        store::class_view::activity(&state.db, class_id)
    )?;
    let activity: HashMap<i64, class_stats::Activity> =
        activity.into_iter().map(|a| (a.user_id, a)).collect();
    let now = store::now();
    let members = list
        .into_iter()
        .map(|m| {
            let a = activity.get(&m.user_id);
            MemberRow {
                href: learner_href(class_id, m.user_id),
                display_name: display(&m.display_name, &m.name),
                remove_href: remove_href(class_id, m.user_id),
                joined: jst::date_time(m.joined_at),
                last_activity: a
                    .and_then(|a| a.last_at)
                    .map_or("—".into(), |t| super::date_ago(now, t)),
                attempts: a.map_or(0, |a| a.attempts),
                name: m.name,
            }
        })
        .collect();
    Ok(MembersPage {
        layout,
        class_name: owned.class.name,
        class_href: class_href(class_id),
        members,
    }
    .into_response())
}

/// The confirmation before removing a member.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/remove.html")]
pub struct RemovePage {
    pub layout: Layout,
    pub csrf: String,
    pub class_name: String,
    pub class_href: String,
    pub member_name: String,
    pub action: String,
    pub back_href: String,
}

/// `GET /instructor/classes/{class_id}/members/{user_id}/remove`: the confirmation step.
pub async fn remove_page(
    ClassMember { owned, member }: ClassMember,
    layout: Layout,
) -> Result<Response> {
    let class_id = owned.class.class_id;
    Ok(RemovePage {
        layout,
        csrf: owned.instructor.visitor.csrf_token().await?,
        class_name: owned.class.name,
        class_href: class_href(class_id),
        member_name: display(&member.display_name, &member.name),
        action: remove_href(class_id, member.user_id),
        back_href: members_href(class_id),
    }
    .into_response())
}

/// `POST /instructor/classes/{class_id}/members/{user_id}/remove`: removes the member.
pub async fn remove(
    ClassMember { owned, member }: ClassMember,
    State(state): State<AppState>,
    _: CsrfForm,
) -> Result<Response> {
    let class_id = owned.class.class_id;
    store::classes::leave(&state.db, class_id, member.user_id).await?;
    tracing::info!(
        user.id = owned.instructor.user.user_id,
        class.id = class_id,
        member.id = member.user_id,
        "member removed"
    );
    Ok(Redirect::to(&members_href(class_id)).into_response())
}
