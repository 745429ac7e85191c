//! Runs [`ClientCore`] in the browser: one `web_sys::WebSocket` at a time and
//! a 250 ms timer that drives timeouts and reconnects.

use super::core::{AckError, ClientCore, ConnectionState, CoreConfig, Output};
use futures_channel::oneshot;
use leptos::prelude::*;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

type Handler = Rc<dyn Fn(Value)>;

const TICK_MS: i32 = 250;

pub struct Driver {
    inner: RefCell<Inner>,
    /// The timer driving `ClientCore::tick`, cleared when the driver goes.
    interval: std::cell::Cell<Option<i32>>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = self.interval.take() {
            window().clear_interval_with_handle(id);
        }
        let inner = self.inner.get_mut();
        if let Some(live) = inner.socket.take() {
            live.shut();
        }
    }
}

struct Inner {
    core: ClientCore,
    url: String,
    socket: Option<Live>,
    /// Bumped for every new WebSocket, so that late callbacks of an old one
    /// are ignored.
    generation: u32,
    handlers: HashMap<(String, String), Vec<Handler>>,
    connect_error_handlers: Vec<Rc<dyn Fn(String, String)>>,
    state: RwSignal<ConnectionState>,
    /// Closed sockets whose callbacks may still be on the stack; dropped on
    /// the next tick (dropping a running wasm-bindgen closure is an error).
    retired: Vec<Live>,
}

/// An open WebSocket and the callbacks it holds.
struct Live {
    ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Live {
    fn shut(&self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// `ws://host/socket.io/?EIO=4&transport=websocket` for this page's host.
fn socket_url() -> String {
    let location = window().location();
    let secure = location.protocol().map(|p| p == "https:").unwrap_or(false);
    let host = location.host().unwrap_or_default();
    format!(
        "{}://{host}{}?EIO=4&transport=websocket",
        if secure { "wss" } else { "ws" },
        crate::protocol::SOCKET_IO_PATH
    )
}

impl Driver {
    pub fn start(
        namespaces: &[&str],
        auth: Option<Value>,
        state: RwSignal<ConnectionState>,
    ) -> Rc<Self> {
        let mut core = ClientCore::new(CoreConfig::new(namespaces), Box::new(js_sys::Math::random));
        core.set_auth(auth);
        let driver = Rc::new(Self {
            inner: RefCell::new(Inner {
                core,
                url: socket_url(),
                socket: None,
                generation: 0,
                handlers: HashMap::new(),
                connect_error_handlers: Vec::new(),
                state,
                retired: Vec::new(),
            }),
            interval: std::cell::Cell::new(None),
        });
        let weak = Rc::downgrade(&driver);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(d) = weak.upgrade() {
                let retired = std::mem::take(&mut d.inner.borrow_mut().retired);
                drop(retired);
                let out = d.inner.borrow_mut().core.tick(now());
                d.apply(out);
            }
        });
        match window().set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            TICK_MS,
        ) {
            Ok(id) => driver.interval.set(Some(id)),
            Err(e) => leptos::logging::error!("cannot start the connection timer: {e:?}"),
        }
        // The closure must outlive the interval, which `Drop` clears; it only
        // holds a weak reference, so leaking it keeps nothing else alive.
        tick.forget();
        // React to the device's network at once instead of waiting for
        // missed pings.
        for (event, going_online) in [("offline", false), ("online", true)] {
            let weak = Rc::downgrade(&driver);
            let listener = Closure::<dyn FnMut()>::new(move || {
                if let Some(d) = weak.upgrade() {
                    let out = if going_online {
                        d.inner.borrow_mut().core.online(now())
                    } else {
                        d.inner.borrow_mut().core.offline(now())
                    };
                    d.apply(out);
                }
            });
            if let Err(e) =
                window().add_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
            {
                leptos::logging::warn!("cannot follow the network state: {e:?}");
            }
            listener.forget();
        }
        let out = driver.inner.borrow_mut().core.start(now());
        driver.apply(out);
        driver
    }

    pub fn set_auth(&self, auth: Option<Value>) {
        self.inner.borrow_mut().core.set_auth(auth);
    }

    pub fn restart(self: &Rc<Self>) {
        let out = self.inner.borrow_mut().core.restart(now());
        self.apply(out);
    }

