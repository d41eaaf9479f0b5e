//! The rules of running a class that are not HTTP: class names (here), join codes ([`join_code`]), who
//! may need help ([`needs_help`]), the live panel's window ([`live_window`]), the item statistics of the
//! question analysis ([`item_stats`]), and the codecs that read the packed rows of the class queries
//! ([`rows`]), and what a learner's answers add to their classes' sums ([`aggregates`]). No axum and no
//! sqlx: `web::instructor` calls these rules, and `store` hands them rows.
//!
//! Mastery is not here: a learner reads it on `/me` without any class, so it sits beside the review
//! schedule it is defined by, in `quiz::mastery`.

pub mod aggregates;
pub mod item_stats;
pub mod join_code;
pub mod live_window;
pub mod needs_help;
pub mod retention;
pub mod rows;

/// Longest class name, in characters.
pub const NAME_MAX_CHARS: usize = 60;

/// Why a class name was refused; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("クラス名を入力してください。")]
    Empty,
    #[error("クラス名は {NAME_MAX_CHARS} 文字までです（いま {0} 文字）。")]
    TooLong(usize),
    #[error("クラス名に改行や制御文字は使えません。")]
    Control,
}

/// A checked class name: trimmed, 1–60 characters, no control characters.
pub fn class_name(raw: &str) -> Result<String, NameError> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 {
        return Err(NameError::Empty);
    }
    if count > NAME_MAX_CHARS {
        return Err(NameError::TooLong(count));
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(class_name("  1年A組 "), Ok("1年A組".to_string()));
        assert_eq!(class_name("   "), Err(NameError::Empty));
        assert_eq!(class_name(&"あ".repeat(61)), Err(NameError::TooLong(61)));
        assert!(class_name(&"あ".repeat(60)).is_ok());
        assert_eq!(class_name("a\nb"), Err(NameError::Control));
        assert_eq!(
            NameError::TooLong(61).to_string(),
            "クラス名は 60 文字までです（いま 61 文字）。"
        );
    }
}
