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
//! A handler is registered with its budget in its namespace's [`Routes`],
//! once, when the server starts: `routes.on(Sends, send_message)`; each
//! socket gets one [`Dispatcher`] that reads from them. Any step may
//! refuse; what refused is answered once, and the later steps do not run.

use super::reply::Reply;
use super::state::GatewayState;
use super::turn::{Sequencer, Turn};
use crate::protocol::ClientEvent;
use crate::server::error::Error;
use crate::server::limits::budget::Category;
use crate::server::limits::{Budget, Reads};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{Event, SocketRef, TryData};
use socketioxide::handler::{FromMessageParts, MessageHandler, Value as PacketValue};
use socketioxide::socket::Socket;
use socketioxide::SocketIo;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// What a handler may reach besides its event: the socket it came on, the
/// socket.io server, the shared state.
pub struct Ctx<A: Adapter> {
    pub socket: SocketRef<A>,
    pub io: SocketIo<A>,
    pub state: Arc<GatewayState>,
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

/// A namespace's events: for each, by name, the budget it draws on, whether
/// it takes a turn, and its handler. Built once, when the server starts;
/// every socket of the namespace is given one handler, the [`Dispatcher`],
/// that finds its events here (socketioxide would otherwise keep a table
/// of every handler in every socket: 56 on `/chat`, 2.8 KB of every
/// connection, docs/performance.md).
pub struct Routes<A: Adapter> {
    state: Arc<GatewayState>,
    events: HashMap<&'static str, Route<A>>,
}

/// Step 1 for one category: draws on the budget, or answers the refusal
/// and says no.
type Draw<A> = fn(&Arc<Socket<A>>, &mut PacketValue, &Option<i64>) -> bool;

/// Steps 3 to 7 of one event, spawned on a task of its own.
type Spawn<A> = Box<dyn Fn(Ctx<A>, TryData<Value>, Reply<A>, Option<Turn>) + Send + Sync>;

struct Route<A: Adapter> {
    draw: Draw<A>,
    /// Takes a turn (step 2); an event without one waits behind nothing.
    in_turn: bool,
    spawn: Spawn<A>,
}

fn draw<A: Adapter, C: Category>(
    s: &Arc<Socket<A>>,
    v: &mut PacketValue,
    ack_id: &Option<i64>,
) -> bool {
    Budget::<C>::from_message_parts(s, v, ack_id).is_ok()
}

impl<A: Adapter> Routes<A> {
    pub fn new(state: GatewayState) -> Self {
        Self {
            state: Arc::new(state),
            events: HashMap::new(),
        }
    }

    /// Registers `handler` for event `E`, drawing on budget `C`: the
    /// event's success is acked with the handler's value.
    pub fn on<E, G, C, H, F>(&mut self, _budget: C, handler: H)
    where
        E: ClientEvent + Send + Sync + 'static,
        E::Reply: Send + 'static,
        G: Guard<A, E>,
        C: Category,
        H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
        F: Future<Output = Result<E::Reply, Error>> + Send + 'static,
    {
        self.add::<E, G, C, _, _, _>(
            move |cx, guard, event| async move { handler(cx, guard, event).await.map(Body) },
            true,
        )
    }

    /// Like [`Routes::on`] for an event whose success is not answered (only
    /// its refusal is): a stream of updates, such as a stroke being drawn.
    pub fn on_quiet<E, G, C, H, F>(&mut self, _budget: C, handler: H)
    where
        E: ClientEvent + Send + Sync + 'static,
        G: Guard<A, E>,
        C: Category,
        H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
        F: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.add::<E, G, C, _, _, _>(handler, true)
    }

    /// Like [`Routes::on_quiet`] for an event where only the newest counts
    /// (pointers): it takes no turn, so it waits behind none of the
    /// socket's events.
    pub fn on_latest<E, G, C, H, F>(&mut self, _budget: C, handler: H)
    where
        E: ClientEvent + Send + Sync + 'static,
        G: Guard<A, E>,
        C: Category,
        H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
        F: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.add::<E, G, C, _, _, _>(handler, false)
    }

    fn add<E, G, C, H, F, T>(&mut self, handler: H, in_turn: bool)
    where
        E: ClientEvent + Send + Sync + 'static,
        G: Guard<A, E>,
        C: Category,
        H: Fn(Ctx<A>, G, E) -> F + Copy + Send + Sync + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Answer,
    {
        let spawn: Spawn<A> = Box::new(move |cx, data, reply, turn| {
            tokio::spawn(async move {
                let _turn = match turn {
                    Some(turn) => Some(turn.wait().await),
                    None => None,
                };
                handle(cx, data, reply, handler).await
            });
        });
        let route = Route {
            draw: draw::<A, C>,
            in_turn,
            spawn,
        };
        let previous = self.events.insert(E::NAME, route);
        debug_assert!(previous.is_none(), "{} is registered twice", E::NAME);
    }
}

/// The one message handler of a socket: steps 1 and 2 (budget and turn)
/// as the packet is read, in arrival order, then the event's own steps on
/// a task of their own. An event the namespace does not know is refused
/// by name (after drawing on the `Reads` budget), so that a typo is easy
/// to find.
pub struct Dispatcher<A: Adapter>(Arc<Routes<A>>);

impl<A: Adapter> Dispatcher<A> {
    /// Gives `socket` its turns and `routes`' events: call in a connect
    /// middleware, before socketioxide confirms the namespace connection
    /// (its connect handler runs on a task after the confirmation, so an
    /// event sent right after connecting could otherwise come first).
    pub fn attach(socket: &SocketRef<A>, routes: Arc<Routes<A>>) {
        Sequencer::attach(socket, &routes.state.in_flight);
        socket.on_fallback(Self(routes));
    }
}

/// socketioxide's type parameter for [`Dispatcher`]'s handler.
pub struct Dispatched;

impl<A: Adapter> MessageHandler<A, Dispatched> for Dispatcher<A> {
    fn call(&self, s: Arc<Socket<A>>, mut v: PacketValue, ack_id: Option<i64>) {
        let Ok(Event(name)) = Event::from_message_parts(&s, &mut v, &ack_id) else {
            // socketioxide read the name before calling: not reached.
            return;
        };
        let Some(route) = self.0.events.get(name.as_str()) else {
            if draw::<A, Reads>(&s, &mut v, &ack_id) {
                let Ok(reply) = Reply::from_message_parts(&s, &mut v, &ack_id);
                let name: String = name.chars().take(64).collect();
                reply.refuse("unknown", format!("Unknown event {name:?} on {}", s.ns()));
            }
            return;
        };
        // `draw` first (a refused event is answered and goes no further),
        // the turn last (nothing after it can fail and leave its ticket
        // unused).
        if !(route.draw)(&s, &mut v, &ack_id) {
            return;
        }
        let Ok(socket) = SocketRef::from_message_parts(&s, &mut v, &ack_id);
        let Ok(io) = SocketIo::from_message_parts(&s, &mut v, &ack_id);
        let Ok(data) = TryData::<Value>::from_message_parts(&s, &mut v, &ack_id);
        let Ok(reply) = Reply::from_message_parts(&s, &mut v, &ack_id);
        let turn = if route.in_turn {
            // Refused (too many events waiting): already answered.
            let Ok(turn) = Turn::from_message_parts(&s, &mut v, &ack_id) else {
                return;
            };
            Some(turn)
        } else {
            None
        };
        let state = self.0.state.clone();
        (route.spawn)(Ctx { socket, io, state }, data, reply, turn);
    }
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
