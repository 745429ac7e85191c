//! `typing`, on `/chat`: "Ann is typing…" passed on to the others in the
//! conversation, through the adapter (so to every node of a cluster), and
//! never stored.
//!
//! Who may: in a room, a joined socket that is in the room and may read it
//! (the [`Reader`] rules: a private room's members, a public room's
//! unbanned readers); in a direct conversation, an account, to another
//! account (as `send-dm`). Each socket passes on at most one `typing` per
//! conversation per [`TYPING_EVERY_MS`]; the extra ones are acked and
//! dropped, so a client that sends on every key press costs its readers
//! nothing more.

use super::emit::emit_to;
use super::guards::{Account, InRoom, Joined, Reader};
use super::pipeline::{Ctx, Guard, Routes};
use super::rooms::user_room;
use crate::protocol::ack::OkMessage;
use crate::protocol::limits::TYPING_EVERY_MS;
use crate::protocol::typing::{Conversation, SomeoneTyping, Typing, TYPING_NOTED};
use crate::protocol::{RoomName, Username};
use crate::server::error::{Error, Internal};
use crate::server::limits::Reads;
use crate::server::store::User;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Registers `typing` in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Reads, typing::<A>);
}

/// The refusal of `typing` about a room the socket is not in.
pub fn not_in_room(room: &RoomName) -> String {
    format!("typing: you are not in {room}: join it first (join-room)")
}

/// Who is typing, and where: a joined socket in a room it may read, or an
/// account writing to another account.
pub enum Typist {
    Room { name: Username, room: RoomName },
    Dm { me: User, to: User },
}

/// The room of a room `typing`, for the [`Reader`] guard.
struct RoomOf(RoomName);

impl InRoom for RoomOf {
    fn room(&self) -> &RoomName {
        &self.0
    }
}

impl<A: Adapter> Guard<A, Typing> for Typist {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &Typing) -> Result<Self, Error> {
        match event.conversation().map_err(Error::refused)? {
            Conversation::Room(room) => {
                let name = <Joined as Guard<A, Typing>>::before(cx, None)?;
                // In the room first: cheap, and the same words whether or
                // not a private room of that name exists.
                let inside = cx.socket.rooms().iter().any(|r| r == room.as_str());
                if !inside {
                    return Err(Error::refused(not_in_room(&room)));
                }
                let room = RoomOf(room);
                <Reader as Guard<A, RoomOf>>::admit((), cx, &room).await?;
                Ok(Typist::Room { name, room: room.0 })
            }
            Conversation::Dm(with) => {
                let me = <Account as Guard<A, Typing>>::before(cx, None)?;
                let to = cx
                    .state
                    .store
                    .user_by_name(&with)
                    .await
                    .internal("cannot look up a user")?
                    .ok_or_else(|| {
                        Error::refused(format!("typing: no registered user is named {with}"))
                    })?;
                Ok(Typist::Dm { me, to })
            }
        }
    }
}

async fn typing<A: Adapter>(cx: Ctx<A>, typist: Typist, _: Typing) -> Result<OkMessage, Error> {
    let pace = paced(&cx.socket);
    let key = match &typist {
        Typist::Room { room, .. } => PaceKey::Room(room.as_str().to_owned()),
        Typist::Dm { to, .. } => PaceKey::Dm(to.id),
    };
    if !pace.admit(key, Instant::now()) {
        return Ok(OkMessage::new(TYPING_NOTED));
    }
    match typist {
        Typist::Room { name, room } => {
            // `to`: everyone in the room but this socket, on every node.
            let to = cx.socket.to(room.as_str().to_owned());
            let event = SomeoneTyping {
                room: Some(room),
                with: None,
                username: name,
            };
            emit_to(to, &event).await;
        }
        // Typing to oneself tells no one.
        Typist::Dm { me, to } if me.id != to.id => {
            let event = SomeoneTyping {
                room: None,
                with: Some(me.username.clone()),
                username: me.username,
            };
            emit_to(cx.socket.to(user_room(to.id)), &event).await;
        }
        Typist::Dm { .. } => {}
    }
    Ok(OkMessage::new(TYPING_NOTED))
}

/// The socket's pace keeper, made on its first `typing`.
fn paced<A: Adapter>(socket: &SocketRef<A>) -> Arc<TypingPace> {
    if let Some(pace) = socket.extensions.get::<Arc<TypingPace>>() {
        return pace;
    }
    let pace = Arc::new(TypingPace::default());
    socket.extensions.insert(pace.clone());
    pace
}

/// A conversation, as the pace keeper tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PaceKey {
    Room(String),
    Dm(i64),
}

/// Most conversations one socket's pace keeper remembers at once; past
/// it the oldest is forgotten (a socket typing in more conversations than
/// this within [`TYPING_EVERY_MS`] may pass the oldest on again early).
const MAX_PACED: usize = 16;

/// When one socket last passed `typing` on, per conversation: only those
/// passed on within the last [`TYPING_EVERY_MS`], at most [`MAX_PACED`].
#[derive(Debug, Default)]
pub struct TypingPace(Mutex<VecDeque<(PaceKey, Instant)>>);

impl TypingPace {
    /// Whether a `typing` about `key` at `now` is passed on; if so, it is
    /// remembered.
    fn admit(&self, key: PaceKey, now: Instant) -> bool {
        let every = Duration::from_millis(TYPING_EVERY_MS);
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        last.retain(|(_, at)| now.saturating_duration_since(*at) < every);
        if last.iter().any(|(k, _)| *k == key) {
            return false;
        }
        if last.len() >= MAX_PACED {
            last.pop_front();
        }
        last.push_back((key, now));
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().map_or(0, |l| l.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_interval_per_conversation() {
        let pace = TypingPace::default();
        let t0 = Instant::now();
        let room = || PaceKey::Room("dev".into());
        assert!(pace.admit(room(), t0));
        assert!(!pace.admit(room(), t0 + Duration::from_millis(10)));
        assert!(!pace.admit(room(), t0 + Duration::from_millis(2999)));
        // Another conversation has its own pace.
        assert!(pace.admit(PaceKey::Dm(7), t0 + Duration::from_millis(20)));
        assert!(pace.admit(room(), t0 + Duration::from_millis(3000)));
    }

    #[test]
    fn memory_is_bounded() {
        let pace = TypingPace::default();
        let t0 = Instant::now();
        for i in 0..1000 {
            pace.admit(PaceKey::Dm(i), t0);
        }
        assert_eq!(pace.len(), MAX_PACED);
        // Old entries go once their interval is over.
        assert!(pace.admit(PaceKey::Dm(5000), t0 + Duration::from_secs(4)));
        assert_eq!(pace.len(), 1);
    }
}
