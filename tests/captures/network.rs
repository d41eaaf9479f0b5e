//! The PMTUD and balancer captures against their models: every recorded run agrees, and a run of one
//! scenario (or a doctored one) does not pass for another — the comparison can fail.

use infra_dojo::captures::{self, compare};

#[test]
fn the_pmtud_captures_agree_with_the_model_and_can_disagree() {
    use compare::pmtud::{RECORDED, compare};
    for scenario in RECORDED {
        let capture = captures::find("pmtud", scenario)
            .unwrap_or_else(|| panic!("content/captures/pmtud/{scenario}.pcap is missing"));
        let seen = captures::observation("pmtud", scenario).expect("what the lab measured");
        let cmp = compare(scenario, &capture.packets, &seen).expect("a comparison");
        assert!(
            cmp.disagreements.is_empty(),
            "{scenario}: {:?}",
            cmp.disagreements
        );
        assert!(cmp.fields >= 6, "{scenario}");
    }
    // The black hole's capture is not PMTUD working: no completed transfer, no learned MTU.
    let hole = captures::find("pmtud", "black-hole").unwrap();
    let seen = captures::observation("pmtud", "black-hole").unwrap();
    let cmp = compare("normal", &hole.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("完了")),
        "{:?}",
        cmp.disagreements
    );
    assert!(cmp.disagreements.iter().any(|d| d.contains("経路 MTU")));

    // Dropping Echo Request leaves PMTUD working but not ping: not the normal run.
    let echo = captures::find("pmtud", "drop-echo").unwrap();
    let seen = captures::observation("pmtud", "drop-echo").unwrap();
    let cmp = compare("normal", &echo.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("ping")),
        "{:?}",
        cmp.disagreements
    );
    // PLPMTUD recovers without ICMP at tcp_base_mss: a black hole it is not, and a PMTUD run neither.
    let probing = captures::find("pmtud", "plpmtud").unwrap();
    let seen = captures::observation("pmtud", "plpmtud").unwrap();
    let cmp = compare("black-hole", &probing.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("完了")),
        "{:?}",
        cmp.disagreements
    );
    let normal = captures::find("pmtud", "normal").unwrap();
    let seen = captures::observation("pmtud", "normal").unwrap();
    let cmp = compare("plpmtud", &normal.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("PLPMTUD")),
        "{:?}",
        cmp.disagreements
    );
    // IPv6 answers with Packet Too Big, not ICMPv4 3/4.
    let v6 = captures::find("pmtud", "ipv6").unwrap();
    let seen = captures::observation("pmtud", "ipv6").unwrap();
    let cmp = compare("normal", &v6.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("ICMP 3/4")),
        "{:?}",
        cmp.disagreements
    );
    // The IPv6 black hole: Packet Too Big arrives and is dropped, nothing is learned — not the IPv6
    // run that completes, and not the IPv4 hole (whose ICMP would be 3/4).
    let v6_hole = captures::find("pmtud", "ipv6-black-hole").unwrap();
    let seen = captures::observation("pmtud", "ipv6-black-hole").unwrap();
    let cmp = compare("ipv6", &v6_hole.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("完了")),
        "{:?}",
        cmp.disagreements
    );
    let cmp = compare("black-hole", &v6_hole.packets, &seen).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("ICMP 3/4")),
        "{:?}",
        cmp.disagreements
    );
}

