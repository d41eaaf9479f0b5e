//! Quiz questions on reading connection tracking: numbers drawn from a seed, answers read off the
//! model's runs (its `conntrack -L` lines and its ftp helper).

use super::engine::{Tracker, Wire};
use super::model::{Dir, Proto};
use super::scenarios::{CLIENT, DNS, SERVER};
use super::{Params, Scenario, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "conntrack-reply-dport",
        make: reply_dport,
    },
    QuestionGenerator {
        id: "conntrack-expect-port",
        make: expect_port,
    },
    QuestionGenerator {
        id: "conntrack-handshake-timeout",
        make: handshake_timeout,
    },
    QuestionGenerator {
        id: "conntrack-entries-left",
        make: entries_left,
    },
];

/// The `dport=` of a tuple in a `conntrack -L` line: the first (original) or second (reply).
fn dport(line: &str, nth: usize) -> u64 {
    line.split_whitespace()
        .filter_map(|w| w.strip_prefix("dport="))
        .nth(nth)
        .and_then(|p| p.parse().ok())
        .unwrap_or_default()
}

/// "A DNS query left from source port P: what is the reply tuple's dport in conntrack -L?" — P.
fn reply_dport(seed: u64) -> GeneratedQuestion {
    let port = 32768 + u16::try_from(Rng::new(seed).below(28232)).unwrap_or(0);
    let mut t = Tracker::new(true, false);
    let query = Wire {
        dir: Dir::Out,
        proto: Proto::Udp,
        src: CLIENT,
        sport: port,
        dst: DNS,
        dport: 53,
        syn: false,
        ack: false,
        data: false,
        pasv: None,
        inner: None,
    };
    t.packet(&query);
    let line = t.lines().first().cloned().unwrap_or_default();
    let answer = dport(&line, 1);
    GeneratedQuestion {
        prompt: format!(
            "クライアント 192.168.1.10 が送信元ポート {port} から DNS サーバー 203.0.113.53 の 53 番へ UDP で問い合わせました。conntrack -L の行の 2 つ目（応答の向き）の組で、dport= はいくつになっていますか？"
        ),
        answer,
        values: vec![
            ("port", port.to_string()),
            ("line", line),
            ("answer", answer.to_string()),
        ],
    }
}

/// "The ftp helper read 227 (…,p1,p2): which port does the expectation wait on?" — p1×256+p2.
fn expect_port(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let port = 1024 + u16::try_from(rng.below(65535 - 1024)).unwrap_or(0);
    let (p1, p2) = (port / 256, port % 256);
    let mut t = Tracker::new(true, true);
    let control = |dir, src, dst, syn, ack| Wire {
        dir,
        proto: Proto::Tcp,
        src: if dir == Dir::Out { CLIENT } else { SERVER },
        sport: src,
        dst: if dir == Dir::Out { SERVER } else { CLIENT },
        dport: dst,
        syn,
        ack,
        data: false,
        pasv: None,
        inner: None,
    };
    t.packet(&control(Dir::Out, 50123, 21, true, false));
    t.packet(&control(Dir::In, 21, 50123, true, true));
    t.packet(&Wire {
        pasv: Some((SERVER, port)),
        ..control(Dir::In, 21, 50123, false, true)
    });
    let line = t.expect_lines().first().cloned().unwrap_or_default();
    let answer = dport(&line, 0);
    GeneratedQuestion {
        prompt: format!(
            "FTP ヘルパーを割り当てた制御接続で、サーバーが「227 Entering Passive Mode (198,51,100,7,{p1},{p2})」と答えました。conntrack -L expect に現れる期待（expectation）は、どの宛先ポートへの接続を待ちますか？"
        ),
        answer,
        values: vec![
            ("p1", p1.to_string()),
            ("p2", p2.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// "After packet k of the HTTPS handshake, what timeout does conntrack -L show (just refreshed)?"
fn handshake_timeout(seed: u64) -> GeneratedQuestion {
    let k = 1 + Rng::new(seed).below(3) as usize;
    let run = simulate(&Params {
        scenario: Scenario::Https,
        loose: true,
    });
    let line = run
        .steps
        .get(k - 1)
        .and_then(|s| s.table.first())
        .cloned()
        .unwrap_or_default();
    let answer: u64 = line
        .split_whitespace()
        .nth(2)
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    let packet = [
        "SYN",
        "SYN,ACK",
        "ハンドシェイクを終える ACK（TLS の ClientHello を載せたもの）",
    ][k - 1];
    GeneratedQuestion {
        prompt: format!(
            "Linux の既定の設定で、クライアントが HTTPS の接続を始めました。ファイアウォールが {packet} を通した直後、conntrack -L のその行の 3 列目（残りのタイムアウト、秒）はいくつですか？（設定値そのままとします）"
        ),
        answer,
        values: vec![
            ("packet", packet.to_owned()),
            ("line", line),
            ("answer", answer.to_string()),
        ],
    }
}

/// "These flows went through the stateful filter: how many lines does conntrack -L show?"
fn entries_left(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    // Two to four different scenarios, each on its own (their entries do not interact).
    let mut pool: Vec<Scenario> = Scenario::ALL.to_vec();
    let n = 2 + rng.below(3) as usize;
    let mut picked = Vec::new();
    for _ in 0..n {
        let i = rng.below(pool.len() as u64) as usize;
        picked.push(pool.remove(i));
    }
    picked.sort_by_key(|s| Scenario::ALL.iter().position(|x| x == s));
    let answer: usize = picked
        .iter()
        .map(|&scenario| {
            simulate(&Params {
                scenario,
                loose: true,
            })
            .steps
            .last()
            .map_or(0, |s| s.table.len())
        })
        .sum();
    let names: Vec<&str> = picked.iter().map(|s| s.label()).collect();
    GeneratedQuestion {
        prompt: format!(
            "空の conntrack の表から始めて、ステートフルなファイアウォール（established,related を通し、内から外への 21・443 番の TCP と 53 番の UDP の NEW を通す）を次の通信が通りました: {}。すべて終わった直後（タイムアウト前）、conntrack -L は何行を表示しますか？",
            names.join("、")
        ),
        answer: answer as u64,
        values: vec![("flows", names.join("、")), ("answer", answer.to_string())],
    }
}
