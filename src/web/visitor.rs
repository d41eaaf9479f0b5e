//! Who is asking, for a request: the [`Visitor`] extractor — the session (read and written here only:
//! the session keys are below), the signed-in user or the guest whose answers this is, and the CSRF token —
//! and [`HeaderIdentity`] for the page header.
//!
//! Sessions live in SQLite (tower-sessions' sqlx store), so any instance can serve any request. The
//! session holds the signed-in user's id and name, or the id of the guest who owns an anonymous visitor's
//! answers — and is only created when there is something to keep, so reading or opening a form stores
//! nothing. The CSRF token every state-changing form must echo lives in a cookie of its own (the
//! double-submit pattern): HttpOnly, SameSite=Lax, `__Host-` and Secure behind HTTPS, renewed at sign-in
//! and sign-out.
//!
//! A session names its user by id, and the account may be gone (deleted on another device, or by an
//! administrator): the user row is looked up once per request that reads the session — by the statement
//! that loads the session (`web::session_store`) — and a session whose account no longer exists is
//! emptied and treated as signed out — never a 500 on a foreign key.
//! Deleting an account also ends every session signed in as it ([`end_sessions_of`]).

use crate::auth::{CSRF_COOKIE, constant_time_eq, cookie_name, is_token, random_token};
use crate::db::Db;
use crate::store;
use crate::web::error::AppError;
use crate::web::session_store::{ACCOUNT_EXISTS, Store, TOPIC_MASTERY};
use crate::web::state::AppState;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use tower_cookies::{Cookie, Cookies};
use tower_sessions::Session;
use tower_sessions::session::Id;
use tower_sessions::session_store::SessionStore;

pub const USER_ID: &str = "user_id";
const USER_NAME: &str = "user_name";
/// Set for instructors, so the header can link to their pages; every instructor route still checks the
/// role in the database.
const INSTRUCTOR: &str = "instructor";
const GUEST_ID: &str = "guest_id";

/// The signed-in user, as the session remembers them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub name: String,
}

/// The person making the request: their session, and who they are signed in as, if anyone.
pub struct Visitor {
    pub session: Session,
    pub signed_in: Option<SignedIn>,
    /// The request's cookies; what is added here is set on the response.
    cookies: Cookies,
    /// Cookies are Secure (served over HTTPS).
    secure: bool,
}

/// The session's signed-in user as checked against the database, kept in the request's extensions so the
/// header and the handler's [`Visitor`] look the account up once between them.
#[derive(Clone)]
struct CheckedUser(Option<SignedIn>);

/// The signed-in user the session names, if their account still exists. A session naming a deleted
/// account is flushed (its row deleted, its cookie cleared): from here on it is a visitor's.
async fn checked_user(
    parts: &mut Parts,
    session: &Session,
    db: &Db,
) -> Result<Option<SignedIn>, AppError> {
    if let Some(CheckedUser(user)) = parts.extensions.get::<CheckedUser>() {
        return Ok(user.clone());
    }
    let user_id: Option<i64> = session.get(USER_ID).await.map_err(session_error)?;
    // What the session store found when it loaded the session; asked here only for a session it could
    // not check (one stored before it, see `web::session_store`).
    let exists = match user_id {
        Some(user_id) => match session.get::<bool>(ACCOUNT_EXISTS).await {
            Ok(Some(exists)) => exists,
            _ => store::users::exists(db, user_id).await?,
        },
        None => false,
    };
    let user = match user_id {
        Some(user_id) if exists => {
            let name: Option<String> = session.get(USER_NAME).await.map_err(session_error)?;
            Some(SignedIn {
                user_id,
                name: name.unwrap_or_default(),
            })
        }
        Some(user_id) => {
            tracing::info!(
                user.id = user_id,
                "session of a deleted account: signed out"
            );
            session.flush().await.map_err(session_error)?;
            None
        }
        None => None,
    };
    parts.extensions.insert(CheckedUser(user.clone()));
    Ok(user)
}

