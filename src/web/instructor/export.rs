//! A class as CSV files for a spreadsheet, every route behind [`OwnedClass`]:
//!
//! * `GET /instructor/classes/{class_id}/export/grid.csv` — learner × topic mastery (`quiz::mastery`);
//! * `GET /instructor/classes/{class_id}/export/answers.csv` — every answer of every member.
//!
//! The files are RFC 4180 as the `csv` crate writes it (CRLF records, fields quoted when they hold a
//! comma, a quote, CR or LF), UTF-8 with a BOM (Excel reads Japanese only with it), and text a learner
//! typed is defused so a spreadsheet never runs it as a formula ([`looks_like_formula`]). They are
//! streamed: a task reads the rows as SQLite yields them and sends 64 KiB chunks through a small bounded
//! channel, so a class of any size is exported in constant memory, and a client that goes away stops
//! the query.

use super::analysis::readable_response;
use crate::jst;
use crate::quiz::mastery::Mastery;
use crate::store;
use crate::web::chrome::pick;
use crate::web::guards::OwnedClass;
use crate::web::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;
use std::collections::HashMap;

/// The UTF-8 byte order mark: without it Excel reads UTF-8 as Shift_JIS and garbles Japanese.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether a spreadsheet could take `text` for a formula. OWASP ("CSV injection") names the first
/// characters `=`, `+`, `-`, `@`, tab and CR; beyond those, Excel and LibreOffice skip leading spaces
/// (" =1+1" is a formula), Japanese IMEs type full-width signs that Excel reads as ASCII ("＝1+1"), and
/// `|` starts a DDE call in older Excel. So leading white space and invisible characters are skipped, and
/// the first visible character is compared after NFKC.
pub fn looks_like_formula(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    if text.starts_with(['\t', '\r', '\n']) {
        return true;
    }
    let invisible = |c: &char| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
            )
    };
    let Some(first) = text.chars().find(|c| !invisible(c)) else {
        return false;
    };
    std::iter::once(first)
        .nfkc()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '|'))
}

/// A CSV file being written into memory: the BOM first, then records.
pub struct Sheet {
    out: csv::Writer<Vec<u8>>,
}

impl Default for Sheet {
    fn default() -> Self {
        Sheet::new()
    }
}

impl Sheet {
    pub fn new() -> Sheet {
        let mut buf = Vec::with_capacity(CHUNK + 1024);
        buf.extend_from_slice(BOM);
        Sheet {
            out: Sheet::writer(buf),
        }
    }

    fn writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buf)
    }

    /// Starts a record: `sheet.record().field("a").text("b").int(3).end()`.
    pub fn record(&mut self) -> Record<'_> {
        Record {
            out: &mut self.out,
            written: Ok(()),
        }
    }

    /// The whole sheet, for a file small enough to build in memory (one learner's own data).
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.take()
    }

    /// Bytes written so far and not yet taken.
    fn len(&mut self) -> std::io::Result<usize> {
        // The writer keeps a small buffer of its own; what matters is what reached ours.
        self.out.flush()?;
        Ok(self.out.get_ref().len())
    }

    /// Takes the bytes written so far; the sheet goes on from empty (with a writer of its own: the
    /// `csv` writer lends its buffer out only by giving it up).
    fn take(&mut self) -> std::io::Result<Vec<u8>> {
        let full = std::mem::replace(
            &mut self.out,
            Sheet::writer(Vec::with_capacity(CHUNK + 1024)),
        );
        full.into_inner().map_err(|e| e.into_error())
    }
}

/// One record being written; [`Record::end`] ends it and says whether everything was written.
pub struct Record<'a> {
    out: &'a mut csv::Writer<Vec<u8>>,
    written: csv::Result<()>,
}

