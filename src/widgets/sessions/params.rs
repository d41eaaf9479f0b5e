//! What a run of the connection-vs-session timeline is asked for: a named scenario (a preset of
//! every setting) and any setting overridden one by one; the canonical name a setup is stored
//! under, and its Japanese label for the instructor's tables.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64};

/// The balancer's idle timeout in the model: a connection idle this long is closed. A setting of
/// each product, not a number any RFC fixes (RFC 9112 §9.5 only says servers close idle ones).
pub const IDLE_TIMEOUT_S: u64 = 60;
/// Most requests before or after the pause.
pub const MAX_REQUESTS: u64 = 6;
/// Longest pause, in seconds.
pub const MAX_PAUSE_S: u64 = 600;

/// The HTTP version the browser speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Http {
    /// HTTP/1.1: one request at a time on a persistent connection (RFC 9112 §9.3).
    H1,
    /// HTTP/2: many concurrent streams on one connection (RFC 9113 §5).
    H2,
}

impl Http {
    pub const ALL: [Http; 2] = [Http::H1, Http::H2];

    pub fn name(self) -> &'static str {
        match self {
            Http::H1 => "h1",
            Http::H2 => "h2",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Http::H1 => "HTTP/1.1",
            Http::H2 => "HTTP/2",
        }
    }
}

/// Where the balancer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Balancer {
    /// Per connection, from addresses and ports; TLS passes through to the backend.
    L4,
    /// Per request, from the HTTP message; the balancer terminates TLS.
    L7,
}

impl Balancer {
    pub const ALL: [Balancer; 2] = [Balancer::L4, Balancer::L7];

    pub fn name(self) -> &'static str {
        match self {
            Balancer::L4 => "l4",
            Balancer::L7 => "l7",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Balancer::L4 => "L4 バランサー",
            Balancer::L7 => "L7 バランサー",
        }
    }
}

/// Where the login sessions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    /// In the memory of the backend that created the session.
    Memory,
    /// In a store every backend reads (Redis, a database).
    Shared,
}

impl Store {
    pub const ALL: [Store; 2] = [Store::Memory, Store::Shared];

    pub fn name(self) -> &'static str {
        match self {
            Store::Memory => "memory",
            Store::Shared => "shared",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Store::Memory => "セッションは各バックエンドのメモリ",
            Store::Shared => "共有セッションストア",
        }
    }
}

/// Every setting of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Params {
    pub http: Http,
    pub balancer: Balancer,
    pub store: Store,
    /// Persistence: a cookie at L7, the client's address at L4 (an L4 device cannot read cookies).
    pub sticky: bool,
    /// The TLS server issues a ticket, so the next connection may resume (RFC 8446 §2.2).
    pub resume: bool,
    /// Requests before the pause, the first being the login (1..=6).
    pub before: u64,
    /// Requests after the pause (1..=6).
    pub after: u64,
    /// Seconds without any request between the two groups (0..=600).
    pub pause_s: u64,
}

/// A named scenario: a preset of every setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    Keepalive,
    Http2Resume,
    L4Memory,
    L4Sticky,
    L7Memory,
    L7Sticky,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::Keepalive,
        Scenario::Http2Resume,
        Scenario::L4Memory,
        Scenario::L4Sticky,
        Scenario::L7Memory,
        Scenario::L7Sticky,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Keepalive => "keepalive",
            Scenario::Http2Resume => "http2-resume",
            Scenario::L4Memory => "l4-memory",
            Scenario::L4Sticky => "l4-sticky",
            Scenario::L7Memory => "l7-memory",
            Scenario::L7Sticky => "l7-sticky",
        }
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scenario::Keepalive => "HTTP/1.1 keep-alive とアイドル切断（L7・共有ストア）",
            Scenario::Http2Resume => "HTTP/2 のストリームと TLS 再開",
            Scenario::L4Memory => "L4 バランサー・セッションはメモリ",
            Scenario::L4Sticky => "L4 バランサー・送信元 IP で固定",
            Scenario::L7Memory => "L7 バランサー・セッションはメモリ",
            Scenario::L7Sticky => "L7 バランサー・Cookie でスティッキー",
        }
    }

    /// The settings this scenario stands for.
    pub fn params(self) -> Params {
        let base = Params {
            http: Http::H1,
            balancer: Balancer::L7,
            store: Store::Shared,
            sticky: false,
            resume: false,
            before: 3,
            after: 2,
            pause_s: 120,
        };
        match self {
            Scenario::Keepalive => base,
            Scenario::Http2Resume => Params {
                http: Http::H2,
                resume: true,
                before: 4,
                ..base
            },
            Scenario::L4Memory => Params {
                balancer: Balancer::L4,
                store: Store::Memory,
                resume: true,
                ..base
            },
            Scenario::L4Sticky => Params {
                balancer: Balancer::L4,
                store: Store::Memory,
                sticky: true,
                resume: true,
                ..base
            },
            Scenario::L7Memory => Params {
                store: Store::Memory,
                ..base
            },
            Scenario::L7Sticky => Params {
                store: Store::Memory,
                sticky: true,
                ..base
            },
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        Scenario::Keepalive.params()
    }
}

