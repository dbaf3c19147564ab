//! `trent bench`: a load benchmark that sends real SigV4-signed requests over keep-alive HTTP at a chosen
//! concurrency and reports requests/s and p50/p99 latency for Encrypt (4 KiB), Decrypt, GenerateDataKey, CreateKey,
//! Sign (ECDSA P-256, RSA-2048 PSS), Verify (ECDSA P-256) and GenerateMac (HMAC-SHA-256). Right before each of them
//! it measures the ceiling: the same load, with the same request, against the same HTTP stack answering a fixed body.
//! `--rounds` alternates the two several times and adds the median share. `--endpoint` points it at any other AWS KMS
//! implementation instead of a Trent it starts itself; `--targets` starts Trent on SQLite (every call audited or not)
//! and on PostgreSQL with one or two nodes, side by side in the same run: each round measures every target in turn
//! (in reverse order every other round), and each target after the first is also compared with the first.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use crate::cli::client::Signer;

/// `trent bench` flags.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Benchmark this AWS KMS endpoint instead of starting a Trent (e.g. another KMS implementation).
    #[arg(long)]
    endpoint: Option<String>,
    /// Access key for `--endpoint`.
    #[arg(long, default_value = "test")]
    access_key: String,
    /// Secret key for `--endpoint`.
    #[arg(long, default_value = "test")]
    secret_key: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Concurrent requests in flight (comma-separated for several runs).
    #[arg(long, value_delimiter = ',', default_value = "64")]
    concurrency: Vec<usize>,
    /// Seconds measured per operation and concurrency.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 1)]
    warmup_seconds: u64,
    /// Operations to measure: encrypt, decrypt, generate-data-key, create-key, sign-ecc-p256, sign-rsa-2048,
    /// verify-ecc-p256, generate-mac.
    #[arg(long, value_delimiter = ',', default_value = "encrypt,decrypt,generate-data-key")]
    operations: Vec<String>,
    /// Trents to start and measure, in order: sqlite (calls not audited), sqlite-audited (every call audited, the
    /// server's default), postgres (one node), postgres-2 (two nodes on one database); all but sqlite-audited run
    /// with `--audit-calls false`. With `--rounds`, each round takes them in turn. A target may name
    /// another build of Trent after `@` (`sqlite@/tmp/trent-before`), to compare two builds in one run.
    #[arg(long, value_delimiter = ',', default_value = "sqlite")]
    targets: Vec<String>,
    /// The PostgreSQL database for the postgres targets (it is emptied before the first of them starts).
    #[arg(long, env = "TRENT_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Skip the ceiling measurement.
    #[arg(long)]
    no_ceiling: bool,
    /// Measure each operation this many times, alternating with the ceiling, and add the median share: on a noisy
    /// machine one pair of measurements can be off by 15%.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Load every target at the same time (each with the full concurrency) instead of one after the other, and
    /// report each target's requests/s as a share of the first's, per round and as the median: two configurations
    /// compared under exactly the same machine conditions, however the machine's speed drifts. No ceiling.
    #[arg(long)]
    side_by_side: bool,
}

