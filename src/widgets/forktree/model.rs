//! The process tree's types: processes and their states, the system calls that change the tree,
//! the steps of a scenario and a whole run.

use serde::{Deserialize, Serialize};

use super::Scenario;

/// First PID the scenarios use (the shell or the first program).
pub const FIRST_PID: u32 = 100;
/// init's PID: the default adopter of orphans.
pub const INIT_PID: u32 = 1;

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

/// One system call that changes the tree; the input of [`apply`](super::apply).
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
    /// Each step as the call alone — who calls what, e.g. 「a（PID 100） が fork()（子は b（PID 101））」 —
    /// with none of the narration of `description` (what the call did to the tree, what it
    /// returned, who reaps whom). Quiz prompts list these, so they ask without answering.
    pub fn calls(&self) -> Vec<String> {
        let name = |pid: u32| -> String {
            if pid == INIT_PID {
                return "init（PID 1）".to_owned();
            }
            self.steps
                .iter()
                .flat_map(|s| s.processes.iter())
                .chain(self.initial.iter())
                .find(|p| p.pid == pid)
                .map_or_else(
                    || format!("PID {pid}"),
                    |p| format!("{}（PID {pid}）", p.program),
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