/// Reads `scenario` (default `keepalive`), then any of `http`, `balancer`, `store`, `sticky`,
/// `resume`, `before`, `after`, `pause` overriding that scenario's value. Unknown keys are ignored;
/// a bad value is a [`ParamError`] naming its parameter.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let scenario = query_choice(
        pairs,
        "scenario",
        Scenario::Keepalive,
        &Scenario::ALL,
        Scenario::name,
    )?;
    let p = scenario.params();
    Ok(Params {
        http: query_choice(pairs, "http", p.http, &Http::ALL, Http::name)?,
        balancer: query_choice(
            pairs,
            "balancer",
            p.balancer,
            &Balancer::ALL,
            Balancer::name,
        )?,
        store: query_choice(pairs, "store", p.store, &Store::ALL, Store::name)?,
        sticky: query_bool(pairs, "sticky", p.sticky)?,
        resume: query_bool(pairs, "resume", p.resume)?,
        before: query_u64(pairs, "before", p.before, 1, MAX_REQUESTS)?,
        after: query_u64(pairs, "after", p.after, 1, MAX_REQUESTS)?,
        pause_s: query_u64(pairs, "pause", p.pause_s, 0, MAX_PAUSE_S)?,
    })
}

/// The name a setup is stored under: the scenario's name when the settings are exactly a
/// scenario's, otherwise every setting (`h2+l4+memory+sticky+resume+3+2+120`), so an instructor's
/// table groups the same setup together.
pub fn scenario_name(p: &Params) -> String {
    if let Some(s) = Scenario::ALL.into_iter().find(|s| s.params() == *p) {
        return s.name().to_owned();
    }
    let mut parts = vec![p.http.name(), p.balancer.name(), p.store.name()];
    if p.sticky {
        parts.push("sticky");
    }
    if p.resume {
        parts.push("resume");
    }
    format!("{}+{}+{}+{}", parts.join("+"), p.before, p.after, p.pause_s)
}

/// The settings [`scenario_name`] wrote, or `None` for a name it cannot have written.
pub fn params_from_scenario_name(name: &str) -> Option<Params> {
    if let Some(s) = Scenario::from_name(name) {
        return Some(s.params());
    }
    let parts: Vec<&str> = name.split('+').collect();
    let [head @ .., before, after, pause] = parts.as_slice() else {
        return None;
    };
    let [http, balancer, store, flags @ ..] = head else {
        return None;
    };
    let p = Params {
        http: Http::ALL.into_iter().find(|v| v.name() == *http)?,
        balancer: Balancer::ALL.into_iter().find(|v| v.name() == *balancer)?,
        store: Store::ALL.into_iter().find(|v| v.name() == *store)?,
        sticky: flags.contains(&"sticky"),
        resume: flags.contains(&"resume"),
        before: before
            .parse()
            .ok()
            .filter(|n| (1..=MAX_REQUESTS).contains(n))?,
        after: after
            .parse()
            .ok()
            .filter(|n| (1..=MAX_REQUESTS).contains(n))?,
        pause_s: pause.parse().ok().filter(|n| *n <= MAX_PAUSE_S)?,
    };
    // Only the canonical spelling, so two names never label the same setup.
    (scenario_name(&p) == name).then_some(p)
}

/// A setup in Japanese: the scenario's label, or every setting
/// (「HTTP/2・L4 バランサー・セッションは各バックエンドのメモリ・スティッキー・TLS 再開あり・前 3 件／後 2 件・休止 120 秒」).
pub fn scenario_label(p: &Params) -> String {
    if let Some(s) = Scenario::ALL.into_iter().find(|s| s.params() == *p) {
        return s.label().to_owned();
    }
    let mut parts = vec![p.http.label(), p.balancer.label(), p.store.label()];
    if p.sticky {
        parts.push("スティッキー");
    }
    if p.resume {
        parts.push("TLS 再開あり");
    }
    format!(
        "{}・前 {} 件／後 {} 件・休止 {} 秒",
        parts.join("・"),
        p.before,
        p.after,
        p.pause_s
    )
}

/// Every setting in one line, as the learner needs it to predict: 「HTTP/1.1・L7 バランサー・共有
/// セッションストア・スティッキーなし・TLS 再開なし・リクエスト 3 件 → 120 秒休止 → 2 件」.
pub fn describe(p: &Params) -> String {
    format!(
        "{}・{}・{}・スティッキー{}・TLS 再開{}・リクエスト {} 件 → {} 秒休止 → {} 件",
        p.http.label(),
        p.balancer.label(),
        p.store.label(),
        if p.sticky { "あり" } else { "なし" },
        if p.resume { "あり" } else { "なし" },
        p.before,
        p.pause_s,
        p.after
    )
}