/// A child process (Trent or the ceiling) killed when dropped.
struct Spawned {
    child: Child,
    endpoint: String,
    _dir: Option<TempDir>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `exe` (this binary when `None`) with `args` and waits for the line starting with `prefix`.
fn spawn(exe: Option<&str>, args: &[&str], prefix: &str, dir: Option<TempDir>) -> Result<Spawned, String> {
    let exe = match exe {
        Some(exe) => std::path::PathBuf::from(exe),
        None => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let endpoint = loop {
        let line = lines.next().ok_or("server exited before listening")?.map_err(|e| e.to_string())?;
        if let Some(rest) = line.strip_prefix(prefix) {
            break rest.split_whitespace().next().unwrap_or_default().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(Spawned { child, endpoint, _dir: dir })
}

/// One measured run.
struct Measurement {
    requests: usize,
    errors: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    first_error: Option<String>,
}

/// Drives `concurrency` requests in flight, spread over `signers` (one per node) round-robin by task.
async fn load(
    signers: &[Signer],
    target: &'static str,
    body: Arc<Vec<u8>>,
    concurrency: usize,
    warmup: Duration,
    measure: Duration,
) -> Measurement {
    let start = Instant::now() + warmup;
    let end = start + measure;
    let mut tasks = Vec::with_capacity(concurrency);
    for task in 0..concurrency {
        let Some(signer) = signers.get(task % signers.len().max(1)).cloned() else {
            break;
        };
        let body = Arc::clone(&body);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut errors, mut first_error) = (0usize, None);
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let outcome = signer.call(target, &body).await;
                let done = Instant::now();
                if sent < start {
                    continue;
                }
                match outcome {
                    Ok((200, _)) => latencies.push(done.duration_since(sent)),
                    Ok((status, bytes)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&bytes)));
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for task in tasks {
        if let Ok((l, e, f)) = task.await {
            latencies.extend(l);
            errors += e;
            if first_error.is_none() {
                first_error = f;
            }
        }
    }
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        let index = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Measurement {
        requests: latencies.len(),
        errors,
        seconds: measure.as_secs_f64(),
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        first_error,
    }
}

/// Runs `trent bench`.
pub fn run(args: BenchArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(bench(args))
}

/// The Trent nodes of one target, started by the benchmark.
struct Target {
    label: String,
    endpoints: Vec<String>,
    _nodes: Vec<Spawned>,
}

fn start_target(target: &str, args: &BenchArgs, run_dir: &std::path::Path) -> Result<Target, String> {
    // `<name>@<path>`: the same target, served by another build of Trent.
    let (name, exe) = match target.split_once('@') {
        Some((name, exe)) => (name, Some(exe)),
        None => (target, None),
    };
    let (nodes, database) = match name {
        "sqlite" | "sqlite-audited" => (1, None),
        "postgres" => (1, Some(args.postgres_url.clone().ok_or("the postgres targets need --postgres-url")?)),
        "postgres-2" => (2, Some(args.postgres_url.clone().ok_or("the postgres targets need --postgres-url")?)),
        other => return Err(format!("unknown target '{other}': use sqlite, sqlite-audited, postgres, postgres-2")),
    };
    // One root key for the whole run: the PostgreSQL targets share a database, which pins the first key it sees.
    let base = run_dir.join(target.replace(['/', '@'], "_"));
    let root_key = run_dir.join("root.key");
    let mut spawned = Vec::new();
    for node in 0..nodes {
        let dir = base.join(format!("node{node}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (dir_text, key_text) = (dir.display().to_string(), root_key.display().to_string());
        let mut node_args = vec![
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "warn",
            "--data-dir",
            &dir_text,
            "--root-key-file",
            &key_text,
        ];
        if let Some(url) = &database {
            node_args.extend(["--database", url.as_str()]);
        }
        // Explicit either way, so that builds with other defaults are measured alike.
        node_args.extend(["--audit-calls", if name == "sqlite-audited" { "true" } else { "false" }]);
        // The first node removes the whole target directory when dropped.
        let cleanup = (node == 0).then(|| TempDir(base.clone()));
        spawned.push(spawn(exe, &node_args, "Trent listening on ", cleanup)?);
    }
    let label = match nodes {
        1 if name == "sqlite-audited" => "trent, SQLite, every call audited".to_owned(),
        1 if database.is_none() => "trent, SQLite".to_owned(),
        1 => "trent, PostgreSQL, 1 node".to_owned(),
        n => format!("trent, PostgreSQL, {n} nodes"),
    };
    let label = match exe {
        Some(exe) => format!("{label} ({exe})"),
        None => label,
    };
    Ok(Target { label, endpoints: spawned.iter().map(|s| s.endpoint.clone()).collect(), _nodes: spawned })
}

async fn reset(endpoint: &str) -> Result<(), String> {
    let uri: http::Uri = format!("{endpoint}/_trent/reset").parse().map_err(|e| format!("{e}"))?;
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let request = http::Request::post(uri).body(Full::new(Bytes::new())).map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("reset answered {}", response.status()))
    }
}

async fn bench(args: BenchArgs) -> Result<(), String> {
    let run_dir = TempDir(std::env::temp_dir().join(format!("trent-bench-{}", std::process::id())));
    std::fs::create_dir_all(&run_dir.0).map_err(|e| e.to_string())?;
    let ceiling = if args.no_ceiling || args.side_by_side {
        None
    } else {
        Some(spawn(None, &["ceiling", "--listen", "127.0.0.1:0"], "Trent ceiling listening on ", None)?)
    };
    let warmup = Duration::from_secs(args.warmup_seconds);
    let measure = Duration::from_secs(args.seconds.max(1));
    println!("| target | operation | concurrency | requests/s | p50 ms | p99 ms | errors | of ceiling |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");

    // Every target is started (and its keys made) up front, so that the rounds can take the targets in turn: on a
    // machine whose speed drifts, targets measured in alternation are compared at the same speed.
    let target_names: Vec<String> =
        if args.endpoint.is_some() { vec!["--endpoint".to_owned()] } else { args.targets.clone() };
    let max_concurrency = args.concurrency.iter().copied().max().unwrap_or(64);
    let mut targets = Vec::new();
    let mut database_reset = false;
    for target_name in &target_names {
        let target = match &args.endpoint {
            Some(endpoint) => Target { label: endpoint.clone(), endpoints: vec![endpoint.clone()], _nodes: Vec::new() },
            None => start_target(target_name, &args, &run_dir.0)?,
        };
        // The PostgreSQL targets share one database: it is emptied once, before the first of them makes its keys.
        if target_name.starts_with("postgres") && !std::mem::replace(&mut database_reset, true) {
            reset(target.endpoints.first().ok_or("no endpoint")?).await?;
        }
        let signers = target
            .endpoints
            .iter()
            .map(|e| Signer::new(e, &args.access_key, &args.secret_key, &args.region, max_concurrency))
            .collect::<Result<Vec<_>, _>>()?;
        let first = signers.first().ok_or("no endpoint")?;
        let key = first.call_json("TrentService.CreateKey", &json!({ "Description": "trent bench" })).await?;
        let key_id =
            key.pointer("/KeyMetadata/KeyId").and_then(Value::as_str).ok_or("CreateKey returned no KeyId")?.to_owned();
        let plaintext = vec![0x5au8; 4096];
        let mut workloads = Vec::new();
        for operation in &args.operations {
            workloads.push(workload(first, operation, &key_id, &plaintext).await?);
        }
        targets.push((target, signers, workloads));
    }

    let rounds = args.rounds.max(1);
    if args.side_by_side {
        return side_by_side(&targets, &args, warmup, measure).await;
    }
    for &concurrency in &args.concurrency {
        for operation in 0..args.operations.len() {
            // Per target, each round's share of the ceiling.
            let mut shares = vec![Vec::new(); targets.len()];
            for round in 0..rounds {
                // Every other round takes the targets in reverse, so a machine that slows down or speeds up during
                // the run favours none of them.
                let order: Vec<usize> =
                    if round % 2 == 0 { (0..targets.len()).collect() } else { (0..targets.len()).rev().collect() };
                for index in order {
                    let Some((target, signers, workloads)) = targets.get(index) else {
                        continue;
                    };
                    let Some((name, target_name, body)) = workloads.get(operation) else {
                        continue;
                    };
                    // The ceiling takes the same request (size, signature) and answers a fixed body: what this
                    // machine's HTTP allows for this operation, measured right before Trent.
                    let mut ceiling_rate = None;
                    if let Some(ceiling) = &ceiling {
                        let ceiling_signer = Signer::new(
                            &ceiling.endpoint,
                            &args.access_key,
                            &args.secret_key,
                            &args.region,
                            concurrency,
                        )?;
                        let m =
                            load(&[ceiling_signer], target_name, Arc::clone(body), concurrency, warmup, measure).await;
                        print_row(
                            "ceiling (same stack, fixed body)",
                            &format!("{name}, same request"),
                            concurrency,
                            &m,
                            None,
                        );
                        ceiling_rate = Some(m.requests as f64 / m.seconds);
                    }
                    let m = load(signers, target_name, Arc::clone(body), concurrency, warmup, measure).await;
                    print_row(&target.label, name, concurrency, &m, ceiling_rate);
                    if let (Some(ceiling_rate), Some(shares)) =
                        (ceiling_rate.filter(|r| *r > 0.0), shares.get_mut(index))
                    {
                        shares.push(m.requests as f64 / m.seconds / ceiling_rate);
                    }
                }
            }
            if rounds < 2 {
                continue;
            }
            let name = targets.first().and_then(|(_, _, w)| w.get(operation)).map_or("", |(name, _, _)| *name);
            let medians: Vec<Option<f64>> = shares.iter().map(|s| median(s)).collect();
            let first = targets.first().map(|(t, _, _)| t.label.as_str()).zip(medians.first().copied().flatten());
            for (index, ((target, _, _), share)) in targets.iter().zip(&medians).enumerate() {
                let Some(share) = share else { continue };
                println!(
                    "| {} | {name}: median of {rounds} rounds | {concurrency} | | | | | {:.0}% |",
                    target.label,
                    100.0 * share
                );
                // Against the first target: the two median shares of the ceiling, each measured beside its own.
                if let Some((first_label, first_share)) = first.filter(|(_, share)| index > 0 && *share > 0.0) {
                    println!(
                        "| {} | {name}: its median share as a share of {first_label}'s | {concurrency} | | | | | {:.0}% |",
                        target.label,
                        100.0 * share / first_share
                    );
                }
            }
        }
    }
    drop(ceiling);
    drop(run_dir);
    Ok(())
}

/// A measured operation: its name in the table, its `X-Amz-Target` and its request body.
type Workload = (&'static str, &'static str, Arc<Vec<u8>>);

/// One measured operation, with the keys it needs created (and, for Decrypt and Verify, the ciphertext or signature
/// made) before measuring.
async fn workload(first: &Signer, operation: &str, key_id: &str, plaintext: &[u8]) -> Result<Workload, String> {
    let create = |spec: &str, usage: &str| json!({ "Description": "trent bench", "KeySpec": spec, "KeyUsage": usage });
    let created_key = |answer: Value| {
        answer
            .pointer("/KeyMetadata/KeyId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or("CreateKey returned no KeyId")
    };
    let message = base64(&[0x42u8; 256]);
    let (name, target, body) = match operation {
        "encrypt" => ("Encrypt 4 KiB", "TrentService.Encrypt", json!({ "KeyId": key_id, "Plaintext": base64(plaintext) })),
        "decrypt" => {
            let encrypted = first.call_json("TrentService.Encrypt", &json!({ "KeyId": key_id, "Plaintext": base64(plaintext) })).await?;
            let blob = encrypted.get("CiphertextBlob").and_then(Value::as_str).ok_or("Encrypt returned no CiphertextBlob")?.to_owned();
            ("Decrypt 4 KiB", "TrentService.Decrypt", json!({ "CiphertextBlob": blob }))
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
                    let signature = signed.get("Signature").and_then(Value::as_str).ok_or("Sign returned no Signature")?.to_owned();
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
                "unknown operation '{other}': use encrypt, decrypt, generate-data-key, create-key, sign-ecc-p256, sign-rsa-2048, verify-ecc-p256, generate-mac"
            ))
        }
    };
    Ok((name, target, Arc::new(body.to_string().into_bytes())))
}

/// `--side-by-side`: every round loads all targets at once, and each target after the first is compared with it.
async fn side_by_side(
    targets: &[(Target, Vec<Signer>, Vec<Workload>)],
    args: &BenchArgs,
    warmup: Duration,
    measure: Duration,
) -> Result<(), String> {
    let rounds = args.rounds.max(1);
    for &concurrency in &args.concurrency {
        for operation in 0..args.operations.len() {
            let mut ratios = vec![Vec::new(); targets.len()];
            for _ in 0..rounds {
                let mut loads = Vec::new();
                for (_, signers, workloads) in targets {
                    let (_, target_name, body) = workloads.get(operation).ok_or("no such operation")?;
                    let (signers, target_name, body) = (signers.clone(), *target_name, Arc::clone(body));
                    loads.push(tokio::spawn(async move {
                        load(&signers, target_name, body, concurrency, warmup, measure).await
                    }));
                }
                let mut rates = Vec::new();
                for ((target, _, workloads), running) in targets.iter().zip(loads) {
                    let m = running.await.map_err(|e| e.to_string())?;
                    let name = workloads.get(operation).map_or("", |(name, _, _)| *name);
                    print_row(&format!("{}, side by side", target.label), name, concurrency, &m, None);
                    rates.push(m.requests as f64 / m.seconds);
                }
                let first = rates.first().copied().filter(|r| *r > 0.0);
                for (ratios, rate) in ratios.iter_mut().zip(&rates) {
                    ratios.extend(first.map(|first| rate / first));
                }
            }
            let name = targets.first().and_then(|(_, _, w)| w.get(operation)).map_or("", |(name, _, _)| *name);
            let first_label = targets.first().map_or("", |(t, _, _)| t.label.as_str());
            for ((target, _, _), ratios) in targets.iter().zip(&ratios).skip(1) {
                let each: Vec<String> = ratios.iter().map(|r| format!("{:.0}%", 100.0 * r)).collect();
                if let Some(ratio) = median(ratios) {
                    println!(
                        "| {} | {name}: requests/s as a share of {first_label}'s at the same time, median of {rounds} rounds ({}) | {concurrency} | | | | | {:.0}% |",
                        target.label,
                        each.join(", "),
                        100.0 * ratio
                    );
                }
            }
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

fn print_row(target: &str, operation: &str, concurrency: usize, m: &Measurement, ceiling: Option<f64>) {
    let rate = m.requests as f64 / m.seconds;
    let share = ceiling.filter(|c| *c > 0.0).map_or("".to_owned(), |c| format!("{:.0}%", 100.0 * rate / c));
    println!(
        "| {target} | {operation} | {concurrency} | {rate:.0} | {:.2} | {:.2} | {} | {share} |",
        m.p50_ms, m.p99_ms, m.errors
    );
    if let Some(error) = &m.first_error {
        eprintln!("first error for {operation} against {target}: {error}");
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
