//! Router tests for the reading platform: the course map, every topic page, annotations, supplements,
//! the 404 page, static files and the headers every response carries.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use infra_dojo::content::source::ContentSource;

const SLUGS: [&str; 16] = [
    "load-balancer",
    "custom-protocols",
    "jon-postel",
    "tcp",
    "icmp",
    "connection-vs-session",
    "ftp",
    "snmp",
    "firewall",
    "process",
    "thread",
    "process-components",
    "process-tree",
    "ipc",
    "run-queue",
    "signals",
];

#[tokio::test]
async fn home_shows_the_course_map_with_every_topic() {
    let app = common::app().await;
    let res = app.get("/").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.texts("h1"), vec!["インフラエンジニアの教科書2 メモ"]);
    assert_eq!(res.texts(".nav-part-name"), vec!["プロトコル", "OS"]);
    assert_eq!(res.texts(".nav-chapter-name"), vec!["プロセスとスレッド"]);
    let hrefs = res.attrs(".course-map .nav-topics a", "href");
    let expected: Vec<String> = SLUGS.iter().map(|s| format!("/topics/{s}")).collect();
    assert_eq!(hrefs, expected);
    assert_eq!(res.attrs("html", "lang"), vec!["ja"]);
}

#[tokio::test]
async fn every_topic_page_has_its_title_breadcrumb_and_neighbours() {
    let app = common::app().await;
    let course = app.state.content().course.clone();
    for (i, slug) in SLUGS.iter().enumerate() {
        let res = app.get(&format!("/topics/{slug}")).await;
        assert_eq!(res.status, StatusCode::OK, "{slug}");
        let title = &course.topics[i].title;
        assert_eq!(&res.texts("h1"), &vec![title.clone()], "{slug}");
        let crumbs = res.texts(".breadcrumb li");
        assert_eq!(
            crumbs.first().map(String::as_str),
            Some("インフラエンジニアの教科書2 メモ")
        );
        assert_eq!(crumbs.last(), Some(title));
        assert_eq!(
            res.attrs(".sidebar a[aria-current=page]", "href"),
            vec![format!("/topics/{slug}")]
        );
        let prev = res.attrs("a[rel=prev]", "href");
        let next = res.attrs("a[rel=next]", "href");
        assert_eq!(
            prev,
            if i == 0 {
                vec![]
            } else {
                vec![format!("/topics/{}", SLUGS[i - 1])]
            },
            "{slug}"
        );
        assert_eq!(
            next,
            if i == 15 {
                vec![]
            } else {
                vec![format!("/topics/{}", SLUGS[i + 1])]
            },
            "{slug}"
        );
    }
}

#[tokio::test]
async fn the_chapter_shows_in_the_breadcrumb_of_os_topics() {
    let app = common::app().await;
    let res = app.get("/topics/process-tree").await;
    assert_eq!(
        res.texts(".breadcrumb li"),
        vec![
            "インフラエンジニアの教科書2 メモ",
            "OS",
            "プロセスとスレッド",
            "プロセスの親子関係と新しいプロセスの生成"
        ]
    );
}

#[tokio::test]
async fn notes_render_nested_lists_code_links_and_the_image_placeholder() {
    let app = common::app().await;
    let tcp = app.get("/topics/tcp").await;
    assert_eq!(
        tcp.texts("#notes > ul > li > ol > li").len(),
        3,
        "the handshake's numbered steps"
    );
    let external = tcp.attrs("#notes a.external", "href");
    assert!(
        external.contains(&"https://qiita.com/tatsuya4150/items/ae4d5e95e43ce0670bc0".to_string()),
        "{external:?}"
    );
    assert!(
        tcp.attrs("#notes a.external", "rel")
            .iter()
            .all(|r| r == "noopener noreferrer")
    );

    let lb = app.get("/topics/load-balancer").await;
    assert!(lb.texts("#notes code").contains(&"以下".to_string()));

    let custom = app.get("/topics/custom-protocols").await;
    assert!(custom.body.contains("画像「netag099」"), "alt text shown");
    assert!(!custom.body.contains("<img"), "no request to another host");
    assert!(
        custom.attrs(".external-image a", "href")[0]
            .starts_with("https://user-images.githubusercontent.com/")
    );
}

