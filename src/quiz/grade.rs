//! Grading, on the server only. A response is checked against the bank (or, for a generated question,
//! against the model with the attempt's seed), and the result carries everything the results page
//! teaches with: what was chosen, the right answer, why a wrong choice is wrong, and its misconception tag.
//!
//! Credit is a percent of the question's point (0–100, rounded down). Questions with one answer earn all
//! or nothing; two kinds earn part of it, as Moodle's do ([`credit_rule`] says how, beside the question
//! and on the results page):
//! - several answers: each right option chosen earns 1/(right options), each wrong option chosen takes
//!   1/(wrong options) away, never below 0 — so choosing everything earns nothing;
//! - ordering: the share of adjacent pairs in the learner's order that are also adjacent, in that order,
//!   in the right one (Moodle's "relative to the next item, excluding the last").
//!
//! An answer is *correct* only with full credit.

use crate::quiz::bank::{Kind, KnownWrong, Question};
use crate::quiz::generate;
use crate::quiz::present::question_seed;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// What the learner answered, in bank terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Response {
    /// Indices of the chosen options (single: one).
    Choice(Vec<usize>),
    /// Item indices in the learner's order.
    Order(Vec<usize>),
    /// The raw text of a number or a short answer.
    Text(String),
    /// Left blank.
    Blank,
}

/// A response that does not fit the question: an option that does not exist, an incomplete order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct GradeError(pub String);

/// The outcome for one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    /// Full credit.
    pub correct: bool,
    /// Percent of the point earned, 0–100.
    pub credit: i64,
    /// The learner's answer in words.
    pub given: String,
    /// The right answer in words.
    pub expected: String,
    /// Why the learner's answer is wrong (one line per wrong part); empty when correct.
    pub why_wrong: Vec<String>,
    /// The misconception tag the answer reveals, if any.
    pub misconception: Option<String>,
    /// The explanation with generated values filled in.
    pub explanation: String,
}

/// NFKC, lower case, no spaces: "ＳＩＧ ＩＮＴ" and "sigint" compare equal.
pub fn normalize_text(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// A number as typed: full-width digits, thousands separators and spaces allowed.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn known_wrong(wrong: &[KnownWrong], matches: impl Fn(&str) -> bool) -> Option<&KnownWrong> {
    wrong.iter().find(|w| matches(&w.value))
}

