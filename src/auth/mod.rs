//! Accounts without HTTP: passwords (argon2id, [`password`]), roles ([`Role`]), throttling of guesses
//! ([`throttle`]), random tokens, the cookie names, sign-up rules, and the `next` redirects that may only
//! stay on this site. The session and CSRF handling of a request — where accounts meet axum — is
//! `web::visitor`.

pub mod password;
pub mod role;
pub mod throttle;

pub use role::Role;

/// The cookie names, with the `__Host-` prefix when cookies are Secure: the browser then refuses the
/// cookie unless it came over HTTPS from this host for the whole site, so a sibling subdomain or a
/// plain-HTTP attacker cannot plant one (cookie tossing).
pub fn cookie_name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// The session cookie's name before its prefix.
pub const SESSION_COOKIE: &str = "dojo_session";
/// The CSRF cookie's name before its prefix.
pub const CSRF_COOKIE: &str = "dojo_csrf";

/// A random token: 128 bits as 32 hex digits.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `s` looks like a [`random_token`].
pub fn is_token(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A `next` target that stays on this site: a path starting with one `/`, no scheme, no backslash.
/// Anything else becomes `/` (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 200 =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// What is wrong with a sign-up form, in the course's language; empty when it is fine.
pub fn signup_errors(
    name: &str,
    display_name: &str,
    password: &str,
    language: crate::content::Language,
) -> Vec<String> {
    let en = language == crate::content::Language::En;
    let mut errors = Vec::new();
    let name_ok = (3..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !name_ok {
        errors.push(if en {
            "A user name is 3–32 lower-case letters, digits, - and _.".to_string()
        } else {
            "ユーザー名は 3〜32 文字の英小文字・数字・- と _ で入力してください。".to_string()
        });
    }
    let display = display_name.trim();
    if display.is_empty() || display.chars().count() > 40 || display.chars().any(char::is_control) {
        errors.push(if en {
            "A display name is 1–40 characters.".to_string()
        } else {
            "表示名は 1〜40 文字で入力してください。".to_string()
        });
    }
    let len = password.chars().count();
    if len < password::MIN_LEN {
        errors.push(if en {
            format!("A password has at least {} characters.", password::MIN_LEN)
        } else {
            format!(
                "パスワードは {} 文字以上にしてください。",
                password::MIN_LEN
            )
        });
    } else if len > password::MAX_LEN {
        errors.push(if en {
            format!("A password has at most {} characters.", password::MAX_LEN)
        } else {
            format!(
                "パスワードは {} 文字以内にしてください。",
                password::MAX_LEN
            )
        });
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next(Some("/me")), "/me");
        assert_eq!(
            safe_next(Some("/topics/tcp/quiz?only=a")),
            "/topics/tcp/quiz?only=a"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "me",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn tokens_are_random_hex() {
        let a = random_token().unwrap();
        assert!(is_token(&a));
        assert_ne!(a, random_token().unwrap());
        assert!(!is_token("ZZ") && !is_token(&"A".repeat(32)));
    }
}
