//! The stories, system call by system call: how bash builds `cat /var/log/messages | grep Error`
//! (facts.md W8: pipe, fork, dup2, close, execve, wait), then the data flowing through the 64 KiB
//! pipe until EOF, SIGPIPE or a hang. A `Sim` keeps the three processes' descriptor tables and the
//! pipe's counts, so every number in a sentence is computed, not written.
//!
//! Both children run at once; which one moves first is up to the scheduler. The model fixes one
//! order — cat writes until it blocks or finishes, then grep reads everything there is — and says
//! so in the text.

use super::model::*;
use super::{Params, Scenario};

/// Runs the scenario in `p`.
pub fn simulate(p: &Params) -> PipeRun {
    let mut sim = Sim::new();
    let initial = sim.procs.clone();
    setup(&mut sim, p);
    let end = flow(&mut sim, p);
    finish(sim, p, initial, end)
}

/// Thousands separated, as the texts print byte counts: 65,536.
pub fn bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The processes, the pipe, and the steps written so far.
pub(super) struct Sim {
    pub(super) procs: Vec<Proc>,
    pub(super) pipe: PipeState,
    steps: Vec<Step>,
}

/// A step about to be written.
struct Say {
    pid: u32,
    kind: StepKind,
    call: String,
    result: String,
    note: String,
    explain: String,
    source: &'static str,
    subject: Option<u32>,
    ask: Option<Field>,
}

impl Sim {
    /// The shell alone, its 0, 1 and 2 on the terminal.
    pub(super) fn new() -> Sim {
        Sim {
            procs: vec![Proc {
                pid: SHELL_PID,
                program: "bash".into(),
                state: ProcState::Running,
                status: None,
                signal: None,
                fds: (0..3)
                    .map(|fd| Fd {
                        fd,
                        kind: FdKind::Tty,
                    })
                    .collect(),
            }],
            pipe: PipeState {
                exists: false,
                bytes: 0,
                capacity: CAPACITY,
                readers: 0,
                writers: 0,
                written: 0,
                read: 0,
            },
            steps: Vec::new(),
        }
    }

    fn proc(&self, pid: u32) -> Option<&Proc> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    fn proc_mut(&mut self, pid: u32) -> &mut Proc {
        let i = self.procs.iter().position(|p| p.pid == pid).unwrap_or(0);
        &mut self.procs[i]
    }

    fn state(&self, pid: u32) -> Option<ProcState> {
        self.proc(pid).map(|p| p.state)
    }

    fn alive(&self, pid: u32) -> bool {
        matches!(
            self.state(pid),
            Some(ProcState::Running | ProcState::BlockedRead | ProcState::BlockedWrite)
        )
    }

    /// The lowest descriptor number `pid` does not have open: what open(2), pipe(2) and friends
    /// return on Linux.
    pub(super) fn lowest_free(&self, pid: u32) -> u32 {
        let fds = self.proc(pid).map(|p| p.fds.as_slice()).unwrap_or(&[]);
        (0..).find(|n| fds.iter().all(|f| f.fd != *n)).unwrap_or(0)
    }

    /// Opens a descriptor of `kind` in `pid` at the lowest free number, which it returns.
    pub(super) fn open(&mut self, pid: u32, kind: FdKind) -> u32 {
        let fd = self.lowest_free(pid);
        let p = self.proc_mut(pid);
        p.fds.push(Fd { fd, kind });
        p.fds.sort_by_key(|f| f.fd);
        self.recount();
        fd
    }

    fn kind_at(&self, pid: u32, fd: u32) -> Option<FdKind> {
        self.proc(pid)?
            .fds
            .iter()
            .find(|f| f.fd == fd)
            .map(|f| f.kind)
    }

    fn close(&mut self, pid: u32, fd: u32) {
        self.proc_mut(pid).fds.retain(|f| f.fd != fd);
        self.recount();
    }

    fn dup2(&mut self, pid: u32, old: u32, new: u32) {
        if let Some(kind) = self.kind_at(pid, old) {
            self.close(pid, new);
            let p = self.proc_mut(pid);
            p.fds.push(Fd { fd: new, kind });
            p.fds.sort_by_key(|f| f.fd);
            self.recount();
        }
    }

