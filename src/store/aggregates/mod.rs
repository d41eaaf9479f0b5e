//! Keeps the aggregates of `migrations/0008_class_aggregates.sql` — per learner and topic, per learner and
//! question, per class member, and the sums per class — so the instructor's overview and question
//! analysis read a few rows per class instead of every answer its members ever gave. The rules of what is
//! counted are `classroom::aggregates`'; this module reads and writes the rows, always inside the caller's
//! transaction:
//!
//! * [`record`]: from `store::quiz::write_attempts`, in the transaction that stores the attempts — the
//!   learner rows the attempts change, and for learners in classes, the change to each class's sums;
//! * [`reset_topic`]: a topic reset clears its mastered questions;
//! * [`widget_answers`]: widget predictions, in the transaction that stores them;
//! * [`add_members`]: a member joining adds what they bring to the class's sums, one leaving takes it
//!   away (`store::classes::join`/`leave`; a guest merged into an account leaves and rejoins around the
//!   merge, see `store::users::merge_guest`);
//! * [`rebuild_users`] and [`rebuild_if_needed`]: the same rows made again from the history (a learner
//!   joining a class, a database from before migration 0008, an attempt that arrives older than one
//!   already counted).
//!
//! Learner rows are kept for learners in at least one class — the instructor's views are all that read
//! them — so a learner studying alone pays one lookup per batch of attempts; joining a class makes their
//! rows from their history. (A learner who leaves their last class keeps rows nobody reads, made again if
//! they join another.)
//!
//! On PostgreSQL, where the instances' writers share the database, every transaction that changes
//! progress or aggregates first takes one advisory lock ([`lock`]): what it reads, computes and writes
//! back is not changed by another in between, as on SQLite with its one writer at a time. Statements
//! whose text differs per backend are picked with `Conn::pick`: JSON arrays of keys are read with
//! `json_each` on SQLite and `json_array_elements` on PostgreSQL, packed rows made with
//! `json_group_array` and `json_agg`.

use super::batch::{Row, Rows, Script, bind};
use super::quiz::NewAttempt;
use crate::classroom::aggregates::{self as agg, AnswerFact, Contribution, QuestionAgg, TopicAgg};
use crate::db::Conn;
use crate::on_conn;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

mod classes;
mod rebuild;

use classes::apply_to_classes;
pub use classes::{WidgetAnswer, add_members, widget_answers, widget_key};
use rebuild::replay_history;
pub use rebuild::{rebuild_all, rebuild_if_needed, rebuild_users};

/// A learner's aggregates for some topics: rows of `learner_topic` and of `learner_question` (keyed by
/// topic and question).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearnerAggs {
    pub topics: BTreeMap<String, TopicAgg>,
    pub questions: BTreeMap<(String, String), QuestionAgg>,
}

impl LearnerAggs {
    /// The questions of `topic`.
    fn questions_of<'a>(
        &'a self,
        topic: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a QuestionAgg)> + 'a {
        self.questions
            .range((topic.to_string(), String::new())..)
            .take_while(move |((t, _), _)| t == topic)
            .map(|((_, q), agg)| (q.as_str(), agg))
    }

    /// What the learner adds to a class's sums, from `only` these topics (every one when `None`).
    fn contributions(&self, only: Option<&BTreeSet<String>>) -> Vec<Contribution<'_>> {
        let mut out = Vec::new();
        for (topic, t) in &self.topics {
            if only.is_some_and(|o| !o.contains(topic)) {
                continue;
            }
            let mut answered = false;
            for (q, qa) in self.questions_of(topic) {
                answered |= qa.answers > 0;
                agg::question_contributions(topic, q, qa, t.score, &mut out);
            }
            agg::topic_contributions(topic, t, answered, &mut out);
        }
        out
    }

    /// Per topic answered (from `only` these topics): the learner's rank row — score and first-answer bit
    /// sets — as `class_rank` keeps it for each of their classes.
    fn ranks(&self, only: Option<&BTreeSet<String>>) -> Vec<(String, i64, i64, i64)> {
        self.topics
            .iter()
            .filter(|(topic, _)| only.is_none_or(|o| o.contains(*topic)))
            .filter(|(topic, _)| self.questions_of(topic).any(|(_, q)| q.answers > 0))
            .map(|(topic, t)| {
                (
                    topic.clone(),
                    t.score,
                    t.answered_first as i64,
                    t.right_first as i64,
                )
            })
            .collect()
    }

    /// The options the learner has chosen, as (question scope, option), from `only` these topics.
    fn options(&self, only: Option<&BTreeSet<String>>) -> BTreeSet<(String, i64)> {
        self.questions
            .iter()
            .filter(|((t, _), _)| only.is_none_or(|o| o.contains(t)))
            .flat_map(|((t, q), qa)| {
                let scope = agg::question_scope(t, q);
                qa.options
                    .iter()
                    .filter(|(_, times)| **times > 0)
                    .map(move |(option, _)| (scope.clone(), *option as i64))
            })
            .collect()
    }
}

