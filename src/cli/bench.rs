//! `trent bench`: the project's benchmark. It starts every server it compares as its own process on loopback: the
//! ceiling (Debian's nginx answering each request with a fixed Encrypt-shaped body, independent of Trent's stack),
//! Trent in the chosen configurations, and a peer (fakecloud, another AWS KMS implementation) when given. It makes the
//! keys each operation needs through the signed API, then loads each server with wrk (a load generator nobody here
//! wrote) replaying one SigV4-signed request on keep-alive connections; the request is signed afresh for every
//! measurement, since SigV4 has no nonce and a signature stays valid for minutes. Each round measures every server in
//! turn (in reverse order every other round); the table ends with each server's median over the rounds, as
//! requests/s and as a share of the ceiling measured in the same rounds. `--side-by-side` instead loads the Trents
//! at the same time, the fairest comparison of two configurations on a machine whose speed drifts.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value};

use crate::cli::client::Signer;

/// `trent bench` flags.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Also measure this AWS KMS endpoint (another KMS implementation, or a Trent started elsewhere).
    #[arg(long)]
    endpoint: Option<String>,
    /// Access key for `--endpoint` and the peer.
    #[arg(long, default_value = "test")]
    access_key: String,
    /// Secret key for `--endpoint` and the peer.
    #[arg(long, default_value = "test")]
    secret_key: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Connections, each with one request in flight (comma-separated for several runs).
    #[arg(long, value_delimiter = ',', default_value = "64")]
    concurrency: Vec<usize>,
    /// Seconds measured per server, operation, concurrency and round.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of load before each measurement, not counted.
    #[arg(long, default_value_t = 1)]
    warmup_seconds: u64,
    /// Operations to measure: encrypt, decrypt, decrypt-oldest-of-10, decrypt-newest-of-10 (a ciphertext under the
    /// first or last of a key's ten materials; the peer must support RotateKeyOnDemand), generate-data-key, create-key,
    /// sign-ecc-p256, sign-rsa-2048, verify-ecc-p256, generate-mac.
    #[arg(long, value_delimiter = ',', default_value = "encrypt,decrypt,generate-data-key")]
    operations: Vec<String>,
    /// Trents to start and measure, in order: sqlite (the default configuration: SQLite, every call audited),
    /// postgres (one node), postgres-2 (two nodes on one database); `-unaudited` after a name runs it with
    /// `--audit-calls false`. A target may name another build of Trent after `@` (`sqlite@/tmp/trent-before`), to
    /// compare two builds in one run. `--targets ''` starts none (only `--endpoint` and the peer are measured).
    #[arg(long, value_delimiter = ',', default_value = "sqlite")]
    targets: Vec<String>,
    /// The PostgreSQL database for the postgres targets (it is emptied before the first of them starts).
    #[arg(long, env = "TRENT_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// The fakecloud binary: when given, fakecloud is started and measured as the peer (`scripts/bench.sh` installs
    /// it).
    #[arg(long, env = "TRENT_BENCH_FAKECLOUD")]
    fakecloud: Option<PathBuf>,
    /// Skip the nginx ceiling.
    #[arg(long)]
    no_ceiling: bool,
    /// Measure every server this many times, interleaved, and report the medians: on this kind of machine one
    /// measurement can be off by 15%, and the ceiling itself moves by a third within a run.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Load every Trent and the peer at the same time (each with the full concurrency) instead of one after the
    /// other, and report each one's requests/s as a share of the first's in the same seconds. No ceiling.
    #[arg(long)]
    side_by_side: bool,
    /// wrk threads per server.
    #[arg(long, default_value_t = 1)]
    wrk_threads: usize,
}

