//! The login kept across page reloads, in the browser's localStorage.

use crate::protocol::account::Session;

const KEY: &str = "huddle.session";

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The saved login, if any and not expired.
pub fn load() -> Option<Session> {
    #[cfg(feature = "hydrate")]
    {
        let text = storage()?.get_item(KEY).ok()??;
        let session: Session = serde_json::from_str(&text).ok()?;
        let now = (js_sys::Date::now() / 1000.0) as u64;
        (session.expires_at > now).then_some(session)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

pub fn save(session: &Session) {
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(session)) {
        let _ = storage.set_item(KEY, &text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (session, KEY);
}

pub fn clear() {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}