    fn fork(&mut self, parent: u32, child: u32) {
        let mut p = self
            .proc(parent)
            .cloned()
            .unwrap_or_else(|| Sim::new().procs[0].clone());
        p.pid = child;
        p.state = ProcState::Running;
        self.procs.push(p);
        self.recount();
    }

    /// The process ends: the kernel closes all its descriptors (_exit(2)).
    fn end(&mut self, pid: u32, status: i32, signal: Option<&'static str>) {
        let p = self.proc_mut(pid);
        p.state = ProcState::Exited;
        p.status = Some(status);
        p.signal = signal;
        p.fds.clear();
        self.recount();
    }

    /// Counts the descriptors on each end of the pipe, in every process.
    fn recount(&mut self) {
        let count = |kind: FdKind| {
            self.procs
                .iter()
                .flat_map(|p| p.fds.iter())
                .filter(|f| f.kind == kind)
                .count() as u32
        };
        self.pipe.readers = count(FdKind::PipeR);
        self.pipe.writers = count(FdKind::PipeW);
    }

    /// Who holds a descriptor of `kind`, in words: 「bash の 4」「grep の 4」.
    fn holders(&self, kind: FdKind) -> String {
        let mut out = Vec::new();
        for p in &self.procs {
            for f in p.fds.iter().filter(|f| f.kind == kind) {
                out.push(format!("{}（{}）の {}", p.program, p.pid, f.fd));
            }
        }
        out.join("、")
    }

    fn push(&mut self, s: Say) {
        self.steps.push(Step {
            pid: s.pid,
            kind: s.kind,
            call: s.call,
            result: s.result,
            note: s.note,
            explain: s.explain,
            source: s.source,
            subject: s.subject,
            ask: s.ask,
            processes: self.procs.clone(),
            pipe: self.pipe,
        });
    }
}

/// A step that changes `pid`'s descriptors: 予想モード asks for its table.
#[allow(clippy::too_many_arguments)]
fn fd_step(
    sim: &mut Sim,
    pid: u32,
    kind: StepKind,
    call: String,
    result: String,
    note: String,
    explain: String,
    source: &'static str,
) {
    sim.push(Say {
        pid,
        kind,
        call,
        result,
        note,
        explain,
        source,
        subject: Some(pid),
        ask: Some(Field::Fds),
    });
}

