//! Keeps the aggregates of `migrations/0008_class_aggregates.sql` — per learner and topic, per learner and
//! question, per class member, and the sums per class — so the instructor's overview and question
//! analysis read a few rows per class instead of every answer its members ever gave. The rules of what is
//! counted are `classroom::aggregates`'; this module reads and writes the rows, always inside the caller's
//! transaction:
//!
//! * [`record`]: from `store::quiz::write_attempts`, in the transaction that stores the attempts — the
//!   learner rows the attempts change, and for learners in classes, the change to each class's sums;
//! * [`reset_topic`]: a topic reset clears its mastered questions;
//! * [`add_members`]: a member joining adds what they bring to the class's sums, one leaving takes it
//!   away (`store::classes::join`/`leave`; a guest merged into an account leaves and rejoins around the
//!   merge, see `store::users::merge_guest`);
//! * [`rebuild_users`] and [`rebuild_if_needed`]: the same rows made again from the history (a database
//!   from before migration 0008, an attempt that arrives older than one already counted, a merge).

use super::quiz::{NewAttempt, ROWS, bind, rows_args, values_list};
use crate::classroom::aggregates::{self as agg, AnswerFact, Contribution, QuestionAgg, TopicAgg};
use crate::jst;
use sqlx::{SqliteConnection, SqlitePool};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

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
    fn contributions(&self, only: Option<&BTreeSet<String>>) -> Vec<Contribution> {
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

    /// The join that picks the rows of `table` (aliased `r`) for these keys from `json_each(?1) k`.
    fn join(&self) -> &'static str {
        match self {
            Keys::Users(_) => "r.user_id = k.value",
            Keys::Pairs(_) => {
                "r.user_id = json_extract(k.value, '$[0]') and r.topic = json_extract(k.value, '$[1]')"
            }
        }
    }
}

type TopicRow = (i64, String, i64, i64, i64, i64, i64, i64, i64, String);
type QuestionRow = (i64, String, String, i64, i64, i64, String);

/// Loads the stored rows for `keys`, one packed row per table (sqlx's cost is per row).
async fn load(
    conn: &mut SqliteConnection,
    keys: Keys<'_>,
) -> Result<HashMap<i64, LearnerAggs>, sqlx::Error> {
    let json = keys.json();
    let (topics,): (String,) = sqlx::query_as(&format!(
        "select coalesce(json_group_array(json_array(r.user_id, r.topic, r.attempts, r.last_at, r.last_attempt_id,
                r.mastered, r.score, r.answered_first, r.right_first, r.extra)), '[]')
         from json_each(?1) k cross join learner_topic r on {}",
        keys.join()
    ))
    .bind(&json)
    .fetch_one(&mut *conn)
    .await?;
    let (questions,): (String,) = sqlx::query_as(&format!(
        "select coalesce(json_group_array(json_array(r.user_id, r.topic, r.question_id, r.answers, r.correct,
                r.first_correct, r.extra)), '[]')
         from json_each(?1) k cross join learner_question r on {}",
        keys.join()
    ))
    .bind(&json)
    .fetch_one(&mut *conn)
    .await?;
    let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
    let topics: Vec<TopicRow> = serde_json::from_str(&topics).map_err(decode)?;
    let questions: Vec<QuestionRow> = serde_json::from_str(&questions).map_err(decode)?;
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
                tags: agg::topic_tags_from(&extra),
            },
        );
    }
    for (user, topic, question, answers, correct, first_correct, extra) in questions {
        out.entry(user).or_default().questions.insert(
            (topic, question),
            QuestionAgg::from_row(answers, correct, first_correct != 0, &extra),
        );
    }
    Ok(out)
}

/// The bit positions of topics' questions (`topic_question`), given to new questions as they come.
#[derive(Default)]
struct Bits {
    known: HashMap<(String, String), i64>,
    next: HashMap<String, i64>,
    added: Vec<(String, String, i64)>,
}

