//! The aggregates made again from the history: a learner's rows (a merge, an attempt that arrives older
//! than one already counted), or everything (the first start after migration 0008).

use super::{Bits, LearnerAggs, add_members, save_learners};
use crate::classroom::aggregates::{self as agg, AnswerFact};
use crate::store::batch::Script;
use sqlx::{SqliteConnection, SqlitePool};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The learners' rows as their history gives them, in `topic` only or in every topic: their attempts in
/// order (time, then id) through `classroom::aggregates::apply_answer`, and mastered questions from
/// `question_progress`. Nothing is written.
pub(super) async fn replay_history(
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
        crate::store::MASTERED
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
        let mut script = Script::default();
        bits.save(&mut script)?;
        save_learners(&mut script, &HashMap::new(), &fresh)?;
        script.run(conn).await?;
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
        .bind(crate::store::now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Every aggregate made again from the history, inside the caller's transaction (bit positions are
/// kept): every class's members added again, each made from their history on the way
/// (`add_members`). `tests/aggregates.rs` compares what the incremental updates left with this.
pub async fn rebuild_all(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    for table in [
        "learner_topic",
        "learner_question",
        "learner_recent",
        "class_learner",
        "class_stat",
        "class_option_member",
        "class_rank",
    ] {
        sqlx::query(&format!("delete from {table}"))
            .execute(&mut *conn)
            .await?;
    }
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