    pub fn set_session_setup(&self, setup: super::core::SessionSetup) {
        self.inner.borrow_mut().core.set_session_setup(setup);
    }

    pub fn on_connect_error(&self, handler: Box<dyn Fn(String, String)>) {
        self.inner
            .borrow_mut()
            .connect_error_handlers
            .push(Rc::from(handler));
    }

    pub fn subscribe(&self, nsp: &str, name: &str, handler: Box<dyn Fn(Value)>) {
        self.inner
            .borrow_mut()
            .handlers
            .entry((nsp.to_owned(), name.to_owned()))
            .or_default()
            .push(Rc::from(handler));
    }

    pub fn emit(self: &Rc<Self>, nsp: &str, name: &str, arg: Value) {
        let out = self.inner.borrow_mut().core.emit(nsp, name, arg);
        self.apply(out);
    }

    pub fn emit_with_ack(
        self: &Rc<Self>,
        nsp: &str,
        name: &str,
        arg: Value,
        timeout_ms: u64,
    ) -> oneshot::Receiver<Result<Value, AckError>> {
        let (rx, out) =
            self.inner
                .borrow_mut()
                .core
                .emit_with_ack(now(), nsp, name, arg, timeout_ms);
        self.apply(out);
        rx
    }

    /// Carries out the core's outputs. No borrow is held while a handler
    /// runs, so handlers may emit.
    fn apply(self: &Rc<Self>, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Open => self.open(),
                Output::Send(frame) => {
                    let inner = self.inner.borrow();
                    if let Some(live) = &inner.socket {
                        if let Err(e) = live.ws.send_with_str(&frame) {
                            leptos::logging::warn!("send failed: {e:?}");
                        }
                    }
                }
                Output::Close => {
                    let mut inner = self.inner.borrow_mut();
                    inner.generation = inner.generation.wrapping_add(1);
                    if let Some(live) = inner.socket.take() {
                        live.shut();
                        inner.retired.push(live);
                    }
                }
                Output::Event { nsp, name, arg } => {
                    let handlers = self
                        .inner
                        .borrow()
                        .handlers
                        .get(&(nsp, name))
                        .cloned()
                        .unwrap_or_default();
                    for handler in handlers {
                        handler(arg.clone());
                    }
                }
                Output::ConnectError { nsp, message } => {
                    leptos::logging::warn!("the server refused {nsp}: {message}");
                    let handlers = self.inner.borrow().connect_error_handlers.clone();
                    for handler in handlers {
                        handler(nsp.clone(), message.clone());
                    }
                }
                Output::State(state) => {
                    let signal = self.inner.borrow().state;
                    signal.set(state);
                }
            }
        }
    }

    fn open(self: &Rc<Self>) {
        let (url, generation) = {
            let mut inner = self.inner.borrow_mut();
            inner.generation = inner.generation.wrapping_add(1);
            (inner.url.clone(), inner.generation)
        };
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(e) => {
                leptos::logging::warn!("cannot open {url}: {e:?}");
                let out = self.inner.borrow_mut().core.closed(now());
                self.apply(out);
                return;
            }
        };
        let on_message = {
            let weak = Rc::downgrade(self);
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    with_current(&weak, generation, |d| {
                        let out = d.inner.borrow_mut().core.received(now(), &text);
                        d.apply(out);
                    });
                }
            })
        };
        let on_close = {
            let weak = Rc::downgrade(self);
            Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
                with_current(&weak, generation, |d| {
                    let mut inner = d.inner.borrow_mut();
                    if let Some(live) = inner.socket.take() {
                        inner.retired.push(live);
                    }
                    drop(inner);
                    let out = d.inner.borrow_mut().core.closed(now());
                    d.apply(out);
                });
            })
        };
        // An error is always followed by a close event, which does the work.
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_e: Event| {});
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        let old = inner.socket.replace(Live {
            ws,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        });
        if let Some(old) = old {
            old.shut();
            inner.retired.push(old);
        }
    }
}

/// Runs `f` if the driver still exists and `generation` is its current
/// WebSocket.
fn with_current(weak: &Weak<Driver>, generation: u32, f: impl FnOnce(&Rc<Driver>)) {
    if let Some(d) = weak.upgrade() {
        if d.inner.borrow().generation == generation {
            f(&d);
        }
    }
}
