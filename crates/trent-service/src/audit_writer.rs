//! The audit writer: records the events of calls that do not record their own (reads, cryptography, refusals).
//!
//! A call's event is serialised once, by the call itself, into its journal line; the call is answered once that line
//! is in this node's audit journal (`DATA_DIR/audit-journal-<generation>.log`, one `write` per batch of concurrent
//! calls: durable against `kill -9` and a clean shutdown). An importer moves the
//! journal into the store's hash-chained table in batches, recording in the same transaction how far it got, so that a
//! restart replays exactly what was not yet imported. Journal files rotate; one is deleted once fully imported.
//! Queries of the trail first wait for the importer to catch up ([`AuditWriter::flush`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Notify};
use trent_audit::{AuditEvent, EventBatch};
use trent_store::KeyStore;

use crate::error::ServiceError;

/// Events written to the journal in one `write` at most.
const MAX_BATCH: usize = 4096;
/// Events waiting at most; callers beyond it wait for room (back-pressure instead of unbounded memory).
const QUEUE: usize = 65_536;
/// A journal file is rotated once it holds this many bytes.
const ROTATE_BYTES: u64 = 64 * 1024 * 1024;
/// Events imported into the store in one transaction at most, when recovering a journal.
const IMPORT_CHUNK: usize = 16_384;
/// Journal bytes gathered into one import transaction at most (about as many events as [`IMPORT_CHUNK`]).
const IMPORT_BYTES: usize = 16 * 1024 * 1024;
/// How long the importer gathers journaled batches before a transaction, unless a query is waiting: few large
/// transactions cost the store far less than many small ones (commits, and index pages rewritten per commit).
const IMPORT_GATHER: Duration = Duration::from_millis(200);

/// The store's bookkeeping value holding when calls began to be recorded (ms since the epoch): usage evidence, and
/// GetKeyLastUsage's TrackingStartDate, start there.
pub const TRACKING_START_META: &str = "usage_tracking_start";

type Waiter = oneshot::Sender<Result<(), String>>;

/// A position in the journal: generation, then byte offset within that generation's file.
type Position = (u64, u64);

/// Journal lines on their way from the journal to the store, exactly as written.
struct Written {
    lines: Vec<u8>,
    end: Position,
}

/// A handle on the writer; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<(Vec<u8>, Waiter)>,
    written: watch::Receiver<Position>,
    imported: watch::Receiver<Position>,
    /// Tells the importer that a query waits for it: import now instead of gathering.
    hurry: Arc<Notify>,
}

fn journal_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("audit-journal-{generation}.log"))
}

fn journals(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let generation = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("audit-journal-"))
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(generation) = generation {
            found.push((generation, path));
        }
    }
    found.sort();
    Ok(found)
}

/// This node's identity for its journal marker, kept in `DATA_DIR/node-id`.
fn node_id(dir: &Path) -> Result<String, String> {
    let path = dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            std::fs::write(&path, &id).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(id)
        }
    }
}

/// The complete lines of `bytes` from `start` (without their newlines), each with the offset just past it. A torn
/// last line (a write cut by a crash) was never acknowledged, so it is left out.
fn decode(bytes: &[u8], start: usize) -> Vec<(&[u8], u64)> {
    let mut lines = Vec::new();
    let mut offset = start;
    while let Some(rest) = bytes.get(offset..) {
        let Some(end) = memchr::memchr(b'\n', rest) else {
            break;
        };
        lines.push((rest.get(..end).unwrap_or_default(), (offset + end + 1) as u64));
        offset += end + 1;
    }
    lines
}

/// The events of journal lines, with their usage evidence; a line that cannot be read is logged and skipped.
fn batch_of<'a>(lines: impl IntoIterator<Item = &'a [u8]>, bytes: usize) -> EventBatch {
    let mut batch = EventBatch { lines: String::with_capacity(bytes), ..EventBatch::default() };
    for line in lines {
        let pushed = std::str::from_utf8(line)
            .map_err(|e| e.to_string())
            .and_then(|line| batch.push_line(line).map_err(|e| e.to_string()));
        if let Err(error) = pushed {
            tracing::error!(%error, "unreadable audit journal line skipped");
        }
    }
    batch
}

fn marker_value(position: Position) -> Vec<u8> {
    format!("{}:{}", position.0, position.1).into_bytes()
}

fn parse_marker(value: Option<Vec<u8>>) -> Position {
    value
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.split_once(':').and_then(|(g, o)| Some((g.parse().ok()?, o.parse().ok()?))))
        .unwrap_or((0, 0))
}

