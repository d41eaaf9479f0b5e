//! Writing a download step by step: the control connection, then the active (PORT) or passive
//! (PASV/EPSV) data connection, and whether a NAT or firewall stops it.

use std::net::{IpAddr, Ipv4Addr};

use super::encoding::{encode_port, eprt, epsv_reply, pasv_reply, port_command};
use super::model::*;
use super::{ClientFw, Mode, Params, ServerFw};

/// The file the transcript downloads.
const FILE: &str = "file.txt";

/// Collects the session while it is written.
struct Writer {
    connections: Vec<Connection>,
    transcript: Vec<Line>,
    steps: Vec<Step>,
}

impl Writer {
    fn step(&mut self, title: &str, explain: String, connection: Option<usize>) -> usize {
        self.steps.push(Step {
            title: title.to_owned(),
            explain,
            connection,
        });
        self.steps.len() - 1
    }

    fn say(&mut self, step: usize, from: Side, text: impl Into<String>) {
        self.transcript.push(Line {
            from,
            text: text.into(),
            step,
        });
    }

    fn connect(&mut self, c: Connection) -> usize {
        self.connections.push(c);
        self.connections.len() - 1
    }
}

/// Runs one download with the settings in `p`.
pub fn simulate(p: &Params) -> FtpSession {
    let mut w = Writer {
        connections: Vec::new(),
        transcript: Vec::new(),
        steps: Vec::new(),
    };
    // The client's sockets carry its own address; behind a NAT that is the private one.
    let client_own = if p.client_nat {
        CLIENT_PRIVATE_ADDR
    } else {
        CLIENT_ADDR
    };

    let control = w.connect(Connection {
        purpose: Purpose::Control,
        opener: Side::Client,
        from_addr: client_own.to_string(),
        from_port: CONTROL_CLIENT_PORT,
        to_addr: SERVER_ADDR.to_string(),
        to_port: CONTROL_PORT,
        blocked: false,
        reason: None,
        related: false,
    });
    let s = w.step("制御接続を開く", control_explain(p), Some(control));
    w.say(s, Side::Server, "220 FTP server ready");

    let outcome = match p.mode {
        Mode::Active => active(p, &mut w, client_own),
        Mode::Passive | Mode::Epsv => passive(p, &mut w, client_own),
    };
    FtpSession {
        mode: p.mode,
        client_nat: p.client_nat,
        client_fw: p.client_fw,
        server_fw: p.server_fw,
        connections: w.connections,
        transcript: w.transcript,
        steps: w.steps,
        outcome,
    }
}

/// Why the outbound control connection gets through whatever the settings.
fn control_explain(p: &Params) -> String {
    let client = if p.client_nat {
        format!("{CLIENT_PRIVATE_ADDR}")
    } else {
        format!("{CLIENT_ADDR}")
    };
    let mut text = format!(
        "クライアントが {client}:{CONTROL_CLIENT_PORT} からサーバー {SERVER_ADDR}:{CONTROL_PORT} へ TCP 接続を開きます（RFC 959 §8）。コマンドと応答はすべてこの制御接続を流れ、ファイルは別のデータ接続で運びます。外向きに開く接続なので、クライアント側の NAT やファイアウォールは通します。サーバーのファイアウォールも 21 番は開けています。"
    );
    if p.client_nat {
        text.push_str(&format!(
            "NAT が送信元を {CLIENT_PRIVATE_ADDR}:{CONTROL_CLIENT_PORT} から {CLIENT_ADDR}:{CONTROL_CLIENT_PORT} に書き換えて変換表に記録し、戻りのパケットを元に戻します。"
        ));
    }
    text.push_str(match p.client_fw {
        ClientFw::None => "",
        ClientFw::Stateless => "ステートレスなフィルタは流れを覚えないので、「外向きは許可、内向きは ACK ビットが立つものだけ許可」という規則で戻りのパケットを通しています。",
        ClientFw::Stateful | ClientFw::StatefulHelper => "ステートフルなフィルタはこの流れを状態表に記録し（NEW → ESTABLISHED）、戻りのパケットを通します。",
    });
    if p.client_fw == ClientFw::StatefulHelper {
        text.push_str("FTP ヘルパーは 21 番の制御接続を読み、PORT/PASV/EPRT/EPSV を見張ります（Linux 4.7 以降は ct helper set などで明示的に付ける）。");
    }
    text
}