/// The PostgreSQL advisory lock that every transaction changing learners' progress or the aggregates
/// takes first (any fixed number no other lock uses; it reads "progress" in ASCII).
const POSTGRES_LOCK: i64 = 0x7072_6f67_7265_7373;

/// Takes [`POSTGRES_LOCK`] until the end of the transaction `conn` is in (PostgreSQL; nothing on SQLite,
/// whose transactions write one at a time anyway). Taken again in the same transaction, it returns at
/// once: every entry point of this module takes it, and their callers may have.
pub(crate) async fn lock(conn: &mut Conn<'_>) -> Result<(), sqlx::Error> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(POSTGRES_LOCK)
            .execute(&mut **c)
            .await?;
    }
    Ok(())
}

/// `from` the users of the JSON array of ids bound as `param`, as `k.value`, then `rest` (`t on t.user_id
/// = k.value …`). SQLite's `cross join` keeps the keys the outer loop; PostgreSQL chooses its own.
pub(super) fn users_from(postgres: bool, param: &str, rest: &str) -> String {
    if postgres {
        format!(
            "(select value::bigint as value from json_array_elements_text({param}::json)) k join {rest}"
        )
    } else {
        format!("json_each({param}) k cross join {rest}")
    }
}

/// Packed rows: `json_group_array(json_array(columns))` on SQLite, `[]` when there are none; the same
/// text on PostgreSQL.
pub(super) fn packed(postgres: bool, columns: &str) -> String {
    if postgres {
        format!("coalesce(json_agg(json_build_array({columns})), '[]')::text")
    } else {
        format!("coalesce(json_group_array(json_array({columns})), '[]')")
    }
}

/// Whose rows to load: whole learners, or some of their topics.
enum Keys<'a> {
    Users(&'a [i64]),
    Pairs(&'a BTreeSet<(i64, String)>),
}

impl Keys<'_> {
    fn json(&self) -> String {
        match self {
            Keys::Users(users) => serde_json::to_string(users),
            Keys::Pairs(pairs) => serde_json::to_string(pairs),
        }
        .unwrap_or_else(|_| "[]".into())
    }

    /// The keys (bound first, as JSON) joined to the rows of `table` (aliased `r`): the `from` of [`load`].
    fn from(&self, postgres: bool, table: &str) -> String {
        match self {
            Keys::Users(_) => users_from(
                postgres,
                if postgres { "$1" } else { "?1" },
                &format!("{table} r on r.user_id = k.value"),
            ),
            Keys::Pairs(_) => pairs_from(postgres, if postgres { "$1" } else { "?1" }, table),
        }
    }
}

/// `from` the (user, topic) pairs of the JSON array bound as `param` (as `p`), joined to the rows of
/// `table` (`r`).
fn pairs_from(postgres: bool, param: &str, table: &str) -> String {
    if postgres {
        format!(
            "json_array_elements({param}::json) p join {table} r
               on r.user_id = (p.value->>0)::bigint and r.topic = p.value->>1"
        )
    } else {
        format!(
            "json_each({param}) p cross join {table} r
               on r.user_id = json_extract(p.value, '$[0]') and r.topic = json_extract(p.value, '$[1]')"
        )
    }
}