/// Grades `response` to `question` in an attempt with `attempt_seed`.
pub fn grade(
    question: &Question,
    attempt_seed: u64,
    response: &Response,
) -> Result<Graded, GradeError> {
    let mut g = Graded {
        correct: false,
        credit: 0,
        given: String::new(),
        expected: String::new(),
        why_wrong: Vec::new(),
        misconception: None,
        explanation: question.explanation.clone(),
    };
    let blank = matches!(response, Response::Blank);
    match (&question.kind, response) {
        (
            Kind::Single { options } | Kind::Multiple { options },
            Response::Choice(_) | Response::Blank,
        ) => {
            let chosen: Vec<usize> = match response {
                Response::Choice(c) => c.clone(),
                _ => Vec::new(),
            };
            if let Some(bad) = chosen.iter().find(|&&i| i >= options.len()) {
                return Err(GradeError(format!(
                    "問題 {} に選択肢 {bad} はありません",
                    question.id
                )));
            }
            if matches!(question.kind, Kind::Single { .. }) && chosen.len() > 1 {
                return Err(GradeError(format!(
                    "問題 {} は選択肢を一つだけ選びます",
                    question.id
                )));
            }
            let mut chosen = chosen;
            chosen.sort_unstable();
            chosen.dedup();
            let right: Vec<usize> = (0..options.len()).filter(|&i| options[i].correct).collect();
            g.correct = chosen == right;
            g.credit = if g.correct {
                100
            } else if matches!(question.kind, Kind::Multiple { .. }) {
                multiple_credit(&chosen, &right, options.len())
            } else {
                0
            };
            g.given = chosen
                .iter()
                .map(|&i| options[i].text.clone())
                .collect::<Vec<_>>()
                .join("、");
            g.expected = right
                .iter()
                .map(|&i| options[i].text.clone())
                .collect::<Vec<_>>()
                .join("、");
            for &i in &chosen {
                if !options[i].correct {
                    g.why_wrong.push(format!(
                        "「{}」: {}",
                        options[i].text,
                        options[i].why.clone().unwrap_or_default()
                    ));
                    g.misconception = g.misconception.or_else(|| options[i].misconception.clone());
                }
            }
            for &i in &right {
                if !chosen.contains(&i) && matches!(question.kind, Kind::Multiple { .. }) {
                    g.why_wrong
                        .push(format!("「{}」も正解です。", options[i].text));
                }
            }
        }
        (
            Kind::Order {
                items,
                misconception,
            },
            Response::Order(_) | Response::Blank,
        ) => {
            g.expected = items.join(" → ");
            if let Response::Order(order) = response {
                let mut sorted = order.clone();
                sorted.sort_unstable();
                if sorted != (0..items.len()).collect::<Vec<_>>() {
                    return Err(GradeError(format!(
                        "問題 {} の並べ替えは、すべての項目を一度ずつ並べてください",
                        question.id
                    )));
                }
                g.given = order
                    .iter()
                    .map(|&i| items[i].clone())
                    .collect::<Vec<_>>()
                    .join(" → ");
                g.correct = order.iter().enumerate().all(|(pos, &i)| pos == i);
                g.credit = order_credit(order);
            }
            if !g.correct && !blank {
                g.why_wrong
                    .push(format!("正しい順は {} です。", g.expected));
                g.misconception = Some(misconception.clone());
            }
        }
        (
            Kind::Numeric {
                answer,
                tolerance,
                unit,
                wrong,
            },
            Response::Text(_) | Response::Blank,
        ) => {
            g.expected = format!("{}{unit}", format_number(*answer));
            if let Response::Text(text) = response {
                g.given = text.trim().to_string();
                match parse_number(text) {
                    Some(n) => {
                        g.correct = (n - answer).abs() <= *tolerance;
                        if !g.correct
                            && let Some(w) = known_wrong(wrong, |v| {
                                parse_number(v).is_some_and(|v| (v - n).abs() <= *tolerance)
                            })
                        {
                            g.why_wrong.push(w.why.clone());
                            g.misconception = Some(w.misconception.clone());
                        }
                    }
                    None => g.why_wrong.push("数値として読めませんでした。".to_string()),
                }
            }
        }
        (Kind::Text { answers, wrong }, Response::Text(_) | Response::Blank) => {
            g.expected = answers.first().cloned().unwrap_or_default();
            if let Response::Text(text) = response {
                g.given = text.trim().to_string();
                let given = normalize_text(text);
                g.correct = !given.is_empty() && answers.iter().any(|a| normalize_text(a) == given);
                if !g.correct
                    && let Some(w) = known_wrong(wrong, |v| normalize_text(v) == given)
                {
                    g.why_wrong.push(w.why.clone());
                    g.misconception = Some(w.misconception.clone());
                }
            }
        }
        (Kind::Generated { generator }, Response::Text(_) | Response::Blank) => {
            let instance = generator.instance(question_seed(attempt_seed, &question.id));
            g.expected = instance.answer.to_string();
            g.explanation = generate::fill(&question.explanation, &instance.values);
            if let Response::Text(text) = response {
                g.given = text.trim().to_string();
                g.correct = parse_number(text).is_some_and(|n| n == instance.answer as f64);
                if !g.correct && parse_number(text).is_none() {
                    g.why_wrong.push("数値として読めませんでした。".to_string());
                }
            }
        }
        (kind, _) => {
            return Err(GradeError(format!(
                "問題 {} は {} 形式の答えを受け付けます",
                question.id,
                kind.name()
            )));
        }
    }
    if blank {
        g.given = "（未回答）".to_string();
    }
    if g.correct {
        g.credit = 100;
    }
    Ok(g)
}

