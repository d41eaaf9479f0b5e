//! URL slugs for topics the manifest does not name. A fallback slug must stay the same when the notes
//! grow or are reordered, so it depends only on the heading's own text.

/// A slug made from a heading: ASCII letters and digits kept (lower-cased) and joined by `-`; a heading
/// with none (most Japanese headings) gets `t-` and 8 hex digits of a fixed hash of its text.
pub fn fallback_slug(heading: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    let mut has_non_ascii_word = false;
    for ch in heading.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(ch.to_ascii_lowercase());
        } else {
            if !ch.is_ascii() && !ch.is_whitespace() {
                has_non_ascii_word = true;
            }
            pending_dash = true;
        }
    }
    // A heading that is mostly Japanese with one ASCII word ("TCPの仕組み") would collide with "TCP":
    // such headings get the hash as a suffix.
    if slug.is_empty() {
        format!("t-{:08x}", fnv1a(heading.trim()) as u32)
    } else if has_non_ascii_word {
        format!("{slug}-{:08x}", fnv1a(heading.trim()) as u32)
    } else {
        slug.truncate(60);
        slug
    }
}

/// Whether `slug` is acceptable in a URL path segment and in the manifest.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// FNV-1a, 64 bit: tiny, and unlike `DefaultHasher` guaranteed stable across Rust releases.
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_headings_become_readable_slugs() {
        assert_eq!(fallback_slug("TCP"), "tcp");
        assert_eq!(fallback_slug("  HTTP/2 and QUIC "), "http-2-and-quic");
    }

    #[test]
    fn japanese_headings_get_a_stable_hash() {
        let a = fallback_slug("プロセス間通信");
        assert!(a.starts_with("t-") && a.len() == 10, "{a}");
        assert_eq!(a, fallback_slug("プロセス間通信"), "same text, same slug");
        assert_ne!(a, fallback_slug("プロセス"));
        assert!(is_valid_slug(&a));
    }

    #[test]
    fn mixed_headings_do_not_collide_with_their_ascii_part() {
        let mixed = fallback_slug("TCPの仕組み");
        assert!(mixed.starts_with("tcp-") && mixed != "tcp", "{mixed}");
        assert!(is_valid_slug(&mixed));
    }

    #[test]
    fn slug_validation() {
        assert!(is_valid_slug("load-balancer"));
        for bad in ["", "Tcp", "a b", "-x", "x-", "../etc", "ｔｃｐ"] {
            assert!(!is_valid_slug(bad), "{bad:?} should be rejected");
        }
    }
}
