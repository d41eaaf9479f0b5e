//! Real captures of the widgets' scenarios, recorded by `scripts/lab --record` in network namespaces
//! on a Linux kernel and committed under `content/captures/<widget>/<scenario>.pcap`: learners
//! download them for Wireshark and read them decoded beside the model's steps, and the tests hold
//! every one against its model, so a model change that contradicts the recorded reality fails
//! everywhere, not only on a machine that can run the lab.
//!
//! The captures are embedded on their own, not read through the course's content source: they are
//! facts about the widget models, the same whichever course the server teaches.

pub mod compare;
pub mod decode;
pub mod snmp;
pub mod tls;

use include_dir::{Dir, include_dir};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `content/captures/` as it was at build time.
static CAPTURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content/captures");

/// One recorded scenario: the file, its packets in tcpdump's words, and what `ss` printed if the
/// lab kept it.
#[derive(Debug)]
pub struct Capture {
    /// The pcap file as recorded.
    pub pcap: &'static [u8],
    /// One `tcpdump -n`-style line per packet, relative TCP numbers.
    pub lines: Vec<String>,
    /// The decoded packets.
    pub packets: Vec<decode::Packet>,
    /// `ss -tan` on the client right after the exchange, when the lab recorded it.
    pub ss: Option<&'static str>,
    /// What the lab read from the kernel during the exchange (`<scenario>.txt`: the router's
    /// `conntrack -L` after each packet, the SNMP tools' output), when it kept it.
    pub observed: Option<&'static str>,
}

/// Every embedded capture by (widget, scenario), decoded once.
pub fn all() -> &'static BTreeMap<(String, String), Capture> {
    static ALL: OnceLock<BTreeMap<(String, String), Capture>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut map = BTreeMap::new();
        for dir in CAPTURES.dirs() {
            let Some(widget) = dir.path().file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            for file in dir.files() {
                let path = file.path();
                if path.extension().and_then(|e| e.to_str()) != Some("pcap") {
                    continue;
                }
                let Some(scenario) = path.file_stem().and_then(|n| n.to_str()) else {
                    continue;
                };
                // A committed capture that does not decode is a build mistake the tests report;
                // the page simply does not offer it.
                let Ok(packets) = decode::decode(file.contents()) else {
                    continue;
                };
                let ss = CAPTURES
                    .get_file(path.with_extension("ss.txt"))
                    .and_then(|f| f.contents_utf8());
                let observed = CAPTURES
                    .get_file(path.with_extension("txt"))
                    .and_then(|f| f.contents_utf8())
                    .filter(|t| !t.trim().is_empty());
                map.insert(
                    (widget.to_owned(), scenario.to_owned()),
                    Capture {
                        pcap: file.contents(),
                        lines: decode::tcpdump_lines(&packets),
                        packets,
                        ss,
                        observed,
                    },
                );
            }
        }
        map
    })
}

/// The capture of one scenario, if the lab recorded it.
pub fn find(widget: &str, scenario: &str) -> Option<&'static Capture> {
    all().get(&(widget.to_owned(), scenario.to_owned()))
}

/// A process experiment's observation as the lab recorded it (`content/captures/<widget>/<name>.json`),
/// for the OS widgets, whose "capture" is what the kernel reported rather than packets.
pub fn observation(widget: &str, name: &str) -> Option<serde_json::Value> {
    let file = CAPTURES.get_file(format!("{widget}/{name}.json"))?;
    serde_json::from_slice(file.contents()).ok()
}

/// Every (widget, scenario) with a capture, in order.
pub fn names() -> Vec<(&'static str, &'static str)> {
    all()
        .keys()
        .map(|(w, s)| (w.as_str(), s.as_str()))
        .collect()
}