type TopicRow = (
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    BTreeMap<String, i64>,
);

type QuestionRow = (i64, String, String, i64, i64, i64, QuestionAgg);

/// The columns of a packed `learner_topic` row (alias `r`): the select of [`load`] and of [`Prefetch`].
fn topic_rows(postgres: bool) -> String {
    packed(
        postgres,
        &format!(
            "r.user_id, r.topic, r.attempts, r.last_at, r.last_attempt_id, r.mastered, r.score,
             r.answered_first, r.right_first, {}",
            if postgres {
                "r.extra::json"
            } else {
                "json(r.extra)"
            }
        ),
    )
}

/// The same for `learner_question`.
fn question_rows(postgres: bool) -> String {
    packed(
        postgres,
        &format!(
            "r.user_id, r.topic, r.question_id, r.answers, r.correct, r.first_correct, {}",
            if postgres {
                "r.extra::json"
            } else {
                "json(r.extra)"
            }
        ),
    )
}

/// Loads the stored rows for `keys`, one packed row per table (sqlx's cost is per row).
async fn load(
    conn: &mut Conn<'_>,
    keys: Keys<'_>,
) -> Result<HashMap<i64, LearnerAggs>, sqlx::Error> {
    let json = keys.json();
    let postgres = matches!(conn, Conn::Postgres(_));
    let topics = format!(
        "select {} from {}",
        topic_rows(postgres),
        keys.from(postgres, "learner_topic")
    );
    let questions = format!(
        "select {} from {}",
        question_rows(postgres),
        keys.from(postgres, "learner_question")
    );
    let (topics, questions): ((String,), (String,)) = on_conn!(conn.reborrow(), c => (
        sqlx::query_as(&topics).bind(&json).fetch_one(&mut *c).await?,
        sqlx::query_as(&questions).bind(&json).fetch_one(&mut *c).await?,
    ));
    unpack_learners(&topics.0, &questions.0)
}

fn decode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// [`LearnerAggs`] per learner from packed rows of [`topic_rows`] and [`question_rows`].
fn unpack_learners(
    topics: &str,
    questions: &str,
) -> Result<HashMap<i64, LearnerAggs>, sqlx::Error> {
    let topics: Vec<TopicRow> = serde_json::from_str(topics).map_err(decode)?;
    let questions: Vec<QuestionRow> = serde_json::from_str(questions).map_err(decode)?;
    let mut out: HashMap<i64, LearnerAggs> = HashMap::new();
    for (user, topic, attempts, last_at, last_id, mastered, score, answered, right, extra) in topics
    {
        out.entry(user).or_default().topics.insert(
            topic,
            TopicAgg {
                attempts,
                last_at,
                last_attempt_id: last_id,
                mastered,
                score,
                answered_first: answered as u64,
                right_first: right as u64,
                tags: extra,
            },
        );
    }
    for (user, topic, question, answers, correct, first_correct, extra) in questions {
        out.entry(user).or_default().questions.insert(
            (topic, question),
            QuestionAgg {
                answers,
                correct,
                first_correct: first_correct != 0,
                ..extra
            },
        );
    }
    Ok(out)
}

/// What [`record`] reads before it changes anything ([`Prefetch`]).
pub struct Prefetched {
    memberships: classes::Memberships,
    /// Rows of every learner and topic of the batch (members or not).
    learners: HashMap<i64, LearnerAggs>,
    bits: Bits,
    recent: Vec<classes::RecentRow>,
}

