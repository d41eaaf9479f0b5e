//! Reading widget parameters from query pairs: the helpers every widget's `params_from_query` uses,
//! and [`ParamError`], the one error a bad parameter or answer becomes (a 400 in the web layer, with
//! the Japanese message shown as is).

/// A rejected widget parameter or answer. The message is Japanese, names the parameter and
/// lists the allowed values; the web layer returns it as a 400 JSON error.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct ParamError(pub String);

/// Longest piece of user input echoed back in an error message, so a huge query value cannot
/// blow up the error body.
const ECHO_LIMIT: usize = 40;

/// User input as it appears inside an error message: trimmed and cut to [`ECHO_LIMIT`] characters.
pub(crate) fn echo(value: &str) -> String {
    let value = value.trim();
    if value.chars().count() > ECHO_LIMIT {
        let cut: String = value.chars().take(ECHO_LIMIT).collect();
        format!("{cut}…")
    } else {
        value.to_owned()
    }
}

/// The value of `key` in query pairs: the first occurrence, trimmed. An empty value counts as
/// missing, because an HTML form with an empty field still sends `key=`.
pub fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Parses `key` as one of a fixed set of names (`all`, spelled by `name`), or returns `default`
/// when the key is missing.
pub fn query_choice<T: Copy>(
    pairs: &[(String, String)],
    key: &str,
    default: T,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, ParamError> {
    let Some(raw) = query_value(pairs, key) else {
        return Ok(default);
    };
    all.iter()
        .copied()
        .find(|v| name(*v) == raw)
        .ok_or_else(|| {
            let allowed: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            not_allowed(key, raw, &allowed)
        })
}

/// The error for a value of `key` that is none of `allowed`: the parameter, the value as given
/// (through [`echo`]) and the values it may take.
pub(crate) fn not_allowed(key: &str, raw: &str, allowed: &[&str]) -> ParamError {
    ParamError(format!(
        "パラメータ {key} の値「{}」は使えません。使える値: {}",
        echo(raw),
        allowed.join(", ")
    ))
}

/// A predicted answer no longer than `limit` characters (a longer one is refused before grading,
/// so nothing huge is stored or echoed).
pub(crate) fn answer_within(answer: &str, limit: usize) -> Result<(), ParamError> {
    if answer.chars().count() > limit {
        return Err(ParamError(format!(
            "パラメータ answer が長すぎます（{limit} 文字まで）"
        )));
    }
    Ok(())
}

/// Parses `key` as a decimal integer in `min..=max`, or returns `default` when it is missing.
pub fn query_u64(
    pairs: &[(String, String)],
    key: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ParamError> {
    let Some(raw) = query_value(pairs, key) else {
        return Ok(default);
    };
    // Only plain digits: `u64::from_str` would also take "+5", which no form sends.
    let parsed = if raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.parse::<u64>().ok()
    } else {
        None
    };
    match parsed {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ParamError(format!(
            "パラメータ {key} は {min}〜{max} の整数で指定してください（指定値:「{}」）",
            echo(raw)
        ))),
    }
}

/// Parses `key` as a flag: `true`/`1`/`on` or `false`/`0`/`off` (`on` is what an HTML checkbox
/// sends), or returns `default` when it is missing.
pub fn query_bool(
    pairs: &[(String, String)],
    key: &str,
    default: bool,
) -> Result<bool, ParamError> {
    match query_value(pairs, key) {
        None => Ok(default),
        Some("true" | "1" | "on") => Ok(true),
        Some("false" | "0" | "off") => Ok(false),
        Some(raw) => Err(ParamError(format!(
            "パラメータ {key} は true か false で指定してください（指定値:「{}」）",
            echo(raw)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn missing_and_empty_values_use_the_default() {
        assert_eq!(query_u64(&q(&[]), "n", 3, 1, 6), Ok(3));
        assert_eq!(query_u64(&q(&[("n", "")]), "n", 3, 1, 6), Ok(3));
        assert_eq!(query_bool(&q(&[("x", " ")]), "x", true), Ok(true));
    }

    #[test]
    fn numbers_are_range_checked_with_a_japanese_message() {
        assert_eq!(query_u64(&q(&[("n", "6")]), "n", 3, 1, 6), Ok(6));
        let err = query_u64(&q(&[("n", "7")]), "n", 3, 1, 6).unwrap_err();
        assert!(err.0.contains("パラメータ n"), "{err}");
        assert!(err.0.contains("1〜6"), "{err}");
        assert!(query_u64(&q(&[("n", "-1")]), "n", 3, 1, 6).is_err());
        assert!(query_u64(&q(&[("n", "+2")]), "n", 3, 1, 6).is_err());
        assert!(query_u64(&q(&[("n", "99999999999999999999999")]), "n", 3, 0, u64::MAX).is_err());
    }

    #[test]
    fn choices_list_the_allowed_values() {
        let all = [1u8, 2];
        let name = |v: u8| if v == 1 { "one" } else { "two" };
        assert_eq!(query_choice(&q(&[("k", "two")]), "k", 1, &all, name), Ok(2));
        let err = query_choice(&q(&[("k", "three")]), "k", 1, &all, name).unwrap_err();
        assert!(err.0.contains("one, two"), "{err}");
    }

    #[test]
    fn long_input_is_cut_in_messages() {
        let long = "x".repeat(1000);
        let err = query_bool(&q(&[("b", &long)]), "b", false).unwrap_err();
        assert!(err.0.chars().count() < 120, "{err}");
    }
}
