//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB
//! and tens of milliseconds of CPU per hash, on purpose), off the async
//! runtime, a bounded number at once.
//!
//! Unbounded, 500 sign-ups at once would run 500 hashes at once (about
//! 10 GB). The [`Hasher`] runs as many as it has threads (the cores by
//! default), lets a few more requests wait for one, and refuses the rest
//! at once with [`PasswordError::Busy`] (503 and `Retry-After`): a short
//! wait beats a long queue that every client has given up on.
//!
//! A login for a name that has no account is checked against a dummy
//! hash, made once at start-up with the same parameters, so that it costs
//! what a wrong password costs and its answer time does not tell whether
//! the name exists.

use super::random_hex;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits in line for a hashing thread at most.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// What a refused request is told to wait: the queue drains in well under
/// a second.
const BUSY_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("every hashing thread is busy and the queue is full")]
    Busy { retry_after: Duration },
}

/// What the hashing has done, for metrics and tests.
#[derive(Debug, Default)]
struct Counters {
    /// Hashes and verifications running now.
    running: AtomicUsize,
    /// The most that ever ran at once.
    peak: AtomicUsize,
    /// Hashes and verifications performed (dummy ones included).
    performed: AtomicU64,
    /// Requests waiting for a thread now.
    waiting: AtomicUsize,
}

/// Hashes and verifies passwords, at most `threads` at once.
pub struct Hasher {
    permits: Arc<Semaphore>,
    threads: usize,
    queue: usize,
    counters: Arc<Counters>,
    /// The hash of a random password nobody knows, with the parameters of
    /// real ones.
    dummy: Arc<str>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("threads", &self.threads)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

fn verify_now(password: &str, stored: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(stored).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Counts a waiting request until dropped.
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    /// A hasher running `threads` hashes at once (at least one) with
    /// `queue` requests waiting at most; makes the dummy hash.
    pub async fn new(threads: usize, queue: usize) -> Result<Self, PasswordError> {
        let secret = random_hex::<16>();
        let dummy = tokio::task::spawn_blocking(move || hash_now(&secret)).await??;
        let threads = threads.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(threads)),
            threads,
            queue,
            counters: Arc::default(),
            dummy: dummy.into(),
        })
    }

    /// A thread's permit: at once, or after a short wait in line, or
    /// [`PasswordError::Busy`] when the line is full.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, PasswordError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let waiting = &self.counters.waiting;
        let ahead = waiting.fetch_add(1, Ordering::SeqCst);
        let _in_line = InLine(waiting);
        let busy = || {
            metrics::counter!("huddle_password_busy_total").increment(1);
            PasswordError::Busy {
                retry_after: BUSY_RETRY,
            }
        };
        if ahead >= self.queue {
            return Err(busy());
        }
        match tokio::time::timeout(MAX_WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(busy()),
        }
    }

    /// Runs `work` on the blocking pool with a thread's permit. The permit
    /// travels with the work, so a request that goes away while its hash
    /// runs does not free a thread that is still busy.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit = self.permit().await?;
        let counters = self.counters.clone();
        tokio::task::spawn_blocking(move || {
            let now = counters.running.fetch_add(1, Ordering::SeqCst) + 1;
            counters.peak.fetch_max(now, Ordering::SeqCst);
            counters.performed.fetch_add(1, Ordering::SeqCst);
            metrics::counter!("huddle_password_hashes_total").increment(1);
            let done = work();
            counters.running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            done
        })
        .await?
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches `stored` (a PHC string from
    /// [`Self::hash`]). Without `stored` (no such account) it is checked
    /// against the dummy hash all the same, and is wrong.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        let dummy = self.dummy.clone();
        self.run(move || match stored {
            Some(stored) => verify_now(&password, &stored),
            None => verify_now(&password, &dummy).map(|_| false),
        })
        .await
    }

    /// Hashes computed at once at most.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Hashes and verifications performed so far, dummy ones included.
    pub fn performed(&self) -> u64 {
        self.counters.performed.load(Ordering::SeqCst)
    }

    /// The most hashes and verifications that ever ran at once.
    pub fn peak(&self) -> usize {
        self.counters.peak.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hasher = Hasher::new(2, 4).await.unwrap();
        let h = hasher.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(hasher
            .verify("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!hasher.verify("wrong horse".into(), Some(h)).await.unwrap());
        assert_eq!(hasher.performed(), 3);
    }

    #[tokio::test]
    async fn a_missing_account_costs_a_verification_against_the_dummy() {
        let hasher = Hasher::new(1, 1).await.unwrap();
        assert!(hasher.dummy.starts_with("$argon2id$"));
        // Whatever is tried, even the empty password, nothing matches.
        assert!(!hasher.verify(String::new(), None).await.unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
        assert_eq!(hasher.performed(), 2);
        // Each hasher makes its own dummy: no constant hash in the code.
        let other = Hasher::new(1, 1).await.unwrap();
        assert_ne!(hasher.dummy, other.dummy);
    }

    #[tokio::test]
    async fn past_the_threads_and_the_queue_requests_are_refused_at_once() {
        let hasher = Arc::new(Hasher::new(1, 1).await.unwrap());
        // The one thread is taken.
        let held = hasher.permits.clone().try_acquire_owned().unwrap();
        // One request may wait for it...
        let waiting = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash("in line".into()).await }
        });
        while hasher.counters.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // ...the next is refused without waiting.
        match hasher.hash("one too many".into()).await {
            Err(PasswordError::Busy { retry_after }) => assert_eq!(retry_after, BUSY_RETRY),
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(held);
        assert!(waiting.await.unwrap().is_ok());
        assert_eq!(hasher.counters.waiting.load(Ordering::SeqCst), 0);
        assert_eq!(hasher.peak(), 1);
    }
}
