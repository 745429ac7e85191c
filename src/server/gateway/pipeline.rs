//! The one way an event is handled. Every client event of every namespace
//! goes through the same steps, in this order:
//!
//! 1. **budget**: its rate-limit category ([`Budget`], taken as the packet
//!    is read; a refused event costs nothing more);
//! 2. **turn**: its place in its socket's queue ([`Turn`]: one event of a
//!    socket at a time, in arrival order);
//! 3. **guard, before the payload**: what the socket itself must be
//!    ([`Guard::before`]: joined, logged in, holding a token), decided
//!    before the payload is read, as NestJS runs guards before its pipes;
//! 4. **parse and check**: the payload into the event's type and its rules
//!    ([`ClientEvent::from_payload`], [`ClientEvent::check`]);
//! 5. **guard, with the event**: what needs the event too ([`Guard::admit`]:
//!    this board open, a member of this room);
//! 6. **handler**: a plain async function of a [`Ctx`], the guard and the
//!    event, returning `Result<E::Reply, Error>`;
//! 7. **reply**: the ack, or the refusal as an error ack or `exception`.
//!
//! A handler is registered with its budget: `on(&socket, Sends,
//! send_message)`. Any step may refuse; what refused is answered once, and
//! the later steps do not run.

use super::reply::Reply;
use super::state::GatewayState;
use super::turn::Turn;
use crate::protocol::ClientEvent;
use crate::server::error::Error;
use crate::server::limits::budget::Category;
use crate::server::limits::Budget;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::SocketIo;
use std::future::Future;

/// What a handler may reach besides its event: the socket it came on, the
/// socket.io server, the shared state.
pub struct Ctx<A: Adapter> {
    pub socket: SocketRef<A>,
    pub io: SocketIo<A>,
    pub state: GatewayState,
}

/// What an event `E` needs of its sender before its handler runs; the
/// value is what the handler gets (the joined name, the account...).
pub trait Guard<A: Adapter, E>: Sized + Send + 'static {
    /// What is decided before the payload is parsed (step 3), handed on to
    /// [`Guard::admit`].
    type Before: Send;

    /// Step 3: from the socket (and, for a guard of the tutorial's kind
    /// that reads a field, the raw payload).
    fn before(cx: &Ctx<A>, payload: Option<&Value>) -> Result<Self::Before, Error>;

    /// Step 5: with the parsed, checked event.
    fn admit(
        before: Self::Before,
        cx: &Ctx<A>,
        event: &E,
    ) -> impl Future<Output = Result<Self, Error>> + Send;
}

/// Two guards, checked in order: `(Token, Joined)`.
impl<A: Adapter, E: Sync, G1: Guard<A, E>, G2: Guard<A, E>> Guard<A, E> for (G1, G2) {
    type Before = (G1::Before, G2::Before);

    fn before(cx: &Ctx<A>, payload: Option<&Value>) -> Result<Self::Before, Error> {
        Ok((G1::before(cx, payload)?, G2::before(cx, payload)?))
    }

    async fn admit(before: Self::Before, cx: &Ctx<A>, event: &E) -> Result<Self, Error> {
        Ok((
            G1::admit(before.0, cx, event).await?,
            G2::admit(before.1, cx, event).await?,
        ))
    }
}

/// Registers `handler` for event `E` on `socket`, drawing on budget `C`:
/// the event's success is acked with the handler's value.
pub fn on<A, E, G, C, H, F>(socket: &SocketRef<A>, _budget: C, handler: H)
where
    A: Adapter,
    E: ClientEvent + Send + Sync + 'static,
    E::Reply: Send + 'static,
    G: Guard<A, E>,
    C: Category,
    H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<E::Reply, Error>> + Send + 'static,
{
    register::<A, E, G, C, _, _, _>(
        socket,
        move |cx, guard, event| async move { handler(cx, guard, event).await.map(Body) },
        true,
    )
}

