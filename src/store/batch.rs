//! Multi-row statements of fixed shape ([`Rows`]), and [`Script`]: many of them sent to SQLite as one
//! command, or to PostgreSQL one after another.
//!
//! Every statement the attempt writer runs is a round trip to sqlx's SQLite thread and back — two thread
//! switches, which cost more than most of the statements (`perf` of `bench/quiz.sh` with learners in a
//! class: three quarters of that thread's samples were switching). A [`Script`] gathers the writes of a
//! batch and sends them as one multi-statement command: sqlx runs the statements in order on its thread
//! and binds the `?` of each from one argument list, continuing where the previous statement stopped.
//! PostgreSQL takes no bound parameters in a multi-statement command: there the script's statements run
//! in turn, each with its own arguments, and the code that builds and reads them is the same.

use crate::db::Conn;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, Postgres, Sqlite, Type};
use std::sync::OnceLock;

/// Rows per multi-row statement. On SQLite each statement is written for exactly this many rows, the
/// unused ones bound as NULL and skipped, so it has one SQL text — prepared once, kept in sqlx's
/// statement cache — whatever the size of the batch; bigger inputs take several statements. (The first
/// version sent the rows as JSON through `json_each`: unpacking every row again cost about as much as the
/// inserts.) PostgreSQL types every parameter, and a NULL bound as an integer does not go in a text column
/// of a `values` list: there a statement has as many rows as it is given.
pub(crate) const ROWS: usize = 128;

/// `(?, …), …`: room for [`ROWS`] rows of `width` values.
pub(crate) fn values_list(width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row; ROWS].join(", ")
}

/// `($1, …), …`: `rows` rows of `width` numbered values, for PostgreSQL.
fn numbered_list(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 6);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// A multi-row statement: its text on each backend, with `{values}` where the list of rows goes.
pub(crate) struct Rows {
    width: usize,
    shape: Shape,
    /// The SQLite text, made once.
    sqlite_text: OnceLock<String>,
}

enum Shape {
    /// `insert into t (columns)`, the rows, then what follows them (`on conflict …`, `returning …`).
    Insert {
        head: &'static str,
        tail: &'static str,
    },
    /// Any other statement, its text on each backend.
    Text {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

impl Rows {
    /// A statement whose text differs between the backends beyond its rows.
    pub(crate) const fn new(width: usize, sqlite: &'static str, postgres: &'static str) -> Rows {
        Rows {
            width,
            shape: Shape::Text { sqlite, postgres },
            sqlite_text: OnceLock::new(),
        }
    }

    /// The same statement on both backends.
    pub(crate) const fn same(width: usize, text: &'static str) -> Rows {
        Rows::new(width, text, text)
    }

    /// An insert of rows: `head` (`insert into t (columns)`), the rows, then `tail` (`on conflict …`,
    /// `returning …`, or nothing). On SQLite the rows are all [`ROWS`], the unused (NULL) ones skipped by
    /// a `where`, which also keeps SQLite from reading a following `on conflict` as part of a join.
    pub(crate) const fn insert(width: usize, head: &'static str, tail: &'static str) -> Rows {
        Rows {
            width,
            shape: Shape::Insert { head, tail },
            sqlite_text: OnceLock::new(),
        }
    }

    /// The SQLite text, for [`ROWS`] rows.
    fn sqlite(&self) -> &str {
        self.sqlite_text.get_or_init(|| {
            let values = values_list(self.width);
            match self.shape {
                Shape::Insert { head, tail } => format!(
                    "{head}\n select * from (values {values}) where column1 is not null\n {tail}"
                ),
                Shape::Text { sqlite, .. } => sqlite.replace("{values}", &values),
            }
        })
    }

    /// The PostgreSQL text, for `rows` rows.
    fn postgres(&self, rows: usize) -> String {
        let values = numbered_list(rows, self.width);
        match self.shape {
            Shape::Insert { head, tail } => format!("{head} values {values} {tail}"),
            Shape::Text { postgres, .. } => postgres.replace("{values}", &values),
        }
    }
}

/// The values bound to one statement (SQLite: to a whole script), for either backend.
pub(crate) enum Args<'q> {
    Sqlite(SqliteArguments<'q>),
    Postgres(PgArguments),
}

/// Binds one value. (A boolean column is an integer on PostgreSQL too: bind `i64::from(b)`.)
pub(crate) fn bind<'q, T>(args: &mut Args<'q>, value: T) -> Result<(), sqlx::Error>
where
    T: sqlx::Encode<'q, Sqlite> + Type<Sqlite> + sqlx::Encode<'q, Postgres> + Type<Postgres> + 'q,
{
    match args {
        Args::Sqlite(args) => args.add(value),
        Args::Postgres(args) => args.add(value),
    }
    .map_err(sqlx::Error::Encode)
}

/// Binds one SQLite [`ROWS`]-row statement's values into `args`: `row` binds each item's `width` values,
/// NULLs fill the rest.
fn bind_rows<'q, T>(
    args: &mut Args<'q>,
    items: &[T],
    width: usize,
    row: &mut impl FnMut(&mut Args<'q>, &T) -> Result<(), sqlx::Error>,
) -> Result<(), sqlx::Error> {
    // Every value of the statement at once: grown by doubling instead, the arguments were copied over
    // and over (a fifth of the attempt writer's own time in `perf`, with learners in a class).
    if let Args::Sqlite(args) = args {
        args.reserve(ROWS * width, 0);
    }
    for item in items {
        row(args, item)?;
    }
    for _ in 0..(ROWS - items.len()) * width {
        bind(args, None::<i64>)?;
    }
    Ok(())
}

/// A row a [`Script`] gave back, from either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    /// The value of column `index`.
    pub(crate) fn get<T>(&self, index: usize) -> Result<T, sqlx::Error>
    where
        T: for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>
            + for<'r> Decode<'r, Postgres>
            + Type<Postgres>,
    {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(row) => row.try_get(index),
            Row::Postgres(row) => row.try_get(index),
        }
    }
}

