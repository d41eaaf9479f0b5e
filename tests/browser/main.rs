//! Browser tests: headless Chromium (Debian's `chromium` + `chromium-driver`) driven over WebDriver by
//! fantoccini, against the real app served on a loopback port. One file per flow or widget; each opens
//! with a comment naming what it guards. `scripts/test` installs Chromium on a fresh machine.

#[path = "../common/backend.rs"]
mod backend;
mod support;
mod widget_support;

mod accessibility;
mod captures;
mod instructor;
mod learning;
mod live_reload;
mod no_js;
mod phone;
mod quiz;
mod reading;
mod tour;
mod widget_conntrack;
mod widget_forktree;
mod widget_ftp;
mod widget_ftp_predict;
mod widget_handshake;
mod widget_lb_layers;
mod widget_pipe;
mod widget_pmtud;
mod widget_procmem;
mod widget_race;
mod widget_sched;
mod widget_sessions;
mod widget_signals;
mod widget_snmp;
