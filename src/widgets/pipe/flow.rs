//! The data phase of the pipe's stories: cat writes into the 64 KiB pipe until it blocks or
//! finishes, grep reads what there is, until EOF, SIGPIPE or a hang; then the shell reaps what ended
//! and reports `$?` (bash(1) "Pipelines").
//!
//! Both children run at once; which one moves first is up to the scheduler. The model fixes one
//! order — cat writes until it blocks or finishes, then grep reads everything there is — and says
//! so in the text.

use super::model::*;
use super::scenarios::{Say, Sim, bytes};
use super::{Params, Scenario};

/// How the data phase ended.
pub(super) struct End {
    outcome: Outcome,
    blocks: u64,
}

/// Full write-block-read rounds after the first, folded into one step.
struct Repeat {
    rounds: u64,
}

/// The data phase: cat writes until it blocks or finishes, grep reads what there is; until both end
/// or one of them waits forever.
pub(super) fn flow(sim: &mut Sim, p: &Params) -> End {
    let early = p.scenario.grep_quits_early() && p.matches && p.size > 0;
    let mut remaining = p.size;
    let mut blocks = 0u64;
    let mut full_rounds = 0u64;
    let mut repeat = Repeat { rounds: 0 };
    // Every turn moves cat or grep on, so a log of SIZE_MAX bytes ends within this many turns.
    for _ in 0..=(super::SIZE_MAX / CAPACITY + 4) {
        // cat's turn.
        let mut wrote_full = false;
        if sim.alive(CAT_PID) {
            if remaining == 0 {
                flush(sim, &mut repeat, blocks);
                cat_exits(sim);
            } else if sim.pipe.readers == 0 {
                flush(sim, &mut repeat, blocks);
                sigpipe(sim);
            } else {
                let room = CAPACITY - sim.pipe.bytes;
                let n = room.min(remaining);
                remaining -= n;
                sim.pipe.bytes += n;
                sim.pipe.written += n;
                let blocked = remaining > 0;
                if blocked {
                    blocks += 1;
                    sim.proc_mut(CAT_PID).state = ProcState::BlockedWrite;
                }
                let grep_gone = !sim.alive(GREP_PID);
                wrote_full = blocked && n == CAPACITY && !grep_gone && !early;
                if wrote_full && full_rounds > 0 {
                    // Folded into the repeat step, with grep's read below.
                } else {
                    flush(sim, &mut repeat, blocks);
                    write_step(sim, n, blocked, grep_gone);
                }
                if blocked && grep_gone {
                    return End {
                        outcome: Outcome::CatHangs,
                        blocks,
                    };
                }
            }
        }
        // grep's turn.
        if sim.alive(GREP_PID) {
            if sim.pipe.bytes > 0 {
                let n = sim.pipe.bytes;
                sim.pipe.bytes = 0;
                sim.pipe.read += n;
                let woke = sim.state(CAT_PID) == Some(ProcState::BlockedWrite);
                if woke {
                    sim.proc_mut(CAT_PID).state = ProcState::Running;
                }
                if wrote_full && full_rounds > 0 {
                    repeat.rounds += 1;
                } else {
                    read_step(sim, n, woke, early);
                }
                if wrote_full {
                    full_rounds += 1;
                }
                if early {
                    grep_quits(sim);
                }
            } else if sim.pipe.writers == 0 {
                flush(sim, &mut repeat, blocks);
                grep_eof(sim, p);
            } else if !sim.alive(CAT_PID) {
                flush(sim, &mut repeat, blocks);
                hang_grep(sim, p);
                return End {
                    outcome: Outcome::GrepHangs,
                    blocks,
                };
            }
        }
        if !sim.alive(CAT_PID) && !sim.alive(GREP_PID) {
            flush(sim, &mut repeat, blocks);
            let killed = sim.proc(CAT_PID).is_some_and(|c| c.signal.is_some());
            return End {
                outcome: if killed {
                    Outcome::Sigpipe
                } else {
                    Outcome::Completes
                },
                blocks,
            };
        }
    }
    // Unreachable: the bound above is never hit (a unit test runs the largest log).
    End {
        outcome: Outcome::GrepHangs,
        blocks,
    }
}

