//! The story the timeline tells, event by event (facts.md §6 and W10): a browser logs in to a site
//! behind a balancer with backends A and B, makes some requests, pauses, and makes more. Which
//! connection carries each request, which TLS handshake each connection needs, which backend
//! answers, and whether that backend finds the login session all follow from the settings.

use super::model::*;
use super::{
    Balancer, Http, IDLE_TIMEOUT_S, Params, Store, describe, scenario_label, scenario_name,
};

/// One round trip between the browser and the balancer, in ms: a TCP or TLS 1.3 handshake takes one.
const RTT_MS: u64 = 40;
/// How long one request and its response take.
const REQUEST_MS: u64 = 50;

/// The requests before the pause: the login first, then the pages it unlocks.
const BEFORE: [&str; 6] = [
    "POST /login",
    "GET /dashboard",
    "GET /api/items",
    "GET /api/news",
    "GET /style.css",
    "GET /app.js",
];
/// The requests after the pause.
const AFTER: [&str; 6] = [
    "GET /dashboard",
    "GET /api/items",
    "GET /api/profile",
    "GET /api/news",
    "GET /style.css",
    "GET /app.js",
];

/// Runs the setup in `p`.
pub fn simulate(p: &Params) -> Timeline {
    let mut w = Writer {
        p: *p,
        steps: Vec::new(),
        conn: 0,
        conn_backend: Backend::A,
        first_tls_end: None,
        request: 0,
        stream: 0,
        login_backend: Backend::A,
        lost_at: None,
        counts: Counts {
            connections: 0,
            tls_full: 0,
            tls_resumed: 0,
            requests: 0,
            streams: 0,
            sessions: 0,
        },
    };
    w.open(0);
    w.tls(RTT_MS);
    let mut t = w.requests(2 * RTT_MS, p.before, &BEFORE);
    if p.pause_s >= IDLE_TIMEOUT_S {
        w.close(t + IDLE_TIMEOUT_S * 1000);
        t += p.pause_s * 1000;
        w.open(t);
        w.tls(t + RTT_MS);
        w.requests(t + 2 * RTT_MS, p.after, &AFTER);
    } else {
        w.requests(t + p.pause_s * 1000, p.after, &AFTER);
    }
    let survives = w.lost_at.is_none();
    let outcome = outcome(p, &w);
    Timeline {
        scenario: scenario_name(p),
        label: scenario_label(p),
        setup: describe(p),
        params: *p,
        idle_timeout_s: IDLE_TIMEOUT_S,
        tls_end: match p.balancer {
            Balancer::L4 => "バックエンド",
            Balancer::L7 => "バランサー",
        },
        steps: w.steps,
        counts: w.counts,
        survives,
        lost_at: w.lost_at,
        outcome,
    }
}

/// Collects the steps while tracking connections, TLS, the round robin and the session.
struct Writer {
    p: Params,
    steps: Vec<Step>,
    /// The browser's current connection (1, 2).
    conn: u32,
    /// The backend an L4 balancer gave the current connection.
    conn_backend: Backend,
    /// Who terminated TLS on connection 1 (the balancer is `None` inside `Some`).
    first_tls_end: Option<Option<Backend>>,
    /// Requests so far.
    request: u32,
    /// The last HTTP/2 stream id on the current connection.
    stream: u32,
    /// The backend that created the login session.
    login_backend: Backend,
    lost_at: Option<u32>,
    counts: Counts,
}

impl Writer {
    fn l4(&self) -> bool {
        self.p.balancer == Balancer::L4
    }

    fn step(
        &mut self,
        t_ms: u64,
        lane: Lane,
        kind: Kind,
        title: String,
        explain: String,
        source: &str,
    ) -> &mut Step {
        self.steps.push(Step {
            t_ms,
            lane,
            kind,
            conn: self.conn,
            request: None,
            stream: None,
            line: None,
            backend: None,
            session: None,
            title,
            explain,
            source: source.to_owned(),
        });
        let last = self.steps.len() - 1;
        &mut self.steps[last]
    }