#[tokio::test]
async fn annotations_sit_beside_the_text_with_their_source() {
    let app = common::app().await;
    let res = app.get("/topics/tcp").await;
    // The ISN annotation is inside the list item it corrects, and names its RFC section.
    let html = res.html();
    let sel = scraper::Selector::parse("#notes li").unwrap();
    let item = html
        .select(&sel)
        .find(|li| {
            li.text()
                .collect::<String>()
                .starts_with("ただし、シーケンス番号はランダムな値になる")
        })
        .expect("item");
    let aside = item
        .select(&scraper::Selector::parse("aside.annotation").unwrap())
        .next()
        .expect("annotation inside the item");
    let source: String = aside
        .select(&scraper::Selector::parse(".annotation-source").unwrap())
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(source.contains("RFC 9293 §3.4.1"), "{source}");
    // The notes' own words are unchanged.
    assert!(
        res.body
            .contains("ただし、シーケンス番号はランダムな値になる")
    );
    // The page's table of contents lists every annotation.
    let toc = res.texts(".page-toc .toc-annotation a");
    assert_eq!(toc.len(), res.texts("aside.annotation").len());
    assert!(toc.len() >= 3);
}

#[tokio::test]
async fn the_pointers_to_missing_pictures_are_annotated() {
    let app = common::app().await;
    for (slug, anchor) in [("ftp", "P28の画像"), ("process-tree", "P38")] {
        let res = app.get(&format!("/topics/{slug}")).await;
        let html = res.html();
        let sel = scraper::Selector::parse("#notes li").unwrap();
        let item = html
            .select(&sel)
            .find(|li| li.text().collect::<String>().starts_with(anchor))
            .expect(anchor);
        assert!(
            item.select(&scraper::Selector::parse("aside.annotation").unwrap())
                .next()
                .is_some(),
            "{slug}"
        );
    }
}

#[tokio::test]
async fn empty_sections_say_so_and_show_a_marked_supplement() {
    let app = common::app().await;
    for slug in ["connection-vs-session", "snmp"] {
        let res = app.get(&format!("/topics/{slug}")).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.texts(".notes-empty").len(), 1, "{slug}");
        assert_eq!(res.texts("#supplement .supplement-badge"), vec!["補足資料"]);
        assert!(
            res.texts("#supplement").concat().contains("出典"),
            "{slug}: supplement cites sources"
        );
    }
    let snmp = app.get("/topics/snmp").await;
    assert!(snmp.texts("#supplement").concat().contains("161"));
    let tcp = app.get("/topics/tcp").await;
    assert!(tcp.texts(".notes-empty").is_empty());
}

#[tokio::test]
async fn only_a_truly_empty_section_says_it_is_empty() {
    // Sections of only a table, a code block, raw HTML, an image, a raw <img>; then an empty one.
    let notes = "# 部\n\n### 表だけ\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n### コードだけ\n\n```\nls -l\n```\n\n### HTMLだけ\n\n<div>生の HTML</div>\n\n### 画像だけ\n\n![P28の図](https://example.com/p28.png)\n\n### 生のimgだけ\n\n<img src=\"/p28.png\" alt=\"P28\">\n\n### 空の節\n\n### 本文のある節\n\n本文\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), notes).unwrap();
    let app = common::app_with(&ContentSource::Dir(dir.path().to_path_buf())).await;
    let hrefs = app.get("/").await.attrs(".course-map a", "href");
    assert_eq!(hrefs.len(), 7, "{hrefs:?}");
    for (i, href) in hrefs.iter().enumerate() {
        let page = app.get(href).await;
        assert_eq!(page.status, StatusCode::OK, "{href}");
        let says_empty = page.texts(".notes-empty").len();
        assert_eq!(says_empty, usize::from(i == 5), "{href}");
    }
    let table = app.get(&hrefs[0]).await;
    assert_eq!(table.texts("#notes table td"), vec!["1", "2"]);
    let code = app.get(&hrefs[1]).await;
    assert_eq!(code.texts("#notes pre code"), vec!["ls -l"]);
}

