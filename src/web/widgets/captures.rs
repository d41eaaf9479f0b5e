//! The lab's real captures on the widget pages: `GET /captures/{widget}/{scenario}.pcap` serves the
//! recorded file for Wireshark, and [`block`] renders, inside a widget's frame, every recorded
//! scenario's packets in tcpdump's words beside the model's steps, with the download link — or, for
//! the OS widgets, what the kernel reported for each experiment with real processes.

use askama::Template;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::captures::{self, compare};
use crate::web::error::AppError;

/// `GET /captures/{widget}/{file}`: the pcap of one recorded scenario, `application/vnd.tcpdump.pcap`
/// (RFC 8551 registers the name), as a download. Anything but a recorded `<scenario>.pcap` is a 404.
pub(super) async fn pcap(
    Path((widget, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let capture = file
        .strip_suffix(".pcap")
        .and_then(|scenario| captures::find(&widget, scenario))
        .ok_or_else(|| {
            AppError::not_found_with(
                "そのキャプチャはありません（記録されたシナリオの .pcap だけを配信します）",
            )
        })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.tcpdump.pcap".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                // widget and scenario are names the lab wrote: ASCII letters, digits and '-'.
                format!("attachment; filename=\"infra-dojo-{widget}-{file}\""),
            ),
        ],
        capture.pcap,
    )
        .into_response())
}

struct CaptureView {
    scenario: &'static str,
    label: String,
    href: String,
    lines: &'static [String],
    ss: Option<&'static str>,
    observed: Option<&'static str>,
}

/// One experiment with real processes (the OS widgets): what the kernel reported, and how it compared.
struct ObservationView {
    name: &'static str,
    label: String,
    /// The recorded JSON, one line per part ([`json_lines`]).
    json: String,
    fields: usize,
    disagreements: usize,
}

#[derive(Template)]
#[template(path = "widgets/captures.html")]
struct Block {
    name: &'static str,
    /// Where and how this widget's captures were taken, when not on the client's link.
    note: &'static str,
    captures: Vec<CaptureView>,
    observations: Vec<ObservationView>,
}

/// The captures section of widget `name`'s frame; empty when the lab recorded none for it. The
/// captures are embedded, so each widget's section is rendered once and kept: pages rendered per
/// request (a signed-in reader's) only copy it.
pub fn block(name: &str) -> String {
    static BLOCKS: std::sync::OnceLock<std::collections::HashMap<&'static str, String>> =
        std::sync::OnceLock::new();
    BLOCKS
        .get_or_init(|| {
            crate::widgets::registry()
                .iter()
                .map(|w| (w.name(), render_block(w.name())))
                .collect()
        })
        .get(name)
        .cloned()
        .unwrap_or_default()
}

fn render_block(name: &str) -> String {
    let Some(widget) = crate::widgets::find(name) else {
        return String::new();
    };
    // The widget's own scenarios first, in its picker's order; then the variants the lab also
    // recorded (FTP behind a NAT, through a firewall, conntrack with tcp_loose 0), in the lab's order.
    let mut order: Vec<&'static str> = widget.scenarios().into_iter().map(|s| s.name).collect();
    let extra = compare::RECORDED
        .iter()
        .chain(compare::network::VARIANTS)
        .filter(|(w, _)| *w == name);
    for (_, scenario) in extra {
        if !order.contains(scenario) {
            order.push(scenario);
        }
    }
    let captures: Vec<CaptureView> = order
        .into_iter()
        .filter_map(|scenario| {
            let c = captures::find(name, scenario)?;
            Some(CaptureView {
                scenario,
                label: widget.scenario_label(scenario),
                href: format!("/captures/{name}/{scenario}.pcap"),
                lines: &c.lines,
                ss: c.ss,
                observed: c.observed,
            })
        })
        .collect();
    let observations = observations(name);
    if captures.is_empty() && observations.is_empty() {
        return String::new();
    }
    Block {
        name: widget.name(),
        note: compare::network::capture_note(widget.name()),
        captures,
        observations,
    }
    .render()
    .unwrap_or_default()
}

/// The OS widget `name`'s recorded experiments, each with its comparison against the model.
fn observations(name: &str) -> Vec<ObservationView> {
    let Some(os) = compare::os::find(name) else {
        return Vec::new();
    };
    os.experiments
        .iter()
        .filter_map(|experiment| {
            let seen = captures::observation(name, experiment)?;
            let cmp = (os.compare)(experiment, &seen).unwrap_or_default();
            Some(ObservationView {
                name: experiment,
                label: compare::os::label(name, experiment),
                json: json_lines(&seen),
                fields: cmp.fields,
                disagreements: cmp.disagreements.len(),
            })
        })
        .collect()
}

/// An observation as short lines a learner can scan: `key: value` for each top-level key, and one
/// line per element of a list of objects (`steps[0] Ctrl-C: {…}`) or per entry of an object of objects
/// (`fds.cat: […]`), each value in compact JSON.
fn json_lines(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let Value::Object(top) = v else {
        return v.to_string();
    };
    let mut out = Vec::new();
    for (key, value) in top {
        match value {
            Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    // Named by the field that says what it is, since the keys print in order.
                    let name = ["signal", "event", "action", "scenario", "kind"]
                        .iter()
                        .find_map(|k| item[*k].as_str())
                        .map(|n| format!(" {n}"))
                        .unwrap_or_default();
                    out.push(format!("{key}[{i}]{name}: {item}"));
                }
            }
            Value::Object(map) if map.values().all(|x| x.is_object() || x.is_array()) => {
                for (sub, item) in map {
                    out.push(format!("{key}.{sub}: {item}"));
                }
            }
            _ => out.push(format!("{key}: {value}")),
        }
    }
    out.join("\n")
}
