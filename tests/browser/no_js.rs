//! Guards reading with JavaScript disabled: pages render fully, links and the search form work, the
//! annotations and supplements are there, and the theme button (which needs script) stays hidden.

use crate::support::{Browser, Options};

#[tokio::test(flavor = "multi_thread")]
async fn everything_reads_without_javascript() {
    let b = Browser::start_with(Options {
        javascript: false,
        ..Options::default()
    })
    .await;
    b.open("/").await;
    assert_eq!(
        b.eval("return 1").await,
        1,
        "the driver's own scripts still run"
    );
    b.click(".course-map a[href='/topics/ftp']").await;
    b.wait_for_path("/topics/ftp").await;
    assert!(b.count("aside.annotation").await >= 2);
    b.click("a.pager-next").await;
    b.wait_for_path("/topics/snmp").await;
    assert!(b.text("#supplement").await.contains("161"));
    assert!(
        !b.client
            .find(fantoccini::Locator::Css("[data-theme-toggle]"))
            .await
            .expect("toggle")
            .is_displayed()
            .await
            .expect("displayed")
    );

    let search = b
        .client
        .find(fantoccini::Locator::Css("#site-search"))
        .await
        .expect("search box");
    search.send_keys("パッシブモード\n").await.expect("type");
    b.wait_for_path("/search").await;
    assert!(b.count(".result-title[href^='/topics/ftp']").await >= 1);
    b.screenshot("no-js-search").await;
    b.quit().await;
}
