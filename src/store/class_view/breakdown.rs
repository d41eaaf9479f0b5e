//! The question analysis of one topic from a class's sums (`store::aggregates`): the figures
//! `classroom::item_stats::Tallies` computes from the history, read as a few ranges of `class_stat`, with
//! the discrimination index's groups from the sums per score and, at a group's edge, a few members' bit
//! sets (`class_rank`).

use crate::classroom::aggregates::{self as agg, SEP};
use crate::classroom::item_stats::{
    Breakdown, MIN_RANKED, MisconceptionCount, OptionChoice, QuestionStats, WrongResponse,
    group_size,
};
use crate::db::Db;
use crate::on;
use std::collections::{BTreeMap, HashMap};

/// The question analysis of `topic` for `class_id` from the class's sums, with the first `names` learners
/// named under each option and the `wrong_limit` most common wrong responses per question: the same
/// [`Breakdown`] `classroom::item_stats::Tallies` computes from the history. `None` for a topic with more
/// questions than the first-answer bit sets hold (`classroom::aggregates::MAX_BITS`): the caller reads the
/// history then.
pub async fn breakdown(
    db: &Db,
    class_id: i64,
    topic: &str,
    wrong_limit: usize,
    names: usize,
) -> Result<Option<Breakdown>, sqlx::Error> {
    let bits: Vec<(String, i64)> = on!(db, pool => {
        sqlx::query_as("select question_id, bit from topic_question where topic = $1")
            .bind(topic)
            .fetch_all(pool)
            .await?
    });
    if bits.iter().any(|(_, b)| *b >= agg::MAX_BITS) {
        return Ok(None);
    }
    let (from, to) = (format!("{topic}{SEP}"), format!("{topic}\u{20}"));
    // Each kind a range of the primary key: the topic's own sums, then its questions'. The ranges hold
    // in byte order (SQLite's), which PostgreSQL is told: in most locales a control character such as
    // the separator weighs nothing, and the range would not be the topic's questions.
    let sql = match db {
        Db::Sqlite(_) => {
            "select kind, scope, key, n, m, learners from class_stat
             where class_id = ?1 and kind in ('rank', 'topic_tag') and scope = ?2 and (n != 0 or learners != 0)
             union all
             select kind, scope, key, n, m, learners from class_stat
             where class_id = ?1 and kind in ('q', 'qrank', 'option', 'tag') and scope >= ?3 and scope < ?4
               and (n != 0 or learners != 0)"
        }
        Db::Postgres(_) => {
            r#"select kind, scope, key, n, m, learners from class_stat
             where class_id = $1 and kind in ('rank', 'topic_tag') and scope = $2 and (n != 0 or learners != 0)
             union all
             select kind, scope, key, n, m, learners from class_stat
             where class_id = $1 and kind in ('q', 'qrank', 'option', 'tag')
               and scope collate "C" >= $3 and scope collate "C" < $4 and (n != 0 or learners != 0)"#
        }
    };
    let rows: Vec<(String, String, String, i64, i64, i64)> = on!(db, pool => {
        sqlx::query_as(sql)
            .bind(class_id)
            .bind(topic)
            .bind(&from)
            .bind(&to)
            .fetch_all(pool)
            .await?
    });
    let question = |scope: &str| scope.split_once(SEP).map(|(_, q)| q.to_string());
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_score: BTreeMap<i64, HashMap<String, (i64, i64)>> = BTreeMap::new();
    let mut buckets: BTreeMap<i64, i64> = BTreeMap::new();
    let mut options = Vec::new();
    let mut tags = Vec::new();
    for (kind, scope, key, n, m, learners) in rows {
        match kind.as_str() {
            "rank" => {
                if let Ok(score) = key.parse() {
                    *buckets.entry(score).or_default() += n;
                }
            }
            "q" if learners > 0 => {
                totals.insert(question(&scope).unwrap_or_default(), (n, m));
            }
            "qrank" => {
                if let (Ok(score), Some(q)) = (key.parse(), question(&scope)) {
                    let e = by_score.entry(score).or_default().entry(q).or_default();
                    e.0 += n;
                    e.1 += m;
                }
            }
            "option" if learners > 0 => {
                if let (Ok(option), Some(q)) = (key.parse::<usize>(), question(&scope)) {
                    options.push((scope.clone(), q, option, n, learners));
                }
            }
            "tag" | "topic_tag" if learners > 0 => {
                if let Some((blank, tag)) = agg::parse_tag_key(&key) {
                    tags.push(MisconceptionCount {
                        question_id: if kind == "tag" {
                            question(&scope)
                        } else {
                            None
                        },
                        tag,
                        blank,
                        times: n,
                        learners,
                    });
                }
            }
            _ => {}
        }
    }
    let ranked: i64 = buckets.values().sum();
    let groups = Groups::of(db, class_id, topic, &bits, &buckets, &by_score, ranked).await?;
    let mut stats: Vec<QuestionStats> = totals
        .into_iter()
        .map(|(q, (attempts, correct))| {
            let (first_answers, first_correct) = by_score
                .values()
                .filter_map(|per| per.get(&q))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            let (upper_answers, upper_correct) = groups.upper.get(&q).copied().unwrap_or_default();
            let (lower_answers, lower_correct) = groups.lower.get(&q).copied().unwrap_or_default();
            QuestionStats {
                question_id: q,
                attempts,
                correct,
                first_answers,
                first_correct,
                upper_answers,
                upper_correct,
                lower_answers,
                lower_correct,
                ranked,
            }
        })
        .collect();
    stats.sort_by(|a, b| a.question_id.cmp(&b.question_id));

    // Names in byte order on both (SQLite's), whatever PostgreSQL's locale.
    let listed_sql = match db {
        Db::Sqlite(_) => {
            "select user_id, name from class_option_member where class_id = ?1 and scope = ?2 and option = ?3
             order by name, user_id limit ?4"
        }
        Db::Postgres(_) => {
            r#"select user_id, name from class_option_member where class_id = $1 and scope = $2 and option = $3
             order by name collate "C", user_id limit $4"#
        }
    };
    let mut choices = Vec::with_capacity(options.len());
    for (scope, question_id, option, times, learner_count) in options {
        let listed: Vec<(i64, String)> = on!(db, pool => {
            sqlx::query_as(listed_sql)
                .bind(class_id)
                .bind(&scope)
                .bind(option as i64)
                .bind(names as i64)
                .fetch_all(pool)
                .await?
        });
        choices.push(OptionChoice {
            question_id,
            option,
            times,
            learner_count,
            learners: listed,
        });
    }
    choices.sort_by(|a, b| {
        a.question_id
            .cmp(&b.question_id)
            .then(a.option.cmp(&b.option))
    });
    tags.sort_by(|a, b| {
        a.question_id
            .cmp(&b.question_id)
            .then(b.times.cmp(&a.times))
            .then(a.tag.cmp(&b.tag))
            .then(a.blank.cmp(&b.blank))
    });

    // The most common wrong responses per question: the first few of the `class_stat_responses` index
    // (a large class types many), each with the greatest tag it came with.
    // Keys in byte order on both, as above.
    let (top_sql, tags_sql) = match db {
        Db::Sqlite(_) => (
            "select key, n, learners from class_stat
             where class_id = ?1 and scope = ?2 and kind = 'response' and learners > 0
             order by n desc, key limit ?3",
            "select key from class_stat where class_id = ?1 and kind = 'response_tag' and scope = ?2
               and key >= ?3 and key < ?3 || char(1114111) and n > 0",
        ),
        Db::Postgres(_) => (
            r#"select key, n, learners from class_stat
             where class_id = $1 and scope = $2 and kind = 'response' and learners > 0
             order by n desc, key collate "C" limit $3"#,
            r#"select key from class_stat where class_id = $1 and kind = 'response_tag' and scope = $2
               and key collate "C" >= $3 and key collate "C" < $3 || chr(1114111) and n > 0"#,
        ),
    };
    let mut wrong: Vec<WrongResponse> = Vec::new();
    for question_id in stats.iter().map(|s| s.question_id.clone()) {
        let scope = agg::question_scope(topic, &question_id);
        let top: Vec<(String, i64, i64)> = on!(db, pool => {
            sqlx::query_as(top_sql)
                .bind(class_id)
                .bind(&scope)
                .bind(wrong_limit as i64)
                .fetch_all(pool)
                .await?
        });
        for (response, times, learners) in top {
            // `response_tag` keys are `[response, tag]`: the response's own are a range.
            let prefix = agg::response_tag_key(&response, "");
            let prefix = prefix.trim_end_matches("\"\"]");
            let tags: Vec<(String,)> = on!(db, pool => {
                sqlx::query_as(tags_sql)
                    .bind(class_id)
                    .bind(&scope)
                    .bind(prefix)
                    .fetch_all(pool)
                    .await?
            });
            let misconception = tags
                .iter()
                .filter_map(|(key,)| agg::parse_response_tag_key(key))
                .filter(|(r, _)| *r == response)
                .map(|(_, tag)| tag)
                .max();
            wrong.push(WrongResponse {
                question_id: question_id.clone(),
                response,
                misconception,
                times,
                learners,
            });
        }
    }
    wrong.sort_by(|a, b| {
        a.question_id
            .cmp(&b.question_id)
            .then(b.times.cmp(&a.times))
            .then(a.response.cmp(&b.response))
    });
    Ok(Some(Breakdown {
        stats,
        options: choices,
        tags,
        wrong,
    }))
}