impl Record<'_> {
    fn write(mut self, value: &[u8]) -> Self {
        if self.written.is_ok() {
            self.written = self.out.write_field(value);
        }
        self
    }

    /// A field we wrote ourselves (ids, titles, tags, dates).
    pub fn field(self, value: &str) -> Self {
        self.write(value.as_bytes())
    }

    /// Text a learner wrote (a name, a typed answer): a leading `'` when a spreadsheet could run it as a
    /// formula ([`looks_like_formula`]), which Excel shows as plain text.
    pub fn text(self, value: &str) -> Self {
        if looks_like_formula(value) {
            self.write(format!("'{value}").as_bytes())
        } else {
            self.write(value.as_bytes())
        }
    }

    /// A number.
    pub fn int(self, value: i64) -> Self {
        self.write(value.to_string().as_bytes())
    }

    /// An empty field.
    pub fn empty(self) -> Self {
        self.write(b"")
    }

    /// Ends the record (CRLF).
    pub fn end(self) -> csv::Result<()> {
        self.written?;
        self.out.write_record(std::iter::empty::<&[u8]>())
    }
}

/// Bytes gathered before a chunk is sent: large enough that per-chunk costs vanish, small enough to be
/// nothing in memory.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for a slow client before the query pauses.
const CHUNKS_IN_FLIGHT: usize = 4;

type Chunk = std::result::Result<Bytes, std::io::Error>;

/// Where a CSV export task writes: full chunks go to the response as they fill up.
struct Sink {
    sheet: Sheet,
    tx: tokio::sync::mpsc::Sender<Chunk>,
    /// The body was ended with an error: nothing more is sent.
    failed: bool,
}

impl Sink {
    /// Writes one record (`fill` adds its fields) and sends a chunk if one is full. `false` when the export
    /// is to stop: the client went away, or writing failed.
    async fn record(&mut self, fill: impl FnOnce(Record<'_>) -> Record<'_>) -> bool {
        match fill(self.sheet.record()).end() {
            Ok(()) => self.flush(false).await,
            Err(e) => self.fail(&e).await,
        }
    }

    /// The next row of a query; `None` at the end, or after a failed read (which fails the body).
    async fn next<T>(
        &mut self,
        rows: &mut BoxStream<'_, std::result::Result<T, sqlx::Error>>,
    ) -> Option<T> {
        match rows.try_next().await {
            Ok(row) => row,
            Err(e) => {
                self.fail(&e).await;
                None
            }
        }
    }

    /// Sends what is written if it fills a chunk (or `force`); `false` once the client has gone away.
    async fn flush(&mut self, force: bool) -> bool {
        let ready = match self.sheet.len() {
            Ok(len) => len > 0 && (force || len >= CHUNK),
            Err(e) => return self.fail(&e).await,
        };
        if !ready {
            return true;
        }
        match self.sheet.take() {
            Ok(chunk) => self.tx.send(Ok(Bytes::from(chunk))).await.is_ok(),
            Err(e) => self.fail(&e).await,
        }
    }

    /// Ends the body with an error, so the client sees a failed download rather than a short file.
    /// Always `false`: nothing more is to be sent.
    async fn fail(&mut self, e: &(dyn std::fmt::Display + Sync)) -> bool {
        tracing::error!(error = %e, "CSV export failed");
        self.failed = true;
        let _ = self
            .tx
            .send(Err(std::io::Error::other("export failed")))
            .await;
        false
    }
}

/// A streamed CSV response: `produce` runs in its own task and writes into the [`Sink`].
fn csv_response<F, Fut>(filename: String, produce: F) -> Response
where
    F: FnOnce(Sink) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    tokio::spawn(produce(Sink {
        sheet: Sheet::new(),
        tx,
        failed: false,
    }));
    // Fused: the compression layer polls a body once more after its end, which a bare unfold forbids.
    let body =
        futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        }));

    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            // Learners' answers: never kept by a shared cache.
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Topics with questions, in course order: (slug, title, number of questions).
fn quiz_topics(state: &AppState) -> Vec<(String, String, i64)> {
    let content = state.content();
    content
        .course
        .topics
        .iter()
        .map(|t| {
            (
                t.slug.clone(),
                t.title.clone(),
                content.quizzes.topic(&t.slug).len() as i64,
            )
        })
        .filter(|(_, _, n)| *n > 0)
        .collect()
}