/// bash builds the pipeline: pipe, two forks, each child's dup2, closes and execve, the shell's
/// closes — minus the close the scenario forgets — and its wait.
fn setup(sim: &mut Sim, p: &Params) {
    let s = p.scenario;
    let r = sim.open(SHELL_PID, FdKind::PipeR);
    let w = sim.open(SHELL_PID, FdKind::PipeW);
    sim.pipe.exists = true;
    fd_step(
        sim,
        SHELL_PID,
        StepKind::Pipe,
        "pipe(fds)".into(),
        format!("= 0、fds = {{{r}, {w}}}"),
        format!("bash が pipe() でパイプを作り、読み口 {r} と書き口 {w} を受け取ります"),
        format!(
            "pipe() は一方向のバイトの流れを作り、読み口（fds[0]）と書き口（fds[1]）の 2 つのファイル記述子を返します。Linux では open() と同じく空いている中で最も小さい番号が使われるので、0, 1, 2（端末）の次の {r} と {w} です。パイプは fork の前に作ります。fork した子がこの 2 つを受け継ぐからです。"
        ),
        "pipe(2), pipe(7)",
    );

    // Child 1: stdout to the write end, then cat.
    child(sim, p, CAT_PID, r, w);
    // Child 2: stdin from the read end, then grep.
    child(sim, p, GREP_PID, r, w);

    // The shell closes both ends (or forgets the write end).
    close_step(
        sim,
        SHELL_PID,
        r,
        "bash は読み口を使いません。閉じておかないと、grep が終わった後もパイプに読み手が残ります。",
    );
    if s != Scenario::ShellKeepsW {
        close_step(
            sim,
            SHELL_PID,
            w,
            "bash は書き口も使いません。パイプの読み手が EOF を受け取るのは書き口を指す記述子がすべて閉じたときなので、ここで閉じないと grep はいつまでも EOF を受け取れません。",
        );
    }
    sim.proc_mut(SHELL_PID).state = ProcState::Waiting;
    let mut explain = "ここから cat と grep は同時に動きます。どちらが先に進むかはスケジューラ次第で、この図は cat が書けるだけ書いてから grep が読む順で示します。".to_owned();
    let forgot = match s {
        Scenario::ShellKeepsW => Some(format!("bash は書き口 {w} を閉じ忘れています。")),
        Scenario::GrepKeepsW => Some(format!("grep（102）は書き口 {w} を閉じ忘れています。")),
        Scenario::CatKeepsR => Some(format!("cat（101）は読み口 {r} を閉じ忘れています。")),
        _ => None,
    };
    if let Some(f) = forgot {
        explain.push_str(&f);
    }
    explain.push_str(&format!(
        "今、書き口を指す記述子は {} 個（{}）、読み口は {} 個（{}）です。",
        sim.pipe.writers,
        sim.holders(FdKind::PipeW),
        sim.pipe.readers,
        sim.holders(FdKind::PipeR)
    ));
    sim.push(Say {
        pid: SHELL_PID,
        kind: StepKind::Wait,
        call: "waitpid(-1, &status, 0)".into(),
        result: "待機".into(),
        note: "bash は 2 つの子の終了を待ちます".into(),
        explain,
        source: "wait(2)",
        subject: None,
        ask: Some(Field::Outcome),
    });
}

fn close_step(sim: &mut Sim, pid: u32, fd: u32, why: &str) {
    let what = sim.kind_at(pid, fd).map_or("", FdKind::label);
    let name = match sim.proc(pid) {
        Some(p) if p.pid != SHELL_PID && p.program == "bash" => format!("子 {pid}"),
        Some(p) => format!("{}（{pid}）", p.program),
        None => String::new(),
    };
    sim.close(pid, fd);
    let counts = format!(
        "閉じた後、書き口を指す記述子は全部で {} 個、読み口は {} 個です。",
        sim.pipe.writers, sim.pipe.readers
    );
    fd_step(
        sim,
        pid,
        StepKind::Close,
        format!("close({fd})"),
        "= 0".into(),
        format!("{name} が {fd}（{what}）を閉じます"),
        format!("{why}{counts}"),
        "close(2), pipe(7)",
    );
}

