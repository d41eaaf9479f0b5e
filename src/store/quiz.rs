//! Attempts, answers and progress. Recording an attempt is one transaction: the attempt, every answer, the
//! review state (mastery level and FSRS memory, `quiz::schedule`) of every question answered, and the
//! aggregates they change (`store::aggregates`) — or nothing. Credit is kept in hundredths of a question:
//! an answer's `credit` is 0–100 (percent of its point, `quiz::grade`), an attempt's `credit` the sum of
//! its answers', so its score in percent is `credit / question_count`; `correct` and `correct_count`
//! still count answers with full credit.

use super::batch::{ROWS, Rows, Script, bind};
use crate::db::{Conn, Db, Dedicated};
use crate::quiz::schedule;
use crate::{in_tx, on};
use std::collections::HashMap;
use std::sync::LazyLock;

/// An answer to store.
#[derive(Debug, Clone)]
pub struct NewAnswer {
    pub question_id: String,
    pub position: i64,
    /// The response as JSON.
    pub response: String,
    /// Full credit.
    pub correct: bool,
    /// Percent of the question's point earned (0–100): partial credit for several-answer and ordering
    /// questions.
    pub credit: i64,
    pub misconception: Option<String>,
    pub time_ms: i64,
}

/// What recording an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored now, with this id.
    New(i64),
    /// The form was submitted before: the attempt it stored then, and its owner.
    Duplicate { attempt_id: i64, user_id: i64 },
}

/// Stores an attempt with its answers and updates progress, in one transaction. A `token` already used
/// stores nothing and says which attempt has it.
#[allow(clippy::too_many_arguments)]
pub async fn record_attempt(
    db: &Db,
    token: &str,
    user_id: i64,
    topic: &str,
    seed: i64,
    duration_ms: i64,
    answers: &[NewAnswer],
    now: i64,
) -> Result<Recorded, sqlx::Error> {
    let attempt = NewAttempt {
        token: token.to_string(),
        user_id,
        topic: topic.to_string(),
        seed,
        duration_ms,
        answers: answers.to_vec(),
        now,
        review: false,
    };
    let mut tx = db.begin().await?;
    let recorded = write_attempts(&mut tx, &[&attempt]).await?[0];
    tx.commit().await?;
    Ok(recorded)
}

/// An attempt to store: the one way attempts are written, by the quiz page (through [`AttemptWriter`]),
/// the tests and the demo data.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub token: String,
    pub user_id: i64,
    pub topic: String,
    pub seed: i64,
    pub duration_ms: i64,
    pub answers: Vec<NewAnswer>,
    /// When it was submitted (seconds): the attempt's time and its answers' place in the schedule.
    pub now: i64,
    /// Answered in the review loop (one question of `/me/review`), not the topic's quiz: kept apart from
    /// the quiz's scores.
    pub review: bool,
}

static INSERT_ATTEMPTS: Rows = Rows::insert(
    10,
    "insert into attempt (token, user_id, topic, seed, question_count, correct_count, duration_ms, created_at, credit, kind)",
    "on conflict (token) do nothing returning token, attempt_id",
);
static STORED_TOKENS: Rows = Rows::same(
    1,
    "select token, attempt_id, user_id from attempt where token in (values {values})",
);
static INSERT_ANSWERS: Rows = Rows::insert(
    8,
    "insert into answer (attempt_id, question_id, position, response, correct, misconception, time_ms, credit)",
    "",
);
// One row carrying every state found: sqlx hands rows over one at a time, which cost more than the query.
static CURRENT_BOXES: Rows = Rows::new(
    2,
    "select json_group_array(json_array(p.user_id, p.question_id, p.box, p.stability, p.difficulty, p.last_at))
     from (values {values}) v
     join question_progress p on p.user_id = v.column1 and p.question_id = v.column2",
    "select coalesce(json_agg(json_build_array(p.user_id, p.question_id, p.box, p.stability, p.difficulty, p.last_at)), '[]')::text
     from (values {values}) v
     join question_progress p on p.user_id = v.column1 and p.question_id = v.column2",
);
static UPSERT_PROGRESS: Rows = Rows::insert(
    11,
    "insert into question_progress (user_id, question_id, topic, box, due_at, seen, correct, last_correct, last_at, stability, difficulty)",
    "on conflict (user_id, question_id) do update set box = excluded.box, due_at = excluded.due_at,
       seen = question_progress.seen + excluded.seen, correct = question_progress.correct + excluded.correct,
       last_correct = excluded.last_correct, last_at = excluded.last_at,
       stability = excluded.stability, difficulty = excluded.difficulty",
);