#[test]
fn the_balancer_comparisons_tell_l4_from_l7_and_a_kept_login_from_a_lost_one() {
    use compare::network::compare;
    use infra_dojo::captures::decode::Kind;
    // The nftables DNAT passes the client's connection through to the backend; the proxy answers
    // the handshake itself and opens its own: the one run does not pass for the other.
    let l4 = &captures::find("lb-layers", "path-http+l4").unwrap().packets;
    let cmp = compare("lb-layers", "path-http+l7", l4, None).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("L7: バックエンドが見た送信元")),
        "{:?}",
        cmp.disagreements
    );
    let l7 = &captures::find("lb-layers", "path-http+l7").unwrap().packets;
    let cmp = compare("lb-layers", "path-http+l4", l7, None).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("同じバックエンド")),
        "the L7 proxy sent /api/items and / to different backends: {:?}",
        cmp.disagreements
    );

    // Inside TLS the client's link shows no request; the proxy that terminated it reads the path and
    // sends /api/items to pool B in clear. The HTTPS run is not the plain one.
    let https = &captures::find("lb-layers", "path-https+l7")
        .unwrap()
        .packets;
    let cmp = compare("lb-layers", "path-http+l7", https, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("読めません")),
        "{:?}",
        cmp.disagreements
    );

    // The other HTTPS runs: the cookie lb=b took both requests to B, the VIP rule both to A; a
    // JSON-RPC body in a POST is not the path scenario's GET.
    let sticky = &captures::find("lb-layers", "cookie-sticky+l7")
        .unwrap()
        .packets;
    let dst = &captures::find("lb-layers", "dst-ip+l7").unwrap().packets;
    let cmp = compare("lb-layers", "cookie-sticky+l7", dst, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("の振り分け")),
        "{:?}",
        cmp.disagreements
    );
    let cmp = compare("lb-layers", "dst-ip+l7", sticky, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("Cookie")),
        "{:?}",
        cmp.disagreements
    );
    let rpc = &captures::find("lb-layers", "custom-http+l7")
        .unwrap()
        .packets;
    let cmp = compare("lb-layers", "path-https+l7", rpc, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("メソッド")),
        "{:?}",
        cmp.disagreements
    );
    let cmp = compare("lb-layers", "custom-http+l7", https, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("本文")),
        "{:?}",
        cmp.disagreements
    );

    // Not HTTP, through the L4 DNAT: PostgreSQL's Query to 5432 went to the DB pool (B); the game's
    // frame on 7777 is not it.
    let db = &captures::find("lb-layers", "port-db+l4").unwrap().packets;
    let game = &captures::find("lb-layers", "custom-tcp+l4")
        .unwrap()
        .packets;
    let cmp = compare("lb-layers", "port-db+l4", game, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("宛先ポート")),
        "{:?}",
        cmp.disagreements
    );
    let cmp = compare("lb-layers", "custom-tcp+l4", db, None).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("Query: SELECT")),
        "{:?}",
        cmp.disagreements
    );

    // TLS through, not terminated: the DNAT's run names shop.example and passes the connection
    // through; the SNI pass-through's names api.example and opens its own connection to B. Neither
    // passes for the other, and a backend link whose bytes differ from the client's is not one TLS
    // session end to end.
    let passthrough = &captures::find("lb-layers", "path-passthrough+l4")
        .unwrap()
        .packets;
    let sni = &captures::find("lb-layers", "host-sni+l7").unwrap().packets;
    let cmp = compare("lb-layers", "host-sni+l7", passthrough, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("SNI")),
        "{:?}",
        cmp.disagreements
    );
    let cmp = compare("lb-layers", "path-passthrough+l4", sni, None).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("L4: バックエンドが見た接続")),
        "{:?}",
        cmp.disagreements
    );
    let mut doctored = sni.clone();
    let to_b = doctored
        .iter()
        .position(|p| {
            p.dst.to_string() == "198.51.100.12"
                && matches!(&p.kind, Kind::Tcp(t) if t.payload.len() > 100)
        })
        .unwrap();
    if let Kind::Tcp(t) = &mut doctored[to_b].kind {
        t.payload[100] ^= 1;
    }
    let cmp = compare("lb-layers", "host-sni+l7", &doctored, None).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("バックエンドまで 1 本")),
        "{:?}",
        cmp.disagreements
    );

    // Round robin per connection loses the login on connection 2; the address-sticky run keeps it.
    let memory = &captures::find("sessions", "l4-memory").unwrap().packets;
    let cmp = compare("sessions", "l4-sticky", memory, None).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("リクエスト 4 のセッション")),
        "{:?}",
        cmp.disagreements
    );
    // A doctored capture: the browser stops sending its cookie; and the idle close moved to 60 s.
    let mut doctored = captures::find("sessions", "keepalive")
        .unwrap()
        .packets
        .clone();
    for p in &mut doctored {
        if let Kind::Tcp(t) = &mut p.kind
            && let Some(i) = t.payload.windows(7).position(|w| w == b"Cookie:")
        {
            t.payload[i] = b'X';
        }
    }
    let cmp = compare("sessions", "keepalive", &doctored, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("の Cookie")),
        "{:?}",
        cmp.disagreements
    );
    let mut late = captures::find("sessions", "l7-memory")
        .unwrap()
        .packets
        .clone();
    let first_fin = late
        .iter()
        .position(
            |p| matches!(&p.kind, Kind::Tcp(t) if t.fin && p.src.to_string() == "203.0.113.10"),
        )
        .unwrap();
    for p in &mut late[first_fin..] {
        p.time_us += 59_000_000;
    }
    let cmp = compare("sessions", "l7-memory", &late, None).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("アイドル切断")),
        "{:?}",
        cmp.disagreements
    );
}

