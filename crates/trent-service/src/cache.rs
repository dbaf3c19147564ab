//! The in-memory key cache, so the cryptographic hot path needs no database round trip.
//!
//! Changes this process commits are written through; a key destroyed here leaves a tombstone, so a slower
//! concurrent read cannot bring it back; entries only ever move to a newer version. When several nodes share the
//! store, its change feed removes entries other nodes changed, the cache is bypassed while the feed is
//! disconnected, and a key read from the store is cached only if no foreign change arrived while it was read.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use trent_crypto::{AgreementKey, KemKey, KeyMaterial, MacKey, RootKey, RsaEncryptionKey, SigningKey, SymmetricKey};
use trent_domain::{AccountId, EncryptionAlgorithm, Key, KeyId, Region, Timestamp};
use trent_policy::PolicyDocument;
use trent_store::feed::FeedEvent;
use trent_store::{ChangeFeed, Mark};

use crate::error::ServiceError;

/// A key with its material unwrapped and ready for use.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key's record.
    pub key: Key,
    /// Its current material, unwrapped from the root key's seal; `None` while a key of origin `EXTERNAL` has none
    /// (its state then refuses every use before the material is asked for).
    pub material: Option<KeyMaterial>,
    /// The materials earlier rotations replaced (symmetric keys only), oldest first: ciphertexts made under them
    /// still decrypt.
    pub earlier_materials: Vec<SymmetricKey>,
    /// The key's policy, parsed once as the key was loaded (every use of the key is authorized by it); `None` when
    /// the stored text does not read as a policy.
    pub policy: Option<Arc<PolicyDocument>>,
    /// The key's ARN as text, written once as the key was loaded: every answer about a use of the key names it.
    pub arn: String,
}

impl LoadedKey {
    /// Unwraps every material of `key`: the current one, and (for a rotated key) each earlier one.
    pub fn open(key: &Key, root_key: &RootKey) -> Result<Self, ServiceError> {
        // Only a key of origin EXTERNAL may lack material; for any other, the open below fails loudly.
        if key.origin == trent_domain::Origin::External && !key.has_material() {
            return Ok(Self {
                key: key.clone(),
                material: None,
                earlier_materials: Vec::new(),
                policy: policy_of(key),
                arn: key.arn().to_string(),
            });
        }
        let open = |version: u32| {
            let sealed = key
                .wrapped_material_of(version)
                .ok_or_else(|| ServiceError::Internal(format!("{} has no material version {version}", key.arn())))?;
            Ok::<_, ServiceError>(
                root_key.open_key_material(key.id, key.spec, key.usage, sealed)?.at_material_version(version),
            )
        };
        let current = key.current_material_version();
        let mut earlier_materials = Vec::with_capacity(key.rotations.len());
        for version in std::iter::once(0).chain(key.rotations.iter().map(|r| r.material_version)) {
            if version == current {
                continue;
            }
            if let KeyMaterial::Symmetric(material) = open(version)? {
                earlier_materials.push(material);
            }
        }
        Ok(Self {
            key: key.clone(),
            material: Some(open(current)?),
            earlier_materials,
            policy: policy_of(key),
            arn: key.arn().to_string(),
        })
    }

    /// The symmetric material of `material_version` (the version a ciphertext's header names), current or earlier;
    /// `InvalidCiphertextException` when the key never had it.
    pub fn symmetric_version(&self, operation: &str, material_version: u32) -> Result<&SymmetricKey, ServiceError> {
        let current = self.symmetric(operation)?;
        if current.material_version() == material_version {
            return Ok(current);
        }
        self.earlier_materials
            .iter()
            .find(|material| material.material_version() == material_version)
            .ok_or(ServiceError::InvalidCiphertext)
    }

