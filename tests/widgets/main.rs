//! Router tests for the widgets, one module per widget (the first three share one): each page carries
//! its widget's no-JS tables where the notes need them, the JSON API serves every scenario from the
//! model and answers a bad parameter with a Japanese 400 naming it, predictions are graded on the
//! server and stored only for signed-in learners, and bad bodies get the right 4xx in Japanese with
//! nothing stored. The requests and checks they share are in `tests/common/widget_api.rs`; what holds
//! for every widget page at once (the course map, the transfer budget) is here.

#[path = "../common/mod.rs"]
mod common;

mod conntrack;
mod handshake_ftp_forktree;
mod lb_layers;
mod pipe;
mod pmtud;
mod procmem;
mod race;
mod sched;
mod sessions;
mod signals;
mod snmp;

use common::widget_api::assert_widget_page_budget;

#[tokio::test]
async fn every_widget_page_stays_within_its_transfer_budget() {
    let app = common::app().await;
    let content = app.state.content();
    let pages: Vec<(String, String)> = content
        .course
        .topics
        .iter()
        .flat_map(|t| t.widgets.iter().map(|w| (t.slug.clone(), w.clone())))
        .collect();
    assert_eq!(
        pages.len(),
        15,
        "every widget's page, lb-layers and sched on two: {pages:?}"
    );
    for (slug, widget) in pages {
        assert_widget_page_budget(&app, &slug, &widget).await;
    }
}

#[tokio::test]
async fn the_course_map_marks_every_topic_with_a_widget() {
    let app = common::app().await;
    let content = app.state.content();
    let with_widget: Vec<String> = content
        .course
        .topics
        .iter()
        .filter(|t| !t.widgets.is_empty())
        .map(|t| format!("/topics/{}", t.slug))
        .collect();
    assert!(with_widget.contains(&"/topics/connection-vs-session".to_string()));
    let home = app.get("/").await;
    let html = home.html();
    let item = scraper::Selector::parse(".course-map li").unwrap();
    let link = scraper::Selector::parse("a").unwrap();
    let badge = scraper::Selector::parse(".badge-widget").unwrap();
    let mut marked = Vec::new();
    for li in html.select(&item) {
        let href = li
            .select(&link)
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap();
        if let Some(b) = li.select(&badge).next() {
            // Text a screen reader reads, not an icon alone.
            assert_eq!(b.text().collect::<String>(), "図解");
            assert_eq!(b.value().attr("title"), Some("図解あり"));
            marked.push(href.to_string());
        }
    }
    assert_eq!(marked, with_widget);
}