/// A child process, stopped (SIGTERM, then SIGKILL) when dropped, and the directory removed with it.
struct Spawned {
    child: Child,
    dir: Option<PathBuf>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // SIGTERM first: nginx's master stops its workers only when asked.
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The run's directory, removed when dropped (declared first, so dropped after every server).
struct RunDir(PathBuf);

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server under measurement: its label in the table, its endpoints (one per node), and the processes behind them.
struct Server {
    label: String,
    endpoints: Vec<String>,
    /// The access key and secret its requests are signed with: dev mode's for the Trents the benchmark starts,
    /// `--access-key` and `--secret-key` for `--endpoint` and the peer.
    credentials: (String, String),
    /// The measured operations, in `--operations` order (`None` for the ceiling, which takes each Trent request).
    workloads: Option<Vec<Workload>>,
    processes: Vec<Spawned>,
}

/// A measured operation: its name in the table, its `X-Amz-Target` and its request body.
#[derive(Clone)]
struct Workload {
    name: &'static str,
    target: &'static str,
    body: Vec<u8>,
}

/// One measured run of one server.
#[derive(Debug, Clone, Copy, Default)]
struct Measurement {
    requests: u64,
    seconds: f64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU time the server's processes used meanwhile (user and system, seconds); `None` for a server the benchmark
    /// did not start.
    cpu_seconds: Option<f64>,
}

impl Measurement {
    fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// CPU time per request, in microseconds: what a request costs the server whatever the machine's load, so two
    /// configurations measured one after the other compare fairly even when the machine's speed drifts between them.
    fn cpu_micros_per_request(&self) -> Option<f64> {
        self.cpu_seconds.filter(|_| self.requests > 0).map(|cpu| cpu * 1e6 / self.requests as f64)
    }
}

/// CPU time (user and system, seconds) a process and its children have used so far: a Trent or fakecloud, or nginx's
/// master and its workers. Read from `/proc` (Linux); `None` where it cannot be.
fn cpu_seconds(pid: u32) -> Option<f64> {
    /// A process's parent and its CPU time in clock ticks, from `/proc/PID/stat` (fields 4, 14 and 15; the command
    /// name before them is in parentheses and may hold spaces).
    fn parent_and_ticks(pid: &str) -> Option<(u32, u64)> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let number = |index: usize| fields.get(index)?.parse::<u64>().ok();
        Some((u32::try_from(number(1)?).ok()?, number(11)? + number(12)?))
    }
    let (_, mut ticks) = parent_and_ticks(&pid.to_string())?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(other) = name.to_str().filter(|name| name.bytes().all(|b| b.is_ascii_digit())) else { continue };
        if let Some((_, child_ticks)) = parent_and_ticks(other).filter(|(parent, _)| *parent == pid) {
            ticks += child_ticks;
        }
    }
    Some(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
}

/// Runs `trent bench`.
pub fn run(args: BenchArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(bench(args))
}

/// A free port on loopback (free when asked; the server taking it starts right after).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, child: &mut Child, what: &str) -> Result<(), String> {
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited ({status}) before listening"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{what} did not listen on port {port} within 30 s"))
}

/// Finds a program on `PATH`, or in the system directories Debian installs servers into.
fn program(name: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("{name} is not installed: scripts/bench.sh installs it (Debian package)"))
}

/// The fixed body the ceiling answers: shaped like Trent's answer to a 4 KiB Encrypt.
fn ceiling_body() -> String {
    let blob = base64(&[0x5a; 4096 + 110]);
    json!({
        "CiphertextBlob": blob,
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "KeyId": "arn:aws:kms:us-east-1:000000000000:key/4d2a9c7e-1f3b-4c8d-9e0f-123456789abc",
    })
    .to_string()
}

