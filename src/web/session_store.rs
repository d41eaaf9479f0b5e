//! Where sessions are kept: tower-sessions' records in the `tower_sessions` table (made by
//! `tower_sessions_sqlx_store::SqliteStore::migrate`, whose hourly deletion of expired rows still runs),
//! each session's data written as JSON text — so the one statement that loads a session also says whether
//! the account it names still exists. A signed-in request then costs one round trip to SQLite to know who
//! is asking instead of two (each is a hand-off to one of sqlx's SQLite threads and back, which is what
//! signed-in pages and quiz submissions spent their time on: `bench/pages.sh`, `bench/quiz.sh`).
//!
//! What the load found is put into the record under [`ACCOUNT_EXISTS`] (never stored: [`Store::save`]
//! leaves it out), read by `web::visitor`. Rows written by the crate's own store (MessagePack, from
//! before) are still read, through it, without that key — the visitor then asks the database itself — and
//! are written as JSON at their next save.

use async_trait::async_trait;
use sqlx::SqlitePool;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

/// Set by [`Store::load`] on a session naming a user (under `user_key`): whether that account exists.
pub const ACCOUNT_EXISTS: &str = "account_exists";

/// The session store of the app (see the module doc).
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// The data key holding the signed-in user's id.
    user_key: &'static str,
    /// Reads rows it wrote (MessagePack).
    before: SqliteStore,
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl Store {
    /// A store whose sessions name their signed-in user's id under `user_key`.
    pub fn new(pool: SqlitePool, user_key: &'static str) -> Store {
        Store {
            before: SqliteStore::new(pool.clone()),
            pool,
            user_key,
        }
    }

    fn data_json(record: &Record) -> session_store::Result<String> {
        let json = if record.data.contains_key(ACCOUNT_EXISTS) {
            let mut data = record.data.clone();
            data.remove(ACCOUNT_EXISTS);
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
            let inserted = sqlx::query(
                "insert or abort into tower_sessions (id, data, expiry_date) values (?, ?, ?)",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(record.expiry_date)
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => return Ok(()),
                // An id already taken: another one, as the crate's store does.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query(
            "insert into tower_sessions (id, data, expiry_date) values (?, ?, ?)
             on conflict (id) do update set data = excluded.data, expiry_date = excluded.expiry_date",
        )
        .bind(record.id.to_string())
        .bind(Self::data_json(record)?)
        .bind(record.expiry_date)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        // The data (when it is JSON), whether the account it names exists (null: it names none), and
        // the expiry — in one statement.
        let row: Option<(Option<String>, Option<bool>, OffsetDateTime)> = sqlx::query_as(
            "select case when typeof(s.data) = 'text' then s.data end,
                    case when typeof(s.data) = 'text' and json_type(s.data, '$.' || ?3) = 'integer'
                         then exists (select 1 from app_user u
                                      where u.user_id = json_extract(s.data, '$.' || ?3)) end,
                    s.expiry_date
             from tower_sessions s where s.id = ?1 and s.expiry_date > ?2",
        )
        .bind(session_id.to_string())
        .bind(OffsetDateTime::now_utc())
        .bind(self.user_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some((data, exists, expiry_date)) = row else {
            return Ok(None);
        };
        let Some(data) = data else {
            return self.before.load(session_id).await;
        };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if let Some(exists) = exists {
            data.insert(ACCOUNT_EXISTS.into(), exists.into());
        }
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query("delete from tower_sessions where id = ?")
            .bind(session_id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
