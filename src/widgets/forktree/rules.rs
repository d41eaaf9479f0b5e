//! The rules of the tree: what fork, execve, exit and wait do to a process list ([`apply`]), and
//! when two lists are the same tree.

use super::model::*;
use crate::widgets::ParamError;

/// What a call did, beyond the new list: the material for a step's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Effect {
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
pub(super) fn run(
    processes: &[Process],
    action: &Action,
) -> Result<(Vec<Process>, Effect), ParamError> {
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