fn flush(sim: &mut Sim, repeat: &mut Repeat, blocks: u64) {
    if repeat.rounds == 0 {
        return;
    }
    let k = repeat.rounds;
    repeat.rounds = 0;
    let moved = bytes(k * CAPACITY);
    sim.push(Say {
        pid: CAT_PID,
        kind: StepKind::Repeat,
        call: format!("write() と read() × {k}"),
        result: format!("{moved} バイト"),
        note: format!("同じことをあと {k} 回くり返します（{moved} バイト）"),
        explain: format!(
            "cat が 65,536 バイト書いてパイプがいっぱいになりブロックし、grep が読んで空け、cat が再開する、をくり返します。ここまでに cat は合計 {blocks} 回ブロックし、{} バイトを書きました。",
            bytes(sim.pipe.written)
        ),
        source: "pipe(7)",
        subject: None,
        ask: None,
    });
}

fn write_step(sim: &mut Sim, n: u64, blocked: bool, grep_gone: bool) {
    let (note, explain) = if blocked {
        (
            format!(
                "cat がパイプに {} バイト書き、いっぱい（{} バイト）になって write() でブロックします",
                bytes(n),
                bytes(CAPACITY)
            ),
            if grep_gone {
                format!(
                    "grep はもういませんが、読み口を指す記述子が {} 個（{}）残っているので、SIGPIPE にはなりません。パイプはいっぱいになり、cat は誰かが読むのを待ってブロックします。",
                    sim.pipe.readers,
                    sim.holders(FdKind::PipeR)
                )
            } else {
                "パイプの容量は 65,536 バイト（64 KiB）です。いっぱいのパイプに書くと、読み手が読んで空きができるまで write() はブロックします。データは捨てられません。".to_owned()
            },
        )
    } else {
        (
            format!("cat がパイプに {} バイト書きます", bytes(n)),
            format!(
                "パイプには {} バイトの空きがあるので、write() はブロックせずに終わります。今パイプにあるのは {} バイトです。",
                bytes(CAPACITY - (sim.pipe.bytes - n)),
                bytes(sim.pipe.bytes)
            ),
        )
    };
    sim.push(Say {
        pid: CAT_PID,
        kind: StepKind::Write,
        call: "write(1, buf, n)".into(),
        result: if blocked {
            format!("{} バイト入り、ブロック", bytes(n))
        } else {
            format!("= {}", bytes(n))
        },
        note,
        explain,
        source: "pipe(7), write(2)",
        subject: None,
        ask: None,
    });
}

fn read_step(sim: &mut Sim, n: u64, woke: bool, early: bool) {
    let mut note = format!("grep がたまった {} バイトを読みます", bytes(n));
    if woke {
        note.push_str("。空きができたので cat の write() が再開します");
    }
    let explain = format!(
        "read() はパイプにあるバイトを返します（この図では grep の読み込み用のバッファをパイプの容量以上としています）。{}",
        if early {
            "grep -m 1 は最初の Error の行を見つけると、それを端末に出して終わります。"
        } else {
            "grep は Error を含む行を端末（1 番）に出します。"
        }
    );
    sim.push(Say {
        pid: GREP_PID,
        kind: StepKind::Read,
        call: "read(0, buf, size)".into(),
        result: format!("= {}", bytes(n)),
        note,
        explain,
        source: "pipe(7), read(2)",
        subject: None,
        ask: None,
    });
}

fn cat_exits(sim: &mut Sim) {
    sim.end(CAT_PID, 0, None);
    let rest = if sim.pipe.writers == 0 {
        "これで書き口を指す記述子はどこにも残っていません。".to_owned()
    } else {
        format!(
            "それでも書き口を指す記述子が {} 個（{}）残っています。",
            sim.pipe.writers,
            sim.holders(FdKind::PipeW)
        )
    };
    sim.push(Say {
        pid: CAT_PID,
        kind: StepKind::Exit,
        call: "exit(0)".into(),
        result: "終了ステータス 0".into(),
        note: "cat はファイルを最後まで読み（read() が 0）、exit(0) で終わります".into(),
        explain: format!(
            "プロセスが終わると、カーネルがそのファイル記述子をすべて閉じます。{rest}cat は bash が wait で回収するまでゾンビとして残ります。"
        ),
        source: "_exit(2), pipe(7)",
        subject: Some(CAT_PID),
        ask: None,
    });
}

