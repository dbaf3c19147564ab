//! Starting and stopping the server: data directory, root key, store, credentials, the workers, one accept loop per
//! core (bounded connections, header timeouts; each core's thread has its own single-threaded runtime and its own
//! `SO_REUSEPORT` listener, the cores' loads kept even by [`crate::balance`], and a request never changes thread)
//! and graceful shutdown on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use trent_crypto::RootKey;
use trent_domain::{Clock, SystemClock};
use trent_service::deletion_worker::DeletionWorker;
use trent_service::material_worker::MaterialWorker;
use trent_service::retention_worker::RetentionWorker;
use trent_service::retirement_worker::RetirementWorker;
use trent_service::Service;
use trent_store::KeyStore;

use crate::app::{AppState, Front};
use crate::balance::{Open, Seat};
use crate::config::{Config, Database};
use crate::credentials;

/// Connections served at once; more wait in the kernel's backlog until one closes.
pub const MAX_CONNECTIONS: usize = 4096;
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long in-flight requests get to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The meta record that pins the root key to the store.
const ROOT_KEY_CHECK: &str = "root_key_check";

/// Opens the data directory, root key and store a configuration names, checking that the root key is the one the
/// store was created with (pinning it in a new store): where `serve` starts, and backup and restore beside it.
pub async fn open_store(config: &Config) -> Result<(Arc<RootKey>, Arc<KeyStore>), String> {
    crate::files::restrict_new_files();
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("data directory {}: {e}", config.data_dir.display()))?;
    let database_file = match &config.database {
        Database::Sqlite(path) => Some(path.as_path()),
        Database::Postgres(_) => None,
    };
    for file in crate::files::tighten_existing(&config.data_dir, database_file)
        .map_err(|e| format!("data directory {}: {e}", config.data_dir.display()))?
    {
        tracing::warn!(%file, "a file of Trent's was readable by group or others; made it owner-only");
    }
    crate::files::check_root_key(&config.root_key_file)?;
    let root_key = Arc::new(RootKey::load_or_create(&config.root_key_file).map_err(|e| e.to_string())?);
    let store: Arc<KeyStore> = match &config.database {
        Database::Sqlite(path) => {
            Arc::new(KeyStore::open_sqlite(path).map_err(|e| format!("database {}: {e}", path.display()))?)
        }
        Database::Postgres(url) => {
            Arc::new(KeyStore::connect_postgres(url).await.map_err(|e| format!("database: {e}"))?)
        }
    };
    let check = root_key.check_record().map_err(|e| e.to_string())?;
    let pinned = store.put_meta_if_absent(ROOT_KEY_CHECK, &check).await.map_err(|e| e.to_string())?;
    check_root_key_pin(&root_key, &pinned, config)?;
    Ok((root_key, store))
}

/// Attaches to the existing store and root key a configuration names, for a tool working beside the server (a
/// backup): nothing is created or migrated, no cluster is joined, and the root key must be the store's.
pub async fn attach_store(config: &Config) -> Result<(Arc<RootKey>, Arc<KeyStore>), String> {
    let root_key = existing_root_key(config)?;
    let store = Arc::new(match &config.database {
        Database::Sqlite(path) => {
            KeyStore::attach_sqlite(path).map_err(|e| format!("database {}: {e}", path.display()))?
        }
        Database::Postgres(url) => KeyStore::attach_postgres(url).await.map_err(|e| format!("database: {e}"))?,
    });
    let pinned = store.get_meta(ROOT_KEY_CHECK).await.map_err(|e| e.to_string())?.unwrap_or_default();
    check_root_key_pin(&root_key, &pinned, config)?;
    Ok((root_key, store))
}

/// Loads the root key file a configuration names, which must exist (a tool never makes one) and be owner-only.
pub fn existing_root_key(config: &Config) -> Result<Arc<RootKey>, String> {
    if !config.root_key_file.is_file() {
        return Err(format!("no root key file at {}", config.root_key_file.display()));
    }
    crate::files::check_root_key(&config.root_key_file)?;
    Ok(Arc::new(RootKey::load_or_create(&config.root_key_file).map_err(|e| e.to_string())?))
}

/// Refuses a root key other than the one the store was created with (its pinned check record).
fn check_root_key_pin(root_key: &RootKey, pinned: &[u8], config: &Config) -> Result<(), String> {
    if root_key.verifies_check_record(pinned) {
        return Ok(());
    }
    Err(format!(
        "the root key in {} is not the one this store was created with; refusing rather than produce data nobody can decrypt",
        config.root_key_file.display()
    ))
}

