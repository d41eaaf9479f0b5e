//! What the learner builds: a packet (what it carries, TLS or not, ports, the HTTP request line,
//! Host and cookie) and a rule to try on it; named scenarios are presets of both. Also the canonical
//! name a setup is stored under and its Japanese label.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64};

/// The client's address in the example (TEST-NET-2, RFC 5737).
pub const CLIENT_IP: &str = "198.51.100.23";
/// The balancer's virtual address (TEST-NET-3, RFC 5737).
pub const VIP: &str = "203.0.113.10";
/// The client's source port.
pub const CLIENT_PORT: u16 = 50_000;
/// The public name an ECH client-facing server shows in the outer ClientHello.
pub const ECH_PUBLIC_NAME: &str = "public.example";

/// What the TCP connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payload {
    /// An HTTP request (a web page or REST API).
    Http,
    /// A protocol of its own carried in HTTP requests (JSON-RPC in a POST body).
    CustomHttp,
    /// PostgreSQL's wire protocol, straight over TCP.
    Postgres,
    /// A game's own binary protocol, straight over TCP.
    CustomTcp,
}

impl Payload {
    pub const ALL: [Payload; 4] = [
        Payload::Http,
        Payload::CustomHttp,
        Payload::Postgres,
        Payload::CustomTcp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Payload::Http => "http",
            Payload::CustomHttp => "custom-http",
            Payload::Postgres => "postgres",
            Payload::CustomTcp => "custom-tcp",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Payload::Http => "HTTP",
            Payload::CustomHttp => "HTTP の上の独自プロトコル",
            Payload::Postgres => "PostgreSQL のワイヤープロトコル",
            Payload::CustomTcp => "TCP の上の独自プロトコル",
        }
    }

    /// Whether the payload is HTTP, so an HTTP-reading device can parse it.
    pub fn is_http(self) -> bool {
        matches!(self, Payload::Http | Payload::CustomHttp)
    }
}

/// Whether the HTTP request travels inside TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain text.
    None,
    /// TLS 1.3: only the ClientHello's SNI is readable without the key (RFC 6066 §3).
    Tls,
    /// TLS with Encrypted ClientHello: only the outer SNI, the public name, is readable.
    Ech,
}

impl Tls {
    pub const ALL: [Tls; 3] = [Tls::None, Tls::Tls, Tls::Ech];

    pub fn name(self) -> &'static str {
        match self {
            Tls::None => "none",
            Tls::Tls => "tls",
            Tls::Ech => "ech",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tls::None => "平文",
            Tls::Tls => "TLS",
            Tls::Ech => "TLS + ECH",
        }
    }
}

/// A routing rule to try at each layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Destination address → pool A.
    DstIp,
    /// Destination port 5432 → the DB pool.
    Port5432,
    /// Host api.example → pool B.
    HostApi,
    /// Path /api… → pool B.
    PathApi,
    /// Cookie lb=b → the same backend b.
    Cookie,
}

impl Rule {
    pub const ALL: [Rule; 5] = [
        Rule::DstIp,
        Rule::Port5432,
        Rule::HostApi,
        Rule::PathApi,
        Rule::Cookie,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::DstIp => "dst-ip",
            Rule::Port5432 => "port-5432",
            Rule::HostApi => "host-api",
            Rule::PathApi => "path-api",
            Rule::Cookie => "cookie",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rule::DstIp => "宛先 IP が 203.0.113.10 → プール A",
            Rule::Port5432 => "宛先ポート 5432 → DB プール",
            Rule::HostApi => "Host が api.example → プール B",
            Rule::PathApi => "パスが /api で始まる → プール B",
            Rule::Cookie => "Cookie の lb=b → 同じバックエンド b",
        }
    }
}

/// The HTTP methods the packet may carry.
pub const METHODS: [&str; 2] = ["GET", "POST"];
/// The hosts the packet may name.
pub const HOSTS: [&str; 2] = ["shop.example", "api.example"];
/// The paths the packet may ask for.
pub const PATHS: [&str; 2] = ["/", "/api/items"];

/// One packet and one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Params {
    pub payload: Payload,
    /// TLS around the HTTP request (HTTP payloads only).
    pub tls: Tls,
    /// The L7 balancer terminates TLS: it holds the site's key (and, with ECH, the ECH key).
    pub terminate: bool,
    /// Destination port.
    pub port: u16,
    pub method: &'static str,
    pub host: &'static str,
    pub path: &'static str,
    /// The request carries `Cookie: lb=b`.
    pub cookie: bool,
    pub rule: Rule,
}

