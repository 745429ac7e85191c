//! Budgets of the account routes (`/api/register`, `/api/login`): how many
//! accounts one address may create, how many logins one address may try,
//! and how many failed logins one account name may take, from anywhere.
//!
//! Without them a script guesses passwords without end, and creates
//! accounts without end (each with a fresh per-account send budget). A
//! refusal is answered like the handshake limit's: HTTP 429, `Retry-After`
//! and `{message, retryAfterMs}` ([`Throttled`]).
//!
//! The account-name budget counts failures only, so that a person who logs
//! in fine is never locked out by their own logins: an attempt reserves one
//! failure before its password is checked (so that many attempts at once
//! cannot all slip past an empty budget while they are being checked), and
//! a login that succeeds gives it back. `governor` cannot give a token
//! back, hence [`FailureBudget`], the same cell rate algorithm over a map.

use super::{AddressKey, Keyed, Limits, Rate, Throttled};
use governor::clock::Clock;
use governor::RateLimiter;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The account routes' budgets; part of [`Limits`].
pub struct AuthLimits {
    register: Keyed<AddressKey>,
    login: Keyed<AddressKey>,
    failures: FailureBudget,
}

impl AuthLimits {
    pub(super) fn new(register: Rate, login: Rate, failures: Rate) -> Self {
        Self {
            register: RateLimiter::keyed(register.quota()),
            login: RateLimiter::keyed(login.quota()),
            failures: FailureBudget::new(failures),
        }
    }

    pub(super) fn forget_idle(&self) {
        for keyed in [&self.register, &self.login] {
            keyed.retain_recent();
            keyed.shrink_to_fit();
        }
        self.failures.forget_idle(Instant::now());
    }
}

/// An account name as the failure budget knows it: without regard to case,
/// as the accounts are.
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn take(keyed: &Keyed<AddressKey>, ip: AddressKey) -> Result<(), Duration> {
    keyed
        .check_key(&ip)
        .map_err(|n| n.wait_time_from(keyed.clock().now()))
}

impl Limits {
    /// Takes one account creation from the budget of address `ip`.
    pub fn check_register(&self, ip: AddressKey) -> Result<(), Throttled> {
        take(&self.auth.register, ip).map_err(|wait| {
            Throttled::too_many(
                wait,
                "Too many accounts were created from your address: try again",
            )
        })
    }

    /// Takes one login attempt from the budget of address `ip`, then
    /// reserves one failure of account name `name` (give it back with
    /// [`Self::login_succeeded`] when the password was right, or when it
    /// was never checked).
    pub fn check_login(&self, ip: AddressKey, name: &str) -> Result<(), Throttled> {
        take(&self.auth.login, ip).map_err(|wait| {
            Throttled::too_many(wait, "Too many login attempts from your address: try again")
        })?;
        self.auth
            .failures
            .reserve(&name_key(name), Instant::now())
            .map_err(|wait| {
                Throttled::too_many(
                    wait,
                    "Too many failed logins for this name: check the password and try again",
                )
            })
    }

    /// A login of `name` that did not fail: its reserved failure is given
    /// back.
    pub fn login_succeeded(&self, name: &str) {
        self.auth.failures.refund(&name_key(name), Instant::now());
    }
}

/// A cell-rate budget per key whose takes can be given back: `rate.burst`
/// at once, then one every `rate.per / rate.count`.
pub(crate) struct FailureBudget {
    interval: Duration,
    /// How far ahead of now a key's next free time may be.
    tolerance: Duration,
    /// Each key's theoretical arrival time: when its budget is full again.
    due: Mutex<HashMap<String, Instant>>,
}

impl FailureBudget {
    pub(crate) fn new(rate: Rate) -> Self {
        let interval = (rate.per / rate.count.get()).max(Duration::from_nanos(1));
        Self {
            interval,
            tolerance: interval * rate.burst.get(),
            due: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.due.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one from `key`'s budget, or says how long until one is there.
    pub(crate) fn reserve(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut due = self.lock();
        let current = due.get(key).copied().filter(|d| *d > now).unwrap_or(now);
        let next = current + self.interval;
        let ahead = next - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        due.insert(key.to_owned(), next);
        Ok(())
    }

    /// Gives one back to `key`'s budget (never more than it holds).
    pub(crate) fn refund(&self, key: &str, now: Instant) {
        let mut due = self.lock();
        if let Some(d) = due.get_mut(key) {
            match d.checked_sub(self.interval) {
                Some(back) if back > now => *d = back,
                _ => {
                    due.remove(key);
                }
            }
        }
    }

    /// Forgets the keys whose budget is full again.
    pub(crate) fn forget_idle(&self, now: Instant) {
        let mut due = self.lock();
        due.retain(|_, d| *d > now);
        due.shrink_to_fit();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_budget_allows_its_burst_then_one_per_interval() {
        let b = FailureBudget::new(Rate::new(1, 60, 3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.reserve("ann", t0), Ok(()));
        }
        let wait = b.reserve("ann", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        // Others are untouched.
        assert_eq!(b.reserve("bob", t0), Ok(()));
        // One comes back per interval.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(b.reserve("ann", later), Ok(()));
        assert!(b.reserve("ann", later).is_err());
    }

    #[test]
    fn a_refund_gives_one_back_and_no_more() {
        let b = FailureBudget::new(Rate::new(1, 60, 2));
        let t0 = Instant::now();
        for _ in 0..10 {
            // A login that succeeds every time never runs out.
            b.reserve("ann", t0).unwrap();
            b.refund("ann", t0);
        }
        assert_eq!(b.len(), 0);
        b.reserve("ann", t0).unwrap();
        b.reserve("ann", t0).unwrap();
        assert!(b.reserve("ann", t0).is_err());
        b.refund("ann", t0);
        b.refund("ann", t0);
        b.refund("ann", t0);
        // Three refunds of two takes: the budget is full, not over-full.
        b.reserve("ann", t0).unwrap();
        b.reserve("ann", t0).unwrap();
        assert!(b.reserve("ann", t0).is_err());
    }

    #[test]
    fn full_budgets_are_forgotten() {
        let b = FailureBudget::new(Rate::new(1, 60, 2));
        let t0 = Instant::now();
        b.reserve("ann", t0).unwrap();
        b.forget_idle(t0);
        assert_eq!(b.len(), 1);
        b.forget_idle(t0 + Duration::from_secs(60));
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn names_count_without_regard_to_case() {
        let mut config = super::super::LimitsConfig::for_tests();
        config.login_failures = Rate::new(1, 3600, 1);
        let limits = Limits::new(config);
        let ip = AddressKey::of(std::net::IpAddr::from([192, 0, 2, 1]));
        limits.check_login(ip, "Ann").unwrap();
        let refused = limits.check_login(ip, "aNN").unwrap_err();
        assert!(refused.message.contains("failed logins"), "{refused:?}");
        limits.check_login(ip, "bob").unwrap();
    }
}