    /// A new connection: the 3-way handshake, and under L4 the backend it is pinned to.
    fn open(&mut self, t: u64) {
        self.conn += 1;
        self.stream = 0;
        self.counts.connections += 1;
        let n = self.conn;
        let mut explain = if n == 1 {
            "ブラウザーがサイトに TCP の 3-way handshake（SYN, SYN+ACK, ACK）をして、接続 1 を開きます。コネクションは両端の IP アドレスとポートの組（ソケットペア）で識別されるトランスポート層の状態です。".to_owned()
        } else {
            format!(
                "接続 1 はもう閉じているので、ブラウザーは新しい送信元ポートで 3-way handshake をやり直し、接続 {n} を開きます。ログインしたままでも、TCP のコネクションは新しいものです。"
            )
        };
        let (title, source) = if self.l4() {
            self.conn_backend = if self.p.sticky || n % 2 == 1 {
                Backend::A
            } else {
                Backend::B
            };
            let b = self.conn_backend.name();
            if self.p.sticky && n > 1 {
                explain.push_str(&format!(
                    "L4 バランサーは接続ごとに振り分けます。送信元 IP アドレスで固定する設定（スティッキー）なので、前と同じバックエンド {b} に送ります。L4 の装置は Cookie を読めないので、固定に使えるのはアドレスとポートだけです。"
                ));
            } else {
                explain.push_str(&format!(
                    "L4 バランサーは SYN を見た時点で、この接続をまるごとバックエンド {b} に送ると決めます（接続ごとのラウンドロビン）。以後この接続のパケットはすべて {b} へ行き、中身の HTTP は見ません。"
                ));
            }
            (
                format!("接続 {n} を開く（L4 がバックエンド {b} に振り分け）"),
                "RFC 9293 §3.5, §3.4.1",
            )
        } else {
            explain.push_str("L7 バランサーはプロキシとしてこの接続を自分で受けます。バックエンドとの間には別の TCP コネクションを持つので、ここで数えるのはブラウザー側の接続だけです。");
            (
                format!("接続 {n} を開く（ブラウザー ↔ バランサー）"),
                "RFC 9293 §3.5; RFC 9110 §3.7",
            )
        };
        let backend = self.l4().then_some(self.conn_backend);
        self.step(t, Lane::Tcp, Kind::Open, title, explain, source)
            .backend = backend;
    }

    /// The TLS handshake on the connection just opened: full, or resumed from the ticket.
    fn tls(&mut self, t: u64) {
        let end = self.l4().then_some(self.conn_backend);
        // Before a particle: 「バックエンド A が」 (a space after the Latin letter), 「バランサーが」.
        let end_name = match end {
            Some(b) => format!("バックエンド {} ", b.name()),
            None => "バランサー".to_owned(),
        };
        let n = self.conn;
        let resumed = match self.first_tls_end {
            None => false,
            Some(first) => self.p.resume && first == end,
        };
        let mut explain;
        let title;
        let source;
        let kind;
        if resumed {
            self.counts.tls_resumed += 1;
            kind = Kind::TlsResumed;
            title = format!("TLS 1.3 再開（接続 {n}、証明書なし）");
            explain = format!(
                "ブラウザーは接続 1 でもらったチケットの PSK を ClientHello に入れます。{end_name}はそれを受け入れるので、証明書（Certificate, CertificateVerify）を送らずに鍵を決められます。TLS のセッションは続いていますが、TCP のコネクションは新しいものです。"
            );
            source = "RFC 8446 §2.2";
        } else {
            self.counts.tls_full += 1;
            kind = Kind::TlsFull;
            title = format!("TLS 1.3 フルハンドシェイク（接続 {n}、証明書あり）");
            explain = format!(
                "ClientHello から Finished まで、{end_name}が証明書を送る完全なハンドシェイクです（TLS を終端するのは{}）。",
                end_name.trim_end()
            );
            source = if n == 1 || !self.p.resume {
                "RFC 8446 §2, §4.4.2"
            } else {
                "RFC 8446 §2.2, §4.2.11"
            };
            if n == 1 && self.p.resume {
                explain.push_str("終わったあと、サーバーは NewSessionTicket でチケットを渡します。次の接続ではこれで再開できます（RFC 8446 §4.6.1）。");
            } else if n == 1 {
                explain.push_str("この設定ではチケットを渡さないので、次の接続も最初からのハンドシェイクになります。");
            } else if !self.p.resume {
                explain.push_str("チケットが無いので、接続 1 と同じように証明書から始めます。TCP の接続を作り直すと TLS もやり直しです。");
            } else {
                explain.push_str(&format!(
                    "ブラウザーはチケットの PSK を出しますが、それを発行したのは接続 1 を終端したバックエンド {} です。このモデルではバックエンドごとにチケットの鍵が別なので、{end_name}は PSK を受け入れられず、証明書つきのフルハンドシェイクに戻ります。L4 では TLS もバックエンドで終端するからです。",
                    self.first_tls_end.flatten().map_or("A", Backend::name)
                ));
            }
        }
        if self.first_tls_end.is_none() {
            self.first_tls_end = Some(end);
        }
        self.step(t, Lane::Tls, kind, title, explain, source)
            .backend = end;
    }