/// Writes attempts, in the order given, inside a transaction the caller owns: every attempt and answer,
/// and each question's level and FSRS state moved on answer by answer (so one learner answering the same question
/// twice in a batch climbs, or falls, twice). A token already used — before, or earlier in `attempts` —
/// writes nothing and gives [`Recorded::Duplicate`].
///
/// A batch costs a few multi-row statements (see [`ROWS`]), not a few statements per attempt, sent in two
/// round trips on SQLite (`batch::Script`): everything read, then everything written. On the one writer
/// connection, each round trip to SQLite's thread costs more than most statements (`bench/quiz.sh`). On
/// PostgreSQL the same statements run one after another, after the transaction has taken the lock every
/// writer of progress and aggregates takes (`aggregates::lock`): the states read here stay the states
/// written over, whichever instance's writer comes next.
pub async fn write_attempts<'c>(
    conn: impl Into<Conn<'c>>,
    attempts: &[&NewAttempt],
) -> Result<Vec<Recorded>, sqlx::Error> {
    let mut conn = conn.into();
    let conn = &mut conn;
    super::aggregates::lock(conn).await?;
    // The first attempt with a token is the one to insert; a repeat in the same batch is its duplicate.
    let mut first_with_token: HashMap<&str, usize> = HashMap::new();
    for (i, a) in attempts.iter().enumerate() {
        first_with_token.entry(a.token.as_str()).or_insert(i);
    }
    let fresh: Vec<&NewAttempt> = (0..attempts.len())
        .filter(|&i| first_with_token[attempts[i].token.as_str()] == i)
        .map(|i| attempts[i])
        .collect();

    // Each learner's question moves answer by answer, in answer order, from the state it is in now.
    let mut pairs: Vec<(i64, &str)> = fresh
        .iter()
        .flat_map(|a| {
            a.answers
                .iter()
                .map(|n| (a.user_id, n.question_id.as_str()))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();

    // One round trip for everything the batch reads: the attempts inserted (their ids), the questions'
    // current states, and what the aggregates start from (`aggregates::prefetch`). Rows come back in
    // statement order: the inserts' (token, id), then one row per states statement, then the prefetch's.
    let prefetch = super::aggregates::Prefetch::new(&fresh);
    let mut reads = Script::new(conn);
    reads.rows(&INSERT_ATTEMPTS, &fresh, |args, a| {
        bind(args, a.token.as_str())?;
        bind(args, a.user_id)?;
        bind(args, a.topic.as_str())?;
        bind(args, a.seed)?;
        bind(args, a.answers.len() as i64)?;
        bind(args, a.answers.iter().filter(|n| n.correct).count() as i64)?;
        bind(args, a.duration_ms)?;
        bind(args, a.now)?;
        bind(
            args,
            a.answers
                .iter()
                .map(|n| n.credit.clamp(0, 100))
                .sum::<i64>(),
        )?;
        bind(args, if a.review { "review" } else { "quiz" })
    })?;
    reads.rows(&CURRENT_BOXES, &pairs, |args, (user, question)| {
        bind(args, *user)?;
        bind(args, *question)
    })?;
    prefetch.add_to(&mut reads)?;
    let mut rows = reads.fetch_all(conn).await?;
    let prefetched = prefetch.read(rows.pop())?;
    let state_rows = pairs.len().div_ceil(ROWS);
    let states = rows.split_off(rows.len().saturating_sub(state_rows));
    // RETURNING gives no order: the ids come back keyed by their (unique) tokens.
    let mut inserted: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for row in rows {
        inserted.insert(row.get(0)?, row.get(1)?);
    }
    let mut boxes: HashMap<(i64, String), schedule::Progress> = HashMap::new();
    for row in states {
        let found: String = row.get(0)?;
        let found: Vec<(i64, String, i64, f64, f64, i64)> =
            serde_json::from_str(&found).map_err(|e| sqlx::Error::Decode(e.into()))?;
        boxes.extend(found.into_iter().map(
            |(user, question, box_number, stability, difficulty, last_at)| {
                let progress = schedule::Progress {
                    box_number,
                    // A row without a memory state (stability 0) is scheduled as new.
                    memory: (stability > 0.0).then_some(schedule::Memory {
                        stability,
                        difficulty,
                    }),
                    last_at,
                };
                ((user, question), progress)
            },
        ));
    }

    // Tokens stored before this batch: their attempts and owners.
    let old_tokens: Vec<&str> = fresh
        .iter()
        .map(|a| a.token.as_str())
        .filter(|t| !inserted.contains_key(*t))
        .collect();
    let mut stored_before: HashMap<String, (i64, i64)> = HashMap::new();
    let mut stored = Script::new(conn);
    stored.rows(&STORED_TOKENS, &old_tokens, |args, t| bind(args, *t))?;
    for row in stored.fetch_all(conn).await? {
        stored_before.insert(row.get(0)?, (row.get(1)?, row.get(2)?));
    }

    let mut recorded = Vec::with_capacity(attempts.len());
    let mut new_attempts = Vec::new();
    for (i, a) in attempts.iter().enumerate() {
        let first = first_with_token[a.token.as_str()];
        let outcome = match (inserted.get(&a.token), stored_before.get(&a.token)) {
            (Some(&id), _) if first == i => {
                new_attempts.push((id, *a));
                Recorded::New(id)
            }
            (Some(&id), _) => Recorded::Duplicate {
                attempt_id: id,
                user_id: attempts[first].user_id,
            },
            (None, Some(&(attempt_id, user_id))) => Recorded::Duplicate {
                attempt_id,
                user_id,
            },
            (None, None) => return Err(sqlx::Error::RowNotFound),
        };
        recorded.push(outcome);
    }

    // Everything the batch writes goes in one more round trip (`batch::Script`).
    let mut writes = Script::new(conn);
    let answers: Vec<(i64, &NewAnswer)> = new_attempts
        .iter()
        .flat_map(|(id, a)| a.answers.iter().map(move |n| (*id, n)))
        .collect();
    writes.rows(&INSERT_ANSWERS, &answers, |args, (id, n)| {
        bind(args, *id)?;
        bind(args, n.question_id.as_str())?;
        bind(args, n.position)?;
        bind(args, n.response.as_str())?;
        bind(args, i64::from(n.correct))?;
        bind(args, n.misconception.as_deref())?;
        bind(args, n.time_ms)?;
        bind(args, n.credit.clamp(0, 100))
    })?;

    /// What this batch does to one learner's question.
    struct Step<'a> {
        user_id: i64,
        question_id: &'a str,
        topic: &'a str,
        progress: Option<schedule::Progress>,
        due_at: i64,
        seen: i64,
        correct: i64,
        last_correct: bool,
        last_at: i64,
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut index: HashMap<(i64, &str), usize> = HashMap::new();
    for (_, a) in &new_attempts {
        for n in &a.answers {
            let k = *index
                .entry((a.user_id, n.question_id.as_str()))
                .or_insert_with(|| {
                    steps.push(Step {
                        user_id: a.user_id,
                        question_id: &n.question_id,
                        topic: &a.topic,
                        progress: boxes.get(&(a.user_id, n.question_id.clone())).copied(),
                        due_at: 0,
                        seen: 0,
                        correct: 0,
                        last_correct: false,
                        last_at: 0,
                    });
                    steps.len() - 1
                });
            let step = &mut steps[k];
            let scheduled = schedule::next(step.progress, n.credit, a.now);
            step.progress = Some(schedule::Progress {
                box_number: scheduled.box_number,
                memory: Some(scheduled.memory),
                last_at: a.now,
            });
            step.due_at = scheduled.due_at;
            step.seen += 1;
            step.correct += i64::from(n.correct);
            step.last_correct = n.correct;
            step.last_at = a.now;
        }
    }
    writes.rows(&UPSERT_PROGRESS, &steps, |args, s| {
        let memory = s.progress.and_then(|p| p.memory);
        bind(args, s.user_id)?;
        bind(args, s.question_id)?;
        bind(args, s.topic)?;
        bind(args, s.progress.map(|p| p.box_number))?;
        bind(args, s.due_at)?;
        bind(args, s.seen)?;
        bind(args, s.correct)?;
        bind(args, i64::from(s.last_correct))?;
        bind(args, s.last_at)?;
        bind(args, memory.map(|m| m.stability))?;
        bind(args, memory.map(|m| m.difficulty))
    })?;

    // The aggregates the instructor's views read, in the same transaction (`store::aggregates`).
    let mastered = |b: Option<i64>| b.is_some_and(|b| b >= schedule::MASTERED_BOX);
    let moves: Vec<super::aggregates::MasteryMove> = steps
        .iter()
        .filter_map(|s| {
            let was = mastered(
                boxes
                    .get(&(s.user_id, s.question_id.to_string()))
                    .map(|p| p.box_number),
            );
            let is = mastered(s.progress.map(|p| p.box_number));
            (was != is).then_some(super::aggregates::MasteryMove {
                user_id: s.user_id,
                topic: s.topic,
                change: if is { 1 } else { -1 },
            })
        })
        .collect();
    super::aggregates::record(conn, &mut writes, prefetched, &new_attempts, &moves).await?;
    writes.run(conn).await?;
    Ok(recorded)
}

// The submitter gets the database's own error, so it can tell a full disk from a bug.
type Job = (
    NewAttempt,
    tokio::sync::oneshot::Sender<Result<Recorded, sqlx::Error>>,
);

/// What the writer's queue carries: attempts, and at the end the request to stop.
enum Message {
    Attempt(Job),
    /// Write everything queued before this, refuse what comes after, close the connection, then say so.
    Close(tokio::sync::oneshot::Sender<()>),
}

/// The one writer of quiz attempts (of this instance): a thread that takes the attempts waiting in its
/// queue (up to [`MAX_BATCH`]) and commits them together — group commit. SQLite allows one writer at a
/// time anyway; batching turns many small WAL commits into one, and [`write_attempts`] writes a batch
/// with a handful of statements. On PostgreSQL every instance has its writer, and each batch's
/// transaction first takes one advisory lock (`aggregates::lock`): the batches of all instances are
/// written one after another, and a form submitted through two instances is stored once. Should a batch fail (say, one learner was deleted meanwhile), each attempt is written
/// again alone, so an attempt is stored whole or not at all and its submitter hears about its own.
///
/// The writer runs on a thread and runtime of its own. Each statement is a hop to SQLite's worker thread
/// and back; on the shared runtime, every hop waited behind the request handlers for a turn, and the
/// writer — which everybody waits for — spent more time queued than writing (20-second runs of
/// `examples/quiz_load.rs` with 64 clients: about 2,200 → 3,330 submissions/s from this change alone).
///
/// At shutdown, [`AttemptWriter::close`] writes what is still queued — attempts whose connection was cut
/// at the drain deadline included — and closes the connection, so no accepted attempt dies with the
/// process. With `--metrics-bind` it reports its batch sizes and the attempts it wrote (`web::metrics`).
#[derive(Clone)]
pub struct AttemptWriter {
    queue: tokio::sync::mpsc::Sender<Message>,
}

/// Most attempts committed together.
pub const MAX_BATCH: usize = 64;

impl AttemptWriter {
    /// Starts the writer thread on `conn`, its own connection (see `db::writer_for`).
    pub fn start(conn: impl Into<Dedicated>) -> std::io::Result<Self> {
        let mut conn = conn.into();
        let (queue, mut jobs) = tokio::sync::mpsc::channel::<Message>(4 * MAX_BATCH);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("attempt-writer".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut closed = None;
                    while let Some(first) = jobs.recv().await {
                        let mut batch = Vec::new();
                        let mut next = Some(first);
                        while let Some(message) = next.take() {
                            match message {
                                Message::Attempt(job) => batch.push(job),
                                // Nothing new gets in; what is queued still comes out of `recv`.
                                Message::Close(done) => {
                                    jobs.close();
                                    closed = Some(done);
                                }
                            }
                            if batch.len() < MAX_BATCH {
                                next = jobs.try_recv().ok();
                            }
                        }
                        if !batch.is_empty() {
                            write_and_reply(&mut conn, batch).await;
                        }
                    }
                    // The queue is closed and empty: every attempt sent before `close` is written.
                    if let Err(e) = conn.close().await {
                        tracing::warn!(error = %e, "attempt writer's connection did not close cleanly");
                    }
                    if let Some(done) = closed {
                        let _ = done.send(());
                    }
                });
            })?;
        Ok(AttemptWriter { queue })
    }

    /// Stores one attempt (with the others waiting at the same moment) and says how it went.
    pub async fn record(&self, attempt: NewAttempt) -> Result<Recorded, anyhow::Error> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send(Message::Attempt((attempt, reply)))
            .await
            .map_err(|_| anyhow::anyhow!("attempt writer stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("attempt writer stopped"))?
            .map_err(anyhow::Error::from)
    }

    /// Attempts waiting in the queue now (not counting the batch being written).
    pub fn queue_depth(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Writes every attempt queued so far, refuses later ones ("attempt writer stopped"), closes the
    /// writer's connection and returns when all that is done. For shutdown, after the server drained.
    pub async fn close(&self) {
        let (done, closed) = tokio::sync::oneshot::channel();
        if self.queue.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

/// Writes a batch and tells each submitter how its attempt went.
async fn write_and_reply(conn: &mut Dedicated, batch: Vec<Job>) {
    let attempts: Vec<&NewAttempt> = batch.iter().map(|(a, _)| a).collect();
    let results = write_batch(conn, &attempts).await;
    // A resubmitted form (`Duplicate`) wrote nothing.
    let written = results
        .iter()
        .filter(|r| matches!(r, Ok(Recorded::New(_))))
        .count();
    // No-ops unless `--metrics-bind` installed a recorder.
    metrics::histogram!("quiz_writer_batch_size").record(batch.len() as f64);
    metrics::counter!("quiz_attempts_written_total").increment(written as u64);
    for ((_, reply), result) in batch.into_iter().zip(results) {
        // The submitter may have gone away (client disconnected): nothing to tell.
        let _ = reply.send(result);
    }
}

/// The batch in one transaction — tried again once on a new connection if PostgreSQL's was lost
/// (`Dedicated::reopen_if_lost`) — and should that fail, each attempt in its own, so one bad attempt costs
/// only itself. (No savepoints on the common path: SQLite would copy every page the batch touches into a
/// sub-journal in case of a rollback to it.)
async fn write_batch(
    conn: &mut Dedicated,
    attempts: &[&NewAttempt],
) -> Vec<Result<Recorded, sqlx::Error>> {
    let mut written = write_transaction(conn, attempts).await;
    if let Err(e) = &written
        && conn.reopen_if_lost(e).await
    {
        written = write_transaction(conn, attempts).await;
    }
    match written {
        Ok(recorded) => recorded.into_iter().map(Ok).collect(),
        Err(e) if attempts.len() == 1 => vec![Err(e)],
        Err(_) => {
            let mut results = Vec::with_capacity(attempts.len());
            for a in attempts {
                results.push(
                    write_transaction(conn, &[a])
                        .await
                        .map(|recorded| recorded[0]),
                );
            }
            results
        }
    }
}

/// [`write_attempts`] in a transaction of its own: all of it is stored, or none.
async fn write_transaction(
    conn: &mut Dedicated,
    attempts: &[&NewAttempt],
) -> Result<Vec<Recorded>, sqlx::Error> {
    macro_rules! in_transaction {
        ($conn:expr) => {{
            let mut tx = sqlx::Connection::begin($conn).await?;
            match write_attempts(&mut tx, attempts).await {
                Ok(recorded) => {
                    tx.commit().await?;
                    Ok(recorded)
                }
                Err(e) => {
                    tx.rollback().await?;
                    Err(e)
                }
            }
        }};
    }
    match conn {
        Dedicated::Sqlite(conn) => in_transaction!(conn),
        Dedicated::Postgres { conn, .. } => in_transaction!(conn),
    }
}

/// A row of `attempt`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub struct Attempt {
    pub attempt_id: i64,
    pub user_id: i64,
    pub topic: String,
    pub seed: i64,
    pub question_count: i64,
    pub correct_count: i64,
    pub duration_ms: i64,
    pub created_at: i64,
    /// Hundredths of a question earned (see the module doc).
    pub credit: i64,
    /// `quiz` or `review`.
    pub kind: String,
}

impl Attempt {
    /// The score in whole percent, rounded down (`quiz::mastery::percent`), partial credit counted.
    pub fn percent(&self) -> i64 {
        crate::quiz::mastery::percent(self.credit, self.question_count * 100)
    }

    /// The score as "points / questions", partial credit as decimals ("7.5 / 10").
    pub fn points(&self) -> String {
        format!(
            "{} / {}",
            crate::quiz::grade::points_text(self.credit),
            self.question_count
        )
    }
}

/// A row of `answer`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Answer {
    pub question_id: String,
    pub position: i64,
    pub response: String,
    pub correct: bool,
    pub misconception: Option<String>,
    pub time_ms: i64,
    /// 0–100.
    pub credit: i64,
}

pub(super) const ATTEMPT_COLUMNS: &str = "attempt_id, user_id, topic, seed, question_count, correct_count, duration_ms, created_at, credit, kind";

pub async fn attempt(db: &Db, attempt_id: i64) -> Result<Option<Attempt>, sqlx::Error> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("select {ATTEMPT_COLUMNS} from attempt where attempt_id = $1"));
    on!(db, pool => sqlx::query_as(&SQL).bind(attempt_id).fetch_optional(pool).await)
}

