//! Several nodes on one PostgreSQL: every node sees every committed change at once, concurrent lifecycle changes
//! from different nodes end in valid states, each due deletion happens exactly once even when a node is killed in
//! the middle, and a node survives its database going away. Runs when `TRENT_TEST_BACKEND=postgres`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;
use common::{error_code, eventually, on_postgres, wrap_for_import, TestDatabase, TestServer};

const DAY: i64 = 86_400;

/// A fresh database and `count` nodes on it, each with its own data directory and the same root key.
struct Cluster {
    nodes: Vec<TestServer>,
    database: TestDatabase,
    _dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    fn start(count: usize) -> Option<Self> {
        if !on_postgres() {
            eprintln!("skipping multi-node test: it runs in the PostgreSQL pass (TRENT_TEST_BACKEND=postgres)");
            return None;
        }
        let first = tempfile::tempdir().unwrap();
        let database = TestDatabase::for_dir(first.path());
        let root_key = first.path().join("shared-root.key");
        std::fs::write(&root_key, trent_root_key()).unwrap();
        // Owner-only, as trent insists for a root key.
        std::fs::set_permissions(&root_key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let root_key = root_key.to_string_lossy().into_owned();
        let mut dirs = vec![first];
        for _ in 1..count {
            dirs.push(tempfile::tempdir().unwrap());
        }
        let nodes = dirs
            .iter()
            .map(|dir| TestServer::start_node(&database.url, dir.path(), &["--root-key-file", &root_key]))
            .collect();
        Some(Self { nodes, database, _dirs: dirs })
    }

    fn advance_all(&self, seconds: i64) {
        for node in &self.nodes {
            node.advance_clock(seconds);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.nodes.clear();
        self.database.drop_now();
    }
}

fn trent_root_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::try_from(i).unwrap().wrapping_mul(37).wrapping_add(11);
    }
    key
}

#[tokio::test]
async fn a_key_disabled_through_one_node_is_refused_through_another_on_the_next_request() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let (a, b, c) = (cluster.nodes[0].client(), cluster.nodes[1].client(), cluster.nodes[2].client());
    let key_id = a.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for round in 0..50 {
        // B and C have the key cached from the previous round's successful use.
        b.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
        c.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
        a.disable_key().key_id(&key_id).send().await.unwrap();
        let refused = b.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
        assert_eq!(error_code(&refused), "DisabledException", "round {round}: node B served a stale state");
        let refused = c.generate_data_key().key_id(&key_id).number_of_bytes(32).send().await.unwrap_err();
        assert_eq!(error_code(&refused), "DisabledException", "round {round}: node C served a stale state");
        a.enable_key().key_id(&key_id).send().await.unwrap();
    }
    // The same for scheduling deletion through C, refused at once on A.
    a.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
    c.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(
        error_code(&a.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err()),
        "KMSInvalidStateException"
    );
}

