//! What a learner sees for one attempt: the questions in the bank's order, options and items shuffled by
//! the attempt's seed, generated questions written out — and nothing of the answer key.

use crate::quiz::bank::{Kind, Question};
use crate::widgets::rng::Rng;

/// How a question is answered on the page, options and items in display order with their index in the
/// bank. The index never reaches the page: it is shown as the attempt's opaque token (`quiz::form`).
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    Single { options: Vec<(usize, String)> },
    Multiple { options: Vec<(usize, String)> },
    Order { items: Vec<(usize, String)> },
    Numeric { unit: String },
    Text,
}

/// One question as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Presented {
    pub id: String,
    /// 1-based position in the attempt.
    pub number: usize,
    pub prompt: String,
    pub form: Form,
}

/// The seed for one question of an attempt: independent shuffles per question, same on every reload.
pub fn question_seed(attempt_seed: u64, question_id: &str) -> u64 {
    let mut hash = attempt_seed ^ 0x9e37_79b9_7f4a_7c15;
    for byte in question_id.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Fisher–Yates with the model RNG, so a seed gives the same order everywhere.
fn shuffled<T>(mut items: Vec<T>, rng: &mut Rng) -> Vec<T> {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
    items
}

/// The question as this attempt shows it.
pub fn present(question: &Question, number: usize, attempt_seed: u64) -> Presented {
    let seed = question_seed(attempt_seed, &question.id);
    let mut rng = Rng::new(seed);
    let indexed = |texts: Vec<&String>| texts.into_iter().cloned().enumerate().collect::<Vec<_>>();
    let (prompt, form) = match &question.kind {
        Kind::Single { options } => (
            question.prompt.clone(),
            Form::Single {
                options: shuffled(indexed(options.iter().map(|o| &o.text).collect()), &mut rng),
            },
        ),
        Kind::Multiple { options } => (
            question.prompt.clone(),
            Form::Multiple {
                options: shuffled(indexed(options.iter().map(|o| &o.text).collect()), &mut rng),
            },
        ),
        // Any order may come up, the right one included: a shuffle that avoided it would tell the
        // learner one order that is wrong.
        Kind::Order { items, .. } => (
            question.prompt.clone(),
            Form::Order {
                items: shuffled(indexed(items.iter().collect()), &mut rng),
            },
        ),
        Kind::Numeric { unit, .. } => (
            question.prompt.clone(),
            Form::Numeric { unit: unit.clone() },
        ),
        Kind::Text { .. } => (question.prompt.clone(), Form::Text),
        Kind::Generated { generator } => (
            generator.instance(seed).prompt,
            Form::Numeric {
                unit: String::new(),
            },
        ),
    };
    Presented {
        id: question.id.clone(),
        number,
        prompt,
        form,
    }
}
