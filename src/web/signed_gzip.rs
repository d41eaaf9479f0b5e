//! gzip for a topic page made for a signed-in reader, without compressing the whole page per request.
//!
//! Such a page is the anonymous page of its topic and theme with two regions changed: the header's
//! account links and the sidebar (the reader's mastery beside each topic). The rest — ~85% of ~52 KB —
//! is deflated once ([`Skeleton`], made from the anonymous page on first need), each part ending with a
//! sync flush so that raw deflate streams can follow one another; per request only the two regions are
//! deflated, at the fastest level. The result is one ordinary gzip member (RFC 1952: header, deflate
//! blocks, an empty final block, CRC-32 and length). Why: gzip of the whole page per request was a
//! quarter of the server's CPU on a signed-in `/topics/tcp` (`bench/results/issue-16.md`).
//!
//! Nothing is assumed about what the reader's page holds: the page is rendered in full as before, and
//! its bytes are compared with the skeleton's parts (`starts_with`, `ends_with`, one comparison in the
//! middle). A page that does not match (the template changed the layout of those regions) is answered
//! as it was before: compressed whole by the router's compression layer.

use axum::body::Bytes;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::cell::RefCell;

/// Where the regions of a reader's page begin and end in the anonymous page: the account links are
/// inside the header's `<nav class="account" …>`, the sidebar is the `<nav class="sidebar" …>` element.
const ACCOUNT_OPEN: &str = "<nav class=\"account\"";
const SIDEBAR_OPEN: &str = "<nav class=\"sidebar\"";
const NAV_CLOSE: &str = "</nav>";

/// The fixed parts of a topic page for one theme, as text and deflated.
#[derive(Debug)]
pub struct Skeleton {
    /// Up to and including the account `<nav …>` start tag.
    head: Part,
    /// From the account `</nav>` to the sidebar's start.
    middle: Part,
    /// After the sidebar's `</nav>`, to the end.
    tail: Part,
}

#[derive(Debug)]
struct Part {
    text: Bytes,
    /// Raw deflate of `text` ending in a sync flush (byte-aligned, not final).
    deflated: Vec<u8>,
}

impl Part {
    fn new(text: Bytes) -> Option<Part> {
        let mut compress = Compress::new(Compression::best(), false);
        let mut deflated = Vec::new();
        deflate_into(&mut compress, &text, &mut deflated)?;
        deflated.shrink_to_fit();
        Some(Part { text, deflated })
    }
}

impl Skeleton {
    /// The skeleton of `anonymous` (a topic page's identity bytes), or `None` when the regions are not
    /// where they are expected.
    pub fn of(anonymous: &Bytes) -> Option<Skeleton> {
        let text = std::str::from_utf8(anonymous).ok()?;
        let account = text.find(ACCOUNT_OPEN)?;
        let head_end = account + text[account..].find('>')? + 1;
        let account_close = head_end + text[head_end..].find(NAV_CLOSE)?;
        let sidebar = account_close + text[account_close..].find(SIDEBAR_OPEN)?;
        let tail_start = sidebar + text[sidebar..].find(NAV_CLOSE)? + NAV_CLOSE.len();
        Some(Skeleton {
            head: Part::new(anonymous.slice(..head_end))?,
            middle: Part::new(anonymous.slice(account_close..sidebar))?,
            tail: Part::new(anonymous.slice(tail_start..))?,
        })
    }

    /// Bytes held (for the memory account).
    pub fn stored_bytes(&self) -> usize {
        [&self.head, &self.middle, &self.tail]
            .iter()
            .map(|p| p.deflated.capacity())
            .sum()
    }

    /// `page` (a reader's rendered page) as gzip, or `None` when it is not this skeleton with two
    /// regions changed.
    pub fn gzip(&self, page: &[u8]) -> Option<Vec<u8>> {
        let (head, middle, tail) = (&self.head.text, &self.middle.text, &self.tail.text);
        if !page.starts_with(head) || !page.ends_with(tail) || page.len() < head.len() + tail.len()
        {
            return None;
        }
        let inner = &page[head.len()..page.len() - tail.len()];
        // The account region ends at its `</nav>`; the middle part must follow it.
        let account_len = inner
            .windows(NAV_CLOSE.len())
            .position(|w| w == NAV_CLOSE.as_bytes())?;
        let after = &inner[account_len..];
        if !after.starts_with(middle) {
            return None;
        }
        let account = &inner[..account_len];
        let sidebar = &after[middle.len()..];

        let mut out = Vec::with_capacity(
            18 + self.head.deflated.len()
                + self.middle.deflated.len()
                + self.tail.deflated.len()
                + (account.len() + sidebar.len()) / 2
                + 64,
        );
        // gzip header: magic, deflate, no flags, no time, no extra flags, OS unknown.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        out.extend_from_slice(&self.head.deflated);
        FAST.with_borrow_mut(|compress| deflate_into(compress, account, &mut out))?;
        out.extend_from_slice(&self.middle.deflated);
        FAST.with_borrow_mut(|compress| deflate_into(compress, sidebar, &mut out))?;
        out.extend_from_slice(&self.tail.deflated);
        // An empty final block (fixed Huffman, end of block at once).
        out.extend_from_slice(&[0x03, 0x00]);
        let mut crc = flate2::Crc::new();
        crc.update(page);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(page.len() as u32).to_le_bytes());
        Some(out)
    }
}