fn sigpipe(sim: &mut Sim) {
    sim.end(CAT_PID, 128 + SIGPIPE, Some("SIGPIPE"));
    sim.push(Say {
        pid: CAT_PID,
        kind: StepKind::Signal,
        call: "write(1, buf, n)".into(),
        result: "EPIPE、SIGPIPE で終了".into(),
        note: "読み手のいないパイプに書こうとした cat に SIGPIPE が届き、cat は終わります".into(),
        explain: format!(
            "読み口を指す記述子がすべて閉じたパイプに書くと、書き手に SIGPIPE が送られます。SIGPIPE の既定の動作はプロセスの終了です（無視していれば write() が EPIPE で失敗します）。シェルはシグナル N で終わったプロセスのステータスを 128 + N で表すので、cat のステータスは 128 + {SIGPIPE} = {} です。"
            , 128 + SIGPIPE
        ),
        source: "pipe(7), signal(7), bash(1)",
        subject: Some(CAT_PID),
        ask: None,
    });
}

fn grep_quits(sim: &mut Sim) {
    sim.end(GREP_PID, 0, None);
    let rest = if sim.pipe.readers == 0 {
        "これで読み口を指す記述子はどこにも残っていません。".to_owned()
    } else {
        format!(
            "それでも読み口を指す記述子が {} 個（{}）残っています。",
            sim.pipe.readers,
            sim.holders(FdKind::PipeR)
        )
    };
    sim.push(Say {
        pid: GREP_PID,
        kind: StepKind::Exit,
        call: "exit(0)".into(),
        result: "終了ステータス 0".into(),
        note: "grep -m 1 は最初の一致を出したところで exit(0) します".into(),
        explain: format!(
            "grep は行が見つかったので 0 で終わり、カーネルが読み口 0 番を閉じます。{rest}"
        ),
        source: "grep(1), _exit(2)",
        subject: Some(GREP_PID),
        ask: None,
    });
}

fn grep_status(p: &Params, sim: &Sim) -> i32 {
    // grep(1): 0 if a line is selected, 1 if none. Nothing was read from an empty log.
    if p.matches && sim.pipe.read > 0 { 0 } else { 1 }
}

fn grep_eof(sim: &mut Sim, p: &Params) {
    let status = grep_status(p, sim);
    sim.end(GREP_PID, status, None);
    sim.push(Say {
        pid: GREP_PID,
        kind: StepKind::Exit,
        call: format!("read(0, buf, size) = 0 → exit({status})"),
        result: format!("EOF、終了ステータス {status}"),
        note: format!(
            "パイプが空で書き口がすべて閉じたので read() が 0（EOF）を返し、grep は exit({status}) で終わります"
        ),
        explain: format!(
            "書き口を指す記述子がすべて閉じたパイプを読むと、read() は 0 を返します。これが EOF です。grep は行が見つかれば 0、見つからなければ 1 で終わります{}。",
            if status == 0 {
                "（ここでは見つかったので 0）"
            } else {
                "（ここでは見つからなかったので 1）"
            }
        ),
        source: "pipe(7), grep(1)",
        subject: Some(GREP_PID),
        ask: None,
    });
}

fn hang_grep(sim: &mut Sim, p: &Params) {
    sim.proc_mut(GREP_PID).state = ProcState::BlockedRead;
    let holders = sim.holders(FdKind::PipeW);
    let own = p.scenario == Scenario::GrepKeepsW;
    sim.push(Say {
        pid: GREP_PID,
        kind: StepKind::Read,
        call: "read(0, buf, size)".into(),
        result: "ブロック（EOF が来ない）".into(),
        note: format!(
            "パイプは空ですが、書き口がまだ開いている（{holders}）ので、grep の read() はブロックします"
        ),
        explain: format!(
            "cat は終わっても、書き口を指す記述子が {} 個残っている限り、パイプの読み手は EOF を受け取れません。{}",
            sim.pipe.writers,
            if own {
                "grep は自分自身が持つ書き口のせいで、自分の EOF を止めています。"
            } else {
                "書き口を持っている bash はその書き口に何も書きませんが、閉じてもいません。"
            }
        ),
        source: "pipe(7)",
        subject: None,
        ask: None,
    });
}