/// Imports what earlier runs journaled but did not import, then removes those journals. Returns the next generation.
async fn recover(store: &KeyStore, dir: &Path, marker: &str) -> Result<u64, String> {
    let (marked_generation, marked_offset) = parse_marker(store.get_meta(marker).await.map_err(|e| e.to_string())?);
    let mut next = marked_generation + 1;
    for (generation, path) in journals(dir).map_err(|e| e.to_string())? {
        next = next.max(generation + 1);
        if generation >= marked_generation {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let start = if generation == marked_generation {
                usize::try_from(marked_offset).unwrap_or(usize::MAX).min(bytes.len())
            } else {
                0
            };
            let pending = decode(&bytes, start);
            if !pending.is_empty() {
                tracing::info!(events = pending.len(), journal = %path.display(), "importing audit events journaled before the last stop");
            }
            for chunk in pending.chunks(IMPORT_CHUNK) {
                let end = chunk.last().map_or(0, |(_, offset)| *offset);
                let batch =
                    batch_of(chunk.iter().map(|(line, _)| *line), chunk.iter().map(|(line, _)| line.len() + 1).sum());
                store
                    .append_events_marked(Arc::new(batch), marker, &marker_value((generation, end)))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(next)
}

impl AuditWriter {
    /// Recovers the journal in `dir` into `store`, then starts the writer and the importer. `now` is recorded as the
    /// start of usage tracking unless an earlier start is.
    pub async fn start(store: Arc<KeyStore>, dir: &Path, now: trent_domain::Timestamp) -> Result<Self, String> {
        store.put_meta_if_absent(TRACKING_START_META, now.0.to_string().as_bytes()).await.map_err(|e| e.to_string())?;
        let marker = format!("audit_journal:{}", node_id(dir)?);
        let generation = recover(store.as_ref(), dir, &marker).await?;
        let (queue, incoming) = mpsc::channel::<(Vec<u8>, Waiter)>(QUEUE);
        let (written_sender, written) = watch::channel((generation, 0));
        let (imported_sender, imported) = watch::channel((generation, 0));
        let (to_import, import_queue) = mpsc::unbounded_channel();
        let journal = Journal::open(dir.to_path_buf(), generation).map_err(|e| e.to_string())?;
        tokio::spawn(write_journal(journal, incoming, to_import, written_sender));
        let hurry = Arc::new(Notify::new());
        tokio::spawn(import(store, dir.to_path_buf(), marker, import_queue, imported_sender, Arc::clone(&hurry)));
        Ok(Self { queue, written, imported, hurry })
    }

    /// Records `event`; returns once it is in the journal. The event is serialised here, on the caller's thread.
    pub async fn record(&self, event: AuditEvent) -> Result<(), ServiceError> {
        let line = event.journal_line().map_err(|e| ServiceError::Internal(format!("audit record: {e}")))?;
        drop(event);
        self.record_line(line).await
    }

    /// Records a journal line written by the caller (`millis TAB record NEWLINE`, as
    /// [`trent_audit::call_record::CallRecord::journal_line`] writes it); returns once it is in the journal.
    pub async fn record_line(&self, line: Vec<u8>) -> Result<(), ServiceError> {
        let (done, journaled) = oneshot::channel();
        self.queue
            .send((line, done))
            .await
            .map_err(|_| ServiceError::Internal("the audit writer has stopped".to_owned()))?;
        match journaled.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(ServiceError::Internal(format!("audit journal: {error}"))),
            Err(_) => Err(ServiceError::Internal("the audit writer has stopped".to_owned())),
        }
    }

    /// Returns once everything journaled before the call is in the store (bounded: 10 s).
    pub async fn flush(&self) {
        let target = *self.written.borrow();
        let mut imported = self.imported.clone();
        if *imported.borrow() < target {
            self.hurry.notify_one();
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), imported.wait_for(|position| *position >= target)).await;
    }
}

/// The journal file being written.
struct Journal {
    dir: PathBuf,
    generation: u64,
    file: std::fs::File,
    offset: u64,
}

impl Journal {
    fn open(dir: PathBuf, generation: u64) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(journal_path(&dir, generation))?;
        Ok(Self { dir, generation, file, offset: 0 })
    }

    fn append(&mut self, bytes: &[u8]) -> std::io::Result<Position> {
        self.file.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        let end = (self.generation, self.offset);
        if self.offset >= ROTATE_BYTES {
            *self = Journal::open(self.dir.clone(), self.generation + 1)?;
        }
        Ok(end)
    }
}

