//! The network widgets added to the lab after the handshake, FTP and PMTUD — conntrack, SNMP,
//! lb-layers and sessions —
//! in one place: which scenarios the lab records for each, how a capture and what the lab read beside
//! it (conntrack's `<scenario>.json`, http2-resume's logs in `<scenario>.txt`) are compared with the model, how the widget's captures section says where
//! they were taken, and the lab report's rows for them (`examples/lab_check.rs`).

use std::path::Path;

use serde_json::Value;

use super::{Comparison, balancers, conntrack, h2resume, passthrough, snmp};
use crate::captures::decode::{Packet, decode, tcpdump_lines};

/// Every (widget, scenario) recorded here.
pub fn recorded() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    all.extend(conntrack::RECORDED.iter().map(|s| ("conntrack", *s)));
    all.extend(snmp::RECORDED.iter().map(|s| ("snmp", *s)));
    all.extend(balancers::LB_RECORDED.iter().map(|s| ("lb-layers", *s)));
    all.extend(
        balancers::SESSIONS_RECORDED
            .iter()
            .map(|s| ("sessions", *s)),
    );
    all
}

/// Recorded runs that are not one of the widget's picker scenarios, so the captures section lists
/// them after those (the widget's `scenario_label` names them).
pub const VARIANTS: &[(&str, &str)] = &[
    ("conntrack", "stray-ack+strict"),
    ("snmp", "inform+lost"),
    ("snmp", "trap+lost"),
    ("snmp", "poll+hc"),
    ("lb-layers", "path-http+l4"),
    ("lb-layers", "path-http+l7"),
    ("lb-layers", "path-https+l7"),
    ("lb-layers", "cookie-sticky+l7"),
    ("lb-layers", "dst-ip+l7"),
    ("lb-layers", "custom-http+l7"),
    ("lb-layers", "port-db+l4"),
    ("lb-layers", "custom-tcp+l4"),
    ("lb-layers", "path-passthrough+l4"),
    ("lb-layers", "host-sni+l7"),
    ("lb-layers", "host-ech+l7"),
];

/// Whether the comparison needs what the lab read beside the capture: conntrack's `<scenario>.json`
/// (the router's table after each packet), http2-resume's and host-ech's `<scenario>.txt` (what TLS
/// encrypts, from the logs of the balancer and the ends).
pub fn needs_observation(widget: &str, scenario: &str) -> bool {
    widget == "conntrack"
        || (widget, scenario) == ("sessions", h2resume::SCENARIO)
        || (widget, scenario) == ("lb-layers", passthrough::ECH_RUN)
}

/// What the comparison of one scenario reads beside its capture, from the recorded `<scenario>.json`
/// and `<scenario>.txt`; `None` when it needs nothing or it is missing.
pub fn reading(widget: &str, scenario: &str, json: Option<Value>, txt: &str) -> Option<Value> {
    match (widget, needs_observation(widget, scenario)) {
        (_, false) => None,
        ("sessions" | "lb-layers", true) => {
            Some(h2resume::log_entries(txt)).filter(|v| v != &Value::Array(vec![]))
        }
        _ => json,
    }
}

/// [`reading`] for a committed capture (`content/captures/`).
pub fn committed_reading(widget: &str, scenario: &str) -> Option<Value> {
    let txt = crate::captures::find(widget, scenario)
        .and_then(|c| c.observed)
        .unwrap_or_default();
    reading(
        widget,
        scenario,
        crate::captures::observation(widget, scenario),
        txt,
    )
}

/// Compares one recorded scenario with its model: the capture, and for conntrack the lab's reading
/// of the router after each packet. `None` for a scenario not recorded here, or without its reading.
pub fn compare(
    widget: &str,
    scenario: &str,
    packets: &[Packet],
    seen: Option<&Value>,
) -> Option<Comparison> {
    match widget {
        "conntrack" => conntrack::compare(scenario, packets, seen?),
        "snmp" => snmp::compare(scenario, packets),
        "lb-layers" if scenario == passthrough::ECH_RUN => passthrough::compare_ech(packets, seen?),
        "lb-layers" => balancers::compare_lb(scenario, packets),
        "sessions" if scenario == h2resume::SCENARIO => h2resume::compare(packets, seen?),
        "sessions" => balancers::compare_sessions(scenario, packets),
        _ => None,
    }
}

