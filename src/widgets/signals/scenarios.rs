//! The stories: a shell with a foreground pipeline (one process group) and a background job, and what
//! Ctrl-C, Ctrl-Z, Ctrl-\, `kill`, `kill -9`, `kill -STOP` and `kill -CONT` do to each process.

use super::engine::{SHELL, World, proc, shell};
use super::model::{Proc, Sig, Signals, table};
use super::{Handler, Params, Scenario};

/// The pipeline `cat app.log | grep Error`: its process group is cat's PID.
pub const CAT: u32 = 201;
/// grep, the pipeline's program under test in the keyboard scenarios.
pub const GREP: u32 = 202;
/// The background server, the program under test in the kill scenarios.
pub const SERVER: u32 = 301;
/// A second background job, in the kill scenarios.
pub const SLEEP: u32 = 401;

const KEYBOARD: &str = "termios(3), signal(7)";
const KILL: &str = "kill(1), kill(2), credentials(7), signal(7)";

/// Gives `p` the disposition `h` for `sig`.
fn dispose(p: &mut Proc, h: Handler, sig: Sig) {
    match h {
        Handler::Default => {}
        Handler::Catch => p.caught.push(sig),
        Handler::Ignore => p.ignored.push(sig),
        Handler::Block => p.blocked.push(sig),
    }
}

fn keyboard_world(h: Handler) -> World {
    let mut grep = proc(GREP, CAT, "grep", "フォアグラウンドのジョブ [1]");
    dispose(&mut grep, h, Sig::Int);
    World::new(
        vec![
            shell(),
            proc(CAT, CAT, "cat", "フォアグラウンドのジョブ [1]"),
            grep,
            proc(SERVER, SERVER, "server", "バックグラウンドのジョブ [2]"),
        ],
        CAT,
    )
}

fn kill_world(h: Handler) -> World {
    let mut server = proc(SERVER, SERVER, "server", "バックグラウンドのジョブ [1]");
    dispose(&mut server, h, Sig::Term);
    World::new(
        vec![
            shell(),
            server,
            proc(SLEEP, SLEEP, "sleep", "バックグラウンドのジョブ [2]"),
        ],
        SHELL,
    )
}

/// The keyboard's signal goes to the whole foreground group, not to bash or the background.
fn keyboard(w: &mut World, key: &str, sig: Sig) {
    let fg = w.foreground();
    let targets = w.group(fg);
    let names: Vec<String> = targets
        .iter()
        .filter_map(|p| w.get(*p).map(|p| p.comm.clone()))
        .collect();
    let intro = format!(
        "端末ドライバは {key} を {}（x86 では {} 番）にして、端末のフォアグラウンドのプロセスグループ {fg}（{}）の全員に送ります。ほかのグループ（{}）には届きません。",
        sig.name(),
        sig.x86(),
        names.join(" と "),
        if fg == SHELL {
            "バックグラウンドのジョブ"
        } else {
            "bash とバックグラウンドのジョブ"
        }
    );
    w.signal(
        &format!("{key} を押す"),
        sig,
        "端末ドライバ",
        &targets,
        &intro,
        KEYBOARD,
    );
}

/// Runs the scenario in `p`.
pub fn simulate(p: &Params) -> Signals {
    let h = p.handler;
    let (mut w, program, handler_signal) = match p.scenario {
        Scenario::CtrlC | Scenario::CtrlZ | Scenario::CtrlBackslash => {
            (keyboard_world(h), GREP, Sig::Int)
        }
        Scenario::Kill | Scenario::StopCont => (kill_world(h), SERVER, Sig::Term),
    };
    let initial = w.procs().to_vec();
    let initial_foreground = w.foreground();
    match p.scenario {
        Scenario::CtrlC => {
            keyboard(&mut w, "Ctrl-C", Sig::Int);
            w.sigchld();
            if w.alive(GREP) {
                if h == Handler::Block {
                    w.unblock(GREP, Sig::Int);
                } else {
                    w.exit(
                        GREP,
                        "cat が終わってパイプの書き込み側を開いているプロセスがなくなったので、grep は EOF を読み、自分で終了します。",
                        "pipe(7), _exit(2)",
                    );
                }
                w.sigchld();
            }
        }
        Scenario::CtrlZ => {
            keyboard(&mut w, "Ctrl-Z", Sig::Tstp);
            w.sigchld();
            let job = w.group(CAT);
            w.signal(
                "bg と入力する",
                Sig::Cont,
                "bash（bg 組み込みコマンド）",
                &job,
                "bash の bg は、止まっているジョブのプロセスグループに SIGCONT（x86 では 18 番）を送り、バックグラウンドで再開させます。端末のフォアグラウンドは bash のままです。",
                "bash(1), signal(7)",
            );
            keyboard(&mut w, "Ctrl-C", Sig::Int);
        }
        Scenario::CtrlBackslash => {
            keyboard(&mut w, "Ctrl-\\", Sig::Quit);
            w.sigchld();
        }
        Scenario::Kill => {
            w.signal(
                "kill 301 と入力する",
                Sig::Term,
                "bash（kill 組み込みコマンド）",
                &[SERVER],
                "kill はシグナルを指定しないと SIGTERM（15 番）を、指定した PID のプロセスだけに送ります。同じユーザーのプロセスなので送る権限があります。",
                KILL,
            );
            if w.alive(SERVER) {
                if h == Handler::Block {
                    w.unblock(SERVER, Sig::Term);
                } else {
                    w.signal(
                        "kill -9 301 と入力する",
                        Sig::Kill,
                        "bash（kill 組み込みコマンド）",
                        &[SERVER],
                        "kill -9 は SIGKILL（9 番）を送ります。",
                        KILL,
                    );
                }
            }
            w.sigchld();
        }
        Scenario::StopCont => {
            w.signal(
                "kill -STOP 301 と入力する",
                Sig::Stop,
                "bash（kill 組み込みコマンド）",
                &[SERVER],
                "kill -STOP は SIGSTOP（x86 では 19 番）を送ります。server が SIGTERM をどう扱っていても、SIGSTOP には関係ありません。",
                KILL,
            );
            w.sigchld();
            w.signal(
                "kill -CONT 301 と入力する",
                Sig::Cont,
                "bash（kill 組み込みコマンド）",
                &[SERVER],
                "kill -CONT は SIGCONT（x86 では 18 番）を送ります。",
                KILL,
            );
        }
    }
    Signals {
        scenario: p.scenario,
        handler: h,
        program,
        handler_signal,
        initial,
        initial_foreground,
        steps: w.into_steps(),
        table: table(),
    }
}
