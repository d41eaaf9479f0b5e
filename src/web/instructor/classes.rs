//! An instructor's classes: the list with a form to create one (`/instructor`), and a class's settings —
//! rename, a new join code (the old one stops working), archive (the class stays readable, its code
//! stops working) and restore.

use super::{class_href, display};
use crate::classroom::{self, NAME_MAX_CHARS, join_code};
use crate::jst;
use crate::store;
use crate::web::error::{AppError, Result};
use crate::web::extract::CsrfForm;
use crate::web::guards::{Instructor, OwnedClass};
use crate::web::layout::Layout;
use crate::web::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// A class name form (create, rename).
#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// A class in the instructor's list.
pub struct ClassRow {
    pub href: String,
    pub name: String,
    pub join_code: String,
    pub members: i64,
    pub created: String,
    pub archived: String,
}

/// `GET /instructor`.
#[derive(Template, WebTemplate)]
#[template(path = "instructor/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub csrf: String,
    pub instructor_name: String,
    pub active: Vec<ClassRow>,
    pub archived: Vec<ClassRow>,
    /// The name typed into the create form (kept after an error).
    pub name: String,
    pub error: Option<String>,
    pub name_max: usize,
}

async fn index_page(
    state: &AppState,
    instructor: &Instructor,
    layout: Layout,
    name: String,
    error: Option<String>,
) -> Result<IndexPage> {
    let (mut active, mut archived) = (Vec::new(), Vec::new());
    for c in store::classes::owned_with_counts(&state.db, instructor.user.user_id).await? {
        let row = ClassRow {
            href: class_href(c.class_id),
            name: c.name,
            join_code: c.join_code,
            members: c.members,
            created: jst::date_time(c.created_at),
            archived: c.archived_at.map(jst::date_time).unwrap_or_default(),
        };
        if c.archived_at.is_some() {
            archived.push(row)
        } else {
            active.push(row)
        }
    }
    Ok(IndexPage {
        layout,
        csrf: instructor.visitor.csrf_token().await?,
        instructor_name: display(
            &instructor.user.display_name,
            instructor.user.name.as_deref().unwrap_or_default(),
        ),
        active,
        archived,
        name,
        error,
        name_max: NAME_MAX_CHARS,
    })
}

/// `GET /instructor`: the instructor's classes and a form to create one.
pub async fn index(
    instructor: Instructor,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<Response> {
    Ok(index_page(&state, &instructor, layout, String::new(), None)
        .await?
        .into_response())
}

/// `POST /instructor/classes`: creates a class with a fresh join code, then shows it. A bad name shows
/// the list again with the message and what was typed (422).
pub async fn create(
    instructor: Instructor,
    State(state): State<AppState>,
    layout: Layout,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response> {
    let name = match classroom::class_name(&form.name) {
        Ok(name) => name,
        Err(e) => {
            let e = AppError::unprocessable(super::name_error(&e));
            let typed: String = form.name.chars().take(200).collect();
            let page = index_page(&state, &instructor, layout, typed, Some(e.to_string())).await?;
            return Ok((e.status(), page).into_response());
        }
    };
    let (db, owner) = (&state.db, instructor.user.user_id);
    let class_id = with_fresh_code(|code| {
        let name = &name;
        async move { store::classes::create(db, owner, name, &code, store::now()).await }
    })
    .await?;
    tracing::info!(
        user.id = instructor.user.user_id,
        class.id = class_id,
        "class created"
    );
    Ok(Redirect::to(&class_href(class_id)).into_response())
}

/// Runs `write` with a fresh join code, drawing again on the (astronomically rare) collision with an
/// existing code; five collisions in a row is an internal error.
async fn with_fresh_code<T, F, Fut>(mut write: F) -> Result<T>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, sqlx::Error>>,
{
    for _ in 0..5 {
        let code = join_code::generate().map_err(anyhow::Error::from)?;
        match write(code).await {
            Ok(value) => return Ok(value),
            Err(e) if store::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Other(anyhow::anyhow!(
        "no free join code after 5 tries"
    )))
}

/// The settings section of the overview, where each settings form comes back to.
fn settings_href(class_id: i64) -> String {
    format!("{}#settings", class_href(class_id))
}

/// `POST /instructor/classes/{class_id}/rename`.
pub async fn rename(
    owned: OwnedClass,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response> {
    let name = classroom::class_name(&form.name)
        .map_err(|e| AppError::unprocessable(super::name_error(&e)))?;
    store::classes::rename(&state.db, owned.class.class_id, &name).await?;
    Ok(Redirect::to(&settings_href(owned.class.class_id)).into_response())
}

/// `POST /instructor/classes/{class_id}/code`: a new join code; the old one stops working.
pub async fn regenerate_code(
    owned: OwnedClass,
    State(state): State<AppState>,
    _: CsrfForm,
) -> Result<Response> {
    let class_id = owned.class.class_id;
    let db = &state.db;
    with_fresh_code(|code| async move { store::classes::set_code(db, class_id, &code).await })
        .await?;
    Ok(Redirect::to(&settings_href(class_id)).into_response())
}

/// `POST /instructor/classes/{class_id}/archive`: the class stays readable; its code stops working.
pub async fn archive(
    owned: OwnedClass,
    State(state): State<AppState>,
    _: CsrfForm,
) -> Result<Response> {
    store::classes::archive(&state.db, owned.class.class_id, store::now()).await?;
    Ok(Redirect::to(&class_href(owned.class.class_id)).into_response())
}

/// `POST /instructor/classes/{class_id}/restore`: an archived class becomes active again.
pub async fn restore(
    owned: OwnedClass,
    State(state): State<AppState>,
    _: CsrfForm,
) -> Result<Response> {
    store::classes::restore(&state.db, owned.class.class_id).await?;
    Ok(Redirect::to(&class_href(owned.class.class_id)).into_response())
}
