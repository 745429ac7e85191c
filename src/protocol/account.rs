//! Accounts over HTTP: register, log in, log out. The token they return is
//! passed in the socket.io handshake as `auth: {token}`.

use super::names::Username;
use serde::{Deserialize, Serialize};

pub const REGISTER_PATH: &str = "/api/register";
pub const LOGIN_PATH: &str = "/api/login";
/// `POST` with `Authorization: Bearer <token>`: ends that session and
/// disconnects its sockets.
pub const LOGOUT_PATH: &str = "/api/logout";

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The body of register and login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: Username,
    pub password: String,
}

impl Credentials {
    /// Checks the password rules (the username rules are in its type).
    pub fn check_password(&self) -> Result<(), String> {
        let len = self.password.chars().count();
        if len < MIN_PASSWORD_CHARS {
            return Err(format!(
                "The password must be at least {MIN_PASSWORD_CHARS} characters"
            ));
        }
        if len > MAX_PASSWORD_CHARS {
            return Err(format!(
                "The password must be at most {MAX_PASSWORD_CHARS} characters"
            ));
        }
        Ok(())
    }
}

/// A registered user as others may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUser {
    pub id: i64,
    pub username: Username,
}

/// The answer to register and login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub user: AccountUser,
    /// Seconds since the Unix epoch.
    #[serde(rename = "expiresAt")]
    pub expires_at: u64,
}

/// The `auth` payload of the socket.io handshake.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeAuth {
    /// A login token: the socket is that account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Without a token: a secret the guest's page made up once (random,
    /// [`GuestKey`]'s rules) and presents on every reconnect, so that a
    /// send it retries after a reconnect is still known as its own.
    #[serde(rename = "guestKey", default, skip_serializing_if = "Option::is_none")]
    pub guest_key: Option<String>,
}

/// A guest's secret key ([`HandshakeAuth::guest_key`]): 22 to 128 letters,
/// digits, `-` or `_` (at least 128 bits when random, such as a UUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestKey(String);

impl GuestKey {
    pub const MIN_CHARS: usize = 22;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "auth.guestKey must be {} to {} letters, digits, - or _: a random key your page makes once",
                Self::MIN_CHARS,
                Self::MAX_CHARS
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