impl Bits {
    async fn load(
        conn: &mut SqliteConnection,
        topics: &BTreeSet<String>,
    ) -> Result<Bits, sqlx::Error> {
        let json = serde_json::to_string(topics).unwrap_or_else(|_| "[]".into());
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "select t.topic, t.question_id, t.bit from json_each(?1) k cross join topic_question t on t.topic = k.value",
        )
        .bind(json)
        .fetch_all(&mut *conn)
        .await?;
        let mut bits = Bits::default();
        for (topic, question, bit) in rows {
            let next = bits.next.entry(topic.clone()).or_default();
            *next = (*next).max(bit + 1);
            bits.known.insert((topic, question), bit);
        }
        Ok(bits)
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

    async fn save(&mut self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        for (topic, question, bit) in self.added.drain(..) {
            sqlx::query("insert into topic_question (topic, question_id, bit) values (?, ?, ?)")
                .bind(topic)
                .bind(question)
                .bind(bit)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

static UPSERT_TOPICS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "insert into learner_topic (user_id, topic, attempts, last_at, last_attempt_id, mastered, score,
                                    answered_first, right_first, extra)
         select * from (values {}) where column1 is not null
         on conflict (user_id, topic) do update set attempts = excluded.attempts, last_at = excluded.last_at,
           last_attempt_id = excluded.last_attempt_id, mastered = excluded.mastered, score = excluded.score,
           answered_first = excluded.answered_first, right_first = excluded.right_first, extra = excluded.extra",
        values_list(10)
    )
});
static UPSERT_QUESTIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "insert into learner_question (user_id, topic, question_id, answers, correct, first_correct, extra)
         select * from (values {}) where column1 is not null
         on conflict (user_id, topic, question_id) do update set answers = excluded.answers,
           correct = excluded.correct, first_correct = excluded.first_correct, extra = excluded.extra",
        values_list(7)
    )
});

