//! `serve --watch`: notices when the files of a content folder change, loads them again through the same
//! path as a start ([`crate::load_content`], then [`crate::snapshot`]) and swaps the new version in. A
//! version with problems is not served: the last good one stays, and open pages are shown the problems
//! (see `web::live_reload`).
//!
//! The folder is polled, not watched through filesystem notifications. A content folder is a few dozen
//! small files, so stating them every [`INTERVAL`] costs nothing measurable, and polling behaves the same
//! everywhere notifications are known to go wrong: editors that save by writing a new file and renaming
//! it over the old one, network and container mounts, WSL. It also needs no dependency. mdBook came to
//! the same choice: its `poll` watcher is the default, for the same reasons.

use crate::content::Problem;
use crate::content::source::ContentSource;
use crate::web::state::AppState;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// How often the folder is looked at. A change is loaded once it has stayed the same for one interval
/// (so a file is not read while an editor is still writing it): 250–500 ms after the save.
pub const INTERVAL: Duration = Duration::from_millis(250);

/// The files at the top of a content folder that the loaders read (`content::load`).
const ROOT_FILES: [&str; 3] = ["notes.md", "course.toml", "glossary.toml"];

/// The folders the loaders list, with the extension they take (`content::load`, `quiz::bank::load`).
/// Listed through [`ContentSource::list`], the loaders' own listing, so an editor's swap or backup file
/// (`.dns.md.swp`, `notes.md~`) is not a change.
const FOLDERS: [(&str, &str); 3] = [
    ("annotations", "md"),
    ("supplements", "md"),
    ("quizzes", "toml"),
];

/// What the loaders would read, each file with its size and modification time: an edit, a new file or a
/// removed one changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(String, Option<(u64, SystemTime)>)>);

impl Fingerprint {
    /// Looks at the folder now.
    pub fn take(source: &ContentSource) -> Self {
        let ContentSource::Dir(dir) = source else {
            // The embedded content cannot change.
            return Fingerprint(Vec::new());
        };
        let mut files: Vec<String> = ROOT_FILES.iter().map(|f| f.to_string()).collect();
        for (folder, ext) in FOLDERS {
            files.extend(source.list(folder, ext));
        }
        Fingerprint(
            files
                .into_iter()
                .map(|rel| {
                    let stamp = std::fs::metadata(dir.join(&rel))
                        .ok()
                        .and_then(|meta| Some((meta.len(), meta.modified().ok()?)));
                    (rel, stamp)
                })
                .collect(),
        )
    }
}

/// Watches one content folder.
pub struct Watcher {
    source: ContentSource,
    /// The files as they were when the version served (or last reported) was read.
    loaded: Fingerprint,
}

impl Watcher {
    /// Looks at `dir` now. Make it before loading the content the server starts with, so an edit saved
    /// while the server starts is noticed rather than lost.
    pub fn new(dir: PathBuf) -> Self {
        let source = ContentSource::Dir(dir);
        let loaded = Fingerprint::take(&source);
        Watcher { source, loaded }
    }

    /// Polls until the runtime stops (or the handle is aborted), swapping each good version into `state`.
    pub fn spawn(self, state: AppState) -> tokio::task::JoinHandle<()> {
        tracing::info!(content = %self.source.describe(), "watching the content folder for changes");
        tokio::spawn(self.run(state))
    }

    async fn run(mut self, state: AppState) {
        let mut generation = state.content().generation;
        // A fingerprint seen once, waiting to be seen again before it is loaded.
        let mut pending: Option<Fingerprint> = None;
        loop {
            tokio::time::sleep(INTERVAL).await;
            let source = self.source.clone();
            // A stat can block (a network mount): not on a thread that serves requests.
            let Ok(now) = tokio::task::spawn_blocking(move || Fingerprint::take(&source)).await
            else {
                continue;
            };
            if now == self.loaded {
                pending = None;
                continue;
            }
            if pending.as_ref() != Some(&now) {
                pending = Some(now);
                continue;
            }
            pending = None;
            // Taken before the files are read: an edit saved during the load is seen on the next poll.
            self.loaded = now;
            if reload(&state, &self.source, generation + 1).await {
                generation += 1;
            }
        }
    }
}

/// Loads the content again and, if it has no problem, serves it as `generation`. Returns whether it did.
/// Either way the live-reload status says what happened, and so does the log.
pub async fn reload(state: &AppState, source: &ContentSource, generation: u64) -> bool {
    let started = Instant::now();
    let from = source.clone();
    let loaded = match tokio::task::spawn_blocking(move || crate::load_content(&from)).await {
        Ok(loaded) => loaded,
        Err(e) => Err(vec![internal_problem(source, &e)]),
    };
    let outcome = match loaded {
        Ok(content) => crate::snapshot(
            &state.search,
            content,
            generation,
            state.live_reload.as_ref(),
        )
        .await
        .map_err(|e| vec![internal_problem(source, &*e)]),
        Err(problems) => Err(problems),
    };
    match outcome {
        Ok(snapshot) => {
            state.replace_content(snapshot);
            state.warm_pages();
            if let Some(live) = &state.live_reload {
                live.loaded(generation);
            }
            tracing::info!(
                content.generation = generation,
                duration_ms = started.elapsed().as_millis() as u64,
                "content reloaded"
            );
            true
        }
        Err(problems) => {
            for problem in &problems {
                tracing::warn!("{problem}");
            }
            tracing::warn!(
                problems = problems.len(),
                "content not reloaded: the last version that loaded is still served"
            );
            if let Some(live) = &state.live_reload {
                live.failed(problems);
            }
            false
        }
    }
}

/// A failure that is not the content's fault (a database error while rebuilding the search index), shown
/// where content problems are so the author is not left guessing.
fn internal_problem(source: &ContentSource, error: &dyn std::fmt::Display) -> Problem {
    Problem {
        file: source.describe(),
        line: 0,
        message: format!("読み込み直しに失敗しました（コンテンツの問題ではありません）: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_sees_what_the_loaders_read_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let source = ContentSource::Dir(dir.path().to_path_buf());
        std::fs::write(dir.path().join("notes.md"), "### a\n- x\n").unwrap();
        std::fs::create_dir(dir.path().join("annotations")).unwrap();
        let before = Fingerprint::take(&source);

        // An editor's swap and backup files are not content.
        std::fs::write(dir.path().join("annotations/.a.md.swp"), "x").unwrap();
        std::fs::write(dir.path().join("notes.md~"), "x").unwrap();
        std::fs::write(dir.path().join("README.txt"), "x").unwrap();
        assert_eq!(Fingerprint::take(&source), before);

        std::fs::write(dir.path().join("annotations/a.md"), "x").unwrap();
        let added = Fingerprint::take(&source);
        assert_ne!(added, before, "a new annotation file");

        std::fs::write(dir.path().join("notes.md"), "### a\n- x and more\n").unwrap();
        assert_ne!(Fingerprint::take(&source), added, "an edit");

        std::fs::remove_file(dir.path().join("annotations/a.md")).unwrap();
        std::fs::write(dir.path().join("glossary.toml"), "").unwrap();
        let removed = Fingerprint::take(&source);
        assert!(!removed.0.iter().any(|(rel, _)| rel == "annotations/a.md"));
        assert!(
            removed
                .0
                .iter()
                .any(|(rel, stamp)| rel == "glossary.toml" && stamp.is_some())
        );
    }
}