/// Prepares the data directory, root key, store, credentials and the service: everything but the socket.
pub async fn build_state(config: &Config) -> Result<AppState, String> {
    let (root_key, store) = open_store(config).await?;
    let clock = Arc::new(SystemClock::new());
    clock.advance(i64::try_from(config.dev_clock_offset_secs).unwrap_or(i64::MAX / 1000).saturating_mul(1000));
    let settings = trent_service::Settings {
        deletion_protection_by_default: config.deletion_protection_by_default,
        audit_retention_days: config
            .audit_retention_days
            .map(|days| i64::try_from(days).unwrap_or(i64::MAX / trent_audit::usage::DAY_MILLIS)),
        regions: config.regions.clone(),
        operator_account: config.operator_account.clone(),
    };
    let fixed = credentials::prepare(
        store.as_ref(),
        &root_key,
        clock.as_ref(),
        &config.credentials,
        config.dev,
        &config.data_dir,
    )
    .await?;
    let mut service = Service::new(Arc::clone(&store), Arc::clone(&root_key), clock.clone())
        .with_settings(settings)
        .with_fixed_credentials(fixed);
    // Every stored access key must open under this root key: found now rather than on the first request.
    let directory = service.identities().directory().await.map_err(|e| e.to_string())?;
    if let Some(unreadable) = directory.unreadable().first() {
        return Err(format!("stored access key {unreadable} does not open under this root key"));
    }
    if config.audit_calls {
        service = service.with_audit_writer(
            trent_service::audit_writer::AuditWriter::start(Arc::clone(&store), &config.data_dir, clock.now()).await?,
        );
    }
    let service = Arc::new(service);
    let deletion_worker = Arc::new(DeletionWorker::new(Arc::clone(&service), config.deletion_interval));
    let retirement_worker = Arc::new(RetirementWorker::new(Arc::clone(&service)));
    let retention_worker = Arc::new(RetentionWorker::new(Arc::clone(&service)));
    let material_worker = Arc::new(MaterialWorker::new(Arc::clone(&service)));
    Ok(AppState {
        service,
        clock,
        regions: config.regions.clone().map(Arc::new),
        dev: config.dev,
        console: config.console,
        deletion_worker,
        retirement_worker,
        retention_worker,
        material_worker,
        signing_keys: Arc::new(trent_sigv4::SigningKeyCache::new()),
    })
}

/// Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn serve(config: Config) -> Result<(), String> {
    let state = Arc::new(build_state(&config).await?);
    let store = std::sync::Arc::clone(state.service.store());
    let listener = listen_shared(config.listen).map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    // One more listener on the same port per further core, each served by a thread of its own with a single-threaded
    // runtime: the kernel spreads connections over them, the cores even out what it spread unevenly (`balance`), and a
    // request never changes thread.
    let core_count = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut extra_listeners = Vec::new();
    for _ in 1..core_count {
        extra_listeners.push(listen_shared(address).map_err(|e| format!("cannot listen on {address}: {e}"))?);
    }
    let (shutdown_sender, shutdown) = watch::channel(false);
    let workers = [
        tokio::spawn(trent_service::worker::run(Arc::clone(&state.deletion_worker), shutdown.clone())),
        tokio::spawn(trent_service::worker::run(Arc::clone(&state.retirement_worker), shutdown.clone())),
        tokio::spawn(trent_service::worker::run(Arc::clone(&state.retention_worker), shutdown.clone())),
        tokio::spawn(trent_service::worker::run(Arc::clone(&state.material_worker), shutdown.clone())),
    ];
    if !config.alarm_webhooks.is_empty() {
        tokio::spawn(crate::webhooks::deliver(state.service.alarms().subscribe(), config.alarm_webhooks.clone()));
    }
    let alibaba = match config.alibaba_listen {
        Some(address) => {
            let listener = TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
            let router = crate::alibaba::router(crate::alibaba::AlibabaState::new(Arc::clone(&state))?);
            Some((listener, Front::router(router)))
        }
        None => None,
    };
    let front = Front::aws(Arc::clone(&state));

    // Tests and scripts read this line to learn the port.
    println!(
        "Trent listening on http://{address}{}",
        if config.dev { " (dev mode: access key test, secret test, account 111122223333)" } else { "" }
    );
    tracing::info!(%address, dev = config.dev, data_dir = %config.data_dir.display(), "Trent started");
    // The Alibaba Cloud KMS API, on its own listener over the same state; it stops when the AWS listener has.
    let (alibaba_stop, alibaba_stopped) = watch::channel(false);
    let alibaba = match alibaba {
        Some((listener, front)) => {
            let alibaba_address = listener.local_addr().map_err(|e| e.to_string())?;
            println!("Trent Alibaba Cloud KMS API listening on http://{alibaba_address}");
            let mut stopped = alibaba_stopped;
            Some(tokio::spawn(run_http(
                listener,
                front,
                async move {
                    let _ = stopped.wait_for(|stopped| *stopped).await;
                },
                None,
            )))
        }
        None => None,
    };

    let mut seats = crate::balance::seats(core_count).into_iter();
    let first_seat = seats.next();
    let mut cores = CoreThreads::start(extra_listeners.into_iter().zip(seats).collect(), &front)?;
    let listener = TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    // A signal stops every core at once, so that none hands a connection to one that has stopped.
    let stop = async {
        shutdown_signal().await;
        cores.signal_stop();
    };
    let served = run_http(listener, front, stop, first_seat).await;
    cores.stop_serving().await;
    let _ = alibaba_stop.send(true);
    if let Some(alibaba) = alibaba {
        if let Ok(Err(error)) = alibaba.await {
            tracing::warn!(%error, "the Alibaba API listener stopped with an error");
        }
    }
    served?;

    tracing::info!("shutting down: in-flight requests have finished");
    let _ = shutdown_sender.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    if let Err(error) = store.leave().await {
        tracing::warn!(%error, "could not leave the shared store cleanly; other nodes wait out this node's lease");
    }
    cores.release().await;
    tracing::info!("Trent stopped");
    Ok(())
}