/// The shell reaps what ended and reports `$?`, or the pipeline hangs.
pub(super) fn finish(mut sim: Sim, p: &Params, initial: Vec<Proc>, end: End) -> PipeRun {
    let status_of = |sim: &Sim, pid: u32| {
        sim.proc(pid)
            .filter(|c| c.state == ProcState::Exited)
            .and_then(|c| c.status)
    };
    let cat_status = status_of(&sim, CAT_PID);
    let grep_status = status_of(&sim, GREP_PID);
    let done: Vec<u32> = [CAT_PID, GREP_PID]
        .into_iter()
        .filter(|pid| sim.state(*pid) == Some(ProcState::Exited))
        .collect();
    for pid in &done {
        sim.proc_mut(*pid).state = ProcState::Reaped;
    }
    let status = match (cat_status, grep_status) {
        (Some(c), Some(g)) => Some(pipeline_status(c, g, p.pipefail)),
        _ => None,
    };
    let command = format!(
        "{}cat /var/log/messages | grep {}Error",
        if p.pipefail { "set -o pipefail; " } else { "" },
        if p.scenario.grep_quits_early() {
            "-m 1 "
        } else {
            ""
        }
    );
    let summary;
    if let (Some(c), Some(g), Some(st)) = (cat_status, grep_status, status) {
        sim.proc_mut(SHELL_PID).state = ProcState::Running;
        let rule = if p.pipefail {
            format!(
                "pipefail があるので、0 以外で終わった一番右のコマンドのステータス（すべて 0 なら 0）になります: cat {c}、grep {g} → {st}。"
            )
        } else {
            format!(
                "pipefail が無いので、パイプラインのステータスは最後のコマンド grep のもの（{g}）です。cat の {c} は使われません。"
            )
        };
        sim.push(Say {
            pid: SHELL_PID,
            kind: StepKind::Wait,
            call: "waitpid(-1, &status, 0) × 2".into(),
            result: format!("$? = {st}"),
            note: format!("bash が 2 つの子を回収し、パイプラインの終了ステータス $? は {st} です"),
            explain: format!(
                "wait は終わった子（ゾンビ）を回収し、そのステータスを受け取ります。{rule}"
            ),
            source: "wait(2), bash(1)",
            subject: None,
            ask: Some(Field::Status),
        });
        summary = format!("{}。$? = {st}。", end.outcome.label());
    } else {
        if !done.is_empty() {
            let names: Vec<String> = done
                .iter()
                .map(|pid| format!("{}（{pid}）", if *pid == CAT_PID { "cat" } else { "grep" }))
                .collect();
            sim.push(Say {
                pid: SHELL_PID,
                kind: StepKind::Wait,
                call: "waitpid(-1, &status, 0)".into(),
                result: format!("{} を回収", names.join("・")),
                note: format!(
                    "bash は終わった {} を回収しますが、もう 1 つの子を待ち続けます",
                    names.join("・")
                ),
                explain: "wait は終わった子を回収します。bash はパイプラインのすべての子が終わるまでプロンプトを出しません。".into(),
                source: "wait(2), bash(1)",
                subject: None,
                ask: None,
            });
        }
        let (who, why) = match end.outcome {
            Outcome::CatHangs => (
                CAT_PID,
                "cat は自分が閉じ忘れた読み口のせいで、パイプに読み手がいると見なされ、SIGPIPE も受けずに write() で待ち続けます。",
            ),
            _ => (
                GREP_PID,
                "grep は、書き口を指す記述子がすべて閉じるまで EOF を受け取れず、read() で待ち続けます。",
            ),
        };
        sim.push(Say {
            pid: who,
            kind: StepKind::Hang,
            call: "（何も起きない）".into(),
            result: "終わらない".into(),
            note: "ここで止まります。bash は待ち続け、プロンプトは戻りません（Ctrl-C で止めるまで）".into(),
            explain: format!(
                "{why}Ctrl-C を押すと端末がフォアグラウンドのプロセスグループ全体に SIGINT を送り、パイプラインは終わります。"
            ),
            source: "pipe(7), signal(7)",
            subject: None,
            ask: None,
        });
        summary = format!("{}。bash は待ち続けます。", end.outcome.label());
    }
    PipeRun {
        scenario: p.scenario,
        command,
        size: p.size,
        pipefail: p.pipefail,
        matches: p.matches,
        capacity: CAPACITY,
        initial,
        steps: sim.steps,
        outcome: end.outcome,
        cat_status,
        grep_status,
        status,
        blocks: end.blocks,
        summary,
    }
}

/// The pipeline's status from cat's and grep's (bash(1) "Pipelines"): the last command's, or with
/// pipefail the rightmost non-zero one (0 when both are 0).
pub fn pipeline_status(cat: i32, grep: i32, pipefail: bool) -> i32 {
    if !pipefail {
        return grep;
    }
    [cat, grep].into_iter().rev().find(|s| *s != 0).unwrap_or(0)
}
