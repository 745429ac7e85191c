//! The calls over HTTP: the account's (register, log in, log out), typed
//! with the `protocol::account` structs, and the emoji list
//! (`protocol::emoji::EmojiList`).

use crate::protocol::account::{Credentials, Session, LOGIN_PATH, LOGOUT_PATH, REGISTER_PATH};
use crate::protocol::emoji::{EmojiList, EMOJI_LIST_PATH};

pub async fn register(credentials: &Credentials) -> Result<Session, String> {
    post_credentials(REGISTER_PATH, credentials).await
}

pub async fn login(credentials: &Credentials) -> Result<Session, String> {
    post_credentials(LOGIN_PATH, credentials).await
}

#[cfg(feature = "hydrate")]
async fn post_credentials(path: &str, credentials: &Credentials) -> Result<Session, String> {
    use gloo_net::http::Request;
    let response = Request::post(path)
        .json(credentials)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|_| {
            "The server cannot be reached: check your connection and try again".to_owned()
        })?;
    if response.ok() {
        response
            .json::<Session>()
            .await
            .map_err(|e| format!("The server sent an answer this page does not understand ({e})"))
    } else {
        Err(error_message(response).await)
    }
}

#[cfg(feature = "hydrate")]
async fn error_message(response: gloo_net::http::Response) -> String {
    match response.json::<crate::protocol::ack::ErrorReply>().await {
        Ok(e) => e.message,
        Err(_) => format!(
            "The server refused ({} {})",
            response.status(),
            response.status_text()
        ),
    }
}

/// Ends the session of `token` on the server (its sockets are disconnected).
pub async fn logout(token: &str) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::Request;
        let response = Request::post(LOGOUT_PATH)
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.ok() {
            Ok(())
        } else {
            Err(error_message(response).await)
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (token, LOGOUT_PATH);
        Err("Only the browser logs out".into())
    }
}

#[cfg(not(feature = "hydrate"))]
async fn post_credentials(path: &str, credentials: &Credentials) -> Result<Session, String> {
    let _ = (path, credentials);
    Err("Only the browser logs in".into())
}

/// The emoji list the picker and the `:` completion offer.
pub async fn emoji_list() -> Result<EmojiList, String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::Request;
        let response = Request::get(EMOJI_LIST_PATH).send().await.map_err(|_| {
            "The server cannot be reached: check your connection and try again".to_owned()
        })?;
        if response.ok() {
            response.json::<EmojiList>().await.map_err(|e| {
                format!("The server sent an emoji list this page does not understand ({e})")
            })
        } else {
            Err(error_message(response).await)
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = EMOJI_LIST_PATH;
        Err("Only the browser loads the emoji list".into())
    }
}