/// One child: fork, dup2 onto 0 or 1, close both originals (minus a forgotten one), execve — and
/// cat opens its file.
fn child(sim: &mut Sim, p: &Params, pid: u32, r: u32, w: u32) {
    let is_cat = pid == CAT_PID;
    let n = if is_cat { 1 } else { 2 };
    sim.fork(SHELL_PID, pid);
    let first = if is_cat {
        "子は親のファイル記述子の表をそのまま複製して受け継ぎます。複製した記述子は親と同じ「開いているファイル」（ここではパイプの端）を指します。"
    } else {
        "2 つ目の子も bash の表を複製します。bash はまだ読み口と書き口の両方を持っているので、子 102 も両方を受け継ぎます。"
    };
    fd_step(
        sim,
        SHELL_PID,
        StepKind::Fork,
        "fork()".into(),
        format!("= {pid}（子では 0）"),
        format!("bash が fork() し、子 {n}（PID {pid}）ができます"),
        format!(
            "{first}子はまだ bash のプログラムのままです。この時点で書き口を指す記述子は {} 個、読み口は {} 個です。",
            sim.pipe.writers, sim.pipe.readers
        ),
        "fork(2)",
    );
    // The fork step's table is the child's: it is the one that is new.
    if let Some(last) = sim.steps.last_mut() {
        last.subject = Some(pid);
    }

    let (old, new, end) = if is_cat {
        (w, 1, "書き口")
    } else {
        (r, 0, "読み口")
    };
    sim.dup2(pid, old, new);
    let stream = if is_cat {
        "標準出力"
    } else {
        "標準入力"
    };
    fd_step(
        sim,
        pid,
        StepKind::Dup2,
        format!("dup2({old}, {new})"),
        format!("= {new}"),
        format!(
            "子 {pid} が dup2({old}, {new}) で{stream}（{new}）をパイプの{end}につなぎ替えます"
        ),
        format!(
            "dup2(old, new) は new を閉じてから、old と同じものを指す記述子にします。これで{} {old} 番もまだ{end}を指したままです。",
            if is_cat {
                "cat が 1 番に書いたものがパイプに入ります。"
            } else {
                "grep が 0 番から読むとパイプの中身が出てきます。"
            }
        ),
        "dup2(2)",
    );

    let forgets = match p.scenario {
        Scenario::CatKeepsR if is_cat => Some(r),
        Scenario::GrepKeepsW if !is_cat => Some(w),
        _ => None,
    };
    for fd in [r, w] {
        if Some(fd) == forgets {
            continue;
        }
        let why = match (is_cat, fd == r) {
            (true, true) => {
                "cat はパイプを読まないので読み口は要りません。持ったままだと、grep が終わってもパイプに読み手が残り、cat は SIGPIPE を受け取れません。"
            }
            (true, false) => "書き口はもう 1 番が指しているので、この番号は余分な複製です。",
            (false, true) => "読み口はもう 0 番が指しているので、この番号は余分な複製です。",
            (false, false) => {
                "grep は書き口を使いません。持ったままだと grep 自身がパイプの書き手として数えられ、cat が終わっても EOF になりません。"
            }
        };
        close_step(sim, pid, fd, why);
    }

    let (path, argv) = if is_cat {
        (
            "/usr/bin/cat",
            "[\"cat\", \"/var/log/messages\"]".to_owned(),
        )
    } else if p.scenario.grep_quits_early() {
        (
            "/usr/bin/grep",
            "[\"grep\", \"-m\", \"1\", \"Error\"]".to_owned(),
        )
    } else {
        ("/usr/bin/grep", "[\"grep\", \"Error\"]".to_owned())
    };
    let program = if is_cat { "cat" } else { "grep" };
    sim.proc_mut(pid).program = program.into();
    fd_step(
        sim,
        pid,
        StepKind::Exec,
        format!("execve(\"{path}\", {argv}, envp)"),
        "（戻らない）".into(),
        format!("子 {pid} が execve で {program} に置き換わります。PID は {pid} のままです"),
        format!(
            "execve はプログラム（コード・データ・スタック）を置き換えますが、PID と、close-on-exec の付いていないファイル記述子はそのまま残ります。だから {program} は{}だけで、自分がパイプにつながっていることを知りません。",
            if is_cat {
                "1 番に書く"
            } else {
                "0 番から読む"
            }
        ),
        "execve(2)",
    );

    if is_cat {
        let fd = sim.open(CAT_PID, FdKind::File);
        let why = if fd == 3 {
            "3 が空いているので 3 です。".to_owned()
        } else {
            format!("3 は閉じ忘れた読み口がふさいでいるので {fd} です。")
        };
        fd_step(
            sim,
            CAT_PID,
            StepKind::Open,
            "open(\"/var/log/messages\", O_RDONLY)".into(),
            format!("= {fd}"),
            format!("cat がログを開き、{fd} 番を受け取ります"),
            format!("open() は空いている中で最も小さい番号を返します。{why}"),
            "open(2)",
        );
    }
}

/// How the data phase ended.
struct End {
    outcome: Outcome,
    blocks: u64,
}

/// Full write-block-read rounds after the first, folded into one step.
struct Repeat {
    rounds: u64,
}

/// The data phase: cat writes until it blocks or finishes, grep reads what there is; until both end
/// or one of them waits forever.
fn flow(sim: &mut Sim, p: &Params) -> End {
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
fn finish(mut sim: Sim, p: &Params, initial: Vec<Proc>, end: End) -> PipeRun {
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
