//! The stories, system call by system call: how bash builds `cat /var/log/messages | grep Error`
//! (facts.md W8: pipe, fork, dup2, close, execve, wait), then the data flowing through the 64 KiB
//! pipe until EOF, SIGPIPE or a hang ([`flow`](super::flow)). A `Sim` keeps the three processes'
//! descriptor tables and the pipe's counts, so every number in a sentence is computed, not written.

use super::flow::{finish, flow};
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
    pub(super) steps: Vec<Step>,
}

/// A step about to be written.
pub(super) struct Say {
    pub(super) pid: u32,
    pub(super) kind: StepKind,
    pub(super) call: String,
    pub(super) result: String,
    pub(super) note: String,
    pub(super) explain: String,
    pub(super) source: &'static str,
    pub(super) subject: Option<u32>,
    pub(super) ask: Option<Field>,
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

    pub(super) fn proc(&self, pid: u32) -> Option<&Proc> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    pub(super) fn proc_mut(&mut self, pid: u32) -> &mut Proc {
        let i = self.procs.iter().position(|p| p.pid == pid).unwrap_or(0);
        &mut self.procs[i]
    }

    pub(super) fn state(&self, pid: u32) -> Option<ProcState> {
        self.proc(pid).map(|p| p.state)
    }

    pub(super) fn alive(&self, pid: u32) -> bool {
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

    pub(super) fn kind_at(&self, pid: u32, fd: u32) -> Option<FdKind> {
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
    pub(super) fn end(&mut self, pid: u32, status: i32, signal: Option<&'static str>) {
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
    pub(super) fn holders(&self, kind: FdKind) -> String {
        let mut out = Vec::new();
        for p in &self.procs {
            for f in p.fds.iter().filter(|f| f.kind == kind) {
                out.push(format!("{}（{}）の {}", p.program, p.pid, f.fd));
            }
        }
        out.join("、")
    }

    pub(super) fn push(&mut self, s: Say) {
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
