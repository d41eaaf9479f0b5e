//! Guards the lab's real captures on the widget pages: a learner opens 「実機のキャプチャ」 under the
//! handshake stepper, reads the lost-SYN capture's three SYNs in tcpdump's words, and its download
//! link fetches the very pcap file (the magic number of a pcap); on a 360 px phone the lines scroll
//! inside their box, not the page.

use crate::support::{Browser, Options, PHONE, sideways_scroll, tap};

#[tokio::test(flavor = "multi_thread")]
async fn a_learner_reads_and_downloads_a_real_capture() {
    let b = Browser::start().await;
    b.open("/topics/tcp").await;
    tap(&b, "#widget-handshake-captures summary").await;
    let lines = b
        .text("#widget-handshake-captures [data-capture=lost-syn] .capture-lines")
        .await;
    assert_eq!(
        lines.matches("Flags [S], seq 0").count(),
        3,
        "the SYN and its two retransmissions: {lines}"
    );
    // The link downloads the recorded file: fetch it as the browser would and read its magic number.
    let magic = b
        .eval(
            "const a = document.querySelector('#widget-handshake-captures [data-capture=lost-syn] a[download]');
             return fetch(a.href).then(r => r.arrayBuffer()).then(buf =>
               Array.from(new Uint8Array(buf).slice(0, 4)).map(x => x.toString(16).padStart(2, '0')).join(''));",
        )
        .await;
    // A little-endian pcap file (as tcpdump writes on x86) starts with d4 c3 b2 a1.
    assert_eq!(magic.as_str(), Some("d4c3b2a1"));
    assert!(b.console_errors().await.is_empty());
    b.quit().await;

    let phone = Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await;
    phone.open("/topics/tcp").await;
    tap(&phone, "#widget-handshake-captures summary").await;
    assert_eq!(
        sideways_scroll(&phone).await,
        0,
        "the page does not scroll sideways"
    );
    phone.screenshot("captures-phone").await;
    phone.quit().await;
}
