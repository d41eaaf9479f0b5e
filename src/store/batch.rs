//! Multi-row statements of fixed shape, and [`Script`]: many of them sent to SQLite as one command.
//!
//! Every statement the attempt writer runs is a round trip to sqlx's SQLite thread and back — two thread
//! switches, which cost more than most of the statements (`perf` of `bench/quiz.sh` with learners in a
//! class: three quarters of that thread's samples were switching). A [`Script`] gathers the writes of a
//! batch and sends them as one multi-statement command: sqlx runs the statements in order on its thread
//! and binds the `?` of each from one argument list, continuing where the previous statement stopped.

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Sqlite, SqliteConnection};

/// Rows per multi-row statement. Each statement is written for exactly this many rows, the unused ones
/// bound as NULL and skipped, so it has one SQL text — prepared once, kept in sqlx's statement cache —
/// whatever the size of the batch; bigger inputs take several statements. (The first version sent the
/// rows as JSON through `json_each`: unpacking every row again cost about as much as the inserts.)
pub(crate) const ROWS: usize = 128;

/// `(?, …), …`: room for [`ROWS`] rows of `width` values.
pub(crate) fn values_list(width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row; ROWS].join(", ")
}

/// Binds one value.
pub(crate) fn bind<'q, T>(args: &mut SqliteArguments<'q>, value: T) -> Result<(), sqlx::Error>
where
    T: sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + 'q,
{
    args.add(value).map_err(sqlx::Error::Encode)
}

/// Binds one [`ROWS`]-row statement's values into `args`: `row` binds each item's `width` values, NULLs
/// fill the rest.
fn bind_rows<'q, T>(
    args: &mut SqliteArguments<'q>,
    items: &[T],
    width: usize,
    row: &mut impl FnMut(&mut SqliteArguments<'q>, &T) -> Result<(), sqlx::Error>,
) -> Result<(), sqlx::Error> {
    // Every value of the statement at once: grown by doubling instead, the arguments were copied over
    // and over (a fifth of the attempt writer's own time in `perf`, with learners in a class).
    args.reserve(ROWS * width, 0);
    for item in items {
        row(args, item)?;
    }
    for _ in 0..(ROWS - items.len()) * width {
        bind(args, None::<i64>)?;
    }
    Ok(())
}

/// The arguments for one [`ROWS`]-row statement (see [`Script::rows`] for the same, added to a script).
pub(crate) fn rows_args<'q, T>(
    items: &[T],
    width: usize,
    mut row: impl FnMut(&mut SqliteArguments<'q>, &T) -> Result<(), sqlx::Error>,
) -> Result<SqliteArguments<'q>, sqlx::Error> {
    let mut args = SqliteArguments::default();
    bind_rows(&mut args, items, width, &mut row)?;
    Ok(args)
}

/// Statements to run later, together, in one round trip ([`Script::run`]), inside the caller's
/// transaction. Statements that read what an earlier one writes must run after it: whoever reads in
/// between runs the script first.
#[derive(Default)]
pub(crate) struct Script<'q> {
    sql: String,
    args: SqliteArguments<'q>,
}

impl<'q> Script<'q> {
    /// Adds the [`ROWS`]-row statement `sql` once for every [`ROWS`] items (none for no items), `row`
    /// binding each item's `width` values.
    pub(crate) fn rows<T>(
        &mut self,
        sql: &str,
        items: &[T],
        width: usize,
        mut row: impl FnMut(&mut SqliteArguments<'q>, &T) -> Result<(), sqlx::Error>,
    ) -> Result<(), sqlx::Error> {
        for chunk in items.chunks(ROWS) {
            bind_rows(&mut self.args, chunk, width, &mut row)?;
            self.sql.push_str(sql);
            self.sql.push_str(";\n");
        }
        Ok(())
    }

    /// Runs the statements added so far, in order, in one command (nothing when there are none), and
    /// starts again empty. The command's text depends only on which statements were added and how many
    /// times, so the few texts a writer makes stay prepared in sqlx's statement cache ([`cached`]).
    pub(crate) async fn run(&mut self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        if self.sql.is_empty() {
            return Ok(());
        }
        let sql = std::mem::take(&mut self.sql);
        let args = std::mem::take(&mut self.args);
        sqlx::query_with(&sql, args)
            .persistent(cached(&sql))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Runs the statements like [`Script::run`], and returns the rows they gave, in statement order.
    pub(crate) async fn fetch_all(
        &mut self,
        conn: &mut SqliteConnection,
    ) -> Result<Vec<SqliteRow>, sqlx::Error> {
        let sql = std::mem::take(&mut self.sql);
        let args = std::mem::take(&mut self.args);
        sqlx::query_with(&sql, args)
            .persistent(cached(&sql))
            .fetch_all(conn)
            .await
    }

    /// Adds a statement of any shape, `args` binding its values in order.
    pub(crate) fn statement(
        &mut self,
        sql: &str,
        args: impl FnOnce(&mut SqliteArguments<'q>) -> Result<(), sqlx::Error>,
    ) -> Result<(), sqlx::Error> {
        args(&mut self.args)?;
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
        Ok(())
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
    use sqlx::Connection;

    /// The premise of [`Script`]: sqlx binds the `?` of a multi-statement command in order across its
    /// statements, and runs all of them.
    #[tokio::test]
    async fn a_script_binds_across_statements_and_runs_them_all() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("create table t (a integer, b text)")
            .execute(&mut conn)
            .await
            .unwrap();
        let insert = format!(
            "insert into t (a, b) select * from (values {}) where column1 is not null",
            values_list(2)
        );
        let first: Vec<(i64, String)> = (0..200).map(|i| (i, format!("x{i}"))).collect();
        let mut script = Script::default();
        script
            .rows(&insert, &first, 2, |args, (a, b)| {
                bind(args, *a)?;
                bind(args, b.clone())
            })
            .unwrap();
        script
            .rows(&insert, &[(1000i64, "last")], 2, |args, (a, b)| {
                bind(args, *a)?;
                bind(args, *b)
            })
            .unwrap();
        script.run(&mut conn).await.unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as("select a, b from t order by a")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 201);
        assert_eq!(rows[199], (199, "x199".to_string()));
        assert_eq!(rows[200], (1000, "last".to_string()));
        // Run, the script is empty: running it again does nothing.
        script.run(&mut conn).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("select count(*) from t")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 201);
    }
}