/// `GET …/export/grid.csv`: one row per member — login name, display name, overall mastery, mastery per
/// topic (as on `/me` and the grid; empty for a topic never answered, which is not 0%), last attempt.
pub async fn grid_csv(owned: OwnedClass, State(state): State<AppState>) -> Response {
    let class_id = owned.class.class_id;
    let topics = quiz_topics(&state);
    let pool = state.db.clone();
    // Picked here, in the request: the rows are written by a task of their own.
    let head = [
        pick("ログイン名", "Login"),
        pick("表示名", "Display name"),
        pick("全体(%)", "Overall (%)"),
        pick("最終活動", "Last active"),
    ];
    csv_response(
        format!(
            "class-{class_id}-grid-{}.csv",
            jst::compact_date(store::now())
        ),
        move |mut sink| async move {
            let header = sink
                .record(|mut header| {
                    header = header.field(head[0]).field(head[1]).field(head[2]);
                    for (_, title, _) in &topics {
                        header = header.field(&format!("{title}(%)"));
                    }
                    header.field(head[3])
                })
                .await;
            if !header {
                return;
            }
            let mut rows = store::analysis::grid(&pool, class_id);
            let mut count = 0u64;
            while let Some(row) = sink.next(&mut rows).await {
                // A topic the member never answered is an empty cell, as "—" on the grid: not 0%.
                let per_topic: Vec<Option<Mastery>> = topics
                    .iter()
                    .map(|(slug, _, n)| row.mastered.get(slug).map(|&m| Mastery::of(m, *n)))
                    .collect();
                let overall = Mastery::sum(
                    topics
                        .iter()
                        .zip(&per_topic)
                        .map(|((_, _, n), m)| m.unwrap_or_else(|| Mastery::of(0, *n))),
                );
                let sent = sink
                    .record(|mut record| {
                        record = record
                            .text(&row.name)
                            .text(&row.display_name)
                            .int(overall.percent());
                        for m in &per_topic {
                            record = match m {
                                Some(m) => record.int(m.percent()),
                                None => record.empty(),
                            };
                        }
                        match row.last_at {
                            Some(t) => record.field(&jst::iso(t)),
                            None => record.empty(),
                        }
                    })
                    .await;
                if !sent {
                    return;
                }
                count += 1;
            }
            if sink.failed {
                return;
            }
            sink.flush(true).await;
            tracing::info!(class.id = class_id, rows = count, "grid exported");
        },
    )
}

