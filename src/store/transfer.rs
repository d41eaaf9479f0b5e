//! `infra-dojo migrate --from sqlite:PATH --to postgres://…`: copies a SQLite database into an empty
//! PostgreSQL one, so a school that started small keeps its history when it moves.
//!
//! Every table of [`TABLES`] goes through PostgreSQL's `COPY … FROM STDIN` (text format), in one
//! PostgreSQL transaction, read from one SQLite read transaction (one consistent snapshot even if a server
//! is still writing). Before committing, each table's row count is compared on both sides; any difference,
//! like any error, rolls the whole copy back, so the target is either complete or untouched. The identity
//! columns' sequences are moved past the copied ids, so rows made afterwards do not collide.

use futures_util::TryStreamExt;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Row, TypeInfo, ValueRef};
use std::fmt::Write as _;

/// The tables copied, parents before the tables whose foreign keys name them.
pub const TABLES: &[&str] = &[
    "app_user",
    "server_secret",
    "throttle",
    "class",
    "class_member",
    "attempt",
    "answer",
    "attempt_check",
    "question_progress",
    "topic_reset",
    "widget_answer",
    "topic_question",
    "learner_topic",
    "learner_question",
    "learner_recent",
    "class_learner",
    "class_rank",
    "class_stat",
    "class_option_member",
    "aggregate_state",
];

/// Tables both backends have that are not copied: sessions (after the move everyone signs in again;
/// SQLite's older rows are the session crate's MessagePack, which PostgreSQL's JSON column would not
/// take).
pub const NOT_COPIED: &[&str] = &["tower_sessions"];

/// One table copied: its name and its rows (the same on both sides, or the copy failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: &'static str,
    pub rows: i64,
}

/// Why a copy did not happen. Every message is Japanese and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(
        "移行先の PostgreSQL にはすでにデータがあります（表 {table} に行があります）。何も変更していません。空のデータベースを指定してください。"
    )]
    TargetNotEmpty { table: &'static str },
    #[error(
        "表 {table} の列がふたつのデータベースで一致しません（SQLite: {sqlite}、PostgreSQL: {postgres}）。同じ版の infra-dojo のマイグレーションか確かめてください。"
    )]
    Columns {
        table: &'static str,
        sqlite: String,
        postgres: String,
    },
    #[error(
        "表 {table} の行数が一致しません（SQLite {sqlite} 行、PostgreSQL {postgres} 行）。移行は取り消しました。"
    )]
    Count {
        table: &'static str,
        sqlite: i64,
        postgres: i64,
    },
    #[error(
        "表 {table} の列 {column} に、PostgreSQL の {expected} に入れられない値があります。移行は取り消しました。"
    )]
    Value {
        table: &'static str,
        column: String,
        expected: String,
    },
    #[error("データベースとのやりとりに失敗しました。移行は取り消しました。（{0}）")]
    Whole(sqlx::Error),
    #[error("表 {table} を写せませんでした。移行は取り消しました。（{source}）")]
    Database {
        table: &'static str,
        source: sqlx::Error,
    },
}

/// A column as PostgreSQL declares it: its name, and its type as `information_schema` names it.
struct Column {
    name: String,
    pg_type: String,
}

/// Copies every table of [`TABLES`] from `from` into `to`, which must be empty (its schema made by
/// `db::open_postgres`); returns each table's rows.
pub async fn sqlite_to_postgres(
    from: &SqlitePool,
    to: &PgPool,
) -> Result<Vec<Copied>, TransferError> {
    let whole = TransferError::Whole;
    let mut src = from.acquire().await.map_err(whole)?;
    // One snapshot of the source for every table and count: WAL readers see the database as of `begin`'s
    // first read, whatever a server writes meanwhile.
    sqlx::query("begin")
        .execute(&mut *src)
        .await
        .map_err(whole)?;
    let mut tx = to.begin().await.map_err(whole)?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let fail = |source| TransferError::Database { table, source };
        let taken: bool = sqlx::query_scalar(&format!("select exists (select 1 from {table})"))
            .fetch_one(&mut *tx)
            .await
            .map_err(fail)?;
        if taken {
            return Err(TransferError::TargetNotEmpty { table });
        }
        let columns = columns(table, &mut src, &mut tx).await?;
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let list = names.join(", ");
        let mut copy = tx
            .copy_in_raw(&format!("copy {table} ({list}) from stdin"))
            .await
            .map_err(fail)?;
        let select = format!("select {list} from {table}");
        let mut rows = sqlx::query(&select).fetch(&mut *src);
        let mut buffer = String::with_capacity(1 << 20);
        let mut sent: i64 = 0;
        while let Some(row) = rows.try_next().await.map_err(fail)? {
            encode_row(table, &columns, &row, &mut buffer)?;
            sent += 1;
            if buffer.len() >= 1 << 20 {
                copy.send(buffer.as_bytes()).await.map_err(fail)?;
                buffer.clear();
            }
        }
        drop(rows);
        if !buffer.is_empty() {
            copy.send(buffer.as_bytes()).await.map_err(fail)?;
        }
        copy.finish().await.map_err(fail)?;
        let sqlite: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&mut *src)
            .await
            .map_err(fail)?;
        let postgres: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(fail)?;
        if sqlite != postgres || sent != sqlite {
            return Err(TransferError::Count {
                table,
                sqlite,
                postgres,
            });
        }
        move_identity_past_copied_ids(table, &mut tx).await?;
        copied.push(Copied {
            table,
            rows: postgres,
        });
    }
    tx.commit().await.map_err(whole)?;
    sqlx::query("commit")
        .execute(&mut *src)
        .await
        .map_err(whole)?;
    Ok(copied)
}