#[test]
fn the_http2_resume_run_is_told_by_its_hellos_and_the_balancer_s_log() {
    use compare::network::{committed_reading, compare};
    use infra_dojo::captures::decode::Kind;
    let capture = captures::find("sessions", "http2-resume")
        .expect("content/captures/sessions/http2-resume.pcap");
    let log = committed_reading("sessions", "http2-resume").expect("the logs beside it (.txt)");
    let cmp = compare("sessions", "http2-resume", &capture.packets, Some(&log)).unwrap();
    assert!(cmp.disagreements.is_empty(), "{:#?}", cmp.disagreements);
    assert!(cmp.fields >= 60, "{} fields", cmp.fields);
    // Without its log the run is not compared (the stream ids are inside TLS).
    assert!(compare("sessions", "http2-resume", &capture.packets, None).is_none());

    // The decoded lines show the resumption in clear: connection 2's ClientHello offers the ticket's
    // PSK and its ServerHello accepts it; connection 1's do neither.
    let hellos: Vec<&String> = capture
        .lines
        .iter()
        .filter(|l| l.contains(": TLS: "))
        .collect();
    assert_eq!(hellos.len(), 4, "{hellos:#?}");
    assert!(hellos[0].ends_with("TLS: ClientHello (SNI shop.example, ALPN h2)"));
    assert!(hellos[1].ends_with("TLS: ServerHello (TLS 1.3)"));
    assert!(hellos[2].ends_with("TLS: ClientHello (SNI shop.example, ALPN h2, pre_shared_key)"));
    assert!(hellos[3].ends_with("TLS: ServerHello (TLS 1.3, pre_shared_key)"));

    // A doctored wire: connection 2's ServerHello without its pre_shared_key (the extension renamed to
    // an unknown type) is a full handshake, not the model's resumption.
    let mut full = capture.packets.clone();
    let server_hello = full
        .iter_mut()
        .filter_map(|p| match &mut p.kind {
            Kind::Tcp(t) if t.sport == 443 && t.payload.first() == Some(&22) => Some(t),
            _ => None,
        })
        .nth(1)
        .expect("connection 2's ServerHello");
    let psk = [0x00, 0x29, 0x00, 0x02, 0x00, 0x00];
    let at = server_hello
        .payload
        .windows(psk.len())
        .position(|w| w == psk)
        .expect("its pre_shared_key: selected identity 0");
    server_hello.payload[at] = 0xfe;
    let cmp = compare("sessions", "http2-resume", &full, Some(&log)).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("ServerHello の pre_shared_key はなし")),
        "{:#?}",
        cmp.disagreements
    );

    // A doctored log: connection 2's first request on stream 3, and the balancer choosing http/1.1.
    let mut doctored = log.clone();
    for e in doctored.as_array_mut().unwrap() {
        if e.get("proxy").is_none() {
            continue;
        }
        if e["stream"] == 1 && e["request"] == "GET /dashboard" {
            e["stream"] = 3.into();
        }
        if e.get("alpn").is_some() {
            e["alpn"] = "http/1.1".into();
        }
    }
    let cmp = compare(
        "sessions",
        "http2-resume",
        &capture.packets,
        Some(&doctored),
    )
    .unwrap();
    for want in [
        "リクエスト 5: モデルは接続 2・ストリーム Some(1)",
        "ALPN h2",
    ] {
        assert!(
            cmp.disagreements.iter().any(|d| d.contains(want)),
            "{want}: {:#?}",
            cmp.disagreements
        );
    }

    // Another run does not pass for this one, nor this one for another.
    let keepalive = &captures::find("sessions", "keepalive").unwrap().packets;
    let cmp = compare("sessions", "http2-resume", keepalive, Some(&log)).unwrap();
    assert!(
        cmp.disagreements.iter().any(|d| d.contains("ClientHello")),
        "{:#?}",
        cmp.disagreements
    );
    let cmp = compare("sessions", "keepalive", &capture.packets, None).unwrap();
    assert!(!cmp.disagreements.is_empty());
}