/// `GET …/export/answers.csv`: every answer of every member, one row each, as the rows come.
pub async fn answers_csv(owned: OwnedClass, State(state): State<AppState>) -> Response {
    let class_id = owned.class.class_id;
    let pool = state.db.clone();
    // The content this export was asked of, for as long as the rows stream.
    let content = state.content();
    let titles: HashMap<String, String> = content
        .course
        .topics
        .iter()
        .map(|t| (t.slug.clone(), t.title.clone()))
        .collect();
    // Picked here, in the request: the rows are written by a task of their own.
    let head = [
        pick("ログイン名", "Login"),
        pick("表示名", "Display name"),
        pick("受験ID", "Attempt"),
        pick("トピック", "Topic"),
        pick("問題ID", "Question"),
        pick("回答", "Answer"),
        pick("正誤", "Correct"),
        pick("誤解タグ", "Misconception tag"),
        pick("誤解", "Misconception"),
        pick("回答時間(ms)", "Time (ms)"),
        pick("回答日時", "Answered at"),
    ];
    csv_response(
        format!(
            "class-{class_id}-answers-{}.csv",
            jst::compact_date(store::now())
        ),
        move |mut sink| async move {
            let started = std::time::Instant::now();
            let header = sink
                .record(|r| head.iter().fold(r, |r, name| r.field(name)))
                .await;
            // The header goes out at once: the download starts before the first row is read.
            if !header || !sink.flush(true).await {
                return;
            }
            let mut learners = store::analysis::answers(&pool, class_id);
            let mut count = 0u64;
            while let Some(learner) = sink.next(&mut learners).await {
                for a in &learner.answers {
                    let sent = sink
                        .record(|r| {
                            r.text(&learner.name)
                                .text(&learner.display_name)
                                .int(a.attempt_id)
                                .field(titles.get(&a.topic).unwrap_or(&a.topic))
                                .field(&a.question_id)
                                .text(&readable_response(
                                    content.quizzes.question(&a.question_id),
                                    &a.response,
                                ))
                                .int(i64::from(a.correct))
                                .field(a.misconception.as_deref().unwrap_or_default())
                                .text(
                                    a.misconception
                                        .as_deref()
                                        .map_or("", |tag| content.quizzes.tag_label(tag)),
                                )
                                .int(a.time_ms)
                                .field(&jst::iso(a.created_at))
                        })
                        .await;
                    count += 1;
                    if !sent {
                        tracing::info!(
                            class.id = class_id,
                            rows = count,
                            "answers export stopped: client went away"
                        );
                        return;
                    }
                }
            }
            if sink.failed {
                return;
            }
            sink.flush(true).await;
            tracing::info!(
                class.id = class_id,
                rows = count,
                duration_ms = started.elapsed().as_millis() as u64,
                "answers exported"
            );
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a sheet holds after `write`, without the BOM.
    fn written(write: impl FnOnce(&mut Sheet)) -> String {
        let mut sheet = Sheet::new();
        write(&mut sheet);
        let bytes = sheet.take().unwrap();
        assert!(bytes.starts_with(BOM));
        String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap()
    }

    /// One field as it is written, alone in a record with a marker after it.
    fn one(field: &str) -> String {
        let out = written(|s| s.record().field(field).field("|").end().unwrap());
        out.strip_suffix(",|\r\n").unwrap().to_string()
    }

    #[test]
    fn plain_fields_stay_bare() {
        assert_eq!(one("tcp-ack-1"), "tcp-ack-1");
        assert_eq!(one("山田 太郎"), "山田 太郎");
        assert_eq!(one(""), "");
    }

    #[test]
    fn commas_quotes_and_newlines_are_quoted() {
        assert_eq!(one("a,b"), "\"a,b\"");
        assert_eq!(one("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(one("\""), "\"\"\"\"");
        assert_eq!(one("line1\nline2"), "\"line1\nline2\"");
        assert_eq!(one("cr\r\nlf"), "\"cr\r\nlf\"");
    }

    #[test]
    fn formulas_are_defused() {
        let text = |t: &str| written(|s| s.record().text(t).end().unwrap());
        assert_eq!(
            text("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        );
        assert_eq!(text("-1"), "'-1\r\n");
        assert_eq!(text("1-1"), "1-1\r\n");
        for formula in [
            "=1+1",
            " =1+1",
            "\u{3000}=1+1",
            "\u{a0}=1",
            "\u{200b}=1",
            "\u{feff}=1",
            "＝1+1",
            "　＝SUM(A1)",
            "＋1",
            "－1",
            "＠SUM(A1)",
            "+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\n=1",
            "|calc",
            "｜calc",
            "\u{fe63}1",
        ] {
            assert!(looks_like_formula(formula), "{formula:?}");
        }
        for text in ["SYN", "1=1", "a+b", "", "   ", "ｓｙｎ", "５", "（=）"] {
            assert!(!looks_like_formula(text), "{text:?}");
        }
    }

    #[test]
    fn records_end_with_crlf() {
        let out = written(|s| {
            s.record()
                .field("a")
                .int(-3)
                .empty()
                .text("x,y")
                .end()
                .unwrap();
            s.record()
                .field("b")
                .int(0)
                .empty()
                .field("")
                .end()
                .unwrap();
        });
        assert_eq!(out, "a,-3,,\"x,y\"\r\nb,0,,\r\n");
    }
}
