//! Quiz questions on the timeline: the setup is drawn from a seed, the answer is read off the
//! model's run of that setup, so the quiz and the widget can never disagree.

use super::model::Timeline;
use super::{Balancer, Http, IDLE_TIMEOUT_S, Params, Scenario, Store, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "sessions-connections",
        make: connections,
    },
    QuestionGenerator {
        id: "sessions-tls-full",
        make: tls_full,
    },
    QuestionGenerator {
        id: "sessions-h2-stream",
        make: h2_stream,
    },
    QuestionGenerator {
        id: "sessions-lost-at",
        make: lost_at,
    },
];

/// `lo..=hi` from the rng.
fn between(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    lo + rng.below(hi - lo + 1)
}

/// A pause on either side of the idle timeout, never equal to it (the race at exactly the timeout
/// is not a question).
fn pause(rng: &mut Rng) -> u64 {
    if rng.below(2) == 0 {
        between(rng, 5, IDLE_TIMEOUT_S - 5)
    } else {
        between(rng, IDLE_TIMEOUT_S + 10, 300)
    }
}

fn base() -> Params {
    Scenario::Keepalive.params()
}

/// The usage story every prompt starts with.
fn story(p: &Params) -> String {
    format!(
        "ブラウザーがログイン（POST /login）を含む {} 件のリクエストを送り、{} 秒間なにもせず、そのあと {} 件のリクエストを送りました。サイトは {} 秒間リクエストの無い接続を閉じます。",
        p.before, p.pause_s, p.after, IDLE_TIMEOUT_S
    )
}

fn values(p: &Params, answer: u64) -> Vec<(&'static str, String)> {
    vec![
        ("before", p.before.to_string()),
        ("after", p.after.to_string()),
        ("pause", p.pause_s.to_string()),
        ("timeout", IDLE_TIMEOUT_S.to_string()),
        ("answer", answer.to_string()),
    ]
}

/// "How many TCP connections does the browser open?" — 1 when the pause is shorter than the idle
/// timeout, else 2.
fn connections(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let p = Params {
        http: if rng.below(2) == 0 {
            Http::H1
        } else {
            Http::H2
        },
        before: between(&mut rng, 1, 6),
        after: between(&mut rng, 1, 6),
        pause_s: pause(&mut rng),
        ..base()
    };
    let answer = u64::from(simulate(&p).counts.connections);
    GeneratedQuestion {
        prompt: format!(
            "{} ブラウザーは {} を使い、開いている接続があれば使い回します。ブラウザーが開いた TCP コネクションは全部で何本ですか？",
            story(&p),
            p.http.label()
        ),
        answer,
        values: values(&p, answer),
    }
}

/// "How many TLS handshakes send a certificate?" — with tickets, the second connection resumes
/// unless an L4 balancer sends it to the other backend, whose ticket key differs.
fn tls_full(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let balancer = if rng.below(2) == 0 {
        Balancer::L4
    } else {
        Balancer::L7
    };
    let p = Params {
        balancer,
        sticky: rng.below(2) == 0,
        resume: true,
        before: between(&mut rng, 1, 4),
        after: between(&mut rng, 1, 4),
        pause_s: pause(&mut rng),
        ..base()
    };
    let answer = u64::from(simulate(&p).counts.tls_full);
    let setup = match (balancer, p.sticky) {
        (Balancer::L7, _) => {
            "サイトの前には TLS を終端する L7 バランサーがあり、TLS 1.3 のチケットを発行します。"
                .to_owned()
        }
        (Balancer::L4, sticky) => format!(
            "サイトの前には L4 バランサーがあり、TLS はバックエンド A と B がそれぞれ終端します。バランサーは接続ごとに{}振り分け、A と B はチケットの鍵を共有していません（チケットは発行したバックエンドでしか使えません）。",
            if sticky {
                "送信元 IP アドレスで同じバックエンドに固定して"
            } else {
                "A, B, A… の順に"
            }
        ),
    };
    GeneratedQuestion {
        prompt: format!(
            "{} {setup}証明書を送るフルハンドシェイクは全部で何回起きますか？",
            story(&p)
        ),
        answer,
        values: values(&p, answer),
    }
}

/// "Which stream id does the last request use?" — odd ids counting from 1 on each connection.
fn h2_stream(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let p = Params {
        http: Http::H2,
        before: between(&mut rng, 1, 6),
        after: between(&mut rng, 1, 6),
        pause_s: pause(&mut rng),
        ..base()
    };
    let run = simulate(&p);
    let answer = last_stream(&run);
    GeneratedQuestion {
        prompt: format!(
            "{} ブラウザーは HTTP/2 を使い、リクエストを 1 つずつ新しいストリームで送り、開いている接続があれば使い回します。最後のリクエストのストリーム ID はいくつですか？",
            story(&p)
        ),
        answer,
        values: values(&p, answer),
    }
}

fn last_stream(run: &Timeline) -> u64 {
    run.steps
        .iter()
        .rev()
        .find_map(|s| s.stream)
        .map_or(0, u64::from)
}

/// "At which request is the login first lost?" — sessions in one backend's memory, no persistence.
fn lost_at(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let balancer = if rng.below(2) == 0 {
        Balancer::L4
    } else {
        Balancer::L7
    };
    let p = Params {
        balancer,
        store: Store::Memory,
        before: between(&mut rng, 1, 4),
        after: between(&mut rng, 1, 4),
        pause_s: pause(&mut rng),
        ..base()
    };
    let answer = simulate(&p).lost_at.map_or(0, u64::from);
    let how = match balancer {
        Balancer::L4 => "L4 バランサーが接続ごとにバックエンド A, B, A… の順に振り分けます",
        Balancer::L7 => "L7 バランサーがリクエストごとにバックエンド A, B, A… の順に振り分けます",
    };
    GeneratedQuestion {
        prompt: format!(
            "{} ブラウザーは HTTP/1.1 を使い、開いている接続があれば使い回します。{how}（スティッキーセッションなし）。ログインセッションはログインを処理したバックエンドのメモリにだけあります。何番目のリクエストで初めてログインが失われますか？（最後まで失われないなら 0）",
            story(&p)
        ),
        answer,
        values: values(&p, answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_follow_the_rules_stated_in_the_prompts() {
        for seed in 0..300 {
            let q = connections(seed);
            let pause: u64 = q.values[2].1.parse().unwrap();
            assert_eq!(
                q.answer,
                if pause >= IDLE_TIMEOUT_S { 2 } else { 1 },
                "{}",
                q.prompt
            );

            let q = h2_stream(seed);
            let before: u64 = q.values[0].1.parse().unwrap();
            let after: u64 = q.values[1].1.parse().unwrap();
            let pause: u64 = q.values[2].1.parse().unwrap();
            let on_last_conn = if pause >= IDLE_TIMEOUT_S {
                after
            } else {
                before + after
            };
            assert_eq!(q.answer, 2 * on_last_conn - 1, "{}", q.prompt);

            let q = tls_full(seed);
            assert!((1..=2).contains(&q.answer), "{}", q.prompt);

            let q = lost_at(seed);
            assert!(q.answer <= before_after(&q), "{}", q.prompt);
        }
    }

    fn before_after(q: &GeneratedQuestion) -> u64 {
        q.values[0].1.parse::<u64>().unwrap() + q.values[1].1.parse::<u64>().unwrap()
    }
}