    /// The backend a request goes to.
    fn route(&self, request: u32) -> Backend {
        match self.p.balancer {
            Balancer::L4 => self.conn_backend,
            // Round robin per request; with persistence, the cookie set on the first response.
            Balancer::L7 if self.p.sticky || request % 2 == 1 => Backend::A,
            Balancer::L7 => Backend::B,
        }
    }

    /// `count` requests from `t`; returns when the last response has arrived.
    fn requests(&mut self, t: u64, count: u64, lines: &[&str]) -> u64 {
        let mut at = t;
        for (i, line) in lines.iter().take(count as usize).enumerate() {
            // HTTP/1.1 sends one request at a time; HTTP/2 sends the rest at once after the login.
            if i > 0 && (self.p.http == Http::H1 || self.request == 1) {
                at += REQUEST_MS;
            }
            self.request(at, line);
        }
        at + REQUEST_MS
    }

    fn request(&mut self, t: u64, line: &str) {
        self.request += 1;
        self.counts.requests += 1;
        let k = self.request;
        let n = self.conn;
        let backend = self.route(k);
        let b = backend.name();
        let stream = (self.p.http == Http::H2).then(|| {
            self.stream = if self.stream == 0 { 1 } else { self.stream + 2 };
            self.counts.streams += 1;
            self.stream
        });
        let carrier = match stream {
            Some(id) => format!(
                "接続 {n} のストリーム {id} で送ります。HTTP/2 では 1 本の接続に多数のストリームが並行して流れ、ブラウザーが開くストリームの番号は 1, 3, 5… と奇数です（接続ごとに 1 から）。"
            ),
            None if k == 1 || self.steps.last().is_some_and(|s| s.lane != Lane::Http) => {
                format!("接続 {n} で送ります。")
            }
            None => format!(
                "前のリクエストと同じ接続 {n} で送ります。HTTP/1.1 の接続は既定で持続的（keep-alive）で、1 本の接続がリクエストを順番に 1 つずつ運びます。"
            ),
        };
        let decide = match self.p.balancer {
            Balancer::L4 => format!(
                "L4 バランサーは接続ごとに決めたとおり、この接続の中身をすべてバックエンド {b} に送ります。"
            ),
            Balancer::L7 if self.p.sticky && k > 1 => format!(
                "L7 バランサーはリクエストごとに決めますが、Cookie の lb={} を読んで同じバックエンド {b} に送ります（スティッキーセッション）。",
                Backend::A.name()
            ),
            Balancer::L7 => format!(
                "L7 バランサーは TLS を終端して HTTP を読み、リクエストごとに振り分けます（ラウンドロビン）。このリクエストはバックエンド {b} へ。"
            ),
        };
        let (state, what, source) = if k == 1 {
            self.login_backend = backend;
            self.counts.sessions += 1;
            let kept = match self.p.store {
                Store::Memory => format!("セッションはバックエンド {b} のメモリに保存されます。"),
                Store::Shared => {
                    "セッションは共有セッションストアに保存され、どのバックエンドからも読めます。"
                        .to_owned()
                }
            };
            let lb = if self.p.balancer == Balancer::L7 && self.p.sticky {
                "バランサーも応答に Set-Cookie: lb=A を足して、以後このブラウザーを A に固定します。"
            } else {
                ""
            };
            (
                SessionState::Created,
                format!(
                    "ログインに成功し、{b} は Set-Cookie: sid=… を返します。{kept}{lb}Cookie に入るのはセッションの ID だけで、中身はサーバー側にあります。"
                ),
                "RFC 6265 §4.1",
            )
        } else if self.p.store == Store::Shared || backend == self.login_backend {
            let where_ = match self.p.store {
                Store::Shared => "共有ストア".to_owned(),
                Store::Memory => "自分のメモリ".to_owned(),
            };
            (
                SessionState::Found,
                format!(
                    "ブラウザーは Cookie: sid=… を付けて送ります。{b} は{where_}でこの ID のセッションを見つけるので、ログインしたままです。"
                ),
                "RFC 6265 §5.4",
            )
        } else {
            self.lost_at.get_or_insert(k);
            let login = self.login_backend.name();
            (
                SessionState::Lost,
                format!(
                    "Cookie: sid=… はちゃんと届きますが、セッションはバックエンド {login} のメモリにあり、{b} にはありません。{b} は未ログインとして扱い、ログイン画面へリダイレクトします。ログインが失われました。"
                ),
                "RFC 6265 §5.4, §3",
            )
        };
        let http_source = match self.p.http {
            Http::H1 => "RFC 9112 §9.3",
            Http::H2 => "RFC 9113 §5, §5.1.1",
        };
        let balancer_source = match self.p.balancer {
            Balancer::L4 => "RFC 9293 §3.4.1",
            Balancer::L7 => "RFC 9110 §3.7",
        };
        let title = format!("リクエスト {k}: {line} → {b}（{}）", state.label());
        let explain = format!("{carrier}{decide}{what}");
        let source = format!("{http_source}; {balancer_source}; {source}");
        let s = self.step(t, Lane::Http, Kind::Request, title, explain, &source);
        s.request = Some(k);
        s.stream = stream;
        s.line = Some(line.to_owned());
        s.backend = Some(backend);
        s.session = Some(state);
    }

