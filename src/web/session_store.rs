//! Where sessions are kept: tower-sessions' records in the `tower_sessions` table — on SQLite made by
//! `tower_sessions_sqlx_store::SqliteStore::migrate`, on PostgreSQL by `migrations/postgres/` — each
//! session's data written as JSON text, so the one statement that loads a session also says whether the
//! account it names still exists. A signed-in request then costs one round trip to the database to know
//! who is asking instead of two (on SQLite each is a hand-off to one of sqlx's threads and back, which is
//! what signed-in pages and quiz submissions spent their time on: `bench/pages.sh`, `bench/quiz.sh`).
//! Both backends keep the same record: id, the data as JSON text, the expiry (SQLite: sqlx's text of the
//! time; PostgreSQL: `timestamptz`). Nothing about a session lives in the process, so any instance on
//! the same database reads a session another one made. [`Store`]'s `delete_expired` deletes the expired
//! rows on either.
//!
//! What the load found is put into the record under [`ACCOUNT_EXISTS`] (never stored: [`Store::save`]
//! leaves it out), read by `web::visitor`. Inside [`with_topic_mastery`] (the pages that show the course
//! navigation: the home page and the topic pages) the same statement also reads the signed-in learner's
//! mastery of each topic, put under [`TOPIC_MASTERY`]: such a page then costs one round trip in all. It
//! is read from the database on every such load, never kept between requests, so a learner sees what
//! their last submission or reset changed on the next page. Rows written by the crate's own SQLite store
//! (MessagePack, from before) are still read, through it, without that key — the visitor then asks the
//! database itself — and are written as JSON at their next save.

use crate::db::Db;
use crate::on;
use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

/// Set by [`Store::load`] on a session naming a user (under `user_key`): whether that account exists.
pub const ACCOUNT_EXISTS: &str = "account_exists";
/// Set by [`Store::load`] inside [`with_topic_mastery`] on a session naming a user: that learner's
/// `store::me::TopicMastery` rows.
pub const TOPIC_MASTERY: &str = "topic_mastery";
/// Keys [`Store::load`] adds to a record: answers of the load, never stored.
const LOADED_ONLY: [&str; 2] = [ACCOUNT_EXISTS, TOPIC_MASTERY];

tokio::task_local! {
    /// Present while a request whose page shows the learner's mastery per topic runs.
    static WANTS_TOPIC_MASTERY: ();
}

/// Runs `request` (a handler, with its extractors) so that a session loaded during it comes with the
/// learner's mastery per topic (see the module doc).
pub async fn with_topic_mastery<F: std::future::Future>(request: F) -> F::Output {
    WANTS_TOPIC_MASTERY.scope((), request).await
}

/// The load's statement: $1 the session id, $2 now, $3 the data key of the user id. Columns: the data
/// (when it is JSON), whether the account it names exists (null: it names none), the expiry, and with
/// `mastery` the learner's mastery per topic as JSON (null: no user). PostgreSQL's `data` is always JSON
/// text (its sessions never had the crate's MessagePack); a user id is a JSON integer in both.
fn load_statement(postgres: bool, mastery: bool) -> String {
    let (data, user, names_user) = if postgres {
        (
            "s.data",
            "(s.data::jsonb ->> $3::text)::bigint",
            "jsonb_typeof(s.data::jsonb -> $3::text) = 'number' \
             and (s.data::jsonb ->> $3::text) ~ '^-?[0-9]{1,18}$'",
        )
    } else {
        (
            "case when typeof(s.data) = 'text' then s.data end",
            "json_extract(s.data, '$.' || $3)",
            "typeof(s.data) = 'text' and json_type(s.data, '$.' || $3) = 'integer'",
        )
    };
    let mastery = if mastery {
        format!(
            "case when {names_user} then {} end",
            crate::store::me::topic_mastery_json(postgres, user)
        )
    } else if postgres {
        "null::text".to_string()
    } else {
        "null".to_string()
    };
    format!(
        "select {data},
                case when {names_user}
                     then exists (select 1 from app_user u where u.user_id = {user}) end,
                s.expiry_date,
                {mastery}
         from tower_sessions s where s.id = $1 and s.expiry_date > $2"
    )
}