/// Writes learner rows: every topic and question of `after` that differs from `before`.
async fn save_learners(
    conn: &mut SqliteConnection,
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
        for ((topic, q), qa) in &now.questions {
            if was.questions.get(&(topic.clone(), q.clone())) != Some(qa) {
                questions.push((user, topic, q, qa));
            }
        }
    }
    for chunk in topics.chunks(ROWS) {
        let args = rows_args(chunk, 10, |args, (user, topic, t)| {
            bind(args, *user)?;
            bind(args, *topic)?;
            bind(args, t.attempts)?;
            bind(args, t.last_at)?;
            bind(args, t.last_attempt_id)?;
            bind(args, t.mastered)?;
            bind(args, t.score)?;
            bind(args, t.answered_first as i64)?;
            bind(args, t.right_first as i64)?;
            bind(args, agg::topic_extra_json(t))
        })?;
        sqlx::query_with(&UPSERT_TOPICS, args)
            .execute(&mut *conn)
            .await?;
    }
    for chunk in questions.chunks(ROWS) {
        let args = rows_args(chunk, 7, |args, (user, topic, q, qa)| {
            bind(args, *user)?;
            bind(args, *topic)?;
            bind(args, *q)?;
            bind(args, qa.answers)?;
            bind(args, qa.correct)?;
            bind(args, qa.first_correct)?;
            bind(args, qa.extra_json())
        })?;
        sqlx::query_with(&UPSERT_QUESTIONS, args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
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
pub async fn record(
    conn: &mut SqliteConnection,
    attempts: &[(i64, &NewAttempt)],
    moves: &[MasteryMove<'_>],
) -> Result<(), sqlx::Error> {
    if attempts.is_empty() && moves.is_empty() {
        return Ok(());
    }
    let pairs: BTreeSet<(i64, String)> = attempts
        .iter()
        .map(|(_, a)| (a.user_id, a.topic.clone()))
        .chain(moves.iter().map(|m| (m.user_id, m.topic.to_string())))
        .collect();
    let before = load(conn, Keys::Pairs(&pairs)).await?;
    let mut after = before.clone();
    let topics: BTreeSet<String> = pairs.iter().map(|(_, t)| t.clone()).collect();
    let mut bits = Bits::load(conn, &topics).await?;
    let mut replay: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut new_days: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(id, a) in attempts {
        new_days.entry(a.user_id).or_default().push(a.now);
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
    for m in moves {
        if let Some(t) = after
            .get_mut(&m.user_id)
            .and_then(|l| l.topics.get_mut(m.topic))
        {
            t.mastered += m.change;
        }
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
    bits.save(conn).await?;
    save_learners(conn, &before, &after).await?;
    let changes: Vec<Change> = after
        .keys()
        .map(|&user| Change {
            user_id: user,
            topics: pairs
                .iter()
                .filter(|(u, _)| *u == user)
                .map(|(_, t)| t.clone())
                .collect(),
            new_attempts: new_days.remove(&user).unwrap_or_default(),
        })
        .collect();
    apply_to_classes(conn, &changes, &before, &after).await
}

fn fact(n: &super::quiz::NewAnswer) -> AnswerFact<'_> {
    AnswerFact {
        question_id: &n.question_id,
        response: &n.response,
        correct: n.correct,
        misconception: n.misconception.as_deref(),
    }
}

/// What changed for one learner: the topics whose rows changed, and the times of new attempts.
struct Change {
    user_id: i64,
    topics: BTreeSet<String>,
    new_attempts: Vec<i64>,
}

/// A class's sums to change: (class, kind, scope, key) → (n, m, learners).
type ClassDelta = HashMap<(i64, &'static str, String, String), (i64, i64, i64)>;

/// Carries learner changes into the sums of every class the learners are in.
async fn apply_to_classes(
    conn: &mut SqliteConnection,
    changes: &[Change],
    before: &HashMap<i64, LearnerAggs>,
    after: &HashMap<i64, LearnerAggs>,
) -> Result<(), sqlx::Error> {
    let users: Vec<i64> = changes.iter().map(|c| c.user_id).collect();
    let memberships = memberships(conn, &users).await?;
    if memberships.is_empty() {
        return Ok(());
    }
    let with_attempts: Vec<i64> = changes
        .iter()
        .filter(|c| !c.new_attempts.is_empty() && memberships.contains_key(&c.user_id))
        .map(|c| c.user_id)
        .collect();
    let recent = recent(conn, &with_attempts).await?;
    let empty = LearnerAggs::default();
    let mut delta = ClassDelta::new();
    let mut learners: Vec<ClassLearnerChange> = Vec::new();
    let mut added_options: Vec<(i64, String, i64, String, i64)> = Vec::new();
    let mut removed_options: Vec<(i64, String, i64, String, i64)> = Vec::new();
    for change in changes {
        let Some(classes) = memberships.get(&change.user_id) else {
            continue;
        };
        let was = before.get(&change.user_id).unwrap_or(&empty);
        let now = after.get(&change.user_id).unwrap_or(&empty);
        let only = Some(&change.topics);
        let diff = agg::difference(&was.contributions(only), &now.contributions(only));
        let mastered: i64 = change
            .topics
            .iter()
            .map(|t| {
                now.topics.get(t).map_or(0, |a| a.mastered)
                    - was.topics.get(t).map_or(0, |a| a.mastered)
            })
            .sum();
        let (old_options, new_options) = (was.options(only), now.options(only));
        for (class_id, name) in classes {
            for (kind, scope, key, n, m, l) in &diff {
                add(&mut delta, *class_id, kind, scope, key, (*n, *m, *l));
            }
            for &at in &change.new_attempts {
                add(
                    &mut delta,
                    *class_id,
                    "day",
                    "",
                    &jst::day(at).to_string(),
                    (1, 0, 0),
                );
            }
            for (scope, option) in new_options.difference(&old_options) {
                added_options.push((
                    *class_id,
                    scope.clone(),
                    *option,
                    name.clone(),
                    change.user_id,
                ));
            }
            for (scope, option) in old_options.difference(&new_options) {
                removed_options.push((
                    *class_id,
                    scope.clone(),
                    *option,
                    name.clone(),
                    change.user_id,
                ));
            }
            learners.push(ClassLearnerChange {
                class_id: *class_id,
                user_id: change.user_id,
                attempts: change.new_attempts.len() as i64,
                mastered,
                recent: recent.get(&change.user_id).copied(),
            });
        }
    }
    save_delta(conn, delta).await?;
    save_options(conn, &added_options, &removed_options).await?;
    save_class_learners(conn, &learners).await
}

fn add(
    delta: &mut ClassDelta,
    class_id: i64,
    kind: &'static str,
    scope: &str,
    key: &str,
    d: (i64, i64, i64),
) {
    let e = delta
        .entry((class_id, kind, scope.to_string(), key.to_string()))
        .or_default();
    e.0 += d.0;
    e.1 += d.1;
    e.2 += d.2;
}

/// Each learner's classes, with the name the analysis lists them by.
async fn memberships(
    conn: &mut SqliteConnection,
    users: &[i64],
) -> Result<HashMap<i64, Vec<(i64, String)>>, sqlx::Error> {
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "select m.user_id, m.class_id, coalesce(nullif(u.display_name, ''), u.name, '?')
         from json_each(?1) k cross join class_member m on m.user_id = k.value
         join user u on u.user_id = m.user_id",
    )
    .bind(json)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (user, class_id, name) in rows {
        out.entry(user).or_default().push((class_id, name));
    }
    Ok(out)
}

/// A learner's latest attempt and their misses ahead (`classroom::aggregates::miss_counts`).
#[derive(Debug, Clone, Copy)]
struct Recent {
    last_at: i64,
    miss_day: i64,
    miss_counts: i64,
}

/// [`Recent`] for each of `users` who has attempts, from their attempts of the last 14 days before their
/// latest (the attempts index, one learner at a time: bounded by what one learner did in two weeks).
async fn recent(
    conn: &mut SqliteConnection,
    users: &[i64],
) -> Result<HashMap<i64, Recent>, sqlx::Error> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let window = crate::classroom::needs_help::MISS_WINDOW_DAYS - 1;
    let (packed,): (String,) = sqlx::query_as(
        "with latest as (
             select a.user_id, max(a.created_at) as last_at
             from json_each(?1) k cross join attempt a on a.user_id = k.value group by a.user_id)
         select coalesce(json_group_array(json_array(user_id, last_at, topic, day, answered, wrong)), '[]') from (
             select l.user_id, l.last_at, a.topic, (a.created_at + ?2) / 86400 as day,
                    sum(a.question_count) as answered, sum(a.question_count - a.correct_count) as wrong
             from latest l cross join attempt a
               on a.user_id = l.user_id and a.created_at >= ((l.last_at + ?2) / 86400 - ?3) * 86400 - ?2
             group by l.user_id, a.topic, day)",
    )
    .bind(json)
    .bind(jst::OFFSET)
    .bind(window)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<(i64, i64, String, i64, i64, i64)> =
        serde_json::from_str(&packed).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut days: HashMap<i64, (i64, Vec<(String, i64, i64, i64)>)> = HashMap::new();
    for (user, last_at, topic, day, answered, wrong) in rows {
        let e = days.entry(user).or_insert((last_at, Vec::new()));
        e.1.push((topic, day, answered, wrong));
    }
    Ok(days
        .into_iter()
        .map(|(user, (last_at, days))| {
            let base = jst::day(last_at);
            (
                user,
                Recent {
                    last_at,
                    miss_day: base,
                    miss_counts: agg::miss_counts(base, &days),
                },
            )
        })
        .collect())
}

static UPSERT_CLASS_STAT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "insert into class_stat (class_id, kind, scope, key, n, m, learners)
         select * from (values {}) where column1 is not null
         on conflict (class_id, kind, scope, key) do update set n = class_stat.n + excluded.n,
           m = class_stat.m + excluded.m, learners = class_stat.learners + excluded.learners",
        values_list(7)
    )
});

