//! The connection layer: accepting TCP connections and serving HTTP/1.1 on them with hyper, with the
//! limits `axum::serve` does not have. Without them a client that sends one header line every few
//! seconds holds its socket forever, and some thousands of such sockets use up the process's file
//! descriptors, after which nobody — not even the load balancer's `/healthz` — gets an answer.
//!
//! - **Deadlines.** A client has [`Limits::header_timeout`] to send a request's headers, counted from
//!   the connection's start or the end of its previous response, so the same deadline closes idle
//!   keep-alive connections. A response write that makes no progress for [`Limits::write_timeout`] (a
//!   client that stopped reading) closes the connection. Request bodies are bounded by the router's
//!   own timeout.
//! - **Caps.** At most [`Limits::max_connections`] connections in total and
//!   [`Limits::max_connections_per_client`] from one address (one IPv6 /64). At the total cap the
//!   connection idle longest — no request in progress for a second or more: a request that never
//!   finishes arriving, or an idle keep-alive — is closed to make room, so one attacker with many
//!   addresses cannot keep everyone else out for the length of the header deadline. A connection
//!   that still finds no room, or is over its client's cap, is closed at once with a reset: reading its
//!   request to answer 503 would hold the very descriptor the cap protects, for as long as the client
//!   cares to send slowly, and a response written before the request is read is usually lost to that
//!   reset anyway. Everybody else is served as before.
//! - **Accept errors** such as EMFILE back off (10 ms doubling to 1 s) and are logged at most once a
//!   second, instead of spinning on a listener that stays readable.
//! - **Shutdown** stops accepting, lets in-flight requests finish and closes idle connections, then
//!   after [`Limits::shutdown_timeout`] closes whatever is left — a half-sent request cannot hold the
//!   process.
//!
//! It serves any `Router` (or a service in front of one, such as `web::fast`); the peer's address reaches handlers as `ConnectInfo<SocketAddr>` (login
//! throttling counts failures per address), and accepted sockets get TCP_NODELAY (see DESIGN.md).

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// File descriptors kept out of the connection cap: the database pool (each SQLite connection holds the
/// database, its WAL and its shared-memory file), the attempt writer's connection, the listener, the
/// runtime's own, standard streams and logs.
pub const FD_RESERVE: u64 = 256;

/// The most connections allowed by default, whatever the file limit: an idle HTTP/1 connection costs
/// some tens of KB, so 4,096 of them stay around 100 MB at worst — far more than a class needs.
pub const MAX_CONNECTIONS_CEILING: usize = 4096;

/// Connections from one client address (or IPv6 /64) by default. A browser opens about six; a school
/// behind one NAT address (30 learners, 180 connections) is the case that sizes it. 64 was too few: the
/// quiz benchmark's 64 learners on one address lost requests to resets at the cap. One address still
/// holds at most a sixteenth of the total ceiling, and the header deadline frees slow ones in 10 s.
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 256;

const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Connections the kernel may hold completed but not yet accepted (capped by `net.core.somaxconn`).
/// tokio's `TcpListener::bind` asks for 128, and a burst of connections fills that before the accept
/// loop gets a turn on a busy machine; every connection over it has its SYN dropped and resent a second
/// later (measured: 3,000 connections from a slowloris loop lost seconds that way). nginx asks for 511.
pub const LISTEN_BACKLOG: u32 = 1024;

/// How long to wait for connection tasks to drop their sockets after the shutdown deadline.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The connection layer's limits (see the module documentation).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time to send a request's headers, from the connection's start or the end of the previous
    /// response; also how long an idle keep-alive connection stays open.
    pub header_timeout: Duration,
    /// How long writing a response may make no progress before the connection is closed.
    pub write_timeout: Duration,
    /// Connections open at once, in total.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv4) or /64 (IPv6).
    pub max_connections_per_client: usize,
    /// After a shutdown signal, how long in-flight requests may take before their connections close.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(),
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Every connection finished before the deadline.
    pub drained: bool,
    /// Connections still open at the deadline, closed then.
    pub closed_at_deadline: usize,
}