async fn write_journal(
    mut journal: Journal,
    mut incoming: mpsc::Receiver<(Vec<u8>, Waiter)>,
    to_import: mpsc::UnboundedSender<Written>,
    written: watch::Sender<Position>,
) {
    while let Some((first, waiter)) = incoming.recv().await {
        // Room for every line already waiting, so the batch is not copied as it grows.
        let mut lines = Vec::with_capacity(first.len() * (incoming.len() + 1).min(MAX_BATCH));
        lines.extend_from_slice(&first);
        drop(first);
        let mut waiters = vec![waiter];
        while waiters.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok((line, waiter)) => {
                    lines.extend_from_slice(&line);
                    waiters.push(waiter);
                }
                Err(_) => break,
            }
        }
        match journal.append(&lines) {
            Ok(end) => {
                written.send_replace(end);
                for waiter in waiters {
                    let _ = waiter.send(Ok(()));
                }
                let _ = to_import.send(Written { lines, end });
            }
            Err(error) => {
                let error = error.to_string();
                tracing::error!(%error, "audit events could not be journaled; their calls fail");
                for waiter in waiters {
                    let _ = waiter.send(Err(error.clone()));
                }
            }
        }
    }
}

async fn import(
    store: Arc<KeyStore>,
    dir: PathBuf,
    marker: String,
    mut queue: mpsc::UnboundedReceiver<Written>,
    imported: watch::Sender<Position>,
    hurry: Arc<Notify>,
) {
    while let Some(first) = queue.recv().await {
        // Gather what arrives for a while, unless a query is waiting (its `flush` wakes us).
        tokio::select! {
            () = tokio::time::sleep(IMPORT_GATHER) => {}
            () = hurry.notified() => {}
        }
        let mut end = first.end;
        let mut bytes = first.lines.len();
        let mut written = vec![first.lines];
        while bytes < IMPORT_BYTES {
            match queue.try_recv() {
                Ok(next) => {
                    end = next.end;
                    bytes += next.lines.len();
                    written.push(next.lines);
                }
                Err(_) => break,
            }
        }
        let batch = Arc::new(batch_of(written.iter().flat_map(|lines| decode(lines, 0)).map(|(line, _)| line), bytes));
        // Never drop journaled events: retry until the store takes them (they are safe in the journal meanwhile).
        let mut pause = Duration::from_millis(100);
        while let Err(error) = store.append_events_marked(Arc::clone(&batch), &marker, &marker_value(end)).await {
            tracing::warn!(%error, events = batch.events.len(), "audit import failed; retrying");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
        let previous = *imported.borrow();
        imported.send_replace(end);
        // Files of earlier generations are now fully imported.
        for generation in previous.0..end.0 {
            let _ = std::fs::remove_file(journal_path(&dir, generation));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_audit::EventType;
    use trent_domain::{AccountId, Region, Timestamp};
    use trent_store::KeyStore;

    fn event(i: i64) -> AuditEvent {
        AuditEvent::new(
            "Encrypt",
            EventType::AwsApiCall,
            Timestamp(i),
            &AccountId::parse("111122223333").unwrap(),
            &Region::parse("us-east-1").unwrap(),
            AuditEvent::service_identity(),
            None,
        )
    }

    #[tokio::test]
    async fn concurrent_calls_are_journaled_then_imported_and_chained() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<KeyStore> = Arc::new(KeyStore::open_sqlite(&dir.path().join("trent.db")).unwrap());
        let writer = AuditWriter::start(Arc::clone(&store), dir.path(), Timestamp(0)).await.unwrap();
        let calls: Vec<_> = (0..200)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.record(event(i)).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        writer.flush().await;
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.events.len(), 200, "every acknowledged event is stored");
        assert_eq!(chain.verify(), Ok(200));
    }

    #[tokio::test]
    async fn a_journal_left_by_a_crash_is_imported_once_at_start_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<KeyStore> = Arc::new(KeyStore::open_sqlite(&dir.path().join("trent.db")).unwrap());
        let marker = format!("audit_journal:{}", node_id(dir.path()).unwrap());
        // Generation 3: two events, the first already imported (marker just past it), then a torn line.
        let mut bytes = event(1).journal_line().unwrap();
        let first_end = bytes.len();
        bytes.extend(event(2).journal_line().unwrap());
        bytes.extend_from_slice(b"17\t{\"eventVersion\"");
        std::fs::write(journal_path(dir.path(), 3), &bytes).unwrap();
        store
            .append_events_marked(
                Arc::new(EventBatch::of(&[event(1)]).unwrap()),
                &marker,
                format!("3:{first_end}").as_bytes(),
            )
            .await
            .unwrap();

        let writer = AuditWriter::start(Arc::clone(&store), dir.path(), Timestamp(0)).await.unwrap();
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(
            chain.events.len(),
            2,
            "the imported event is not repeated, the pending one is imported, the torn one ignored"
        );
        assert_eq!(chain.verify(), Ok(2));
        assert!(!journal_path(dir.path(), 3).exists());
        writer.record(event(3)).await.unwrap();
        writer.flush().await;
        assert_eq!(store.audit_chain().await.unwrap().events.len(), 3);
        assert!(journal_path(dir.path(), 4).exists(), "the writer continues in a new generation");
    }
}
