//! The `search_entry` FTS5 table: rebuilt from the course at start, queried by MATCH (trigram) or, for
//! terms too short for trigrams, by LIKE.

use crate::content::SearchDoc;
use sqlx::SqlitePool;
use unicode_normalization::UnicodeNormalization;

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
