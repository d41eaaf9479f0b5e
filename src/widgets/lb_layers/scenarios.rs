//! Which device can apply the rule to the packet, and why (facts.md §1, §2 and W6): an L3 device
//! reads the IP header, an L4 device adds ports and TCP flags, an L7 device adds the application
//! message — for HTTPS only after TLS termination, else only the ClientHello's SNI, and with ECH only
//! the outer SNI. A device that reads a layer also reads the layers below it.

use super::model::*;
use super::{
    CLIENT_IP, CLIENT_PORT, ECH_PUBLIC_NAME, Params, Payload, Rule, Tls, VIP, describe,
    scenario_label, scenario_name,
};

/// Computes the evaluation of `p`.
pub fn evaluate(p: &Params) -> Evaluation {
    let fields = fields(p);
    let devices: Vec<Device> = [3u8, 4, 7]
        .into_iter()
        .map(|layer| device(p, &fields, layer))
        .collect();
    let lowest = devices.iter().find(|d| d.can_apply).map_or(0, |d| d.layer);
    let outcome = outcome(p, &devices, lowest);
    Evaluation {
        scenario: scenario_name(p),
        label: scenario_label(p),
        packet_line: describe(p),
        params: *p,
        rule: p.rule,
        rule_label: p.rule.label(),
        fields,
        devices,
        lowest,
        outcome,
    }
}

fn field(
    key: &'static str,
    part: Part,
    label: &'static str,
    value: impl Into<String>,
    encrypted: bool,
) -> Field {
    Field {
        key,
        part,
        label,
        value: value.into(),
        encrypted,
    }
}

/// The packet's fields, by layer, with what TLS hides.
fn fields(p: &Params) -> Vec<Field> {
    let mut f = vec![
        field("src_ip", Part::Ip, "送信元 IP", CLIENT_IP, false),
        field("dst_ip", Part::Ip, "宛先 IP", VIP, false),
        field("protocol", Part::Ip, "プロトコル", "TCP (6)", false),
        field(
            "src_port",
            Part::Tcp,
            "送信元ポート",
            CLIENT_PORT.to_string(),
            false,
        ),
        field(
            "dst_port",
            Part::Tcp,
            "宛先ポート",
            p.port.to_string(),
            false,
        ),
        field("tcp_flags", Part::Tcp, "TCP フラグ", "ACK, PSH", false),
    ];
    let hidden = p.tls != Tls::None;
    match p.tls {
        Tls::None => {}
        Tls::Tls => f.push(field("sni", Part::Tls, "SNI", p.host, false)),
        Tls::Ech => {
            f.push(field(
                "sni",
                Part::Tls,
                "外側の SNI",
                ECH_PUBLIC_NAME,
                false,
            ));
            f.push(field("inner_sni", Part::Tls, "内側の SNI", p.host, true));
        }
    }
    match p.payload {
        Payload::Http | Payload::CustomHttp => {
            f.push(field("method", Part::App, "メソッド", p.method, hidden));
            f.push(field("path", Part::App, "パス", p.path, hidden));
            f.push(field("host", Part::App, "Host", p.host, hidden));
            f.push(field(
                "cookie",
                Part::App,
                "Cookie",
                if p.cookie { "lb=b" } else { "（なし）" },
                hidden,
            ));
            if p.payload == Payload::CustomHttp {
                f.push(field(
                    "body",
                    Part::App,
                    "本文",
                    r#"{"jsonrpc":"2.0","method":"getScore"}"#,
                    hidden,
                ));
            }
        }
        Payload::Postgres => f.push(field(
            "body",
            Part::App,
            "メッセージ",
            "Query: SELECT * FROM items",
            false,
        )),
        Payload::CustomTcp => f.push(field(
            "body",
            Part::App,
            "データ",
            "独自のバイナリフレーム",
            false,
        )),
    }
    f
}

/// The field a rule decides on, and whether this packet matches it.
fn rule_field(p: &Params) -> (&'static str, bool) {
    match p.rule {
        Rule::DstIp => ("dst_ip", true),
        Rule::Port5432 => ("dst_port", p.port == 5432),
        Rule::HostApi => ("host", p.host == "api.example"),
        Rule::PathApi => ("path", p.path.starts_with("/api")),
        Rule::Cookie => ("cookie", p.cookie),
    }
}

