//! The process tree in its topic page: each named scenario as a table of steps and its final tree as
//! a nested, pstree-like list.

use super::{WidgetView, wire_name};
use crate::widgets::Widget;
use crate::widgets::forktree::{self, ForkTreeWidget};
use askama::Template;

/// The fork tree's view in [`super::VIEWS`].
pub(super) struct View;

impl WidgetView for View {
    fn widget(&self) -> &'static dyn Widget {
        &ForkTreeWidget
    }

    fn render(&self) -> askama::Result<String> {
        Page::new(self.widget()).render()
    }
}

/// A process in a nested, pstree-like list.
struct TreeNode {
    label: String,
    state: &'static str,
}

struct ForkStepView {
    number: usize,
    action: String,
    description: String,
    returns: String,
    alive: usize,
    code_line: Option<u32>,
}

struct ForkScenarioView {
    name: &'static str,
    label: &'static str,
    code: Option<String>,
    steps: Vec<ForkStepView>,
    /// The final tree, flattened with depth for the template (askama has no recursion).
    tree: Vec<(usize, TreeNode)>,
    count: usize,
}

#[derive(Template)]
#[template(path = "widgets/forktree.html")]
struct Page {
    name: &'static str,
    label: &'static str,
    scenarios: Vec<ForkScenarioView>,
}

fn state_label(state: &str) -> &'static str {
    match state {
        "running" => "実行中",
        "zombie" => "ゾンビ（Z）",
        _ => "消滅",
    }
}

/// The live processes (not reaped) as (depth, node) in pre-order, under init.
fn flatten_tree(processes: &[forktree::Process]) -> Vec<(usize, TreeNode)> {
    fn walk(
        processes: &[forktree::Process],
        parent: u32,
        depth: usize,
        out: &mut Vec<(usize, TreeNode)>,
    ) {
        let mut children: Vec<&forktree::Process> = processes
            .iter()
            .filter(|p| p.ppid == parent && wire_name(&p.state) != "exited")
            .collect();
        children.sort_by_key(|p| p.pid);
        for p in children {
            let state = wire_name(&p.state);
            out.push((
                depth,
                TreeNode {
                    label: format!("{}({})", p.program, p.pid),
                    state: state_label(&state),
                },
            ));
            walk(processes, p.pid, depth + 1, out);
        }
    }
    let mut out = vec![(
        0,
        TreeNode {
            label: "init(1)".into(),
            state: "実行中",
        },
    )];
    walk(processes, forktree::INIT_PID, 1, &mut out);
    out
}

impl Page {
    fn new(widget: &dyn Widget) -> Self {
        let cases = [
            forktree::Params {
                scenario: forktree::Scenario::BashLs,
                ..Default::default()
            },
            forktree::Params {
                scenario: forktree::Scenario::ForkLoop,
                n: 3,
                ..Default::default()
            },
            forktree::Params {
                scenario: forktree::Scenario::Pipeline,
                ..Default::default()
            },
            forktree::Params {
                scenario: forktree::Scenario::Orphan,
                ..Default::default()
            },
        ];
        let scenarios = cases
            .iter()
            .map(|p| {
                let t = forktree::simulate(p);
                let live = |ps: &[forktree::Process]| {
                    ps.iter()
                        .filter(|p| wire_name(&p.state) != "exited")
                        .count()
                };
                ForkScenarioView {
                    name: p.scenario.name(),
                    label: p.scenario.label(),
                    code: t.code.clone(),
                    steps: t
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| ForkStepView {
                            number: i + 1,
                            action: wire_name(&s.action),
                            description: s.description.clone(),
                            returns: s
                                .returns
                                .iter()
                                .map(|r| format!("PID {} では {}", r.pid, r.value))
                                .collect::<Vec<_>>()
                                .join("、"),
                            alive: live(&s.processes),
                            code_line: s.code_line,
                        })
                        .collect(),
                    count: live(&t.processes),
                    tree: flatten_tree(&t.processes),
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
