//! The FTP widget's downloads against vsftpd, captured on the client's side: the commands the model
//! sends and the reply codes it expects to each (the greeting, PORT/PASV/EPSV, RETR), who opens the
//! data connection, from which port (20 in active mode) to the port the PORT/227/229 line announced,
//! and whether it got through.
//!
//! Addresses and the numbers of ephemeral ports differ between the model's example and the lab, so
//! roles and relations are compared, not the literal numbers. Logging in (USER/PASS), TYPE I and QUIT,
//! which the model leaves out, are skipped.

use super::Comparison;
use crate::captures::decode::{Kind, Packet};
use crate::widgets::ftp::{self, ACTIVE_SERVER_PORT, Mode, Params, Side};

/// The commands the model's transcript shows; the others a real client sends are skipped.
const MODEL_COMMANDS: [&str; 4] = ["PORT", "PASV", "EPSV", "RETR"];

/// One exchange of the control connection: a command (or the greeting, `""`) and the reply codes it got.
type Exchange = (String, Vec<String>);

/// Compares a capture of one download with the model's run for `p`.
pub fn compare(p: &Params, packets: &[Packet]) -> Comparison {
    let model = ftp::simulate(p);
    let mut cmp = Comparison::default();

    // The model's transcript as exchanges.
    let mut expected: Vec<Exchange> = vec![(String::new(), Vec::new())];
    for line in &model.transcript {
        match line.from {
            Side::Client => expected.push((first_word(&line.text), Vec::new())),
            Side::Server => {
                let code = line.text.chars().take(3).collect();
                // `expected` starts with the greeting's exchange, so there is always a last one.
                if let Some((_, codes)) = expected.last_mut() {
                    codes.push(code);
                }
            }
        }
    }

    let lines = control_lines(packets);
    let mut actual: Vec<Exchange> = vec![(String::new(), Vec::new())];
    let mut keep = true;
    let mut announced_port = None;
    for (from_client, text) in &lines {
        if *from_client {
            let command = first_word(text);
            keep = MODEL_COMMANDS.contains(&command.as_str());
            if keep {
                if command == "PORT" {
                    announced_port = port_of_port_command(text);
                }
                actual.push((command, Vec::new()));
            }
        } else if keep {
            let code: String = text.chars().take(3).collect();
            if code.starts_with("227") {
                announced_port = port_of_227(text);
            } else if code.starts_with("229") {
                announced_port = port_of_229(text);
            }
            if let Some((_, codes)) = actual.last_mut() {
                codes.push(code);
            }
        }
    }
    cmp.check(actual.len() == expected.len(), || {
        format!(
            "制御接続のコマンド数: モデル {:?}、実際 {:?}",
            expected.iter().map(|e| &e.0).collect::<Vec<_>>(),
            actual.iter().map(|e| &e.0).collect::<Vec<_>>()
        )
    });
    for (e, a) in expected.iter().zip(&actual) {
        let name = if e.0.is_empty() {
            "接続直後"
        } else {
            e.0.as_str()
        };
        cmp.check(e.0 == a.0, || {
            format!("コマンドの順: モデルは {}、実際は {}", e.0, a.0)
        });
        cmp.check(e.1 == a.1, || {
            format!(
                "{name} への応答コード: モデルは {:?}、実際は {:?}",
                e.1, a.1
            )
        });
    }

    // The data connection: every TCP connection that is not the control one.
    let Some(model_data) = model
        .connections
        .iter()
        .find(|c| c.purpose == ftp::Purpose::Data)
    else {
        cmp.check(false, || "モデルにデータ接続がありません".to_owned());
        return cmp;
    };
    let data_syn = packets.iter().find_map(|p| match &p.kind {
        Kind::Tcp(t) if t.syn && !t.ack_flag && t.sport != 21 && t.dport != 21 => Some((p, t)),
        _ => None,
    });
    let established = packets.iter().any(|p| match &p.kind {
        Kind::Tcp(t) => t.syn && t.ack_flag && t.sport != 21 && t.dport != 21,
        _ => false,
    });
    cmp.check(established != model_data.blocked, || {
        if model_data.blocked {
            "モデルではデータ接続が通らないのに、実際はつながりました".to_owned()
        } else {
            "モデルではデータ接続が通るのに、実際はつながりませんでした".to_owned()
        }
    });
    if let Some((p, t)) = data_syn {
        // The capture is on the client's side, so the side is told by the client's own address.
        let opener = if p.src.to_string().starts_with("192.0.2.") {
            Side::Client
        } else {
            Side::Server
        };
        cmp.check(opener == model_data.opener, || {
            format!(
                "データ接続を開く側: モデルは {:?}、実際は {opener:?}",
                model_data.opener
            )
        });
        if model.mode == Mode::Active {
            cmp.check(t.sport == ACTIVE_SERVER_PORT, || {
                format!(
                    "アクティブモードのデータ接続の送信元ポートが 20 ではなく {}",
                    t.sport
                )
            });
        }
        cmp.check(announced_port == Some(t.dport), || {
            format!(
                "データ接続の宛先ポート {} が、PORT/227/229 で知らせたポート {:?} と違います",
                t.dport, announced_port
            )
        });
    } else if !model_data.blocked || model.mode != Mode::Active {
        // A blocked active SYN dies before the client's interface; anything else must be seen.
        cmp.check(false, || {
            "データ接続の SYN がキャプチャにありません".to_owned()
        });
    }
    cmp
}

/// The control connection's lines in order: (sent by the client, text). A retransmitted segment
/// (the same sender and sequence number again: the lab once saw a 226 resent after 5 ms) is one reply.
fn control_lines(packets: &[Packet]) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in packets {
        if let Kind::Tcp(t) = &p.kind
            && (t.sport == 21 || t.dport == 21)
            && !t.payload.is_empty()
            && seen.insert((p.src, t.sport, t.seq))
        {
            let text = String::from_utf8_lossy(&t.payload);
            for line in text.lines() {
                // A multi-line reply's continuation lines ("230-…") are one reply.
                if t.dport != 21 && line.len() > 3 && line.as_bytes()[3] == b'-' {
                    continue;
                }
                out.push((t.dport == 21, line.trim_end().to_owned()));
            }
        }
    }
    out
}

fn first_word(text: &str) -> String {
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// The port of `PORT h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2).
fn port_of_port_command(text: &str) -> Option<u16> {
    let args: Vec<u16> = text
        .split_whitespace()
        .nth(1)?
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect::<Option<_>>()?;
    (args.len() == 6).then(|| args[4] * 256 + args[5])
}

/// The port of `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
fn port_of_227(text: &str) -> Option<u16> {
    let inner = text.split('(').nth(1)?.split(')').next()?;
    port_of_port_command(&format!("PORT {inner}"))
}

/// The port of `229 Entering Extended Passive Mode (|||port|)` (RFC 2428 §3).
fn port_of_229(text: &str) -> Option<u16> {
    text.split("|||").nth(1)?.split('|').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_ports_are_read_as_rfc_959_and_2428_write_them() {
        assert_eq!(port_of_port_command("PORT 192,0,2,2,195,80"), Some(50000));
        assert_eq!(
            port_of_227("227 Entering Passive Mode (198,51,100,2,195,81)."),
            Some(50001)
        );
        assert_eq!(
            port_of_229("229 Entering Extended Passive Mode (|||50002|)"),
            Some(50002)
        );
        assert_eq!(port_of_port_command("PORT 1,2,3"), None);
        assert_eq!(port_of_229("229 nonsense"), None);
    }
}
