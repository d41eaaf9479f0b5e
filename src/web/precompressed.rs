//! Responses whose bytes are the same for every reader — the anonymous topic and home pages, the static
//! assets — compressed once (brotli and gzip at their best settings), then served by the request's
//! `Accept-Encoding` with `Vary: Accept-Encoding` and an `ETag` per encoding; an `If-None-Match` naming it
//! gets a 304 and no body. Compressing such a page on every request cost far more than sending it
//! (DESIGN.md: ~71,000 → ~7,000 requests/s with brotli per request).
//!
//! The compressed bytes are made on first need, and ahead of it by [`Precompressed::warm`] on a thread of
//! its own (`serve` warms every page and file after start and after each reload): start-up does not wait
//! for brotli's best setting (~10 ms a page), and tests compress only what they ask for. Clients that send
//! no `Accept-Encoding` (or refuse every coding) get the identity bytes. Bytes that do not shrink
//! (images, tiny files) are kept only as they are.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::io::Write;
use std::sync::OnceLock;

/// Brotli quality for bytes compressed once: the best. Measured on the TCP page (42,521 bytes): 7,045 bytes
/// against 7,436 at quality 9 and 8,436 with gzip -9; qualities 5–9 also took 20 MB of hash tables a page
/// while 11 took 5 MB.
const BROTLI_QUALITY: u32 = 11;
/// Brotli window (log2 bytes) at most: 256 KiB, more than any page or file here. A smaller input gets
/// the smallest window that holds it (less memory for the encoder).
const BROTLI_WINDOW: u32 = 18;
/// Below this size compression saves less than the headers it adds.
const MIN_COMPRESS_BYTES: usize = 256;

/// A content coding a response can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    fn index(self) -> usize {
        match self {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Brotli => 2,
        }
    }

    fn header(self) -> Option<HeaderValue> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
            Coding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }
}

/// The codings the client accepts, best first: brotli, then gzip, by their q-values (RFC 9110 §12.5.3);
/// `*` stands for codings not named. Identity when nothing else is acceptable.
pub fn negotiate(headers: &HeaderMap) -> Coding {
    let (br, gzip) = q_values(headers);
    if br > 0.0 && br >= gzip {
        Coding::Brotli
    } else if gzip > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// Whether the client takes gzip (for pages made per request, which come in gzip or as they are).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    q_values(headers).1 > 0.0
}

/// The q-values of brotli and gzip in `Accept-Encoding` (0 when not acceptable).
fn q_values(headers: &HeaderMap) -> (f32, f32) {
    let mut br: Option<f32> = None;
    let mut gzip: Option<f32> = None;
    let mut any: Option<f32> = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
                })
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
            let Some(q) = q else { continue };
            let slot = if name.eq_ignore_ascii_case("br") {
                &mut br
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if name == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(q);
        }
    }
    (br.or(any).unwrap_or(0.0), gzip.or(any).unwrap_or(0.0))
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 §13.1.2 asks for GET), or is `*`.
pub fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let mine = opaque(etag);
    headers.get_all(header::IF_NONE_MATCH).iter().any(|v| {
        v.to_str().is_ok_and(|list| {
            list.split(',')
                .any(|tag| tag.trim() == "*" || opaque(tag) == mine)
        })
    })
}

