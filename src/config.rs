//! Settings, read once at start from flags and `INFRA_DOJO_*` environment variables (clap does both).
//! A bad value fails at boot with a message, never later in a request.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the content comes from: `--content DIR`, or the copy embedded in the binary.
#[derive(Debug, Clone, Args)]
pub struct ContentArgs {
    /// A content directory holding notes.md (course.toml, annotations/, supplements/ and glossary.toml are
    /// optional). Without it the content embedded in the binary is used.
    #[arg(long, env = "INFRA_DOJO_CONTENT")]
    pub content: Option<PathBuf>,
}

/// `infra-dojo serve` settings.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "INFRA_DOJO_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// SQLite database file, created with its folder if missing (unless --db-must-exist).
    #[arg(long, env = "INFRA_DOJO_DB", default_value = "data/infra-dojo.db")]
    pub db: PathBuf,
    /// Refuse to start when the database file does not exist, instead of creating an empty one: set this
    /// in production, where a missing file means it was deleted or a volume is not mounted.
    #[arg(long, env = "INFRA_DOJO_DB_MUST_EXIST")]
    pub db_must_exist: bool,
    /// Mark the session cookie Secure: set this when infra-dojo is served over HTTPS.
    #[arg(long, env = "INFRA_DOJO_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The reverse proxy in front (its address as this server sees it, e.g. 127.0.0.1; several separated
    /// by commas): for requests from it, the client's address — which logins, sign-ups and join codes
    /// are throttled by — is the last one in its X-Forwarded-For header. Without it every learner behind
    /// the proxy shares the proxy's address.
    #[arg(long, env = "INFRA_DOJO_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// Serve Prometheus metrics at GET /metrics on this second address (off by default). Keep it
    /// private: a loopback or internal address, never the public one.
    #[arg(long, env = "INFRA_DOJO_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// For authors: load the content again whenever a file in the --content folder changes, and reload
    /// the pages open in the browser (problems are shown on the page). Needs --content.
    #[arg(long, env = "INFRA_DOJO_WATCH")]
    pub watch: bool,
    #[command(flatten)]
    pub content: ContentArgs,
    /// Seconds a client has to send a request's headers; also how long an idle keep-alive connection
    /// stays open.
    #[arg(long, env = "INFRA_DOJO_HEADER_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub header_timeout: Duration,
    /// Seconds a response may wait on a client that does not read it before the connection is closed.
    #[arg(long, env = "INFRA_DOJO_WRITE_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    pub write_timeout: Duration,
    /// Connections open at once, in total. Default: the open-file limit less 256 kept for the database
    /// and files, at most 4096.
    #[arg(long, env = "INFRA_DOJO_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Connections open at once from one client address (IPv6: one /64). Generous, because a school
    /// reaches the server from one NAT address: 30 learners' browsers keep up to 6 connections each.
    #[arg(long, env = "INFRA_DOJO_MAX_CONNECTIONS_PER_CLIENT", default_value_t = crate::server::DEFAULT_MAX_CONNECTIONS_PER_CLIENT as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: u32,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT; then the process exits anyway.
    #[arg(long, env = "INFRA_DOJO_SHUTDOWN_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub shutdown_timeout: Duration,
}

impl ServeConfig {
    /// The connection layer's limits these settings ask for.
    pub fn limits(&self) -> crate::server::Limits {
        crate::server::Limits {
            header_timeout: self.header_timeout,
            write_timeout: self.write_timeout,
            max_connections: self
                .max_connections
                .map_or_else(crate::server::default_max_connections, |n| n as usize),
            max_connections_per_client: self.max_connections_per_client as usize,
            shutdown_timeout: self.shutdown_timeout,
        }
    }
}

/// A positive number of seconds, fractions allowed ("10", "0.5"), at most a day.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let seconds: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("秒数を数字で指定してください（例: 10 や 0.5）: {s}"))?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!(
            "秒数は 0 より大きく 86400（1 日）以下にしてください: {s}"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

impl ContentArgs {
    /// The source these arguments name.
    pub fn source(&self) -> crate::content::source::ContentSource {
        match &self.content {
            Some(dir) => crate::content::source::ContentSource::Dir(dir.clone()),
            None => crate::content::source::ContentSource::Embedded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_fractions_and_refuse_nonsense() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "NaN", "inf", "ten", "", "100000"] {
            assert!(parse_seconds(bad).is_err(), "{bad} accepted");
        }
    }
}
