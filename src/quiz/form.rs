//! The attempt form: what the server chose for one attempt — its topic, its questions, when it was issued —
//! sealed with a key only the server knows, and the per-attempt tokens that stand for options on the page.
//!
//! The page must not carry the answer key nor anything it can be derived from. So:
//! - the question list and the issue time travel inside the sealed `token` field, authenticated with
//!   HMAC-SHA256: a post cannot name another question set, repeat a question or change its timing;
//! - the attempt's seed (option shuffles, generated numbers) is never sent at all: it is derived from the
//!   form's nonce with the key, so the client can neither choose it nor learn it;
//! - every option and ordering item is posted as an opaque token derived from the nonce, the question and
//!   the option's bank index with the key: bank order (where the right option is often first) is invisible.
//!
//! Why sealed rather than a row per form: showing a quiz writes nothing, so anonymous page views cannot
//! grow the database, and any instance sharing the key (kept in the database) can check any form.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of MAC kept in a sealed form (128 bits).
const MAC_BYTES: usize = 16;
/// Bytes of an option token (48 bits: unguessable for the few options of one question of one attempt).
const CHOICE_BYTES: usize = 6;
/// What a form is for. Each purpose seals with a context of its own, so a form issued for one is refused
/// by the other: a review question (stored as a review, moving only the schedule) cannot be posted to a
/// topic's quiz, nor a one-question quiz form to the review loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A topic's quiz, `/topics/{slug}/quiz` (and its per-question check).
    Quiz,
    /// One question of the review loop, `/me/review`.
    Review,
}

impl Purpose {
    /// What a sealed form's MAC covers besides the payload, so a MAC made for one purpose never fits
    /// another. (The quiz's is the context forms had before there were purposes: forms in flight stay
    /// valid.)
    fn context(self) -> &'static [u8] {
        match self {
            Purpose::Quiz => b"infra-dojo quiz form v1\0",
            Purpose::Review => b"infra-dojo review form v1\0",
        }
    }
}

/// The server's key for attempt forms: 32 random bytes, generated once per deployment and kept in the
/// database (`store::secrets`), so every instance on that database shares it.
#[derive(Clone)]
pub struct FormKey([u8; 32]);

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(…)")
    }
}

/// Why a posted form was not accepted. The learner is told the same thing for both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form token is malformed")]
    Malformed,
    #[error("the form token's MAC does not match")]
    Forged,
}

impl FormKey {
    /// Length of a key in bytes.
    pub const LEN: usize = 32;

    /// The key from its stored bytes; `None` unless exactly [`FormKey::LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(FormKey)
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC takes keys of any length; 32 bytes cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// A new form for `purpose` on `topic` with these questions (repeats dropped, order kept), issued at
    /// `issued_ms`.
    pub fn issue(
        &self,
        purpose: Purpose,
        topic: &str,
        question_ids: &[&str],
        issued_ms: i64,
    ) -> Result<AttemptForm, getrandom::Error> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)?;
        let mut ids: Vec<String> = Vec::with_capacity(question_ids.len());
        for id in question_ids {
            if !ids.iter().any(|known| known == id) {
                ids.push((*id).to_string());
            }
        }
        Ok(AttemptForm {
            key: self.clone(),
            purpose,
            nonce,
            topic: topic.to_string(),
            question_ids: ids,
            issued_ms,
        })
    }

    /// Opens a sealed form as posted back: checks its shape and its MAC, which only fits a form issued
    /// for `purpose`.
    pub fn open(&self, purpose: Purpose, sealed: &str) -> Result<AttemptForm, FormError> {
        let (payload, mac_hex) = sealed.rsplit_once('.').ok_or(FormError::Malformed)?;
        let given = decode_hex(mac_hex).ok_or(FormError::Malformed)?;
        if given.len() != MAC_BYTES {
            return Err(FormError::Malformed);
        }
        self.mac(&[purpose.context(), payload.as_bytes()])
            .verify_truncated_left(&given)
            .map_err(|_| FormError::Forged)?;
        // Authentic from here on: the server wrote this payload, so it parses; still, never panic on it.
        let mut parts = payload.split('.');
        let (Some(nonce), Some(issued), Some(topic), Some(ids), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(FormError::Malformed);
        };
        let nonce: [u8; 16] = decode_hex(nonce)
            .and_then(|n| n.try_into().ok())
            .ok_or(FormError::Malformed)?;
        let issued_ms = issued.parse().map_err(|_| FormError::Malformed)?;
        Ok(AttemptForm {
            key: self.clone(),
            purpose,
            nonce,
            topic: topic.to_string(),
            question_ids: ids
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            issued_ms,
        })
    }
}

/// One attempt's form, as issued by the server.
#[derive(Debug, Clone)]
pub struct AttemptForm {
    key: FormKey,
    /// What it was issued for; its seal fits nothing else.
    pub purpose: Purpose,
    nonce: [u8; 16],
    /// The topic whose quiz this is.
    pub topic: String,
    /// The questions of the attempt, in the order shown, each once.
    pub question_ids: Vec<String>,
    /// When the page was served (Unix milliseconds): the attempt's duration counts from here.
    pub issued_ms: i64,
}

impl AttemptForm {
    /// The attempt's identity (32 hex digits): stored with the attempt, so a form posted twice is
    /// recorded once.
    pub fn token(&self) -> String {
        encode_hex(&self.nonce)
    }

