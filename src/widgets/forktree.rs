//! W3: the fork/exec process tree model.
//!
//! It owns the rules of the process tree (facts.md §10 and W3): what fork, execve, exit and
//! wait do to it ([`apply`]), and the scenarios the widget steps through — bash running `ls`,
//! the `fork()` loop, the shell pipeline of W8, an orphan adopted by init or a subreaper, and
//! seeded random trees in the style of OSTEP's `fork.py`. PID 1 (init) is implicit: it is never
//! in a process list, and a process whose `ppid` is 1 hangs under it.

use serde::{Deserialize, Serialize};

use super::rng::Rng;
use super::{ParamError, query_bool, query_choice, query_u64};

/// First PID the scenarios use (the shell or the first program).
pub const FIRST_PID: u32 = 100;
/// init's PID: the default adopter of orphans.
pub const INIT_PID: u32 = 1;
/// Smallest and largest `n` for the fork loop.
pub const N_RANGE: (u64, u64) = (1, 6);
/// Smallest and largest number of random actions.
pub const ACTIONS_RANGE: (u64, u64) = (1, 30);
/// Largest fork share in percent.
pub const FORK_SHARE_MAX: u64 = 100;

/// The C program of the fork-loop scenario; `code_line` counts its lines from 1.
pub const FORK_LOOP_CODE: &str = "#include <unistd.h>

int main(void)
{
    int i;
    for (i = 0; i < N; i++)
        fork();
    return 0;
}
";
/// The line of [`FORK_LOOP_CODE`] that calls fork().
const FORK_LOOP_FORK_LINE: u32 = 7;

/// A process's lifecycle as the tree shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcState {
    /// Alive (running, runnable or sleeping: the tree does not distinguish).
    Running,
    /// Exited but not yet waited for (ps `Z`, `<defunct>`).
    Zombie,
    /// Reaped and gone; kept in the list only so the page can show it faded.
    Exited,
}

/// One process in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// Its PID.
    pub pid: u32,
    /// Its parent's PID (1 = init, which is not in the list).
    pub ppid: u32,
    /// The program it runs (a fork.py letter in the random scenario).
    pub program: String,
    /// Alive, zombie or reaped.
    pub state: ProcState,
}

/// One system call that changes the tree; the input of [`apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// `parent` calls fork(): one new child with the next free PID, running the same program.
    Fork {
        /// The calling process.
        parent: u32,
    },
    /// `pid` calls execve(): same PID, new program.
    Exec {
        /// The calling process.
        pid: u32,
        /// The new program.
        program: String,
    },
    /// `pid` exits: it becomes a zombie until its parent waits; its children are re-parented.
    Exit {
        /// The exiting process.
        pid: u32,
        /// A process that called prctl(PR_SET_CHILD_SUBREAPER). Orphans go to it when it is a
        /// live ancestor of `pid`, otherwise to init (PID 1), which reaps zombies at once.
        #[serde(default)]
        subreaper: Option<u32>,
    },
    /// `pid` calls wait(): reaps one zombie child (the lowest PID), or blocks, or fails.
    Wait {
        /// The calling process.
        pid: u32,
    },
}

/// What a step of a scenario does (the JSON `action`); the last four leave the tree alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// fork()
    Fork,
    /// execve()
    Exec,
    /// exit()
    Exit,
    /// wait()/wait4()
    Wait,
    /// A signal is delivered (SIGCHLD).
    Signal,
    /// pipe()
    Pipe,
    /// dup2()
    Dup2,
    /// close()
    Close,
}

/// A value a system call returned to one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Return {
    /// The process the value was returned in.
    pub pid: u32,
    /// The return value (a PID, 0, an fd, or −1).
    pub value: i64,
}

/// One step of a scenario and the tree after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForkStep {
    /// What happens.
    pub action: StepKind,
    /// The process that makes the call (or receives the signal).
    pub pid: u32,
    /// The child concerned: created by fork, reaped by wait, or the exited child of SIGCHLD.
    pub child: Option<u32>,
    /// The new program of an exec.
    pub program: Option<String>,
    /// What happens and why, in Japanese.
    pub description: String,
    /// Line of `code` being executed, from 1 (fork-loop only).
    pub code_line: Option<u32>,
    /// The loop variable `i` at this fork (fork-loop only).
    pub i: Option<u32>,
    /// What the call returned, in which process; empty while it has not returned.
    pub returns: Vec<Return>,
    /// The process list after this step.
    pub processes: Vec<Process>,
}

/// The scenarios of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// bash (PID 100) runs `ls`.
    BashLs,
    /// `for (i = 0; i < N; i++) fork();`
    ForkLoop,
    /// `cat /var/log/messages | grep Error`
    Pipeline,
    /// A background job outlives its shell and is adopted (by init or a subreaper).
    Orphan,
    /// Seeded random forks and exits, as in OSTEP's fork.py.
    Random,
}

impl Scenario {
    /// Every scenario, in display order.
    pub const ALL: [Scenario; 5] = [
        Scenario::BashLs,
        Scenario::ForkLoop,
        Scenario::Pipeline,
        Scenario::Orphan,
        Scenario::Random,
    ];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::BashLs => "bash-ls",
            Scenario::ForkLoop => "fork-loop",
            Scenario::Pipeline => "pipeline",
            Scenario::Orphan => "orphan",
            Scenario::Random => "random",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::BashLs => "bash が ls を実行する",
            Scenario::ForkLoop => "ループの中の fork()",
            Scenario::Pipeline => "パイプライン cat | grep",
            Scenario::Orphan => "孤児プロセスの引き取り",
            Scenario::Random => "ランダムな fork と exit",
        }
    }
}

/// Parameters of one run. Only the fields a scenario uses matter: `n` for fork-loop; `seed`,
/// `actions` and `fork_share` for random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The scenario.
    pub scenario: Scenario,
    /// Loop count of fork-loop, 1–6.
    pub n: u32,
    /// Seed of the random scenario.
    pub seed: u64,
    /// Number of forks and exits in the random scenario, 1–30.
    pub actions: u32,
    /// Share of random actions that are forks, in percent, 0–100.
    pub fork_share: u32,
    /// The shell (or root process) is a child subreaper, so orphans go to it, not PID 1.
    pub subreaper: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::BashLs,
            n: 3,
            seed: 0,
            actions: 5,
            fork_share: 70,
            subreaper: false,
        }
    }
}

