//! The signal model's types: the signals of facts.md W5 with their numbers per architecture and default
//! actions (signal(7)), a process as the widget shows it, what a signal did to one process, and a run.

use serde::{Serialize, Serializer};

use super::{Handler, Scenario};

/// What a signal does when the process has not changed its disposition (signal(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Terminate the process.
    Term,
    /// Terminate and dump core.
    Core,
    /// Ignore the signal.
    Ign,
    /// Stop the process.
    Stop,
    /// Continue the process if it is stopped.
    Cont,
}

impl Action {
    /// signal(7)'s word and its Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Action::Term => "Term（終了）",
            Action::Core => "Core（終了してコアダンプ）",
            Action::Ign => "Ign（無視）",
            Action::Stop => "Stop（停止）",
            Action::Cont => "Cont（停止中なら再開）",
        }
    }
}

/// The signals the widget uses (facts.md W5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sig {
    /// Terminal hangup.
    Hup,
    /// Ctrl-C.
    Int,
    /// Ctrl-\.
    Quit,
    /// `kill -9`.
    Kill,
    /// `kill`'s default.
    Term,
    /// A child stopped or exited.
    Chld,
    /// `fg`/`bg`, `kill -CONT`.
    Cont,
    /// `kill -STOP`.
    Stop,
    /// Ctrl-Z.
    Tstp,
}

impl Sig {
    /// Every signal, in number order on x86.
    pub const ALL: [Sig; 9] = [
        Sig::Hup,
        Sig::Int,
        Sig::Quit,
        Sig::Kill,
        Sig::Term,
        Sig::Chld,
        Sig::Cont,
        Sig::Stop,
        Sig::Tstp,
    ];

    /// The name, `SIGINT`.
    pub fn name(self) -> &'static str {
        match self {
            Sig::Hup => "SIGHUP",
            Sig::Int => "SIGINT",
            Sig::Quit => "SIGQUIT",
            Sig::Kill => "SIGKILL",
            Sig::Term => "SIGTERM",
            Sig::Chld => "SIGCHLD",
            Sig::Cont => "SIGCONT",
            Sig::Stop => "SIGSTOP",
            Sig::Tstp => "SIGTSTP",
        }
    }

    /// Numbers on (x86/ARM and most others, Alpha/SPARC, MIPS, PA-RISC), as signal(7)'s table.
    pub fn numbers(self) -> [u8; 4] {
        match self {
            Sig::Hup => [1, 1, 1, 1],
            Sig::Int => [2, 2, 2, 2],
            Sig::Quit => [3, 3, 3, 3],
            Sig::Kill => [9, 9, 9, 9],
            Sig::Term => [15, 15, 15, 15],
            Sig::Chld => [17, 20, 18, 18],
            Sig::Cont => [18, 19, 25, 26],
            Sig::Stop => [19, 17, 23, 24],
            Sig::Tstp => [20, 18, 24, 25],
        }
    }

    /// The number on x86 (and ARM and most others).
    pub fn x86(self) -> u8 {
        self.numbers()[0]
    }

    /// Whether the number differs between architectures.
    pub fn varies(self) -> bool {
        let n = self.numbers();
        n.iter().any(|x| *x != n[0])
    }

    /// The default action.
    pub fn default_action(self) -> Action {
        match self {
            Sig::Hup | Sig::Int | Sig::Kill | Sig::Term => Action::Term,
            Sig::Quit => Action::Core,
            Sig::Chld => Action::Ign,
            Sig::Cont => Action::Cont,
            Sig::Stop | Sig::Tstp => Action::Stop,
        }
    }

    /// Whether a process can catch, ignore or block it: all but SIGKILL and SIGSTOP.
    pub fn catchable(self) -> bool {
        !matches!(self, Sig::Kill | Sig::Stop)
    }

    /// Where it usually comes from.
    pub fn typical_source(self) -> &'static str {
        match self {
            Sig::Hup => "端末の切断",
            Sig::Int => "Ctrl-C",
            Sig::Quit => "Ctrl-\\",
            Sig::Kill => "kill -9",
            Sig::Term => "kill（既定）",
            Sig::Chld => "子の停止・終了",
            Sig::Cont => "fg / bg、kill -CONT",
            Sig::Stop => "kill -STOP",
            Sig::Tstp => "Ctrl-Z",
        }
    }
}

impl Serialize for Sig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One row of the disposition table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigRow {
    /// The signal.
    pub signal: Sig,
    /// Its numbers: x86/ARM, Alpha/SPARC, MIPS, PA-RISC.
    pub numbers: [u8; 4],
    /// Whether they differ by architecture.
    pub varies: bool,
    /// Its default action.
    pub default_action: Action,
    /// Whether it can be caught, ignored or blocked.
    pub catchable: bool,
    /// Its usual source.
    pub source: &'static str,
}