thread_local! {
    /// The fastest level, as the router's compression layer uses for pages made per request; one
    /// encoder per thread, reset between uses (making one is a large zeroed allocation).
    static FAST: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// Appends the raw deflate of `input` to `out`, ending in a sync flush; `compress` is reset first.
fn deflate_into(compress: &mut Compress, input: &[u8], out: &mut Vec<u8>) -> Option<()> {
    compress.reset();
    let mut consumed = 0;
    loop {
        // Deflate never grows data by more than a few bytes per 16 KB block; the flush adds ~5.
        out.reserve(input.len() - consumed + 64);
        let before_in = compress.total_in();
        let status = compress
            .compress_vec(&input[consumed..], out, FlushCompress::Sync)
            .ok()?;
        consumed += (compress.total_in() - before_in) as usize;
        // Done when everything is in and the flush left room to spare (nothing more pending).
        if consumed == input.len() && out.len() < out.capacity() {
            return Some(());
        }
        if status == Status::StreamEnd {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn page(account: &str, sidebar: &str) -> String {
        format!(
            "<html lang=\"ja\"><header><nav class=\"account\" aria-label=\"x\">{account}</nav>\
             <button>テーマ</button></header><main>{}</main>\
             <nav class=\"sidebar\" id=\"course-nav\">{sidebar}</nav><footer>{}</footer></html>",
            "本文 ".repeat(3000),
            "終 ".repeat(500)
        )
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut out = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn a_readers_page_is_one_gzip_member_of_its_exact_bytes() {
        let anonymous = Bytes::from(page(
            "<a href=\"/login\">ログイン</a>",
            "<ol><li>TCP</li></ol>",
        ));
        let skeleton = Skeleton::of(&anonymous).expect("regions found");
        for (account, sidebar) in [
            (
                "<a href=\"/me\">aki のページ</a>",
                "<ol><li>TCP <span>習得 40%</span></li></ol>",
            ),
            ("", ""),
            (&*"長い名前".repeat(5000), &*"<li>x</li>".repeat(3000)),
        ] {
            let mine = page(account, sidebar);
            let gz = skeleton.gzip(mine.as_bytes()).expect("the same skeleton");
            assert_eq!(gunzip(&gz), mine);
            // gzip's own tool reads it too (a stream with trailing garbage or a wrong length fails).
            let mut decoder = flate2::read::MultiGzDecoder::new(&gz[..]);
            let mut all = Vec::new();
            decoder.read_to_end(&mut all).unwrap();
            assert_eq!(all, mine.as_bytes());
        }
        // Most of the bytes were deflated once: the per-request part is small.
        let small = page("<a>aki</a>", "<ol></ol>");
        assert!(skeleton.gzip(small.as_bytes()).unwrap().len() < small.len() / 10);
    }

    #[test]
    fn a_page_that_differs_elsewhere_is_left_to_the_compression_layer() {
        let anonymous = Bytes::from(page("<a>ログイン</a>", "<ol></ol>"));
        let skeleton = Skeleton::of(&anonymous).unwrap();
        let other_theme = page("<a>aki</a>", "<ol></ol>").replace(
            "<html lang=\"ja\">",
            "<html lang=\"ja\" data-theme=\"dark\">",
        );
        assert!(skeleton.gzip(other_theme.as_bytes()).is_none());
        let other_body = page("<a>aki</a>", "<ol></ol>").replace("本文 本文", "本文 改訂");
        assert!(skeleton.gzip(other_body.as_bytes()).is_none());
        let other_footer = page("<a>aki</a>", "<ol></ol>").replace("</footer>", "</footer>!");
        assert!(skeleton.gzip(other_footer.as_bytes()).is_none());
        assert!(Skeleton::of(&Bytes::from_static(b"<html>no regions</html>")).is_none());
    }
}
