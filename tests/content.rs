//! Content pipeline tests: the notes → topic tree golden files (this notes file and a hostile one), any
//! notes file without a manifest, and every kind of content problem reported with its file and line by
//! the loader, by `infra-dojo check` and by `serve` (which refuses to start).

mod common;

use axum::http::StatusCode;
use infra_dojo::content::source::ContentSource;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Compares with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual, expected,
        "golden file {name} differs (UPDATE_GOLDEN=1 to accept)"
    );
}

/// SHA-256 of the user's notes file (`../shared/notes/infra-textbook2-memo.md`), 6,811 bytes, recorded here
/// so the check needs no file outside the repository.
const USERS_NOTES_SHA256: &str = "acae2eff4780c3e404637e72cb581b69a1a70816a3274f6258bb497d02ae466b";

#[test]
fn the_shipped_notes_are_the_users_file_byte_for_byte() {
    use sha2::{Digest, Sha256};
    let shipped =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("content/notes.md")).unwrap();
    let digest: String = Sha256::digest(&shipped)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest, USERS_NOTES_SHA256,
        "content/notes.md is not the user's file"
    );
    // Where the original is at hand, it must still be the file the digest was taken from.
    let original =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/notes/infra-textbook2-memo.md");
    if let Ok(original) = std::fs::read(original) {
        assert_eq!(
            shipped, original,
            "the user's notes changed: ship the new file verbatim"
        );
    }
}

#[test]
fn the_course_outline_matches_its_golden_file() {
    let course = infra_dojo::load_content(&ContentSource::Embedded)
        .expect("embedded content is valid")
        .course;
    assert_eq!(course.topics.len(), 16);
    golden("notes.outline.txt", &course.outline_text());
}

#[test]
fn a_hostile_notes_file_without_a_manifest_renders_safely() {
    let course = infra_dojo::load_content(&ContentSource::Dir(fixture("hostile")))
        .expect("hostile notes still load")
        .course;
    golden("hostile.outline.txt", &course.outline_text());
    let all: String = course
        .topics
        .iter()
        .map(|t| t.notes_html.as_str())
        .collect();
    for bad in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "data:text",
        "<iframe",
        "<style",
        "alert(1)<",
    ] {
        assert!(!all.contains(bad), "{bad} survived:\n{all}");
    }
    // Headings in code blocks stay code; duplicate headings get distinct, stable slugs.
    let slugs: Vec<&str> = course.topics.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs[1], "tcp");
    assert_eq!(slugs[2], "tcp-2");
    assert!(
        course.topics[1]
            .notes_html
            .contains("### これは見出しではない")
    );
    // Template syntax in a heading is text, never evaluated.
    assert!(course.topics[3].title.contains("${{7*7}} {% raw %}"));
    assert!(
        course.topics[3].notes_html.contains("画像「alt"),
        "{}",
        course.topics[3].notes_html
    );
}

#[tokio::test]
async fn a_notes_only_folder_is_served_with_fallback_slugs() {
    let app = common::app_with(&ContentSource::Dir(fixture("hostile"))).await;
    let home = app.get("/").await;
    let hrefs = home.attrs(".course-map a", "href");
    assert_eq!(hrefs.len(), 4);
    for href in &hrefs {
        let page = app.get(href).await;
        assert_eq!(page.status, StatusCode::OK, "{href}");
        assert!(!page.body.contains("<script>alert"));
    }
    let heading = app.get(&hrefs[3]).await;
    // Raw tags in a heading are dropped; template syntax stays literal text.
    assert_eq!(
        heading.texts("h1"),
        vec!["長い見出し ${{7*7}} {% raw %} 太字"]
    );
}

fn expected_invalid_problems() -> Vec<String> {
    let dir = fixture("invalid");
    let p =
        |rel: &str, line: usize, msg: &str| format!("{}:{line}: {msg}", dir.join(rel).display());
    vec![
        p(
            "course.toml",
            6,
            "見出し \"ガンマ\" が notes.md の ### 見出しにありません",
        ),
        p(
            "course.toml",
            11,
            "slug \"alpha\" が重複しています（3 行目と同じ）",
        ),
        p(
            "course.toml",
            15,
            "slug \"Bad Slug\" は使えません（英小文字・数字・- のみ、64 文字まで）",
        ),
        p(
            "annotations/nowhere.md",
            1,
            "トピック \"nowhere\" がありません（ファイル名は annotations/<slug>.md）",
        ),
        p(
            "glossary.toml",
            7,
            "トピック \"no-such-topic\" がありません",
        ),
        p(
            "annotations/alpha.md",
            1,
            "anchor \"三つ目\" がトピック \"アルファ\" のノートに見つかりません",
        ),
    ]
}

