//! Authentication: signed, expiring tokens (JWT, HS256), passwords,
//! the HTTP routes that log in and out, and the socket identity.
//!
//! The secret comes from configuration, or is generated once and kept in the
//! data directory; it is never a constant in the code.

pub mod identity;
pub mod password;
pub mod routes;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a Huddle token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: u64,
    /// The username, for tokens issued at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The login session, for tokens issued at login: logging out revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token does not verify: {0}")]
    Invalid(jsonwebtoken::errors::Error),
}

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
        }
    }

    /// A token for `user_id` that expires after `ttl`.
    pub fn issue(
        &self,
        user_id: &str,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = unix_now();
        self.sign(&Claims {
            sub: user_id.to_owned(),
            iat: now,
            exp: now + ttl.as_secs(),
            name: None,
            sid: None,
        })
    }

    /// Signs `claims` as they are.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// The claims of a token signed with this secret that has not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e),
            })
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The configured secret, or the one kept in `<data_dir>/jwt-secret`,
/// generated on first run (readable by the owner only).
pub async fn load_or_create_secret(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> std::io::Result<SecretString> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let path = data_dir.join("jwt-secret");
    match tokio::fs::read_to_string(&path).await {
        Ok(s) if s.trim().len() >= 32 => return Ok(SecretString::from(s.trim().to_owned())),
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                "{} holds a secret shorter than 32 bytes: delete it to have a new one generated",
                path.display()
            ),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = random_secret();
    write_private(&path, &secret).await?;
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(SecretString::from(secret))
}

fn random_secret() -> String {
    random_hex::<32>()
}

/// `N` random bytes as lower-case hex.
pub fn random_hex<const N: usize>() -> String {
    use rand::Rng;
    let bytes: [u8; N] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    use tokio::io::AsyncWriteExt;
    let mut file = options.open(path).await?;
    file.write_all(contents.as_bytes()).await?;
    file.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn a_token_verifies_with_its_secret_only() {
        let a = keys("a-secret-that-is-long-enough-for-hs256!!");
        let b = keys("another-secret-that-is-long-enough-too!!");
        let token = a.issue("42", Duration::from_secs(60)).unwrap();
        assert_eq!(a.verify(&token).unwrap().sub, "42");
        assert!(matches!(b.verify(&token), Err(TokenError::Invalid(_))));
        assert!(matches!(
            a.verify("valid-token"),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys("a-secret-that-is-long-enough-for-hs256!!");
        let now = unix_now();
        let claims = Claims {
            sub: "1".into(),
            iat: now - 120,
            exp: now - 60,
            name: None,
            sid: None,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap();
        assert!(matches!(k.verify(&token), Err(TokenError::Expired)));
    }

    #[test]
    fn other_algorithms_are_refused() {
        let k = keys("a-secret-that-is-long-enough-for-hs256!!");
        let claims = Claims {
            sub: "1".into(),
            iat: unix_now(),
            exp: unix_now() + 60,
            name: None,
            sid: None,
        };
        let token = encode(&Header::new(Algorithm::HS512), &claims, &k.encoding).unwrap();
        assert!(k.verify(&token).is_err());
    }

    #[tokio::test]
    async fn the_generated_secret_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(None, dir.path()).await.unwrap();
        let again = load_or_create_secret(None, dir.path()).await.unwrap();
        assert_eq!(first.expose_secret(), again.expose_secret());
        assert_eq!(first.expose_secret().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