/// Statements to run later, together, in one round trip on SQLite ([`Script::run`]), inside the caller's
/// transaction. Statements that read what an earlier one writes must run after it: whoever reads in
/// between runs the script first.
pub(crate) enum Script<'q> {
    /// One multi-statement command, its parameters plain `?` bound in order across it.
    Sqlite { sql: String, args: Args<'q> },
    /// Statements, each with its own `$1…` arguments, run in turn.
    Postgres(Vec<(String, Args<'q>)>),
}

fn wrong_backend() -> sqlx::Error {
    sqlx::Error::Protocol("a script made for one backend was run on the other".into())
}

impl<'q> Script<'q> {
    /// An empty script for the backend `conn` is on.
    pub(crate) fn new(conn: &Conn<'_>) -> Script<'q> {
        match conn {
            Conn::Sqlite(_) => Script::Sqlite {
                sql: String::new(),
                args: Args::Sqlite(SqliteArguments::default()),
            },
            Conn::Postgres(_) => Script::Postgres(Vec::new()),
        }
    }

    /// Whether nothing was added since the script was made or last run.
    fn is_empty(&self) -> bool {
        match self {
            Script::Sqlite { sql, .. } => sql.is_empty(),
            Script::Postgres(statements) => statements.is_empty(),
        }
    }

    /// Adds the multi-row statement `statement` once for every [`ROWS`] items (none for no items), `row`
    /// binding each item's values.
    pub(crate) fn rows<T>(
        &mut self,
        statement: &Rows,
        items: &[T],
        mut row: impl FnMut(&mut Args<'q>, &T) -> Result<(), sqlx::Error>,
    ) -> Result<(), sqlx::Error> {
        for chunk in items.chunks(ROWS) {
            match self {
                Script::Sqlite { sql, args } => {
                    bind_rows(args, chunk, statement.width, &mut row)?;
                    sql.push_str(statement.sqlite());
                    sql.push_str(";\n");
                }
                Script::Postgres(statements) => {
                    let mut args = Args::Postgres(PgArguments::default());
                    for item in chunk {
                        row(&mut args, item)?;
                    }
                    statements.push((statement.postgres(chunk.len()), args));
                }
            }
        }
        Ok(())
    }

    /// Adds a statement of any shape — `sqlite` with plain `?` (numbered ones would count from the start
    /// of the command), `postgres` with `$1…` — `args` binding its values in order.
    pub(crate) fn statement(
        &mut self,
        sqlite: &str,
        postgres: &str,
        bind_args: impl FnOnce(&mut Args<'q>) -> Result<(), sqlx::Error>,
    ) -> Result<(), sqlx::Error> {
        match self {
            Script::Sqlite { sql, args } => {
                bind_args(args)?;
                sql.push_str(sqlite);
                sql.push_str(";\n");
            }
            Script::Postgres(statements) => {
                let mut args = Args::Postgres(PgArguments::default());
                bind_args(&mut args)?;
                statements.push((postgres.to_string(), args));
            }
        }
        Ok(())
    }

    /// Takes what was added, leaving the script empty.
    fn take(&mut self) -> Script<'q> {
        let empty = match self {
            Script::Sqlite { .. } => Script::Sqlite {
                sql: String::new(),
                args: Args::Sqlite(SqliteArguments::default()),
            },
            Script::Postgres(_) => Script::Postgres(Vec::new()),
        };
        std::mem::replace(self, empty)
    }

    /// Runs the statements added so far, in order — on SQLite in one command — (nothing when there are
    /// none), and starts again empty. On SQLite, the command's text depends only on which statements were
    /// added and how many times, so the few texts a writer makes stay prepared in sqlx's statement cache
    /// ([`cached`]).
    pub(crate) async fn run(&mut self, conn: &mut Conn<'_>) -> Result<(), sqlx::Error> {
        if self.is_empty() {
            return Ok(());
        }
        match (self.take(), conn) {
            (
                Script::Sqlite {
                    sql,
                    args: Args::Sqlite(args),
                },
                Conn::Sqlite(c),
            ) => {
                sqlx::query_with(&sql, args)
                    .persistent(cached(&sql))
                    .execute(&mut **c)
                    .await?;
            }
            (Script::Postgres(statements), Conn::Postgres(c)) => {
                for (sql, args) in statements {
                    let Args::Postgres(args) = args else {
                        return Err(wrong_backend());
                    };
                    sqlx::query_with(&sql, args).execute(&mut **c).await?;
                }
            }
            _ => return Err(wrong_backend()),
        }
        Ok(())
    }

    /// Runs the statements like [`Script::run`], and returns the rows they gave, in statement order.
    pub(crate) async fn fetch_all(&mut self, conn: &mut Conn<'_>) -> Result<Vec<Row>, sqlx::Error> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        match (self.take(), conn) {
            (
                Script::Sqlite {
                    sql,
                    args: Args::Sqlite(args),
                },
                Conn::Sqlite(c),
            ) => Ok(sqlx::query_with(&sql, args)
                .persistent(cached(&sql))
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect()),
            (Script::Postgres(statements), Conn::Postgres(c)) => {
                let mut rows = Vec::new();
                for (sql, args) in statements {
                    let Args::Postgres(args) = args else {
                        return Err(wrong_backend());
                    };
                    let found = sqlx::query_with(&sql, args).fetch_all(&mut **c).await?;
                    rows.extend(found.into_iter().map(Row::Postgres));
                }
                Ok(rows)
            }
            _ => Err(wrong_backend()),
        }
    }
}

/// Whether a command is kept prepared in sqlx's statement cache (up to 100 per connection, each holding
/// every statement of its command compiled). A quiz batch's command (at most `quiz::MAX_BATCH` attempts:
/// well under 1 MiB of text) recurs and is worth keeping; `demo-seed`'s batches are each of a size of their
/// own, thousands of statements long, and kept prepared they took the seeder to 3.2 GB resident at 3,000
/// learners × 50 attempts (444 MB before `Script`), 111 s instead of ~40 at 10,000.
fn cached(sql: &str) -> bool {
    sql.len() <= 1 << 20
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, SqliteConnection};

    /// The premise of [`Script`]: sqlx binds the `?` of a multi-statement command in order across its
    /// statements, and runs all of them.
    #[tokio::test]
    async fn a_script_binds_across_statements_and_runs_them_all() {
        let mut sqlite = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("create table t (a integer, b text)")
            .execute(&mut sqlite)
            .await
            .unwrap();
        let mut conn = Conn::Sqlite(&mut sqlite);
        static INSERT: Rows = Rows::insert(2, "insert into t (a, b)", "");
        let first: Vec<(i64, String)> = (0..200).map(|i| (i, format!("x{i}"))).collect();
        let mut script = Script::new(&conn);
        script
            .rows(&INSERT, &first, |args, (a, b)| {
                bind(args, *a)?;
                bind(args, b.clone())
            })
            .unwrap();
        script
            .rows(&INSERT, &[(1000i64, "last")], |args, (a, b)| {
                bind(args, *a)?;
                bind(args, *b)
            })
            .unwrap();
        script.run(&mut conn).await.unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as("select a, b from t order by a")
            .fetch_all(&mut sqlite)
            .await
            .unwrap();
        assert_eq!(rows.len(), 201);
        assert_eq!(rows[199], (199, "x199".to_string()));
        assert_eq!(rows[200], (1000, "last".to_string()));
    }

    /// Run, a script is empty: running it again does nothing.
    #[tokio::test]
    async fn a_script_runs_once() {
        let mut sqlite = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let mut conn = Conn::Sqlite(&mut sqlite);
        let mut script = Script::new(&conn);
        script
            .statement("create table t (a integer)", "", |_| Ok(()))
            .unwrap();
        script
            .statement("insert into t values (?)", "", |args| bind(args, 7i64))
            .unwrap();
        script.run(&mut conn).await.unwrap();
        script.run(&mut conn).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("select count(*) from t")
            .fetch_one(&mut sqlite)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn postgres_rows_are_numbered_across_the_statement() {
        assert_eq!(numbered_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
        static UPSERT: Rows = Rows::insert(2, "insert into t (a, b)", "on conflict (a) do nothing");
        assert_eq!(
            UPSERT.postgres(1),
            "insert into t (a, b) values ($1, $2) on conflict (a) do nothing"
        );
        assert!(
            UPSERT
                .sqlite()
                .starts_with("insert into t (a, b)\n select * from (values (?, ?), (?, ?),")
        );
    }
}
