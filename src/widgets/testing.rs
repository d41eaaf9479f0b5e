//! Checks that several widgets' unit tests make alike (test builds only): a bad query parameter is
//! refused in Japanese naming itself, and a question generator is a pure function of its seed.

use super::{ParamError, QuestionGenerator};
use std::fmt::Debug;

/// A widget's `params_from_query`.
type ParseParams<P> = fn(&[(String, String)]) -> Result<P, ParamError>;

/// `parse` (a widget's `params_from_query`) refuses each `(key, value)` of `bad` with a message
/// naming the parameter (「パラメータ key …」), and reads no pairs at all as the defaults.
pub(crate) fn assert_bad_parameters_named<P: Debug + Default + PartialEq>(
    parse: ParseParams<P>,
    bad: &[(&str, &str)],
) {
    for (k, v) in bad {
        let err = parse(&[((*k).to_owned(), (*v).to_owned())]).unwrap_err();
        assert!(err.0.contains(&format!("パラメータ {k}")), "{k}={v}: {err}");
    }
    assert_eq!(parse(&[]).unwrap(), P::default());
}

/// Every generator in `generators` makes the same question twice for `seed`, and its last value
/// (the one the bank's explanation ends with) is the answer.
pub(crate) fn assert_generators_repeat_with_answer_last(
    generators: &[QuestionGenerator],
    seed: u64,
) {
    for g in generators {
        let q = (g.make)(seed);
        assert_eq!(q, (g.make)(seed), "{} is deterministic", g.id);
        let answer: u64 = q.values.last().unwrap().1.parse().unwrap();
        assert_eq!(answer, q.answer, "{}", g.id);
    }
}
