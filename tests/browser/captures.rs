//! Guards the lab's real captures on the widget pages: a learner opens 「実機のキャプチャ」 under the
//! handshake stepper, reads the lost-SYN capture's three SYNs in tcpdump's words, and its download
//! link fetches the very pcap file (the magic number of a pcap); on a 360 px phone the lines scroll
//! inside their box, not the page. Under an OS widget the block holds what the kernel reported for
//! each experiment with real processes, with and without JavaScript.

use crate::support::{Browser, Options, PHONE, sideways_scroll, tap, wait_for};

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

/// The OS widgets' 「実機の記録」: with and without JavaScript a learner opens it under the signals
/// widget and reads that the blocked SIGINT was pending after Ctrl-C, with the comparison's verdict;
/// in 予想モード the records leave the page (they show every outcome); on a phone their long lines
/// scroll inside their box.
#[tokio::test(flavor = "multi_thread")]
async fn a_learner_reads_what_the_kernel_did_under_an_os_widget() {
    for javascript in [true, false] {
        let b = Browser::start_with(Options {
            javascript,
            ..Options::default()
        })
        .await;
        b.open("/topics/signals").await;
        assert!(
            b.text("#widget-signals-captures > summary")
                .await
                .contains("実際のプロセス"),
            "js {javascript}"
        );
        tap(&b, "#widget-signals-captures summary").await;
        let block = "#widget-signals-captures [data-observation='ctrl-c+block']";
        let lines = b.text(&format!("{block} .capture-lines")).await;
        assert!(
            lines.contains("\"pending\":[\"SIGINT\"]"),
            "js {javascript}: {lines}"
        );
        let verdict = b.text(&format!("{block} .observation-result")).await;
        assert!(
            verdict.contains("すべて一致しました"),
            "js {javascript}: {verdict}"
        );
        if javascript {
            assert!(b.console_errors().await.is_empty());
            b.screenshot_of("#widget-signals-captures", "os-captures")
                .await;
        }
        b.quit().await;
    }

    // The records show every outcome: in 予想モード each OS widget takes them out of the page, and
    // puts them back after.
    let b = Browser::start().await;
    for (widget, topic, toggle) in [
        ("pipe", "ipc", "pp-predict-toggle"),
        ("signals", "signals", "sig-predict-toggle"),
        ("sched", "run-queue", "sched-predict-toggle"),
        ("race", "thread", "rc-predict-toggle"),
        ("procmem", "process-components", "pm-predict-toggle"),
    ] {
        b.open(&format!("/topics/{topic}")).await;
        let block = format!("#widget-{widget}-captures");
        let button = format!("#widget-{widget} .{toggle}");
        wait_for(&b, &format!("document.querySelector('{button}')"), toggle).await;
        assert_eq!(b.count(&block).await, 1, "{widget}");
        b.click(&button).await;
        wait_for(
            &b,
            &format!("!document.querySelector('{block}')"),
            "records out",
        )
        .await;
        b.click(&button).await;
        wait_for(
            &b,
            &format!("document.querySelector('{block}')"),
            "records back",
        )
        .await;
    }
    assert!(b.console_errors().await.is_empty());
    b.quit().await;

    let phone = Browser::start_with(Options {
        size: PHONE,
        ..Options::default()
    })
    .await;
    phone.open("/topics/process-components").await;
    tap(&phone, "#widget-procmem-captures summary").await;
    assert_eq!(
        sideways_scroll(&phone).await,
        0,
        "the page does not scroll sideways"
    );
    phone.quit().await;
}