/// Everything [`record`] reads, in one statement: the learners' classes, their rows for the batch's
/// (learner, topic) pairs, the question bits of its topics and the learners' kept `learner_recent` rows.
/// Each statement is a round trip to SQLite's thread, paid in turn by the writer every submitter waits
/// for; read one by one, these were five (`bench/quiz.sh`, learners in a class). The attempt writer
/// sends it with the batch's other reads ([`Prefetch::add_to`]) and hands what came back to [`record`].
pub struct Prefetch {
    users: String,
    pairs: String,
    topics: String,
}

impl Prefetch {
    /// What to read for these attempts.
    pub fn new(attempts: &[&NewAttempt]) -> Prefetch {
        let users: BTreeSet<i64> = attempts.iter().map(|a| a.user_id).collect();
        let pairs: BTreeSet<(i64, &str)> = attempts
            .iter()
            .map(|a| (a.user_id, a.topic.as_str()))
            .collect();
        let topics: BTreeSet<&str> = attempts.iter().map(|a| a.topic.as_str()).collect();
        let json = |v: Result<String, serde_json::Error>| v.unwrap_or_else(|_| "[]".into());
        Prefetch {
            users: json(serde_json::to_string(&users)),
            pairs: json(serde_json::to_string(&pairs)),
            topics: json(serde_json::to_string(&topics)),
        }
    }

    /// Adds the statement, which gives one row, to `script`. On SQLite its parameters are plain `?`, bound
    /// in the order they appear: numbered ones would count from the start of a multi-statement command.
    pub(crate) fn add_to<'q>(&'q self, script: &mut Script<'q>) -> Result<(), sqlx::Error> {
        fn sql(postgres: bool) -> String {
            let p = |n: usize| {
                if postgres {
                    format!("${n}")
                } else {
                    "?".to_string()
                }
            };
            format!(
                "select (select {} from {}),
                        (select {} from {}),
                        (select {} from {}),
                        (select {} from {}),
                        (select {} from {})",
                packed(postgres, classes::MEMBERSHIP_COLUMNS),
                classes::membership_from(postgres, &p(1)),
                topic_rows(postgres),
                pairs_from(postgres, &p(2), "learner_topic"),
                question_rows(postgres),
                pairs_from(postgres, &p(3), "learner_question"),
                packed(postgres, "t.topic, t.question_id, t.bit"),
                topics_from(postgres, &p(4)),
                packed(postgres, classes::RECENT_COLUMNS),
                classes::recent_from(postgres, &p(5)),
            )
        }
        static SQLITE: LazyLock<String> = LazyLock::new(|| sql(false));
        static POSTGRES: LazyLock<String> = LazyLock::new(|| sql(true));
        script.statement(&SQLITE, &POSTGRES, |args| {
            bind(args, self.users.as_str())?;
            bind(args, self.pairs.as_str())?;
            bind(args, self.pairs.as_str())?;
            bind(args, self.topics.as_str())?;
            bind(args, self.users.as_str())
        })
    }

    /// The statement's row, read.
    pub(crate) fn read(&self, row: Option<Row>) -> Result<Prefetched, sqlx::Error> {
        let row = row.ok_or(sqlx::Error::RowNotFound)?;
        let text = |i: usize| row.get::<String>(i);
        let memberships: Vec<(i64, i64, String)> =
            serde_json::from_str(&text(0)?).map_err(decode)?;
        let bits: Vec<(String, String, i64)> = serde_json::from_str(&text(3)?).map_err(decode)?;
        Ok(Prefetched {
            memberships: classes::memberships_of(memberships),
            learners: unpack_learners(&text(1)?, &text(2)?)?,
            bits: Bits::from_rows(bits),
            recent: serde_json::from_str(&text(4)?).map_err(decode)?,
        })
    }
}

/// `from` the topics of the JSON array bound as `param`, joined to their `topic_question` rows (`t`).
fn topics_from(postgres: bool, param: &str) -> String {
    if postgres {
        format!(
            "json_array_elements_text({param}::json) k join topic_question t on t.topic = k.value"
        )
    } else {
        format!("json_each({param}) k cross join topic_question t on t.topic = k.value")
    }
}

