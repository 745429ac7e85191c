//! A session's queue of outgoing packets (Huddle's patch).
//!
//! It replaces the bounded `tokio::sync::mpsc` channel that engineioxide
//! gives every session, with the same operations and the same meaning
//! (bounded in entries, permits reserved before sending, closed by the
//! receiving side, whose `recv` then gives what is left and `None`). What
//! it changes is memory: tokio's channel allocates its first block of 32
//! slots when it is created (32 × 88 bytes) and keeps a cache-padded shared
//! state (about 640 bytes, aligned to 128) for every session, idle or not.
//! This queue is a `VecDeque` behind a mutex, empty and unallocated until
//! the first packet, and given back when a burst is drained; an idle
//! session's queue holds at most four slots.
//!
//! One receiver at a time (the session's transport, which holds it behind
//! the session's `internal_rx` lock), any number of senders.
//!
//! Beside the entries, the queue keeps one "latest" value outside the
//! bound, which each `send_latest` replaces: engineioxide's volatile
//! packets, which it kept in a `tokio::sync::watch` channel of their own
//! (eight `Notify`s and a lock, about 400 bytes per session, for a feature
//! an application may never use). The receiver takes it when no entry is
//! waiting; after `close` it is dropped.

use std::{
    collections::VecDeque,
    future::poll_fn,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::task::AtomicWaker;
use tokio::sync::{
    Notify,
    mpsc::error::{SendError, TryRecvError, TrySendError},
};

/// Slots kept once a burst is drained; a larger buffer is given back.
const KEPT_SLOTS: usize = 4;

#[derive(Debug)]
struct Shared<T> {
    state: Mutex<State<T>>,
    /// The receiver's waker: woken by every packet and by `close`.
    rx_waker: AtomicWaker,
    /// Wakes `Sender::closed`.
    closed: Notify,
    /// Wakes the senders waiting for a place (`Sender::send`), when there
    /// are any: `space_waiters` says so, so that the receiver touches
    /// nothing more on its usual path.
    space: Notify,
    space_waiters: AtomicUsize,
    bound: usize,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    /// The latest value of `send_latest` not yet taken.
    latest: Option<T>,
    /// Permits handed out and neither used nor dropped yet.
    reserved: usize,
    closed: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding the lock; recover all the same.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place was freed or the queue closed: wakes the senders waiting.
    fn freed(&self) {
        if self.space_waiters.load(Ordering::SeqCst) > 0 {
            self.space.notify_waiters();
        }
    }
}

/// A bounded queue of `bound` entries.
pub(crate) fn channel<T>(bound: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            latest: None,
            reserved: 0,
            closed: false,
        }),
        rx_waker: AtomicWaker::new(),
        closed: Notify::new(),
        space: Notify::new(),
        space_waiters: AtomicUsize::new(0),
        bound: bound.max(1),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

/// The sending side.
#[derive(Debug)]
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A place reserved in the queue for one entry.
#[derive(Debug)]
pub(crate) struct Permit<'a, T> {
    shared: &'a Shared<T>,
}

impl<T> Sender<T> {
    /// Puts `value` in the queue, unless it is full or closed.
    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        {
            let mut state = self.shared.lock();
            if state.closed {
                return Err(TrySendError::Closed(value));
            }
            if state.items.len() + state.reserved >= self.shared.bound {
                return Err(TrySendError::Full(value));
            }
            state.items.push_back(value);
        }
        self.shared.rx_waker.wake();
        Ok(())
    }

    /// Puts `value` in the queue, waiting for a place if it is full; gives
    /// it back if the queue is closed.
    pub(crate) async fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut value = value;
        loop {
            let notified = self.shared.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Counted before the attempt, so a place freed after it wakes us.
            self.shared.space_waiters.fetch_add(1, Ordering::SeqCst);
            let sent = self.try_send(value);
            if let Err(TrySendError::Full(_)) = &sent {
                notified.await;
            }
            self.shared.space_waiters.fetch_sub(1, Ordering::SeqCst);
            match sent {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(v)) => return Err(SendError(v)),
                Err(TrySendError::Full(v)) => value = v,
            }
        }
    }

    /// Reserves a place for one entry, unless the queue is full or closed.
    pub(crate) fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(TrySendError::Closed(()));
        }
        if state.items.len() + state.reserved >= self.shared.bound {
            return Err(TrySendError::Full(()));
        }
        state.reserved += 1;
        Ok(Permit {
            shared: &self.shared,
        })
    }

    /// Makes `value` the latest value, replacing one not yet taken, unless
    /// the queue is closed (then it is dropped and `false` returned). It
    /// takes no place in the bound and is taken after the entries waiting.
    pub(crate) fn send_latest(&self, value: T) -> bool {
        {
            let mut state = self.shared.lock();
            if state.closed {
                return false;
            }
            state.latest = Some(value);
        }
        self.shared.rx_waker.wake();
        true
    }

    /// Whether the receiver closed the queue.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// Returns once the receiver has closed the queue.
    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.shared.closed.notified();
            tokio::pin!(notified);
            // Registered before the check, so a close in between wakes it.
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Permit<'_, T> {
    /// Puts `value` in the place reserved (even if the queue was closed
    /// meanwhile, as with tokio's permits: the receiver still gets it).
    pub(crate) fn send(self, value: T) {
        {
            let mut state = self.shared.lock();
            state.reserved -= 1;
            state.items.push_back(value);
        }
        self.shared.rx_waker.wake();
        std::mem::forget(self);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        // Unused: the place is free again.
        let wake = {
            let mut state = self.shared.lock();
            state.reserved -= 1;
            state.closed && state.reserved == 0
        };
        if wake {
            self.shared.rx_waker.wake();
        }
        self.shared.freed();
    }
}