fn decision(p: &Params, matches: bool) -> String {
    if !matches {
        return "一致しないので既定のプール A へ".to_owned();
    }
    match p.rule {
        Rule::DstIp => "プール A へ",
        Rule::Port5432 => "DB プールへ",
        Rule::HostApi | Rule::PathApi => "プール B へ",
        Rule::Cookie => "同じバックエンド b へ",
    }
    .to_owned()
}

fn device(p: &Params, fields: &[Field], layer: u8) -> Device {
    let reads_app = layer == 7 && p.payload.is_http() && (p.tls == Tls::None || p.terminate);
    let sees: Vec<&'static str> = fields
        .iter()
        .filter(|f| match f.part {
            Part::Ip => true,
            Part::Tcp => layer >= 4,
            // The ClientHello is readable by anything that reads TLS; the inner SNI only with the ECH key.
            Part::Tls => layer == 7 && p.payload.is_http() && (!f.encrypted || p.terminate),
            Part::App => reads_app,
        })
        .map(|f| f.key)
        .collect();
    let (key, matches) = rule_field(p);
    // Without TLS termination a Host rule can still use the SNI, which names the same host — unless ECH
    // hides it behind the public name.
    let uses = if sees.contains(&key) {
        Some(key)
    } else if key == "host" && layer == 7 && p.payload.is_http() && p.tls == Tls::Tls {
        Some("sni")
    } else {
        None
    };
    let can_apply = uses.is_some();
    let label = match layer {
        3 => "L3 スイッチ（ルーター）",
        4 => "L4 ロードバランサー",
        _ => "L7 ロードバランサー（HTTP のリバースプロキシ）",
    };
    let (explain, source) = explain(p, layer, uses, matches);
    Device {
        layer,
        label,
        sees,
        can_apply,
        uses,
        matches: can_apply.then_some(matches),
        decision: can_apply.then(|| decision(p, matches)),
        explain,
        source,
    }
}

/// Why a device can or cannot apply the rule.
fn explain(p: &Params, layer: u8, uses: Option<&'static str>, matches: bool) -> (String, String) {
    let rule = p.rule;
    let verdict = |s: &str| {
        format!(
            "{s}{}",
            if matches {
                "このパケットはルールに一致します。"
            } else {
                "このパケットはルールに一致しないので、既定のプールへ送ります。"
            }
        )
    };
    match layer {
        3 => {
            let base = "L3 の装置が読むのは IP ヘッダー（送信元・宛先の IP アドレスとプロトコル）だけです。";
            if uses.is_some() {
                (
                    format!(
                        "{base}{}",
                        verdict(
                            "宛先アドレスで転送先を決めるのはルーターの基本の働き（経路表の最長一致）なので、このルールを使えます。"
                        )
                    ),
                    "RFC 791 §3.1; RFC 1812 §5.2.4.3".to_owned(),
                )
            } else {
                (
                    format!(
                        "{base}このルールに要る「{}」は IP ヘッダーに無いので、L3 の装置では使えません。",
                        need(rule)
                    ),
                    "RFC 791 §3.1".to_owned(),
                )
            }
        }
        4 => {
            let base = "L4 の装置は IP ヘッダーに加えて、TCP のポート番号とフラグ（いわゆる 5-tuple）を読みます。ペイロードの中身は見ません。NAT 型の L4 バランサーは宛先アドレスを書き換えて接続をそのまま通すので、クライアントとバックエンドの間の TCP 接続は 1 本です。handshake に答えるのはバックエンドで、バックエンドが見る送信元もクライアントのアドレスとポートです（RFC 2391）。";
            if uses.is_some() {
                (
                    format!(
                        "{base}{}",
                        verdict(
                            "このルールに要る情報はその範囲にあるので、接続ごとに振り分けられます。"
                        )
                    ),
                    "RFC 9293 §3.1; RFC 1122 §1.1.3".to_owned(),
                )
            } else {
                (
                    format!(
                        "{base}このルールに要る「{}」はペイロードの中（アプリケーション層）にあるので、L4 の装置では使えません。",
                        need(rule)
                    ),
                    "RFC 9293 §3.1; RFC 1122 §1.1.3".to_owned(),
                )
            }
        }
        _ => l7_explain(p, uses, matches),
    }
}

/// The words for what a rule needs.
fn need(rule: Rule) -> &'static str {
    match rule {
        Rule::DstIp => "宛先 IP アドレス",
        Rule::Port5432 => "宛先ポート番号",
        Rule::HostApi => "Host（ホスト名）",
        Rule::PathApi => "URL のパス",
        Rule::Cookie => "Cookie",
    }
}