/// The port a payload uses unless the learner sets another.
pub fn default_port(payload: Payload, tls: Tls) -> u16 {
    match (payload, tls) {
        (Payload::Postgres, _) => 5432,
        (Payload::CustomTcp, _) => 7777,
        (_, Tls::None) => 80,
        _ => 443,
    }
}

/// A named scenario: a preset packet and rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    PathHttp,
    PathHttps,
    PathPassthrough,
    HostSni,
    HostEch,
    CookieSticky,
    DstIp,
    PortDb,
    CustomHttp,
    CustomTcp,
}

impl Scenario {
    pub const ALL: [Scenario; 10] = [
        Scenario::PathHttp,
        Scenario::PathHttps,
        Scenario::PathPassthrough,
        Scenario::HostSni,
        Scenario::HostEch,
        Scenario::CookieSticky,
        Scenario::DstIp,
        Scenario::PortDb,
        Scenario::CustomHttp,
        Scenario::CustomTcp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::PathHttp => "path-http",
            Scenario::PathHttps => "path-https",
            Scenario::PathPassthrough => "path-passthrough",
            Scenario::HostSni => "host-sni",
            Scenario::HostEch => "host-ech",
            Scenario::CookieSticky => "cookie-sticky",
            Scenario::DstIp => "dst-ip",
            Scenario::PortDb => "port-db",
            Scenario::CustomHttp => "custom-http",
            Scenario::CustomTcp => "custom-tcp",
        }
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scenario::PathHttp => "「/api → プール B」を平文の HTTP で",
            Scenario::PathHttps => "「/api → プール B」を HTTPS で（TLS 終端あり）",
            Scenario::PathPassthrough => "「/api → プール B」を HTTPS で（TLS 終端なし）",
            Scenario::HostSni => "Host で振り分け（TLS 終端なし、SNI）",
            Scenario::HostEch => "Host で振り分け（ECH、TLS 終端なし）",
            Scenario::CookieSticky => "Cookie で同じバックエンドへ",
            Scenario::DstIp => "宛先 IP アドレスで振り分け",
            Scenario::PortDb => "「5432 番 → DB プール」（PostgreSQL）",
            Scenario::CustomHttp => "HTTP の上の独自プロトコルを /api で",
            Scenario::CustomTcp => "TCP の上の独自プロトコルを /api で",
        }
    }

    pub fn params(self) -> Params {
        let https = Params {
            payload: Payload::Http,
            tls: Tls::Tls,
            terminate: true,
            port: 443,
            method: "GET",
            host: "shop.example",
            path: "/api/items",
            cookie: false,
            rule: Rule::PathApi,
        };
        match self {
            Scenario::PathHttp => Params {
                tls: Tls::None,
                port: 80,
                ..https
            },
            Scenario::PathHttps => https,
            Scenario::PathPassthrough => Params {
                terminate: false,
                ..https
            },
            Scenario::HostSni => Params {
                terminate: false,
                host: "api.example",
                rule: Rule::HostApi,
                ..https
            },
            Scenario::HostEch => Params {
                tls: Tls::Ech,
                terminate: false,
                host: "api.example",
                rule: Rule::HostApi,
                ..https
            },
            Scenario::CookieSticky => Params {
                path: "/",
                cookie: true,
                rule: Rule::Cookie,
                ..https
            },
            Scenario::DstIp => Params {
                rule: Rule::DstIp,
                ..https
            },
            Scenario::PortDb => Params {
                payload: Payload::Postgres,
                tls: Tls::None,
                port: 5432,
                rule: Rule::Port5432,
                ..https
            },
            Scenario::CustomHttp => Params {
                payload: Payload::CustomHttp,
                method: "POST",
                ..https
            },
            Scenario::CustomTcp => Params {
                payload: Payload::CustomTcp,
                tls: Tls::None,
                port: 7777,
                ..https
            },
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        Scenario::PathHttp.params()
    }
}

fn pick(
    pairs: &[(String, String)],
    key: &str,
    default: &'static str,
    all: &'static [&'static str],
) -> Result<&'static str, ParamError> {
    query_choice(pairs, key, default, all, |s| s)
}

