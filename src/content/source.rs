//! Where content files come from: the copy embedded in the binary at build time, or a directory on disk
//! (`--content DIR`). Both answer the same two questions: the text of a file, and the files in a folder.

use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};

/// The `content/` folder as it was when the binary was built, so `cargo install` works from anywhere.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// Largest content file accepted. The notes are a few KB; a multi-megabyte file is a mistake or an attack,
/// and refusing it keeps start-up time and memory bounded.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// A place to read content files from, addressed by paths relative to the content root (`notes.md`,
/// `annotations/tcp.md`).
#[derive(Debug, Clone)]
pub enum ContentSource {
    /// The default content compiled into the binary.
    Embedded,
    /// A directory given on the command line.
    Dir(PathBuf),
}

/// Why a content file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("ファイルがありません")]
    Missing,
    #[error("ファイルが大きすぎます（{0} バイト。上限は {MAX_FILE_BYTES} バイト）")]
    TooLarge(u64),
    #[error("UTF-8 のテキストではありません")]
    NotUtf8,
    #[error("読み込めません: {0}")]
    Io(String),
}

impl ContentSource {
    /// A human-readable name for messages ("埋め込みコンテンツ" or the directory).
    pub fn describe(&self) -> String {
        match self {
            ContentSource::Embedded => "埋め込みコンテンツ".to_string(),
            ContentSource::Dir(dir) => dir.display().to_string(),
        }
    }

    /// The text of one file. `Missing` is a normal answer for optional files.
    pub fn read(&self, rel: &str) -> Result<String, ReadError> {
        let bytes = match self {
            ContentSource::Embedded => {
                let file = EMBEDDED.get_file(rel).ok_or(ReadError::Missing)?;
                let len = file.contents().len() as u64;
                if len > MAX_FILE_BYTES {
                    return Err(ReadError::TooLarge(len));
                }
                file.contents().to_vec()
            }
            ContentSource::Dir(dir) => {
                let path = dir.join(rel);
                let meta = match std::fs::metadata(&path) {
                    Ok(meta) => meta,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(ReadError::Missing);
                    }
                    Err(e) => return Err(ReadError::Io(e.to_string())),
                };
                if !meta.is_file() {
                    return Err(ReadError::Missing);
                }
                if meta.len() > MAX_FILE_BYTES {
                    return Err(ReadError::TooLarge(meta.len()));
                }
                std::fs::read(&path).map_err(|e| ReadError::Io(e.to_string()))?
            }
        };
        String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
    }

    /// Relative paths of the files directly inside `folder` whose name ends with `.{ext}`, sorted.
    pub fn list(&self, folder: &str, ext: &str) -> Vec<String> {
        let suffix = format!(".{ext}");
        let mut names: Vec<String> = match self {
            ContentSource::Embedded => EMBEDDED
                .get_dir(folder)
                .map(|dir| {
                    dir.files()
                        .filter_map(|f| f.path().file_name()?.to_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            ContentSource::Dir(dir) => std::fs::read_dir(dir.join(folder))
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                        .filter_map(|e| e.file_name().to_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        };
        names.retain(|n| n.ends_with(&suffix));
        names.sort();
        names.into_iter().map(|n| format!("{folder}/{n}")).collect()
    }

    /// The path shown in a problem report for `rel`.
    pub fn display_path(&self, rel: &str) -> String {
        match self {
            ContentSource::Embedded => Path::new("content").join(rel).display().to_string(),
            ContentSource::Dir(dir) => dir.join(rel).display().to_string(),
        }
    }
}