/// First answers per question (answers, right) in the upper and lower groups of the discrimination index.
#[derive(Debug, Default)]
struct Groups {
    upper: HashMap<String, (i64, i64)>,
    lower: HashMap<String, (i64, i64)>,
}

impl Groups {
    /// The groups of `classroom::item_stats` — the top and bottom `group_size(ranked)` members by score,
    /// ties by user id — from the sums per score; only the members of the score at a group's edge are
    /// read one by one (the fewer of those in and those out), as bit sets.
    async fn of(
        db: &Db,
        class_id: i64,
        topic: &str,
        bits: &[(String, i64)],
        buckets: &BTreeMap<i64, i64>,
        by_score: &BTreeMap<i64, HashMap<String, (i64, i64)>>,
        ranked: i64,
    ) -> Result<Groups, sqlx::Error> {
        let mut groups = Groups::default();
        if ranked < MIN_RANKED {
            return Ok(groups);
        }
        let k = group_size(ranked);
        for upper in [true, false] {
            let scores: Vec<(i64, i64)> = if upper {
                buckets.iter().rev().map(|(s, n)| (*s, *n)).collect()
            } else {
                buckets.iter().map(|(s, n)| (*s, *n)).collect()
            };
            let group = if upper {
                &mut groups.upper
            } else {
                &mut groups.lower
            };
            let mut taken = 0;
            for (score, size) in scores {
                if taken >= k {
                    break;
                }
                let whole = by_score.get(&score);
                let want = (k - taken).min(size);
                taken += want;
                if want == size {
                    for (q, (a, c)) in whole.into_iter().flatten() {
                        let e = group.entry(q.clone()).or_default();
                        e.0 += a;
                        e.1 += c;
                    }
                    continue;
                }
                // The upper group takes the lowest user ids at its edge; the lower group the highest
                // (the bottom of the ranking). Read the smaller side: those in, or those out.
                let in_from_low_ids = upper;
                let (read, low_ids, sign) = if want * 2 <= size {
                    (want, in_from_low_ids, 1)
                } else {
                    (size - want, !in_from_low_ids, -1)
                };
                if sign < 0 {
                    for (q, (a, c)) in whole.into_iter().flatten() {
                        let e = group.entry(q.clone()).or_default();
                        e.0 += a;
                        e.1 += c;
                    }
                }
                let masks = edge(db, class_id, topic, score, low_ids, read).await?;
                for (q, bit) in bits {
                    let (mut a, mut c) = (0, 0);
                    for (answered, right) in &masks {
                        a += (answered >> bit) & 1;
                        c += (right >> bit) & 1;
                    }
                    if a != 0 || c != 0 {
                        let e = group.entry(q.clone()).or_default();
                        e.0 += sign * a;
                        e.1 += sign * c;
                    }
                }
            }
        }
        Ok(groups)
    }
}