pub async fn answers(db: &Db, attempt_id: i64) -> Result<Vec<Answer>, sqlx::Error> {
    on!(db, pool => sqlx::query_as(
        "select question_id, position, response, correct <> 0 as correct, misconception, time_ms, credit
         from answer where attempt_id = $1 order by position",
    )
    .bind(attempt_id)
    .fetch_all(pool)
    .await)
}

/// A learner's latest attempts, newest first.
pub async fn history(db: &Db, user_id: i64, limit: i64) -> Result<Vec<Attempt>, sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "select {ATTEMPT_COLUMNS} from attempt where user_id = $1 order by created_at desc, attempt_id desc limit $2"
        )
    });
    on!(db, pool => sqlx::query_as(&SQL).bind(user_id).bind(limit).fetch_all(pool).await)
}

/// Per topic: questions seen and mastered, best and latest score (in percent), attempts and last activity,
/// counting only what came after the learner's last reset of the topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub struct TopicStats {
    pub topic: String,
    pub seen: i64,
    pub mastered: i64,
    pub attempts: i64,
    pub best: Option<i64>,
    pub latest: Option<i64>,
    pub last_at: Option<i64>,
}

/// [`topic_stats`]' query, with the mastery rule written in ([`super::MASTERED`]). A score is a whole
/// percent rounded down, as every percentage is (`quiz::mastery::percent`), partial credit counted; the
/// review loop's one-question attempts move mastery but are not quiz scores. One text for SQLite and
/// PostgreSQL (`case` where SQLite would say `max(a, b)` and sum a boolean).
pub(super) static TOPIC_STATS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "with scored as (
             select a.topic, a.created_at, a.attempt_id,
                    a.credit / (case when a.question_count > 1 then a.question_count else 1 end) as score
             from attempt a left join topic_reset r on r.user_id = a.user_id and r.topic = a.topic
             where a.user_id = $1 and a.kind = 'quiz'
               and (r.after_attempt_id is null or a.attempt_id > r.after_attempt_id)
         ),
         progress as (
             select topic, count(*) as seen, sum(case when {mastered} then 1 else 0 end) as mastered
             from question_progress where user_id = $1 group by topic
         ),
         topics as (select topic from scored union select topic from progress)
         select t.topic,
                coalesce(p.seen, 0) as seen,
                coalesce(p.mastered, 0) as mastered,
                (select count(*) from scored s where s.topic = t.topic) as attempts,
                (select max(score) from scored s where s.topic = t.topic) as best,
                (select score from scored s where s.topic = t.topic order by created_at desc, attempt_id desc limit 1) as latest,
                (select max(created_at) from scored s where s.topic = t.topic) as last_at
         from topics t left join progress p on p.topic = t.topic",
        mastered = super::MASTERED
    )
});