/// [`load_statement`]s: `[backend is PostgreSQL][with mastery]`.
static LOAD: std::sync::LazyLock<[[String; 2]; 2]> = std::sync::LazyLock::new(|| {
    [false, true].map(|postgres| [false, true].map(|mastery| load_statement(postgres, mastery)))
});

/// What [`Store::load`]'s statement returns.
type Loaded = (Option<String>, Option<bool>, OffsetDateTime, Option<String>);

/// The session store of the app (see the module doc).
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// The data key holding the signed-in user's id.
    user_key: &'static str,
    /// Reads rows the crate's store wrote (MessagePack): SQLite only.
    before: Option<SqliteStore>,
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl Store {
    /// A store whose sessions name their signed-in user's id under `user_key`.
    pub fn new(db: Db, user_key: &'static str) -> Store {
        let before = match &db {
            Db::Sqlite(pool) => Some(SqliteStore::new(pool.clone())),
            Db::Postgres(_) => None,
        };
        Store {
            db,
            user_key,
            before,
        }
    }

    fn data_json(record: &Record) -> session_store::Result<String> {
        let json = if LOADED_ONLY.iter().any(|k| record.data.contains_key(*k)) {
            let mut data = record.data.clone();
            for key in LOADED_ONLY {
                data.remove(key);
            }
            serde_json::to_string(&data)
        } else {
            serde_json::to_string(&record.data)
        };
        json.map_err(|e| session_store::Error::Encode(e.to_string()))
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = Self::data_json(record)?;
        loop {
            let inserted = on!(&self.db, pool => {
                sqlx::query("insert into tower_sessions (id, data, expiry_date) values ($1, $2, $3)")
                    .bind(record.id.to_string())
                    .bind(&data)
                    .bind(record.expiry_date)
                    .execute(pool)
                    .await
                    .map(drop)
            });
            match inserted {
                Ok(()) => return Ok(()),
                // An id already taken: another one, as the crate's store does.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = Self::data_json(record)?;
        on!(&self.db, pool => {
            sqlx::query(
                "insert into tower_sessions (id, data, expiry_date) values ($1, $2, $3)
                 on conflict (id) do update set data = excluded.data, expiry_date = excluded.expiry_date",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(record.expiry_date)
            .execute(pool)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let mastery = WANTS_TOPIC_MASTERY.try_with(|_| ()).is_ok();
        let postgres = matches!(self.db, Db::Postgres(_));
        let statement = LOAD[usize::from(postgres)][usize::from(mastery)].as_str();
        let row: Option<Loaded> = on!(&self.db, pool => {
            sqlx::query_as(statement)
                .bind(session_id.to_string())
                .bind(OffsetDateTime::now_utc())
                .bind(self.user_key)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        let Some((data, exists, expiry_date, mastery)) = row else {
            return Ok(None);
        };
        let Some(data) = data else {
            return match &self.before {
                Some(before) => before.load(session_id).await,
                None => Ok(None),
            };
        };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if let Some(exists) = exists {
            data.insert(ACCOUNT_EXISTS.into(), exists.into());
        }
        if let Some(mastery) = mastery {
            let mastery: serde_json::Value = serde_json::from_str(&mastery)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
            data.insert(TOPIC_MASTERY.into(), mastery);
        }
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        on!(&self.db, pool => {
            sqlx::query("delete from tower_sessions where id = $1")
                .bind(session_id.to_string())
                .execute(pool)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    /// Deletes the sessions past their expiry. SQLite keeps the expiry as text (sqlx's encoding of
    /// `OffsetDateTime`, or the crate's from before): `datetime()` reads either, as the crate's own
    /// deletion did. PostgreSQL keeps a `timestamptz`.
    async fn delete_expired(&self) -> session_store::Result<()> {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query(
                "delete from tower_sessions where datetime(expiry_date) < datetime('now')",
            )
            .execute(pool)
            .await
            .map(drop),
            Db::Postgres(pool) => {
                sqlx::query("delete from tower_sessions where expiry_date < now()")
                    .execute(pool)
                    .await
                    .map(drop)
            }
        }
        .map_err(backend)?;
        Ok(())
    }
}
