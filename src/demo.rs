//! `infra-dojo demo-seed`: a demo instructor, a class of synthetic learners and a few weeks of attempts, so
//! a newcomer sees a full instructor view in one command. Everything is named as demo data (デモ…).
//!
//! The answers are not random strings: each learner has an ability, each question a difficulty, and the
//! chance of a right answer grows with ability, ease and practice. A wrong answer picks a real wrong option
//! (or a known wrong value), and every response goes through the real presenter and grader, so the stored
//! answers, misconception tags and scores are what the quiz itself would have stored. The attempts go
//! through the quiz's own writer (`store::quiz::write_attempts`), so the review states and levels are what
//! learners answering in that order would have; thousands of learners load in seconds, in one transaction (all
//! or nothing). Seeding is idempotent: a second run finds the demo class
//! and writes nothing.

use crate::auth::Role;
use crate::content::Course;
use crate::db::Tx;
use crate::jst::DAY;
use crate::quiz::bank::{Bank, Kind, Question};
use crate::quiz::grade::{self, Response};
use crate::quiz::present::question_seed;
use crate::store;
use crate::store::class_stats::bulk;
use crate::store::quiz::{NewAnswer, NewAttempt};
use crate::widgets::Widget;
use crate::widgets::handshake;
use crate::widgets::rng::Rng;
use std::collections::HashMap;

/// The demo instructor's login name.
pub const TEACHER_NAME: &str = "demo-teacher";
/// The demo instructor's display name.
pub const TEACHER_DISPLAY_NAME: &str = "デモ講師";
/// The password of every demo account (it is demo data: never use it for anything real).
pub const PASSWORD: &str = "demo-password";
/// The demo class's name.
pub const CLASS_NAME: &str = "デモクラス（デモデータ）";

/// The log-in page of a server listening on `bind`, as a browser on the same machine reaches it: an
/// unspecified address (0.0.0.0, ::) is reached through loopback.
pub fn login_url(bind: std::net::SocketAddr) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!(
        "http://{}/login",
        std::net::SocketAddr::new(ip, bind.port())
    )
}

/// The command that serves this database (and content) on `bind`, from a checkout as the README runs
/// it: only what differs from the defaults is written.
pub fn serve_command(
    db: &std::path::Path,
    content: Option<&std::path::Path>,
    bind: std::net::SocketAddr,
) -> String {
    let mut flags = Vec::new();
    if db != std::path::Path::new("data/infra-dojo.db") {
        flags.push(format!("--db {}", db.display()));
    }
    if let Some(dir) = content {
        flags.push(format!("--content {}", dir.display()));
    }
    if bind.to_string() != "127.0.0.1:3000" {
        flags.push(format!("--bind {bind}"));
    }
    let mut command = "cargo run --release -- serve".to_string();
    for flag in flags {
        command.push(' ');
        command.push_str(&flag);
    }
    command
}

/// Learners written per batch of attempts (bounded memory for large classes): each batch is one
/// `write_attempts`, whose writes go to SQLite as one command (`store::batch::Script`) holding every value
/// of the batch — at 200 learners the seeder peaked at 908 MB for 3,000 learners × 50 attempts, at 40 at
/// 484 MB, and took 24.3 s instead of 25.9.
const LEARNERS_PER_BATCH: usize = 40;

/// What to create.
#[derive(Debug, Clone)]
pub struct Options {
    pub learners: usize,
    /// Attempts per learner.
    pub attempts: usize,
    /// Seeds the whole data set: the same seed gives the same learners and answers.
    pub seed: u64,
    /// "Now" for the timeline (unix seconds): attempts fall in the four weeks before it.
    pub now: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            learners: 30,
            attempts: 20,
            seed: 20_240_401,
            now: crate::store::now(),
        }
    }
}

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created {
        class_id: i64,
        join_code: String,
        learners: usize,
        attempts: usize,
        answers: usize,
        widget_answers: usize,
    },
    /// The demo class was already there: nothing was written.
    AlreadyThere { class_id: i64 },
}