/// The first-answer bit sets of `count` members of `class_id` with `score` on `topic`, from the lowest
/// user ids (`low_ids`) or the highest: a range of `class_rank`.
async fn edge(
    db: &Db,
    class_id: i64,
    topic: &str,
    score: i64,
    low_ids: bool,
    count: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let dir = if low_ids { "asc" } else { "desc" };
    let sql = match db {
        Db::Sqlite(_) => format!(
            "select coalesce(group_concat(answered_first || ',' || right_first, ';'), '') from (
                 select answered_first, right_first from class_rank
                 where topic = ?1 and score = ?2 and class_id = ?3
                 order by user_id {dir} limit ?4)"
        ),
        Db::Postgres(_) => format!(
            "select coalesce(string_agg(concat_ws(',', answered_first, right_first), ';'), '') from (
                 select answered_first, right_first from class_rank
                 where topic = $1 and score = $2 and class_id = $3
                 order by user_id {dir} limit $4) e"
        ),
    };
    let (packed,): (String,) = on!(db, pool => {
        sqlx::query_as(&sql)
            .bind(topic)
            .bind(score)
            .bind(class_id)
            .bind(count)
            .fetch_one(pool)
            .await?
    });
    Ok(packed
        .split(';')
        .filter_map(|m| {
            let (a, r) = m.split_once(',')?;
            Some((a.parse().ok()?, r.parse().ok()?))
        })
        .collect())
}