/// Reads `scenario`, `n`, `seed`, `actions`, `fork_share` and `subreaper` from query pairs;
/// missing keys take the defaults (bash-ls, 3, 0, 5, 70, false), unknown keys are ignored, a
/// value out of range is a [`ParamError`].
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let d = Params::default();
    // The bounds keep every value inside u32, so the conversions below cannot fail.
    let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            d.scenario,
            &Scenario::ALL,
            Scenario::name,
        )?,
        n: small(query_u64(pairs, "n", d.n.into(), N_RANGE.0, N_RANGE.1)?),
        seed: query_u64(pairs, "seed", d.seed, 0, u64::MAX)?,
        actions: small(query_u64(
            pairs,
            "actions",
            d.actions.into(),
            ACTIONS_RANGE.0,
            ACTIONS_RANGE.1,
        )?),
        fork_share: small(query_u64(
            pairs,
            "fork_share",
            d.fork_share.into(),
            0,
            FORK_SHARE_MAX,
        )?),
        subreaper: query_bool(pairs, "subreaper", d.subreaper)?,
    })
}

/// A whole scenario as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForkTree {
    /// The scenario.
    pub scenario: Scenario,
    /// The program or command line being run, if the scenario has one.
    pub code: Option<String>,
    /// The process list before the first step.
    pub initial: Vec<Process>,
    /// The steps in order.
    pub steps: Vec<ForkStep>,
    /// The process list at the end.
    pub processes: Vec<Process>,
}

impl ForkTree {
    /// Each step as the call alone — who calls what, e.g. 「a (PID 100) が fork()（子は b, PID 101）」 —
    /// with none of the narration of `description` (what the call did to the tree, what it
    /// returned, who reaps whom). Quiz prompts list these, so they ask without answering.
    pub fn calls(&self) -> Vec<String> {
        let name = |pid: u32| -> String {
            if pid == INIT_PID {
                return "init (PID 1)".to_owned();
            }
            self.steps
                .iter()
                .flat_map(|s| s.processes.iter())
                .chain(self.initial.iter())
                .find(|p| p.pid == pid)
                .map_or_else(
                    || format!("PID {pid}"),
                    |p| format!("{} (PID {pid})", p.program),
                )
        };
        self.steps
            .iter()
            .map(|s| {
                let who = name(s.pid);
                match s.action {
                    StepKind::Fork => match s.child {
                        Some(child) => {
                            let child_name = name(child);
                            format!("{who} が fork()（子は {child_name}）")
                        }
                        None => format!("{who} が fork()"),
                    },
                    StepKind::Exec => format!(
                        "{who} が execve(\"{}\")",
                        s.program.as_deref().unwrap_or("?")
                    ),
                    StepKind::Exit => format!("{who} が exit()"),
                    StepKind::Wait => format!("{who} が wait()"),
                    StepKind::Signal => format!("{who} に SIGCHLD"),
                    StepKind::Pipe => format!("{who} が pipe()"),
                    StepKind::Dup2 => format!("{who} が dup2()"),
                    StepKind::Close => format!("{who} が close()"),
                }
            })
            .collect()
    }
}

/// What a call did, beyond the new list: the material for a step's description.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Forked {
        child: u32,
    },
    Execed {
        old: String,
    },
    Exited {
        /// The parent is init, which reaped it at once.
        reaped_by_init: bool,
        /// Children handed to `new_parent`.
        adopted: Vec<u32>,
        new_parent: u32,
        /// Adopted zombies init reaped at once.
        init_reaped: Vec<u32>,
    },
    Reaped {
        child: u32,
    },
    Blocked {
        children: Vec<u32>,
    },
    NoChildren,
}

/// The live process `pid`, or an error saying why it cannot make a system call.
fn live<'a>(processes: &'a [Process], pid: u32, call: &str) -> Result<&'a Process, ParamError> {
    let Some(p) = processes.iter().find(|p| p.pid == pid) else {
        return Err(ParamError(format!(
            "PID {pid} のプロセスはありません（{call} を呼べるのは今いるプロセスだけ）"
        )));
    };
    match p.state {
        ProcState::Running => Ok(p),
        ProcState::Zombie => Err(ParamError(format!(
            "PID {pid} はすでに終了したゾンビなので {call} を呼べません"
        ))),
        ProcState::Exited => Err(ParamError(format!(
            "PID {pid} はすでに回収されて存在しないので {call} を呼べません"
        ))),
    }
}

/// Whether `ancestor` is above `pid` in the tree.
fn is_ancestor(processes: &[Process], ancestor: u32, pid: u32) -> bool {
    let mut cur = pid;
    // A list from outside could contain a cycle; a chain never needs more hops than entries.
    for _ in 0..=processes.len() {
        let Some(p) = processes.iter().find(|p| p.pid == cur) else {
            return false;
        };
        if p.ppid == ancestor {
            return true;
        }
        cur = p.ppid;
    }
    false
}

/// The rules engine behind [`apply`], also reporting what happened.
fn run(processes: &[Process], action: &Action) -> Result<(Vec<Process>, Effect), ParamError> {
    let mut next = processes.to_vec();
    match action {
        Action::Fork { parent } => {
            let p = live(processes, *parent, "fork()")?;
            // Next free PID: PIDs are handed out in increasing order and not reused soon, so
            // reaped (exited) entries still count.
            let child = processes.iter().map(|p| p.pid).max().unwrap_or(*parent) + 1;
            next.push(Process {
                pid: child,
                ppid: *parent,
                program: p.program.clone(),
                state: ProcState::Running,
            });
            Ok((next, Effect::Forked { child }))
        }
        Action::Exec { pid, program } => {
            live(processes, *pid, "execve()")?;
            if program.trim().is_empty() {
                return Err(ParamError("execve() するプログラム名が空です".to_owned()));
            }
            let mut old = String::new();
            for p in next.iter_mut().filter(|p| p.pid == *pid) {
                old = std::mem::replace(&mut p.program, program.clone());
            }
            Ok((next, Effect::Execed { old }))
        }
        Action::Exit { pid, subreaper } => {
            let me = live(processes, *pid, "exit()")?;
            let new_parent = match subreaper {
                Some(s)
                    if is_ancestor(processes, *s, *pid)
                        && processes
                            .iter()
                            .any(|p| p.pid == *s && p.state == ProcState::Running) =>
                {
                    *s
                }
                _ => INIT_PID,
            };
            let reaped_by_init = me.ppid == INIT_PID;
            let mut adopted = Vec::new();
            let mut init_reaped = Vec::new();
            for p in next.iter_mut() {
                if p.pid == *pid {
                    // init waits for its children at once; anyone else leaves a zombie.
                    p.state = if reaped_by_init {
                        ProcState::Exited
                    } else {
                        ProcState::Zombie
                    };
                } else if p.ppid == *pid && p.state != ProcState::Exited {
                    p.ppid = new_parent;
                    adopted.push(p.pid);
                    if new_parent == INIT_PID && p.state == ProcState::Zombie {
                        p.state = ProcState::Exited;
                        init_reaped.push(p.pid);
                    }
                }
            }
            Ok((
                next,
                Effect::Exited {
                    reaped_by_init,
                    adopted,
                    new_parent,
                    init_reaped,
                },
            ))
        }
        Action::Wait { pid } => {
            live(processes, *pid, "wait()")?;
            let zombie = processes
                .iter()
                .filter(|p| p.ppid == *pid && p.state == ProcState::Zombie)
                .map(|p| p.pid)
                .min();
            if let Some(child) = zombie {
                for p in next.iter_mut().filter(|p| p.pid == child) {
                    p.state = ProcState::Exited;
                }
                return Ok((next, Effect::Reaped { child }));
            }
            let children: Vec<u32> = processes
                .iter()
                .filter(|p| p.ppid == *pid && p.state == ProcState::Running)
                .map(|p| p.pid)
                .collect();
            if children.is_empty() {
                Ok((next, Effect::NoChildren))
            } else {
                Ok((next, Effect::Blocked { children }))
            }
        }
    }
}