impl<S> FromRequestParts<S> for Visitor
where
    S: Send + Sync,
    crate::web::state::Settings: FromRef<S>,
    Db: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| AppError::Other(anyhow::anyhow!("session layer missing: {msg}")))?;
        let cookies = parts.extensions.get::<Cookies>().cloned().ok_or_else(|| {
            AppError::Other(anyhow::anyhow!(
                "cookie layer missing (it comes with sessions)"
            ))
        })?;
        let secure = crate::web::state::Settings::from_ref(state).secure_cookies;
        let signed_in = checked_user(parts, &session, &Db::from_ref(state)).await?;
        Ok(Visitor {
            session,
            signed_in,
            cookies,
            secure,
        })
    }
}

/// What the page header shows about the visitor: the session's name and role flag, for an account that
/// still exists.
#[derive(Debug, Clone, Default)]
pub struct HeaderIdentity {
    /// The signed-in user's name.
    pub user_name: Option<String>,
    /// An instructor: the header links to their classes (their routes check the role in the database).
    pub instructor: bool,
}

impl HeaderIdentity {
    /// Reads the session's name and instructor flag; an unreadable session, or one whose account is
    /// gone, shows a visitor's header.
    pub async fn read(parts: &mut Parts, session: &Session, db: &Db) -> HeaderIdentity {
        let Ok(Some(user)) = checked_user(parts, session, db).await else {
            return HeaderIdentity::default();
        };
        HeaderIdentity {
            user_name: Some(user.name).filter(|n| !n.is_empty()),
            instructor: session
                .get::<bool>(INSTRUCTOR)
                .await
                .ok()
                .flatten()
                .unwrap_or(false),
        }
    }
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    AppError::Other(anyhow::anyhow!("session: {e}"))
}

impl Visitor {
    /// The CSRF token for forms on this page: the visitor's CSRF cookie, set now if they have none.
    /// No session is created for it.
    pub async fn csrf_token(&self) -> Result<String, AppError> {
        match self.cookies.get(&cookie_name(CSRF_COOKIE, self.secure)) {
            Some(cookie) if is_token(cookie.value()) => Ok(cookie.value().to_string()),
            _ => self.renew_csrf_token(),
        }
    }

    /// A new CSRF token in a new cookie: at sign-in and sign-out, so a token seen before no longer works.
    fn renew_csrf_token(&self) -> Result<String, AppError> {
        let token = random_token()?;
        let cookie = Cookie::build((cookie_name(CSRF_COOKIE, self.secure), token.clone()))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(tower_cookies::cookie::SameSite::Lax)
            .build();
        self.cookies.add(cookie);
        Ok(token)
    }

    /// Rejects a state-changing request whose token is not the one in this visitor's CSRF cookie. Another
    /// site can make the browser send the cookie, but cannot read it to put it in the form.
    pub async fn verify_csrf(&self, given: Option<&str>) -> Result<(), AppError> {
        let expected = self
            .cookies
            .get(&cookie_name(CSRF_COOKIE, self.secure))
            .map(|c| c.value().to_string())
            .filter(|v| is_token(v));
        match (expected, given) {
            (Some(expected), Some(given)) if constant_time_eq(expected.as_bytes(), given.as_bytes()) => Ok(()),
            _ => Err(AppError::Invalid {
                status: axum::http::StatusCode::FORBIDDEN,
                message: "フォームの有効期限が切れたか、別のページから送信されました。ページを再読み込みしてから、もう一度送信してください。".into(),
            }),
        }
    }

    /// The user whose answers this request records: the signed-in user, else this session's guest
    /// (created on first need).
    pub async fn owner_id(&self, state: &AppState) -> Result<i64, AppError> {
        if let Some(user) = &self.signed_in {
            return Ok(user.user_id);
        }
        if let Some(guest) = self.guest_id().await? {
            return Ok(guest);
        }
        let guest = store::users::create_guest(&state.db, store::now()).await?;
        self.session
            .insert(GUEST_ID, guest)
            .await
            .map_err(session_error)?;
        Ok(guest)
    }