#[test]
fn every_content_problem_is_reported_with_file_and_line() {
    let problems = infra_dojo::load_content(&ContentSource::Dir(fixture("invalid")))
        .expect_err("invalid content");
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines, expected_invalid_problems());

    let bad_toml =
        infra_dojo::load_content(&ContentSource::Dir(fixture("bad-toml"))).expect_err("bad TOML");
    assert_eq!(bad_toml.len(), 1);
    assert!(
        bad_toml[0].file.ends_with("course.toml") && bad_toml[0].line == 5,
        "{}",
        bad_toml[0]
    );
    assert!(bad_toml[0].message.starts_with("course.toml を読めません"));
}

#[test]
fn check_prints_the_problems_and_fails_and_serve_refuses_to_start() {
    let bin = env!("CARGO_BIN_EXE_infra-dojo");
    let ok = Command::new(bin).arg("check").output().unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("topics: 16, questions: "));

    let bad = Command::new(bin)
        .args(["check", "--content"])
        .arg(fixture("invalid"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    for line in expected_invalid_problems() {
        assert!(stderr.contains(&line), "missing {line} in:\n{stderr}");
    }

    let db = tempfile::tempdir().unwrap();
    let serve = Command::new(bin)
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(db.path().join("x.db"))
        .env("INFRA_DOJO_CONTENT", fixture("invalid"))
        .output()
        .unwrap();
    assert!(!serve.status.success());
    assert!(
        String::from_utf8_lossy(&serve.stderr).contains("コンテンツに問題があるため起動しません")
    );
    assert!(!db.path().join("x.db").exists(), "nothing was written");
}

#[test]
fn an_oversized_or_missing_notes_file_is_a_clear_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = infra_dojo::load_content(&ContentSource::Dir(dir.path().to_path_buf()))
        .expect_err("no notes");
    assert!(
        missing[0].message.contains("ファイルがありません"),
        "{}",
        missing[0]
    );
    std::fs::write(dir.path().join("notes.md"), "### x\n".repeat(500_000)).unwrap();
    let huge = infra_dojo::load_content(&ContentSource::Dir(dir.path().to_path_buf()))
        .expect_err("too large");
    assert!(huge[0].message.contains("大きすぎます"), "{}", huge[0]);
}

/// Sections whose notes are only a table, only a code block, only raw HTML or only an image, and one
/// with nothing under its heading (the last heading's neighbour, so it is truly empty).
const ONE_KIND_SECTIONS: &str = "# 部

### 表だけ

| a | b |
|---|---|
| 1 | 2 |

### コードだけ

```
ls -l /var/log
```

### HTMLだけ

<div>生の HTML だけの節</div>

### 画像だけ

![P28の図](https://example.com/p28.png)

### 生のimgだけ

<img src=\"/p28.png\" alt=\"P28\">

### 空の節

### 本文のある節

本文
";

#[test]
fn a_section_of_only_a_table_code_html_or_an_image_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), ONE_KIND_SECTIONS).unwrap();
    let course = infra_dojo::load_content(&ContentSource::Dir(dir.path().to_path_buf()))
        .expect("loads")
        .course;
    let empty: Vec<(&str, bool)> = course
        .topics
        .iter()
        .map(|t| (t.title.as_str(), t.notes_empty))
        .collect();
    assert_eq!(
        empty,
        [
            ("表だけ", false),
            ("コードだけ", false),
            ("HTMLだけ", false),
            ("画像だけ", false),
            ("生のimgだけ", false),
            ("空の節", true),
            ("本文のある節", false),
        ]
    );
    assert!(course.topics[0].notes_html.contains("<table>"));
    assert!(course.topics[1].notes_html.contains("ls -l /var/log"));
}