/// Where a widget's captures were taken, when that is not the client's link (the captures section
/// says it under its general text); empty otherwise.
pub fn capture_note(widget: &str) -> &'static str {
    match widget {
        "conntrack" => {
            "この図解のキャプチャは、フィルタ役のルータの両側で記録しました（tcpdump -i any）。In はルータに届いたパケット、Out はフィルタを通って出ていったパケットで、Out の無い In はフィルタが捨てたものです。パケットは図解の順に 1 つずつ手作りで送り（両端のホストは応答しません）、図解のクライアント 192.168.1.10 は 192.0.2.2、ICMP エラーを返すルータ 198.51.100.1 は 198.51.100.254 です。各パケットの後のルータの conntrack -L も並べています。"
        }
        "snmp" => {
            "この図解のキャプチャは、Linux の net-snmp で記録しました。エージェントはサーバー 198.51.100.2 の snmpd（UDP 161）、マネージャーはクライアント 192.0.2.2 の snmpget・snmpwalk・snmpbulkget・snmpset と、通知を受ける snmptrapd（UDP 162）です。linkDown の Trap と Inform はサーバーから snmptrap・snmpinform で送り、エージェント側のリンクで記録しました。request-id は net-snmp が乱数で選ぶので図解の値とは違います。ポーリングでは、図解と同じオクテット数（750・450・750・225 MB）をルータからサーバーの eth0 役のインターフェースへ送りながら 5 回 GetRequest を送りました。待ち時間だけを 60 秒から数秒に縮めたので、sysUpTime の差と bits/s は図解と違いますが、カウンタの増え方と 1 周する場所は同じです。"
        }
        "pmtud" => {
            "この図解のキャプチャは、クライアント（図解の A）の回線で記録しました。ルータからサーバーへのリンクの MTU を 1400 にしてあり、A は 20,000 バイトを送ります。Echo Request を落とすシナリオ、PLPMTUD、IPv6 の 2 つのシナリオでは、転送の後にサーバー（図解の B）から A へ ping を 1 回送りました。IPv6 は文書用のプレフィックス 2001:db8::/32 で、その 2 つのシナリオのあいだだけ有効にしています（Packet Too Big を落とすほうは、学んだ MTU が残らないようにサーバーの別のアドレス 2001:db8:100::3 へ送ります）。"
        }
        "lb-layers" => {
            "この図解のキャプチャは、実際のロードバランサーで記録しました。VIP 203.0.113.10:80 は Linux のルータに置き、L4 は nftables の DNAT（dnat to numgen inc mod 2：接続ごとのラウンドロビン）、L7 は HTTP のリバースプロキシ（シナリオのルールどおり、/api で始まるパスはプール B・ほかはプール A、Cookie lb=b はバックエンド B、宛先 IP 203.0.113.10 はプール A）です。プール A はバックエンド 198.51.100.11、プール B は 198.51.100.12 です。クライアントは図解の 198.51.100.23 の代わりに 192.0.2.2 で、送信元ポートは図解と同じ 50000、同じ接続で 2 件目のリクエストも送ります（パスのシナリオは GET /api/items のあと GET /、Cookie のシナリオは lb=b 付きの GET / を 2 回、HTTP の上の独自プロトコルは JSON-RPC の本文を POST /api/items と POST / で）。HTTP ではないシナリオは L4 だけで実行し、PostgreSQL の Query メッセージを 5432 番へ（5432 番は DB プール、ここではバックエンド B）、ゲームの独自フレームを 7777 番へ、同じ接続で 2 つずつ送ります。ルータの全インターフェースで記録したので（tcpdump -i any）、In はルータに届いたパケット、Out はルータが送り出したパケットです。L4 では同じ接続が宛先だけ書き換えられて両側に現れ、L7 ではクライアントとの接続とは別に、ルータ 198.51.100.1 からバックエンドへの接続がリクエストごとに現れます。HTTPS のシナリオ（Cookie・宛先 IP・HTTP の上の独自プロトコルも HTTPS です）は L7 が TLS を終端する実行だけを記録しました（証明書はその実行のために作った shop.example のもの）。クライアント側では暗号化されて読めないリクエストが、バックエンド側では平文で現れます。TLS を終端しない 2 つのシナリオでは、バックエンド自身が 443 番で TLS を終端します。「TLS 終端なし」のパスのシナリオは L4 の DNAT で（リクエストはどちらの側でも読めません）、SNI のシナリオはルータ上のパススルー（ClientHello の SNI を読んで api.example はプール B へ送り、バイトをそのまま中継する小さなプロキシ）で実行しました。証明書は shop.example と api.example の両方の名前で作っています。ECH のシナリオも同じパススルーで実行し、クライアントとバックエンドは ECH を話せる BoringSSL（Rust の boring クレート）のプログラムです。ECHConfig（公開名 public.example）の鍵はその実行のために作り、両方のバックエンドが持っています。パススルーが ClientHello から読めるのは外側の SNI public.example と encrypted_client_hello 拡張があることだけなので、Host のルールは使えず、既定のプール A へ送ります。内側の SNI api.example はバックエンドが復号して受け入れました（下の記録の sni と ech_accepted）。"
        }
        "sessions" => {
            "この図解のキャプチャは、実際のロードバランサーで記録しました。VIP 203.0.113.10:80 は Linux のルータに置き、L4 は nftables の DNAT（接続ごとのラウンドロビンは numgen inc mod 2、送信元 IP での固定は jhash ip saddr）、L7 は HTTP のリバースプロキシ（リクエストごとのラウンドロビン、または Cookie lb=…）で、バックエンドは A 198.51.100.11 と B 198.51.100.12 の HTTP/1.1 サーバーです。実行を短くするため、アイドルタイムアウト 60 秒は 1 秒に、休止 120 秒は 2 秒に縮めています。HTTP/1.1 のシナリオは平文の HTTP で記録したので TLS の段は含みません。「HTTP/2 のストリームと TLS 再開」だけは VIP の 443 番で、ルータ上の L7 バランサーが TLS 1.3 と HTTP/2 を終端し（Python の ssl と python3-h2）、ブラウザー役は接続 2 で、接続 1 でもらったチケットを使って TLS を再開します。TLS 1.3 では ServerHello より後（証明書、サーバーが選んだ ALPN、HTTP/2 のフレーム）が暗号化されるので、キャプチャで読めるのは ClientHello（ALPN h2、再開なら pre_shared_key）と ServerHello（再開なら pre_shared_key）、それにバランサーからバックエンドへの平文の HTTP/1.1 です。ストリーム番号、同時に開いていたストリーム、GOAWAY は、下に並べたバランサーとブラウザー役の記録から読んでください。ルータの全インターフェースで記録したので（tcpdump -i any）、In はルータに届いたパケット、Out はルータが送り出したパケットです。"
        }
        _ => "",
    }
}