    /// The signed-in learner's mastery per topic, as the session's load read it (inside
    /// `session_store::with_topic_mastery`), else from the database now.
    pub async fn topic_mastery(
        &self,
        state: &AppState,
    ) -> Result<Vec<store::me::TopicMastery>, AppError> {
        let Some(user) = &self.signed_in else {
            return Ok(Vec::new());
        };
        match self.session.get(TOPIC_MASTERY).await {
            Ok(Some(loaded)) => Ok(loaded),
            _ => Ok(store::me::topic_mastery(&state.db, user.user_id).await?),
        }
    }

    /// The guest owning this session's anonymous answers, if any.
    pub async fn guest_id(&self) -> Result<Option<i64>, AppError> {
        self.session.get(GUEST_ID).await.map_err(session_error)
    }

    /// Whose progress to show: the signed-in user, or the guest.
    pub async fn viewer_id(&self) -> Result<Option<i64>, AppError> {
        match &self.signed_in {
            Some(user) => Ok(Some(user.user_id)),
            None => self.guest_id().await,
        }
    }

    /// Signs in: a new session id (no fixation), the guest's answers merged into the account.
    pub async fn sign_in(
        &self,
        state: &AppState,
        user: &store::users::User,
    ) -> Result<(), AppError> {
        if let Some(guest) = self.guest_id().await? {
            store::users::merge_guest(&state.db, guest, user.user_id).await?;
        }
        self.session.cycle_id().await.map_err(session_error)?;
        self.session
            .remove::<i64>(GUEST_ID)
            .await
            .map_err(session_error)?;
        self.session
            .insert(USER_ID, user.user_id)
            .await
            .map_err(session_error)?;
        let name = if user.display_name.is_empty() {
            user.name.clone().unwrap_or_default()
        } else {
            user.display_name.clone()
        };
        self.session
            .insert(USER_NAME, name)
            .await
            .map_err(session_error)?;
        self.session
            .insert(INSTRUCTOR, user.is_instructor())
            .await
            .map_err(session_error)?;

        // A fresh token for the new identity.
        self.renew_csrf_token()?;
        Ok(())
    }

    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.session.flush().await.map_err(session_error)?;
        self.renew_csrf_token()?;
        Ok(())
    }
}

/// The ids of every stored session signed in as `user_id`, on any device. Sessions are records of the
/// session store, not rows of ours: the ones that could be signed in (their data names the user key) are
/// read back through the store itself, so this follows its encoding whatever it is. One read per
/// signed-in session of anyone: fine for deleting an account, too much for a page.
async fn sessions_of(state: &AppState, user_id: i64) -> Result<Vec<String>, AppError> {
    let sessions = Store::new(state.db.clone(), USER_ID);
    let mut ids = Vec::new();
    for id in store::account::session_ids_with_key(&state.db, USER_ID).await? {
        let Ok(parsed) = id.parse::<Id>() else {
            continue;
        };
        let record = sessions
            .load(&parsed)
            .await
            .map_err(|e| AppError::Other(anyhow::anyhow!("session store: {e}")))?;
        let named = record
            .and_then(|r| r.data.get(USER_ID).and_then(serde_json::Value::as_i64))
            .is_some_and(|id| id == user_id);
        if named {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Ends every session signed in as `user_id` (after the account is deleted: a session that a request in
/// flight saves again is still signed out by the account check above).
pub async fn end_sessions_of(state: &AppState, user_id: i64) -> Result<usize, AppError> {
    let ids = sessions_of(state, user_id).await?;
    store::account::delete_sessions(&state.db, &ids).await?;
    Ok(ids.len())
}
