//! The end-to-end harness: a real `trent serve --dev` process on a free port with its own data directory, an
//! `aws-sdk-kms` client pointed at it, the dev clock control, and signed raw requests for wire-level checks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
// Each test binary uses a different part of the harness.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::error::ProvideErrorMetadata;
use trent_audit::segment::StoredSegment;

/// Makes `path` owner-only, as Trent wants its root key file.
pub fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// True when the end-to-end tests run on PostgreSQL (`TRENT_TEST_BACKEND=postgres`, set by scripts/test.sh).
pub fn on_postgres() -> bool {
    std::env::var("TRENT_TEST_BACKEND").as_deref() == Ok("postgres")
}

fn admin_url() -> String {
    std::env::var("TRENT_TEST_POSTGRES_URL").expect("TRENT_TEST_BACKEND=postgres needs TRENT_TEST_POSTGRES_URL")
}

/// `bytes` with the first `from` in it replaced by `to`; `None` when it holds none.
pub fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    let at = bytes.windows(from.len()).position(|window| window == from)?;
    Some([&bytes[..at], to, &bytes[at + from.len()..]].concat())
}

/// Runs SQL with psql and returns its unaligned output (fields separated by 0x1f).
pub fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args([url, "-X", "-q", "-A", "-t", "-F", "\u{1f}", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("run psql");
    assert!(output.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The PostgreSQL database of a data directory: one per directory, so restarts on the same directory share it.
pub struct TestDatabase {
    name: String,
    pub url: String,
}

impl TestDatabase {
    /// Creates (if needed) the database belonging to `data_dir`.
    pub fn for_dir(data_dir: &Path) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in data_dir.to_string_lossy().bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let name = format!("trent_e2e_{hash:016x}");
        let admin = admin_url();
        if psql(&admin, &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'")).trim().is_empty() {
            psql(&admin, &format!("CREATE DATABASE {name}"));
        }
        let url = trent_store::conformance::with_database(&admin, &name);
        Self { name, url }
    }

    /// Drops the database.
    pub fn drop_now(&self) {
        psql(&admin_url(), &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// Drops a data directory's database when the test ends (restart tests hold one for all their servers).
pub struct DatabaseGuard(Option<TestDatabase>);

impl DatabaseGuard {
    pub fn for_dir(data_dir: &Path) -> Self {
        Self(on_postgres().then(|| TestDatabase::for_dir(data_dir)))
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if let Some(db) = &self.0 {
            db.drop_now();
        }
    }
}

/// A running server process; killed when dropped.
pub struct TestServer {
    child: Child,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The PostgreSQL database, when the tests run on PostgreSQL.
    pub database: Option<String>,
    owned_database: Option<TestDatabase>,
    _temp: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a dev server in a fresh data directory.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a dev server in a fresh data directory with extra flags.
    pub fn start_with(extra: &[&str]) -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_path_buf();
        let mut server = Self::start_in(&dir, extra);
        server.owned_database = on_postgres().then(|| TestDatabase::for_dir(&dir));
        server._temp = Some(temp);
        server
    }

    /// Starts a dev server on an existing database URL (several nodes on one PostgreSQL), with its own directory.
    pub fn start_node(database_url: &str, data_dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--database", database_url];
        args.extend_from_slice(extra);
        Self::launch(data_dir, &args, Some(database_url.to_owned()))
    }

    /// Starts a dev server on SQLite in an existing data directory, whatever store the run tests.
    pub fn start_node_sqlite(data_dir: &Path) -> Self {
        Self::launch(data_dir, &[], None)
    }

    /// Starts a dev server on an existing data directory (for restarts); the caller keeps the directory. On
    /// PostgreSQL the directory's own database is used (see [`DatabaseGuard`]).
    pub fn start_in(data_dir: &Path, extra: &[&str]) -> Self {
        if on_postgres() {
            let url = TestDatabase::for_dir(data_dir).url;
            let mut args = vec!["--database", url.as_str()];
            args.extend_from_slice(extra);
            return Self::launch(data_dir, &args, Some(url.clone()));
        }
        Self::launch(data_dir, extra, None)
    }

    fn launch(data_dir: &Path, extra: &[&str], database: Option<String>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_trent"));
        command
            .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("spawn trent");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines.next().expect("trent exited before listening").expect("read stdout");
            if let Some(rest) = line.strip_prefix("Trent listening on http://") {
                let addr = rest.split_whitespace().next().expect("address");
                break addr.parse().expect("socket address");
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, addr, data_dir: data_dir.to_path_buf(), database, owned_database: None, _temp: None }
    }

    /// Runs the `trent` client (`trent key …`, `trent audit …`) against this server with the dev credentials, as a
    /// user would: endpoint and credentials from the environment, as the aws CLI takes them.
    pub fn trent_cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(args)
            .env("TRENT_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An SDK client for region `us-east-1` with the dev credentials.
    pub fn client(&self) -> aws_sdk_kms::Client {
        self.client_for("us-east-1", "test", "test")
    }

    /// An SDK client for any region and access key.
    pub fn client_for(&self, region: &str, access_key: &str, secret: &str) -> aws_sdk_kms::Client {
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(Credentials::new(access_key, secret, None, None, "trent-tests"))
            .endpoint_url(self.endpoint())
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_kms::Client::from_conf(config)
    }

    /// Moves the server's lifecycle clock forward.
    pub fn advance_clock(&self, seconds: i64) {
        let (status, body) =
            self.http("POST", "/_trent/clock", &[], format!("{{\"advance_seconds\": {seconds}}}").as_bytes());
        assert_eq!(status, 200, "{body}");
    }

    /// The server's process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A raw HTTP/1.1 request; returns status and body.
    pub fn http(&self, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
        let (status, _, body) = self.http_full(method, path, headers, body);
        (status, body)
    }

    /// A raw HTTP/1.1 request; returns status, lowercase headers and body.
    pub fn http_full(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("write");
        stream.write_all(body).expect("write body");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut head_lines = head.lines();
        let status =
            head_lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).expect("status");
        let headers = head_lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers, body.to_owned())
    }

    /// A KMS request signed with SigV4 by aws-sigv4, as the SDKs sign; returns status, headers and body.
    pub fn signed(
        &self,
        target: &str,
        body: &str,
        region: &str,
        access_key: &str,
        secret: &str,
        at: SystemTime,
    ) -> (u16, Vec<(String, String)>, String) {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        let host = self.addr.to_string();
        let base = [
            ("host", host.clone()),
            ("content-type", "application/x-amz-json-1.1".to_owned()),
            ("x-amz-target", target.to_owned()),
        ];
        let identity = Credentials::new(access_key, secret, None, None, "trent-tests").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("kms")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let url = format!("http://{host}/");
        let signable = SignableRequest::new(
            "POST",
            &url,
            base.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::Bytes(body.as_bytes()),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let mut headers: Vec<(&str, String)> =
            base.iter().filter(|(k, _)| *k != "host").map(|(k, v)| (*k, v.clone())).collect();
        for (name, value) in instructions.headers() {
            headers.push((name, value.to_owned()));
        }
        self.http_full("POST", "/", &headers, body.as_bytes())
    }

    /// A KMS request signed with the dev credentials in us-east-1, now.
    pub fn signed_dev(&self, target: &str, body: &str) -> (u16, Vec<(String, String)>, String) {
        self.signed(target, body, "us-east-1", "test", "test", SystemTime::now())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(db) = &self.owned_database {
            db.drop_now();
        }
    }
}

/// The AWS error code of a failed SDK call.
pub fn error_code<E: ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or("<no code>").to_owned()
}

/// The AWS error message of a failed SDK call.
pub fn error_message<E: ProvideErrorMetadata>(error: &E) -> String {
    error.message().unwrap_or("").to_owned()
}

/// The `__type` of a raw JSON error body.
pub fn wire_type(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    value["__type"].as_str().unwrap_or_default().to_owned()
}

/// Polls `check` until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl TestServer {
    /// The audit segments in the server's store, in order.
    pub fn audit_segments(&self) -> Vec<StoredSegment> {
        const QUERY: &str = "SELECT first_seq, previous_hash, records, hashes FROM audit_segments ORDER BY first_seq";
        match &self.database {
            Some(url) => psql(url, &QUERY.replace("records, hashes", "encode(records, 'hex'), encode(hashes, 'hex')"))
                .lines()
                .filter(|l| !l.is_empty())
                .map(|line| {
                    let fields: Vec<&str> = line.split('\u{1f}').collect();
                    StoredSegment {
                        first_seq: fields[0].parse().unwrap(),
                        previous_hash: fields[1].to_owned(),
                        records: hex::decode(fields[2]).expect("hex"),
                        hashes: hex::decode(fields[3]).expect("hex"),
                    }
                })
                .collect(),
            None => {
                let connection = rusqlite::Connection::open(self.data_dir.join("trent.db")).expect("open db");
                let mut statement = connection.prepare(QUERY).expect("prepare");
                let rows = statement
                    .query_map([], |row| {
                        Ok(StoredSegment {
                            first_seq: row.get(0)?,
                            previous_hash: row.get(1)?,
                            records: row.get(2)?,
                            hashes: row.get(3)?,
                        })
                    })
                    .expect("query");
                rows.map(|r| r.expect("row")).collect()
            }
        }
    }

    /// The audit events recorded in the server's store, as (event name, key ARN, record) in order.
    pub fn audit_events(&self) -> Vec<(String, Option<String>, String)> {
        self.audit_segments()
            .iter()
            .flat_map(StoredSegment::chained)
            .map(|event| {
                let record: serde_json::Value = serde_json::from_str(&event.record).expect("record");
                let name = record["eventName"].as_str().expect("eventName").to_owned();
                let arn = record["resources"][0]["ARN"].as_str().map(str::to_owned);
                (name, arn, event.record)
            })
            .collect()
    }

    /// The first sequence number of the stored segment holding the first record `matches` accepts.
    pub fn audit_segment_holding(&self, matches: impl Fn(&str) -> bool) -> i64 {
        let segments = self.audit_segments();
        let found = segments.iter().find(|s| s.chained().iter().any(|e| matches(&e.record)));
        found.expect("a segment holding the record").first_seq
    }

    /// Tampers with the store: replaces what the first stored event `change` returns new bytes for (the bytes its
    /// hash covers: a record's text, or an API call's compact journal body), leaving its hash.
    pub fn rewrite_audit_entry(&self, change: impl Fn(&[u8]) -> Option<Vec<u8>>) {
        use trent_audit::journal::{self, Entry};
        for segment in self.audit_segments() {
            let text = trent_audit::segment::decompress(&segment.records).expect("segment entries");
            let mut changed = false;
            let mut change_once = |chained: &[u8]| {
                let new = change(chained).filter(|_| !changed);
                changed |= new.is_some();
                new.unwrap_or_else(|| chained.to_vec())
            };
            let mut entries = Vec::new();
            for (entry, _) in journal::entries(&text, 0) {
                match entry {
                    Entry::Line(line) => {
                        let tab = line.iter().position(|b| *b == b'\t').expect("a line");
                        let (millis, record) = line.split_at(tab + 1);
                        entries.extend_from_slice(millis);
                        entries.extend(change_once(record));
                        entries.push(b'\n');
                    }
                    Entry::Call(body) => journal::frame_call(&change_once(body), &mut entries),
                }
            }
            if changed {
                let records = trent_audit::segment::compress(&entries);
                let hex = hex::encode(&records);
                match &self.database {
                    Some(url) => {
                        psql(
                            url,
                            &format!(
                                "UPDATE audit_segments SET records = decode('{hex}', 'hex') WHERE first_seq = {}",
                                segment.first_seq
                            ),
                        );
                    }
                    None => {
                        let connection = rusqlite::Connection::open(self.data_dir.join("trent.db")).expect("open db");
                        connection.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
                        connection
                            .execute(
                                "UPDATE audit_segments SET records = ?1 WHERE first_seq = ?2",
                                rusqlite::params![records, segment.first_seq],
                            )
                            .expect("update");
                    }
                }
                return;
            }
        }
        panic!("no stored event to change");
    }

    /// The names of the successful changes recorded for a key ARN, in order: its write history, without the reads,
    /// the cryptographic calls and the refused calls the audit trail also holds.
    pub fn key_changes(&self, arn: &str) -> Vec<String> {
        self.audit_events()
            .into_iter()
            .filter(|(_, key, _)| key.as_deref() == Some(arn))
            .filter(|(_, _, record)| {
                let record: serde_json::Value = serde_json::from_str(record).expect("record");
                record["readOnly"] == false && record.get("errorCode").is_none()
            })
            .map(|(name, _, _)| name)
            .collect()
    }

    /// Waits until the deletion worker's `DeleteKey` for a key ARN is in the trail. A key past its deletion date is
    /// answered as gone at once; the worker commits its deletion, and the event with it, moments later.
    pub async fn deletion_recorded(&self, arn: &str) -> bool {
        let recorded =
            || self.audit_events().iter().any(|(name, key, _)| name == "DeleteKey" && key.as_deref() == Some(arn));
        eventually(Duration::from_secs(10), || async { recorded() }).await
    }

    /// Runs one SQL statement directly on the server's store (for tests that tamper with it).
    pub fn execute_sql(&self, sql: &str) {
        match &self.database {
            Some(url) => {
                psql(url, sql);
            }
            None => {
                let connection = rusqlite::Connection::open(self.data_dir.join("trent.db")).expect("open db");
                connection.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
                connection.execute_batch(sql).expect("execute");
            }
        }
    }

    /// Everything the store holds, as bytes: the SQLite files, or a dump of the PostgreSQL database.
    pub fn stored_bytes(&self) -> Vec<u8> {
        match &self.database {
            Some(url) => Command::new("pg_dump").args(["--data-only", url]).output().expect("pg_dump").stdout,
            None => {
                let mut bytes = std::fs::read(self.data_dir.join("trent.db")).expect("database file");
                bytes.extend(std::fs::read(self.data_dir.join("trent.db-wal")).unwrap_or_default());
                bytes
            }
        }
    }
}

/// Checks that the successful ScheduleKeyDeletion and CancelKeyDeletion events recorded for `arn` alternate, starting
/// with a schedule (no lost or doubled update); returns how many there are.
pub fn assert_schedule_cancel_alternate(events: &[(String, Option<String>, String)], arn: &str) -> usize {
    let changes: Vec<&str> = events
        .iter()
        .filter(|(name, key, record)| {
            key.as_deref() == Some(arn)
                && (name == "ScheduleKeyDeletion" || name == "CancelKeyDeletion")
                && !record.contains("\"errorCode\"")
        })
        .map(|(name, _, _)| name.as_str())
        .collect();
    for (index, name) in changes.iter().enumerate() {
        assert_eq!(
            *name,
            if index % 2 == 0 { "ScheduleKeyDeletion" } else { "CancelKeyDeletion" },
            "{arn}: {changes:?}"
        );
    }
    changes.len()
}

/// Runs `openssl pkeyutl` with OAEP options for `hash` (sha1 or sha256) on `input`.
pub fn openssl_oaep(hash: &str, key_args: &[&std::ffi::OsStr], operation: &str, input: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (input_path, output_path) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::write(&input_path, input).unwrap();
    let output = Command::new("openssl")
        .args(["pkeyutl", operation])
        .args(key_args)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{hash}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{hash}"),
            "-in",
        ])
        .arg(&input_path)
        .arg("-out")
        .arg(&output_path)
        .output()
        .expect("run openssl");
    assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(&output_path).unwrap()
}

/// Wraps `material` for the key `key_id` as an owner does, with OpenSSL: fresh import parameters (`RSAES_OAEP_SHA_256`
/// with an `RSA_2048` wrapping key), the material encrypted to the public key. Returns the import token and the
/// `EncryptedKeyMaterial`.
pub async fn wrap_for_import(
    kms: &aws_sdk_kms::Client,
    key_id: &str,
    material: &[u8],
) -> (aws_sdk_kms::primitives::Blob, aws_sdk_kms::primitives::Blob) {
    use aws_sdk_kms::types::{AlgorithmSpec, WrappingKeySpec};
    let parameters = kms
        .get_parameters_for_import()
        .key_id(key_id)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("wrapping.der");
    std::fs::write(&public, parameters.public_key.unwrap().as_ref()).unwrap();
    let key_args = ["-pubin".as_ref(), "-keyform".as_ref(), "DER".as_ref(), "-inkey".as_ref(), public.as_os_str()];
    let wrapped = openssl_oaep("sha256", &key_args, "-encrypt", material);
    (parameters.import_token.unwrap(), aws_sdk_kms::primitives::Blob::new(wrapped))
}
