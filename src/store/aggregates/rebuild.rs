//! The aggregates made again from the history: a learner's rows (a merge, an attempt that arrives older
//! than one already counted), or everything (the first start after migration 0008).

use super::{Bits, LearnerAggs, add_members, lock, save_learners, users_from};
use crate::classroom::aggregates::{self as agg, AnswerFact};
use crate::db::{Conn, Db};
use crate::store::batch::Script;
use crate::{in_tx, on_conn};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The learners' rows as their history gives them, in `topic` only or in every topic: their attempts in
/// order (time, then id) through `classroom::aggregates::apply_answer`, and mastered questions from
/// `question_progress`. Nothing is written.
pub(super) async fn replay_history(
    conn: &mut Conn<'_>,
    users: &[i64],
    topic: Option<&str>,
    bits: &mut Bits,
) -> Result<HashMap<i64, LearnerAggs>, sqlx::Error> {
    let json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
    let postgres = matches!(conn, Conn::Postgres(_));
    let (first, second) = if postgres {
        ("$1", "$2::text")
    } else {
        ("?1", "?2")
    };
    let history = format!(
        "select a.user_id, {}(json_{}(a.attempt_id, a.topic, a.created_at, w.question_id, w.response, w.correct,
                                  w.misconception) order by a.created_at, a.attempt_id, w.position){}
         from {}
         left join answer w on w.attempt_id = a.attempt_id
         group by a.user_id",
        if postgres { "json_agg" } else { "json_group_array" },
        if postgres { "build_array" } else { "array" },
        if postgres { "::text" } else { "" },
        users_from(
            postgres,
            first,
            &format!("attempt a on a.user_id = k.value and ({second} is null or a.topic = {second})")
        ),
    );
    let rows: Vec<(i64, String)> = on_conn!(conn.reborrow(), c => sqlx::query_as(&history)
        .bind(&json)
        .bind(topic)
        .fetch_all(c)
        .await)?;
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
    let mastered = format!(
        "select p.user_id, p.topic, count(*) from {}
         group by p.user_id, p.topic",
        users_from(
            postgres,
            first,
            &format!(
                "question_progress p on p.user_id = k.value and ({second} is null or p.topic = {second}) and p.{}",
                crate::store::MASTERED
            )
        ),
    );
    let mastered: Vec<(i64, String, i64)> = on_conn!(conn.reborrow(), c => sqlx::query_as(&mastered)
        .bind(&json)
        .bind(topic)
        .fetch_all(c)
        .await)?;
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
pub async fn rebuild_users<'c>(
    conn: impl Into<Conn<'c>>,
    users: &[i64],
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    let conn = &mut conn;
    lock(conn).await?;
    let in_users = conn.pick(
        "user_id in (select value from json_each(?1))",
        "user_id in (select value::bigint from json_array_elements_text($1::json))",
    );
    for chunk in users.chunks(200) {
        let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
        for table in ["learner_topic", "learner_question"] {
            let sql = format!("delete from {table} where {in_users}");
            on_conn!(conn.reborrow(), c => sqlx::query(&sql).bind(&json).execute(c).await.map(|_| ()))?;
        }
        let mut bits = Bits::default();
        let fresh = replay_history(conn, chunk, None, &mut bits).await?;
        let mut script = Script::new(conn);
        bits.save(&mut script)?;
        save_learners(&mut script, &HashMap::new(), &fresh)?;
        script.run(conn).await?;
    }
    Ok(())
}

/// Builds every aggregate from the history when the database has none yet (the first start after
/// migration 0008; a fresh database, at once). Returns whether it did. Instances starting together on
/// one PostgreSQL database build them once: the others wait for the lock, then find them built.
pub async fn rebuild_if_needed(db: &Db) -> Result<bool, sqlx::Error> {
    const DONE: &str = "select rebuilt_at from aggregate_state limit 1";
    let done: Option<(i64,)> =
        crate::on!(db, pool => sqlx::query_as(DONE).fetch_optional(pool).await)?;
    if done.is_some() {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    lock(&mut (&mut tx).into()).await?;
    let done: Option<(i64,)> =
        in_tx!(&mut tx, conn => sqlx::query_as(DONE).fetch_optional(conn).await)?;
    if done.is_some() {
        return Ok(false);
    }
    rebuild_all(&mut tx).await?;
    in_tx!(&mut tx, conn => sqlx::query("insert into aggregate_state (rebuilt_at) values ($1)")
        .bind(crate::store::now())
        .execute(conn)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(true)
}

/// Every aggregate made again from the history, inside the caller's transaction (bit positions are
/// kept): every class's members added again, each made from their history on the way
/// (`add_members`). `tests/aggregates.rs` compares what the incremental updates left with this.
pub async fn rebuild_all<'c>(conn: impl Into<Conn<'c>>) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    lock(&mut conn).await?;
    for table in [
        "learner_topic",
        "learner_question",
        "learner_recent",
        "class_learner",
        "class_stat",
        "class_option_member",
        "class_rank",
    ] {
        let sql = format!("delete from {table}");
        on_conn!(conn.reborrow(), c => sqlx::query(&sql).execute(c).await.map(|_| ()))?;
    }
    let members: Vec<(i64, i64)> = on_conn!(conn.reborrow(), c => sqlx::query_as(
        "select class_id, user_id from class_member order by class_id, user_id",
    )
    .fetch_all(c)
    .await)?;
    let mut by_class: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (class_id, user) in members {
        by_class.entry(class_id).or_default().push(user);
    }
    for (class_id, users) in by_class {
        add_members(conn.reborrow(), class_id, &users, 1).await?;
    }
    Ok(())
}
