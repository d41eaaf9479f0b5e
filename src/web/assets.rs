//! Static files (CSS, JS), embedded in the binary. URLs carry a version made from the files' contents
//! (`/static/<version>/css/app.css`), so responses can be cached for a year and a new build is fetched
//! at once. One version for the whole folder keeps relative ES-module imports working. Each file is
//! compressed once (`web::precompressed`) and served in the coding the browser asks for.

use crate::web::precompressed::Precompressed;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};
use std::collections::HashMap;
use std::sync::LazyLock;

static STATIC_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

struct Assets {
    version: String,
    files: HashMap<String, Precompressed>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut files = HashMap::new();
    let mut all = Vec::new();
    collect(&STATIC_DIR, &mut all);
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut version_hash = Fnv::new();
    for (path, bytes) in all {
        version_hash.write(path.as_bytes());
        version_hash.write(bytes);
        files.insert(
            path.clone(),
            Precompressed::new(Bytes::from_static(bytes), content_type(&path)),
        );
    }
    Assets {
        version: format!("{:012x}", version_hash.0 & 0xffff_ffff_ffff),
        files,
    }
});

/// Compresses every static file now (those done already cost nothing): `serve` runs it on the thread that
/// warms the pages (`AppState::warm_pages`), so the first requests find the bytes ready and start-up does
/// not wait.
pub fn warm() {
    for asset in ASSETS.files.values() {
        asset.warm();
    }
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
    for file in dir.files() {
        out.push((file.path().to_string_lossy().into_owned(), file.contents()));
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// FNV-1a over several inputs: the version of the whole folder.
struct Fnv(u64);
impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The versioned URL of a static file, e.g. `url("css/app.css")`.
pub fn url(path: &str) -> String {
    format!("/static/{}/{path}", ASSETS.version)
}

/// The ES modules widget `name`'s script loads — the script itself, the shared `js/widgets/lib/` modules and
/// the widget's own `js/widgets/<name>/` folder — as versioned URLs, script first. Topic pages preload them
/// (`<link rel="modulepreload">`), so the browser fetches them together instead of one import after another.
pub fn widget_modules(name: &str) -> Vec<String> {
    let script = format!("js/widgets/{name}.js");
    let folder = format!("js/widgets/{name}/");
    let mut modules: Vec<&String> = ASSETS
        .files
        .keys()
        .filter(|p| {
            p.ends_with(".js") && (p.starts_with("js/widgets/lib/") || p.starts_with(&folder))
        })
        .collect();
    modules.sort();
    std::iter::once(&script)
        .filter(|s| ASSETS.files.contains_key(*s))
        .chain(modules)
        .map(|p| url(p))
        .collect()
}

/// `GET /static/{version}/{*path}`. An old version still gets the file, but not the year-long cache.
pub async fn serve(Path((version, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    respond(&version, &path, &headers)
        .unwrap_or_else(|| (StatusCode::NOT_FOUND, "ファイルが見つかりません").into_response())
}

/// The response for `/static/{version}/{path}`, or `None` when there is no such file: also what the
/// connection's fast path (`web::fast`) sends, so both give the same bytes and headers.
pub fn respond(version: &str, path: &str, headers: &HeaderMap) -> Option<Response> {
    let asset = ASSETS.files.get(path)?;
    let cache = if version == ASSETS.version {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Some(asset.respond(
        headers,
        &[
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        ],
    ))
}

/// `GET /favicon.ico`, which browsers ask for on pages without a `<link rel="icon">` (the JSON API, raw
/// files): a redirect to the versioned icon rather than a 404 in every console.
pub async fn favicon() -> axum::response::Redirect {
    axum::response::Redirect::permanent(&url("favicon.svg"))
}
