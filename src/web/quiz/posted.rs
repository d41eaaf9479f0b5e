//! Reading a posted attempt form: every field checked against the sealed form it names (anything the
//! server did not issue is refused), then each question's response mapped from the attempt's opaque
//! tokens back to bank terms. Shared by the whole-quiz submit, the per-question check and the review loop.

use crate::quiz::bank::{Kind, Question};
use crate::quiz::form::{AttemptForm, Purpose};
use crate::quiz::grade::Response as Answered;
use crate::web::chrome::{pick, pick_with};
use crate::web::error::{AppError, Result};
use crate::web::state::AppState;
use std::collections::HashMap;

/// Longest accepted answer text.
const MAX_ANSWER_CHARS: usize = 200;

/// The message for a form the server did not issue, or issued differently.
pub(crate) fn not_issued() -> &'static str {
    pick(
        "このフォームはサーバーが出したものと一致しません。クイズのページを開き直して、もう一度解答してください。",
        "This form is not the one the server issued. Open the quiz page again and answer once more.",
    )
}

/// The posted fields of one attempt, grouped per question, after checking that every field is one the
/// server's form has: `csrf`, `token`, and `a.<id>` / `o.<id>.<item>` / `t.<id>` for the attempt's
/// questions, and the few `extras` a route names (`confirm_blank`, `q`), each at most once. Anything else —
/// a `seed`, a question list, another topic's question — is refused.
pub(crate) struct Posted<'a> {
    /// `a.<id>` values per question.
    pub answers: HashMap<&'a str, Vec<&'a str>>,
    /// `o.<id>.<item token>` → position, per question.
    pub orders: HashMap<&'a str, Vec<(&'a str, &'a str)>>,
    /// `t.<id>`: milliseconds the page measured on the question.
    pub times: HashMap<&'a str, &'a str>,
    /// The route's extra fields that were posted.
    pub extras: HashMap<&'static str, &'a str>,
}

impl Posted<'_> {
    /// Whether anything was posted for this question (an answer or an order).
    pub fn touches(&self, id: &str) -> bool {
        self.answers.contains_key(id) || self.orders.contains_key(id)
    }
}

/// The sealed quiz form named by the post's `token` field, opened and checked to be this topic's.
pub(crate) fn open_form(
    state: &AppState,
    slug: &str,
    pairs: &[(String, String)],
) -> Result<AttemptForm> {
    let form = open_sealed(state, Purpose::Quiz, pairs)?;
    if form.topic != slug {
        return Err(AppError::bad_request(not_issued()));
    }
    Ok(form)
}

/// The sealed form named by the post's `token` field, opened for `purpose` (a form issued for another
/// purpose is refused like a forged one).
pub(crate) fn open_sealed(
    state: &AppState,
    purpose: Purpose,
    pairs: &[(String, String)],
) -> Result<AttemptForm> {
    let sealed = pairs
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| {
            AppError::bad_request(pick(
                "フォームの識別子がありません。クイズのページを開き直してください。",
                "The form has no token. Open the quiz page again.",
            ))
        })?;
    let form = state.quiz_forms.open(purpose, sealed).map_err(|e| {
        tracing::warn!(form.purpose = ?purpose, reason = %e, "quiz form refused");
        AppError::bad_request(not_issued())
    })?;
    if form.question_ids.is_empty() {
        return Err(AppError::bad_request(not_issued()));
    }
    Ok(form)
}

/// A field name cut for an error message (it comes from the client).
fn shown(name: &str) -> String {
    name.chars().take(40).collect()
}

pub(crate) fn sort_fields<'a>(
    form: &AttemptForm,
    pairs: &'a [(String, String)],
    extras: &[&'static str],
) -> Result<Posted<'a>> {
    let mut posted = Posted {
        answers: HashMap::new(),
        orders: HashMap::new(),
        times: HashMap::new(),
        extras: HashMap::new(),
    };
    let refused = |name: &str| {
        AppError::bad_request(pick_with(
            || {
                format!(
                    "フォームに、このクイズにない項目「{}」があります。クイズのページを開き直してください。",
                    shown(name)
                )
            },
            || {
                format!(
                    "The form has a field “{}” this quiz does not. Open the quiz page again.",
                    shown(name)
                )
            },
        ))
    };
    let (mut csrf, mut token) = (0, 0);
    for (name, value) in pairs {
        let in_attempt = |id: &str| form.has_question(id);
        if name == "csrf" {
            csrf += 1;
        } else if name == "token" {
            token += 1;
        } else if let Some(id) = name.strip_prefix("a.").filter(|id| in_attempt(id)) {
            posted.answers.entry(id).or_default().push(value);
        } else if let Some((id, item)) = name
            .strip_prefix("o.")
            .and_then(|rest| rest.split_once('.'))
            .filter(|(id, _)| in_attempt(id))
        {
            posted.orders.entry(id).or_default().push((item, value));
        } else if let Some(id) = name.strip_prefix("t.").filter(|id| in_attempt(id)) {
            if posted.times.insert(id, value).is_some() {
                return Err(refused(name));
            }
        } else if let Some(extra) = extras.iter().find(|e| **e == name) {
            if posted.extras.insert(extra, value).is_some() {
                return Err(refused(name));
            }
        } else {
            return Err(refused(name));
        }
    }
    if csrf > 1 || token > 1 {
        return Err(AppError::bad_request(not_issued()));
    }
    Ok(posted)
}