/// The bit positions of topics' questions (`topic_question`), given to new questions as they come.
#[derive(Default)]
struct Bits {
    known: HashMap<(String, String), i64>,
    next: HashMap<String, i64>,
    added: Vec<(String, String, i64)>,
}

impl Bits {
    async fn load(conn: &mut Conn<'_>, topics: &BTreeSet<String>) -> Result<Bits, sqlx::Error> {
        let json = serde_json::to_string(topics).unwrap_or_else(|_| "[]".into());
        let postgres = matches!(conn, Conn::Postgres(_));
        let sql = format!(
            "select t.topic, t.question_id, t.bit from {}",
            topics_from(postgres, if postgres { "$1" } else { "?1" })
        );
        let rows: Vec<(String, String, i64)> =
            on_conn!(conn.reborrow(), c => sqlx::query_as(&sql).bind(json).fetch_all(c).await)?;
        Ok(Bits::from_rows(rows))
    }

    fn from_rows(rows: Vec<(String, String, i64)>) -> Bits {
        let mut bits = Bits::default();
        for (topic, question, bit) in rows {
            let next = bits.next.entry(topic.clone()).or_default();
            *next = (*next).max(bit + 1);
            bits.known.insert((topic, question), bit);
        }
        bits
    }

    /// The question's bit, given now if it has none; `None` past `classroom::aggregates::MAX_BITS`.
    fn get(&mut self, topic: &str, question: &str) -> Option<i64> {
        let key = (topic.to_string(), question.to_string());
        let bit = match self.known.get(&key) {
            Some(&bit) => bit,
            None => {
                let next = self.next.entry(topic.to_string()).or_default();
                let bit = *next;
                *next += 1;
                self.added.push((key.0.clone(), key.1.clone(), bit));
                self.known.insert(key, bit);
                bit
            }
        };
        (bit < agg::MAX_BITS).then_some(bit)
    }

    /// Adds the bits given since the last save to `script`.
    fn save(&mut self, script: &mut Script<'_>) -> Result<(), sqlx::Error> {
        static INSERT: Rows = Rows::insert(
            3,
            "insert into topic_question (topic, question_id, bit)",
            "",
        );
        let added = std::mem::take(&mut self.added);
        script.rows(&INSERT, &added, |args, (topic, question, bit)| {
            bind(args, topic.clone())?;
            bind(args, question.clone())?;
            bind(args, *bit)
        })
    }
}

static UPSERT_TOPICS: Rows = Rows::insert(
    10,
    "insert into learner_topic (user_id, topic, attempts, last_at, last_attempt_id, mastered, score,
                                answered_first, right_first, extra)",
    "on conflict (user_id, topic) do update set attempts = excluded.attempts, last_at = excluded.last_at,
       last_attempt_id = excluded.last_attempt_id, mastered = excluded.mastered, score = excluded.score,
       answered_first = excluded.answered_first, right_first = excluded.right_first, extra = excluded.extra",
);

static UPSERT_QUESTIONS: Rows = Rows::insert(
    7,
    "insert into learner_question (user_id, topic, question_id, answers, correct, first_correct, extra)",
    "on conflict (user_id, topic, question_id) do update set answers = excluded.answers,
       correct = excluded.correct, first_correct = excluded.first_correct, extra = excluded.extra",
);