/// Several answers: +1/right for each right option chosen, −1/wrong for each wrong one, floored at 0.
fn multiple_credit(chosen: &[usize], right: &[usize], options: usize) -> i64 {
    let right_total = right.len() as i64;
    let wrong_total = options as i64 - right_total;
    let hits = chosen.iter().filter(|i| right.contains(i)).count() as i64;
    let misses = chosen.len() as i64 - hits;
    if right_total == 0 {
        return 0;
    }
    // In hundredths, over a common denominator, rounded down once.
    let numerator = if wrong_total > 0 {
        hits * wrong_total - misses * right_total
    } else {
        hits
    };
    let denominator = right_total * wrong_total.max(1);
    (numerator.max(0) * 100 / denominator).clamp(0, 100)
}

/// Ordering: the share of the learner's adjacent pairs that stand next to each other, in that order, in
/// the right order (items are indexed in the right order, so a right pair is `i` then `i + 1`).
fn order_credit(order: &[usize]) -> i64 {
    if order.len() < 2 {
        return 100;
    }
    let pairs = order.len() as i64 - 1;
    let right = order.windows(2).filter(|w| w[1] == w[0] + 1).count() as i64;
    right * 100 / pairs
}

/// How a question of this kind earns part of its point, in the page's words; `None` when it is all or
/// nothing.
pub fn credit_rule(kind: &Kind, english: bool) -> Option<&'static str> {
    match (kind, english) {
        (Kind::Multiple { .. }, false) => Some(
            "部分点あり: 正しい選択肢を 1 つ選ぶごとに「1 ÷ 正しい選択肢の数」点、誤った選択肢を 1 つ選ぶごとに「1 ÷ 誤った選択肢の数」点を引きます（0 点未満にはなりません。全部選ぶと 0 点です）。",
        ),
        (Kind::Multiple { .. }, true) => Some(
            "Partial credit: each right option you choose earns 1 ÷ (number of right options), each wrong one takes 1 ÷ (number of wrong options) away (never below 0; choosing everything earns 0).",
        ),
        (Kind::Order { .. }, false) => Some(
            "部分点あり: 隣り合う 2 項目の組（n 項目なら n − 1 組）のうち、正しい順でも隣り合って同じ順に並ぶ組の割合が得点です。",
        ),
        (Kind::Order { .. }, true) => Some(
            "Partial credit: of the n − 1 pairs of neighbouring items in your order, the share that are also neighbours, in that order, in the right one.",
        ),
        _ => None,
    }
}

