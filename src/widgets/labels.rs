//! Stored widget answers in words, for the instructor's question analysis: a `widget_answer` row
//! names its widget, scenario, step and field by their wire names, and these say them in Japanese.
//!
//! Each function looks the widget up in the [`registry`](super::registry()) and asks it; a name the
//! registry does not know (a widget removed since the answer was stored) is shown as it is, so an
//! old row never breaks the page.

use super::{find, registry};

/// The widget's short name (「TCP ハンドシェイク」), or `widget` itself for an unknown one.
pub fn widget_label(widget: &str) -> String {
    find(widget).map_or_else(|| widget.to_owned(), |w| w.short_label().to_owned())
}

/// The scenario in Japanese (「通常の接続とデータ送信」), or `scenario` itself when the widget or the
/// scenario is unknown.
pub fn scenario_label(widget: &str, scenario: &str) -> String {
    find(widget).map_or_else(|| scenario.to_owned(), |w| w.scenario_label(scenario))
}

/// The step as the widget shows it — its number and what happens, from the model's default run
/// (「2. サーバーが SYN,ACK を返す（…）」) — or 「ステップ N」 when nothing better is known.
pub fn step_label(widget: &str, scenario: &str, step: i64) -> String {
    match find(widget) {
        Some(w) => w.step_label(scenario, step),
        None => super::numbered_step(step, None),
    }
}

/// What was predicted, in Japanese (「ack 番号」). Asked of `widget` first, then of every widget,
/// since a field name means the same wherever it is used; an unknown field is shown as it is.
pub fn field_label(widget: &str, field: &str) -> String {
    find(widget)
        .and_then(|w| w.field_label(field))
        .or_else(|| registry().iter().find_map(|w| w.field_label(field)))
        .map_or_else(|| field.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected strings are what `web/analysis.rs` printed before the registry existed: the
    // instructor's tables read the same after the switch.

    #[test]
    fn widgets_have_short_names() {
        assert_eq!(widget_label("handshake"), "TCP ハンドシェイク");
        assert_eq!(widget_label("forktree"), "プロセスツリー");
        assert_eq!(widget_label("ftp"), "FTP");
        assert_eq!(widget_label("gone"), "gone");
    }

    #[test]
    fn scenarios_read_in_japanese() {
        assert_eq!(
            scenario_label("handshake", "normal"),
            "通常の接続とデータ送信"
        );
        assert_eq!(scenario_label("handshake", "lost-syn"), "SYN が失われる");
        assert_eq!(
            scenario_label("forktree", "fork-loop"),
            "ループの中の fork()"
        );
        assert_eq!(
            scenario_label("forktree", "random"),
            "ランダムな fork と exit"
        );
        assert_eq!(scenario_label("ftp", "passive"), "パッシブモード（PASV）");
        assert_eq!(
            scenario_label("ftp", "active+nat"),
            "アクティブモード（PORT）・クライアントが NAT の内側"
        );
        assert_eq!(
            scenario_label("ftp", "passive+stateful+only21"),
            "パッシブモード（PASV）・クライアント側 FW: ステートフル（conntrack）・サーバー側 FW: 21 番だけ開ける"
        );
        // Unknown scenarios, non-canonical FTP names and unknown widgets stay as stored.
        assert_eq!(scenario_label("handshake", "nope"), "nope");
        assert_eq!(scenario_label("ftp", "nat+active"), "nat+active");
        assert_eq!(scenario_label("ftp", "active+none"), "active+none");
        assert_eq!(scenario_label("gone", "normal"), "normal");
    }

    #[test]
    fn handshake_steps_are_the_default_runs_notes() {
        assert_eq!(
            step_label("handshake", "normal", 1),
            "2. サーバーが SYN,ACK を返す（seq=2718281828, ack=3141592654）"
        );
        assert_eq!(
            step_label("handshake", "normal", 0),
            "1. クライアントが SYN を送る（seq=3141592653）"
        );
        assert_eq!(step_label("handshake", "normal", 99), "ステップ 100");
        assert_eq!(step_label("handshake", "normal", -1), "ステップ 0");
        assert_eq!(step_label("handshake", "nope", 1), "ステップ 2");
    }

    #[test]
    fn fork_tree_steps_say_after_what() {
        assert_eq!(step_label("forktree", "bash-ls", -1), "最終的なツリー");
        assert_eq!(step_label("forktree", "random", -1), "最終的なツリー");
        let first = step_label("forktree", "fork-loop", 0);
        assert!(
            first.starts_with("1. ") && first.ends_with(" の後") && first.contains("fork()"),
            "{first}"
        );
        // A random tree depends on its seed, which is not stored: no description.
        assert_eq!(step_label("forktree", "random", 2), "手順 3 の後");
        assert_eq!(step_label("forktree", "bash-ls", 99), "手順 100 の後");
        assert_eq!(step_label("forktree", "nope", 0), "手順 1 の後");
    }

    #[test]
    fn ftp_steps_are_the_setups_titles() {
        let data = step_label("ftp", "active+nat", 3);
        assert!(data.starts_with("4. "), "{data}");
        assert_eq!(step_label("ftp", "active", 0), "1. 制御接続を開く");
        assert_eq!(step_label("ftp", "active", 99), "ステップ 100");
        assert_eq!(step_label("ftp", "sideways", 0), "ステップ 1");
        assert_eq!(step_label("gone", "x", 4), "ステップ 5");
    }

    #[test]
    fn fields_read_in_japanese_whichever_widget_asks() {
        for (widget, field, label) in [
            ("handshake", "seq", "seq 番号"),
            ("handshake", "ack", "ack 番号"),
            ("handshake", "client_state", "クライアントの状態"),
            ("handshake", "server_state", "サーバーの状態"),
            ("forktree", "tree", "プロセスツリー"),
            ("ftp", "data", "データ接続（開く側・宛先ポート・届くか）"),
            // The old function ignored the widget; so does the fallback.
            ("ftp", "ack", "ack 番号"),
            ("gone", "tree", "プロセスツリー"),
            ("handshake", "nope", "nope"),
        ] {
            assert_eq!(field_label(widget, field), label, "{widget} {field}");
        }
    }
}
