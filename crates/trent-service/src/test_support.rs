//! What the service's unit tests share: a service over a SQLite store in a temporary directory, a dev clock the
//! test moves, and an administrator's request context.

use std::sync::Arc;

use trent_crypto::RootKey;
use trent_domain::{AccountId, Key, Region, SystemClock, Timestamp};
use trent_store::KeyStore;
use zeroize::Zeroizing;

use crate::ops::create_key::CreateKeyInput;
use crate::{Principal, RequestContext, Service};

/// A service with its own store and clock; the store's directory lives as long as this.
pub(crate) struct TestService {
    pub service: Arc<Service>,
    pub clock: Arc<SystemClock>,
    pub ctx: RequestContext,
    _dir: tempfile::TempDir,
}

impl TestService {
    /// A fresh service over an empty SQLite store.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<KeyStore> = Arc::new(KeyStore::open_sqlite(&dir.path().join("trent.db")).unwrap());
        let root_key = Arc::new(RootKey::from_material(&Zeroizing::new([7u8; 32])).unwrap());
        let clock = Arc::new(SystemClock::new());
        let service = Arc::new(Service::new(store, root_key, Arc::clone(&clock) as Arc<dyn trent_domain::Clock>));
        let principal = Principal::root(AccountId::parse("111122223333").unwrap(), "test");
        let ctx = RequestContext {
            principal,
            region: Region::parse("us-east-1").unwrap(),
            request_id: "test-request".to_owned(),
            source_ip: None,
            api: trent_domain::Api::Aws,
            received_at: trent_domain::Timestamp(1_700_000_000_000),
        };
        Self { service, clock, ctx, _dir: dir }
    }

    /// A new symmetric key.
    pub async fn create_key(&self) -> Key {
        self.service.create_key(&self.ctx, CreateKeyInput::default()).await.unwrap()
    }

    /// The key as stored now.
    pub async fn stored(&self, key: &Key) -> Key {
        self.service.store.get_key(&key.account, &key.region, key.id).await.unwrap().unwrap()
    }

    /// Moves the lifecycle clock forward.
    pub fn advance_days(&self, days: i64) -> Timestamp {
        self.clock.advance(days * Timestamp::DAY_MILLIS)
    }
}
