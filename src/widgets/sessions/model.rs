//! The timeline's types: one event per step on a lane (TCP connections, TLS, HTTP requests; the
//! fourth lane, the login session, is what each request did to it), and a whole run with its counts
//! and outcome.

use serde::Serialize;

use super::Params;

/// The lane an event is drawn on (the session lane is drawn from [`Step::session`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lane {
    /// A TCP connection opens or closes.
    Tcp,
    /// A TLS handshake.
    Tls,
    /// An HTTP request and its response.
    Http,
}

impl Lane {
    pub fn label(self) -> &'static str {
        match self {
            Lane::Tcp => "TCP",
            Lane::Tls => "TLS",
            Lane::Http => "HTTP",
        }
    }
}

/// What happens in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// 3-way handshake: a new connection.
    Open,
    /// FIN after the idle timeout.
    Close,
    /// TLS full handshake: the server sends its certificate.
    TlsFull,
    /// TLS resumption with a PSK from a ticket: no certificate.
    TlsResumed,
    /// One HTTP request and its response.
    Request,
}

/// One of the two backends behind the balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Backend {
    A,
    B,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::A => "A",
            Backend::B => "B",
        }
    }
}

/// What a request did to the login session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    /// The login created it (Set-Cookie).
    Created,
    /// The backend found it from the cookie: still logged in.
    Found,
    /// The backend has no such session: treated as logged out.
    Lost,
}

impl SessionState {
    pub fn label(self) -> &'static str {
        match self {
            SessionState::Created => "作成",
            SessionState::Found => "ログイン中",
            SessionState::Lost => "見つからない",
        }
    }
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// When it happens, in ms from the first SYN.
    pub t_ms: u64,
    pub lane: Lane,
    pub kind: Kind,
    /// The browser's connection it belongs to (1, 2).
    pub conn: u32,
    /// The request's number in the whole run (1, 2, …), for requests.
    pub request: Option<u32>,
    /// HTTP/2 stream identifier, for requests over HTTP/2 (odd: client-initiated).
    pub stream: Option<u32>,
    /// `GET /dashboard`, for requests.
    pub line: Option<String>,
    /// The backend that handles it (requests; connections and TLS under an L4 balancer).
    pub backend: Option<Backend>,
    /// What the request did to the login session.
    pub session: Option<SessionState>,
    /// A short Japanese heading.
    pub title: String,
    /// What happens and why (です・ます).
    pub explain: String,
    /// The RFC sections the step rests on.
    pub source: String,
}

/// What the learner counts in predict mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// TCP connections the browser opens (= TCP 3-way handshakes).
    pub connections: u32,
    /// TLS handshakes in which the server sends its certificate.
    pub tls_full: u32,
    /// TLS handshakes resumed from a ticket (no certificate).
    pub tls_resumed: u32,
    /// HTTP requests.
    pub requests: u32,
    /// HTTP/2 streams (0 over HTTP/1.1).
    pub streams: u32,
    /// Login sessions the site creates for this browser.
    pub sessions: u32,
}

/// A whole run as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The canonical name of the setup ([`super::scenario_name`]).
    pub scenario: String,
    /// The setup in Japanese: the scenario's label, or every setting.
    pub label: String,
    /// Every setting in one line ([`super::describe`]).
    pub setup: String,
    pub params: Params,
    /// The idle timeout the model's balancer applies, in seconds.
    pub idle_timeout_s: u64,
    /// Where TLS is terminated: 「バランサー」 or 「バックエンド」.
    pub tls_end: &'static str,
    pub steps: Vec<Step>,
    pub counts: Counts,
    /// No request after the login found the user logged out.
    pub survives: bool,
    /// The first request that found no session.
    pub lost_at: Option<u32>,
    /// One paragraph: did the login survive, and why.
    pub outcome: String,
}