/// PORT, RETR, then the server's inbound SYN; returns the outcome paragraph.
fn active(p: &Params, w: &mut Writer, client_own: Ipv4Addr) -> String {
    let helper = p.client_fw == ClientFw::StatefulHelper;
    let port_line = port_command(client_own, ACTIVE_DATA_PORT);
    let (p1, p2) = encode_port(ACTIVE_DATA_PORT);
    let mut explain = format!(
        "クライアントは {ACTIVE_DATA_PORT} 番で待ち受け、PORT でそのアドレスとポートを知らせます。h1〜h4 はアドレスの 4 つのオクテット、p1 = ⌊{ACTIVE_DATA_PORT}/256⌋ = {p1}、p2 = {ACTIVE_DATA_PORT} mod 256 = {p2}（{p1}×256 + {p2} = {ACTIVE_DATA_PORT}）。拡張版の EPRT（RFC 2428 §2）なら {} と書きます（IPv6 では |2|）。",
        eprt(IpAddr::V4(client_own), ACTIVE_DATA_PORT)
    );
    // Where the server will actually send its SYN.
    let target = if p.client_nat && helper {
        explain.push_str(&format!(
            "クライアントは自分のソケットのアドレス {CLIENT_PRIVATE_ADDR} を書きますが、NAT の FTP ヘルパー（nf_nat_ftp）がこの PORT を読んで {} に書き換え、{CLIENT_ADDR}:{ACTIVE_DATA_PORT} への接続を「予期された接続」として登録します。",
            port_command(CLIENT_ADDR, ACTIVE_DATA_PORT)
        ));
        CLIENT_ADDR
    } else if p.client_nat {
        explain.push_str(&format!(
            "クライアントは自分のソケットのアドレス {CLIENT_PRIVATE_ADDR} をそのまま書くので、PORT はインターネット上のサーバーからは届かないプライベートアドレスを知らせてしまいます。NAT は制御接続の中身までは書き換えません。多くのサーバーは、制御接続の相手（{CLIENT_ADDR}）と違うアドレスを書いた PORT をここで拒否します（vsftpd は既定の port_promiscuous=NO で 500 Illegal PORT command を返す; RFC 2577 §3）。それも NAT の内側でアクティブモードが失敗する理由の 1 つです。この図解は、PORT を受け付けて接続しにいくサーバーとして続けます。"
        ));
        CLIENT_PRIVATE_ADDR
    } else {
        if helper {
            explain.push_str(&format!(
                "FTP ヘルパーがこの PORT を読み、サーバーから {CLIENT_ADDR}:{ACTIVE_DATA_PORT} への接続を予期して登録します。"
            ));
        }
        CLIENT_ADDR
    };
    let s = w.step("PORT でデータ用の待ち受けを知らせる", explain, None);
    w.say(s, Side::Client, port_line);
    w.say(s, Side::Server, "200 PORT command successful.");

    let s = w.step(
        "RETR でファイルを要求する",
        format!(
            "RETR {FILE} でダウンロードを頼みます。サーバーは PORT で知らされたアドレスとポートへ、自分からデータ接続を開きにいきます。応答の順はサーバーによって違い、vsftpd は先に接続し、つながってから 150 を返します（RFC 959 §4.2 の 150 は「これからデータ接続を開く」）。"
        ),
        None,
    );
    w.say(s, Side::Client, format!("RETR {FILE}"));

    let reason = active_block_reason(p);
    let blocked = reason.is_some();
    let related = helper && !blocked;
    let data = w.connect(Connection {
        purpose: Purpose::Data,
        opener: Side::Server,
        from_addr: SERVER_ADDR.to_string(),
        from_port: ACTIVE_SERVER_PORT,
        to_addr: target.to_string(),
        to_port: ACTIVE_DATA_PORT,
        blocked,
        reason: reason.clone(),
        related,
    });
    let mut explain = format!(
        "アクティブモードではサーバーが {SERVER_ADDR}:{ACTIVE_SERVER_PORT} から {target}:{ACTIVE_DATA_PORT} へ SYN を送ります。送信元の 20 番（制御ポート 21 の 1 つ下, RFC 959 §3.2）が出てくるのはこの場面だけです。クライアントから見るとこれは外から入ってくる新しい接続になります。"
    );
    if p.server_fw == ServerFw::Only21 {
        explain.push_str("サーバーのファイアウォールは外向きの接続を止めないので、21 番しか開けていなくても SYN は出ていきます。");
    }
    match &reason {
        Some(r) => {
            explain.push_str(&format!("この SYN は通らない: {r}"));
        }
        None if p.client_nat => {
            explain.push_str(&format!(
                "NAT は予期された接続として {CLIENT_ADDR}:{ACTIVE_DATA_PORT} 宛ての SYN を {CLIENT_PRIVATE_ADDR}:{ACTIVE_DATA_PORT} に転送し、conntrack はこれを RELATED として通します。"
            ));
        }
        None if helper => {
            explain.push_str("ヘルパーが PORT から予期していた接続なので、conntrack はこれを RELATED として通します。");
        }
        None => {
            explain.push_str("クライアントの前にフィルタが無いので、SYN はそのまま待ち受けているソケットに届きます。");
        }
    }
    if !blocked {
        explain.push_str("接続できたので、サーバーは 150 を返して送り始めます（vsftpd の順）。");
    }
    let s = w.step("サーバーがデータ接続を開く", explain, Some(data));
    if !blocked {
        w.say(
            s,
            Side::Server,
            format!("150 Opening BINARY mode data connection for {FILE}."),
        );
    }

    match reason {
        Some(r) => {
            let s = w.step(
                "データ接続が開けない",
                "サーバーの SYN は再送を繰り返しても届かず、サーバーは接続をあきらめます。vsftpd は接続できなかったときは 150 を送らず、RETR への応答は 425 だけになります。クライアントはそれまで RETR の応答を待たされます。"
                    .to_owned(),
                Some(data),
            );
            w.say(s, Side::Server, "425 Can't open data connection.");
            format!(
                "失敗: サーバーからの着信 SYN が届きません。{r}対策はパッシブモード（PASV/EPSV）に切り替えるか、PORT を読んで穴を開ける FTP ヘルパー（conntrack helper / ALG）を使うことです。"
            )
        }
        None => {
            let s = w.step(
                "転送完了",
                "ファイルがデータ接続を流れ、送り終えたサーバーがデータ接続を閉じて 226 を返します。ふつう使われるストリームモードでは、接続を閉じることがファイルの終わりの印なので（RFC 959 §3.4.1）、次の転送ではまた新しいデータ接続を開きます（ブロックモードなら開いたまま使える）。"
                    .to_owned(),
                Some(data),
            );
            w.say(s, Side::Server, "226 Transfer complete.");
            let how = if related {
                "FTP ヘルパーが PORT を読んで予期していたので、conntrack が RELATED として通しました。"
            } else {
                "クライアントの前に着信を止めるものがありませんでした。"
            };
            format!(
                "成功: サーバーが {SERVER_ADDR}:{ACTIVE_SERVER_PORT} から {target}:{ACTIVE_DATA_PORT} へデータ接続を開き、226 で転送が完了しました。{how}"
            )
        }
    }
}