#[test]
fn the_ech_run_shows_only_the_outer_name_and_can_disagree() {
    use compare::network::{committed_reading, compare};
    use infra_dojo::captures::decode::Kind;
    use infra_dojo::captures::tls;
    let capture = captures::find("lb-layers", "host-ech+l7")
        .expect("content/captures/lb-layers/host-ech+l7.pcap");
    let log = committed_reading("lb-layers", "host-ech+l7").expect("the logs beside it (.txt)");
    let cmp = compare("lb-layers", "host-ech+l7", &capture.packets, Some(&log)).unwrap();
    assert!(cmp.disagreements.is_empty(), "{:#?}", cmp.disagreements);
    // Without the ends' logs the run is not compared: only they know the inner name was accepted.
    assert!(compare("lb-layers", "host-ech+l7", &capture.packets, None).is_none());

    // On the wire: the outer ClientHello names the public name and carries the sealed inner one;
    // the real host appears nowhere in clear on either link.
    let hellos: Vec<&String> = capture
        .lines
        .iter()
        .filter(|l| l.contains("TLS: ClientHello"))
        .collect();
    assert_eq!(
        hellos.len(),
        2,
        "client → VIP, then VIP → backend: {hellos:#?}"
    );
    for h in &hellos {
        assert!(
            h.contains(
                "TLS: ClientHello (SNI public.example, encrypted_client_hello config_id=1 payload="
            ),
            "{h}"
        );
    }
    // BoringSSL's ClientHello (a post-quantum key share beside the sealed inner one) spans two
    // segments: named on the one that completes it, and never from half a record.
    assert!(
        hellos.iter().all(|h| h.contains(") [2 segments, ")),
        "{hellos:#?}"
    );
    let halves: Vec<_> = capture
        .packets
        .iter()
        .zip(&capture.lines)
        .filter(|(_, l)| !l.contains("TLS: ClientHello"))
        .map(|(p, _)| p.clone())
        .collect();
    assert!(
        !infra_dojo::captures::decode::tcpdump_lines(&halves)
            .iter()
            .any(|l| l.contains("ClientHello")),
        "a hello named from its first segment alone"
    );
    assert!(
        capture.packets.iter().all(|p| match &p.kind {
            Kind::Tcp(t) => !t.payload.windows(11).any(|w| w == b"api.example"),
            _ => true,
        }),
        "api.example in clear"
    );
    // The pass-through sent it to the default pool A, which decrypted it (the ends' logs).
    let text = capture.observed.unwrap();
    assert!(
        text.contains(r#""sni": "public.example", "ech": true, "backend": "A""#),
        "{text}"
    );
    assert!(
        text.contains(r#""sni": "api.example", "ech_accepted": true"#),
        "{text}"
    );

    // host-sni's run (the real name in the SNI, no ECH) does not pass for host-ech, with its own logs.
    let sni = captures::find("lb-layers", "host-sni+l7").unwrap();
    let sni_log = infra_dojo::captures::compare::h2resume::log_entries(sni.observed.unwrap());
    let cmp = compare("lb-layers", "host-ech+l7", &sni.packets, Some(&sni_log)).unwrap();
    for want in [
        "ClientHello の SNI: モデルは public.example",
        "encrypted_client_hello（ECH）: モデルは外側の ClientHello に付く",
        "内側の SNI api.example: モデルは暗号化、実際はクライアントの回線で平文で読めます",
        "バランサーが読んだ SNI: モデルは外側の public.example",
        "バックエンドは ECH を受け入れたはず",
    ] {
        assert!(
            cmp.disagreements.iter().any(|d| d.contains(want)),
            "{want}: {:#?}",
            cmp.disagreements
        );
    }
    // And host-ech's run does not pass for host-sni: the SNI is the public name, and ECH is there.
    let cmp = compare("lb-layers", "host-sni+l7", &capture.packets, None).unwrap();
    for want in [
        "ClientHello の SNI: モデルは api.example",
        "encrypted_client_hello（ECH）: モデルはなし",
    ] {
        assert!(
            cmp.disagreements.iter().any(|d| d.contains(want)),
            "{want}: {:#?}",
            cmp.disagreements
        );
    }

    // A doctored wire: the encrypted_client_hello renamed to an unknown extension type, in both
    // connections' hellos (each the first two segments the client or the proxy sent to port 443).
    let mut renamed = capture.packets.clone();
    let mut flows: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, p) in renamed.iter().enumerate() {
        if let Kind::Tcp(t) = &p.kind
            && t.dport == 443
            && t.len > 0
        {
            flows
                .entry(format!("{}.{}", p.src, t.sport))
                .or_default()
                .push(i);
        }
    }
    assert_eq!(flows.len(), 2, "{flows:?}");
    for segments in flows.values() {
        let payload = |i: usize| match &renamed[i].kind {
            Kind::Tcp(t) => t.payload.clone(),
            _ => unreachable!(),
        };
        let (first, second) = (payload(segments[0]), payload(segments[1]));
        let hello = [first.as_slice(), second.as_slice()].concat();
        assert!(tls::client_hello(&hello).is_some_and(|h| h.ech.is_some()));
        let at = extension_at(&hello, tls::ECH_EXTENSION);
        let (i, at) = if at < first.len() {
            (segments[0], at)
        } else {
            (segments[1], at - first.len())
        };
        if let Kind::Tcp(t) = &mut renamed[i].kind {
            t.payload[at] = 0xfa;
        }
    }
    let cmp = compare("lb-layers", "host-ech+l7", &renamed, Some(&log)).unwrap();
    assert!(
        cmp.disagreements
            .iter()
            .any(|d| d.contains("encrypted_client_hello（ECH）")),
        "{:#?}",
        cmp.disagreements
    );

    // Doctored logs: a backend that could not decrypt (ECH rejected, the public name served), and a
    // balancer that routed by the inner name it cannot read.
    let mut rejected = log.clone();
    for e in rejected.as_array_mut().unwrap() {
        if e.get("peer").is_some() && e.get("ech_accepted").is_some() {
            e["ech_accepted"] = false.into();
            e["sni"] = "public.example".into();
        }
    }
    let cmp = compare(
        "lb-layers",
        "host-ech+l7",
        &capture.packets,
        Some(&rejected),
    )
    .unwrap();
    for want in [
        "バックエンドは ECH を受け入れたはず",
        "バックエンドが受けた名前: モデルは内側の api.example",
    ] {
        assert!(
            cmp.disagreements.iter().any(|d| d.contains(want)),
            "{want}: {:#?}",
            cmp.disagreements
        );
    }
    let mut routed = log.clone();
    for e in routed.as_array_mut().unwrap() {
        if e.get("proxy").is_some() {
            e["sni"] = "api.example".into();
            e["backend"] = "B".into();
        }
    }
    let cmp = compare("lb-layers", "host-ech+l7", &capture.packets, Some(&routed)).unwrap();
    for want in [
        "バランサーが読んだ SNI",
        "バランサーの振り分け: モデルは None（バックエンド A）",
    ] {
        assert!(
            cmp.disagreements.iter().any(|d| d.contains(want)),
            "{want}: {:#?}",
            cmp.disagreements
        );
    }
}

#[tokio::test]
async fn the_load_balancer_page_offers_the_ech_run() {
    // The outer ClientHello in tcpdump's words, and the ends' logs: the balancer read public.example,
    // the backend decrypted api.example. (host-ech is recorded through the L7 pass-through only; an
    // L4 DNAT would show what path-passthrough+l4 shows.)
    let app = crate::common::app().await;
    let html = app.get("/topics/load-balancer").await.html();
    let sel = scraper::Selector::parse("#widget-lb-layers [data-capture=\"host-ech+l7\"]").unwrap();
    let ech = html.select(&sel).next().unwrap().text().collect::<String>();
    for want in [
        "Host で振り分け（ECH、TLS 終端なし）",
        "TLS: ClientHello (SNI public.example, encrypted_client_hello config_id=1",
        r#""sni": "public.example", "ech": true, "backend": "A""#,
        r#""sni": "api.example", "ech_accepted": true"#,
    ] {
        assert!(ech.contains(want), "{want}: {ech}");
    }
    let res = app.get("/captures/lb-layers/host-ech+l7.pcap").await;
    assert_eq!(res.status, axum::http::StatusCode::OK);
    assert_eq!(
        app.get("/captures/lb-layers/host-ech+l4.pcap").await.status,
        axum::http::StatusCode::NOT_FOUND
    );
}

#[test]
fn the_encrypted_client_hello_is_read_from_its_fields_and_hostile_bytes_give_nothing() {
    use infra_dojo::captures::tls::{EncryptedHello, encrypted_hello};
    // outer: cipher suite HKDF-SHA256/AES-128-GCM, config 7, a 2-byte enc, a 3-byte payload.
    let outer = [0, 0, 1, 0, 1, 7, 0, 2, 0xaa, 0xbb, 0, 3, 1, 2, 3];
    assert_eq!(
        encrypted_hello(&outer),
        Some(EncryptedHello {
            outer: true,
            config_id: Some(7),
            payload: 3
        })
    );
    assert_eq!(encrypted_hello(&[1]).map(|e| e.outer), Some(false));
    for cut in 0..outer.len() {
        assert_eq!(encrypted_hello(&outer[..cut]), None, "cut at {cut}");
    }
    let mut longer = outer.to_vec();
    longer.push(0);
    assert_eq!(encrypted_hello(&longer), None, "bytes after the payload");
    assert_eq!(
        encrypted_hello(&[0, 0, 1, 0, 1, 7, 0, 0, 0, 0]),
        None,
        "an empty payload"
    );
    assert_eq!(encrypted_hello(&[2]), None, "an unknown type");
    assert_eq!(encrypted_hello(&[1, 0]), None, "an inner one with a body");
}

/// Where the extension `kind` begins in a whole ClientHello record: past the record and handshake
/// headers, version, random, session id, cipher suites and compression methods, then extension by
/// extension.
fn extension_at(hello: &[u8], kind: u16) -> usize {
    let u16_at = |at: usize| usize::from(u16::from_be_bytes([hello[at], hello[at + 1]]));
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + usize::from(hello[at]);
    at += 2 + u16_at(at);
    at += 1 + usize::from(hello[at]);
    at += 2;
    while u16_at(at) != usize::from(kind) {
        at += 4 + u16_at(at + 2);
    }
    at
}