/// Starts nginx as the ceiling: one worker per core, keep-alive without a request limit, and `return 200` with the
/// fixed body for every request (after reading its body, as Trent does).
fn start_nginx(run_dir: &Path) -> Result<Server, String> {
    let dir = run_dir.join("nginx");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = free_port()?;
    let d = dir.display();
    // nginx takes at most 4 KiB per quoted string: the body is set in parts and answered as their concatenation.
    let body = ceiling_body();
    let parts: Vec<&str> = body.as_bytes().chunks(2048).filter_map(|part| std::str::from_utf8(part).ok()).collect();
    let set_parts: String =
        parts.iter().enumerate().map(|(i, part)| format!("      set $part{i} '{part}';\n")).collect();
    let answer: String = (0..parts.len()).map(|i| format!("$part{i}")).collect();
    let config = format!(
        "daemon off;\nworker_processes auto;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         keepalive_requests 100000000;\n  keepalive_timeout 300s;\n  \
         server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      \
         default_type application/x-amz-json-1.1;\n{set_parts}      return 200 \"{answer}\";\n    }}\n  }}\n}}\n"
    );
    let config_file = dir.join("nginx.conf");
    std::fs::write(&config_file, config).map_err(|e| e.to_string())?;
    let mut child = Command::new(program("nginx")?)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(&config_file)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("nginx: {e}"))?;
    wait_for_port(port, &mut child, "nginx")?;
    Ok(Server {
        label: "nginx, fixed body (ceiling)".to_owned(),
        endpoints: vec![format!("http://127.0.0.1:{port}")],
        credentials: dev_credentials(),
        workloads: None,
        processes: vec![Spawned { child, dir: Some(dir) }],
    })
}

/// Starts fakecloud (the peer) on a free port.
fn start_fakecloud(exe: &Path) -> Result<(String, Spawned), String> {
    let port = free_port()?;
    let mut child = Command::new(exe)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    wait_for_port(port, &mut child, "fakecloud")?;
    Ok((format!("http://127.0.0.1:{port}"), Spawned { child, dir: None }))
}