/// Reads one question's response from its posted fields, mapping the attempt's tokens back to bank
/// indices. Nothing chosen, typed or ordered is [`Answered::Blank`]: an ordering whose positions were all
/// left at "—" is unanswered, not graded in its starting order.
pub(crate) fn response_for(q: &Question, form: &AttemptForm, posted: &Posted) -> Result<Answered> {
    let given = posted
        .answers
        .get(q.id.as_str())
        .cloned()
        .unwrap_or_default();
    if given.iter().any(|v| v.chars().count() > MAX_ANSWER_CHARS) {
        return Err(AppError::unprocessable(pick_with(
            || {
                format!(
                    "問題 {} の答えが長すぎます（{MAX_ANSWER_CHARS} 文字まで）。",
                    q.id
                )
            },
            || {
                format!(
                    "The answer to {} is too long (at most {MAX_ANSWER_CHARS} characters).",
                    q.id
                )
            },
        )));
    }
    let one_answer = || {
        if given.len() > 1 {
            Err(AppError::unprocessable(pick_with(
                || {
                    format!(
                        "問題 {} に答えが {} つ送られました。一つだけ答えてください。",
                        q.id,
                        given.len()
                    )
                },
                || format!("{} answers were sent for {}: send one.", given.len(), q.id),
            )))
        } else {
            Ok(given.first().copied())
        }
    };
    Ok(match &q.kind {
        Kind::Single { options } | Kind::Multiple { options } => {
            if matches!(q.kind, Kind::Single { .. }) {
                one_answer()?;
            }
            if given.is_empty() {
                return Ok(Answered::Blank);
            }
            let mut indices = Vec::with_capacity(given.len());
            for value in &given {
                let index = form
                    .choice_index(&q.id, options.len(), value)
                    .ok_or_else(|| {
                        AppError::unprocessable(pick_with(
                            || format!("問題 {} の選択肢の値が正しくありません。", q.id),
                            || format!("An option sent for {} is not one of its options.", q.id),
                        ))
                    })?;
                if indices.contains(&index) {
                    return Err(AppError::unprocessable(pick_with(
                        || format!("問題 {} で同じ選択肢が 2 回送られました。", q.id),
                        || format!("The same option was sent twice for {}.", q.id),
                    )));
                }
                indices.push(index);
            }
            Answered::Choice(indices)
        }
        Kind::Order { items, .. } => {
            let sent: Vec<(&str, &str)> = posted
                .orders
                .get(q.id.as_str())
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, position)| !position.is_empty())
                .collect();
            if sent.is_empty() {
                return Ok(Answered::Blank);
            }
            let incomplete = || {
                AppError::unprocessable(pick_with(
                    || {
                        format!(
                            "問題 {} の並べ替えで、すべての項目の順番を選んでください。",
                            q.id
                        )
                    },
                    || format!("In {}, give every item its position.", q.id),
                ))
            };
            if sent.len() != items.len() {
                return Err(incomplete());
            }
            let mut ranked = Vec::with_capacity(items.len());
            for (item, position) in sent {
                let index = form
                    .choice_index(&q.id, items.len(), item)
                    .ok_or_else(incomplete)?;
                let position = position.parse::<usize>().map_err(|_| incomplete())?;
                ranked.push((position, index));
            }
            ranked.sort_unstable();
            let mut seen = vec![false; items.len()];
            for (k, (position, index)) in ranked.iter().enumerate() {
                if *position != k + 1 || std::mem::replace(&mut seen[*index], true) {
                    return Err(AppError::unprocessable(pick_with(
                        || {
                            format!(
                                "問題 {} の並べ替えで、1 から {} の番号を一度ずつ使ってください。",
                                q.id,
                                items.len()
                            )
                        },
                        || {
                            format!(
                                "In {}, use each position from 1 to {} once.",
                                q.id,
                                items.len()
                            )
                        },
                    )));
                }
            }
            Answered::Order(ranked.into_iter().map(|(_, i)| i).collect())
        }
        Kind::Numeric { .. } | Kind::Text { .. } | Kind::Generated { .. } => match one_answer()? {
            Some(v) if !v.trim().is_empty() => Answered::Text(v.to_string()),
            _ => Answered::Blank,
        },
    })
}