    /// The key's material, or the refusal of a key that has none: it waits for its imported material (a caller that
    /// asks has not checked the key's state first, which would have refused it the same way).
    fn present(&self) -> Result<&KeyMaterial, ServiceError> {
        self.material.as_ref().ok_or_else(|| {
            crate::error::ServiceError::key_state(
                trent_domain::StateError::PendingImport,
                trent_domain::Action::UseForCryptography,
                &self.key.arn().to_string(),
            )
        })
    }

    /// The symmetric encryption material, or `InvalidKeyUsageException` for a key of another usage.
    pub fn symmetric(&self, operation: &str) -> Result<&SymmetricKey, ServiceError> {
        match self.present()? {
            KeyMaterial::Symmetric(material) => Ok(material),
            // An RSA key encrypts too, but not with the symmetric algorithm these operations use.
            KeyMaterial::RsaEncryption(_) => Err(self.wrong_algorithm(EncryptionAlgorithm::SymmetricDefault.as_str())),
            _ => Err(self.wrong_usage(operation)),
        }
    }

    /// The HMAC material, or `InvalidKeyUsageException` for a key of another usage.
    pub fn mac(&self, operation: &str) -> Result<&MacKey, ServiceError> {
        match self.present()? {
            KeyMaterial::Mac(material) => Ok(material),
            _ => Err(self.wrong_usage(operation)),
        }
    }

    /// The signing key pair, or `InvalidKeyUsageException` for a key of another usage.
    pub fn signing(&self, operation: &str) -> Result<&SigningKey, ServiceError> {
        match self.present()? {
            KeyMaterial::Signing(material) => Ok(material),
            _ => Err(self.wrong_usage(operation)),
        }
    }

    /// The RSA encryption key pair, or `InvalidKeyUsageException` for a key of another usage.
    pub fn rsa_encryption(&self, operation: &str) -> Result<&RsaEncryptionKey, ServiceError> {
        match self.present()? {
            KeyMaterial::RsaEncryption(material) => Ok(material),
            _ => Err(self.wrong_usage(operation)),
        }
    }

    /// The key agreement key pair, or `InvalidKeyUsageException` for a key of another usage.
    pub fn agreement(&self, operation: &str) -> Result<&AgreementKey, ServiceError> {
        match self.present()? {
            KeyMaterial::Agreement(material) => Ok(material),
            _ => Err(self.wrong_usage(operation)),
        }
    }

    /// The ML-KEM key pair, or `InvalidKeyUsageException` for a key of another usage.
    pub fn kem(&self, operation: &str) -> Result<&KemKey, ServiceError> {
        match self.present()? {
            KeyMaterial::Kem(material) => Ok(material),
            _ => Err(self.wrong_usage(operation)),
        }
    }

    /// AWS's refusal of an algorithm the key's spec does not support.
    pub fn wrong_algorithm(&self, algorithm: &str) -> ServiceError {
        ServiceError::InvalidKeyUsage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            self.key.spec.as_str()
        ))
    }

    /// AWS's refusal of an operation the key's usage does not allow.
    pub(crate) fn wrong_usage(&self, operation: &str) -> ServiceError {
        ServiceError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {operation}.",
            self.key.arn(),
            self.key.usage.as_str()
        ))
    }
}

/// What the cache knows about a key.
pub enum Lookup {
    /// The key, as of its newest version seen here.
    Hit(Arc<LoadedKey>),
    /// The key was destroyed.
    Destroyed,
    /// Not cached (or not trustworthy now): ask the store.
    Miss,
}

/// What the cache holds for one key: its account and region (a multi-Region key's set shares one ID, one key per
/// region), and the key, or `None` as the tombstone of a destroyed key. A tombstone keeps the destroyed key's creation
/// time: a multi-Region replica created again later under the same ID replaces it, nothing older does.
struct Slot {
    account: AccountId,
    region: Region,
    loaded: Option<Arc<LoadedKey>>,
    created_at: Timestamp,
}