fn l7_explain(p: &Params, uses: Option<&'static str>, matches: bool) -> (String, String) {
    let mut text = String::from(
        "L7 の装置は L3・L4 の情報に加えて、HTTP のメソッド、Host、パス、ヘッダー、Cookie まで読めます（「以下」のとおり、下の層の情報も使います）。そのためにクライアントとの TCP 接続を自分で終端し（handshake に答えるのはバランサーです）、バックエンドへは自分のアドレスから別の接続を開きます。バックエンドが見る送信元はバランサーなので、クライアントのアドレスは Forwarded ヘッダーなどで伝えます。",
    );
    let mut source = vec!["RFC 9110 §3.7", "RFC 7239 §4"];
    match (p.payload, p.tls, p.terminate) {
        (Payload::Postgres | Payload::CustomTcp, _, _) => {
            text.push_str(&format!(
                "ただしこのパケットが運ぶのは HTTP ではなく、{}です。HTTP を読む L7 バランサーには中身を解釈できず、使えるのは L3・L4 の情報だけです（中身で振り分けるには、そのプロトコル専用のプロキシが要ります）。",
                p.payload.label()
            ));
            source.push("RFC 1122 §1.1.3");
            if p.payload == Payload::Postgres {
                text.push_str("SQL は問い合わせ言語で、それを運ぶのは PostgreSQL が TCP の上に定義したワイヤープロトコルです。");
            } else {
                text.push_str("独自のプロトコルも層の番号は増えず、アプリケーション層のものです（第 8 層はありません）。");
            }
        }
        (_, Tls::None, _) => {
            text.push_str("このリクエストは平文なので、HTTP の中身がそのまま読めます。")
        }
        (_, _, true) => {
            text.push_str("バランサー自身が TLS を終端（復号）するので、HTTP の中身が読めます。");
            source.push("RFC 8446 §2");
        }
        (_, Tls::Tls, false) => {
            text.push_str("TLS を終端しないので HTTP の中身は暗号化されたままです。読めるのは ClientHello の SNI に入ったホスト名だけです。");
            source.push("RFC 6066 §3");
        }
        (_, Tls::Ech, false) => {
            text.push_str(&format!(
                "TLS を終端せず、Encrypted ClientHello（ECH）が使われているので、読めるのは外側の ClientHello の SNI（公開名 {ECH_PUBLIC_NAME}）だけです。本当のホスト名は暗号化された内側にあります。"
            ));
            source.push("RFC 6066 §3");
        }
    }
    if p.payload == Payload::CustomHttp && uses.is_some_and(|u| u != "sni") {
        text.push_str("HTTP の上に作った独自プロトコルも HTTP のリクエストなので、L7 の装置はメソッドやパスで扱えます。");
        source.push("RFC 9205");
    }
    match uses {
        Some("sni") => text.push_str(&format!(
            "Host のルールは、SNI のホスト名で代わりに判断できます。{}",
            if matches {
                "SNI は api.example なので一致します。"
            } else {
                "SNI は api.example ではないので一致しません。"
            }
        )),
        Some(_) => text.push_str(if matches {
            "このルールを使えて、パケットはルールに一致します。"
        } else {
            "このルールを使えますが、このパケットは一致しないので既定のプールへ送ります。"
        }),
        None => text.push_str(&format!(
            "このルールに要る「{}」が読めないので、このパケットには使えません。",
            need(p.rule)
        )),
    }
    (text, source.join("; "))
}

fn outcome(p: &Params, devices: &[Device], lowest: u8) -> String {
    let can: Vec<String> = devices
        .iter()
        .filter(|d| d.can_apply)
        .map(|d| format!("L{}", d.layer))
        .collect();
    if can.is_empty() {
        format!(
            "ルール「{}」を使える装置はありません。{}",
            p.rule.label(),
            if p.payload.is_http() {
                "HTTP の中身を読むには、L7 の装置が TLS を終端する必要があります。"
            } else {
                "HTTP ではないプロトコルには、HTTP の情報によるルールは当てはまりません。"
            }
        )
    } else {
        format!(
            "ルール「{}」を使えるのは {} です（いちばん下は L{lowest}）。上の層の装置は下の層の情報も使えます。",
            p.rule.label(),
            can.join("・")
        )
    }
}
