//! The pipe widget in its topic page: every scenario as a table of system calls, each with the
//! descriptor table it changes and the pipe's fill, and how the pipeline ends with and without
//! `pipefail` — for reading without JavaScript and on paper.

use super::WidgetView;
use crate::widgets::Widget;
use crate::widgets::pipe::{self, PipeWidget, bytes, fd_slots};
use askama::Template;

/// The pipe widget's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &PipeWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

struct Row {
    number: usize,
    who: String,
    call: String,
    result: String,
    note: String,
    explain: String,
    source: &'static str,
    fds: String,
    pipe: String,
}

struct ScenarioView {
    name: &'static str,
    label: &'static str,
    command: String,
    rows: Vec<Row>,
    summary: String,
    statuses: String,
}

#[derive(Template)]
#[template(path = "widgets/pipe.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    size: String,
    scenarios: Vec<ScenarioView>,
}

/// 「PID 101 cat: 0 端末、1 書き口、2 端末」: the step's subject after it.
fn fd_text(step: &pipe::Step) -> String {
    let Some(pid) = step.subject else {
        return String::new();
    };
    let Some(p) = step.processes.iter().find(|p| p.pid == pid) else {
        return String::new();
    };
    let slots: Vec<String> = fd_slots(&p.fds)
        .iter()
        .enumerate()
        .filter(|(_, n)| **n != pipe::CLOSED)
        .map(|(i, n)| {
            let what = pipe::FdKind::from_name(n).map_or("", pipe::FdKind::label);
            format!("{i} {what}")
        })
        .collect();
    let table = if slots.is_empty() {
        "すべて閉じた".to_owned()
    } else {
        slots.join("、")
    };
    format!("PID {pid} {}: {table}", p.program)
}

fn pipe_text(p: &pipe::PipeState) -> String {
    if !p.exists {
        return String::new();
    }
    format!(
        "{} / {} バイト（書き口 {}・読み口 {}）",
        bytes(p.bytes),
        bytes(p.capacity),
        p.writers,
        p.readers
    )
}

fn status_text(s: Option<i32>) -> String {
    s.map_or_else(|| "返らない".to_owned(), |v| v.to_string())
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let scenarios = pipe::Scenario::ALL
            .iter()
            .map(|&scenario| {
                let params = pipe::Params {
                    scenario,
                    ..Default::default()
                };
                let run = pipe::simulate(&params);
                let with = pipe::simulate(&pipe::Params {
                    pipefail: true,
                    ..params
                });
                let program = |pid: u32| match pid {
                    pipe::SHELL_PID => "bash",
                    pipe::CAT_PID => "子 1 → cat",
                    _ => "子 2 → grep",
                };
                ScenarioView {
                    name: scenario.name(),
                    label: scenario.label(),
                    command: run.command.clone(),
                    rows: run
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Row {
                            number: i + 1,
                            who: format!("{} {}", s.pid, program(s.pid)),
                            call: s.call.clone(),
                            result: s.result.clone(),
                            note: s.note.clone(),
                            explain: s.explain.clone(),
                            source: s.source,
                            fds: fd_text(s),
                            pipe: pipe_text(&s.pipe),
                        })
                        .collect(),
                    summary: run.summary.clone(),
                    statuses: format!(
                        "cat のステータス {}、grep のステータス {}。$? は pipefail なしで {}、pipefail ありで {}。",
                        status_text(run.cat_status),
                        status_text(run.grep_status),
                        status_text(run.status),
                        status_text(with.status)
                    ),
                }
            })
            .collect();
        Page {
            name: widget.name(),
            label: widget.label(),
            size: bytes(pipe::SIZE_DEFAULT),
            scenarios,
        }
    }
}
