//! Join codes: what a learner types (or follows as `/join/{code}`) to join a class. Eight characters from
//! an alphabet without look-alikes, easy to read out in a classroom; typed codes are forgiving about
//! width, case, spaces and hyphens. Guessing is slowed elsewhere (`auth::throttle`, before the lookup).

use unicode_normalization::UnicodeNormalization;

/// Characters in a code.
pub const LEN: usize = 8;
/// No 0/O, 1/I/L: nothing a reader can mistake for another character.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Longest typed code accepted before normalising (a code with spaces or hyphens is longer than 8).
pub const MAX_TYPED_CHARS: usize = 40;

/// Why a typed code was refused before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("参加コードが長すぎます。8 文字のコードを入力してください。")]
    TooLong,
    #[error("参加コードを入力してください。")]
    Empty,
}

/// The operating system gave no randomness: no code can be made.
#[derive(Debug, thiserror::Error)]
#[error("no randomness: {0}")]
pub struct NoRandomness(String);

/// A fresh code. Its uniqueness is the database's to check (draw again on a collision).
pub fn generate() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; LEN];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// A typed code as stored: full-width letters folded (NFKC), upper case, no spaces or hyphens.
pub fn normalize(raw: &str) -> String {
    raw.nfkc()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase()
}

/// A typed code, normalised, or why it cannot be one (checked before a lookup is counted).
pub fn parse(raw: &str) -> Result<String, CodeError> {
    if raw.chars().count() > MAX_TYPED_CHARS {
        return Err(CodeError::TooLong);
    }
    let code = normalize(raw);
    if code.is_empty() {
        return Err(CodeError::Empty);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_readable_characters() {
        let code = generate().unwrap();
        assert_eq!(code.len(), LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert!(!"0O1IL".bytes().any(|b| ALPHABET.contains(&b)));
        assert_ne!(code, generate().unwrap());
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(normalize(" ａｂｃｄ-2345 "), "ABCD2345");
        assert_eq!(parse("abcd 2345"), Ok("ABCD2345".to_string()));
    }

    #[test]
    fn empty_and_overlong_codes_are_refused() {
        assert_eq!(parse(" - "), Err(CodeError::Empty));
        assert_eq!(parse(&"A".repeat(41)), Err(CodeError::TooLong));
        assert!(parse(&"A".repeat(40)).is_ok());
    }
}