/// Serves `front`'s answers on `listener` over HTTP/1.1 with keep-alive, at most [`MAX_CONNECTIONS`] connections and a
/// header timeout, until `stop` completes; then stops accepting and gives in-flight requests [`SHUTDOWN_GRACE`] to
/// finish.
/// With a `seat`, it is one core of several serving one port, and keeps their loads even (see [`crate::balance`]).
pub async fn run_http(
    listener: TcpListener,
    front: Front,
    stop: impl std::future::Future<Output = ()>,
    mut seat: Option<Seat>,
) -> Result<(), String> {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).keep_alive(true);
    // Serves one connection; `held` (its permit, its count on this core) is released when it ends.
    let serve = |stream: tokio::net::TcpStream, peer: std::net::SocketAddr, held: (_, Option<Open>)| {
        let _ = stream.set_nodelay(true);
        let front = front.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let front = front.clone();
            async move { Ok::<_, std::convert::Infallible>(front.answer(request, peer).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(held);
        });
    };
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => Some(permit.map_err(|e| e.to_string())?),
            () = &mut stop => break,
        };
        let (stream, peer, open) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match &seat {
                    Some(seat) => match seat.place(stream, peer) {
                        Some((stream, open)) => (stream, peer, Some(open)),
                        None => continue,
                    },
                    None => (stream, peer, None),
                },
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some((stream, peer, open)) = handed(&mut seat) => (stream, peer, Some(open)),
            () = &mut stop => break,
        };
        serve(stream, peer, (permit, open));
    }

    drop(listener);
    // Connections another core handed over before this one stopped taking them are served like the rest.
    for (stream, peer, open) in seat.as_mut().map(Seat::stop_taking).unwrap_or_default() {
        serve(stream, peer, (Arc::clone(&permits).try_acquire_owned().ok(), Some(open)));
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish within the grace period");
    }
    Ok(())
}

/// The next connection another core handed to this one; never, without a seat.
async fn handed(seat: &mut Option<Seat>) -> Option<(tokio::net::TcpStream, std::net::SocketAddr, Open)> {
    match seat {
        Some(seat) => seat.handed().await,
        None => std::future::pending().await,
    }
}

/// The HTTP threads of the further cores: each serves its own listener on a single-threaded runtime, and keeps that
/// runtime (with whatever its requests spawned) until released, after the store has been left.
struct CoreThreads {
    stop: watch::Sender<bool>,
    served: Vec<tokio::sync::oneshot::Receiver<Result<(), String>>>,
    release: Vec<std::sync::mpsc::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl CoreThreads {
    fn start(listeners: Vec<(std::net::TcpListener, Seat)>, front: &Front) -> Result<Self, String> {
        let (stop, stopped) = watch::channel(false);
        let mut cores = CoreThreads { stop, served: Vec::new(), release: Vec::new(), threads: Vec::new() };
        for (listener, seat) in listeners {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            let (front, mut stopped) = (front.clone(), stopped.clone());
            let (served, served_receiver) = tokio::sync::oneshot::channel();
            let (release, released) = std::sync::mpsc::channel::<()>();
            cores.served.push(served_receiver);
            cores.release.push(release);
            cores.threads.push(std::thread::spawn(move || {
                let outcome = runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).map_err(|e| e.to_string())?;
                    let stop = async move {
                        let _ = stopped.wait_for(|stopped| *stopped).await;
                    };
                    run_http(listener, front, stop, Some(seat)).await
                });
                let _ = served.send(outcome);
                // Returns once released (the sender dropped).
                let _ = released.recv();
                drop(runtime);
            }));
        }
        Ok(cores)
    }

    /// Tells every core to stop accepting.
    fn signal_stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops accepting on every core and waits until their in-flight requests have finished.
    async fn stop_serving(&mut self) {
        self.signal_stop();
        for served in self.served.drain(..) {
            if let Ok(Err(error)) = served.await {
                tracing::warn!(%error, "an HTTP thread stopped with an error");
            }
        }
    }

    /// Lets the threads end, dropping their runtimes.
    async fn release(self) {
        drop(self.release);
        let threads = self.threads;
        let _ = tokio::task::spawn_blocking(move || threads.into_iter().for_each(|thread| drop(thread.join()))).await;
    }
}

/// A listening socket on `address` that other sockets of this process may share (`SO_REUSEPORT`).
fn listen_shared(address: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if address.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(address)?;
    socket.listen(1024)?.into_std()
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
