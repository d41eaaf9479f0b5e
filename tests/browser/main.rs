//! Browser tests: headless Chromium (Debian's `chromium` + `chromium-driver`) driven over WebDriver by
//! fantoccini, against the real app served on a loopback port. One file per flow or widget; each opens
//! with a comment naming what it guards. `scripts/test` installs Chromium on a fresh machine.

mod support;

mod instructor;
mod learning;
mod live_reload;
mod no_js;
mod quiz;
mod reading;
mod widget_forktree;
mod widget_ftp;
mod widget_ftp_predict;
mod widget_handshake;