/// Hundredths of a point written as a number: 750 → "7.5", 1000 → "10", 33 → "0.33".
pub fn points_text(hundredths: i64) -> String {
    let whole = hundredths / 100;
    let part = hundredths.rem_euclid(100);
    match part {
        0 => whole.to_string(),
        p if p % 10 == 0 => format!("{whole}.{}", p / 10),
        p => format!("{whole}.{p:02}"),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::bank::Choice;
    use crate::quiz::generate::Generator;

    fn synack_ack() -> Generator {
        Generator::from_name("handshake-synack-ack").expect("the handshake offers it")
    }

    fn question(kind: Kind) -> Question {
        Question {
            id: "t-q".into(),
            topic: "t".into(),
            prompt: "p".into(),
            explanation: "a={a} ans={answer}".into(),
            source: "s".into(),
            section: None,
            kind,
        }
    }

    fn choices() -> Vec<Choice> {
        vec![
            Choice {
                text: "1000".into(),
                correct: false,
                why: Some("ack は次に欲しい番号".into()),
                misconception: Some("ack-equals-seq".into()),
            },
            Choice {
                text: "1001".into(),
                correct: true,
                why: None,
                misconception: None,
            },
            Choice {
                text: "5001".into(),
                correct: false,
                why: Some("逆向き".into()),
                misconception: Some("ack-wrong-side".into()),
            },
        ]
    }

    #[test]
    fn single_choice_right_wrong_and_out_of_range() {
        let q = question(Kind::Single { options: choices() });
        assert!(grade(&q, 0, &Response::Choice(vec![1])).unwrap().correct);
        let wrong = grade(&q, 0, &Response::Choice(vec![0])).unwrap();
        assert!(!wrong.correct);
        assert_eq!(wrong.misconception.as_deref(), Some("ack-equals-seq"));
        assert_eq!(wrong.expected, "1001");
        assert!(wrong.why_wrong[0].contains("次に欲しい番号"));
        assert!(grade(&q, 0, &Response::Choice(vec![3])).is_err());
        assert!(grade(&q, 0, &Response::Choice(vec![0, 1])).is_err());
        assert!(!grade(&q, 0, &Response::Blank).unwrap().correct);
    }

    #[test]
    fn multiple_choice_needs_exactly_the_right_set() {
        let mut options = choices();
        options[2].correct = true;
        let q = question(Kind::Multiple { options });
        assert!(grade(&q, 0, &Response::Choice(vec![2, 1])).unwrap().correct);
        let partial = grade(&q, 0, &Response::Choice(vec![1])).unwrap();
        assert!(!partial.correct);
        assert!(partial.why_wrong[0].contains("5001"), "{partial:?}");
        assert!(
            !grade(&q, 0, &Response::Choice(vec![0, 1, 2]))
                .unwrap()
                .correct
        );
    }

    #[test]
    fn ordering_is_a_full_permutation() {
        let q = question(Kind::Order {
            items: vec!["SYN".into(), "SYN+ACK".into(), "ACK".into()],
            misconception: "handshake-order".into(),
        });
        assert!(
            grade(&q, 0, &Response::Order(vec![0, 1, 2]))
                .unwrap()
                .correct
        );
        let wrong = grade(&q, 0, &Response::Order(vec![1, 0, 2])).unwrap();
        assert_eq!(
            (wrong.correct, wrong.misconception.as_deref()),
            (false, Some("handshake-order"))
        );
        assert_eq!(wrong.given, "SYN+ACK → SYN → ACK");
        assert!(grade(&q, 0, &Response::Order(vec![0, 0, 2])).is_err());
        assert!(grade(&q, 0, &Response::Order(vec![0, 1])).is_err());
    }

    #[test]
    fn numbers_accept_full_width_and_separators() {
        let wrong = vec![KnownWrong {
            value: "1200".into(),
            why: "SYN の分".into(),
            misconception: "forget-syn".into(),
        }];
        let q = question(Kind::Numeric {
            answer: 1201.0,
            tolerance: 0.0,
            unit: String::new(),
            wrong,
        });
        for ok in ["1201", "１２０１", " 1,201 "] {
            assert!(
                grade(&q, 0, &Response::Text(ok.into())).unwrap().correct,
                "{ok}"
            );
        }
        let known = grade(&q, 0, &Response::Text("1200".into())).unwrap();
        assert_eq!(known.misconception.as_deref(), Some("forget-syn"));
        let junk = grade(&q, 0, &Response::Text("abc".into())).unwrap();
        assert!(!junk.correct && junk.why_wrong[0].contains("数値"));
    }

    #[test]
    fn text_answers_are_normalised() {
        let q = question(Kind::Text {
            answers: vec!["SIGINT".into(), "INT".into()],
            wrong: vec![],
        });
        for ok in ["sigint", "ＳＩＧＩＮＴ", " SIG INT ", "int"] {
            assert!(
                grade(&q, 0, &Response::Text(ok.into())).unwrap().correct,
                "{ok}"
            );
        }
        assert!(
            !grade(&q, 0, &Response::Text("SIGKILL".into()))
                .unwrap()
                .correct
        );
        assert!(!grade(&q, 0, &Response::Text("".into())).unwrap().correct);
    }

    #[test]
    fn generated_questions_are_graded_by_the_model_with_the_attempt_seed() {
        let q = question(Kind::Generated {
            generator: synack_ack(),
        });
        let instance = synack_ack().instance(question_seed(77, "t-q"));
        let right = grade(&q, 77, &Response::Text(instance.answer.to_string())).unwrap();
        assert!(right.correct);
        assert!(
            right
                .explanation
                .contains(&format!("ans={}", instance.answer)),
            "{}",
            right.explanation
        );
        assert!(
            !grade(&q, 78, &Response::Text(instance.answer.to_string()))
                .unwrap()
                .correct
                || instance.answer == synack_ack().instance(question_seed(78, "t-q")).answer
        );
    }

    #[test]
    fn several_answers_earn_partial_credit_by_moodle_s_rule() {
        // Four options, two right (1 and 3), two wrong (0 and 2).
        let mut options = choices();
        options.push(Choice {
            text: "1002".into(),
            correct: true,
            why: None,
            misconception: None,
        });
        let q = question(Kind::Multiple { options });
        let credit = |chosen: Vec<usize>| grade(&q, 0, &Response::Choice(chosen)).unwrap().credit;
        assert_eq!(credit(vec![1, 3]), 100);
        assert_eq!(credit(vec![1]), 50, "one of two right");
        assert_eq!(credit(vec![1, 0]), 0, "one right, one wrong: 1/2 − 1/2");
        assert_eq!(credit(vec![1, 3, 0]), 50, "both right, one wrong: 1 − 1/2");
        assert_eq!(credit(vec![0, 1, 2, 3]), 0, "everything earns nothing");
        assert_eq!(credit(vec![0]), 0, "never below 0");
        assert_eq!(credit(vec![]), 0);
        let partial = grade(&q, 0, &Response::Choice(vec![1])).unwrap();
        assert!(!partial.correct, "partial credit is not correct");
    }

    #[test]
    fn ordering_earns_the_share_of_right_neighbours() {
        let q = question(Kind::Order {
            items: vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
            misconception: "m".into(),
        });
        let credit = |order: Vec<usize>| grade(&q, 0, &Response::Order(order)).unwrap().credit;
        assert_eq!(credit(vec![0, 1, 2, 3, 4]), 100);
        assert_eq!(credit(vec![4, 3, 2, 1, 0]), 0, "reversed");
        assert_eq!(
            credit(vec![1, 2, 3, 4, 0]),
            75,
            "a rotated order keeps 3 of 4 pairs"
        );
        assert_eq!(
            credit(vec![0, 1, 3, 2, 4]),
            25,
            "one swap in the middle keeps 1 of 4"
        );
        assert_eq!(grade(&q, 0, &Response::Blank).unwrap().credit, 0);
    }

    #[test]
    fn all_or_nothing_kinds_and_points_text() {
        let q = question(Kind::Single { options: choices() });
        assert_eq!(
            grade(&q, 0, &Response::Choice(vec![1])).unwrap().credit,
            100
        );
        assert_eq!(grade(&q, 0, &Response::Choice(vec![0])).unwrap().credit, 0);
        assert!(credit_rule(&q.kind, false).is_none());
        assert!(
            credit_rule(&Kind::Multiple { options: choices() }, false)
                .unwrap()
                .contains("部分点")
        );
        assert_eq!(points_text(750), "7.5");
        assert_eq!(points_text(1000), "10");
        assert_eq!(points_text(33), "0.33");
        assert_eq!(points_text(0), "0");
    }

    #[test]
    fn a_response_of_the_wrong_shape_is_an_error() {
        let q = question(Kind::Single { options: choices() });
        assert!(grade(&q, 0, &Response::Text("1001".into())).is_err());
    }
}