/// The connection cap for a soft open-file limit of `nofile`: the limit less [`FD_RESERVE`] (half the
/// limit when it is too small for that), at most [`MAX_CONNECTIONS_CEILING`].
pub fn connection_cap(nofile: u64) -> usize {
    let usable = if nofile > 2 * FD_RESERVE {
        nofile - FD_RESERVE
    } else {
        nofile / 2
    };
    usize::try_from(usable)
        .unwrap_or(usize::MAX)
        .clamp(1, MAX_CONNECTIONS_CEILING)
}

/// The soft open-file limit (RLIMIT_NOFILE) in force; `u64::MAX` when unlimited.
pub fn fd_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}

/// The default connection cap: [`connection_cap`] of the current soft open-file limit.
pub fn default_max_connections() -> usize {
    connection_cap(fd_limit())
}

/// Raises the soft open-file limit to what the default cap can use ([`MAX_CONNECTIONS_CEILING`] +
/// [`FD_RESERVE`]), never above the hard limit, and returns the soft limit now in force. Services often
/// start with a soft limit of 1,024 under a hard limit many times that; Go's runtime raises it the same
/// way. A lower limit is left alone: whoever set it meant it.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let want = MAX_CONNECTIONS_CEILING as u64 + FD_RESERVE;
    let Some(current) = limit.current else {
        return u64::MAX;
    };
    let target = limit.maximum.map_or(want, |hard| hard.min(want));
    if current >= target {
        return current;
    }
    match setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        },
    ) {
        Ok(()) => target,
        Err(e) => {
            tracing::warn!(error = %e, current, target, "could not raise the open-file limit");
            current
        }
    }
}

/// The key connections are counted under: the IPv4 address, or the /64 an IPv6 address is in (one
/// host usually has a whole /64, so counting single IPv6 addresses would count nothing).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A listener on `addr` with a [`LISTEN_BACKLOG`]-deep accept queue (and SO_REUSEADDR, as
/// `TcpListener::bind` sets, so a restart can bind while old connections sit in TIME_WAIT).
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// What the server can serve: a `Router`, or a service in front of one.
pub trait App:
    tower::Service<
        hyper::Request<Incoming>,
        Response = axum::response::Response,
        Error = Infallible,
        Future: Send,
    > + Clone
    + Send
    + 'static
{
}

impl<S> App for S where
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + 'static
{
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains (see the module documentation).
pub async fn serve<A: App>(
    listener: TcpListener,
    app: A,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Stopped {
    let registry = Arc::new(Registry::new(
        limits.max_connections,
        limits.max_connections_per_client,
    ));
    let (phase, _) = watch::channel(Phase::Serving);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);

    let mut shutdown = pin!(shutdown);
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut refused = RateLimitedLog::default();
    let mut accept_errors = RateLimitedLog::default();
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                backoff = ACCEPT_BACKOFF_MIN;
                match registry.admit(client_key(peer.ip())) {
                    Ok(slot) => {
                        let task = Connection {
                            tcp,
                            peer,
                            slot,
                            app: app.clone(),
                            write_timeout: limits.write_timeout,
                            phase: phase.subscribe(),
                        };
                        tokio::spawn(task.run(http.clone()));
                    }
                    Err(cap) => {
                        // A reset, not a FIN: nothing lingers in TIME_WAIT on our side, and the client
                        // learns at once.
                        let _ = tcp.set_zero_linger();
                        drop(tcp);
                        if let Some(count) = refused.tick() {
                            tracing::warn!(client = %peer.ip(), cap = cap.name(), refused = count,
                                "connections refused: connection cap reached");
                        }
                    }
                }
            }
            // The client gave up between SYN and accept: nothing to do.
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // EMFILE, ENFILE, ENOBUFS…: the listener stays readable, so retrying at once would
                // spin. Wait for connections to close.
                if let Some(count) = accept_errors.tick() {
                    tracing::error!(error = %e, errors = count, backoff_ms = backoff.as_millis() as u64,
                        "accept failed; backing off");
                }
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }

    // New connections are refused by the kernel from here on.
    drop(listener);
    let open = registry.open();
    tracing::info!(
        open,
        deadline_s = limits.shutdown_timeout.as_secs_f64(),
        "shutting down: finishing in-flight requests"
    );
    phase.send_replace(Phase::Draining);
    let mut counts = registry.counts.subscribe();
    let all_closed = |c: &Counts| c.open.is_empty();
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        let _ = counts.wait_for(all_closed).await;
    })
    .await
    .is_ok();
    if drained {
        return Stopped {
            drained: true,
            closed_at_deadline: 0,
        };
    }
    let left = registry.open();
    tracing::warn!(
        connections = left,
        "shutdown deadline reached: closing the connections still open"
    );
    phase.send_replace(Phase::Stopping);
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = counts.wait_for(all_closed).await;
    })
    .await;
    Stopped {
        drained: false,
        closed_at_deadline: left,
    }
}