#[tokio::test]
async fn unknown_topics_get_a_japanese_404_with_a_way_home() {
    let app = common::app().await;
    for uri in ["/topics/nope", "/topics/..%2Fetc", "/no/such/page"] {
        let res = app.get(uri).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(res.texts("h1"), vec!["ページが見つかりません"]);
        assert!(res.attrs("main a", "href").contains(&"/".to_string()));
        assert!(res.header("content-type").unwrap().starts_with("text/html"));
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = common::app().await;
    let css = app.get("/").await.attrs("link[rel=stylesheet]", "href")[0].clone();
    for uri in [
        "/",
        "/topics/tcp",
        "/search?q=tcp",
        "/nope",
        "/healthz",
        css.as_str(),
    ] {
        let res = app.get(uri).await;
        let csp = res
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {uri}"));
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{uri}"
        );
        assert!(res.header("referrer-policy").is_some(), "{uri}");
    }
}

#[tokio::test]
async fn pages_have_no_inline_script_or_handlers() {
    let app = common::app().await;
    for slug in SLUGS {
        let res = app.get(&format!("/topics/{slug}")).await;
        let html = res.html();
        let scripts = scraper::Selector::parse("script").unwrap();
        for s in html.select(&scripts) {
            assert!(s.value().attr("src").is_some(), "{slug}: inline script");
            assert!(s.text().collect::<String>().trim().is_empty());
        }
        assert!(
            !res.body.contains(" onerror=")
                && !res.body.contains(" onclick=")
                && !res.body.contains("javascript:")
        );
    }
}