/// Why the server's inbound data SYN is dropped in active mode, or `None` when it arrives.
fn active_block_reason(p: &Params) -> Option<String> {
    if p.client_fw == ClientFw::StatefulHelper {
        return None;
    }
    let mut reasons = Vec::new();
    if p.client_nat {
        reasons.push(format!(
            "PORT が知らせたのはプライベートアドレス {CLIENT_PRIVATE_ADDR} で、インターネット上のサーバーからは届きません。仮に NAT の公開アドレス {CLIENT_ADDR} に送っても、外から入ってくる SYN に対応する変換表のエントリが無いので転送先が決まりません。"
        ));
    }
    match p.client_fw {
        ClientFw::Stateless => reasons.push(format!(
            "ステートレスなフィルタは ACK ビットの無い着信 SYN（外からの新しい接続）を {ACTIVE_DATA_PORT} 番へ通しません。"
        )),
        ClientFw::Stateful => reasons.push(
            "ステートフルなフィルタの状態表に、この着信 SYN に一致する流れがありません（FTP ヘルパーが無いので PORT の中身を知らず、NEW の着信として捨てる）。"
                .to_owned(),
        ),
        ClientFw::None | ClientFw::StatefulHelper => {}
    }
    if reasons.is_empty() {
        None
    } else {
        Some(reasons.join(""))
    }
}