/// A learner's name: `demo-01`… (wider when there are 100 or more).
pub fn learner_name(i: usize, count: usize) -> (String, String) {
    let width = count.to_string().len().max(2);
    (
        format!("demo-{:0width$}", i + 1),
        format!("デモ受講者{:0width$}", i + 1),
    )
}

/// A uniform number in [0, 1).
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Roughly normal (sum of uniforms), mean 0, sd 1.
fn normal(rng: &mut Rng) -> f64 {
    (0..12).map(|_| unit(rng)).sum::<f64>() - 6.0
}

/// A stable difficulty in [-1.2, 1.2] for a question id (generated questions a little harder).
fn difficulty(q: &Question) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in q.id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let base = (h % 2401) as f64 / 1000.0 - 1.2;
    if matches!(q.kind, Kind::Generated { .. }) {
        base + 0.4
    } else {
        base
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Picks an index with the given weights (at least one positive).
fn weighted(rng: &mut Rng, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    let mut r = rng.below(total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    0
}

/// A response meant to be right, or a realistic wrong one (a real wrong option, a known wrong value).
fn respond(q: &Question, attempt_seed: u64, right: bool, rng: &mut Rng) -> Response {
    if !right && rng.below(40) == 0 {
        return Response::Blank;
    }
    match &q.kind {
        Kind::Single { options } | Kind::Multiple { options } => {
            let correct: Vec<usize> = (0..options.len()).filter(|&i| options[i].correct).collect();
            let wrong: Vec<usize> = (0..options.len())
                .filter(|&i| !options[i].correct)
                .collect();
            if right || wrong.is_empty() {
                return Response::Choice(correct);
            }
            // Options with a misconception tag are the tempting ones.
            let weights: Vec<u64> = wrong
                .iter()
                .map(|&i| {
                    if options[i].misconception.is_some() {
                        3
                    } else {
                        1
                    }
                })
                .collect();
            let pick = wrong[weighted(rng, &weights)];
            match q.kind {
                Kind::Multiple { .. } if correct.len() > 1 && rng.below(2) == 0 => {
                    let drop = rng.below(correct.len() as u64) as usize;
                    Response::Choice(
                        correct
                            .iter()
                            .enumerate()
                            .filter(|(k, _)| *k != drop)
                            .map(|(_, &i)| i)
                            .collect(),
                    )
                }
                Kind::Multiple { .. } => {
                    let mut chosen = correct.clone();
                    chosen.push(pick);
                    Response::Choice(chosen)
                }
                _ => Response::Choice(vec![pick]),
            }
        }
        Kind::Order { items, .. } => {
            let mut order: Vec<usize> = (0..items.len()).collect();
            if !right && items.len() > 1 {
                let at = rng.below(items.len() as u64 - 1) as usize;
                order.swap(at, at + 1);
            }
            Response::Order(order)
        }
        Kind::Numeric { answer, wrong, .. } => {
            if right {
                Response::Text(format_number(*answer))
            } else if !wrong.is_empty() && rng.below(5) != 0 {
                Response::Text(wrong[rng.below(wrong.len() as u64) as usize].value.clone())
            } else {
                Response::Text(format_number(answer + 1.0))
            }
        }
        Kind::Text { answers, wrong } => {
            if right {
                Response::Text(answers.first().cloned().unwrap_or_default())
            } else if !wrong.is_empty() && rng.below(5) != 0 {
                Response::Text(wrong[rng.below(wrong.len() as u64) as usize].value.clone())
            } else {
                Response::Text("わからない".into())
            }
        }
        Kind::Generated { generator } => {
            let answer = generator
                .instance(question_seed(attempt_seed, &q.id))
                .answer;
            let given = if right {
                answer
            } else if rng.below(2) == 0 {
                answer.saturating_sub(1)
            } else {
                answer + 1
            };
            Response::Text(given.to_string())
        }
    }
}

/// One learner's made-up habits.
struct Learner {
    user_id: i64,
    ability: f64,
    /// A topic this learner finds especially hard (index into the topics with questions).
    weak_topic: usize,
    /// Stopped a while ago: no attempt in the last 9 days.
    dropped_out: bool,
    /// Was answering a few minutes ago (so the live panel shows something).
    active_now: bool,
    /// Topics reached per attempt.
    pace: f64,
}

/// The attempt times of a learner, ascending: daytime in Japan, over the last four weeks.
fn timeline(rng: &mut Rng, learner: &Learner, count: usize, now: i64) -> Vec<i64> {
    let (from_day, to_day) = if learner.dropped_out {
        (28, 10)
    } else {
        (28, 0)
    };
    let mut times: Vec<i64> = (0..count)
        .map(|_| {
            let days_ago = to_day + rng.below((from_day - to_day) as u64) as i64;
            // 9:00–22:00 Japan time on that day.
            let day_start = crate::jst::day_start(crate::jst::day(now) - days_ago);
            let t = day_start + 9 * 3600 + rng.below(13 * 3600) as i64;
            t.min(now - 900)
        })
        .collect();
    times.sort_unstable();
    if learner.active_now
        && let Some(last) = times.last_mut()
    {
        *last = now - 60 - rng.below(420) as i64;
    }
    times.sort_unstable();
    times
}

/// Creates the demo instructor, class, learners and their history (see the module comment).
pub async fn seed(
    db: &crate::db::Db,
    course: &Course,
    bank: &Bank,
    options: &Options,
) -> anyhow::Result<Outcome> {
    if let Some(teacher) = crate::store::users::by_name(db, TEACHER_NAME).await? {
        anyhow::ensure!(
            teacher.is_instructor(),
            "ユーザー名 {TEACHER_NAME} は講師ではないアカウントに使われています。別のデータベース（--db）を指定してください。"
        );
        let class = crate::store::classes::owned_named(db, teacher.user_id, CLASS_NAME).await?;
        return match class {
            Some(class) => Ok(Outcome::AlreadyThere {
                class_id: class.class_id,
            }),
            None => anyhow::bail!(
                "{TEACHER_NAME} はいますが「{CLASS_NAME}」がありません。デモデータが途中で消されたようです。別のデータベース（--db）を指定してください。"
            ),
        };
    }
    anyhow::ensure!(options.learners <= 10_000, "--learners は 10000 人までです");
    anyhow::ensure!(options.attempts <= 500, "--attempts は 500 回までです");
    let topics: Vec<&str> = course
        .topics
        .iter()
        .map(|t| t.slug.as_str())
        .filter(|s| !bank.topic(s).is_empty())
        .collect();
    anyhow::ensure!(!topics.is_empty(), "問題のあるトピックがありません");

    let password_hash = crate::auth::password::hash_blocking(PASSWORD.to_string()).await?;
    let join_code = crate::classroom::join_code::generate()?;
    let now = options.now;
    let mut rng = Rng::new(options.seed);

    let mut tx = db.begin().await?;
    if let Tx::Sqlite(tx) = &mut tx {
        // One transaction writes everything: with SQLite's default 2 MB page cache, pages spill to the
        // WAL and are written again each time they change. The seeder's connection keeps up to 256 MB.
        sqlx::query("pragma cache_size = -262144")
            .execute(&mut **tx)
            .await?;
    }
    let teacher_id = crate::store::users::create_in(
        &mut tx,
        TEACHER_NAME,
        TEACHER_DISPLAY_NAME,
        &password_hash,
        Role::Instructor,
        now - 35 * DAY,
    )
    .await?;
    let class_id =
        store::classes::create_in(&mut tx, teacher_id, CLASS_NAME, &join_code, now - 35 * DAY)
            .await?;
    let mut learners = Vec::with_capacity(options.learners);
    let mut joined = Vec::with_capacity(options.learners);
    for i in 0..options.learners {
        let (name, display_name) = learner_name(i, options.learners);
        let user_id = match crate::store::users::create_in(
            &mut tx,
            &name,
            &display_name,
            &password_hash,
            Role::Learner,
            now - 30 * DAY,
        )
        .await
        {
            Ok(id) => id,
            Err(e) if crate::store::is_unique_violation(&e) => {
                anyhow::bail!(
                    "ユーザー名 {name} はすでに使われています。デモデータは空のデータベースか別の --db に作ってください。"
                )
            }
            Err(e) => return Err(e.into()),
        };
        joined.push((user_id, now - 29 * DAY + i as i64 * 60));
        let dropped_out = rng.below(10) == 0;
        learners.push(Learner {
            user_id,
            ability: normal(&mut rng) * 0.9,
            weak_topic: rng.below(topics.len() as u64) as usize,
            dropped_out,
            active_now: !dropped_out && rng.below(10) == 0,
            pace: 0.33 + unit(&mut rng) * 0.34,
        });
    }

    store::classes::join_many(&mut tx, class_id, &joined, now).await?;

    let handshake = handshake::simulate(&handshake::Params {
        scenario: handshake::Scenario::Normal,
        seed: 0,
        relative: false,
    });
    let (mut attempt_total, mut answer_total, mut widget_total) = (0, 0, 0);
    for batch in learners.chunks(LEARNERS_PER_BATCH) {
        let mut attempts = Vec::new();
        let mut widgets = Vec::new();
        for learner in batch {
            // How often the learner has seen each question: they get better at what they have seen.
            let mut seen_counts: HashMap<String, i64> = HashMap::new();
            let times = timeline(&mut rng, learner, options.attempts, now);
            let mut previous: Option<usize> = None;
            for (k, &at) in times.iter().enumerate() {
                // The learner moves through the course at their own pace (a topic every 1.5–3 attempts), and
                // mostly takes the topic reached, sometimes retries the last quiz or looks back.
                let reached = ((k as f64 * learner.pace) as usize).min(topics.len() - 1);
                let t = match (rng.below(20), previous) {
                    (0..=10, _) | (_, None) => reached,
                    (11..=15, Some(p)) => p,
                    _ => rng.below(reached as u64 + 1) as usize,
                };
                previous = Some(t);
                let topic = topics[t];
                let attempt_seed = rng.next_u64() >> 1;
                let mut answers = Vec::new();
                for (position, q) in bank.topic(topic).iter().enumerate() {
                    let seen = seen_counts.get(&q.id).copied().unwrap_or(0);
                    let weak = if t == learner.weak_topic { 1.3 } else { 0.0 };
                    let logit = 0.9 + learner.ability - difficulty(q) - weak + 0.45 * seen as f64;
                    let p = 1.0 / (1.0 + (-logit).exp());
                    let response = respond(q, attempt_seed, unit(&mut rng) < p, &mut rng);
                    let graded = grade::grade(q, attempt_seed, &response)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", q.id))?;
                    let time_ms = 4_000
                        + rng.below(20_000) as i64
                        + if graded.correct {
                            0
                        } else {
                            rng.below(25_000) as i64
                        };
                    *seen_counts.entry(q.id.clone()).or_default() += 1;
                    answers.push(NewAnswer {
                        question_id: q.id.clone(),
                        position: position as i64,
                        response: serde_json::to_string(&response)?,
                        correct: graded.correct,
                        credit: graded.credit,
                        misconception: graded.misconception,
                        time_ms,
                    });
                }
                answer_total += answers.len();
                attempts.push(NewAttempt {
                    token: format!("demo-{}-{k}", learner.user_id),
                    user_id: learner.user_id,
                    topic: topic.to_string(),
                    seed: attempt_seed as i64,
                    duration_ms: answers.iter().map(|a| a.time_ms).sum(),
                    now: at,
                    answers,
                    review: false,
                });
            }
            widgets.extend(handshake_predictions(
                &mut rng,
                learner,
                &handshake,
                times.first().copied().unwrap_or(now - DAY),
            ));
        }
        attempt_total += attempts.len();
        widget_total += widgets.len();
        // Through the same writer as a submitted quiz: the review states follow the attempts in order.
        let attempts: Vec<&NewAttempt> = attempts.iter().collect();
        write_batch(&mut tx, &attempts, &widgets).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Created {
        class_id,
        join_code,
        learners: learners.len(),
        attempts: attempt_total,
        answers: answer_total,
        widget_answers: widget_total,
    })
}

/// Writes a batch's attempts through the quiz's writer and its widget predictions, in the seeder's
/// transaction.
async fn write_batch(
    tx: &mut Tx,
    attempts: &[&NewAttempt],
    widgets: &[bulk::WidgetAnswer],
) -> anyhow::Result<()> {
    store::quiz::write_attempts(&mut *tx, attempts).await?;
    bulk::insert_widget_answers(&mut *tx, widgets).await?;
    Ok(())
}

/// A learner's predictions in the handshake stepper (the "normal" scenario): each step's seq, ack and
/// both states, with the mistakes people make (ack = seq, off by one, a state one step early or late),
/// graded by the widget model itself.
fn handshake_predictions(
    rng: &mut Rng,
    learner: &Learner,
    h: &handshake::Handshake,
    at: i64,
) -> Vec<bulk::WidgetAnswer> {
    use handshake::{Field, TcpState};
    let mut out = Vec::new();
    let steps = h.steps.len().min(4);
    for step in 0..steps {
        let s = &h.steps[step];
        for field in Field::ALL {
            // The SYN+ACK's ack and the server's state after the SYN are where people slip.
            let hard = match (step, field) {
                (1, Field::Ack) | (0, Field::ServerState) | (2, Field::ServerState) => 1.4,
                (_, Field::Seq) | (_, Field::Ack) => 0.5,
                _ => 0.0,
            };
            let p = 1.0 / (1.0 + (-(1.1 + learner.ability - hard)).exp());
            let right = unit(rng) < p;
            let answer = match field {
                Field::Seq | Field::Ack => {
                    let value = if field == Field::Seq { s.seq } else { s.ack };
                    match (right, value) {
                        (true, Some(v)) => v.to_string(),
                        (true, None) => "なし".into(),
                        (false, Some(v)) if field == Field::Ack && rng.below(2) == 0 => {
                            s.seq.unwrap_or(v).to_string()
                        }
                        (false, Some(v)) => v.wrapping_sub(1).to_string(),
                        (false, None) => "0".into(),
                    }
                }
                Field::ClientState | Field::ServerState => {
                    let value = if field == Field::ClientState {
                        s.client_state
                    } else {
                        s.server_state
                    };
                    if right {
                        value.as_str().to_string()
                    } else {
                        let confusions = [
                            TcpState::SynSent,
                            TcpState::SynReceived,
                            TcpState::Established,
                            TcpState::Listen,
                        ];
                        let others: Vec<TcpState> =
                            confusions.into_iter().filter(|c| *c != value).collect();
                        others[rng.below(others.len() as u64) as usize]
                            .as_str()
                            .to_string()
                    }
                }
            };
            let Ok(verdict) = handshake::predict_check(h, step, field, &answer) else {
                continue;
            };
            out.push(bulk::WidgetAnswer {
                user_id: learner.user_id,
                widget: handshake::HandshakeWidget.name().into(),
                scenario: h.scenario.name().into(),
                step: step as i64,
                field: field.name().into(),
                answer,
                correct: verdict.correct,
                created_at: at + 60 * (step as i64 * 4 + 1),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_address_is_where_serve_listens() {
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        assert_eq!(
            login_url(at("127.0.0.1:3000")),
            "http://127.0.0.1:3000/login"
        );
        assert_eq!(login_url(at("0.0.0.0:8080")), "http://127.0.0.1:8080/login");
        assert_eq!(login_url(at("[::]:8080")), "http://[::1]:8080/login");
        assert_eq!(login_url(at("192.0.2.7:80")), "http://192.0.2.7:80/login");
        let default_db = std::path::Path::new("data/infra-dojo.db");
        assert_eq!(
            serve_command(default_db, None, at("127.0.0.1:3000")),
            "cargo run --release -- serve"
        );
        assert_eq!(
            serve_command(
                std::path::Path::new("/tmp/d.db"),
                Some(std::path::Path::new("notes")),
                at("0.0.0.0:8080")
            ),
            "cargo run --release -- serve --db /tmp/d.db --content notes --bind 0.0.0.0:8080"
        );
    }

    #[test]
    fn names_are_padded_to_the_class_size() {
        assert_eq!(
            learner_name(0, 30),
            ("demo-01".to_string(), "デモ受講者01".to_string())
        );
        assert_eq!(learner_name(41, 2000).0, "demo-0042");
    }

    #[test]
    fn weighted_choice_stays_in_range() {
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert!(weighted(&mut rng, &[1, 3, 0, 2]) != 2);
        }
    }
}