/// The disposition table of every signal the widget uses.
pub fn table() -> Vec<SigRow> {
    Sig::ALL
        .iter()
        .map(|&s| SigRow {
            signal: s,
            numbers: s.numbers(),
            varies: s.varies(),
            default_action: s.default_action(),
            catchable: s.catchable(),
            source: s.typical_source(),
        })
        .collect()
}

/// Where a process is in its life, as far as signals change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Life {
    /// Alive and not stopped (ps R or S).
    Running,
    /// Stopped (ps T).
    Stopped,
    /// Ended, not yet reaped (ps Z).
    Zombie,
    /// Reaped by its parent.
    Gone,
}

/// One process as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proc {
    /// Its PID.
    pub pid: u32,
    /// Its process group (a job is one group; its first process's PID).
    pub pgid: u32,
    /// Its command.
    pub comm: String,
    /// Its part: the shell, the foreground job or a background job.
    pub role: String,
    /// Alive, stopped, zombie or reaped.
    pub life: Life,
    /// Signals it catches with a handler.
    pub caught: Vec<Sig>,
    /// Signals it ignores (SIG_IGN).
    pub ignored: Vec<Sig>,
    /// Its signal mask: signals it blocks.
    pub blocked: Vec<Sig>,
    /// Signals that arrived while blocked.
    pub pending: Vec<Sig>,
    /// How it ended, in Japanese, once it has.
    pub ended: Option<String>,
}

/// What happened to one process at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fate {
    /// Killed by the signal.
    Terminated,
    /// Killed with a core dump.
    Core,
    /// Stopped.
    Stopped,
    /// Continued after a stop.
    Continued,
    /// Its handler ran; it goes on.
    Handled,
    /// It ignores the signal: nothing happens.
    Ignored,
    /// Blocked: the signal waits as pending.
    Pending,
    /// It exited by itself.
    Exited,
    /// Its parent reaped it.
    Reaped,
    /// Nothing reached it.
    Unaffected,
}

impl Fate {
    /// Every fate, as the predict mode offers them.
    pub const ALL: [Fate; 10] = [
        Fate::Terminated,
        Fate::Core,
        Fate::Stopped,
        Fate::Continued,
        Fate::Handled,
        Fate::Ignored,
        Fate::Pending,
        Fate::Exited,
        Fate::Reaped,
        Fate::Unaffected,
    ];

    /// The name in JSON and answers.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Terminated => "terminated",
            Fate::Core => "core",
            Fate::Stopped => "stopped",
            Fate::Continued => "continued",
            Fate::Handled => "handled",
            Fate::Ignored => "ignored",
            Fate::Pending => "pending",
            Fate::Exited => "exited",
            Fate::Reaped => "reaped",
            Fate::Unaffected => "unaffected",
        }
    }

    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Fate::Terminated => "終了する（シグナルで）",
            Fate::Core => "終了してコアダンプ",
            Fate::Stopped => "停止する（T）",
            Fate::Continued => "再開する",
            Fate::Handled => "ハンドラが動き、処理を続ける",
            Fate::Ignored => "無視して何も起きない",
            Fate::Pending => "ブロック中で保留（pending）になる",
            Fate::Exited => "自分で exit する",
            Fate::Reaped => "親に回収される",
            Fate::Unaffected => "届かない（影響なし）",
        }
    }

    /// The fate with this name, if any.
    pub fn from_name(name: &str) -> Option<Fate> {
        Fate::ALL.into_iter().find(|f| f.name() == name.trim())
    }
}

/// What happened to one process at a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The process.
    pub pid: u32,
    /// What happened.
    pub fate: Fate,
}

/// One step: what the user (or a process) does, who gets which signal, and every process after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What is done, without its outcome (`Ctrl-C を押す`).
    pub action: String,
    /// The signal sent, if any.
    pub signal: Option<Sig>,
    /// Its number on x86.
    pub signo: Option<u8>,
    /// Who sends it (the terminal driver, bash's kill, the kernel).
    pub sender: Option<String>,
    /// The PIDs it is sent to.
    pub targets: Vec<u32>,
    /// What happened to each process (every process, `unaffected` included).
    pub deliveries: Vec<Delivery>,
    /// The terminal's foreground process group after the step.
    pub foreground: u32,
    /// Why, in Japanese.
    pub explain: String,
    /// Where the rules are written.
    pub source: String,
    /// Every process after the step.
    pub processes: Vec<Proc>,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signals {
    /// The scenario.
    pub scenario: Scenario,
    /// The disposition the program under test has.
    pub handler: Handler,
    /// The PID of that program.
    pub program: u32,
    /// The signal `handler` applies to.
    pub handler_signal: Sig,
    /// The processes before the first step.
    pub initial: Vec<Proc>,
    /// The foreground process group before the first step.
    pub initial_foreground: u32,
    /// The steps.
    pub steps: Vec<Step>,
    /// The disposition table (signal(7)).
    pub table: Vec<SigRow>,
}
