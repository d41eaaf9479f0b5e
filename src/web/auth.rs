//! Sign up, log in, log out. Every form carries the session's CSRF token; logins and sign-ups are
//! throttled (`auth::throttle`: growing waits per name and address, 429 with `Retry-After`), passwords are
//! hashed a few at a time (`auth::password::Hashing`, 503 when the queue is full), an unknown name and a
//! wrong password get the same message, and `next` only ever leads back into this site.

use crate::auth::{self, Role, password, throttle};
use crate::store;
use crate::web::chrome::{current, pick, pick_with};
use crate::web::error::{AppError, Result};
use crate::web::extract::CsrfForm;
use crate::web::layout::Layout;
use crate::web::state::AppState;
use crate::web::visitor::Visitor;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::convert::Infallible;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_page).post(signup))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// The client's address, for throttling ("unknown" in tests without a socket): the TCP peer, or — when
/// the peer is one of `--trusted-proxy` — the last address in its `X-Forwarded-For`, the one that proxy
/// saw (nginx's `$proxy_add_x_forwarded_for` appends it). Only the last: the entries before it are
/// whatever the client chose to send. Without the setting the header is ignored, since anyone could
/// write it.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress
where
    crate::web::state::Settings: axum::extract::FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddress("unknown".to_string()));
        };
        let settings = <crate::web::state::Settings as axum::extract::FromRef<S>>::from_ref(state);
        let ip = if settings.trusted_proxies.contains(&peer.ip()) {
            forwarded_for(&parts.headers).unwrap_or(peer.ip())
        } else {
            peer.ip()
        };
        Ok(ClientAddress(ip.to_string()))
    }
}

/// The last address of the last `X-Forwarded-For` header, if it is one.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// What the sign-up and log-in forms carry besides their own fields.
#[derive(Debug, Clone)]
pub struct AccountForm {
    pub csrf: String,
    /// Where to go afterwards (a path of this site, `auth::safe_next`).
    pub next: String,
    /// The visitor has answered questions as a guest: they will be kept.
    pub keeps_guest_work: bool,
}