/// Adds to `script` the learner rows to write: every topic and question of `after` that differs from
/// `before`.
fn save_learners(
    script: &mut Script<'_>,
    before: &HashMap<i64, LearnerAggs>,
    after: &HashMap<i64, LearnerAggs>,
) -> Result<(), sqlx::Error> {
    let empty = LearnerAggs::default();
    let mut topics: Vec<(i64, &str, &TopicAgg)> = Vec::new();
    let mut questions: Vec<(i64, &str, &str, &QuestionAgg)> = Vec::new();
    for (&user, now) in after {
        let was = before.get(&user).unwrap_or(&empty);
        for (topic, t) in &now.topics {
            if was.topics.get(topic) != Some(t) {
                topics.push((user, topic, t));
            }
        }
        // Both maps in key order, walked together: a lookup would need an owned key per question.
        let mut old = was.questions.iter().peekable();
        for (key, qa) in &now.questions {
            while old.next_if(|(k, _)| *k < key).is_some() {}
            if old.peek() != Some(&(key, qa)) {
                questions.push((user, &key.0, &key.1, qa));
            }
        }
    }
    script.rows(&UPSERT_TOPICS, &topics, |args, (user, topic, t)| {
        bind(args, *user)?;
        bind(args, topic.to_string())?;
        bind(args, t.attempts)?;
        bind(args, t.last_at)?;
        bind(args, t.last_attempt_id)?;
        bind(args, t.mastered)?;
        bind(args, t.score)?;
        bind(args, t.answered_first as i64)?;
        bind(args, t.right_first as i64)?;
        bind(args, agg::topic_extra_json(t))
    })?;
    script.rows(
        &UPSERT_QUESTIONS,
        &questions,
        |args, (user, topic, q, qa)| {
            bind(args, *user)?;
            bind(args, topic.to_string())?;
            bind(args, q.to_string())?;
            bind(args, qa.answers)?;
            bind(args, qa.correct)?;
            bind(args, i64::from(qa.first_correct))?;
            bind(args, qa.extra_json())
        },
    )
}

/// A learner's mastered/not-mastered change on one question of a topic, from the attempts' box moves.
#[derive(Debug, Clone)]
pub struct MasteryMove<'a> {
    pub user_id: i64,
    pub topic: &'a str,
    /// +1 when the question became mastered, −1 when it stopped being.
    pub change: i64,
}