/// Applies one system call to a process list and returns the new list; the rules engine the
/// scenarios use and graded "build the tree" exercises check against. A call by a process that
/// does not exist, is a zombie or was reaped is a [`ParamError`]. A wait with nothing to reap
/// leaves the list unchanged (the caller blocks, or gets ECHILD when it has no children).
pub fn apply(processes: &[Process], action: &Action) -> Result<Vec<Process>, ParamError> {
    run(processes, action).map(|(next, _)| next)
}

/// Whether two lists describe the same live tree: the same (pid, ppid, program, state) for
/// every process that has not been reaped, in any order.
pub fn same_tree(a: &[Process], b: &[Process]) -> bool {
    fn key(list: &[Process]) -> Vec<(u32, u32, &str, ProcState)> {
        let mut v: Vec<_> = list
            .iter()
            .filter(|p| p.state != ProcState::Exited)
            .map(|p| (p.pid, p.ppid, p.program.as_str(), p.state))
            .collect();
        v.sort_unstable();
        v
    }
    key(a) == key(b)
}

/// Runs the scenario in `p`. Numbers outside the documented bounds are clamped into them, so
/// a hand-built `Params` cannot ask for 2^1000 processes; use [`params_from_query`] to reject them.
pub fn simulate(p: &Params) -> ForkTree {
    let subreaper = p.subreaper.then_some(FIRST_PID);
    match p.scenario {
        Scenario::BashLs => bash_ls(subreaper),
        Scenario::ForkLoop => fork_loop(p.n.clamp(1, 6)),
        Scenario::Pipeline => pipeline(subreaper),
        Scenario::Orphan => orphan(subreaper),
        Scenario::Random => random(
            p.seed,
            p.actions.clamp(1, 30),
            p.fork_share.min(100),
            subreaper,
        ),
    }
}

/// A scenario being written: the current list and the steps so far.
struct Sim {
    scenario: Scenario,
    code: Option<String>,
    initial: Vec<Process>,
    procs: Vec<Process>,
    steps: Vec<ForkStep>,
}

impl Sim {
    fn new(scenario: Scenario, code: Option<String>, root: &str) -> Sim {
        let initial = vec![Process {
            pid: FIRST_PID,
            ppid: INIT_PID,
            program: root.to_owned(),
            state: ProcState::Running,
        }];
        Sim {
            scenario,
            code,
            initial: initial.clone(),
            procs: initial,
            steps: Vec::new(),
        }
    }

    fn name(&self, pid: u32) -> String {
        match self.procs.iter().find(|p| p.pid == pid) {
            Some(p) => format!("{} (PID {pid})", p.program),
            None if pid == INIT_PID => "init (PID 1)".to_owned(),
            None => format!("PID {pid}"),
        }
    }

    /// Applies `action` through the rules engine and records the step, with a generated
    /// description followed by `extra`. Returns the effect for callers that need the child.
    fn act(
        &mut self,
        action: Action,
        extra: &str,
        code_line: Option<u32>,
        i: Option<u32>,
    ) -> Effect {
        let before = self.procs.clone();
        let (after, effect) = match run(&before, &action) {
            Ok(r) => r,
            // The scenarios only make legal calls (their tests replay them); if one ever did
            // not, a step showing the broken rule beats aborting the page.
            Err(e) => {
                let (kind, pid) = match &action {
                    Action::Fork { parent } => (StepKind::Fork, *parent),
                    Action::Exec { pid, .. } => (StepKind::Exec, *pid),
                    Action::Exit { pid, .. } => (StepKind::Exit, *pid),
                    Action::Wait { pid } => (StepKind::Wait, *pid),
                };
                self.push_raw(kind, pid, None, None, e.0, vec![]);
                return Effect::NoChildren;
            }
        };
        self.procs = after;
        let (kind, pid, child, program, mut text, returns) = describe(&before, &action, &effect);
        // Japanese sentences run on without a space after 。
        text.push_str(extra);
        self.steps.push(ForkStep {
            action: kind,
            pid,
            child,
            program,
            description: text,
            code_line,
            i,
            returns,
            processes: self.procs.clone(),
        });
        effect
    }

    /// Records a step that does not change the tree (signal, pipe, dup2, close).
    fn push_raw(
        &mut self,
        kind: StepKind,
        pid: u32,
        child: Option<u32>,
        program: Option<String>,
        description: String,
        returns: Vec<Return>,
    ) {
        self.steps.push(ForkStep {
            action: kind,
            pid,
            child,
            program,
            description,
            code_line: None,
            i: None,
            returns,
            processes: self.procs.clone(),
        });
    }

    /// SIGCHLD from `child` to its parent `pid`.
    fn sigchld(&mut self, pid: u32, child: u32, extra: &str) {
        let text = format!(
            "子 PID {child} が終了したので、カーネルが親の {} に SIGCHLD を送る。既定の動作 (SIG_DFL) は無視で、wait() で眠っている親を起こすのはこのシグナルではなく子の終了そのもの。明示的に SIG_IGN にした場合は違い、子はゾンビにならずに消え、wait() は ECHILD で失敗する (wait(2))。{extra}",
            self.name(pid)
        );
        self.push_raw(StepKind::Signal, pid, Some(child), None, text, vec![]);
    }

