//! The search index: an FTS5 table in an in-memory SQLite database of this process's own, rebuilt from
//! the course at start (and at each `--watch` reload), queried by MATCH (trigram) or, for terms too short
//! for trigrams, by LIKE. It is derived from the content, never from user data, so it is kept out of the
//! application's database: every instance has its own, whichever backend holds the accounts (PostgreSQL
//! has no FTS5), and a start writes nothing to the database for it.

use crate::content::SearchDoc;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use unicode_normalization::UnicodeNormalization;

/// Opens an empty index: one connection to a private in-memory database, kept open for good (no idle
/// timeout, no maximum lifetime: the database lives as long as its connection). One connection, because
/// connections sharing an in-memory database lock each other's tables without SQLite's busy handler (a
/// search during a `--watch` rebuild would fail); here a search waits for the connection instead. A
/// search takes well under a millisecond.
pub async fn open_index() -> Result<SqlitePool, sqlx::Error> {
    let pool = SqlitePoolOptions::new()
        .min_connections(1)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(SqliteConnectOptions::new().in_memory(true))
        .await?;
    sqlx::query(
        "create virtual table search_entry using fts5(
             slug unindexed, anchor unindexed, kind unindexed, body, tokenize = 'trigram')",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

/// A matching entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub slug: String,
    pub anchor: String,
    pub kind: String,
    pub body: String,
}

/// Replaces the whole index with `docs`, in one transaction so a concurrent search sees old or new.
pub async fn rebuild(pool: &SqlitePool, docs: &[SearchDoc]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("delete from search_entry")
        .execute(&mut *tx)
        .await?;
    for doc in docs {
        let body: String = doc.text.nfkc().collect();
        sqlx::query("insert into search_entry (slug, anchor, kind, body) values (?, ?, ?, ?)")
            .bind(&doc.slug)
            .bind(&doc.anchor)
            .bind(doc.kind.as_str())
            .bind(body)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Entries containing every term, best first. Each term must be at least 3 characters (trigram).
pub async fn find_fts(
    pool: &SqlitePool,
    terms: &[String],
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    // Each term becomes a quoted FTS5 string, so operators and punctuation in the query are literal text.
    let expr = terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ");
    sqlx::query_as(
        "select slug, anchor, kind, body from search_entry where search_entry match ? order by bm25(search_entry) limit ?",
    )
    .bind(expr)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Entries containing every term, by scanning: for 1–2 character terms (親子, 経路) trigrams cannot match.
pub async fn find_like(
    pool: &SqlitePool,
    terms: &[String],
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    let mut sql = String::from("select slug, anchor, kind, body from search_entry where 1 = 1");
    for _ in terms {
        sql.push_str(" and body like ? escape '\\'");
    }
    sql.push_str(" order by rowid limit ?");
    let mut query = sqlx::query_as(&sql);
    for term in terms {
        let escaped = term
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.bind(format!("%{escaped}%"));
    }
    query.bind(limit).fetch_all(pool).await
}