async fn save_delta(conn: &mut SqliteConnection, delta: ClassDelta) -> Result<(), sqlx::Error> {
    let mut rows: Vec<_> = delta.into_iter().filter(|(_, d)| *d != (0, 0, 0)).collect();
    rows.sort();
    for chunk in rows.chunks(ROWS) {
        let args = rows_args(
            chunk,
            7,
            |args, ((class_id, kind, scope, key), (n, m, l))| {
                bind(args, *class_id)?;
                bind(args, *kind)?;
                bind(args, scope.clone())?;
                bind(args, key.clone())?;
                bind(args, *n)?;
                bind(args, *m)?;
                bind(args, *l)
            },
        )?;
        sqlx::query_with(&UPSERT_CLASS_STAT, args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

static INSERT_OPTIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "insert or ignore into class_option_member (class_id, scope, option, name, user_id)
         select * from (values {}) where column1 is not null",
        values_list(5)
    )
});
static DELETE_OPTIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "delete from class_option_member where (class_id, scope, option, name, user_id) in (values {})",
        values_list(5)
    )
});

type OptionRow = (i64, String, i64, String, i64);

async fn save_options(
    conn: &mut SqliteConnection,
    added: &[OptionRow],
    removed: &[OptionRow],
) -> Result<(), sqlx::Error> {
    for (rows, sql) in [(added, &*INSERT_OPTIONS), (removed, &*DELETE_OPTIONS)] {
        for chunk in rows.chunks(ROWS) {
            let args = rows_args(chunk, 5, |args, (class_id, scope, option, name, user)| {
                bind(args, *class_id)?;
                bind(args, scope.clone())?;
                bind(args, *option)?;
                bind(args, name.clone())?;
                bind(args, *user)
            })?;
            sqlx::query_with(sql, args).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// A member's row of `class_learner` to change: attempts and mastered questions to add, and their latest
/// attempt and misses as they are now (unchanged when `None`).
struct ClassLearnerChange {
    class_id: i64,
    user_id: i64,
    attempts: i64,
    mastered: i64,
    recent: Option<Recent>,
}

static UPDATE_CLASS_LEARNERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "update class_learner set attempts = class_learner.attempts + v.column3,
           mastered = class_learner.mastered + v.column4,
           last_at = coalesce(v.column5, class_learner.last_at),
           miss_day = coalesce(v.column6, class_learner.miss_day),
           miss_counts = coalesce(v.column7, class_learner.miss_counts)
         from (values {}) v where class_learner.class_id = v.column1 and class_learner.user_id = v.column2",
        values_list(7)
    )
});