/// Entries by key ID, then by account and region (nearly always a single slot: only a multi-Region key's set has more
/// than one, one per region). A change feed's event for an ID drops all of them.
type Entries = Arc<RwLock<HashMap<KeyId, Vec<Slot>>>>;

/// `key`'s policy, parsed (`None` when its text does not read as a policy).
fn policy_of(key: &Key) -> Option<Arc<PolicyDocument>> {
    crate::authorize::parsed_policy(&key.policy).ok()
}

/// The slot of `account` and `region` among `slots`, if any.
fn slot_of<'a>(slots: &'a mut [Slot], account: &AccountId, region: &Region) -> Option<&'a mut Slot> {
    slots.iter_mut().find(|slot| &slot.account == account && &slot.region == region)
}

/// The cache.
pub struct KeyCache {
    entries: Entries,
    feed: Option<Arc<ChangeFeed>>,
}

fn read(entries: &Entries) -> RwLockReadGuard<'_, HashMap<KeyId, Vec<Slot>>> {
    // A panic while holding the lock cannot leave a half-written entry (inserts are single calls).
    entries.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(entries: &Entries) -> RwLockWriteGuard<'_, HashMap<KeyId, Vec<Slot>>> {
    entries.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl KeyCache {
    /// A cache; with a change feed, it follows other nodes' changes.
    pub fn new(feed: Option<Arc<ChangeFeed>>) -> Self {
        let entries: Entries = Arc::default();
        if let Some(feed) = &feed {
            let followed = Arc::clone(&entries);
            feed.subscribe(move |event| match event {
                FeedEvent::Key(id) => {
                    write(&followed).remove(&id);
                }
                FeedEvent::All => write(&followed).clear(),
                FeedEvent::Identities => {}
            });
        }
        Self { entries, feed }
    }

    /// The point to compare against when a key read from the store is about to be cached.
    pub fn mark(&self) -> Option<Mark> {
        self.feed.as_ref().map(|feed| feed.mark())
    }

    /// Looks a key up in the caller's account and region.
    pub fn get(&self, account: &AccountId, region: &Region, id: KeyId) -> Lookup {
        if self.feed.as_ref().is_some_and(|feed| !feed.is_connected()) {
            return Lookup::Miss;
        }
        let entries = read(&self.entries);
        let slot = entries
            .get(&id)
            .and_then(|slots| slots.iter().find(|slot| &slot.account == account && &slot.region == region));
        match slot {
            Some(Slot { loaded: Some(loaded), .. }) => Lookup::Hit(Arc::clone(loaded)),
            Some(Slot { loaded: None, .. }) => Lookup::Destroyed,
            // Not cached here: the store decides (for another account's or region's key, it will not find one).
            None => Lookup::Miss,
        }
    }

    /// Unwraps `key` (just read from or written to the store) and caches it, unless a newer version or a tombstone
    /// is cached, or another node changed something since `mark` (then it is returned without being cached).
    /// Returns `None` if the key was destroyed meanwhile.
    pub fn remember(
        &self,
        key: &Key,
        root_key: &RootKey,
        mark: Option<Mark>,
    ) -> Result<Option<Arc<LoadedKey>>, ServiceError> {
        let loaded = Arc::new(LoadedKey::open(key, root_key)?);
        let mut entries = write(&self.entries);
        let slots = entries.entry(key.id).or_default();
        // A tombstone of this very key (not of a replica destroyed before this one was created) keeps it destroyed.
        let destroyed = slot_of(slots, &key.account, &key.region)
            .is_some_and(|s| s.loaded.is_none() && s.created_at >= key.created_at);
        if destroyed {
            return Ok(None);
        }
        if let (Some(feed), Some(mark)) = (&self.feed, mark) {
            if !feed.unchanged_since(mark) {
                slots.retain(|slot| slot.account != key.account || slot.region != key.region);
                return Ok(Some(loaded));
            }
        }
        let Some(slot) = slot_of(slots, &key.account, &key.region) else {
            slots.push(Slot {
                account: key.account.clone(),
                region: key.region.clone(),
                loaded: Some(Arc::clone(&loaded)),
                created_at: key.created_at,
            });
            return Ok(Some(loaded));
        };
        // Only ever forward: a later incarnation (a replica made again), or a newer version of the same one.
        let newer = |existing: &Key| (key.created_at, key.version) > (existing.created_at, existing.version);
        match &mut slot.loaded {
            Some(existing) if !newer(&existing.key) => Ok(Some(Arc::clone(existing))),
            _ => {
                (slot.loaded, slot.created_at) = (Some(Arc::clone(&loaded)), key.created_at);
                Ok(Some(loaded))
            }
        }
    }

    /// Marks a key destroyed.
    pub fn mark_destroyed(&self, key: &Key) {
        let mut entries = write(&self.entries);
        let slots = entries.entry(key.id).or_default();
        match slot_of(slots, &key.account, &key.region) {
            // A replica made again since the one destroyed here is not touched.
            Some(slot) if slot.created_at > key.created_at => {}
            Some(slot) => (slot.loaded, slot.created_at) = (None, key.created_at),
            None => slots.push(Slot {
                account: key.account.clone(),
                region: key.region.clone(),
                loaded: None,
                created_at: key.created_at,
            }),
        }
    }

    /// Forgets everything (dev mode's reset).
    pub fn clear(&self) {
        write(&self.entries).clear();
    }
}

