//! The change feed of a shared store: how a node learns that another node changed a key (or the identities), so that
//! its caches never serve a stale state.
//!
//! The feed counts every change made by another node; a cache entry may be stored only if no such change arrived
//! between reading the key and storing it ([`Mark`]). The cache is trusted only while the feed is connected and its
//! trust has been renewed recently (the store renews it only while this node provably keeps up with the feed).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio::sync::oneshot;
use trent_domain::KeyId;

/// What a subscriber is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedEvent {
    /// Another node changed or destroyed this key.
    Key(KeyId),
    /// Another node changed the accounts' users, access keys or identity policies.
    Identities,
    /// Anything may have changed (the feed reconnected, or the store was reset).
    All,
}

/// A point in the feed's history, taken before reading from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(u64);

type Subscriber = Box<dyn Fn(FeedEvent) + Send + Sync>;

/// The feed.
pub struct ChangeFeed {
    connected: AtomicBool,
    trusted_until: Mutex<Option<Instant>>,
    foreign_changes: AtomicU64,
    subscribers: RwLock<Vec<Subscriber>>,
    waiters: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self {
            connected: AtomicBool::new(false),
            trusted_until: Mutex::new(None),
            foreign_changes: AtomicU64::new(0),
            subscribers: RwLock::new(Vec::new()),
            waiters: Mutex::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed").field("connected", &self.is_connected()).finish_non_exhaustive()
    }
}

impl ChangeFeed {
    /// A disconnected feed.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// True while the feed receives every change and its trust is current; a cache must not be trusted otherwise.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
            && self.trusted_until.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|until| Instant::now() < until)
    }

    /// True while the listener is subscribed (trust aside).
    pub fn is_listening(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Extends trust until `until` (never shortens it). Called by the store after proving it keeps up.
    pub fn trust_until(&self, until: Instant) {
        let mut trusted = self.trusted_until.lock().unwrap_or_else(|p| p.into_inner());
        if trusted.is_none_or(|current| current < until) {
            *trusted = Some(until);
        }
    }

    /// Registers a subscriber, called synchronously for every event.
    pub fn subscribe(&self, subscriber: impl Fn(FeedEvent) + Send + Sync + 'static) {
        self.subscribers.write().unwrap_or_else(|p| p.into_inner()).push(Box::new(subscriber));
    }

    /// The current point in the feed's history.
    pub fn mark(&self) -> Mark {
        Mark(self.foreign_changes.load(Ordering::SeqCst))
    }

    /// True if the feed is connected and no foreign change arrived since `mark`.
    pub fn unchanged_since(&self, mark: Mark) -> bool {
        self.is_connected() && self.foreign_changes.load(Ordering::SeqCst) == mark.0
    }

    fn publish(&self, event: FeedEvent) {
        self.foreign_changes.fetch_add(1, Ordering::SeqCst);
        for subscriber in self.subscribers.read().unwrap_or_else(|p| p.into_inner()).iter() {
            subscriber(event);
        }
    }

    /// The listener connected: from now on every change is seen. Everything cached before is suspect.
    pub fn connected(&self) {
        self.publish(FeedEvent::All);
        self.connected.store(true, Ordering::SeqCst);
    }

    /// The listener lost its connection: nothing cached can be trusted until it is back.
    pub fn disconnected(&self) {
        self.connected.store(false, Ordering::SeqCst);
        self.publish(FeedEvent::All);
    }

    /// A change notification arrived. `own` notifications (this node's writes, written through to the cache
    /// already, and its heartbeats) wake their waiter, if any; every other one invalidates.
    pub fn received(&self, change: FeedEvent, token: &str, own: bool) {
        if own {
            if let Some(waiter) = self.waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(token) {
                let _ = waiter.send(());
            }
        } else {
            self.publish(change);
        }
    }

    /// Registers interest in this node's own notification `token`; the receiver completes when it arrives.
    pub fn expect(&self, token: String) -> oneshot::Receiver<()> {
        let (sender, receiver) = oneshot::channel();
        self.waiters.lock().unwrap_or_else(|p| p.into_inner()).insert(token, sender);
        receiver
    }

    /// Forgets a waiter that gave up.
    pub fn forget(&self, token: &str) {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_changes_invalidate_marks_and_own_changes_wake_waiters() {
        let feed = ChangeFeed::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        feed.subscribe(move |e| log.lock().unwrap().push(e));
        let before = feed.mark();
        assert!(!feed.unchanged_since(before), "a disconnected feed trusts nothing");
        feed.connected();
        assert!(!feed.is_connected(), "connected but never trusted");
        feed.trust_until(Instant::now() + std::time::Duration::from_secs(60));
        let mark = feed.mark();
        assert!(feed.unchanged_since(mark));
        let mut own = feed.expect("node-a:1".to_owned());
        feed.received(FeedEvent::Key(KeyId::generate()), "node-a:1", true);
        assert!(own.try_recv().is_ok());
        assert!(feed.unchanged_since(mark), "own changes do not invalidate");
        let id = KeyId::generate();
        feed.received(FeedEvent::Key(id), "node-b:7", false);
        assert!(!feed.unchanged_since(mark));
        assert_eq!(seen.lock().unwrap().last(), Some(&FeedEvent::Key(id)));
        feed.disconnected();
        assert_eq!(seen.lock().unwrap().last(), Some(&FeedEvent::All));
    }

    #[test]
    fn trust_expires() {
        let feed = ChangeFeed::new();
        feed.connected();
        feed.trust_until(Instant::now() - std::time::Duration::from_millis(1));
        assert!(!feed.is_connected());
    }
}
