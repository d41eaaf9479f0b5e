//! The stories the widget tells, event by event, on the [`Machine`]: one task's whole life (W7),
//! compute tasks spread over the CPUs by load balancing, and what the load average counts.

use super::engine::{Event, Machine};
use super::model::{Sched, Step};
use super::{Params, Scenario};

/// The shell's PID: the parent of every task the scenarios start.
pub const SHELL_PID: u32 = 100;

/// A scenario being written: the machine and the steps so far.
pub struct Script {
    machine: Machine,
    steps: Vec<Step>,
}

impl Script {
    /// A machine with `cpus` idle CPUs and the shell asleep, waiting for input.
    pub fn new(cpus: usize) -> Script {
        let mut machine = Machine::new(cpus.max(1));
        machine.add(SHELL_PID, "bash", None, Some("端末からの入力"));
        Script {
            machine,
            steps: Vec::new(),
        }
    }

    /// The machine now.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// The machine's CPU count.
    pub fn cpus(&self) -> usize {
        self.machine.cpus().len()
    }

    /// Applies one event as a step.
    pub fn push(&mut self, ev: &Event) {
        let step = self.machine.apply(ev);
        self.steps.push(step);
    }

    /// A task can only make a system call while it runs: ends the time slices of its CPU until it
    /// is the one running (each a step of its own).
    pub fn run(&mut self, pid: u32) {
        // Every slice moves the queue by one, so a queue of n tasks needs at most n slices.
        for _ in 0..16 {
            if self.machine.running_on(pid).is_some() {
                return;
            }
            let Some(cpu) = self.machine.task(pid).and_then(|t| t.cpu) else {
                return;
            };
            self.push(&Event::Slice { cpu });
        }
    }

    /// The steps written.
    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

/// Runs the scenario in `p`.
pub fn simulate(p: &Params) -> Sched {
    let cpus = p.cpus.clamp(1, 4);
    let mut script = Script::new(cpus);
    let mut tasks = 0;
    match p.scenario {
        Scenario::Lifecycle => {
            // One compute task per CPU, so the new task has to wait its turn.
            for (c, comm) in CALC_NAMES.iter().enumerate().take(cpus) {
                script
                    .machine
                    .add(SHELL_PID + 1 + c as u32, comm, Some(c), None);
            }
        }
        Scenario::Balance => tasks = p.tasks.clamp(1, 8),
        Scenario::Load => {}
    }
    let initial = script.machine.clone();
    match p.scenario {
        Scenario::Lifecycle => lifecycle(&mut script),
        Scenario::Balance => balance(&mut script, tasks),
        Scenario::Load => load(&mut script),
    }
    let (initial_running, r, d) = initial.counts();
    Sched {
        scenario: p.scenario,
        cpus,
        tasks,
        initial_tasks: initial.tasks().to_vec(),
        initial_cpus: initial.cpus().to_vec(),
        initial_running,
        initial_load: r + d,
        steps: script.into_steps(),
    }
}

/// Names of the compute tasks, one per possible task.
const CALC_NAMES: [&str; 8] = [
    "calc0", "calc1", "calc2", "calc3", "calc4", "calc5", "calc6", "calc7",
];

/// W7: fork → R (queued) → running → S → R → D → R → T → R → Z → reaped.
fn lifecycle(s: &mut Script) {
    let g = SHELL_PID + 1 + s.cpus() as u32;
    s.push(&Event::Fork {
        pid: g,
        comm: "grep",
        cpu: 0,
    });
    s.run(g);
    s.push(&Event::ReadPipe(g));
    s.push(&Event::PipeData(g));
    s.run(g);
    s.push(&Event::DiskRead(g));
    s.push(&Event::DiskDone(g));
    s.push(&Event::Stop {
        pid: g,
        keyboard: false,
    });
    s.push(&Event::Cont(g));
    s.run(g);
    s.push(&Event::Exit(g));
    s.push(&Event::Wait {
        pid: g,
        parent: SHELL_PID,
    });
}

/// `tasks` compute tasks woken on CPU 0; idle CPUs pull them; one exits and its CPU pulls again.
fn balance(s: &mut Script, tasks: usize) {
    for (i, comm) in CALC_NAMES.iter().enumerate().take(tasks) {
        s.push(&Event::Fork {
            pid: SHELL_PID + 1 + i as u32,
            comm,
            cpu: 0,
        });
    }
    s.push(&Event::Slice { cpu: 0 });
    // The task on the last CPU finishes: that CPU goes idle and balances.
    let last = s.cpus() - 1;
    if let Some(pid) = s.machine().cpus()[last].current {
        s.push(&Event::Exit(pid));
        s.push(&Event::Wait {
            pid,
            parent: SHELL_PID,
        });
    }
}

/// One task of each kind: only R and D count, whatever the CPUs are doing.
fn load(s: &mut Script) {
    let (make, sort, tar, cp, vim) = (101, 102, 103, 104, 105);
    s.push(&Event::Fork {
        pid: make,
        comm: "make",
        cpu: 0,
    });
    s.push(&Event::Fork {
        pid: sort,
        comm: "sort",
        cpu: 0,
    });
    s.run(sort);
    s.push(&Event::ReadPipe(sort));
    for (pid, comm) in [(tar, "tar"), (cp, "cp")] {
        s.push(&Event::Fork { pid, comm, cpu: 0 });
        s.run(pid);
        s.push(&Event::DiskRead(pid));
    }
    s.push(&Event::Fork {
        pid: vim,
        comm: "vim",
        cpu: 0,
    });
    s.run(vim);
    s.push(&Event::Stop {
        pid: vim,
        keyboard: true,
    });
    s.push(&Event::DiskDone(tar));
    s.run(tar);
    s.push(&Event::Exit(tar));
}