/// The columns `table` has in PostgreSQL, in its order, after checking SQLite's table has the same ones.
async fn columns(
    table: &'static str,
    src: &mut sqlx::SqliteConnection,
    tx: &mut sqlx::PgConnection,
) -> Result<Vec<Column>, TransferError> {
    let fail = |source| TransferError::Database { table, source };
    let postgres: Vec<(String, String)> = sqlx::query_as(
        "select column_name::text, data_type::text from information_schema.columns
         where table_schema = current_schema() and table_name = $1 order by ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await
    .map_err(fail)?;
    let mut sqlite: Vec<String> = sqlx::query_scalar("select name from pragma_table_info(?)")
        .bind(table)
        .fetch_all(&mut *src)
        .await
        .map_err(fail)?;
    let mut names: Vec<String> = postgres.iter().map(|(name, _)| name.clone()).collect();
    sqlite.sort();
    names.sort();
    if sqlite != names {
        return Err(TransferError::Columns {
            table,
            sqlite: sqlite.join(", "),
            postgres: names.join(", "),
        });
    }
    Ok(postgres
        .into_iter()
        .map(|(name, pg_type)| Column { name, pg_type })
        .collect())
}

/// Appends one row in COPY's text format: tab-separated, `\N` for null, backslash escapes.
fn encode_row(
    table: &'static str,
    columns: &[Column],
    row: &sqlx::sqlite::SqliteRow,
    out: &mut String,
) -> Result<(), TransferError> {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        let fail = |source| TransferError::Database { table, source };
        let wrong = || TransferError::Value {
            table,
            column: column.name.clone(),
            expected: column.pg_type.clone(),
        };
        let raw = row.try_get_raw(column.name.as_str()).map_err(fail)?;
        if raw.is_null() {
            out.push_str("\\N");
            continue;
        }
        // SQLite types values, not columns: read each as what it is stored as.
        let stored = raw.type_info().name().to_string();
        drop(raw);
        match (stored.as_str(), column.pg_type.as_str()) {
            ("INTEGER", "bigint" | "integer" | "smallint") => {
                let v: i64 = row.try_get(column.name.as_str()).map_err(fail)?;
                write!(out, "{v}").expect("writing to a String");
            }
            ("INTEGER" | "REAL", "double precision" | "real") => {
                let v: f64 = row.try_get(column.name.as_str()).map_err(fail)?;
                if !v.is_finite() {
                    return Err(wrong());
                }
                write!(out, "{v}").expect("writing to a String");
            }
            ("TEXT", "text") => {
                let v: &str = row.try_get(column.name.as_str()).map_err(fail)?;
                if v.contains('\0') {
                    return Err(wrong());
                }
                escape_text(v, out);
            }
            ("BLOB" | "TEXT", "bytea") => {
                let v: &[u8] = row.try_get(column.name.as_str()).map_err(fail)?;
                // bytea's hex input `\x…`, its backslash doubled for COPY.
                out.push_str("\\\\x");
                for byte in v {
                    write!(out, "{byte:02x}").expect("writing to a String");
                }
            }
            _ => return Err(wrong()),
        }
    }
    out.push('\n');
    Ok(())
}

/// `text` escaped for COPY's text format.
fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Sets the sequence behind `table`'s identity column (if it has one) past the largest copied id: rows
/// inserted afterwards without an id must not take one the copy brought.
async fn move_identity_past_copied_ids(
    table: &'static str,
    tx: &mut sqlx::PgConnection,
) -> Result<(), TransferError> {
    let fail = |source| TransferError::Database { table, source };
    let identity: Option<String> = sqlx::query_scalar(
        "select column_name::text from information_schema.columns
         where table_schema = current_schema() and table_name = $1 and is_identity = 'YES'",
    )
    .bind(table)
    .fetch_optional(&mut *tx)
    .await
    .map_err(fail)?;
    if let Some(column) = identity {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence('{table}', '{column}'),
                           coalesce((select max({column}) from {table}), 0) + 1, false)"
        ))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape_text;

    #[test]
    fn copy_text_escapes_what_would_end_a_field_or_a_row() {
        let mut out = String::new();
        escape_text("a\tb\nc\\d\re 日本", &mut out);
        assert_eq!(out, "a\\tb\\nc\\\\d\\re 日本");
    }
}