#[tokio::test]
async fn static_files_are_versioned_cached_and_revalidated() {
    let app = common::app().await;
    let css = app.get("/").await.attrs("link[rel=stylesheet]", "href")[0].clone();
    assert!(
        css.starts_with("/static/") && css.ends_with("/css/app.css"),
        "{css}"
    );
    let res = app.get(&css).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("cache-control").unwrap().contains("immutable"));
    assert!(res.header("content-type").unwrap().starts_with("text/css"));
    let etag = res.header("etag").unwrap().to_string();
    let again = app
        .request(
            Request::get(&css)
                .header("if-none-match", &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // An old version still works, without the long cache.
    let old = app.get("/static/000000000000/css/app.css").await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(old.header("cache-control"), Some("no-cache"));
    assert_eq!(
        app.get("/static/x/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = common::app().await;
    for encoding in ["br", "gzip"] {
        let res = app
            .request(
                Request::get("/topics/tcp")
                    .header("accept-encoding", encoding)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.header("content-encoding"), Some(encoding));
    }
}

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = common::app().await;
    let res = app.get("/healthz").await;
    assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "ok"));
    app.state.db.close().await;
    assert_eq!(
        app.get("/healthz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn the_theme_cookie_sets_the_theme_without_script() {
    let app = common::app().await;
    let dark = app
        .request(
            Request::get("/")
                .header("cookie", "a=b; theme=dark")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(dark.attrs("html", "data-theme"), vec!["dark"]);
    let hostile = app
        .request(
            Request::get("/")
                .header("cookie", "theme=\"><script>")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(hostile.attrs("html", "data-theme").is_empty());
    // Topic pages (pre-rendered per theme) follow the cookie too.
    for theme in ["dark", "light"] {
        let page = app
            .request(
                Request::get("/topics/tcp")
                    .header("cookie", format!("theme={theme}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.attrs("html", "data-theme"), vec![theme]);
        assert_eq!(page.texts("h1"), vec!["TCP"]);
    }
    assert!(
        app.get("/topics/tcp")
            .await
            .attrs("html", "data-theme")
            .is_empty()
    );
}

/// A notes file in English gets English page chrome: `lang="en"`, the header, navigation, labels around
/// the notes, annotations, search and error pages — detected from the notes, or named in course.toml.
#[tokio::test]
async fn english_notes_get_english_chrome() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/english");
    let app = common::app_with(&ContentSource::Dir(dir.clone())).await;
    assert_eq!(
        app.state.content().course.language,
        infra_dojo::content::Language::En
    );

    let japanese = regex_free_japanese;
    for path in [
        "/",
        "/topics/tcp",
        "/topics/ports",
        "/search?q=sequence",
        "/search?q=",
        "/no/such/page",
        "/topics/nope",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.attrs("html", "lang"), vec!["en".to_string()], "{path}");
        let visible: String = res.texts("header, nav, main, footer").concat();
        assert!(!japanese(&visible), "{path}: Japanese chrome in {visible}");
    }
    let tcp = app.get("/topics/tcp").await;
    assert_eq!(tcp.texts(".annotation-badge"), vec!["Annotation"]);
    assert!(tcp.texts(".annotation-source")[0].starts_with("Source: RFC 9293"));
    assert_eq!(tcp.texts("#page-toc-title"), vec!["On this page"]);
    assert!(tcp.texts(".external-image-note")[0].contains("not loaded"));
    let ports = app.get("/topics/ports").await;
    assert!(ports.texts(".notes-empty")[0].starts_with("This section of the notes is empty"));
    assert_eq!(ports.texts(".supplement-badge"), vec!["Supplement"]);
    let missing = app.get("/topics/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.texts("h1"), vec!["Page not found"]);
    let search = app.get("/search?q=sequence").await;
    assert!(
        search.texts(".result-count")[0].contains("results"),
        "{:?}",
        search.texts(".result-count")
    );

    // A learner's pages: the quiz, its results, accounts, progress, review — and the messages of a
    // refused post.
    let c = app.client();
    for path in ["/topics/tcp/quiz", "/login", "/signup"] {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let visible = page.texts("header, nav, main, footer").concat();
        assert!(!japanese(&visible), "{path}: Japanese in {visible}");
    }
    let res = c.sign_up_as("reader", "Reader").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let quiz = c.get("/topics/tcp/quiz").await;
    assert!(
        !japanese(&quiz.texts("main").concat()),
        "{:?}",
        quiz.texts("main")
    );
    let mut pairs = common::answer_quiz(&app, &quiz, &["tcp-first-segment"]);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = c.post_form("/topics/tcp/quiz", &refs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let results = done.header("location").unwrap().to_string();
    for path in [
        results.as_str(),
        "/me",
        "/me/review",
        "/me/topics/tcp/reset",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let visible = page.texts("header, nav, main, footer").concat();
        assert!(!japanese(&visible), "{path}: Japanese in {visible}");
    }
    pairs.push(("seed".into(), "0".into()));
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = c.post_form("/topics/tcp/quiz", &refs).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.texts("main").concat();
    assert!(!japanese(&message) && message.contains("seed"), "{message}");

    // The manifest decides over detection: the same notes declared Japanese get Japanese chrome.
    let declared = tempfile::tempdir().unwrap();
    for entry in ["notes.md", "annotations", "supplements"] {
        let from = dir.join(entry);
        if from.is_dir() {
            std::fs::create_dir(declared.path().join(entry)).unwrap();
            for f in std::fs::read_dir(&from).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), declared.path().join(entry).join(f.file_name())).unwrap();
            }
        } else {
            std::fs::copy(&from, declared.path().join(entry)).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(dir.join("course.toml")).unwrap();
    std::fs::write(
        declared.path().join("course.toml"),
        format!("language = \"ja\"\n{manifest}"),
    )
    .unwrap();
    let ja = common::app_with(&ContentSource::Dir(declared.path().to_path_buf())).await;
    let page = ja.get("/topics/tcp").await;
    assert_eq!(page.attrs("html", "lang"), vec!["ja".to_string()]);
    assert_eq!(page.texts(".annotation-badge"), vec!["補足"]);

    // The embedded Japanese notes stay Japanese.
    let default = common::app().await;
    assert_eq!(
        default.get("/").await.attrs("html", "lang"),
        vec!["ja".to_string()]
    );
}

/// Kana or CJK ideographs anywhere in the text.
fn regex_free_japanese(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

#[tokio::test]
async fn the_page_contents_list_follows_the_page_order() {
    let app = common::app().await;
    for slug in SLUGS {
        let res = app.get(&format!("/topics/{slug}")).await;
        let targets = res.attrs(".page-toc a", "href");
        if targets.is_empty() {
            continue;
        }
        // Where each target's element starts in the page, in the order the list names them.
        let at: Vec<usize> = targets
            .iter()
            .map(|href| {
                let id = href.trim_start_matches('#');
                res.body
                    .find(&format!("id=\"{id}\""))
                    .unwrap_or_else(|| panic!("{slug}: no element #{id}"))
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{slug}: the list {targets:?} is not in page order {at:?}"
        );
    }
    // TCP's first annotation in the page is the one anchored in the first list, not the file's first.
    let tcp = app.get("/topics/tcp").await;
    let labels = tcp.texts(".page-toc a");
    assert_eq!(labels[1], "補足: SYN+ACK は1つのセグメント", "{labels:?}");
}

#[tokio::test]
async fn a_signed_in_reader_sees_mastery_on_the_course_map_and_sidebar() {
    let app = common::app().await;
    // Nobody signed in: no mastery anywhere.
    assert!(app.get("/").await.texts(".nav-mastery").is_empty());
    assert!(
        app.get("/topics/ftp")
            .await
            .texts(".nav-mastery")
            .is_empty()
    );

    let aki = app.learner("aki").await;
    let day = 86_400;
    let start = infra_dojo::store::now() - 60 * day;
    // Right every time, weeks apart: every TCP question reaches the mastered box.
    for k in 0..4 {
        app.answer_topic(aki.id, "tcp", &[], start + k * 15 * day)
            .await;
    }
    // ICMP answered once, all wrong: started, 0%.
    app.answer_topic(aki.id, "icmp", &(0..20).collect::<Vec<_>>(), start)
        .await;

    let content = app.state.content();
    let with_quiz = SLUGS
        .iter()
        .filter(|s| !content.quizzes.topic(s).is_empty())
        .count();
    for page in ["/", "/topics/ftp"] {
        let res = aki.client.get(page).await;
        let scope = if page == "/" {
            ".course-map"
        } else {
            ".sidebar"
        };
        let marks = res.texts(&format!("{scope} .nav-mastery"));
        assert_eq!(
            marks.len(),
            with_quiz,
            "{page}: one mark per topic with a quiz"
        );
        let mark = |slug: &str| {
            let html = res.html();
            let sel = scraper::Selector::parse(&format!(
                "{scope} a[href='/topics/{slug}'] + .nav-mastery"
            ))
            .unwrap();
            let el = html.select(&sel).next().expect("a mark");
            (
                el.value().attr("class").unwrap().to_string(),
                el.text().collect::<String>(),
            )
        };
        assert_eq!(
            mark("tcp"),
            ("nav-mastery m4".to_string(), "習得 100%100%".to_string()),
            "{page}"
        );
        assert_eq!(
            mark("icmp"),
            ("nav-mastery m0".to_string(), "習得 0%0%".to_string()),
            "{page}: started, nothing mastered"
        );
        assert_eq!(
            mark("ftp"),
            ("nav-mastery none".to_string(), "未着手—".to_string()),
            "{page}: not started is not 0%"
        );
    }
    // /me says the same: a topic not started is 未着手, one started and not mastered 0%.
    let me = aki.client.get("/me").await;
    let row = |title: &str| {
        me.rows(".progress-table tbody tr")
            .into_iter()
            .find(|r| r[0].starts_with(title))
            .unwrap()
    };
    assert_eq!(row("FTP")[1], "未着手");
    assert!(row("ICMP")[1].ends_with("（0%）"), "{:?}", row("ICMP"));
    // The topic page for a signed-in reader is not the shared anonymous copy.
    let anonymous = app.get("/topics/ftp").await;
    assert!(anonymous.texts(".sidebar .nav-mastery").is_empty());
}

/// The pages every anonymous reader shares (topic pages, the home page) are compressed once: brotli for
/// browsers, gzip for clients that only take gzip, the plain bytes for clients that ask for nothing —
/// all the same page, each with its own ETag, kept by caches per coding and never for a signed-in reader.
#[tokio::test]
async fn shared_pages_come_precompressed_with_an_etag_per_coding() {
    let app = common::app().await;
    for uri in ["/topics/tcp", "/"] {
        let plain = common::raw(app.router.clone(), common::get_with(uri, &[])).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.header("content-encoding"), None, "{uri}");
        let page = plain.decoded();
        let mut tags = vec![plain.header("etag").expect("etag").to_string()];
        for (accept, coding) in [(common::BROWSER_ENCODINGS, "br"), ("gzip", "gzip")] {
            let res = common::raw(
                app.router.clone(),
                common::get_with(uri, &[("accept-encoding", accept)]),
            )
            .await;
            assert_eq!(res.header("content-encoding"), Some(coding), "{uri}");
            assert!(
                res.raw.len() * 2 < plain.raw.len(),
                "{uri} {coding}: {}",
                res.raw.len()
            );
            assert_eq!(res.decoded(), page, "{uri} {coding}: the same page");
            let vary = res.header("vary").unwrap().to_ascii_lowercase();
            assert!(
                vary.contains("accept-encoding") && vary.contains("cookie"),
                "{vary}"
            );
            assert_eq!(res.header("cache-control"), Some("no-cache"));
            tags.push(res.header("etag").unwrap().to_string());
        }
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), 3, "one tag per coding: {tags:?}");
    }
}

#[tokio::test]
async fn a_matching_etag_gets_304_without_a_body_and_another_gets_the_page() {
    let app = common::app().await;
    let browser = [("accept-encoding", common::BROWSER_ENCODINGS)];
    let first = common::raw(
        app.router.clone(),
        common::get_with("/topics/tcp", &browser),
    )
    .await;
    let tag = first.header("etag").unwrap().to_string();
    for sent in [tag.clone(), format!("W/{tag}"), format!("\"old\", {tag}")] {
        let again = common::raw(
            app.router.clone(),
            common::get_with("/topics/tcp", &[browser[0], ("if-none-match", &sent)]),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{sent}");
        assert!(again.raw.is_empty());
        assert_eq!(again.header("etag"), Some(tag.as_str()));
    }
    // Another page, another theme, or a stale tag: the page itself.
    for (uri, cookie) in [("/topics/icmp", ""), ("/topics/tcp", "theme=dark")] {
        let res = common::raw(
            app.router.clone(),
            common::get_with(
                uri,
                &[browser[0], ("if-none-match", &tag), ("cookie", cookie)],
            ),
        )
        .await;
        assert_ne!(res.status, StatusCode::NOT_MODIFIED, "{uri} {cookie}");
    }
}

/// A signed-in reader's page is made for them: compressed per request (gzip), never stored, no ETag — so a tag
/// from the anonymous page (or anyone else's) can never get a 304 that shows another person's page.
#[tokio::test]
async fn signed_in_pages_are_personal_without_etag_or_304() {
    let app = common::app().await;
    let anonymous = common::raw(
        app.router.clone(),
        common::get_with("/topics/tcp", &[("accept-encoding", "br")]),
    )
    .await;
    let tag = anonymous.header("etag").unwrap().to_string();
    let learner = app.client();
    learner.sign_up("aki").await;
    let cookie = learner.cookie_header().unwrap();
    for uri in ["/topics/tcp", "/", "/me"] {
        for service in ["router", "served"] {
            let req = common::get_with(
                uri,
                &[
                    ("accept-encoding", common::BROWSER_ENCODINGS),
                    ("if-none-match", &tag),
                    ("cookie", &cookie),
                ],
            );
            let res = if service == "router" {
                common::raw(app.router.clone(), req).await
            } else {
                common::raw(infra_dojo::service(app.state.clone()), req).await
            };
            assert_eq!(res.status, StatusCode::OK, "{uri} via {service}");
            assert_eq!(res.header("etag"), None, "{uri}");
            assert_eq!(res.header("cache-control"), Some("no-store"), "{uri}");
            // Compressed per request with gzip at its fastest level (cheaper than brotli here).
            assert_eq!(res.header("content-encoding"), Some("gzip"), "{uri}");
            assert!(
                res.decoded().contains("aki さん"),
                "{uri} via {service}: the learner's own page"
            );
        }
    }
}

#[tokio::test]
async fn static_files_come_precompressed_and_revalidate_per_coding() {
    let app = common::app().await;
    let css = app.get("/").await.attrs("link[rel=stylesheet]", "href")[0].clone();
    let plain = common::raw(app.router.clone(), common::get_with(&css, &[])).await;
    let text = plain.decoded();
    assert!(text.contains("--"), "the stylesheet");
    for coding in ["br", "gzip"] {
        let res = common::raw(
            app.router.clone(),
            common::get_with(&css, &[("accept-encoding", coding)]),
        )
        .await;
        assert_eq!(res.header("content-encoding"), Some(coding));
        assert_eq!(res.header("vary"), Some("Accept-Encoding"));
        assert!(res.header("cache-control").unwrap().contains("immutable"));
        assert_eq!(res.decoded(), text);
        let tag = res.header("etag").unwrap().to_string();
        let again = common::raw(
            app.router.clone(),
            common::get_with(
                &css,
                &[("accept-encoding", coding), ("if-none-match", &tag)],
            ),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    }
}

#[tokio::test]
async fn widget_json_carries_an_etag_and_revalidates() {
    let app = common::app().await;
    let uri = "/api/widgets/handshake?scenario=normal";
    let first = common::raw(app.router.clone(), common::get_with(uri, &[])).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let tag = first.header("etag").expect("etag").to_string();
    let again = common::raw(
        app.router.clone(),
        common::get_with(uri, &[("if-none-match", &tag)]),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.raw.is_empty());
    // Another scenario is other bytes, with another tag.
    let other = common::raw(
        app.router.clone(),
        common::get_with(
            "/api/widgets/handshake?scenario=closed-port",
            &[("if-none-match", &tag)],
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_ne!(other.header("etag"), Some(tag.as_str()));
}

/// `serve` answers anonymous pages and static files before routing (`web::fast`): the same status,
/// headers and bytes as the router gives, for every coding, theme and ETag; anything else — a request
/// with a session, another method, a path written differently — goes to the router.
#[tokio::test]
async fn the_fast_path_answers_exactly_as_the_router_does() {
    let app = common::app().await;
    let css = app.get("/").await.attrs("link[rel=stylesheet]", "href")[0].clone();
    let served = infra_dojo::service(app.state.clone());
    let tag = common::raw(app.router.clone(), common::get_with("/topics/ipc", &[]))
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/topics/tcp", vec![]),
        (
            "/topics/tcp",
            vec![("accept-encoding", common::BROWSER_ENCODINGS)],
        ),
        (
            "/topics/tcp?x=1",
            vec![("accept-encoding", "gzip"), ("cookie", "theme=dark")],
        ),
        (
            "/",
            vec![("cookie", "a=1; theme=light"), ("accept-encoding", "br")],
        ),
        ("/topics/ipc", vec![("if-none-match", &tag)]),
        (&css, vec![("accept-encoding", common::BROWSER_ENCODINGS)]),
        ("/static/0/css/app.css", vec![]),
        ("/topics/nope", vec![]),
        ("/static/0/nope.css", vec![]),
        ("/topics/tcp/", vec![]),
    ];
    for (uri, headers) in cases {
        let routed = common::raw(app.router.clone(), common::get_with(uri, &headers)).await;
        let fast = common::raw(served.clone(), common::get_with(uri, &headers)).await;
        assert_eq!(fast.status, routed.status, "{uri} {headers:?}");
        assert_eq!(fast.raw, routed.raw, "{uri} {headers:?}");
        // The router writes `content-length: 0` on a 304 (hyper sends no body either way).
        let listed = |r: &common::RawReply| {
            let mut list: Vec<_> = r
                .headers
                .iter()
                .filter(|(k, _)| r.status != StatusCode::NOT_MODIFIED || *k != "content-length")
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            list.sort_by(|x, y| x.0.cmp(&y.0));
            list
        };
        assert_eq!(listed(&fast), listed(&routed), "{uri} {headers:?}");
    }
    // Which requests the fast path takes alone: in front of a service that only answers 418, they are
    // the ones that do not come back as 418.
    let teapot = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, std::convert::Infallible>(axum::response::IntoResponse::into_response(
            StatusCode::IM_A_TEAPOT,
        ))
    });
    let alone = infra_dojo::web::fast::FastPath::new(app.state.clone(), teapot);
    let learner = app.client();
    learner.sign_up("fast").await;
    let session = learner.cookie_header().unwrap();
    for (uri, headers, fast) in [
        ("/topics/tcp", vec![("cookie", "theme=dark")], true),
        ("/", vec![], true),
        (css.as_str(), vec![("cookie", session.as_str())], true),
        ("/topics/tcp", vec![("cookie", session.as_str())], false),
        ("/", vec![("cookie", session.as_str())], false),
        ("/topics/%74cp", vec![], false),
        ("/topics/nope", vec![], false),
        ("/search?q=tcp", vec![], false),
        ("/me", vec![], false),
    ] {
        let res = common::raw(alone.clone(), common::get_with(uri, &headers)).await;
        assert_eq!(
            res.status != StatusCode::IM_A_TEAPOT,
            fast,
            "{uri} {headers:?}"
        );
    }
    // A method other than GET/HEAD is the router's: 405 as always.
    let post = common::raw(
        served.clone(),
        Request::post("/topics/tcp").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    // HEAD gets the headers of the page.
    let head = common::raw(
        served,
        Request::head("/topics/tcp").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.header("etag").is_some());
}
