//! Accounts for the modes that need them (`react`: guests may not react):
//! each signed up over HTTP (`POST /api/register`) from its client's own
//! loopback address, as distinct people sign up, so the server's sign-up
//! budget per address (30 at once by default) is never reached; with
//! `--one-address` it is past 30, and the server must be started with a
//! higher `HUDDLE_REGISTER_LIMIT` for the run.

use crate::client::{source_address, Account};
use crate::Args;
use futures_util::StreamExt;
use huddle::protocol::account::{Credentials, Session, REGISTER_PATH};
use huddle::protocol::Username;
use std::time::Duration;

/// Sign-ups in flight at once. The server hashes as many passwords at
/// once as it has cores and lets twice that wait; past it, it answers 503
/// and the sign-up is tried again after the wait it names.
const AT_ONCE: usize = 4;
/// Tries per account while the server answers 503 (busy hashing).
const TRIES: u32 = 50;

/// The name of client `index`'s account in the run tagged `tag`: digits
/// only after `rx`, so that no two runs' names look alike to the server's
/// confusable-name check.
pub fn account_name(tag: u64, index: usize) -> Result<Username, String> {
    Username::parse(&format!("rx{tag}-{index}")).map_err(|e| e.to_string())
}

/// A run's tag: the time of day in seconds (names differ from run to run
/// on one server).
pub fn run_tag() -> u64 {
    crate::client::unix_micros() / 1_000_000 % 1_000_000
}

/// Signs up an account for each of `indexes` (client numbers), in order.
pub async fn sign_up(args: &Args, indexes: &[usize], tag: u64) -> Result<Vec<Account>, String> {
    let urls: Vec<&str> = args
        .url
        .split(',')
        .map(|u| u.trim_end_matches('/'))
        .collect();
    let password = format!("load-password-{tag}");
    let mut accounts: Vec<(usize, Account)> = futures_util::stream::iter(indexes.iter().copied())
        .map(|i| {
            let url = format!("{}{REGISTER_PATH}", urls[i % urls.len()]);
            let source = source_address(args.one_address, i);
            let password = password.clone();
            async move {
                let name = account_name(tag, i)?;
                sign_up_one(&url, source, name, password)
                    .await
                    .map(|a| (i, a))
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<Result<_, String>>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    accounts.sort_by_key(|(i, _)| *i);
    Ok(accounts.into_iter().map(|(_, a)| a).collect())
}

async fn sign_up_one(
    url: &str,
    source: Option<std::net::IpAddr>,
    name: Username,
    password: String,
) -> Result<Account, String> {
    let client = reqwest::Client::builder()
        .local_address(source)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let body = Credentials {
        username: name.clone(),
        password,
    };
    for _ in 0..TRIES {
        let response = client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("signing up {name}: {e}"))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| format!("signing up {name}: {e}"))?;
        match status {
            201 => {
                let session: Session = serde_json::from_str(&text)
                    .map_err(|e| format!("signing up {name}: {e}: {text}"))?;
                return Ok(Account {
                    name: session.user.username,
                    token: session.token,
                });
            }
            503 => tokio::time::sleep(retry_after(&text)).await,
            429 => {
                return Err(format!(
                    "signing up {name} was refused (429: {text}): over the sign-up budget of its address; \
                     without --one-address each client signs up from its own, with it start the server \
                     with a higher HUDDLE_REGISTER_LIMIT for the run"
                ))
            }
            _ => return Err(format!("signing up {name}: HTTP {status}: {text}")),
        }
    }
    Err(format!(
        "signing up {name}: the server was still busy after {TRIES} tries"
    ))
}

/// The wait a 503's body names (`retryAfterMs`), else 200 ms.
fn retry_after(body: &str) -> Duration {
    let ms = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("retryAfterMs").and_then(|m| m.as_u64()))
        .unwrap_or(200);
    Duration::from_millis(ms.clamp(10, 5_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_distinct() {
        let a = account_name(123_456, 0).unwrap();
        assert_eq!(a.as_str(), "rx123456-0");
        assert_ne!(account_name(123_456, 1), account_name(123_457, 1));
        // The longest: within the 32 characters a name may have.
        assert!(account_name(999_999, 99_999).is_ok());
        assert!(run_tag() < 1_000_000);
    }

    #[test]
    fn the_wait_of_a_busy_answer() {
        assert_eq!(
            retry_after(r#"{"message":"busy","retryAfterMs":350}"#),
            Duration::from_millis(350)
        );
        assert_eq!(retry_after("not json"), Duration::from_millis(200));
        assert_eq!(
            retry_after(r#"{"retryAfterMs":600000}"#),
            Duration::from_secs(5)
        );
    }
}