    fn finish(self) -> ForkTree {
        ForkTree {
            scenario: self.scenario,
            code: self.code,
            initial: self.initial,
            steps: self.steps,
            processes: self.procs,
        }
    }
}

/// "PID 101, 102" for a list of PIDs.
fn pid_list(pids: &[u32]) -> String {
    let v: Vec<String> = pids.iter().map(u32::to_string).collect();
    format!("PID {}", v.join(", "))
}

type Described = (
    StepKind,
    u32,
    Option<u32>,
    Option<String>,
    String,
    Vec<Return>,
);

/// The step fields for an applied action: kind, caller, child, program, description, returns.
fn describe(before: &[Process], action: &Action, effect: &Effect) -> Described {
    let prog = |pid: u32| {
        before
            .iter()
            .find(|p| p.pid == pid)
            .map_or_else(|| "?".to_owned(), |p| p.program.clone())
    };
    let who = |pid: u32| format!("{} (PID {pid})", prog(pid));
    match (action, effect) {
        (Action::Fork { parent }, Effect::Forked { child }) => (
            StepKind::Fork,
            *parent,
            Some(*child),
            None,
            format!(
                "{} が fork() し、新しいプロセスがちょうど 1 つ、子 PID {child} としてできる。子は親のコピーで同じ {} を実行している（メモリはコピーオンライトで、書き込まれたページだけが複製される）。fork() は親に子の PID {child} を、子に 0 を返す。",
                who(*parent),
                prog(*parent)
            ),
            vec![
                Return {
                    pid: *parent,
                    value: (*child).into(),
                },
                Return {
                    pid: *child,
                    value: 0,
                },
            ],
        ),
        (Action::Exec { pid, program }, Effect::Execed { old }) => (
            StepKind::Exec,
            *pid,
            None,
            Some(program.clone()),
            format!(
                "PID {pid} が execve() で {old} のプログラムを {program} に丸ごと置き換える。新しいプロセスは作られず、PID は {pid} のまま。開いているファイル記述子も (close-on-exec を除き) そのまま残る。成功した execve() は戻らない。"
            ),
            vec![],
        ),
        (
            Action::Exit { pid, .. },
            Effect::Exited {
                reaped_by_init,
                adopted,
                new_parent,
                init_reaped,
            },
        ) => {
            let mut text = format!("{} が終了する。", who(*pid));
            if *reaped_by_init {
                text.push_str(
                    "親は init (PID 1) なので、すぐに wait して回収し、ゾンビは残らない。",
                );
            } else {
                let ppid = before.iter().find(|p| p.pid == *pid).map_or(0, |p| p.ppid);
                text.push_str(&format!(
                    "親の {} が wait() で回収するまで、終了ステータスを持ったゾンビ (ps の Z, <defunct>) として残る。",
                    who(ppid)
                ));
            }
            if !adopted.is_empty() {
                let adopter = if *new_parent == INIT_PID {
                    "init (PID 1)".to_owned()
                } else {
                    format!(
                        "子サブリーパー (prctl PR_SET_CHILD_SUBREAPER) の {}",
                        who(*new_parent)
                    )
                };
                text.push_str(&format!(
                    "残された子 {} は孤児になり、{adopter} に引き取られる (親が付け替わる)。",
                    pid_list(adopted)
                ));
                if !init_reaped.is_empty() {
                    text.push_str(&format!(
                        "そのうちゾンビだった {} は init がすぐに回収する。",
                        pid_list(init_reaped)
                    ));
                }
            }
            (StepKind::Exit, *pid, None, None, text, vec![])
        }
        (Action::Wait { pid }, Effect::Reaped { child }) => (
            StepKind::Wait,
            *pid,
            Some(*child),
            None,
            format!(
                "{} の wait() がゾンビの子 PID {child} を回収し、子の PID {child} を返す。PID {child} はここで本当に消える。",
                who(*pid)
            ),
            vec![Return {
                pid: *pid,
                value: (*child).into(),
            }],
        ),
        (Action::Wait { pid }, Effect::Blocked { children }) => (
            StepKind::Wait,
            *pid,
            None,
            None,
            format!(
                "{} が wait() を呼ぶ。回収できるゾンビの子はまだ無いので、子 ({}) のどれかが終了するまで眠って待つ (ブロックする)。",
                who(*pid),
                pid_list(children)
            ),
            vec![],
        ),
        (Action::Wait { pid }, _) => (
            StepKind::Wait,
            *pid,
            None,
            None,
            format!(
                "{} が wait() を呼ぶが、子が 1 つも無いので回収するものは無く、すぐに -1 (ECHILD) が返る。",
                who(*pid)
            ),
            vec![Return {
                pid: *pid,
                value: -1,
            }],
        ),
        // `run` pairs each action with its own effect; these arms only satisfy the compiler.
        (Action::Fork { parent }, _) => {
            (StepKind::Fork, *parent, None, None, String::new(), vec![])
        }
        (Action::Exec { pid, .. }, _) => (StepKind::Exec, *pid, None, None, String::new(), vec![]),
        (Action::Exit { pid, .. }, _) => (StepKind::Exit, *pid, None, None, String::new(), vec![]),
    }
}

fn bash_ls(subreaper: Option<u32>) -> ForkTree {
    let mut s = Sim::new(Scenario::BashLs, Some("ls".to_owned()), "bash");
    let bash = FIRST_PID;
    let child = bash + 1;
    s.act(
        Action::Fork { parent: bash },
        "ノートの図のように bash が A′ と A″ の 2 つに分かれるのではない。親は bash (PID 100、ノートの A) のまま残り、作られるコピーは子の 1 つだけ。",
        None,
        None,
    );
    s.act(
        Action::Exec {
            pid: child,
            program: "ls".to_owned(),
        },
        "子が実行するのは /usr/bin/ls（cd と違い ls は外部コマンドなのでプロセスが要る）。",
        None,
        None,
    );
    s.act(
        Action::Wait { pid: bash },
        "bash は wait4() でフォアグラウンドのコマンドの終了を待つ。",
        None,
        None,
    );
    s.act(
        Action::Exit {
            pid: child,
            subreaper,
        },
        "ls は一覧を表示し終えて exit する。",
        None,
        None,
    );
    s.sigchld(bash, child, "");
    s.act(
        Action::Wait { pid: bash },
        "眠っていた wait4() が戻り、bash は次のプロンプトを出す。この間に同時に存在したプロセスは最大 2 つ (bash と子)、新しく作られたのは 1 つだけ。",
        None,
        None,
    );
    s.finish()
}