/// Starts Trent (`exe`, or this binary when `None`) with `args` and waits for its "Trent listening on" line; returns
/// the endpoint it names.
fn spawn_trent(exe: Option<&str>, args: &[&str], dir: Option<PathBuf>) -> Result<(String, Spawned), String> {
    use std::io::{BufRead, BufReader};
    let exe = match exe {
        Some(exe) => PathBuf::from(exe),
        None => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let spawned = Spawned { child, dir };
    let mut lines = BufReader::new(stdout).lines();
    let endpoint = loop {
        let line = lines.next().ok_or("Trent exited before listening")?.map_err(|e| e.to_string())?;
        if let Some(rest) = line.strip_prefix("Trent listening on ") {
            break rest.split_whitespace().next().unwrap_or_default().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((endpoint, spawned))
}

/// Starts the Trent nodes of one `--targets` entry.
fn start_trent(target: &str, args: &BenchArgs, run_dir: &Path) -> Result<(String, Vec<String>, Vec<Spawned>), String> {
    // `<name>@<path>`: the same target, served by another build of Trent.
    let (name, exe) = match target.split_once('@') {
        Some((name, exe)) => (name, Some(exe)),
        None => (target, None),
    };
    let (base_name, audited) = match name.strip_suffix("-unaudited") {
        Some(base) => (base, false),
        None => (name, true),
    };
    let postgres = || args.postgres_url.clone().ok_or("the postgres targets need --postgres-url");
    let (nodes, database) = match base_name {
        "sqlite" => (1, None),
        "postgres" => (1, Some(postgres()?)),
        "postgres-2" => (2, Some(postgres()?)),
        other => return Err(format!("unknown target '{other}': use sqlite, postgres, postgres-2 (or …-unaudited)")),
    };
    // One root key for the whole run: the PostgreSQL targets share a database, which pins the first key it sees.
    let base = run_dir.join(target.replace(['/', '@'], "_"));
    let root_key = run_dir.join("root.key").display().to_string();
    let mut endpoints = Vec::new();
    let mut processes = Vec::new();
    for node in 0..nodes {
        let dir = base.join(format!("node{node}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let dir_text = dir.display().to_string();
        let mut node_args = vec!["serve", "--dev", "--listen", "127.0.0.1:0", "--log", "warn", "--data-dir", &dir_text];
        node_args.extend(["--root-key-file", &root_key]);
        if let Some(url) = &database {
            node_args.extend(["--database", url.as_str()]);
        }
        // Explicit either way, so that builds with other defaults are measured alike.
        node_args.extend(["--audit-calls", if audited { "true" } else { "false" }]);
        let (endpoint, process) = spawn_trent(exe, &node_args, (node == 0).then(|| base.clone()))?;
        endpoints.push(endpoint);
        processes.push(process);
    }
    let mut label = match &database {
        None => "trent, SQLite".to_owned(),
        Some(_) if nodes == 1 => "trent, PostgreSQL".to_owned(),
        Some(_) => format!("trent, PostgreSQL, {nodes} nodes"),
    };
    if !audited {
        label.push_str(", audit off");
    }
    if let Some(exe) = exe {
        label.push_str(&format!(" ({exe})"));
    }
    Ok((label, endpoints, processes))
}

/// Empties a dev-mode Trent's store.
async fn reset(endpoint: &str) -> Result<(), String> {
    use http_body_util::Full;
    use hyper_util::client::legacy::{connect::HttpConnector, Client};
    let uri: http::Uri = format!("{endpoint}/_trent/reset").parse().map_err(|e| format!("{e}"))?;
    let client: Client<HttpConnector, Full<bytes::Bytes>> =
        Client::builder(hyper_util::rt::TokioExecutor::new()).build(HttpConnector::new());
    let request = http::Request::post(uri).body(Full::default()).map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("reset answered {}", response.status()))
    }
}

impl BenchArgs {
    /// The credentials of `--endpoint` and the peer.
    fn credentials(&self) -> (String, String) {
        (self.access_key.clone(), self.secret_key.clone())
    }
}

/// The credentials of a Trent the benchmark starts (in dev mode).
fn dev_credentials() -> (String, String) {
    (trent_server::credentials::DEV_ACCESS_KEY.to_owned(), trent_server::credentials::DEV_SECRET.to_owned())
}

impl Server {
    /// The CPU time its processes have used so far; `None` for a server the benchmark did not start.
    fn cpu_seconds(&self) -> Option<f64> {
        if self.processes.is_empty() {
            return None;
        }
        self.processes.iter().map(|process| cpu_seconds(process.child.id())).sum()
    }

    fn signer(&self, endpoint: &str, args: &BenchArgs) -> Result<Signer, String> {
        Signer::new(endpoint, &self.credentials.0, &self.credentials.1, &args.region, 4)
    }
}

/// Makes the keys `server` needs for the chosen operations, and its workloads.
async fn prepare(
    label: String,
    endpoints: Vec<String>,
    processes: Vec<Spawned>,
    credentials: (String, String),
    args: &BenchArgs,
) -> Result<Server, String> {
    let endpoint = endpoints.first().ok_or("no endpoint")?;
    let first = Signer::new(endpoint, &credentials.0, &credentials.1, &args.region, 4)?;
    let key = first.call_json("TrentService.CreateKey", &json!({ "Description": "trent bench" })).await?;
    let key_id = key.pointer("/KeyMetadata/KeyId").and_then(Value::as_str).ok_or("CreateKey returned no KeyId")?;
    let mut workloads = Vec::new();
    for operation in &args.operations {
        workloads.push(workload(&first, operation, key_id).await?);
    }
    Ok(Server { label, endpoints, credentials, workloads: Some(workloads), processes })
}

/// One measured operation, with the keys it needs created (and, for Decrypt and Verify, the ciphertext or signature
/// made) before measuring.
async fn workload(first: &Signer, operation: &str, key_id: &str) -> Result<Workload, String> {
    let create = |spec: &str, usage: &str| json!({ "Description": "trent bench", "KeySpec": spec, "KeyUsage": usage });
    let created_key = |answer: Value| {
        answer
            .pointer("/KeyMetadata/KeyId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or("CreateKey returned no KeyId")
    };
    let message = base64(&[0x42u8; 256]);
    let encrypt = json!({ "KeyId": key_id, "Plaintext": base64(&[0x5au8; 4096]) });
    let (name, target, body) = match operation {
        "encrypt" => ("Encrypt 4 KiB", "TrentService.Encrypt", encrypt),
        "decrypt" => {
            let encrypted = first.call_json("TrentService.Encrypt", &encrypt).await?;
            let blob = encrypted.get("CiphertextBlob").and_then(Value::as_str).ok_or("Encrypt returned no CiphertextBlob")?;
            ("Decrypt 4 KiB", "TrentService.Decrypt", json!({ "CiphertextBlob": blob }))
        }
        "decrypt-oldest-of-10" | "decrypt-newest-of-10" => {
            // A key of its own with ten materials: a ciphertext under the first, nine rotations, one under the last.
            let rotated = created_key(first.call_json("TrentService.CreateKey", &create("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")).await?)?;
            let under = |answer: Value| answer.get("CiphertextBlob").and_then(Value::as_str).map(str::to_owned).ok_or("Encrypt returned no CiphertextBlob");
            let plaintext = json!({ "KeyId": rotated, "Plaintext": base64(&[0x5au8; 4096]) });
            let oldest = under(first.call_json("TrentService.Encrypt", &plaintext).await?)?;
            for _ in 0..9 {
                first.call_json("TrentService.RotateKeyOnDemand", &json!({ "KeyId": rotated })).await?;
            }
            let newest = under(first.call_json("TrentService.Encrypt", &plaintext).await?)?;
            if operation == "decrypt-oldest-of-10" {
                ("Decrypt 4 KiB, oldest of 10 materials", "TrentService.Decrypt", json!({ "CiphertextBlob": oldest }))
            } else {
                ("Decrypt 4 KiB, newest of 10 materials", "TrentService.Decrypt", json!({ "CiphertextBlob": newest }))
            }
        }
        "generate-data-key" => ("GenerateDataKey AES_256", "TrentService.GenerateDataKey", json!({ "KeyId": key_id, "KeySpec": "AES_256" })),
        "create-key" => ("CreateKey", "TrentService.CreateKey", json!({ "Description": "bench key" })),
        "sign-ecc-p256" | "sign-rsa-2048" | "verify-ecc-p256" => {
            let (spec, algorithm) = if operation == "sign-rsa-2048" { ("RSA_2048", "RSASSA_PSS_SHA_256") } else { ("ECC_NIST_P256", "ECDSA_SHA_256") };
            let signing_key = created_key(first.call_json("TrentService.CreateKey", &create(spec, "SIGN_VERIFY")).await?)?;
            let sign = json!({ "KeyId": signing_key, "Message": message, "SigningAlgorithm": algorithm });
            match operation {
                "verify-ecc-p256" => {
                    let signed = first.call_json("TrentService.Sign", &sign).await?;
                    let signature = signed.get("Signature").and_then(Value::as_str).ok_or("Sign returned no Signature")?;
                    let verify = json!({ "KeyId": signing_key, "Message": message, "SigningAlgorithm": algorithm, "Signature": signature });
                    ("Verify ECC_NIST_P256 256 B", "TrentService.Verify", verify)
                }
                "sign-rsa-2048" => ("Sign RSA_2048 PSS 256 B", "TrentService.Sign", sign),
                _ => ("Sign ECC_NIST_P256 256 B", "TrentService.Sign", sign),
            }
        }
        "generate-mac" => {
            let mac_key = created_key(first.call_json("TrentService.CreateKey", &create("HMAC_256", "GENERATE_VERIFY_MAC")).await?)?;
            ("GenerateMac HMAC_256 256 B", "TrentService.GenerateMac", json!({ "KeyId": mac_key, "Message": message, "MacAlgorithm": "HMAC_SHA_256" }))
        }
        other => {
            return Err(format!(
                "unknown operation '{other}': use encrypt, decrypt, decrypt-oldest-of-10, decrypt-newest-of-10, generate-data-key, create-key, sign-ecc-p256, sign-rsa-2048, verify-ecc-p256, generate-mac"
            ))
        }
    };
    Ok(Workload { name, target, body: body.to_string().into_bytes() })
}

/// The wrk script replaying `request` (signed now) and printing its results on one line.
fn wrk_script(request: &http::Request<bytes::Bytes>) -> Result<String, String> {
    let long_string = |text: &str| format!("[==[{text}]==]");
    let body = std::str::from_utf8(request.body()).map_err(|e| e.to_string())?;
    let mut script = format!("wrk.method = \"POST\"\nwrk.path = \"/\"\nwrk.body = {}\n", long_string(body));
    for (name, value) in request.headers() {
        let value = value.to_str().map_err(|e| e.to_string())?;
        // wrk adds a `Host` header of its own unless one is spelt exactly so.
        let name = if name == http::header::HOST { "Host" } else { name.as_str() };
        script.push_str(&format!("wrk.headers[\"{name}\"] = {}\n", long_string(value)));
    }
    script.push_str(
        "done = function(summary, latency, requests)\n  local e = summary.errors\n  \
         io.write(string.format(\"trent-bench %.0f %.0f %.0f %.0f %.0f\\n\", summary.requests, summary.duration, \
         e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(50), latency:percentile(99)))\nend\n",
    );
    Ok(script)
}

/// Runs wrk against `endpoint` with `request` for `seconds` on `connections` connections.
async fn wrk(
    endpoint: &str,
    request: &http::Request<bytes::Bytes>,
    connections: usize,
    threads: usize,
    seconds: u64,
    script_file: &Path,
) -> Result<Measurement, String> {
    tokio::fs::write(script_file, wrk_script(request)?).await.map_err(|e| e.to_string())?;
    let threads = threads.clamp(1, connections.max(1));
    let output = tokio::process::Command::new(program("wrk")?)
        .args(["-t", &threads.to_string(), "-c", &connections.max(1).to_string(), "-d", &format!("{seconds}s")])
        .args(["--timeout", "10s", "-s"])
        .arg(script_file)
        .arg(format!("{endpoint}/"))
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let figures: Vec<f64> = stdout
        .lines()
        .find_map(|line| line.strip_prefix("trent-bench "))
        .ok_or_else(|| format!("wrk printed no result: {stdout}{}", String::from_utf8_lossy(&output.stderr)))?
        .split_whitespace()
        .map(|figure| figure.parse::<f64>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let &[requests, micros, errors, p50, p99] = figures.as_slice() else {
        return Err(format!("wrk printed an unexpected result: {stdout}"));
    };
    Ok(Measurement {
        requests: requests as u64,
        seconds: micros / 1e6,
        errors: errors as u64,
        p50_ms: p50 / 1000.0,
        p99_ms: p99 / 1000.0,
        cpu_seconds: None,
    })
}

/// Loads `server` with `workload` (warm-up, then the measurement): `concurrency` connections spread over its nodes,
/// one wrk per node. Several nodes' figures add up; their latency percentiles are the worst node's. The CPU time its
/// processes use is read around the measured seconds only.
async fn measure(
    server: &Server,
    workload: &Workload,
    concurrency: usize,
    args: &BenchArgs,
    run_dir: &Path,
) -> Result<Measurement, String> {
    let nodes = server.endpoints.len().max(1);
    let mut loads = Vec::new();
    for (index, endpoint) in server.endpoints.iter().enumerate() {
        let signer = server.signer(endpoint, args)?;
        let request = signer.signed(workload.target, &workload.body)?;
        let script = run_dir.join(format!("wrk-{}.lua", SCRIPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        let connections = concurrency / nodes + usize::from(index < concurrency % nodes);
        loads.push((endpoint, signer, request, script, connections));
    }
    let run = |seconds: u64| {
        futures_util::future::join_all(loads.iter().map(|(endpoint, _, request, script, connections)| {
            wrk(endpoint, request, *connections, args.wrk_threads, seconds, script)
        }))
    };
    if args.warmup_seconds > 0 {
        for warmup in run(args.warmup_seconds).await {
            warmup?;
        }
    }
    let cpu_before = server.cpu_seconds();
    let measured = run(args.seconds.max(1)).await;
    let cpu_after = server.cpu_seconds();
    let mut total = Measurement::default();
    for ((endpoint, signer, ..), m) in loads.iter().zip(measured) {
        let m = m?;
        if m.errors > 0 {
            report_error(signer, endpoint, workload).await;
        }
        total.requests += m.requests;
        total.errors += m.errors;
        total.seconds = total.seconds.max(m.seconds);
        total.p50_ms = total.p50_ms.max(m.p50_ms);
        total.p99_ms = total.p99_ms.max(m.p99_ms);
    }
    total.cpu_seconds = cpu_before.zip(cpu_after).map(|(before, after)| after - before);
    Ok(total)
}

/// Numbers the wrk scripts, so that servers measured at the same time write different files.
static SCRIPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sends the workload's request once more and shows what the server answered, when wrk counted errors.
async fn report_error(signer: &Signer, endpoint: &str, workload: &Workload) {
    let answer = signer.call(workload.target, &workload.body).await;
    match answer {
        Ok((status, body)) => eprintln!("{endpoint} {}: {status} {}", workload.name, String::from_utf8_lossy(&body)),
        Err(e) => eprintln!("{endpoint} {}: {e}", workload.name),
    }
}

async fn bench(args: BenchArgs) -> Result<(), String> {
    let run_dir = std::env::temp_dir().join(format!("trent-bench-{}", std::process::id()));
    std::fs::create_dir_all(&run_dir).map_err(|e| e.to_string())?;
    // Removes the run directory last, after every server.
    let _run_dir = RunDir(run_dir.clone());
    program("wrk")?;
    let ceiling = if args.no_ceiling || args.side_by_side { None } else { Some(start_nginx(&run_dir)?) };

    // Every server is started (and its keys made) up front, so that the rounds can take them in turn.
    let mut servers = Vec::new();
    let mut database_reset = false;
    for target in args.targets.iter().filter(|target| !target.is_empty()) {
        let (label, endpoints, processes) = start_trent(target, &args, &run_dir)?;
        // The PostgreSQL targets share one database: it is emptied once, before the first of them makes its keys.
        if target.starts_with("postgres") && !std::mem::replace(&mut database_reset, true) {
            reset(endpoints.first().ok_or("no endpoint")?).await?;
        }
        servers.push(prepare(label, endpoints, processes, dev_credentials(), &args).await?);
    }
    if let Some(exe) = &args.fakecloud {
        let (endpoint, process) = start_fakecloud(exe)?;
        let label = "fakecloud 0.51.0 (peer)".to_owned();
        servers.push(prepare(label, vec![endpoint], vec![process], args.credentials(), &args).await?);
    }
    if let Some(endpoint) = &args.endpoint {
        servers.push(prepare(endpoint.clone(), vec![endpoint.clone()], Vec::new(), args.credentials(), &args).await?);
    }
    if servers.is_empty() {
        return Err("nothing to measure: give --targets, --fakecloud or --endpoint".to_owned());
    }

    say!("| server | operation | connections | requests/s | p50 ms | p99 ms | errors | CPU µs/request | of ceiling |");
    say!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let rounds = args.rounds.max(1);
    for &concurrency in &args.concurrency {
        for operation in 0..args.operations.len() {
            let name = workload_of(&servers, 0, operation)?.name;
            if args.side_by_side {
                side_by_side(&servers, operation, concurrency, &args, &run_dir).await?;
                continue;
            }
            // The ceiling first, then the servers; every other round in reverse.
            let everyone: Vec<&Server> = ceiling.iter().chain(&servers).collect();
            let mut rates = vec![Vec::new(); everyone.len()];
            let mut shares = vec![Vec::new(); everyone.len()];
            let mut cpu = vec![Vec::new(); everyone.len()];
            for round in 0..rounds {
                let mut order: Vec<usize> = (0..everyone.len()).collect();
                if round % 2 == 1 {
                    order.reverse();
                }
                let mut round_rates = vec![0.0; everyone.len()];
                for index in order {
                    let Some(server) = everyone.get(index) else { continue };
                    // The ceiling takes exactly the request the first Trent gets.
                    let workload = match &server.workloads {
                        Some(_) => workload_of(&everyone, index, operation)?,
                        None => workload_of(&servers, 0, operation)?,
                    };
                    let m = measure(server, workload, concurrency, &args, &run_dir).await?;
                    print_row(&server.label, workload.name, concurrency, &m);
                    if let Some(slot) = round_rates.get_mut(index) {
                        *slot = m.rate();
                    }
                    if let Some(cpu) = cpu.get_mut(index) {
                        cpu.extend(m.cpu_micros_per_request());
                    }
                }
                let ceiling_rate = ceiling.as_ref().and(round_rates.first().copied()).filter(|r| *r > 0.0);
                for ((rate, rates), shares) in round_rates.iter().zip(&mut rates).zip(&mut shares) {
                    rates.push(*rate);
                    shares.extend(ceiling_rate.map(|c| rate / c));
                }
            }
            for (((server, rates), shares), cpu) in everyone.iter().zip(&rates).zip(&shares).zip(&cpu) {
                let share = median(shares).map_or(String::new(), |s| format!("{:.0}%", 100.0 * s));
                say!(
                    "| **{}** | **{name}: median of {rounds} rounds** | {concurrency} | **{:.0}** | | | | **{}** | **{share}** |",
                    server.label,
                    median(rates).unwrap_or(0.0),
                    micros(median(cpu))
                );
            }
        }
    }
    Ok(())
}

/// The workload of operation `operation` at `server` (the ceiling has none of its own).
fn workload_of<S: std::borrow::Borrow<Server>>(
    servers: &[S],
    server: usize,
    operation: usize,
) -> Result<&Workload, String> {
    servers
        .get(server)
        .and_then(|s| s.borrow().workloads.as_ref())
        .and_then(|w| w.get(operation))
        .ok_or_else(|| "no such workload".to_owned())
}

/// `--side-by-side`: every round loads all servers at once, and each after the first is compared with it.
async fn side_by_side(
    servers: &[Server],
    operation: usize,
    concurrency: usize,
    args: &BenchArgs,
    run_dir: &Path,
) -> Result<(), String> {
    let rounds = args.rounds.max(1);
    let mut ratios = vec![Vec::new(); servers.len()];
    let mut cpu = vec![Vec::new(); servers.len()];
    for _ in 0..rounds {
        let loads = servers.iter().enumerate().map(|(index, server)| async move {
            measure(server, workload_of(servers, index, operation)?, concurrency, args, run_dir).await
        });
        let measured = futures_util::future::join_all(loads).await;
        let mut rates = Vec::new();
        for (index, (server, m)) in servers.iter().zip(measured).enumerate() {
            let m = m?;
            print_row(
                &format!("{}, side by side", server.label),
                workload_of(servers, index, operation)?.name,
                concurrency,
                &m,
            );
            rates.push(m.rate());
            if let Some(cpu) = cpu.get_mut(index) {
                cpu.extend(m.cpu_micros_per_request());
            }
        }
        let first = rates.first().copied().filter(|r| *r > 0.0);
        for (ratios, rate) in ratios.iter_mut().zip(&rates) {
            ratios.extend(first.map(|first| rate / first));
        }
    }
    let name = workload_of(servers, 0, operation)?.name;
    let first_label = servers.first().map_or("", |s| s.label.as_str());
    for ((server, ratios), cpu) in servers.iter().zip(&ratios).zip(&cpu).skip(1) {
        let each: Vec<String> = ratios.iter().map(|r| format!("{:.0}%", 100.0 * r)).collect();
        if let Some(ratio) = median(ratios) {
            say!(
                "| **{}** | **{name}: requests/s as a share of {first_label}'s at the same time, median of {rounds} rounds ({})** | {concurrency} | | | | | **{}** | **{:.0}%** |",
                server.label,
                each.join(", "),
                micros(median(cpu)),
                100.0 * ratio
            );
        }
    }
    Ok(())
}

/// The median of some figures (the upper one of an even count); `None` for none.
fn median(figures: &[f64]) -> Option<f64> {
    let mut sorted = figures.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

/// One measurement's row (its share of the ceiling is in the median rows, once the round's ceiling is known).
fn print_row(server: &str, operation: &str, concurrency: usize, m: &Measurement) {
    say!(
        "| {server} | {operation} | {concurrency} | {:.0} | {:.2} | {:.2} | {} | {} | |",
        m.rate(),
        m.p50_ms,
        m.p99_ms,
        m.errors,
        micros(m.cpu_micros_per_request())
    );
}

/// A CPU time per request as the table shows it (empty when unknown).
fn micros(figure: Option<f64>) -> String {
    figure.map_or(String::new(), |micros| format!("{micros:.1}"))
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