    /// The form as the page carries it: payload and MAC. Topic slugs and question ids are
    /// `[a-z0-9-]` (checked when content loads), so `.` and `,` separate safely.
    pub fn sealed(&self) -> String {
        let payload = format!(
            "{}.{}.{}.{}",
            self.token(),
            self.issued_ms,
            self.topic,
            self.question_ids.join(",")
        );
        let mac = self
            .key
            .mac(&[self.purpose.context(), payload.as_bytes()])
            .finalize()
            .into_bytes();
        format!("{payload}.{}", encode_hex(&mac[..MAC_BYTES]))
    }

    /// The attempt's seed: option shuffles and generated numbers. Derived with the key, never sent.
    pub fn seed(&self) -> u64 {
        let digest = self
            .key
            .mac(&[b"seed\0", &self.nonce])
            .finalize()
            .into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }

    /// The token that stands for option (or ordering item) `index` of `question_id` in this attempt.
    pub fn choice_token(&self, question_id: &str, index: usize) -> String {
        let digest = self
            .key
            .mac(&[
                b"choice\0",
                &self.nonce,
                question_id.as_bytes(),
                b"\0",
                &(index as u64).to_le_bytes(),
            ])
            .finalize()
            .into_bytes();
        encode_hex(&digest[..CHOICE_BYTES])
    }

    /// The bank index a posted token stands for, among a question's `count` options.
    pub fn choice_index(&self, question_id: &str, count: usize, token: &str) -> Option<usize> {
        (0..count).find(|&i| self.choice_token(question_id, i) == token)
    }

    /// Whether the attempt includes this question.
    pub fn has_question(&self, question_id: &str) -> bool {
        self.question_ids.iter().any(|id| id == question_id)
    }
}

fn encode_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Lower-case hex only, so every value has exactly one spelling.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> FormKey {
        FormKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn a_sealed_form_opens_to_what_was_issued() {
        let k = key(1);
        let form = k
            .issue(Purpose::Quiz, "tcp", &["a", "b-2", "a", "c"], 1234)
            .unwrap();
        assert_eq!(form.question_ids, ["a", "b-2", "c"], "repeats dropped");
        let opened = k.open(Purpose::Quiz, &form.sealed()).unwrap();
        assert_eq!(opened.topic, "tcp");
        assert_eq!(opened.question_ids, form.question_ids);
        assert_eq!(opened.issued_ms, 1234);
        assert_eq!(opened.token(), form.token());
        assert_eq!(opened.seed(), form.seed());
        assert_eq!(form.token().len(), 32);
    }

    #[test]
    fn any_change_to_a_sealed_form_is_refused() {
        let k = key(1);
        let sealed = k
            .issue(Purpose::Quiz, "tcp", &["a", "b"], 1234)
            .unwrap()
            .sealed();
        let (payload, mac) = sealed.rsplit_once('.').unwrap();
        for forged in [
            payload.replace(".tcp.", ".ftp."),
            payload.replace("a,b", "a,a"),
            payload.replace("a,b", "a,b,c"),
            payload.replace(".1234.", ".0."),
        ] {
            assert_eq!(
                k.open(Purpose::Quiz, &format!("{forged}.{mac}"))
                    .unwrap_err(),
                FormError::Forged
            );
        }
        assert_eq!(
            key(2).open(Purpose::Quiz, &sealed).unwrap_err(),
            FormError::Forged,
            "another key"
        );
        for malformed in [
            "",
            "x",
            "a.b",
            &format!("{payload}.{}", &mac[..10]),
            &sealed.to_uppercase(),
        ] {
            assert!(k.open(Purpose::Quiz, malformed).is_err(), "{malformed:?}");
        }
    }

    #[test]
    fn seeds_and_tokens_differ_per_attempt_and_map_back() {
        let k = key(7);
        let a = k.issue(Purpose::Quiz, "tcp", &["q"], 0).unwrap();
        let b = k.issue(Purpose::Quiz, "tcp", &["q"], 0).unwrap();
        assert_ne!(a.seed(), b.seed());
        assert_ne!(a.choice_token("q", 0), b.choice_token("q", 0));
        let tokens: Vec<String> = (0..6).map(|i| a.choice_token("q", i)).collect();
        for (i, t) in tokens.iter().enumerate() {
            assert_eq!(t.len(), CHOICE_BYTES * 2);
            assert_eq!(a.choice_index("q", 6, t), Some(i));
            assert_eq!(b.choice_index("q", 6, t), None, "another attempt's token");
        }
        assert_ne!(
            a.choice_token("q", 0),
            a.choice_token("r", 0),
            "per question"
        );
        assert_eq!(a.choice_index("q", 6, "0"), None);
    }

    #[test]
    fn a_form_opens_only_for_the_purpose_it_was_issued_for() {
        let k = key(3);
        let review = k.issue(Purpose::Review, "tcp", &["q"], 0).unwrap();
        let quiz = k.issue(Purpose::Quiz, "tcp", &["q"], 0).unwrap();
        assert_eq!(
            k.open(Purpose::Quiz, &review.sealed()).unwrap_err(),
            FormError::Forged,
            "a review question is not a quiz"
        );
        assert_eq!(
            k.open(Purpose::Review, &quiz.sealed()).unwrap_err(),
            FormError::Forged,
            "a one-question quiz is not a review"
        );
        let opened = k.open(Purpose::Review, &review.sealed()).unwrap();
        assert_eq!(opened.purpose, Purpose::Review);
        assert_eq!(opened.seed(), review.seed());
    }

    #[test]
    fn keys_are_exactly_32_bytes() {
        assert!(FormKey::from_bytes(&[0u8; 31]).is_none());
        assert!(FormKey::from_bytes(&[0u8; 33]).is_none());
        assert!(FormKey::from_bytes(&[0u8; 32]).is_some());
    }
}