fn fork_loop(n: u32) -> ForkTree {
    let code = FORK_LOOP_CODE.replace("i < N", &format!("i < {n}"));
    let mut s = Sim::new(Scenario::ForkLoop, Some(code), "a.out");
    for i in 0..n {
        // Everyone alive when iteration i begins forks once in it; the children made now
        // return from fork() into i++ and join from iteration i+1.
        let mut alive: Vec<u32> = s
            .procs
            .iter()
            .filter(|p| p.state == ProcState::Running)
            .map(|p| p.pid)
            .collect();
        alive.sort_unstable();
        let count = alive.len();
        for pid in alive {
            let extra = format!(
                "i = {i} の反復: この時点で生きている {count} 個のプロセスがそれぞれ fork() する (PID 順に表示)。子は fork() から戻ると i++ に進むので、次の反復 i = {} から加わる。",
                i + 1
            );
            s.act(
                Action::Fork { parent: pid },
                &extra,
                Some(FORK_LOOP_FORK_LINE),
                Some(i),
            );
        }
    }
    let total = s.procs.len();
    if let Some(last) = s.steps.last_mut() {
        last.description.push_str(&format!(
            "ループが終わると、元の a.out を含めて 2^{n} = {total} 個のプロセスがあり、元のプロセスの子は {n} 個。"
        ));
    }
    s.finish()
}

fn pipeline(subreaper: Option<u32>) -> ForkTree {
    let mut s = Sim::new(
        Scenario::Pipeline,
        Some("cat /var/log/messages | grep Error".to_owned()),
        "bash",
    );
    let bash = FIRST_PID;
    let (cat, grep) = (bash + 1, bash + 2);
    s.push_raw(
        StepKind::Pipe,
        bash,
        None,
        None,
        "bash (PID 100) が pipe() を呼び、読み口 fd 3 と書き口 fd 4 を持つパイプを作る。パイプはカーネル内の一方向のバッファ (既定 65,536 バイト) で、cat と grep のプロセス間通信に使う。".to_owned(),
        vec![Return {
            pid: bash,
            value: 0,
        }],
    );
    s.act(
        Action::Fork { parent: bash },
        "子は親の fd 3 と fd 4 も引き継ぐ。",
        None,
        None,
    );
    s.push_raw(
        StepKind::Dup2,
        cat,
        None,
        None,
        "子 PID 101 が dup2(4, 1) で標準出力 (fd 1) をパイプの書き口につなぎ、もう使わない fd 3 と fd 4 を閉じる。".to_owned(),
        vec![Return {
            pid: cat,
            value: 1,
        }],
    );
    s.act(
        Action::Exec {
            pid: cat,
            program: "cat".to_owned(),
        },
        "fd は exec を越えて残るので、cat の標準出力はパイプのまま。",
        None,
        None,
    );
    s.act(
        Action::Fork { parent: bash },
        "2 つ目の子も fd 3 と fd 4 を引き継ぐ。",
        None,
        None,
    );
    s.push_raw(
        StepKind::Dup2,
        grep,
        None,
        None,
        "子 PID 102 が dup2(3, 0) で標準入力 (fd 0) をパイプの読み口につなぎ、fd 3 と fd 4 を閉じる。".to_owned(),
        vec![Return {
            pid: grep,
            value: 0,
        }],
    );
    s.act(
        Action::Exec {
            pid: grep,
            program: "grep".to_owned(),
        },
        "cat と grep は同時に動く。パイプが満杯になると cat の write はブロックし、空なら grep の read がブロックする。",
        None,
        None,
    );
    s.push_raw(
        StepKind::Close,
        bash,
        None,
        None,
        "bash が自分の fd 3 と fd 4 を閉じる。書き口が 1 つでも開いていると grep はいつまでも EOF を受け取れないので、親も閉じる必要がある。".to_owned(),
        vec![
            Return {
                pid: bash,
                value: 0,
            },
            Return {
                pid: bash,
                value: 0,
            },
        ],
    );
    s.act(
        Action::Exit {
            pid: cat,
            subreaper,
        },
        "cat がファイルを書き終えて終了する。これで書き口がすべて閉じたので、grep は残りを読み切った後に EOF を受け取る (grep が先に終わっていたら、cat は書き込みで SIGPIPE を受けていた)。",
        None,
        None,
    );
    s.sigchld(bash, cat, "");
    s.act(
        Action::Exit {
            pid: grep,
            subreaper,
        },
        "grep は EOF で終了する。パイプライン全体の終了ステータスは grep のもの (bash で pipefail を設定していない場合)。",
        None,
        None,
    );
    s.sigchld(bash, grep, "");
    s.act(Action::Wait { pid: bash }, "", None, None);
    s.act(
        Action::Wait { pid: bash },
        "bash は 2 つの子を両方待ってから次のプロンプトを出す。",
        None,
        None,
    );
    s.finish()
}

fn orphan(subreaper: Option<u32>) -> ForkTree {
    let mut s = Sim::new(
        Scenario::Orphan,
        Some("sh -c 'sleep 100 &'".to_owned()),
        "bash",
    );
    let bash = FIRST_PID;
    let (sh, sleep) = (bash + 1, bash + 2);
    let first = if subreaper.is_some() {
        "bash はあらかじめ prctl(PR_SET_CHILD_SUBREAPER) で子サブリーパーになっている。"
    } else {
        ""
    };
    s.act(Action::Fork { parent: bash }, first, None, None);
    s.act(
        Action::Exec {
            pid: sh,
            program: "sh".to_owned(),
        },
        "",
        None,
        None,
    );
    s.act(
        Action::Fork { parent: sh },
        "& を付けたコマンドなので、sh はこの子を待たない。",
        None,
        None,
    );
    s.act(
        Action::Exec {
            pid: sleep,
            program: "sleep".to_owned(),
        },
        "",
        None,
        None,
    );
    s.act(
        Action::Exit { pid: sh, subreaper },
        "sh はバックグラウンドの sleep を残したまま先に終了する。",
        None,
        None,
    );
    s.sigchld(bash, sh, "");
    s.act(Action::Wait { pid: bash }, "", None, None);
    let adopter = s
        .procs
        .iter()
        .find(|p| p.pid == sleep)
        .map_or(INIT_PID, |p| p.ppid);
    s.act(
        Action::Exit {
            pid: sleep,
            subreaper,
        },
        "孤児だった sleep も 100 秒後に終了する。",
        None,
        None,
    );
    if adopter != INIT_PID {
        s.sigchld(
            adopter,
            sleep,
            "引き取った子サブリーパーが親なので、SIGCHLD も bash に届く。",
        );
        s.act(
            Action::Wait { pid: adopter },
            "子サブリーパーは引き取った子を自分で回収しなければならない。回収しなければゾンビが残る。",
            None,
            None,
        );
    }
    s.finish()
}

