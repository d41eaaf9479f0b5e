//! The scheduler widget in its topic pages (process and run-queue): each scenario on 2 CPUs as a
//! table of events with every CPU's running task and run queue, the `ps` STAT of every task and the
//! load count, for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::sched::{self, Cpu, SchedWidget, Stat, Task};
use askama::Template;

/// The scheduler's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &SchedWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct Row {
    number: usize,
    event: String,
    cpus: Vec<String>,
    ps: Vec<String>,
    running: usize,
    runnable: usize,
    uninterruptible: usize,
    load: usize,
    explain: String,
    source: String,
}

struct ScenarioView {
    name: &'static str,
    label: &'static str,
    cpus: usize,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "widgets/sched.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    scenarios: Vec<ScenarioView>,
}

/// 「CPU 0: grep（待ち: calc0）」, naming tasks by command and PID.
fn cpu_lines(cpus: &[Cpu], tasks: &[Task]) -> Vec<String> {
    let name = |pid: u32| {
        tasks
            .iter()
            .find(|t| t.pid == pid)
            .map_or_else(|| pid.to_string(), |t| format!("{}({pid})", t.comm))
    };
    cpus.iter()
        .map(|c| {
            let current = c.current.map_or_else(|| "アイドル".to_owned(), name);
            if c.queue.is_empty() {
                format!("CPU {}: {current}", c.id)
            } else {
                let queue: Vec<String> = c.queue.iter().map(|p| name(*p)).collect();
                format!("CPU {}: {current}（待ち: {}）", c.id, queue.join(", "))
            }
        })
        .collect()
}

/// `ps -o pid,stat,comm` lines; reaped tasks are not in the process table any more.
fn ps_lines(tasks: &[Task]) -> Vec<String> {
    tasks
        .iter()
        .filter(|t| t.stat != Stat::Gone)
        .map(|t| format!("{} {} {}", t.pid, t.stat.letter(), t.comm))
        .collect()
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let scenarios = sched::Scenario::ALL
            .iter()
            .map(|&scenario| {
                let run = sched::simulate(&sched::Params {
                    scenario,
                    ..sched::Params::default()
                });
                let initial = &run.initial_tasks;
                let count = |st: Stat| initial.iter().filter(|t| t.stat == st).count();
                let mut rows = vec![Row {
                    number: 0,
                    event: "開始時".to_owned(),
                    cpus: cpu_lines(&run.initial_cpus, initial),
                    ps: ps_lines(initial),
                    running: run.initial_running,
                    runnable: count(Stat::R),
                    uninterruptible: count(Stat::D),
                    load: run.initial_load,
                    explain: String::new(),
                    source: String::new(),
                }];
                rows.extend(run.steps.iter().enumerate().map(|(i, s)| Row {
                    number: i + 1,
                    event: s.event.clone(),
                    cpus: cpu_lines(&s.cpus, &s.tasks),
                    ps: ps_lines(&s.tasks),
                    running: s.running,
                    runnable: s.runnable,
                    uninterruptible: s.uninterruptible,
                    load: s.load,
                    explain: s.explain.clone(),
                    source: s.source.clone(),
                }));
                ScenarioView {
                    name: scenario.name(),
                    label: scenario.label(),
                    cpus: run.cpus,
                    rows,
                }
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            scenarios,
        }
    }
}