/// Where the server is in its life; every connection task watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Finish the request in progress, then close.
    Draining,
    /// Close now.
    Stopping,
}

/// Which cap refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    Total,
    PerClient,
}

impl Cap {
    fn name(self) -> &'static str {
        match self {
            Cap::Total => "total",
            Cap::PerClient => "per-client",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    /// Open connections, by number: the activity the accept loop looks at to make room at the cap.
    open: HashMap<u64, Arc<Activity>>,
    per_client: HashMap<IpAddr, usize>,
    next_id: u64,
}

/// Open connections, counted in total and per client; a `watch` so shutdown can wait for zero.
struct Registry {
    counts: watch::Sender<Counts>,
    max_total: usize,
    max_per_client: usize,
    /// Where [`Activity`] times count from.
    epoch: Instant,
}

/// A connection with nothing in progress for this long may be closed to make room at the total cap.
const MIN_IDLE_TO_EVICT_MS: u64 = 1000;

/// Connections asked to close at the cap but not yet closed, at most; past it new connections are
/// refused. Each still holds its descriptor for a moment, and [`FD_RESERVE`] must cover them.
const EVICTION_SLACK: usize = 64;

/// What the accept loop knows of a connection: is it doing anything, since when has it not been.
#[derive(Debug)]
struct Activity {
    /// Requests in progress, each until its response body has been sent (or dropped).
    busy: AtomicU32,
    /// When it last had nothing to do, in ms since the registry's epoch: its start, or the end of its
    /// last response.
    idle_since_ms: AtomicU64,
    /// Chosen to make room; its task closes it.
    evicted: AtomicBool,
    close: Notify,
}

impl Registry {
    fn new(max_total: usize, max_per_client: usize) -> Self {
        Registry {
            counts: watch::Sender::new(Counts::default()),
            max_total: max_total.max(1),
            max_per_client: max_per_client.max(1),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A slot for a new connection from `client`, or the cap that refuses it. At the total cap, the
    /// connection idle longest (at least [`MIN_IDLE_TO_EVICT_MS`], nothing in progress) is closed to
    /// make room — what nginx does with idle keep-alive connections — so neither idle browsers nor
    /// requests that never finish arriving can keep new clients out; only when every connection is
    /// busy is the new one refused.
    fn admit(self: &Arc<Self>, client: IpAddr) -> Result<Slot, Cap> {
        let mut outcome = Err(Cap::Total);
        let now = self.now_ms();
        self.counts.send_if_modified(|c| {
            let from_client = c.per_client.get(&client).copied().unwrap_or(0);
            if from_client >= self.max_per_client {
                outcome = Err(Cap::PerClient);
                return false;
            }
            if c.open.len() >= self.max_total && !Self::evict_one(c, now) {
                return false;
            }
            let activity = Arc::new(Activity {
                busy: AtomicU32::new(0),
                idle_since_ms: AtomicU64::new(now),
                evicted: AtomicBool::new(false),
                close: Notify::new(),
            });
            let id = c.next_id;
            c.next_id += 1;
            c.open.insert(id, activity.clone());
            c.per_client.insert(client, from_client + 1);
            outcome = Ok((id, activity));
            true
        });
        outcome.map(|(id, activity)| Slot {
            registry: self.clone(),
            client,
            id,
            activity,
        })
    }

    /// Asks the connection idle longest to close; whether there was one to ask.
    fn evict_one(c: &Counts, now: u64) -> bool {
        let mut pending = 0;
        let mut victim: Option<(u64, &Arc<Activity>)> = None;
        for activity in c.open.values() {
            if activity.evicted.load(Ordering::Acquire) {
                pending += 1;
                continue;
            }
            if activity.busy.load(Ordering::Acquire) > 0 {
                continue;
            }
            let since = activity.idle_since_ms.load(Ordering::Acquire);
            if now.saturating_sub(since) < MIN_IDLE_TO_EVICT_MS {
                continue;
            }
            if victim.is_none_or(|(oldest, _)| since < oldest) {
                victim = Some((since, activity));
            }
        }
        match victim {
            Some((_, activity)) if pending < EVICTION_SLACK => {
                activity.evicted.store(true, Ordering::Release);
                activity.close.notify_one();
                true
            }
            _ => false,
        }
    }

    fn open(&self) -> usize {
        self.counts.borrow().open.len()
    }
}

/// One counted connection; dropping it gives the place back.
struct Slot {
    registry: Arc<Registry>,
    client: IpAddr,
    id: u64,
    activity: Arc<Activity>,
}

impl Slot {
    /// Counts a request as in progress until the guard is dropped.
    fn busy(&self) -> Busy {
        self.activity.busy.fetch_add(1, Ordering::AcqRel);
        Busy {
            registry: self.registry.clone(),
            activity: self.activity.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.counts.send_modify(|c| {
            c.open.remove(&self.id);
            if let Some(n) = c.per_client.get_mut(&self.client) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    c.per_client.remove(&self.client);
                }
            }
        });
    }
}

/// A request in progress on a connection (see [`Slot::busy`]).
struct Busy {
    registry: Arc<Registry>,
    activity: Arc<Activity>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.activity
            .idle_since_ms
            .store(self.registry.now_ms(), Ordering::Release);
        self.activity.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection counted as busy until it has been sent.
struct BusyBody {
    inner: axum::body::Body,
    _busy: Busy,
}

impl axum::body::HttpBody for BusyBody {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// An accepted connection, admitted, about to be served on a task of its own.
struct Connection<A> {
    tcp: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    app: A,
    write_timeout: Duration,
    phase: watch::Receiver<Phase>,
}

impl<A: App> Connection<A> {
    async fn run(self, http: http1::Builder) {
        let Connection {
            tcp,
            peer,
            slot,
            app,
            write_timeout,
            mut phase,
        } = self;
        let activity = slot.activity.clone();
        let slot = Arc::new(slot);
        // Without TCP_NODELAY, streamed responses stall ~40 ms on delayed ACKs (see DESIGN.md).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let busy = slot.busy();
            req.extensions_mut().insert(ConnectInfo(peer));
            let response = app.clone().oneshot(req);
            async move {
                let response = response.await?;
                Ok::<_, Infallible>(
                    response.map(|inner| axum::body::Body::new(BusyBody { inner, _busy: busy })),
                )
            }
        });
        let io = TokioIo::new(WriteDeadline::new(tcp, write_timeout));
        let mut conn = pin!(http.serve_connection(io, service));
        match *phase.borrow_and_update() {
            Phase::Serving => {}
            Phase::Draining => conn.as_mut().graceful_shutdown(),
            Phase::Stopping => return,
        }
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    // Header timeouts, resets, clients gone: routine, and the client's business.
                    if let Err(e) = result {
                        tracing::debug!(client = %peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                changed = phase.changed() => match changed.map(|()| *phase.borrow_and_update()) {
                    Ok(Phase::Serving) => {}
                    Ok(Phase::Draining) => conn.as_mut().graceful_shutdown(),
                    // Dropping the connection closes the socket.
                    Ok(Phase::Stopping) | Err(_) => return,
                },
                // Chosen to make room at the connection cap (see `Registry::admit`).
                () = activity.close.notified() => {
                    tracing::debug!(client = %peer, "idle connection closed to make room");
                    return;
                }
            }
        }
    }
}

/// Errors that concern one client, not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Logs an event at most once a second, with how many happened since the last line: under attack the
/// log must not become the next thing to fill the disk.
#[derive(Default)]
struct RateLimitedLog {
    last: Option<Instant>,
    since_last: u64,
}

impl RateLimitedLog {
    /// Counts one event; `Some(count)` when it is time to log.
    fn tick(&mut self) -> Option<u64> {
        self.since_last += 1;
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return None;
        }
        self.last = Some(Instant::now());
        Some(std::mem::take(&mut self.since_last))
    }
}

/// A socket whose writes give up after `timeout` without progress, so a client that stops reading a
/// response cannot hold its connection (and a descriptor) forever. Reads pass through: the header
/// deadline and the router's timeout bound them.
pub struct WriteDeadline<T> {
    inner: T,
    timeout: Duration,
    /// Running while writes are blocked; reset by any progress.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> WriteDeadline<T> {
    pub fn new(inner: T, timeout: Duration) -> Self {
        WriteDeadline {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// After a write returned `Pending`: still pending, or a timeout error once the deadline passes.
    fn poll_stalled<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let timeout = self.timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<R>(
        &mut self,
        result: Poll<io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Pending => self.poll_stalled(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progress(result, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progress(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(result, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progress(result, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn the_cap_leaves_room_for_the_database_and_stays_bounded() {
        assert_eq!(connection_cap(1024), 1024 - FD_RESERVE as usize);
        assert_eq!(connection_cap(100), 50);
        assert_eq!(connection_cap(1), 1);
        assert_eq!(connection_cap(0), 1);
        assert_eq!(connection_cap(1 << 20), MAX_CONNECTIONS_CEILING);
        assert_eq!(connection_cap(u64::MAX), MAX_CONNECTIONS_CEILING);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);
    }

    #[test]
    fn slots_are_counted_per_client_and_given_back() {
        let registry = Arc::new(Registry::new(3, 2));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = registry.admit(a).unwrap();
        let _second = registry.admit(a).unwrap();
        assert_eq!(registry.admit(a).err(), Some(Cap::PerClient));
        let _third = registry.admit(b).unwrap();
        // At the cap, and nobody idle for a second yet.
        assert_eq!(registry.admit(b).err(), Some(Cap::Total));
        drop(first);
        assert_eq!(registry.open(), 2);
        let _again = registry.admit(a).unwrap();
        assert_eq!(registry.counts.borrow().per_client.get(&a), Some(&2));
    }

    #[test]
    fn at_the_cap_the_connection_idle_longest_makes_room_and_busy_ones_are_kept() {
        let registry = Arc::new(Registry::new(3, 10));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<Slot> = (0..3).map(|_| registry.admit(ip).unwrap()).collect();
        // Pretend time passed: the first was idle since 0, the second since 500, the third is busy.
        slots[1]
            .activity
            .idle_since_ms
            .store(500, Ordering::Release);
        let busy = slots[2].busy();
        let later = 5000;
        let counts = registry.counts.borrow();
        assert!(Registry::evict_one(&counts, later));
        assert!(slots[0].activity.evicted.load(Ordering::Acquire));
        assert!(!slots[1].activity.evicted.load(Ordering::Acquire));
        // The next one goes; the busy one never does.
        assert!(Registry::evict_one(&counts, later));
        assert!(slots[1].activity.evicted.load(Ordering::Acquire));
        assert!(!Registry::evict_one(&counts, later));
        assert!(!slots[2].activity.evicted.load(Ordering::Acquire));
        // The slots give their places back through the watch: release the borrow first.
        drop(counts);
        drop(busy);
    }

    #[tokio::test]
    async fn a_write_that_makes_no_progress_times_out() {
        // A 64-byte pipe whose other end never reads: the second write blocks for good.
        let (near, _far) = tokio::io::duplex(64);
        let mut io = WriteDeadline::new(near, Duration::from_millis(200));
        io.write_all(&[0; 64]).await.unwrap();
        let started = Instant::now();
        let err = io.write_all(&[0; 64]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn a_slow_reader_that_keeps_reading_is_not_cut_off() {
        use tokio::io::AsyncReadExt;
        let (near, mut far) = tokio::io::duplex(64);
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 16];
            let mut total = 0;
            while total < 256 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                total += far.read(&mut buf).await.unwrap();
            }
        });
        // 256 bytes through a 64-byte pipe read 16 bytes every 50 ms: most of a second in all, more
        // than the deadline, but never 200 ms without progress.
        let started = Instant::now();
        let mut io = WriteDeadline::new(near, Duration::from_millis(200));
        io.write_all(&[0; 256]).await.unwrap();
        reader.await.unwrap();
        assert!(started.elapsed() > Duration::from_millis(200));
    }
}