/// FNV-1a, 64 bits: enough to tell versions of a file apart; stable and without a dependency.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// An entity tag for bytes with this hash, in one coding.
fn etag(hash: u64, coding: Coding) -> HeaderValue {
    let suffix = match coding {
        Coding::Identity => "",
        Coding::Gzip => "-gz",
        Coding::Brotli => "-br",
    };
    HeaderValue::from_str(&format!("\"{hash:016x}{suffix}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

/// One response body, with its compressed forms (made on first need) and their entity tags.
#[derive(Debug)]
pub struct Precompressed {
    identity: Bytes,
    /// gzip and brotli, each only when smaller; `None` until first needed or warmed.
    packed: OnceLock<[Option<Bytes>; 2]>,
    compressible: bool,
    etags: [HeaderValue; 3],
    content_type: HeaderValue,
}

impl Default for Precompressed {
    fn default() -> Self {
        Precompressed::new(Bytes::new(), "application/octet-stream")
    }
}

impl Precompressed {
    /// `bytes` of `content_type`, to be compressed when first needed if it is a kind of file compression
    /// helps.
    pub fn new(bytes: Bytes, content_type: &'static str) -> Self {
        let hash = fnv64(&bytes);
        Precompressed {
            compressible: bytes.len() >= MIN_COMPRESS_BYTES && is_compressible(content_type),
            identity: bytes,
            packed: OnceLock::new(),
            etags: [
                etag(hash, Coding::Identity),
                etag(hash, Coding::Gzip),
                etag(hash, Coding::Brotli),
            ],
            content_type: HeaderValue::from_static(content_type),
        }
    }

    /// The compressed forms, made now if they were not yet.
    fn packed(&self) -> &[Option<Bytes>; 2] {
        self.packed.get_or_init(|| {
            if !self.compressible {
                return [None, None];
            }
            // Copied into an allocation of their exact size: the encoders' buffers grew past it, and
            // these bytes are kept for as long as the content is served.
            let smaller = |packed: Option<Vec<u8>>| {
                packed
                    .filter(|p| p.len() < self.identity.len())
                    .map(|p| Bytes::copy_from_slice(&p))
            };
            [
                smaller(gzip(&self.identity)),
                smaller(brotli(&self.identity)),
            ]
        })
    }

    /// Makes the compressed forms now, so no request waits for them.
    pub fn warm(&self) {
        self.packed();
    }

    /// Bytes held in every coding made so far.
    pub fn stored_bytes(&self) -> usize {
        self.identity.len()
            + self
                .packed
                .get()
                .map_or(0, |p| p.iter().flatten().map(Bytes::len).sum())
    }

    /// The identity bytes.
    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The bytes for `coding`, if it is worth having (compressing them now if needed).
    pub fn encoded(&self, coding: Coding) -> Option<&Bytes> {
        match coding {
            Coding::Identity => Some(&self.identity),
            Coding::Gzip => self.packed()[0].as_ref(),
            Coding::Brotli => self.packed()[1].as_ref(),
        }
    }

    /// The coding the request gets: what it prefers among those worth having.
    fn pick(&self, request: &HeaderMap) -> Coding {
        let wanted = negotiate(request);
        if wanted == Coding::Identity || !self.compressible {
            return Coding::Identity;
        }
        match wanted {
            Coding::Brotli if self.encoded(Coding::Brotli).is_some() => Coding::Brotli,
            _ if self.encoded(Coding::Gzip).is_some() => Coding::Gzip,
            _ => Coding::Identity,
        }
    }

    /// The response to a GET or HEAD with `request`'s headers: the bytes in the best coding the client
    /// takes, or 304 when it already has them. `extra` (cache policy, `Vary`) goes on both.
    pub fn respond(
        &self,
        request: &HeaderMap,
        extra: &[(header::HeaderName, HeaderValue)],
    ) -> Response {
        let coding = self.pick(request);
        let etag = self.etags[coding.index()].clone();
        let fresh = not_modified(request, &etag);
        let mut response = if fresh {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let body = self.encoded(coding).cloned().unwrap_or_default();
            let length = HeaderValue::from(body.len());
            let mut r = Response::new(Body::from(body));
            let headers = r.headers_mut();
            headers.insert(header::CONTENT_TYPE, self.content_type.clone());
            headers.insert(header::CONTENT_LENGTH, length);
            if let Some(value) = coding.header() {
                headers.insert(header::CONTENT_ENCODING, value);
            }
            r
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, etag);
        for (name, value) in extra {
            headers.append(name.clone(), value.clone());
        }
        response
    }
}

/// Text formats shrink; images and fonts here are compressed already (SVG is text).
fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg+xml")
        || content_type.starts_with("application/javascript")
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

fn brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let window = (usize::BITS - bytes.len().max(1).leading_zeros()).clamp(10, BROTLI_WINDOW);
    let mut writer = brotli::CompressorWriter::new(
        Vec::with_capacity(bytes.len() / 3),
        4096,
        BROTLI_QUALITY,
        window,
    );
    writer.write_all(bytes).ok()?;
    // Finishes the stream.
    Some(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn browsers_get_brotli_and_q_values_are_honoured() {
        assert_eq!(
            negotiate(&accept("gzip, deflate, br, zstd")),
            Coding::Brotli
        );
        assert_eq!(negotiate(&accept("gzip, deflate")), Coding::Gzip);
        assert_eq!(negotiate(&accept("br;q=0.5, gzip;q=0.8")), Coding::Gzip);
        assert_eq!(negotiate(&accept("br;q=0, gzip;q=0")), Coding::Identity);
        assert_eq!(negotiate(&accept("identity")), Coding::Identity);
        assert_eq!(negotiate(&accept("*")), Coding::Brotli);
        assert_eq!(negotiate(&accept("*;q=0.1, br;q=0")), Coding::Gzip);
        assert_eq!(negotiate(&accept("GZIP")), Coding::Gzip);
        assert_eq!(negotiate(&HeaderMap::new()), Coding::Identity);
        // A q-value that is not a number makes the entry meaningless, not the header.
        assert_eq!(negotiate(&accept("br;q=x, gzip")), Coding::Gzip);
    }

    #[test]
    fn each_coding_round_trips_to_the_same_bytes() {
        let page = "<p>同じバイト</p>\n".repeat(500);
        let p = Precompressed::new(Bytes::from(page.clone()), "text/html; charset=utf-8");
        let gz = p.encoded(Coding::Gzip).expect("gzip kept");
        let br = p.encoded(Coding::Brotli).expect("brotli kept");
        assert!(gz.len() < page.len() / 10 && br.len() < gz.len());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, page);
        let mut out = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, page);
    }

    #[test]
    fn images_and_tiny_files_are_kept_as_they_are() {
        let png = Precompressed::new(Bytes::from(vec![0u8; 4096]), "image/png");
        assert!(png.encoded(Coding::Gzip).is_none() && png.encoded(Coding::Brotli).is_none());
        let tiny = Precompressed::new(Bytes::from_static(b"body{}"), "text/css");
        assert!(tiny.encoded(Coding::Brotli).is_none());
        // Asked for brotli, they come as they are.
        let r = tiny.respond(&accept("br"), &[]);
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
    }

    #[test]
    fn if_none_match_compares_weakly_and_per_coding() {
        let p = Precompressed::new(Bytes::from("x".repeat(2000)), "text/plain");
        let br = p.respond(&accept("br"), &[]);
        let tag = br.headers()[header::ETAG].clone();
        let mut again = accept("br");
        again.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"zzz\", W/{}", tag.to_str().unwrap())).unwrap(),
        );
        assert_eq!(p.respond(&again, &[]).status(), StatusCode::NOT_MODIFIED);
        // The brotli tag does not validate the identity bytes.
        let mut identity = HeaderMap::new();
        identity.insert(header::IF_NONE_MATCH, tag);
        let r = p.respond(&identity, &[]);
        assert_eq!(r.status(), StatusCode::OK);
        assert_ne!(r.headers()[header::ETAG], br.headers()[header::ETAG]);
    }
}