async fn save_class_learners(
    conn: &mut SqliteConnection,
    rows: &[ClassLearnerChange],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS) {
        let args = rows_args(chunk, 7, |args, c| {
            bind(args, c.class_id)?;
            bind(args, c.user_id)?;
            bind(args, c.attempts)?;
            bind(args, c.mastered)?;
            bind(args, c.recent.map(|r| r.last_at))?;
            bind(args, c.recent.map(|r| r.miss_day))?;
            bind(args, c.recent.map(|r| r.miss_counts))
        })?;
        sqlx::query_with(&UPDATE_CLASS_LEARNERS, args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A topic reset: the learner's mastered questions in `topic` are gone (their answers are not), in their
/// row and in their classes' sums.
pub async fn reset_topic(
    conn: &mut SqliteConnection,
    user_id: i64,
    topic: &str,
) -> Result<(), sqlx::Error> {
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
    save_learners(conn, &before, &after).await?;
    let change = Change {
        user_id,
        topics: BTreeSet::from([topic.to_string()]),
        new_attempts: Vec::new(),
    };
    apply_to_classes(conn, &[change], &before, &after).await
}

/// Members joining (`sign` 1) or leaving (`sign` −1) class `class_id`: what they bring is added to the
/// class's sums, or taken away, with their `class_learner` rows and the options they chose. The
/// `class_member` rows are the caller's (`store::classes`).
pub async fn add_members(
    conn: &mut SqliteConnection,
    class_id: i64,
    users: &[i64],
    sign: i64,
) -> Result<(), sqlx::Error> {
    for chunk in users.chunks(500) {
        let aggs = load(conn, Keys::Users(chunk)).await?;
        let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
        let names: Vec<(i64, String, String, String)> = sqlx::query_as(
            "select u.user_id, u.display_name, coalesce(u.name, ''), coalesce(nullif(u.display_name, ''), u.name, '?')
             from json_each(?1) k cross join user u on u.user_id = k.value",
        )
        .bind(&json)
        .fetch_all(&mut *conn)
        .await?;
        let days: Vec<(i64, i64)> = sqlx::query_as(
            "select (a.created_at + ?2) / 86400 as day, count(*)
             from json_each(?1) k cross join attempt a on a.user_id = k.value group by day",
        )
        .bind(&json)
        .bind(jst::OFFSET)
        .fetch_all(&mut *conn)
        .await?;
        let recent = recent(conn, chunk).await?;
        let empty = LearnerAggs::default();
        let mut delta = ClassDelta::new();
        add(
            &mut delta,
            class_id,
            "members",
            "",
            "",
            (sign * chunk.len() as i64, 0, sign * chunk.len() as i64),
        );
        for (day, count) in days {
            add(
                &mut delta,
                class_id,
                "day",
                "",
                &day.to_string(),
                (sign * count, 0, 0),
            );
        }
        let mut options: Vec<OptionRow> = Vec::new();
        let mut rows: Vec<(i64, String, i64, Option<i64>, i64, i64, i64)> = Vec::new();
        for (user, display_name, name, listed) in &names {
            let l = aggs.get(user).unwrap_or(&empty);
            let contributions = l.contributions(None);
            let diff = if sign > 0 {
                agg::difference(&[], &contributions)
            } else {
                agg::difference(&contributions, &[])
            };
            for (kind, scope, key, n, m, learners) in &diff {
                add(&mut delta, class_id, kind, scope, key, (*n, *m, *learners));
            }
            for (scope, option) in l.options(None) {
                options.push((class_id, scope, option, listed.clone(), *user));
            }
            let r = recent.get(user);
            let shown = if display_name.is_empty() {
                name
            } else {
                display_name
            };
            rows.push((
                *user,
                shown.to_lowercase(),
                l.topics.values().map(|t| t.attempts).sum(),
                r.map(|r| r.last_at),
                l.topics.values().map(|t| t.mastered).sum(),
                r.map_or(0, |r| r.miss_day),
                r.map_or(0, |r| r.miss_counts),
            ));
        }
        save_delta(conn, delta).await?;
        if sign > 0 {
            save_options(conn, &options, &[]).await?;
            for (user, sort_name, attempts, last_at, mastered, miss_day, miss_counts) in rows {
                sqlx::query(
                    "insert into class_learner (class_id, user_id, sort_name, attempts, last_at, mastered, miss_day, miss_counts)
                     values (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(class_id)
                .bind(user)
                .bind(sort_name)
                .bind(attempts)
                .bind(last_at)
                .bind(mastered)
                .bind(miss_day)
                .bind(miss_counts)
                .execute(&mut *conn)
                .await?;
            }
        } else {
            save_options(conn, &[], &options).await?;
            sqlx::query(
                "delete from class_learner where class_id = ?1 and user_id in (select value from json_each(?2))",
            )
            .bind(class_id)
            .bind(&json)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The learners' rows as their history gives them, in `topic` only or in every topic: their attempts in
/// order (time, then id) through `classroom::aggregates::apply_answer`, and mastered questions from
/// `question_progress`. Nothing is written.
async fn replay_history(
    conn: &mut SqliteConnection,
    users: &[i64],
    topic: Option<&str>,
    bits: &mut Bits,
) -> Result<HashMap<i64, LearnerAggs>, sqlx::Error> {
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "select a.user_id,
                json_group_array(json_array(a.attempt_id, a.topic, a.created_at, w.question_id, w.response, w.correct,
                                            w.misconception) order by a.created_at, a.attempt_id, w.position)
         from json_each(?1) k cross join attempt a on a.user_id = k.value and (?2 is null or a.topic = ?2)
         left join answer w on w.attempt_id = a.attempt_id
         group by a.user_id",
    )
    .bind(&json)
    .bind(topic)
    .fetch_all(&mut *conn)
    .await?;
    type Packed = (
        i64,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let mut out: HashMap<i64, LearnerAggs> = HashMap::new();
    let mut seen_topics: BTreeSet<String> = BTreeSet::new();
    let mut parsed: Vec<(i64, Vec<Packed>)> = Vec::new();
    for (user, packed) in rows {
        let answers: Vec<Packed> =
            serde_json::from_str(&packed).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        seen_topics.extend(answers.iter().map(|a| a.1.clone()));
        parsed.push((user, answers));
    }
    let missing: BTreeSet<String> = seen_topics
        .into_iter()
        .filter(|t| !bits.next.contains_key(t))
        .collect();
    if !missing.is_empty() {
        let loaded = Bits::load(conn, &missing).await?;
        bits.known.extend(loaded.known);
        bits.next.extend(loaded.next);
    }
    for (user, answers) in parsed {
        let LearnerAggs { topics, questions } = out.entry(user).or_default();
        for (attempt_id, topic, created_at, question_id, response, correct, misconception) in
            answers
        {
            let t = topics.entry(topic.clone()).or_default();
            if (created_at, attempt_id) != (t.last_at, t.last_attempt_id) || t.attempts == 0 {
                t.attempts += 1;
                t.last_at = created_at;
                t.last_attempt_id = attempt_id;
            }
            let (Some(question_id), Some(response), Some(correct)) =
                (question_id, response, correct)
            else {
                continue;
            };
            let bit = bits.get(&topic, &question_id);
            let q = questions.entry((topic, question_id.clone())).or_default();
            let answer = AnswerFact {
                question_id: &question_id,
                response: &response,
                correct: correct != 0,
                misconception: misconception.as_deref(),
            };
            agg::apply_answer(t, q, bit, &answer);
        }
    }
    let mastered: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
        "select p.user_id, p.topic, count(*) from json_each(?1) k
         cross join question_progress p on p.user_id = k.value and (?2 is null or p.topic = ?2) and p.{}
         group by p.user_id, p.topic",
        super::MASTERED
    ))
    .bind(&json)
    .bind(topic)
    .fetch_all(&mut *conn)
    .await?;
    for (user, topic, count) in mastered {
        out.entry(user)
            .or_default()
            .topics
            .entry(topic)
            .or_default()
            .mastered = count;
    }
    Ok(out)
}

/// Makes the learners' rows again from their history (every topic), replacing what was stored. Their
/// classes' sums are the caller's: take the members out before ([`add_members`] with −1) and put them
/// back after.
pub async fn rebuild_users(conn: &mut SqliteConnection, users: &[i64]) -> Result<(), sqlx::Error> {
    for chunk in users.chunks(200) {
        let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
        for table in ["learner_topic", "learner_question"] {
            sqlx::query(&format!(
                "delete from {table} where user_id in (select value from json_each(?1))"
            ))
            .bind(&json)
            .execute(&mut *conn)
            .await?;
        }
        let mut bits = Bits::default();
        let fresh = replay_history(conn, chunk, None, &mut bits).await?;
        bits.save(conn).await?;
        save_learners(conn, &HashMap::new(), &fresh).await?;
    }
    Ok(())
}

/// Builds every aggregate from the history when the database has none yet (the first start after
/// migration 0008; a fresh database, at once). Returns whether it did.
pub async fn rebuild_if_needed(pool: &SqlitePool) -> Result<bool, sqlx::Error> {
    let done: Option<(i64,)> = sqlx::query_as("select rebuilt_at from aggregate_state limit 1")
        .fetch_optional(pool)
        .await?;
    if done.is_some() {
        return Ok(false);
    }
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    rebuild_all(&mut tx).await?;
    sqlx::query("insert into aggregate_state (rebuilt_at) values (?)")
        .bind(super::now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Every aggregate made again from the history, inside the caller's transaction (bit positions are
/// kept). `tests/aggregates.rs` compares what the incremental updates left with this.
pub async fn rebuild_all(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    for table in [
        "learner_topic",
        "learner_question",
        "class_learner",
        "class_stat",
        "class_option_member",
    ] {
        sqlx::query(&format!("delete from {table}"))
            .execute(&mut *conn)
            .await?;
    }
    let users: Vec<(i64,)> = sqlx::query_as(
        "select user_id from attempt group by user_id
         union select user_id from question_progress group by user_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let users: Vec<i64> = users.into_iter().map(|(u,)| u).collect();
    rebuild_users(conn, &users).await?;
    let members: Vec<(i64, i64)> =
        sqlx::query_as("select class_id, user_id from class_member order by class_id, user_id")
            .fetch_all(&mut *conn)
            .await?;
    let mut by_class: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (class_id, user) in members {
        by_class.entry(class_id).or_default().push(user);
    }
    for (class_id, users) in by_class {
        add_members(conn, class_id, &users, 1).await?;
    }
    Ok(())
}