    /// The idle timeout closes the connection; the session lives on.
    fn close(&mut self, t: u64) {
        let n = self.conn;
        let who = match self.p.balancer {
            Balancer::L4 => format!("バックエンド {} ", self.conn_backend.name()),
            Balancer::L7 => "バランサー".to_owned(),
        };
        let (how, source) = match self.p.http {
            Http::H1 => ("FIN を送って", "RFC 9112 §9.5; RFC 9293 §3.6"),
            Http::H2 => (
                "GOAWAY フレームで知らせてから FIN を送って",
                "RFC 9113 §6.8; RFC 9293 §3.6",
            ),
        };
        let explain = format!(
            "{IDLE_TIMEOUT_S} 秒間リクエストが無かったので、{who}がアイドルタイムアウトで、{how}接続 {n} を閉じます（タイムアウトの長さは製品ごとの設定値で、このモデルでは {IDLE_TIMEOUT_S} 秒）。閉じたのは TCP のコネクションだけで、ログインセッションは終わりません。Cookie はブラウザーに、セッションはサーバー側に残っています。"
        );
        let backend = self.l4().then_some(self.conn_backend);
        self.step(
            t,
            Lane::Tcp,
            Kind::Close,
            format!("接続 {n} をアイドルタイムアウトで閉じる"),
            explain,
            source,
        )
        .backend = backend;
    }
}

/// The run's last word: the counts, and whether the login survived and why.
fn outcome(p: &Params, w: &Writer) -> String {
    let c = &w.counts;
    let mut text = format!(
        "TCP コネクション {} 本（3-way handshake も {} 回）、TLS ハンドシェイク {} 回（うち証明書つき {} 回、再開 {} 回）、HTTP リクエスト {} 件、ログインセッション {} つ。",
        c.connections,
        c.connections,
        c.tls_full + c.tls_resumed,
        c.tls_full,
        c.tls_resumed,
        c.requests,
        c.sessions
    );
    match w.lost_at {
        None => text.push_str(match (p.store, p.balancer, p.sticky) {
            (Store::Shared, _, _) => "ログインは最後まで続きます。セッションが共有ストアにあるので、どのバックエンドに当たっても同じセッションが見つかります。",
            (Store::Memory, Balancer::L7, true) => "ログインは最後まで続きます。Cookie によるスティッキーセッションで、すべてのリクエストがセッションを持つ A に届くからです。ただし A が止まるとセッションは失われます。",
            (Store::Memory, Balancer::L4, true) => "ログインは最後まで続きます。L4 バランサーが送信元 IP アドレスで接続を A に固定しているからです。ただし A が止まるか、クライアントのアドレスが変わるとセッションは失われます。",
            (Store::Memory, _, false) => "ログインは最後まで続きます。ただしそれは、すべてのリクエストがたまたまセッションを持つバックエンドに届いたからです。接続が切れて振り分け直されれば失われます。",
        }),
        Some(k) => text.push_str(&format!(
            "リクエスト {k} でログインが失われます。セッションがログインを処理したバックエンドのメモリにしかなく、{}別のバックエンドに届いたからです。スティッキーセッションか共有セッションストアで防げます。",
            match p.balancer {
                Balancer::L4 => "新しい接続が",
                Balancer::L7 => "リクエストが",
            }
        )),
    }
    text
}