/// Like [`on`] for an event whose success is not answered (only its
/// refusal is): a stream of updates, such as a stroke being drawn.
pub fn on_quiet<A, E, G, C, H, F>(socket: &SocketRef<A>, _budget: C, handler: H)
where
    A: Adapter,
    E: ClientEvent + Send + Sync + 'static,
    G: Guard<A, E>,
    C: Category,
    H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<(), Error>> + Send + 'static,
{
    register::<A, E, G, C, _, _, _>(socket, handler, true)
}

/// Like [`on_quiet`] for an event where only the newest counts (pointers):
/// it takes no turn, so it waits behind none of the socket's events.
pub fn on_latest<A, E, G, C, H, F>(socket: &SocketRef<A>, _budget: C, handler: H)
where
    A: Adapter,
    E: ClientEvent + Send + Sync + 'static,
    G: Guard<A, E>,
    C: Category,
    H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<(), Error>> + Send + 'static,
{
    register::<A, E, G, C, _, _, _>(socket, handler, false)
}

/// What a handler's success sends back: acked events their body, quiet
/// ones nothing.
trait Answer: Send + 'static {
    fn send<A: Adapter>(self, reply: Reply<A>);
}

impl Answer for () {
    fn send<A: Adapter>(self, _: Reply<A>) {}
}

/// The body of a success ack.
struct Body<T>(T);

impl<T: serde::Serialize + Send + 'static> Answer for Body<T> {
    fn send<A: Adapter>(self, reply: Reply<A>) {
        reply.ok(self.0)
    }
}

/// Steps 1 and 2 (budget and, when `in_turn`, turn) as socketioxide
/// extractors, which run as the packet is read; then [`handle`].
fn register<A, E, G, C, H, F, T>(socket: &SocketRef<A>, handler: H, in_turn: bool)
where
    A: Adapter,
    E: ClientEvent + Send + Sync + 'static,
    G: Guard<A, E>,
    C: Category,
    H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: Answer,
{
    if in_turn {
        // `Budget` first (a refused event is answered and goes no
        // further), `Turn` last (no extractor after it can fail and leave
        // its ticket unused).
        socket.on(
            E::NAME,
            move |_: Budget<C>,
                  socket: SocketRef<A>,
                  io: SocketIo<A>,
                  State(state): State<GatewayState>,
                  data: TryData<Value>,
                  reply: Reply<A>,
                  turn: Turn| async move {
                let _turn = turn.wait().await;
                handle(Ctx { socket, io, state }, data, reply, handler).await
            },
        )
    } else {
        socket.on(
            E::NAME,
            move |_: Budget<C>,
                  socket: SocketRef<A>,
                  io: SocketIo<A>,
                  State(state): State<GatewayState>,
                  data: TryData<Value>,
                  reply: Reply<A>| async move {
                handle(Ctx { socket, io, state }, data, reply, handler).await
            },
        )
    }
}

/// Steps 3 to 7, once the event has its budget and its turn.
async fn handle<A, E, G, H, F, T>(cx: Ctx<A>, data: TryData<Value>, reply: Reply<A>, handler: H)
where
    A: Adapter,
    E: ClientEvent,
    G: Guard<A, E>,
    H: Fn(Ctx<A>, G, E) -> F,
    F: Future<Output = Result<T, Error>>,
    T: Answer,
{
    let payload = data.0.ok();
    let before = match G::before(&cx, payload.as_ref()) {
        Ok(before) => before,
        Err(e) => return reply.error(E::NAME, &e),
    };
    let event = match E::from_payload(payload) {
        Ok(event) => event,
        Err(e) => return reply.refuse(E::NAME, e.0),
    };
    if let Err(e) = event.check() {
        return reply.refuse(E::NAME, format!("{}: {e}", E::NAME));
    }
    let guard = match G::admit(before, &cx, &event).await {
        Ok(guard) => guard,
        Err(e) => return reply.error(E::NAME, &e),
    };
    match handler(cx, guard, event).await {
        Ok(success) => success.send(reply),
        Err(e) => reply.error(E::NAME, &e),
    }
}
