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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}