/// Reads `scenario` (default `path-http`), then any of `payload`, `tls`, `terminate`, `port`,
/// `method`, `host`, `path`, `cookie`, `rule` overriding it. A payload or TLS changed without a
/// port takes that payload's usual port. Bad values are a [`ParamError`] naming their parameter;
/// TLS on a payload that is not HTTP is refused (PostgreSQL starts TLS inside its own protocol).
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let scenario = query_choice(
        pairs,
        "scenario",
        Scenario::PathHttp,
        &Scenario::ALL,
        Scenario::name,
    )?;
    let s = scenario.params();
    let payload = query_choice(pairs, "payload", s.payload, &Payload::ALL, Payload::name)?;
    let tls_default = if payload.is_http() { s.tls } else { Tls::None };
    let tls = query_choice(pairs, "tls", tls_default, &Tls::ALL, Tls::name)?;
    if tls != Tls::None && !payload.is_http() {
        return Err(ParamError(format!(
            "パラメータ tls は payload が http か custom-http のときだけ指定できます（payload={}）",
            payload.name()
        )));
    }
    let port_default = if payload == s.payload && tls == s.tls {
        s.port
    } else {
        default_port(payload, tls)
    };
    let port = query_u64(pairs, "port", u64::from(port_default), 1, 65_535)?;
    Ok(Params {
        payload,
        tls,
        terminate: query_bool(pairs, "terminate", s.terminate)?,
        port: u16::try_from(port).unwrap_or(port_default),
        method: pick(pairs, "method", s.method, &METHODS)?,
        host: pick(pairs, "host", s.host, &HOSTS)?,
        path: pick(pairs, "path", s.path, &PATHS)?,
        cookie: query_bool(pairs, "cookie", s.cookie)?,
        rule: query_choice(pairs, "rule", s.rule, &Rule::ALL, Rule::name)?,
    })
}

/// The name a setup is stored under: the scenario's name when it is exactly a scenario, otherwise
/// every setting (`http+tls+terminate+443+GET+api.example+/api/items+cookie+host-api`).
pub fn scenario_name(p: &Params) -> String {
    if let Some(s) = Scenario::ALL.into_iter().find(|s| s.params() == *p) {
        return s.name().to_owned();
    }
    let mut parts = vec![p.payload.name(), p.tls.name()];
    if p.terminate {
        parts.push("terminate");
    }
    let port = p.port.to_string();
    parts.extend([port.as_str(), p.method, p.host, p.path]);
    if p.cookie {
        parts.push("cookie");
    }
    parts.push(p.rule.name());
    parts.join("+")
}

/// The setup [`scenario_name`] wrote, or `None` for a name it cannot have written.
pub fn params_from_scenario_name(name: &str) -> Option<Params> {
    if let Some(s) = Scenario::from_name(name) {
        return Some(s.params());
    }
    let mut parts: Vec<&str> = name.split('+').collect();
    let rule = Rule::ALL
        .into_iter()
        .find(|r| Some(&r.name()) == parts.last())?;
    parts.pop();
    let cookie = parts.last() == Some(&"cookie");
    if cookie {
        parts.pop();
    }
    let terminate = parts.get(2) == Some(&"terminate");
    if terminate {
        parts.remove(2);
    }
    let [payload, tls, port, method, host, path] = parts.as_slice() else {
        return None;
    };
    let p = Params {
        payload: Payload::ALL.into_iter().find(|v| v.name() == *payload)?,
        tls: Tls::ALL.into_iter().find(|v| v.name() == *tls)?,
        terminate,
        port: port.parse().ok().filter(|n| *n > 0)?,
        method: METHODS.into_iter().find(|v| v == method)?,
        host: HOSTS.into_iter().find(|v| v == host)?,
        path: PATHS.into_iter().find(|v| v == path)?,
        cookie,
        rule,
    };
    (scenario_name(&p) == name).then_some(p)
}

/// A setup in Japanese: the scenario's label, or the packet and the rule.
pub fn scenario_label(p: &Params) -> String {
    if let Some(s) = Scenario::ALL.into_iter().find(|s| s.params() == *p) {
        return s.label().to_owned();
    }
    format!("{}・ルール「{}」", describe(p), p.rule.label())
}

/// The packet in one line, as a learner needs it: 「HTTPS（TLS 終端あり）で GET /api/items、Host:
/// shop.example、Cookie なし、宛先ポート 443」.
pub fn describe(p: &Params) -> String {
    let carrier = match (p.payload.is_http(), p.tls) {
        (false, _) => p.payload.label().to_owned(),
        (true, Tls::None) => format!("平文の {}", p.payload.label()),
        (true, tls) => format!(
            "{}（{}{}、L7 バランサーは TLS を終端{}）",
            p.payload.label(),
            tls.label(),
            if tls == Tls::Ech {
                format!("、外側の SNI は {ECH_PUBLIC_NAME}")
            } else {
                String::new()
            },
            if p.terminate { "する" } else { "しない" }
        ),
    };
    if p.payload.is_http() {
        format!(
            "{carrier}で {} {}、Host: {}、Cookie {}、宛先ポート {}",
            p.method,
            p.path,
            p.host,
            if p.cookie { "lb=b あり" } else { "なし" },
            p.port
        )
    } else {
        format!("{carrier}、宛先ポート {}", p.port)
    }
}
