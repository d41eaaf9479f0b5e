//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes), run on the blocking pool
//! because it takes tens of milliseconds by design — and, for requests, through [`Hashing`], which bounds
//! how many run at once: each holds 19 MiB while it runs, and with no bound 100 parallel logins took the
//! server from 51 MB to 1.3 GB.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Shortest accepted password, in characters.
pub const MIN_LEN: usize = 10;
/// Longest accepted password: bounds the hashing work an attacker can ask for.
pub const MAX_LEN: usize = 200;

/// The PHC string of `password`.
pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Whether `password` matches the PHC string `stored`.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the name is unknown, so both answers take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("infra-dojo-dummy-password").unwrap_or_default());
    &DUMMY
}

/// Hashes on the blocking pool.
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// Hashes running at once, at most. argon2 here runs one lane, so one hash keeps one core busy for its
/// ~30–60 ms: on the 2 cores this runs on, 2 at once already give all the hashing throughput there is, and
/// each one more would only wait for a core while holding another 19 MiB. The ceiling is
/// `PERMITS × 19 MiB` (38 MiB) over the baseline, however many logins arrive (README, "Limits").
pub const PERMITS: usize = 2;
/// Longest a request waits in the queue for a permit. At ~50 ms a hash, 2 permits clear ~120 waiting
/// logins in 3 s — a whole class logging in at once — while a flood beyond that is told to come back
/// ([`Busy`], a 503 with `Retry-After`) instead of piling up until the 15 s request timeout.
pub const QUEUE_WAIT: Duration = Duration::from_secs(3);
/// What a refused request is told to wait, in seconds.
pub const BUSY_RETRY_SECS: u64 = 5;

/// The queue was too long: the request should come back in [`BUSY_RETRY_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is busy")]
pub struct Busy;

/// Argon2 for requests: at most a fixed number of hashes at once (a semaphore), a bounded wait for a turn,
/// and counters of what ran (for tests and benchmarks).
#[derive(Debug)]
pub struct Hashing {
    permits: Arc<Semaphore>,
    queue_wait: Duration,
    gauge: Arc<Gauge>,
}

/// Hashes running now, the most ever running at once, and how many ran.
#[derive(Debug, Default)]
struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicU64,
}

/// Counts one hash as running for as long as it lives, even if its request has gone.
struct Running(Arc<Gauge>);

impl Running {
    fn start(gauge: &Arc<Gauge>) -> Self {
        let now = gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.peak.fetch_max(now, Ordering::SeqCst);
        gauge.total.fetch_add(1, Ordering::SeqCst);
        Running(gauge.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for Hashing {
    fn default() -> Self {
        Hashing::new(PERMITS, QUEUE_WAIT)
    }
}

impl Hashing {
    /// `permits` hashes at once, each request waiting at most `queue_wait` for its turn.
    pub fn new(permits: usize, queue_wait: Duration) -> Self {
        Hashing {
            permits: Arc::new(Semaphore::new(permits)),
            queue_wait,
            gauge: Arc::default(),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit moves into the blocking task, so
    /// it is held until the hash is really done, even when the request is dropped half-way (timeout,
    /// closed connection): the bound holds for what runs, not for what is awaited.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let permit = tokio::time::timeout(self.queue_wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| HashingError::Busy(Busy))?
            .map_err(|_| HashingError::Busy(Busy))?;
        let gauge = self.gauge.clone();
        tokio::task::spawn_blocking(move || {
            let running = Running::start(&gauge);
            let out = work();
            // Counted as finished before the permit lets the next one start, so `peak` never overcounts.
            drop(running);
            drop(permit);
            out
        })
        .await
        .map_err(|e| HashingError::Failed(anyhow::anyhow!("hashing task: {e}")))
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        self.run(move || hash(&password))
            .await?
            .map_err(HashingError::Failed)
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown name), a check against a dummy
    /// hash that takes as long and answers `false`, so timing does not tell which names exist.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Busy> {
        let checked = self
            .run(move || match stored {
                Some(stored) => verify(&password, &stored),
                None => {
                    verify(&password, dummy_hash());
                    false
                }
            })
            .await;
        match checked {
            Ok(ok) => Ok(ok),
            Err(HashingError::Busy(busy)) => Err(busy),
            // A panicked task verified nothing.
            Err(HashingError::Failed(e)) => {
                tracing::error!(error = %e, "password check failed");
                Ok(false)
            }
        }
    }

    /// The most hashes that ever ran at once.
    pub fn peak(&self) -> usize {
        self.gauge.peak.load(Ordering::SeqCst)
    }

    /// Hashes and checks run so far.
    pub fn total(&self) -> u64 {
        self.gauge.total.load(Ordering::SeqCst)
    }
}

/// Why [`Hashing::hash`] gave no hash.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error(transparent)]
    Busy(Busy),
    #[error(transparent)]
    Failed(anyhow::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, hash("correct horse battery").unwrap(), "salted");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterx", &a));
        assert!(!verify("x", "not a hash"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_permits_run_at_once_and_a_long_queue_is_refused() {
        let hashing = Arc::new(Hashing::new(2, Duration::from_secs(60)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let hashing = hashing.clone();
            tasks.spawn(async move { hashing.verify("guess-guess".into(), None).await });
        }
        while let Some(done) = tasks.join_next().await {
            assert_eq!(done.unwrap(), Ok(false));
        }
        assert_eq!(hashing.total(), 12);
        assert_eq!(hashing.peak(), 2);

        let closed = Hashing::new(0, Duration::from_millis(20));
        assert_eq!(closed.verify("x".into(), None).await, Err(Busy));
        assert!(matches!(
            closed.hash("x".into()).await,
            Err(HashingError::Busy(Busy))
        ));
        assert_eq!(closed.total(), 0, "nothing ran");
    }
}
