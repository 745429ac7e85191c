//! Who has joined `/chat`: the username of each joined socket, in join order.
//!
//! An entry exists from a successful `join` until its socket disconnects, and
//! only then; a refused `join` never creates one (unlike the tutorial, which
//! keeps an `undefined` user forever).

use crate::protocol::Username;
use crate::server::cluster::roster::Roster;
use socketioxide::socket::Sid;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Presence {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_order: u64,
    by_sid: HashMap<Sid, (u64, Username)>,
    by_order: BTreeMap<u64, Username>,
}

impl Presence {
    /// Records `username` for `sid`. A socket that joins again is renamed in
    /// place and keeps its position in the list.
    pub fn join(&self, sid: Sid, username: Username) {
        let mut inner = self.lock();
        let Inner {
            next_order,
            by_sid,
            by_order,
        } = &mut *inner;
        match by_sid.get_mut(&sid) {
            Some((order, name)) => {
                *name = username.clone();
                by_order.insert(*order, username);
            }
            None => {
                let order = *next_order;
                *next_order += 1;
                by_sid.insert(sid, (order, username.clone()));
                by_order.insert(order, username);
            }
        }
    }

    /// Forgets `sid`, returning the name it had joined with, if any.
    pub fn leave(&self, sid: Sid) -> Option<Username> {
        let mut inner = self.lock();
        let (order, name) = inner.by_sid.remove(&sid)?;
        inner.by_order.remove(&order);
        Some(name)
    }

    /// The name `sid` joined with, if it has joined.
    pub fn username(&self, sid: Sid) -> Option<Username> {
        self.lock().by_sid.get(&sid).map(|(_, name)| name.clone())
    }

    /// The names of all joined sockets, in join order.
    pub fn usernames(&self) -> Vec<String> {
        self.lock()
            .by_order
            .values()
            .map(|u| u.as_str().to_owned())
            .collect()
    }

    /// Who is in the chat, as `get-users` answers: with a cluster's
    /// `roster`, each name once across every node, in first-join order; on
    /// one node, this node's joined sockets, one entry each, as in the
    /// tutorial.
    pub async fn who_is_here(&self, roster: Option<&Roster>) -> Vec<String> {
        match roster {
            Some(roster) => roster.usernames().await,
            None => self.usernames(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The lock is never held across a panic point that could leave the
        // maps inconsistent, so a poisoned lock still holds valid data.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        Username::parse(s).unwrap()
    }

    #[test]
    fn join_rename_and_leave() {
        let p = Presence::default();
        let (a, b) = (Sid::new(), Sid::new());
        p.join(a, name("ann"));
        p.join(b, name("bob"));
        p.join(a, name("anna"));
        assert_eq!(p.usernames(), ["anna", "bob"]);
        assert_eq!(p.username(a), Some(name("anna")));
        assert_eq!(p.leave(a), Some(name("anna")));
        assert_eq!(p.leave(a), None);
        assert_eq!(p.usernames(), ["bob"]);
    }

    #[test]
    fn same_name_twice_is_listed_twice() {
        let p = Presence::default();
        p.join(Sid::new(), name("ann"));
        p.join(Sid::new(), name("ann"));
        assert_eq!(p.usernames(), ["ann", "ann"]);
    }
}