/// fork.py's names: a, b, …, z, aa, ab, …
fn letter_name(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        // `index % 26` is below 26, so the byte stays within 'a'..='z'.
        out.push(b'a' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn random(seed: u64, actions: u32, fork_share: u32, subreaper: Option<u32>) -> ForkTree {
    let mut rng = Rng::new(seed);
    let mut s = Sim::new(Scenario::Random, None, "a");
    let mut created = 1usize;
    for _ in 0..actions {
        let running: Vec<u32> = s
            .procs
            .iter()
            .filter(|p| p.state == ProcState::Running)
            .map(|p| p.pid)
            .collect();
        // Leaves: live processes other than the root with no child still in the tree.
        let leaves: Vec<u32> = running
            .iter()
            .copied()
            .filter(|&pid| {
                pid != FIRST_PID
                    && !s
                        .procs
                        .iter()
                        .any(|c| c.ppid == pid && c.state != ProcState::Exited)
            })
            .collect();
        // Always draw, so one action consumes the same randomness whatever the tree looks like.
        let roll = rng.below(100);
        let fork = leaves.is_empty() || roll < u64::from(fork_share);
        if fork {
            let parent = pick(&mut rng, &running);
            let name = letter_name(created);
            created += 1;
            let parent_name = s.name(parent);
            let effect = s.act(Action::Fork { parent }, "", None, None);
            if let Effect::Forked { child } = effect {
                // fork.py names each process by a letter, so the copy gets its own name.
                for p in s.procs.iter_mut().filter(|p| p.pid == child) {
                    p.program = name.clone();
                }
                if let Some(step) = s.steps.last_mut() {
                    for p in step.processes.iter_mut().filter(|p| p.pid == child) {
                        p.program = name.clone();
                    }
                    step.description = format!(
                        "{parent_name} が fork() し、{name} (PID {child}) ができる。fork() は親に {child}、子に 0 を返す。（fork.py と同じく、プロセスを作られた順に a, b, c … と名付けている）"
                    );
                }
            }
        } else {
            let leaf = pick(&mut rng, &leaves);
            let parent = s
                .procs
                .iter()
                .find(|p| p.pid == leaf)
                .map_or(INIT_PID, |p| p.ppid);
            s.act(
                Action::Exit {
                    pid: leaf,
                    subreaper,
                },
                "親には SIGCHLD が届く。",
                None,
                None,
            );
            s.act(Action::Wait { pid: parent }, "", None, None);
        }
    }
    s.finish()
}

/// A uniform pick from a non-empty list (the root when it is empty, which callers rule out).
fn pick(rng: &mut Rng, pids: &[u32]) -> u32 {
    let len = u64::try_from(pids.len()).unwrap_or(u64::MAX);
    let i = usize::try_from(rng.below(len)).unwrap_or(0);
    pids.get(i).copied().unwrap_or(FIRST_PID)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: u32, ppid: u32, program: &str, state: ProcState) -> Process {
        Process {
            pid,
            ppid,
            program: program.to_owned(),
            state,
        }
    }

    fn run_scenario(scenario: Scenario) -> ForkTree {
        simulate(&Params {
            scenario,
            ..Params::default()
        })
    }

    fn alive(list: &[Process]) -> usize {
        list.iter().filter(|p| p.state != ProcState::Exited).count()
    }

    #[test]
    fn fork_loop_gives_2_to_the_n() {
        for n in 1..=6u32 {
            let t = simulate(&Params {
                scenario: Scenario::ForkLoop,
                n,
                ..Params::default()
            });
            assert_eq!(t.processes.len(), 1 << n, "n={n}");
            let original_children = t.processes.iter().filter(|p| p.ppid == FIRST_PID).count();
            assert_eq!(original_children, n as usize, "n={n}");
            assert!(t.processes.iter().all(|p| p.program == "a.out"));
            assert_eq!(t.steps.len(), (1 << n) - 1);
            assert!(t.steps.iter().all(|s| s.code_line == Some(7)));
            assert!(t.code.as_deref().unwrap().contains(&format!("i < {n}")));
        }
        let t = simulate(&Params {
            scenario: Scenario::ForkLoop,
            n: 3,
            ..Params::default()
        });
        let pids: Vec<u32> = t.processes.iter().map(|p| p.pid).collect();
        assert_eq!(pids, (100..=107).collect::<Vec<_>>());
        let per_step: Vec<(u32, Option<u32>, Option<u32>)> =
            t.steps.iter().map(|s| (s.pid, s.child, s.i)).collect();
        assert_eq!(
            per_step,
            vec![
                (100, Some(101), Some(0)),
                (100, Some(102), Some(1)),
                (101, Some(103), Some(1)),
                (100, Some(104), Some(2)),
                (101, Some(105), Some(2)),
                (102, Some(106), Some(2)),
                (103, Some(107), Some(2)),
            ]
        );
        assert_eq!(
            t.steps[0].returns,
            vec![
                Return {
                    pid: 100,
                    value: 101
                },
                Return { pid: 101, value: 0 }
            ]
        );
        let line = FORK_LOOP_CODE.lines().nth(6).unwrap();
        assert!(line.contains("fork();"), "{line}");
    }

    #[test]
    fn bash_ls_runs_ls_as_pid_101() {
        let t = run_scenario(Scenario::BashLs);
        let exec = t.steps.iter().find(|s| s.action == StepKind::Exec).unwrap();
        assert_eq!((exec.pid, exec.program.as_deref()), (101, Some("ls")));
        let ls = exec.processes.iter().find(|p| p.pid == 101).unwrap();
        assert_eq!((ls.program.as_str(), ls.ppid), ("ls", 100));
        // At most bash and one child ever exist; exactly one process is created.
        assert!(t.steps.iter().all(|s| alive(&s.processes) <= 2));
        assert_eq!(
            t.steps
                .iter()
                .filter(|s| s.action == StepKind::Fork)
                .count(),
            1
        );
        assert_eq!(t.processes.len(), 2);
        // Zombie before the wait that reaps it, gone after.
        let exit_i = t
            .steps
            .iter()
            .position(|s| s.action == StepKind::Exit)
            .unwrap();
        let reap_i = t
            .steps
            .iter()
            .rposition(|s| s.action == StepKind::Wait)
            .unwrap();
        assert!(exit_i < reap_i);
        for s in &t.steps[exit_i..reap_i] {
            let st = s.processes.iter().find(|p| p.pid == 101).unwrap().state;
            assert_eq!(st, ProcState::Zombie);
        }
        assert_eq!(t.steps[reap_i].child, Some(101));
        assert_eq!(
            t.steps[reap_i].returns,
            vec![Return {
                pid: 100,
                value: 101
            }]
        );
        let last = t.processes.iter().find(|p| p.pid == 101).unwrap();
        assert_eq!(last.state, ProcState::Exited);
        // The first wait blocks while ls still runs.
        let first_wait = t.steps.iter().find(|s| s.action == StepKind::Wait).unwrap();
        assert!(first_wait.returns.is_empty() && first_wait.description.contains("ブロック"));
        assert!(t.steps[0].description.contains("A′"));
        assert!(t.steps.iter().any(|s| s.action == StepKind::Signal));
    }

    #[test]
    fn exec_keeps_the_pid() {
        let list = vec![proc(100, 1, "bash", ProcState::Running)];
        let after = apply(
            &list,
            &Action::Exec {
                pid: 100,
                program: "vim".to_owned(),
            },
        )
        .unwrap();
        assert_eq!(after, vec![proc(100, 1, "vim", ProcState::Running)]);
    }

    #[test]
    fn orphans_go_to_init_which_reaps_them() {
        let list = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 100, "sh", ProcState::Running),
            proc(102, 101, "sleep", ProcState::Running),
            proc(103, 101, "true", ProcState::Zombie),
        ];
        let after = apply(
            &list,
            &Action::Exit {
                pid: 101,
                subreaper: None,
            },
        )
        .unwrap();
        let want = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 100, "sh", ProcState::Zombie),
            proc(102, 1, "sleep", ProcState::Running),
            proc(103, 1, "true", ProcState::Exited),
        ];
        assert_eq!(after, want);
        // Once adopted by init, the orphan's own exit is reaped at once.
        let after = apply(
            &after,
            &Action::Exit {
                pid: 102,
                subreaper: None,
            },
        )
        .unwrap();
        assert_eq!(after[2].state, ProcState::Exited);
    }

    #[test]
    fn orphans_go_to_the_subreaper() {
        let list = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 100, "sh", ProcState::Running),
            proc(102, 101, "sleep", ProcState::Running),
        ];
        let exit = |pid, subreaper| Action::Exit { pid, subreaper };
        let after = apply(&list, &exit(101, Some(100))).unwrap();
        assert_eq!(after[2], proc(102, 100, "sleep", ProcState::Running));
        // The adopted child's exit leaves a zombie for the subreaper to wait for.
        let after = apply(&after, &exit(102, Some(100))).unwrap();
        assert_eq!(after[2].state, ProcState::Zombie);
        // wait() reaps the lowest PID first: sh (101), then the adopted sleep (102).
        let after = apply(&after, &Action::Wait { pid: 100 }).unwrap();
        assert_eq!(
            (after[1].state, after[2].state),
            (ProcState::Exited, ProcState::Zombie)
        );
        let after = apply(&after, &Action::Wait { pid: 100 }).unwrap();
        assert_eq!(after[2].state, ProcState::Exited);
        // A subreaper that is not an ancestor does not adopt.
        let list = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 1, "sh", ProcState::Running),
            proc(102, 101, "sleep", ProcState::Running),
        ];
        let after = apply(&list, &exit(101, Some(100))).unwrap();
        assert_eq!(after[2].ppid, 1);

        let t = simulate(&Params {
            scenario: Scenario::Orphan,
            subreaper: true,
            ..Params::default()
        });
        assert!(
            t.processes
                .iter()
                .all(|p| p.pid == 100 || p.state == ProcState::Exited)
        );
        assert!(
            t.processes
                .iter()
                .find(|p| p.pid == 102)
                .is_some_and(|p| p.ppid == 100)
        );
        let t = run_scenario(Scenario::Orphan);
        assert!(
            t.processes
                .iter()
                .find(|p| p.pid == 102)
                .is_some_and(|p| p.ppid == 1)
        );
    }

    #[test]
    fn wait_without_a_zombie_child() {
        let list = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 100, "ls", ProcState::Running),
        ];
        // A running child: wait blocks, nothing changes.
        assert_eq!(apply(&list, &Action::Wait { pid: 100 }).unwrap(), list);
        // No children at all: ECHILD, nothing changes.
        assert_eq!(apply(&list, &Action::Wait { pid: 101 }).unwrap(), list);
        let (_, effect) = run(&list, &Action::Wait { pid: 101 }).unwrap();
        assert_eq!(effect, Effect::NoChildren);
        let (_, _, _, _, text, returns) = describe(&list, &Action::Wait { pid: 101 }, &effect);
        assert!(text.contains("ECHILD"));
        assert_eq!(
            returns,
            vec![Return {
                pid: 101,
                value: -1
            }]
        );
    }

    #[test]
    fn illegal_calls_are_param_errors() {
        let list = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 100, "ls", ProcState::Zombie),
            proc(102, 100, "cat", ProcState::Exited),
        ];
        assert!(apply(&list, &Action::Fork { parent: 999 }).is_err());
        assert!(apply(&list, &Action::Fork { parent: 101 }).is_err());
        assert!(apply(&list, &Action::Wait { pid: 102 }).is_err());
        assert!(
            apply(
                &list,
                &Action::Exec {
                    pid: 100,
                    program: " ".to_owned()
                }
            )
            .is_err()
        );
        // The next PID skips reaped ones.
        let after = apply(&list, &Action::Fork { parent: 100 }).unwrap();
        assert_eq!(after[3], proc(103, 100, "bash", ProcState::Running));
    }

    #[test]
    fn same_tree_ignores_order_and_exited() {
        let a = vec![
            proc(100, 1, "bash", ProcState::Running),
            proc(101, 100, "ls", ProcState::Exited),
            proc(102, 100, "cat", ProcState::Zombie),
        ];
        let b = vec![
            proc(102, 100, "cat", ProcState::Zombie),
            proc(100, 1, "bash", ProcState::Running),
        ];
        assert!(same_tree(&a, &b));
        let c = vec![
            proc(102, 100, "cat", ProcState::Running),
            proc(100, 1, "bash", ProcState::Running),
        ];
        assert!(!same_tree(&a, &c));
    }

    #[test]
    fn pipeline_follows_w8() {
        let t = run_scenario(Scenario::Pipeline);
        let kinds: Vec<StepKind> = t.steps.iter().map(|s| s.action).collect();
        use StepKind::*;
        assert_eq!(
            kinds,
            vec![
                Pipe, Fork, Dup2, Exec, Fork, Dup2, Exec, Close, Exit, Signal, Exit, Signal, Wait,
                Wait
            ]
        );
        let programs: Vec<&str> = t.steps[7]
            .processes
            .iter()
            .map(|p| p.program.as_str())
            .collect();
        assert_eq!(programs, ["bash", "cat", "grep"]);
        assert!(
            t.processes
                .iter()
                .skip(1)
                .all(|p| p.state == ProcState::Exited)
        );
        let reaped: Vec<Option<u32>> = t.steps[12..].iter().map(|s| s.child).collect();
        assert_eq!(reaped, [Some(101), Some(102)]);
    }

    #[test]
    fn random_uses_the_rules_and_is_deterministic() {
        let p = |seed, actions, fork_share| Params {
            scenario: Scenario::Random,
            seed,
            actions,
            fork_share,
            ..Params::default()
        };
        assert_eq!(simulate(&p(7, 20, 50)), simulate(&p(7, 20, 50)));
        let trees: Vec<ForkTree> = (1..=5).map(|seed| simulate(&p(seed, 30, 60))).collect();
        assert!(trees.windows(2).any(|w| w[0] != w[1]));
        for seed in 0..50 {
            let t = simulate(&p(seed, 30, 60));
            // Replaying the steps through `apply` gives every snapshot (names aside).
            let mut list = t.initial.clone();
            let mut counted = 0;
            for s in &t.steps {
                let action = match s.action {
                    StepKind::Fork => Action::Fork { parent: s.pid },
                    StepKind::Exit => Action::Exit {
                        pid: s.pid,
                        subreaper: None,
                    },
                    StepKind::Wait => Action::Wait { pid: s.pid },
                    other => panic!("unexpected {other:?}"),
                };
                if s.action != StepKind::Wait {
                    counted += 1;
                }
                list = apply(&list, &action).unwrap();
                if let Some(child) = s.child.filter(|_| s.action == StepKind::Fork) {
                    let name = &s.processes.iter().find(|p| p.pid == child).unwrap().program;
                    list.iter_mut().find(|p| p.pid == child).unwrap().program = name.clone();
                }
                assert_eq!(list, s.processes);
            }
            assert_eq!(counted, 30);
            // The root never exits, and names follow creation order.
            assert_eq!(t.processes[0].state, ProcState::Running);
            for (k, proc) in t.processes.iter().enumerate() {
                assert_eq!(proc.program, letter_name(k));
            }
        }
        let all_forks = simulate(&p(3, 10, 100));
        assert_eq!(all_forks.processes.len(), 11);
        let no_forks = simulate(&p(3, 10, 0));
        assert!(no_forks.steps.iter().all(|s| alive(&s.processes) <= 2));
    }

    #[test]
    fn letter_names_continue_past_z() {
        assert_eq!(letter_name(0), "a");
        assert_eq!(letter_name(25), "z");
        assert_eq!(letter_name(26), "aa");
        assert_eq!(letter_name(27), "ab");
        assert_eq!(letter_name(52), "ba");
    }

    #[test]
    fn params_bounds_are_rejected() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(params_from_query(&q(&[])), Ok(Params::default()));
        assert_eq!(
            params_from_query(&q(&[
                ("scenario", "random"),
                ("n", "6"),
                ("seed", "12"),
                ("actions", "30"),
                ("fork_share", "100"),
                ("subreaper", "1")
            ])),
            Ok(Params {
                scenario: Scenario::Random,
                n: 6,
                seed: 12,
                actions: 30,
                fork_share: 100,
                subreaper: true
            })
        );
        for (key, value) in [
            ("n", "7"),
            ("n", "0"),
            ("actions", "31"),
            ("actions", "0"),
            ("fork_share", "101"),
            ("scenario", "fork-bomb"),
            ("subreaper", "yes please"),
        ] {
            let err = params_from_query(&q(&[(key, value)])).unwrap_err();
            assert!(err.0.contains(key), "{err}");
        }
    }

    #[test]
    fn json_shape() {
        let v = serde_json::to_value(run_scenario(Scenario::BashLs)).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["code", "initial", "processes", "scenario", "steps"]);
        assert_eq!(v["scenario"], "bash-ls");
        let step = &v["steps"][0];
        assert_eq!(step["action"], "fork");
        assert_eq!(step["child"], 101);
        assert_eq!(step["program"], serde_json::Value::Null);
        assert_eq!(
            step["returns"][1],
            serde_json::json!({"pid": 101, "value": 0})
        );
        assert_eq!(
            step["processes"][1],
            serde_json::json!({"pid": 101, "ppid": 100, "program": "bash", "state": "running"})
        );
        let mut step_keys: Vec<_> = step.as_object().unwrap().keys().cloned().collect();
        step_keys.sort();
        assert_eq!(
            step_keys,
            [
                "action",
                "child",
                "code_line",
                "description",
                "i",
                "pid",
                "processes",
                "program",
                "returns"
            ]
        );
        assert_eq!(v["processes"][1]["state"], "exited");
        let action: Action = serde_json::from_value(
            serde_json::json!({"action": "exec", "pid": 101, "program": "ls"}),
        )
        .unwrap();
        assert_eq!(
            action,
            Action::Exec {
                pid: 101,
                program: "ls".to_owned()
            }
        );
        let exit: Action =
            serde_json::from_value(serde_json::json!({"action": "exit", "pid": 5})).unwrap();
        assert_eq!(
            exit,
            Action::Exit {
                pid: 5,
                subreaper: None
            }
        );
    }

    #[test]
    fn every_step_is_described_in_japanese() {
        for scenario in Scenario::ALL {
            for subreaper in [false, true] {
                let t = simulate(&Params {
                    scenario,
                    subreaper,
                    actions: 30,
                    ..Params::default()
                });
                assert!(!t.steps.is_empty());
                for s in &t.steps {
                    assert!(
                        s.description.chars().any(|c| c > '\u{3000}'),
                        "{}",
                        s.description
                    );
                }
            }
        }
    }
}
