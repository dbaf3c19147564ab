//! The in-memory key cache, so the cryptographic hot path needs no database round trip.
//!
//! Every change made through this process is written through to the cache after it commits; a key destroyed by the
//! deletion worker leaves a tombstone, so a slower concurrent read cannot bring it back. Entries only ever move to a
//! newer version. (Several nodes on one database will need cross-node invalidation; that comes with that backend.)

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use trent_crypto::{RootKey, SymmetricKey};
use trent_domain::{AccountId, Key, KeyId, Region};

use crate::error::ServiceError;

/// A key with its material unwrapped and ready for use.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key's record.
    pub key: Key,
    /// Its material, unwrapped from the root key's seal.
    pub material: SymmetricKey,
}

/// Key IDs are random UUIDs, unique across accounts and regions, so the cache is keyed by ID alone; a hit is
/// checked against the caller's account and region.
type CacheKey = KeyId;

/// What the cache knows about a key.
pub enum Lookup {
    /// The key, as of its newest version seen here.
    Hit(Arc<LoadedKey>),
    /// The key was destroyed.
    Destroyed,
    /// Not cached: ask the store.
    Miss,
}

/// The cache. `None` entries are tombstones of destroyed keys.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<CacheKey, Option<Arc<LoadedKey>>>>,
}

impl KeyCache {
    fn read(&self) -> RwLockReadGuard<'_, HashMap<CacheKey, Option<Arc<LoadedKey>>>> {
        // A panic while holding the lock cannot leave a half-written entry (inserts are single calls).
        self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<CacheKey, Option<Arc<LoadedKey>>>> {
        self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Looks a key up in the caller's account and region.
    pub fn get(&self, account: &AccountId, region: &Region, id: KeyId) -> Lookup {
        match self.read().get(&id) {
            Some(Some(loaded)) if &loaded.key.account == account && &loaded.key.region == region => Lookup::Hit(Arc::clone(loaded)),
            // Another account's or region's key with this ID: the store decides (it will not find one).
            Some(Some(_)) => Lookup::Miss,
            Some(None) => Lookup::Destroyed,
            None => Lookup::Miss,
        }
    }

    /// Caches `key` (read from or just written to the store) unless a newer version or a tombstone is cached.
    /// Returns what is cached afterwards for that key, or `None` if it was destroyed meanwhile.
    pub fn store_written(&self, key: &Key, root_key: &RootKey) -> Result<Option<Arc<LoadedKey>>, ServiceError> {
        let material = root_key.open_key_material(key.id, &key.wrapped_material)?;
        let loaded = Arc::new(LoadedKey { key: key.clone(), material });
        let mut entries = self.write();
        let slot = entries.entry(key.id).or_insert_with(|| Some(Arc::clone(&loaded)));
        match slot {
            None => Ok(None),
            Some(existing) => {
                if existing.key.version < key.version {
                    *existing = loaded;
                }
                Ok(Some(Arc::clone(existing)))
            }
        }
    }

    /// Marks a key destroyed.
    pub fn mark_destroyed(&self, key: &Key) {
        self.write().insert(key.id, None);
    }

    /// Forgets everything (dev mode's reset).
    pub fn clear(&self) {
        self.write().clear();
    }
}