#[tokio::test]
async fn a_thousand_due_deletions_happen_exactly_once_even_when_a_node_is_killed() {
    let Some(mut cluster) = Cluster::start(3) else {
        return;
    };
    let clients: Vec<_> = cluster.nodes.iter().map(TestServer::client).collect();
    let mut tasks = Vec::new();
    for worker in 0..24 {
        let kms = clients[worker % clients.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..(1000 / 24 + 1) {
                let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
                kms.schedule_key_deletion().key_id(key.key_id()).pending_window_in_days(7).send().await.unwrap();
                ids.push(key.arn().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut arns = Vec::new();
    for task in tasks {
        arns.extend(task.await.unwrap());
    }
    assert!(arns.len() >= 1000, "{}", arns.len());

    // Every node's clock passes the deletion dates together; one node dies with its batch in flight.
    cluster.advance_all(7 * DAY + 60);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let victim = cluster.nodes.remove(2);
    victim.kill_9();

    let url = cluster.database.url.clone();
    let rows_left = || common::psql(&url, "SELECT count(*) FROM keys").trim().parse::<usize>().unwrap();
    let all_gone = eventually(Duration::from_secs(60), || async { rows_left() == 0 }).await;
    assert!(all_gone, "the surviving nodes destroyed every key ({} left)", rows_left());
    let mut deletions: HashMap<String, usize> = HashMap::new();
    for (name, arn, _) in cluster.nodes[0].audit_events() {
        if name == "DeleteKey" {
            *deletions.entry(arn.unwrap()).or_default() += 1;
        }
    }
    let created: Vec<&String> = arns.iter().collect();
    assert!(deletions.len() >= created.len());
    for arn in created {
        assert_eq!(deletions.get(arn), Some(&1), "{arn} deleted exactly once, with one event");
    }
    assert!(deletions.values().all(|count| *count == 1));
}

#[tokio::test]
async fn rotations_due_at_the_same_moment_on_two_nodes_happen_exactly_once() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (a, b) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let mut ids = Vec::new();
    for index in 0..60 {
        let kms = if index % 2 == 0 { &a } else { &b };
        let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
        kms.enable_key_rotation().key_id(&key_id).rotation_period_in_days(90).send().await.unwrap();
        ids.push(key_id);
    }
    // Both nodes' clocks pass every key's rotation date together: both workers find all sixty due at once.
    cluster.advance_all(90 * DAY + 60);
    let rotated_once = eventually(Duration::from_secs(30), || async {
        let mut all = true;
        for key_id in &ids {
            let rotations = a.list_key_rotations().key_id(key_id).send().await.unwrap();
            all &= rotations.rotations().len() == 1;
        }
        all
    })
    .await;
    assert!(rotated_once, "every key rotated by one of the nodes");
    // Give a late duplicate the chance to show, then count materials and events.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events: HashMap<String, usize> = HashMap::new();
    for (name, arn, _) in cluster.nodes[1].audit_events() {
        if name == "RotateKey" {
            *events.entry(arn.unwrap()).or_default() += 1;
        }
    }
    for key_id in &ids {
        let rotations = b.list_key_rotations().key_id(key_id).send().await.unwrap();
        assert_eq!(rotations.rotations().len(), 1, "{key_id} rotated exactly once");
        let arn = a.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap().arn().unwrap().to_owned();
        assert_eq!(events.get(&arn), Some(&1), "{arn}: one RotateKey event");
    }
}

/// Imports fresh material, wrapped with OpenSSL, into a new `EXTERNAL` key through `kms`, expiring at `valid_to`.
async fn key_with_expiring_material(kms: &aws_sdk_kms::Client, valid_to: i64) -> String {
    use aws_sdk_kms::types::{ExpirationModelType, OriginType};
    let key_id = kms.create_key().origin(OriginType::External).send().await.unwrap().key_metadata.unwrap();
    let key_id = key_id.key_id().to_owned();
    let (token, wrapped) = wrap_for_import(kms, &key_id, uuid::Uuid::new_v4().as_bytes().repeat(2).as_slice()).await;
    kms.import_key_material()
        .key_id(&key_id)
        .import_token(token)
        .encrypted_key_material(wrapped)
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(aws_smithy_types::DateTime::from_secs(valid_to))
        .send()
        .await
        .unwrap();
    key_id
}

#[tokio::test]
async fn material_expiring_at_the_same_moment_on_two_nodes_is_deleted_exactly_once() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (a, b) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let valid_to = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 3600;
    let mut ids = Vec::new();
    for index in 0..20 {
        ids.push(key_with_expiring_material(if index % 2 == 0 { &a } else { &b }, valid_to).await);
    }
    cluster.advance_all(2 * 3600);
    let expired = eventually(Duration::from_secs(30), || async {
        let mut all = true;
        for key_id in &ids {
            let metadata = a.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap();
            all &= metadata.key_state() == Some(&KeyState::PendingImport);
        }
        all
    })
    .await;
    assert!(expired, "every key's material expired on one of the nodes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events: HashMap<String, usize> = HashMap::new();
    for (name, arn, _) in cluster.nodes[1].audit_events() {
        if name == "DeleteExpiredKeyMaterial" {
            *events.entry(arn.unwrap()).or_default() += 1;
        }
    }
    for key_id in &ids {
        let arn = b.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap().arn().unwrap().to_owned();
        assert_eq!(events.get(&arn), Some(&1), "{arn}: one DeleteExpiredKeyMaterial event");
    }
}

#[tokio::test]
async fn primaries_waiting_for_replicas_start_their_window_exactly_once_on_two_nodes() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (a, b) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let europe = |node: &TestServer| node.client_for("eu-west-1", "test", "test");
    let (europe_a, europe_b) = (europe(&cluster.nodes[0]), europe(&cluster.nodes[1]));
    let mut ids = Vec::new();
    for index in 0..10 {
        let (home, away) = if index % 2 == 0 { (&a, &europe_a) } else { (&b, &europe_b) };
        let key = home.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap();
        let key_id = key.key_id().to_owned();
        home.replicate_key().key_id(&key_id).replica_region("eu-west-1").send().await.unwrap();
        let waiting = home.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
        assert_eq!(waiting.key_state(), Some(&KeyState::PendingReplicaDeletion));
        away.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
        ids.push(key_id);
    }
    cluster.advance_all(7 * DAY + 60);
    let started = eventually(Duration::from_secs(30), || async {
        let mut all = true;
        for key_id in &ids {
            let metadata = a.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap();
            all &= metadata.key_state() == Some(&KeyState::PendingDeletion);
        }
        all
    })
    .await;
    assert!(started, "every primary's window started once its replica was deleted");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events: HashMap<(String, String), usize> = HashMap::new();
    for (name, arn, _) in cluster.nodes[1].audit_events() {
        *events.entry((name, arn.unwrap_or_default())).or_default() += 1;
    }
    for key_id in &ids {
        let arn = a.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap().arn().unwrap().to_owned();
        let replica_arn = arn.replace("us-east-1", "eu-west-1");
        assert_eq!(events.get(&("ReplicaKeysDeleted".to_owned(), arn.clone())), Some(&1), "{arn}");
        assert_eq!(events.get(&("DeleteKey".to_owned(), replica_arn.clone())), Some(&1), "{replica_arn}");
    }
}

#[tokio::test]
async fn two_nodes_racing_schedule_and_cancel_on_a_hundred_keys_leave_only_valid_states() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (a, b) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let mut keys = Vec::new();
    for _ in 0..100 {
        let key = a.create_key().send().await.unwrap().key_metadata.unwrap();
        keys.push((key.key_id().to_owned(), key.arn().unwrap().to_owned()));
    }
    let mut tasks = Vec::new();
    for (key_id, _) in &keys {
        for round in 0..3 {
            let (a, b, key_id) = (a.clone(), b.clone(), key_id.clone());
            tasks.push(tokio::spawn(async move {
                let scheduled =
                    a.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7 + round).send().await.is_ok();
                let cancelled = b.cancel_key_deletion().key_id(&key_id).send().await.is_ok();
                usize::from(scheduled) + usize::from(cancelled)
            }));
        }
    }
    let mut acknowledged = 0;
    for task in tasks {
        acknowledged += task.await.unwrap();
    }
    let events = cluster.nodes[0].audit_events();
    let mut recorded = 0;
    for (key_id, arn) in &keys {
        for node in [&a, &b] {
            let key = node.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap();
            match key.key_state().unwrap() {
                KeyState::PendingDeletion => assert!(key.deletion_date().is_some()),
                KeyState::Enabled | KeyState::Disabled => assert!(key.deletion_date().is_none()),
                other => panic!("invalid state {other:?}"),
            }
        }
        let changes = common::assert_schedule_cancel_alternate(&events, arn);
        recorded += changes;
    }
    assert_eq!(recorded, acknowledged, "every acknowledged change, and nothing else, was recorded");
}