/// Counts newly stored attempts (`(attempt_id, attempt)`, in the order written) and the mastery they
/// moved, inside the transaction that stores them. An attempt older than one already counted for its
/// learner and topic (only seed data or a clock set back does that) has that topic rebuilt from the
/// history instead, so first answers stay the earliest.
pub(crate) async fn record(
    conn: &mut Conn<'_>,
    script: &mut Script<'_>,
    prefetched: Prefetched,
    attempts: &[(i64, &NewAttempt)],
    moves: &[MasteryMove<'_>],
) -> Result<(), sqlx::Error> {
    if attempts.is_empty() && moves.is_empty() {
        return Ok(());
    }
    // Only learners in a class have aggregates (the instructor's views are all there is to read them);
    // one studying alone costs a part of the batch's one read.
    let Prefetched {
        memberships,
        mut learners,
        mut bits,
        recent,
    } = prefetched;
    // What was read for attempts not stored after all (their form was sent before) stays out.
    let users: BTreeSet<i64> = attempts
        .iter()
        .map(|(_, a)| a.user_id)
        .chain(moves.iter().map(|m| m.user_id))
        .collect();
    learners.retain(|user, _| users.contains(user));
    if memberships.is_empty() {
        return Ok(());
    }
    let attempts: Vec<(i64, &NewAttempt)> = attempts
        .iter()
        .filter(|(_, a)| memberships.contains_key(&a.user_id))
        .copied()
        .collect();
    let moves: Vec<&MasteryMove> = moves
        .iter()
        .filter(|m| memberships.contains_key(&m.user_id))
        .collect();
    let pairs: BTreeSet<(i64, String)> = attempts
        .iter()
        .map(|(_, a)| (a.user_id, a.topic.clone()))
        .chain(moves.iter().map(|m| (m.user_id, m.topic.to_string())))
        .collect();
    // The rows of `pairs`: a member's pairs are all of theirs in the batch.
    let before: HashMap<i64, LearnerAggs> = learners
        .into_iter()
        .filter(|(user, _)| memberships.contains_key(user))
        .collect();
    let mut after = before.clone();
    let mut replay: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut new_attempts: HashMap<i64, Vec<NewOne>> = HashMap::new();
    for &(id, a) in &attempts {
        new_attempts.entry(a.user_id).or_default().push(NewOne {
            at: a.now,
            topic: a.topic.clone(),
            answered: a.answers.len() as i64,
            wrong: a.answers.iter().filter(|n| !n.correct).count() as i64,
        });
        let key = (a.user_id, a.topic.clone());
        let LearnerAggs { topics, questions } = after.entry(a.user_id).or_default();
        let t = topics.entry(a.topic.clone()).or_default();
        if replay.contains(&key) || (t.attempts > 0 && (a.now, id) < (t.last_at, t.last_attempt_id))
        {
            replay.insert(key);
            continue;
        }
        t.attempts += 1;
        t.last_at = a.now;
        t.last_attempt_id = id;
        for n in &a.answers {
            let bit = bits.get(&a.topic, &n.question_id);
            let q = questions
                .entry((a.topic.clone(), n.question_id.clone()))
                .or_default();
            agg::apply_answer(t, q, bit, &fact(n));
        }
    }
    for m in &moves {
        if let Some(t) = after
            .get_mut(&m.user_id)
            .and_then(|l| l.topics.get_mut(m.topic))
        {
            t.mastered += m.change;
        }
    }
    if !replay.is_empty() {
        // The history read next must hold this batch's answers, still in the script.
        script.run(conn).await?;
    }
    for (user, topic) in &replay {
        let fresh = replay_history(conn, &[*user], Some(topic), &mut bits).await?;
        let l = after.entry(*user).or_default();
        l.topics.remove(topic);
        l.questions.retain(|(t, _), _| t != topic);
        if let Some(f) = fresh.get(user) {
            l.topics.extend(f.topics.clone());
            l.questions.extend(f.questions.clone());
        }
    }
    bits.save(script)?;
    save_learners(script, &before, &after)?;
    let changes: Vec<Change> = after
        .keys()
        .map(|&user| Change {
            user_id: user,
            topics: pairs
                .iter()
                .filter(|(u, _)| *u == user)
                .map(|(_, t)| t.clone())
                .collect(),
            new_attempts: new_attempts.remove(&user).unwrap_or_default(),
        })
        .collect();
    apply_to_classes(
        conn,
        script,
        &changes,
        &before,
        &after,
        &memberships,
        Some(recent),
    )
    .await
}

/// A newly stored attempt, as the class sums see it.
struct NewOne {
    at: i64,
    topic: String,
    answered: i64,
    wrong: i64,
}

fn fact(n: &super::quiz::NewAnswer) -> AnswerFact<'_> {
    AnswerFact {
        question_id: &n.question_id,
        response: &n.response,
        correct: n.correct,
        misconception: n.misconception.as_deref(),
    }
}

/// What changed for one learner: the topics whose rows changed, and the new attempts.
struct Change {
    user_id: i64,
    topics: BTreeSet<String>,
    new_attempts: Vec<NewOne>,
}

/// A topic reset: the learner's mastered questions in `topic` are gone (their answers are not), in their
/// row and in their classes' sums.
pub async fn reset_topic<'c>(
    conn: impl Into<Conn<'c>>,
    user_id: i64,
    topic: &str,
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    let conn = &mut conn;
    lock(conn).await?;
    let memberships = classes::memberships(conn, &[user_id]).await?;
    if memberships.is_empty() {
        return Ok(());
    }
    let pairs = BTreeSet::from([(user_id, topic.to_string())]);
    let before = load(conn, Keys::Pairs(&pairs)).await?;
    let mut after = before.clone();
    let Some(t) = after
        .get_mut(&user_id)
        .and_then(|l| l.topics.get_mut(topic))
    else {
        return Ok(());
    };
    t.mastered = 0;
    let mut script = Script::new(conn);
    save_learners(&mut script, &before, &after)?;
    let change = Change {
        user_id,
        topics: BTreeSet::from([topic.to_string()]),
        new_attempts: Vec::new(),
    };
    apply_to_classes(
        conn,
        &mut script,
        &[change],
        &before,
        &after,
        &memberships,
        None,
    )
    .await?;
    script.run(conn).await
}