/// PASV or EPSV, the client's outbound data SYN, then RETR; returns the outcome paragraph.
fn passive(p: &Params, w: &mut Writer, client_own: Ipv4Addr) -> String {
    let helper = p.client_fw == ClientFw::StatefulHelper;
    let (p1, p2) = encode_port(PASSIVE_PORT);
    if p.mode == Mode::Epsv {
        let s = w.step(
            "EPSV でサーバーの待ち受けポートを聞く",
            format!(
                "サーバーは {PASSIVE_PORT} 番で待ち受け、229 でポートだけを返します（RFC 2428 §3）。アドレスは返さず、クライアントは制御接続と同じ相手 {SERVER_ADDR} につなぎます。だからサーバーが NAT の内側にいても返答のアドレスを書き換える必要が無く、IPv6 でもそのまま使えます。"
            ),
            None,
        );
        w.say(s, Side::Client, "EPSV");
        w.say(s, Side::Server, epsv_reply(PASSIVE_PORT));
    } else {
        let s = w.step(
            "PASV でサーバーの待ち受けポートを聞く",
            format!(
                "サーバーは {PASSIVE_PORT} 番で待ち受け、227 でアドレスとポートを返します。h1〜h4 = {}、p1,p2 = {p1},{p2} なのでポートは {p1}×256 + {p2} = {PASSIVE_PORT}。サーバーが NAT の内側にいるなら、ここには公開アドレスを書かなければなりません（EPSV ならアドレス自体を書かない）。",
                SERVER_ADDR.to_string().replace('.', ",")
            ),
            None,
        );
        w.say(s, Side::Client, "PASV");
        w.say(s, Side::Server, pasv_reply(SERVER_ADDR, PASSIVE_PORT));
    }

    let reason = (p.server_fw == ServerFw::Only21).then(|| {
        format!(
            "サーバーのファイアウォールは 21 番しか開けておらず、パッシブ用ポート {PASSIVE_PORT} への SYN を黙って捨てます。"
        )
    });
    let blocked = reason.is_some();
    // The helper parses 227/229 too and marks the outbound data flow RELATED (facts.md §9).
    let related = helper && !blocked;
    let data = w.connect(Connection {
        purpose: Purpose::Data,
        opener: Side::Client,
        from_addr: client_own.to_string(),
        from_port: PASSIVE_CLIENT_PORT,
        to_addr: SERVER_ADDR.to_string(),
        to_port: PASSIVE_PORT,
        blocked,
        reason: reason.clone(),
        related,
    });
    let mut explain = format!(
        "クライアントが自分から {client_own}:{PASSIVE_CLIENT_PORT}（一時ポート）→ {SERVER_ADDR}:{PASSIVE_PORT} の接続を開きます。2 本とも外向きなので、クライアント側の NAT やファイアウォールには制御接続と同じに見えます。"
    );
    if p.client_nat {
        explain.push_str(&format!(
            "NAT は送信元を {CLIENT_ADDR} に書き換えて変換表に記録します。"
        ));
    }
    explain.push_str(match p.client_fw {
        ClientFw::None => "",
        ClientFw::Stateless => "ステートレスなフィルタは外向きの SYN を通し、戻りのパケットは ACK ビットが立っているので「ACK 付きの着信は許可」の規則で通ります。",
        ClientFw::Stateful => "ステートフルなフィルタは外向きの新しい流れとして記録し、戻りを ESTABLISHED として通します。",
        ClientFw::StatefulHelper => "FTP ヘルパーは 227/229 も読むので、この接続を RELATED として記録します。",
    });
    match &reason {
        Some(r) => explain.push_str(&format!("ただし、この SYN はサーバー側で止まります: {r}")),
        None => explain.push_str(&format!(
            "サーバーのファイアウォールはパッシブ用ポート範囲を開けているので、{PASSIVE_PORT} 番に届きます。パッシブモードの代償は、サーバー側がこの範囲を開けておかなければならないことです。"
        )),
    }
    w.step("クライアントがデータ接続を開く", explain, Some(data));

    match reason {
        Some(r) => {
            w.step(
                "データ接続がタイムアウトする",
                "捨てられた SYN には何の応答も来ないので、クライアントの connect() は SYN の再送を繰り返し、最後に ETIMEDOUT で失敗します。RETR を送る前にここで止まるので、やりとりは 227/229 で途切れます。"
                    .to_owned(),
                Some(data),
            );
            format!(
                "失敗: クライアントのデータ接続が届きません。{r}クライアントは応答の無い connect() で待たされ、タイムアウトします。対策はサーバーのファイアウォールでパッシブ用ポート範囲を開けることです（またはサーバー側の FTP ヘルパーに 227/229 を読ませること）。"
            )
        }
        None => {
            let s = w.step(
                "RETR でファイルを要求する",
                format!(
                    "データ接続ができたので RETR {FILE} を送ります。接続はもう開いているので、RFC 959 §4.2 どおりなら応答は 125（Data connection already open; transfer starting）ですが、vsftpd をはじめ多くのサーバーは 150 を返します。サーバーはすでに開いているデータ接続でファイルを送ります。"
                ),
                None,
            );
            w.say(s, Side::Client, format!("RETR {FILE}"));
            w.say(
                s,
                Side::Server,
                format!("150 Opening BINARY mode data connection for {FILE}."),
            );
            let s = w.step(
                "転送完了",
                "送り終えたサーバーがデータ接続を閉じて 226 を返します。ストリームモードでは接続を閉じることがファイルの終わりの印なので（RFC 959 §3.4.1）、次の転送ではまた新しいデータ接続を開きます。".to_owned(),
                Some(data),
            );
            w.say(s, Side::Server, "226 Transfer complete.");
            let cmd = if p.mode == Mode::Epsv {
                "EPSV では PASV と同じく"
            } else {
                "PASV では"
            };
            format!(
                "成功: {cmd}クライアントが外向きに {SERVER_ADDR}:{PASSIVE_PORT} へデータ接続を開くので、クライアント側の NAT やファイアウォールに関係なく通ります（ファイアウォール越しには PASV を使うよう RFC 1579 が勧めている）。サーバー側ではパッシブ用ポート範囲が開いている必要があります。"
            )
        }
    }
}
