//! `infra-dojo new DIR`: writes a small content folder that passes `infra-dojo check` — notes.md with a
//! title, one part and one topic, course.toml giving the topic its slug and a widget, an annotation
//! anchored to a phrase of the notes, and a question bank with one question of each common kind — so an
//! author starts from files that work and changes them, instead of from the format documentation.
//!
//! The files are `src/scaffold/files/<language>/` (`ja`, `en`: the same course in each), embedded at
//! build time: adding a file there adds it to every new folder in that language. The English sample names
//! no widget, since the widgets' explanations are written in Japanese. They are written with `create_new`, and only into a folder that is missing or empty, so `new`
//! never overwrites anything.

use crate::content::Language;
use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};

static JA: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold/files/ja");
static EN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold/files/en");

/// Why a content folder could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "{0} は空のフォルダーではありません。中のファイルを上書きしないよう、何も作らずに終了しました。まだない名前か、空のフォルダーを指定してください。"
    )]
    NotEmpty(String),
    #[error("{0} はフォルダーではありません。まだない名前か、空のフォルダーを指定してください。")]
    NotADirectory(String),
    #[error("{path} を作れません: {error}")]
    Io { path: String, error: std::io::Error },
}

/// Creates the sample content in `language` in `dir` (made if missing; refused unless empty). Returns
/// the files written, as paths under `dir`, sorted.
pub fn create(dir: &Path, language: Language) -> Result<Vec<PathBuf>, ScaffoldError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |error| ScaffoldError::Io { path, error }
    };
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(ScaffoldError::NotADirectory(dir.display().to_string()));
        }
        Ok(_) => {
            if std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
                return Err(ScaffoldError::NotEmpty(dir.display().to_string()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        Err(e) => return Err(io(dir)(e)),
    }
    let mut files = Vec::new();
    let sample = match language {
        Language::Ja => &JA,
        Language::En => &EN,
    };
    collect(sample, &mut files);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut written = Vec::new();
    for (rel, bytes) in files {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        // `create_new`: even a file that appeared since the emptiness check is left alone.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path))?;
        std::io::Write::write_all(&mut file, bytes).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(PathBuf, &'static [u8])>) {
    for file in dir.files() {
        out.push((file.path().to_path_buf(), file.contents()));
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::source::ContentSource;

    #[test]
    fn a_new_folder_loads_without_problems_and_shows_each_format() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("mycourse");
        let files = create(&root, Language::Ja).unwrap();
        assert_eq!(files.len(), 4, "{files:?}");
        let content = crate::load_content(&ContentSource::Dir(root.clone()))
            .unwrap_or_else(|problems| panic!("{problems:?}"));
        assert_eq!(content.course.title, "はじめてのコース");
        assert_eq!(content.course.topics.len(), 1);
        let topic = &content.course.topics[0];
        assert_eq!(topic.slug, "tcp-states");
        assert_eq!(topic.part.as_deref(), Some("ネットワーク"));
        assert_eq!(topic.annotation_count, 1);
        assert_eq!(topic.widgets, vec!["handshake".to_string()]);
        let kinds: Vec<&str> = content
            .quizzes
            .topic("tcp-states")
            .iter()
            .map(|q| q.kind.name())
            .collect();
        assert_eq!(kinds, vec!["single", "text", "numeric", "order"]);
    }

    #[test]
    fn the_english_sample_is_the_same_course_in_english() {
        let dir = tempfile::tempdir().unwrap();
        let files = create(dir.path(), Language::En).unwrap();
        assert_eq!(files.len(), 4, "{files:?}");
        let content = crate::load_content(&ContentSource::Dir(dir.path().to_path_buf()))
            .unwrap_or_else(|problems| panic!("{problems:?}"));
        assert_eq!(content.course.language, Language::En);
        assert_eq!(content.course.title, "My first course");
        let topic = &content.course.topics[0];
        assert_eq!(topic.slug, "tcp-states");
        assert_eq!(topic.annotation_count, 1);
        assert!(topic.widgets.is_empty(), "the widgets explain in Japanese");
        let ja = tempfile::tempdir().unwrap();
        create(ja.path(), Language::Ja).unwrap();
        let ja = crate::load_content(&ContentSource::Dir(ja.path().to_path_buf())).unwrap();
        let ids = |c: &crate::Content| -> Vec<String> {
            c.quizzes
                .topic("tcp-states")
                .iter()
                .map(|q| q.id.clone())
                .collect()
        };
        assert_eq!(ids(&content), ids(&ja), "the same questions");
    }

    #[test]
    fn an_empty_folder_is_fine_but_nothing_is_ever_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path(), Language::Ja).unwrap();
        let notes = dir.path().join("notes.md");
        std::fs::write(&notes, "# mine\n").unwrap();
        assert!(matches!(
            create(dir.path(), Language::En),
            Err(ScaffoldError::NotEmpty(_))
        ));
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "# mine\n");
        assert!(matches!(
            create(&notes, Language::Ja),
            Err(ScaffoldError::NotADirectory(_))
        ));
    }
}