pub async fn topic_stats(db: &Db, user_id: i64) -> Result<Vec<TopicStats>, sqlx::Error> {
    on!(db, pool => sqlx::query_as(TOPIC_STATS.as_str()).bind(user_id).fetch_all(pool).await)
}

/// A question due for review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub question_id: String,
    pub topic: String,
    #[sqlx(rename = "box")]
    pub box_number: i64,
    pub due_at: i64,
    pub last_correct: bool,
}

pub async fn due(db: &Db, user_id: i64, now: i64) -> Result<Vec<Due>, sqlx::Error> {
    on!(db, pool => sqlx::query_as(
        "select question_id, topic, box, due_at, last_correct <> 0 as last_correct from question_progress
         where user_id = $1 and due_at <= $2 order by box, due_at, question_id",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(pool)
    .await)
}

pub async fn due_count(db: &Db, user_id: i64, now: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on!(db, pool => sqlx::query_as(
        "select count(*) from question_progress where user_id = $1 and due_at <= $2",
    )
    .bind(user_id)
    .bind(now)
    .fetch_one(pool)
    .await)?;
    Ok(n)
}

/// Forgets a topic's progress for the learner (boxes, scores); attempts stay in the history.
pub async fn reset_topic(db: &Db, user_id: i64, topic: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    // The lock first, before any row is changed: a writer holding it may be about to change the same rows.
    super::aggregates::lock(&mut (&mut tx).into()).await?;
    in_tx!(&mut tx, conn => {
        sqlx::query("delete from question_progress where user_id = $1 and topic = $2")
            .bind(user_id)
            .bind(topic)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "insert into topic_reset (user_id, topic, after_attempt_id, reset_at)
             values ($1, $2, (select coalesce(max(attempt_id), 0) from attempt), $3)
             on conflict (user_id, topic) do update set after_attempt_id = excluded.after_attempt_id, reset_at = excluded.reset_at",
        )
        .bind(user_id)
        .bind(topic)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    });
    super::aggregates::reset_topic(&mut tx, user_id, topic).await?;
    tx.commit().await
}

/// Stores a graded widget prediction, and counts it in the learner's classes (`store::aggregates`).
#[allow(clippy::too_many_arguments)]
pub async fn record_widget_answer(
    db: &Db,
    user_id: i64,
    widget: &str,
    scenario: &str,
    step: i64,
    field: &str,
    answer: &str,
    correct: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    super::aggregates::lock(&mut (&mut tx).into()).await?;
    in_tx!(&mut tx, conn => sqlx::query(
        "insert into widget_answer (user_id, widget, scenario, step, field, answer, correct, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user_id)
    .bind(widget)
    .bind(scenario)
    .bind(step)
    .bind(field)
    .bind(answer)
    .bind(i64::from(correct))
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ()))?;
    let stored = super::aggregates::WidgetAnswer {
        user_id,
        widget,
        scenario,
        step,
        field,
        correct,
    };
    super::aggregates::widget_answers(&mut tx, &[stored]).await?;
    tx.commit().await
}