impl AccountForm {
    async fn new(visitor: &Visitor, next: Option<&str>) -> Result<AccountForm> {
        Ok(AccountForm {
            csrf: visitor.csrf_token().await?,
            next: auth::safe_next(next),
            keeps_guest_work: visitor.guest_id().await?.is_some(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/signup.html")]
pub struct SignupPage {
    pub layout: Layout,
    pub form: AccountForm,
    pub name: String,
    pub display_name: String,
    pub errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub form: AccountForm,
    pub name: String,
    pub error: Option<String>,
}

async fn signup_page(
    layout: Layout,
    visitor: Visitor,
    Query(q): Query<NextParam>,
) -> Result<Response> {
    Ok(SignupPage {
        layout,
        form: AccountForm::new(&visitor, q.next.as_deref()).await?,
        name: String::new(),
        display_name: String::new(),
        errors: Vec::new(),
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn signup(
    State(state): State<AppState>,
    layout: Layout,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> Result<Response> {
    // The form shown again on an error.
    let again = AccountForm::new(&visitor, form.next.as_deref()).await?;
    let next = again.next.clone();
    let name = form.name.trim().to_string();
    let display_name = form.display_name.trim().to_string();
    let guest = visitor.guest_id().await?;
    let page = |errors: Vec<String>| SignupPage {
        layout: layout.clone(),
        form: again.clone(),
        name: name.clone(),
        display_name: display_name.clone(),
        errors,
    };
    // Checked before anything is hashed: an over-long password is refused here, at no cost.
    let errors = auth::signup_errors(&name, &display_name, &form.password, current());
    if !errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(errors)).into_response());
    }
    let taken = || {
        vec![
            pick(
                "このユーザー名はすでに使われています。別の名前にしてください。",
                "This user name is taken. Choose another.",
            )
            .to_string(),
        ]
    };
    // A taken name is told before hashing (the insert below still catches a race).
    if store::users::by_name(&state.db, &name).await?.is_some() {
        return Ok((StatusCode::CONFLICT, page(taken())).into_response());
    }
    let reservation = match throttle::reserve_signup(&state.db, &address).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            tracing::warn!(address = %address, wait_ms = wait.ms, "sign-up throttled");
            return Ok(retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                wait.secs(),
                page(vec![wait.message(current())]),
            ));
        }
    };
    let hash = match state.hashing.hash(form.password).await {
        Ok(hash) => hash,
        Err(password::HashingError::Busy(_)) => {
            reservation.release(&state.db).await?;
            tracing::warn!(address = %address, "sign-up refused: password hashing queue full");
            return Ok(retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                password::BUSY_RETRY_SECS,
                page(vec![busy()]),
            ));
        }
        Err(password::HashingError::Failed(e)) => return Err(e.into()),
    };
    let created = match guest {
        Some(guest_id) => {
            match store::users::upgrade_guest(&state.db, guest_id, &name, &display_name, &hash)
                .await
            {
                Ok(true) => Ok(guest_id),
                Ok(false) => {
                    store::users::create(
                        &state.db,
                        &name,
                        &display_name,
                        &hash,
                        Role::Learner,
                        store::now(),
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        }
        None => {
            store::users::create(
                &state.db,
                &name,
                &display_name,
                &hash,
                Role::Learner,
                store::now(),
            )
            .await
        }
    };
    let user_id = match created {
        Ok(id) => id,
        Err(e) if store::is_unique_violation(&e) => {
            // No account was made: the sign-up does not count.
            reservation.release(&state.db).await?;
            return Ok((StatusCode::CONFLICT, page(taken())).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    // The sign-up keeps its count (the lane counts accounts made), and its name is known here from now on.
    drop(reservation);
    throttle::signed_up(&state.db, &name, &address).await?;
    let user = store::users::by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    visitor.sign_in(&state, &user).await?;
    tracing::info!(user.id = user_id, "signed up");
    Ok(Redirect::to(&next).into_response())
}

async fn login_page(
    layout: Layout,
    visitor: Visitor,
    Query(q): Query<NextParam>,
) -> Result<Response> {
    Ok(LoginPage {
        layout,
        form: AccountForm::new(&visitor, q.next.as_deref()).await?,
        name: String::new(),
        error: None,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Where an instructor lands after logging in without a page to go back to: their class's dashboard
/// when they run one class, else the list of their classes.
async fn instructor_landing(state: &AppState, user_id: i64) -> Result<String> {
    let active: Vec<i64> = store::classes::owned_by(&state.db, user_id)
        .await?
        .into_iter()
        .filter(|c| c.archived_at.is_none())
        .map(|c| c.class_id)
        .collect();
    Ok(match active.as_slice() {
        [only] => format!("/instructor/classes/{only}"),
        _ => "/instructor".to_string(),
    })
}

async fn login(
    State(state): State<AppState>,
    layout: Layout,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response> {
    let again = AccountForm::new(&visitor, form.next.as_deref()).await?;
    let next = again.next.clone();
    let name: String = form.name.trim().chars().take(64).collect();
    let page = |error: String| LoginPage {
        layout: layout.clone(),
        form: again.clone(),
        name: name.clone(),
        error: Some(error),
    };
    // Sign-up refuses passwords over the limit, so a longer one is nobody's: say so, without hashing it
    // and without counting it as a guess. (Cutting it to the limit, as before, let a long password log in
    // by its first 200 characters.)
    if form.password.chars().count() > password::MAX_LEN {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(too_long())).into_response());
    }
    // Counted before the password is checked, in one write transaction: parallel guesses each see the
    // count the others left, so a burst gets no more checks than one guess after another.
    let reservation = match throttle::reserve_login(&state.db, &name, &address).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            tracing::warn!(address = %address, reason = ?wait.reason, wait_ms = wait.ms, "login throttled");
            return Ok(retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                wait.secs(),
                page(wait.message(current())),
            ));
        }
    };
    let user = store::users::by_name(&state.db, &name).await?;
    // An unknown name is checked against a dummy hash, so timing does not tell which names exist.
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = match state.hashing.verify(form.password, stored).await {
        Ok(ok) => ok,
        Err(password::Busy) => {
            // Nothing was checked: the attempt does not count.
            reservation.release(&state.db).await?;
            tracing::warn!(address = %address, "login refused: password hashing queue full");
            return Ok(retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                password::BUSY_RETRY_SECS,
                page(busy()),
            ));
        }
    };
    match user.filter(|_| ok) {
        Some(user) => {
            throttle::login_succeeded(&state.db, reservation, &name, &address).await?;
            visitor.sign_in(&state, &user).await?;
            tracing::info!(user.id = user.user_id, "logged in");
            let next = if user.is_instructor() && next == "/" {
                instructor_landing(&state, user.user_id).await?
            } else {
                next
            };
            Ok(Redirect::to(&next).into_response())
        }
        None => {
            // A wrong password keeps its count.
            drop(reservation);
            Ok((
                StatusCode::UNAUTHORIZED,
                page(
                    pick(
                        "ユーザー名またはパスワードが違います。",
                        "Wrong user name or password.",
                    )
                    .to_string(),
                ),
            )
                .into_response())
        }
    }
}

/// A page with its status and `Retry-After` (429 for too many attempts, 503 for a full hashing queue).
fn retry_later(status: StatusCode, secs: u64, page: impl IntoResponse) -> Response {
    (status, [(header::RETRY_AFTER, secs.to_string())], page).into_response()
}

/// The message for a password over [`password::MAX_LEN`] characters.
fn too_long() -> String {
    pick_with(
        || {
            format!(
                "パスワードが長すぎます。パスワードは {} 文字以内で入力してください。",
                password::MAX_LEN
            )
        },
        || {
            format!(
                "The password is too long: at most {} characters.",
                password::MAX_LEN
            )
        },
    )
}

/// The message for a full hashing queue.
fn busy() -> String {
    pick_with(
        || {
            format!(
                "ただいまログインと登録が混み合っています。{} 秒ほど待ってから、もう一度お試しください。",
                password::BUSY_RETRY_SECS
            )
        },
        || {
            format!(
                "Logins and sign-ups are busy right now. Please try again in about {} seconds.",
                password::BUSY_RETRY_SECS
            )
        },
    )
}

async fn logout(visitor: Visitor, _: CsrfForm) -> Result<Response> {
    visitor.sign_out().await?;
    Ok(Redirect::to("/").into_response())
}

/// The redirect to the login page that comes back to `back` (a path of this site) afterwards.
pub fn login_redirect(back: &str) -> Redirect {
    let encoded: String = back
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Redirect::to(&format!("/login?next={encoded}"))
}