#[cfg(test)]
mod tests {
    use trent_crypto::RootKey;
    use trent_domain::{Key, KeyId, KeySpec, KeyState, KeyUsage, MultiRegionKeyType, Region, Timestamp};
    use zeroize::Zeroizing;

    use super::{KeyCache, Lookup};

    fn replica(created_at: i64, version: i64) -> Key {
        let root = RootKey::from_material(&Zeroizing::new([7u8; 32])).unwrap();
        let mut key = Key::sample(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, KeyState::Enabled);
        key.id = KeyId::parse(&format!("mrk-{}8{}", "1".repeat(12), "1".repeat(19))).unwrap();
        (_, key.wrapped_material) = root.generate_key_material(key.id, key.spec, key.usage).unwrap();
        key.multi_region = Some(MultiRegionKeyType::Replica);
        key.region = Region::parse("eu-west-1").unwrap();
        Key { created_at: Timestamp(created_at), version, ..key }
    }

    fn hit_created_at(cache: &KeyCache, key: &Key) -> Option<i64> {
        match cache.get(&key.account, &key.region, key.id) {
            Lookup::Hit(loaded) => Some(loaded.key.created_at.0),
            _ => None,
        }
    }

    #[test]
    fn a_replica_made_again_outlives_its_predecessor_s_tombstone_and_stale_reads() {
        let root = RootKey::from_material(&Zeroizing::new([7u8; 32])).unwrap();
        let cache = KeyCache::new(None);
        let (old, new) = (replica(1_000, 3), replica(2_000, 1));
        cache.remember(&old, &root, None).unwrap();
        cache.mark_destroyed(&old);
        assert!(matches!(cache.get(&old.account, &old.region, old.id), Lookup::Destroyed));
        assert!(cache.remember(&new, &root, None).unwrap().is_some(), "the new replica replaces the tombstone");
        assert!(cache.remember(&old, &root, None).unwrap().is_some());
        assert_eq!(hit_created_at(&cache, &new), Some(2_000), "a stale read of the old one does not come back");
        cache.mark_destroyed(&old);
        assert_eq!(hit_created_at(&cache, &new), Some(2_000), "a late tombstone of the old one hides nothing");
        let mut primary = new.clone();
        primary.region = Region::parse("us-east-1").unwrap();
        cache.remember(&primary, &root, None).unwrap();
        cache.mark_destroyed(&new);
        assert!(matches!(cache.get(&primary.account, &primary.region, primary.id), Lookup::Hit(_)), "other regions");
    }
}