/// What the receiver took: an entry, or the latest value (taken only
/// when no entry waits).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken<T> {
    Entry(T),
    Latest(T),
}

impl<T> Taken<T> {
    fn into_inner(self) -> T {
        match self {
            Taken::Entry(value) | Taken::Latest(value) => value,
        }
    }
}

/// The receiving side.
#[derive(Debug)]
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// The next entry, or why there is none.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.next(false).map(Taken::into_inner)
    }

    /// The next entry, else the latest value, or why there is neither (the
    /// latest value is not given once the queue is closed).
    pub(crate) fn try_take(&mut self) -> Result<Taken<T>, TryRecvError> {
        self.next(true)
    }

    /// The next entry, else (if `latest`) the latest value: under one
    /// lock, as the writer asks each time it wakes.
    fn next(&mut self, latest: bool) -> Result<Taken<T>, TryRecvError> {
        let mut state = self.shared.lock();
        if let Some(value) = state.items.pop_front() {
            if state.items.is_empty() && state.items.capacity() > KEPT_SLOTS {
                state.items = VecDeque::new();
            }
            drop(state);
            self.shared.freed();
            return Ok(Taken::Entry(value));
        }
        if state.closed && state.reserved == 0 {
            return Err(TryRecvError::Disconnected);
        }
        match state.latest.take_if(|_| latest) {
            Some(value) => Ok(Taken::Latest(value)),
            None => Err(TryRecvError::Empty),
        }
    }

    /// The next entry or latest value (`try_take`); `Ready(None)` once the
    /// queue is closed, empty and no permit is left.
    pub(crate) fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<Option<Taken<T>>> {
        self.poll_next(cx, Self::try_take)
    }

    /// The next entry or latest value, waiting for one; `None` once the
    /// queue is closed, empty and no permit is left.
    pub(crate) async fn take(&mut self) -> Option<Taken<T>> {
        poll_fn(|cx| self.poll_take(cx)).await
    }

    /// The next entry, waiting for it; `None` once the queue is closed,
    /// empty and no permit is left (the test harness's dummy socket).
    #[cfg(any(test, feature = "__test_harness"))]
    pub(crate) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_next(cx, Self::try_recv)).await
    }

    /// What `try_next` gives, else `Pending` with the waker registered.
    fn poll_next<X>(
        &mut self,
        cx: &mut Context<'_>,
        try_next: fn(&mut Self) -> Result<X, TryRecvError>,
    ) -> Poll<Option<X>> {
        match try_next(self) {
            Ok(value) => return Poll::Ready(Some(value)),
            Err(TryRecvError::Disconnected) => return Poll::Ready(None),
            Err(TryRecvError::Empty) => {}
        }
        self.shared.rx_waker.register(cx.waker());
        // Again, after registering: a value put in meanwhile woke no one.
        match try_next(self) {
            Ok(value) => Poll::Ready(Some(value)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => Poll::Pending,
        }
    }

    /// Closes the queue: no more entries or permits are accepted; those in
    /// it, and those of permits already given, are still received.
    pub(crate) fn close(&mut self) {
        {
            let mut state = self.shared.lock();
            state.closed = true;
            state.latest = None;
        }
        self.shared.closed.notify_waiters();
        self.shared.rx_waker.wake();
        self.shared.freed();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn entries_come_out_in_order_and_the_bound_holds() {
        let (tx, mut rx) = channel::<u32>(3);
        tx.try_send(1).unwrap();
        let permit = tx.try_reserve().unwrap();
        tx.try_send(3).unwrap();
        assert!(matches!(tx.try_send(4), Err(TrySendError::Full(4))));
        assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
        permit.send(2);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, Some(2));
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        // A dropped permit frees its place.
        let permits: Vec<_> = (0..3).map(|_| tx.try_reserve().unwrap()).collect();
        assert!(tx.try_reserve().is_err());
        drop(permits);
        assert!(tx.try_reserve().is_ok());
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken() {
        let (tx, mut rx) = channel::<u32>(8);
        let waiting = tokio::spawn(async move {
            let first = rx.recv().await;
            let second = rx.recv().await;
            (first, second)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.try_send(7).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.try_reserve().unwrap().send(8);
        let got = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(got, (Some(7), Some(8)));
    }

    #[tokio::test]
    async fn closing_refuses_new_entries_and_drains_the_rest() {
        let (tx, mut rx) = channel::<u32>(8);
        let tx = Arc::new(tx);
        tx.try_send(1).unwrap();
        let permit = tx.try_reserve().unwrap();
        let closed = tokio::spawn({
            let tx = tx.clone();
            async move { tx.closed().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!closed.is_finished() && !tx.is_closed());
        rx.close();
        tokio::time::timeout(Duration::from_secs(1), closed)
            .await
            .expect("closed() resolves")
            .unwrap();
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(2), Err(TrySendError::Closed(2))));
        assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
        assert_eq!(rx.recv().await, Some(1));
        // A permit given before the close is still received.
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        permit.send(3);
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn send_waits_for_a_place() {
        let (tx, mut rx) = channel::<u32>(1);
        tx.try_send(1).unwrap();
        let tx = Arc::new(tx);
        let sending = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!sending.is_finished(), "the queue is full: send waits");
        assert_eq!(rx.recv().await, Some(1));
        tokio::time::timeout(Duration::from_secs(1), sending)
            .await
            .expect("a place was freed")
            .unwrap()
            .unwrap();
        assert_eq!(rx.recv().await, Some(2));
        // Closed while waiting: the value comes back.
        tx.try_send(3).unwrap();
        let sending = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(4).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        rx.close();
        let back = tokio::time::timeout(Duration::from_secs(1), sending)
            .await
            .expect("woken by the close")
            .unwrap();
        assert!(matches!(back, Err(SendError(4))));
    }

    #[tokio::test]
    async fn a_drained_burst_gives_its_buffer_back() {
        let (tx, mut rx) = channel::<u64>(256);
        for i in 0..100 {
            tx.try_send(i).unwrap();
        }
        assert!(tx.shared.lock().items.capacity() >= 100);
        for i in 0..100 {
            assert_eq!(rx.recv().await, Some(i));
        }
        assert_eq!(tx.shared.lock().items.capacity(), 0);
        // A small queue keeps its slots.
        tx.try_send(1).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        let kept = tx.shared.lock().items.capacity();
        assert!(kept > 0 && kept <= KEPT_SLOTS, "{kept}");
    }

    #[tokio::test]
    async fn the_latest_value_is_replaced_taken_after_the_entries_and_dropped_by_close() {
        let (tx, mut rx) = channel::<u32>(1);
        assert!(tx.send_latest(10));
        assert!(tx.send_latest(11));
        // Outside the bound: the one place is still free.
        tx.try_send(1).unwrap();
        assert_eq!(rx.take().await, Some(Taken::Entry(1)));
        // `try_recv` gives entries only and leaves the latest value.
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        assert_eq!(rx.take().await, Some(Taken::Latest(11)));
        assert!(matches!(rx.try_take(), Err(TryRecvError::Empty)));
        // A waiting receiver is woken by a latest value.
        let taking = tokio::spawn(async move {
            let taken = rx.take().await;
            (taken, rx)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(tx.send_latest(12));
        let (taken, mut rx) = tokio::time::timeout(Duration::from_secs(1), taking)
            .await
            .expect("woken by the latest value")
            .unwrap();
        assert_eq!(taken, Some(Taken::Latest(12)));
        // Closed: what is left of the entries still comes, the latest does not.
        tx.try_send(2).unwrap();
        assert!(tx.send_latest(13));
        rx.close();
        assert!(!tx.send_latest(14));
        assert_eq!(rx.take().await, Some(Taken::Entry(2)));
        assert_eq!(rx.take().await, None);
    }
}