/// One row of the lab report.
#[derive(Debug)]
pub struct Row {
    /// The widget.
    pub widget: &'static str,
    /// The recorded scenario.
    pub scenario: &'static str,
    /// Packets in the capture; `None` when it is missing.
    pub packets: Option<usize>,
    /// The comparison (one disagreement naming the missing file when it is missing).
    pub cmp: Comparison,
    /// The capture in tcpdump's words and what the lab read, for the report's details.
    pub details: String,
}

/// The report's rows for every scenario recorded here, from the lab's output directory.
pub fn rows(dir: &Path) -> Vec<Row> {
    recorded()
        .into_iter()
        .map(|(widget, scenario)| {
            let base = dir.join(widget).join(scenario);
            let packets = std::fs::read(base.with_extension("pcap"))
                .ok()
                .and_then(|b| decode(&b).ok());
            let json: Option<Value> = std::fs::read_to_string(format!("{}.json", base.display()))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
            let observed =
                std::fs::read_to_string(format!("{}.txt", base.display())).unwrap_or_default();
            let seen = reading(widget, scenario, json, &observed);
            let cmp = packets
                .as_deref()
                .and_then(|p| compare(widget, scenario, p, seen.as_ref()));
            let Some(cmp) = cmp else {
                let mut cmp = Comparison::default();
                cmp.check(false, || "キャプチャか実機の記録がありません".to_owned());
                return Row {
                    widget,
                    scenario,
                    packets: None,
                    cmp,
                    details: String::new(),
                };
            };
            let packets = packets.unwrap_or_default();
            let mut details = String::from("```\n");
            for line in tcpdump_lines(&packets) {
                details.push_str(&line);
                details.push('\n');
            }
            details.push_str("```\n");
            if !observed.trim().is_empty() {
                details.push_str(&format!("\n```\n{}\n```\n", observed.trim_end()));
            }
            Row {
                widget,
                scenario,
                packets: Some(packets.len()),
                cmp,
                details,
            }
        })
        .collect()
}