/// A TCP proxy between a node and PostgreSQL, so a test can make the database go away and come back.
struct Proxy {
    port: u16,
    task: tokio::task::JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(port: u16, upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracked = std::sync::Arc::clone(&connections);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                tracked.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        });
        Self { port, task, connections }
    }

    /// Stops accepting and cuts every connection.
    fn cut(self) -> u16 {
        self.port
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_fails_fast_while_postgres_is_away_and_recovers_by_itself() {
    if !on_postgres() {
        eprintln!("skipping: runs in the PostgreSQL pass");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::for_dir(dir.path());
    // Point the node at a proxy in front of the real server.
    let real =
        database.url.split("://").nth(1).unwrap().split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
    let proxy = Proxy::start(0, real.clone()).await;
    let proxied_url = database.url.replacen(&real, &format!("127.0.0.1:{}", proxy.port), 1);
    let node = TestServer::start_node(&proxied_url, dir.path(), &[]);
    let kms = node.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();

    let port = proxy.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for call in 0..2 {
        let started = Instant::now();
        let code = if call == 0 {
            error_code(&kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err())
        } else {
            error_code(&kms.create_key().send().await.unwrap_err())
        };
        assert!(code == "DependencyTimeoutException" || code == "KMSInternalException", "{code}");
        assert!(started.elapsed() < Duration::from_secs(15), "failed fast, not hung: {:?}", started.elapsed());
    }

    let _proxy = Proxy::start(port, real).await;
    let recovered = eventually(Duration::from_secs(20), || async {
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.is_ok()
    })
    .await;
    assert!(recovered, "the node recovered when the database came back");
    assert!(kms.create_key().send().await.is_ok());
    drop(node);
    database.drop_now();
}

#[tokio::test]
async fn mixed_lifecycle_changes_from_two_nodes_replay_through_the_state_table_to_the_final_state() {
    use trent_domain::{transition, Action, DeletionSchedule, KeyState as DomainState, Timestamp};
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let nodes = [cluster.nodes[0].client(), cluster.nodes[1].client()];
    let mut keys = Vec::new();
    for _ in 0..30 {
        let key = nodes[0].create_key().send().await.unwrap().key_metadata.unwrap();
        keys.push((key.key_id().to_owned(), key.arn().unwrap().to_owned()));
    }
    let mut tasks = Vec::new();
    for (index, (key_id, _)) in keys.iter().enumerate() {
        for step in 0..8usize {
            let kms = nodes[(index + step) % 2].clone();
            let key_id = key_id.clone();
            tasks.push(tokio::spawn(async move {
                let _ = match (index * 7 + step * 3) % 4 {
                    0 => kms
                        .schedule_key_deletion()
                        .key_id(&key_id)
                        .pending_window_in_days(7)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|_| ()),
                    1 => kms.cancel_key_deletion().key_id(&key_id).send().await.map(|_| ()).map_err(|_| ()),
                    2 => kms.enable_key().key_id(&key_id).send().await.map(|_| ()).map_err(|_| ()),
                    _ => kms.disable_key().key_id(&key_id).send().await.map(|_| ()).map_err(|_| ()),
                };
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let events = cluster.nodes[1].audit_events();
    for (key_id, arn) in &keys {
        // Replaying the recorded changes through the one transition table must reach the state every node reports.
        let mut state = DomainState::Enabled;
        for (name, _, _) in events
            .iter()
            .filter(|(_, k, record)| k.as_deref() == Some(arn.as_str()) && !record.contains("\"errorCode\""))
        {
            let action = match name.as_str() {
                // The date is not compared: only the state names every node reports.
                "ScheduleKeyDeletion" => Action::ScheduleKeyDeletion(DeletionSchedule::new(Timestamp(0), 7, 0)),
                "CancelKeyDeletion" => Action::CancelKeyDeletion(trent_domain::Api::Aws),
                "EnableKey" => Action::EnableKey,
                "DisableKey" => Action::DisableKey,
                _ => continue,
            };
            state = transition(state, action)
                .unwrap_or_else(|e| panic!("{arn}: recorded {name} is not allowed from {state:?}: {e}"));
        }
        for kms in &nodes {
            let reported = kms.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap();
            assert_eq!(reported.key_state().unwrap().as_str(), state.as_str(), "{arn}");
        }
    }
}

#[tokio::test]
async fn a_user_deleted_through_one_node_is_refused_by_every_node_on_the_next_request() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let (a, b, c) = (&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]);
    for round in 0..10 {
        let name = format!("user{round}");
        let created = a.signed_dev("Trent.CreateUser", &format!(r#"{{"UserName":"{name}"}}"#));
        assert_eq!(created.0, 200, "{}", created.2);
        let (status, _, body) = b.signed_dev("Trent.CreateAccessKey", &format!(r#"{{"UserName":"{name}"}}"#));
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        let access_key = answer["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
        let secret = answer["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned();
        // Both other nodes accept the new key at once (its own identity permits nothing, so AccessDenied).
        for node in [a, c] {
            let user = node.client_for("us-east-1", &access_key, &secret);
            let refused = user.list_keys().send().await.unwrap_err();
            assert_eq!(error_code(&refused), "AccessDeniedException", "round {round}");
        }
        let (status, _, body) = c.signed_dev("Trent.DeleteUser", &format!(r#"{{"UserName":"{name}"}}"#));
        assert_eq!(status, 200, "{body}");
        for node in [a, b] {
            let user = node.client_for("us-east-1", &access_key, &secret);
            let refused = user.list_keys().send().await.unwrap_err();
            assert_eq!(error_code(&refused), "UnrecognizedClientException", "round {round}: a deleted user's key");
        }
    }
}

#[tokio::test]
async fn a_grant_made_on_one_node_works_on_another_until_revoked_on_a_third() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let (a, b, c) = (&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]);
    assert_eq!(a.signed_dev("Trent.CreateUser", r#"{"UserName":"app"}"#).0, 200);
    let (_, _, body) = a.signed_dev("Trent.CreateAccessKey", r#"{"UserName":"app"}"#);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (access_key, secret) = (
        answer["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        answer["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned(),
    );
    let app = b.client_for("us-east-1", &access_key, &secret);
    let key_id = a.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for round in 0..10 {
        let grant = a
            .client()
            .create_grant()
            .key_id(&key_id)
            .grantee_principal("arn:aws:iam::111122223333:user/app")
            .operations(aws_sdk_kms::types::GrantOperation::Encrypt)
            .send()
            .await
            .unwrap();
        app.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
        c.client().revoke_grant().key_id(&key_id).grant_id(grant.grant_id().unwrap()).send().await.unwrap();
        let refused = app.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
        assert_eq!(error_code(&refused), "AccessDeniedException", "round {round}: a revoked grant");
    }
}
