//! Quiz questions on what each layer can decide: a random packet and rule from a seed, the answer
//! from the model's evaluation of exactly that packet and rule.

use super::params::{HOSTS, METHODS, PATHS};
use super::{Params, Payload, Rule, Tls, default_port, describe, evaluate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name: the first four for load balancers, the last two (custom
/// protocols only) for the custom-protocols topic.
pub static GENERATORS: [QuestionGenerator; 6] = [
    QuestionGenerator {
        id: "lb-lowest-layer",
        make: lowest_layer,
    },
    QuestionGenerator {
        id: "lb-layer-count",
        make: layer_count,
    },
    QuestionGenerator {
        id: "lb-l7-rules",
        make: l7_rules,
    },
    QuestionGenerator {
        id: "lb-l7-fields",
        make: l7_fields,
    },
    QuestionGenerator {
        id: "lb-custom-layer-count",
        make: custom_layer_count,
    },
    QuestionGenerator {
        id: "lb-custom-l7-rules",
        make: custom_l7_rules,
    },
];

const DEVICES: &str =
    "L3 スイッチ（ルーター）、L4 ロードバランサー、L7 ロードバランサー（HTTP のリバースプロキシ）";

fn one_of<T: Copy>(rng: &mut Rng, all: &[T]) -> T {
    all[rng.below(all.len() as u64) as usize]
}

/// A random packet whose payload is one of `payloads`, and a random rule.
fn packet(rng: &mut Rng, payloads: &[Payload]) -> Params {
    let payload = one_of(rng, payloads);
    let tls = if payload.is_http() {
        one_of(rng, &Tls::ALL)
    } else {
        Tls::None
    };
    let port = if rng.below(4) == 0 {
        5432
    } else {
        default_port(payload, tls)
    };
    Params {
        payload,
        tls,
        terminate: rng.below(2) == 0,
        port,
        method: one_of(rng, &METHODS),
        host: one_of(rng, &HOSTS),
        path: one_of(rng, &PATHS),
        cookie: rng.below(2) == 0,
        rule: one_of(rng, &Rule::ALL),
    }
}

fn values(p: &Params, answer: u64) -> Vec<(&'static str, String)> {
    let e = evaluate(p);
    vec![
        ("packet", describe(p)),
        ("rule", p.rule.label().to_owned()),
        (
            "layers",
            super::layers_text(
                &e.devices
                    .iter()
                    .filter(|d| d.can_apply)
                    .map(|d| d.layer)
                    .collect::<Vec<_>>(),
            ),
        ),
        ("answer", answer.to_string()),
    ]
}

/// "Which is the lowest layer whose device can apply the rule?" (0: none).
fn lowest_layer(seed: u64) -> GeneratedQuestion {
    let p = packet(&mut Rng::new(seed), &Payload::ALL);
    let answer = u64::from(evaluate(&p).lowest);
    GeneratedQuestion {
        prompt: format!(
            "パケット: {}。ルール「{}」を、{DEVICES}のどれかに設定します。このルールをこのパケットに適用できる、いちばん下の層の番号は？（L3 なら 3。どれにも適用できなければ 0）",
            describe(&p),
            p.rule.label()
        ),
        answer,
        values: values(&p, answer),
    }
}

fn count_layers(p: &Params) -> u64 {
    evaluate(p).devices.iter().filter(|d| d.can_apply).count() as u64
}

/// "How many of the three devices can apply the rule?"
fn layer_count(seed: u64) -> GeneratedQuestion {
    let p = packet(&mut Rng::new(seed), &Payload::ALL);
    count_question(&p)
}

fn count_question(p: &Params) -> GeneratedQuestion {
    let answer = count_layers(p);
    GeneratedQuestion {
        prompt: format!(
            "パケット: {}。{DEVICES}の 3 つのうち、ルール「{}」をこのパケットに適用できる装置はいくつですか？",
            describe(p),
            p.rule.label()
        ),
        answer,
        values: values(p, answer),
    }
}

fn rules_at_l7(p: &Params) -> u64 {
    Rule::ALL
        .iter()
        .filter(|&&rule| evaluate(&Params { rule, ..*p }).devices[2].can_apply)
        .count() as u64
}

fn rules_question(p: &Params) -> GeneratedQuestion {
    let answer = rules_at_l7(p);
    let list: Vec<String> = Rule::ALL
        .iter()
        .map(|r| format!("「{}」", r.label()))
        .collect();
    GeneratedQuestion {
        prompt: format!(
            "パケット: {}。L7 ロードバランサー（HTTP のリバースプロキシ）に次の 5 つのルールを設定しました: {}。このパケットに適用できる（判断に使う情報が読める）ルールはいくつですか？",
            describe(p),
            list.join("、")
        ),
        answer,
        values: values(p, answer),
    }
}

/// "How many of the five rules can the L7 balancer apply?" — HTTP over TLS, ECH or plain text.
fn l7_rules(seed: u64) -> GeneratedQuestion {
    let p = packet(&mut Rng::new(seed), &[Payload::Http]);
    rules_question(&p)
}

/// "How many of these five fields can the L7 balancer read?"
fn l7_fields(seed: u64) -> GeneratedQuestion {
    let p = packet(&mut Rng::new(seed), &[Payload::Http]);
    let e = evaluate(&p);
    const KEYS: [&str; 5] = ["dst_ip", "dst_port", "host", "path", "cookie"];
    let answer = KEYS
        .iter()
        .filter(|k| e.devices[2].sees.contains(k))
        .count() as u64;
    GeneratedQuestion {
        prompt: format!(
            "パケット: {}。L7 ロードバランサー（HTTP のリバースプロキシ）は、次の 5 つのうちいくつを読めますか？ 宛先 IP アドレス、宛先ポート番号、HTTP の Host ヘッダー、URL のパス、Cookie ヘッダー（TLS の SNI は Host ヘッダーに数えません）",
            describe(&p)
        ),
        answer,
        values: values(&p, answer),
    }
}

const CUSTOM: [Payload; 3] = [Payload::CustomHttp, Payload::CustomTcp, Payload::Postgres];

/// Custom protocols: "How many of the three devices can apply the rule?"
fn custom_layer_count(seed: u64) -> GeneratedQuestion {
    let p = packet(&mut Rng::new(seed), &CUSTOM);
    count_question(&p)
}

/// Custom protocols: "How many of the five rules can the L7 balancer apply?"
fn custom_l7_rules(seed: u64) -> GeneratedQuestion {
    let p = packet(&mut Rng::new(seed), &CUSTOM);
    rules_question(&p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_match_the_layer_rules_and_vary() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..400 {
            let q = lowest_layer(seed);
            assert!([0, 3, 4, 7].contains(&q.answer), "{}", q.prompt);
            seen.insert(q.answer);
            let q = layer_count(seed);
            assert!(q.answer <= 3);
            let q = l7_rules(seed);
            // The L7 device always reads L3 and L4: the address and port rules at least.
            assert!((2..=5).contains(&q.answer), "{}", q.prompt);
            let q = l7_fields(seed);
            assert!((2..=5).contains(&q.answer), "{}", q.prompt);
            let q = custom_l7_rules(seed);
            assert!((2..=5).contains(&q.answer));
            if q.prompt.contains("TCP の上の独自プロトコル") || q.prompt.contains("PostgreSQL")
            {
                // Not HTTP: only the L3/L4 rules.
                assert_eq!(q.answer, 2, "{}", q.prompt);
            }
            assert!(custom_layer_count(seed).answer <= 3);
        }
        assert_eq!(
            seen.len(),
            4,
            "every answer of the lowest layer occurs: {seen:?}"
        );
    }
}
