//! The audit writer: records the events of calls that do not record their own (reads, cryptography, refusals).
//!
//! A call writes its journal entry itself (its fields, compact, or an owned event's JSON line: [`trent_audit::journal`])
//! into the batch of events waiting for this node's audit journal (`DATA_DIR/audit-journal-<generation>.log`), with
//! the usage evidence its fields give, taken while they are at hand rather than read back later. The call then yields
//! once, so that the other calls of the same moment add theirs, and writes every waiting entry with one `write` unless
//! another call's write took its entry already (group commit with no hand-off: no task to wake, no thread to cross). A
//! call that finds another thread writing yields again, a few times, before it waits for it. It is answered once its
//! entry is in the journal: durable against `kill -9` and a clean shutdown.
//! Each write's batch joins the batches waiting for the importer, which moves their entries as they are into the
//! store's hash-chained segments (a call's compact fields are rendered into its CloudTrail record only when read back),
//! with their usage evidence, recording in the same transaction how far it got, so that a restart replays exactly
//! what was not yet imported (reading the evidence back from the entries). Journal files rotate; one is deleted once
//! fully imported. Queries of the trail first wait for the importer to catch up ([`AuditWriter::flush`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use trent_audit::call_record::CallRecord;
use trent_audit::journal::{self, Entry};
use trent_audit::{AuditEvent, EventBatch};
use trent_store::KeyStore;

use crate::error::ServiceError;

/// A journal file is rotated once it holds this many bytes.
const ROTATE_BYTES: u64 = 64 * 1024 * 1024;
/// Events imported into the store in one transaction at most, when recovering a journal.
const IMPORT_CHUNK: usize = 16_384;
/// Journal bytes gathered into one import transaction at most: about 20,000 calls' compact entries.
const IMPORT_BYTES: usize = 8 * 1024 * 1024;
/// How long the importer gathers journaled entries before a transaction, unless a query is waiting: few large
/// transactions cost the store far less than many small ones (commits, and index pages rewritten per commit).
const IMPORT_GATHER: Duration = Duration::from_millis(200);

/// The store's bookkeeping value holding when calls began to be recorded (ms since the epoch): usage evidence, and
/// GetKeyLastUsage's TrackingStartDate, start there.
pub const TRACKING_START_META: &str = "usage_tracking_start";

/// A position in the journal: generation, then byte offset within that generation's file.
type Position = (u64, u64);

/// Emptied import batches kept for the next ones: a batch is megabytes, which fresh memory would cost in page faults
/// each time. One gathering fills one or two.
const SPARE_BATCHES: usize = 2;
/// A batch whose entries' room grew past this (a burst's, or a single write larger than [`IMPORT_BYTES`]) is freed
/// once emptied rather than kept: what is kept stays bounded whatever the bursts were.
const KEPT_BATCH_BYTES: usize = 2 * IMPORT_BYTES;

/// Journaled events on their way from the journal to the store, with their usage evidence: the entries exactly as
/// written (the batches of several writes one after the other), and where the last one ends.
struct Written {
    batch: EventBatch,
    end: Position,
}

/// Events added by calls and not yet written, in the order the calls added them.
#[derive(Default)]
struct Pending {
    batch: EventBatch,
    /// The number of the last event added (events are numbered from 1).
    last: u64,
}

/// The journal and what has been written to it but not yet taken by the importer.
struct Journaled {
    journal: Journal,
    /// The number of the last entry whose write is over (written, or failed).
    decided: u64,
    /// The entries of failed writes (first and last number, and the error); the latest [`FAILURES_KEPT`].
    failures: std::collections::VecDeque<(u64, u64, String)>,
    /// Events not yet taken, grouped by import transaction (at most [`IMPORT_BYTES`] each, one generation each).
    waiting: Vec<Written>,
    /// Where the last entry written ends.
    end: Position,
    /// The batch the last write took from the calls, emptied: the next write's, so that no write allocates one.
    writing: EventBatch,
    /// Emptied batches the importer gave back, for the next groups (at most [`SPARE_BATCHES`]).
    spare: Vec<EventBatch>,
}

/// Times a call yields to another thread's write of the journal before it waits for the write instead: one or two
/// suffice for a write of a moment's entries.
const WRITER_YIELDS: usize = 8;

/// Failed writes remembered, so each of their calls learns its entry was not kept: many more than calls can be
/// between adding an entry and learning its fate (one yield).
const FAILURES_KEPT: usize = 1024;

/// A handle on the writer; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    pending: Arc<Mutex<Pending>>,
    journaled: Arc<Mutex<Journaled>>,
    /// Wakes the importer when entries wait and it is idle.
    arrived: Arc<Notify>,
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

/// Adds the events of journal entries to `batch`, with their usage evidence: a call's compact entry is stored as it
/// is (its record is rendered when read), a record's line is parsed. An entry that cannot be read is logged and
/// skipped.
fn add_entries<'a>(batch: &mut EventBatch, entries: impl IntoIterator<Item = Entry<'a>>) {
    for entry in entries {
        if let Err(error) = batch.push_entry(entry) {
            tracing::error!(%error, "unreadable audit journal entry skipped");
        }
    }
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
            let pending = journal::entries(&bytes, start);
            if !pending.is_empty() {
                tracing::info!(events = pending.len(), journal = %path.display(), "importing audit events journaled before the last stop");
            }
            let read_to = pending.last().map_or(start, |(_, end)| usize::try_from(*end).unwrap_or(usize::MAX));
            for chunk in pending.chunks(IMPORT_CHUNK) {
                let end = chunk.last().map_or(0, |(_, offset)| *offset);
                let mut batch = EventBatch::default();
                add_entries(&mut batch, chunk.iter().map(|(entry, _)| *entry));
                store
                    .append_events_marked(Arc::new(batch), marker, &marker_value((generation, end)))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if read_to < bytes.len() {
                // A write cut by a crash, never acknowledged; or damage that hid entries after it. The file is kept,
                // under a name no start reads again, for someone to look at.
                let kept = path.with_extension("unread");
                tracing::warn!(unread_bytes = bytes.len() - read_to, journal = %path.display(), kept = %kept.display(), "audit journal bytes after the last complete entry were not imported; the file is kept");
                std::fs::rename(&path, &kept).map_err(|e| format!("{}: {e}", path.display()))?;
                continue;
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
        let (imported_sender, imported) = watch::channel((generation, 0));
        let journal = Journal::open(dir.to_path_buf(), generation).map_err(|e| e.to_string())?;
        let journaled = Journaled {
            journal,
            decided: 0,
            failures: Default::default(),
            waiting: Vec::new(),
            end: (generation, 0),
            writing: EventBatch::default(),
            spare: Vec::new(),
        };
        let journaled = Arc::new(Mutex::new(journaled));
        let (arrived, hurry) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let importer = Importer {
            store,
            dir: dir.to_path_buf(),
            marker,
            imported: imported_sender,
            journaled: Arc::clone(&journaled),
        };
        tokio::spawn(importer.run(Arc::clone(&arrived), Arc::clone(&hurry)));
        Ok(Self { pending: Arc::default(), journaled, arrived, imported, hurry })
    }

    /// Records `event`; returns once it is in the journal. The event is serialised here, on the caller's thread.
    pub async fn record(&self, event: AuditEvent) -> Result<(), ServiceError> {
        let mut batch = EventBatch::of(std::slice::from_ref(&event))
            .map_err(|error| ServiceError::Internal(format!("audit record: {error}")))?;
        let number = self.add(|pending| pending.append(&mut batch));
        self.journaled(number).await
    }

    /// Records the API call `record` as its compact journal entry ([`trent_audit::journal::write_call`]) with its usage
    /// evidence, on the caller's thread; the future returned (which does not hold `record`) is ready once the entry is
    /// in the journal.
    pub fn record_call(
        &self,
        record: &CallRecord<'_>,
    ) -> impl std::future::Future<Output = Result<(), ServiceError>> + '_ {
        let number = self.add(|pending| pending.push_call_record(record));
        self.journaled(number)
    }

    /// Adds an event to the pending batch with `push`; returns its number. A call's entry and evidence are written
    /// straight into the batch under its lock (about half a microsecond): writing them apart first would copy the
    /// entry and allocate the evidence's strings for every call, to be merged and freed under the same lock.
    fn add(&self, push: impl FnOnce(&mut EventBatch)) -> u64 {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        push(&mut pending.batch);
        pending.last += 1;
        pending.last
    }

    /// Returns once event `number` is in the journal.
    async fn journaled(&self, number: u64) -> Result<(), ServiceError> {
        // The other calls of this moment add their entries meanwhile: one write then carries them all.
        tokio::task::yield_now().await;
        for _ in 0..WRITER_YIELDS {
            match self.try_write_through(number) {
                Some(written) => return written,
                // Another thread is writing, perhaps this entry too: this one serves its other calls meanwhile instead
                // of sleeping on the lock.
                None => tokio::task::yield_now().await,
            }
        }
        // A write that long (a slow disk, a journal being rotated) is waited for rather than polled.
        self.write_through(self.journaled.lock().unwrap_or_else(PoisonError::into_inner), number)
    }

    /// [`AuditWriter::write_through`], unless another thread is writing the journal (`None`).
    fn try_write_through(&self, number: u64) -> Option<Result<(), ServiceError>> {
        match self.journaled.try_lock() {
            Ok(journaled) => Some(self.write_through(journaled, number)),
            Err(TryLockError::Poisoned(poisoned)) => Some(self.write_through(poisoned.into_inner(), number)),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Returns once event `number` is written: by an earlier call's write, or by writing every waiting event now.
    fn write_through(&self, mut journaled: MutexGuard<'_, Journaled>, number: u64) -> Result<(), ServiceError> {
        let journaled = &mut *journaled;
        if journaled.decided < number {
            let last = {
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                std::mem::swap(&mut pending.batch, &mut journaled.writing);
                pending.last
            };
            let first = journaled.decided + 1;
            journaled.decided = last;
            match journaled.journal.append(&journaled.writing.entries) {
                Ok(end) => {
                    journaled.end = end;
                    let bytes = journaled.writing.entries.len();
                    let joins_last = journaled
                        .waiting
                        .last()
                        .is_some_and(|group| group.end.0 == end.0 && group.batch.entries.len() + bytes <= IMPORT_BYTES);
                    if !joins_last {
                        let batch = journaled.spare.pop().unwrap_or_default();
                        journaled.waiting.push(Written { batch, end });
                    }
                    if let Some(group) = journaled.waiting.last_mut() {
                        group.batch.append(&mut journaled.writing);
                        group.end = end;
                    }
                    if journaled.writing.entries.capacity() > KEPT_BATCH_BYTES {
                        journaled.writing = EventBatch::default();
                    }
                    self.arrived.notify_one();
                }
                Err(error) => {
                    journaled.writing.clear();
                    tracing::error!(%error, events = last + 1 - first, "audit events could not be journaled; their calls fail");
                    if journaled.failures.len() == FAILURES_KEPT {
                        journaled.failures.pop_front();
                    }
                    journaled.failures.push_back((first, last, error.to_string()));
                }
            }
        }
        match journaled.failures.iter().find(|(first, last, _)| (*first..=*last).contains(&number)) {
            Some((_, _, error)) => Err(ServiceError::Internal(format!("audit journal: {error}"))),
            None => Ok(()),
        }
    }

    /// Returns once everything journaled before the call is in the store (bounded: 10 s).
    pub async fn flush(&self) {
        let target = self.journaled.lock().unwrap_or_else(PoisonError::into_inner).end;
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
    /// Where the last complete write ends.
    offset: u64,
    /// A failed write left bytes past `offset` that could not be cut off: nothing more goes into this file.
    torn: bool,
}

impl Journal {
    fn open(dir: PathBuf, generation: u64) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(journal_path(&dir, generation))?;
        Ok(Self { dir, generation, file, offset: 0, torn: false })
    }

    fn append(&mut self, bytes: &[u8]) -> std::io::Result<Position> {
        if self.torn {
            // Entries after torn bytes would be read as part of them: they go to a new generation, or nowhere.
            *self = Journal::open(self.dir.clone(), self.generation + 1)?;
        }
        if let Err(error) = self.file.write_all(bytes) {
            // Part of the entries may be in the file: cut off, so that the next entry starts where a reader expects
            // one.
            self.torn = self.file.set_len(self.offset).is_err();
            return Err(error);
        }
        self.offset += bytes.len() as u64;
        let end = (self.generation, self.offset);
        if self.offset >= ROTATE_BYTES {
            // The entries are written whether or not the next file opens: failing that, this one goes on growing.
            match Journal::open(self.dir.clone(), self.generation + 1) {
                Ok(next) => *self = next,
                Err(error) => tracing::warn!(%error, "the next audit journal could not be opened; writing on"),
            }
        }
        Ok(end)
    }
}

/// Moves journaled entries into the store, with their usage evidence.
struct Importer {
    store: Arc<KeyStore>,
    dir: PathBuf,
    marker: String,
    imported: watch::Sender<Position>,
    /// The journal, to which it gives back the batches it imported, emptied.
    journaled: Arc<Mutex<Journaled>>,
}

impl Importer {
    async fn run(mut self, arrived: Arc<Notify>, hurry: Arc<Notify>) {
        loop {
            arrived.notified().await;
            // Gather what arrives for a while, unless a query is waiting (its `flush` wakes us).
            tokio::select! {
                () = tokio::time::sleep(IMPORT_GATHER) => {}
                () = hurry.notified() => {}
            }
            let waiting = std::mem::take(&mut self.journaled.lock().unwrap_or_else(PoisonError::into_inner).waiting);
            for written in waiting {
                self.import(written).await;
            }
        }
    }

    /// Imports one group of events, retrying until the store takes them: journaled events are never dropped (they
    /// are safe in the journal meanwhile).
    async fn import(&mut self, written: Written) {
        let Written { batch, end } = written;
        let batch = Arc::new(batch);
        let mut pause = Duration::from_millis(100);
        while let Err(error) =
            self.store.append_events_marked(Arc::clone(&batch), &self.marker, &marker_value(end)).await
        {
            tracing::warn!(%error, events = batch.events.len(), "audit import failed; retrying");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
        // The batch goes back to be filled again, unless it grew past what is kept. One not kept is freed after the
        // lock is let go (locals are dropped in reverse order), not while calls wait for it.
        if let Ok(mut batch) = Arc::try_unwrap(batch) {
            batch.clear();
            let mut journaled = self.journaled.lock().unwrap_or_else(PoisonError::into_inner);
            if journaled.spare.len() < SPARE_BATCHES && batch.entries.capacity() <= KEPT_BATCH_BYTES {
                journaled.spare.push(batch);
            }
        }
        let previous = *self.imported.borrow();
        self.imported.send_replace(end);
        // Files of earlier generations are now fully imported.
        for generation in previous.0..end.0 {
            let _ = std::fs::remove_file(journal_path(&self.dir, generation));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_audit::call_record::{CallRecord, Caller};
    use trent_audit::EventType;
    use trent_domain::{AccountId, Region, Timestamp};
    use trent_store::KeyStore;

    const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /// Gives `use_call` a GenerateDataKey call at `i`, as the AWS edge records it.
    fn with_call<R>(i: i64, use_call: impl FnOnce(&CallRecord<'_>) -> R) -> R {
        let key_id: &serde_json::value::RawValue =
            serde_json::from_str(r#""1234abcd-12ab-34cd-56ef-1234567890ab""#).unwrap();
        use_call(&CallRecord {
            event_name: "GenerateDataKey",
            event_source: trent_audit::EVENT_SOURCE,
            at: Timestamp(i),
            account: "111122223333",
            region: "us-east-1",
            source_ip: Some("127.0.0.1".parse().unwrap()),
            user_agent: None,
            caller: Caller::Root { account: "111122223333", access_key_id: "test" },
            parameters: &[("keyId", key_id)],
            response_key_id: Some(KEY_ARN),
            error: None,
            request_id: "req",
            read_only: true,
            key_arn: Some(KEY_ARN),
            event_id: None,
        })
    }

    /// A GenerateDataKey call's compact journal entry.
    fn call_entry(i: i64, entry: &mut Vec<u8>) {
        with_call(i, |record| journal::write_call(record, entry));
    }

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
                // Owned events' lines and calls' compact entries, interleaved.
                tokio::spawn(async move {
                    match i % 2 {
                        0 => writer.record(event(i)).await,
                        _ => with_call(i, |record| writer.record_call(record)).await,
                    }
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        writer.flush().await;
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.events.len(), 200, "every acknowledged event is stored");
        assert_eq!(chain.verify(), Ok(200));
        let usage = store.key_usage(KEY_ARN).await.unwrap();
        let calls: i64 = usage.counts.iter().map(|(_, count)| count.calls).sum();
        assert_eq!(calls, 100, "each call is evidence of its key's use: {usage:?}");
        assert_eq!(usage.last_use.map(|last| last.millis), Some(199));
    }

    #[tokio::test]
    async fn a_call_whose_entry_cannot_be_written_fails_and_leaves_no_event_or_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<KeyStore> = Arc::new(KeyStore::open_sqlite(&dir.path().join("trent.db")).unwrap());
        let writer = AuditWriter::start(Arc::clone(&store), dir.path(), Timestamp(0)).await.unwrap();
        with_call(1, |record| writer.record_call(record)).await.unwrap();
        // The journal's file, opened for reading only: the next write fails, and the file cannot be cut back either.
        let generation = {
            let mut journaled = writer.journaled.lock().unwrap();
            journaled.journal.file =
                std::fs::File::open(journal_path(dir.path(), journaled.journal.generation)).unwrap();
            journaled.journal.generation
        };
        assert!(
            with_call(2, |record| writer.record_call(record)).await.is_err(),
            "an entry not journaled fails its call"
        );
        with_call(3, |record| writer.record_call(record)).await.unwrap();
        assert!(journal_path(dir.path(), generation + 1).exists(), "the next write goes to a new generation");
        with_call(4, |record| writer.record_call(record)).await.unwrap();
        writer.flush().await;
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.events.iter().map(|event| event.millis).collect::<Vec<_>>(), [1, 3, 4]);
        let usage = store.key_usage(KEY_ARN).await.unwrap();
        assert_eq!(usage.counts.iter().map(|(_, count)| count.calls).sum::<i64>(), 3, "{usage:?}");
    }

    #[tokio::test]
    async fn a_journal_left_by_a_crash_is_imported_once_at_start_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<KeyStore> = Arc::new(KeyStore::open_sqlite(&dir.path().join("trent.db")).unwrap());
        let marker = format!("audit_journal:{}", node_id(dir.path()).unwrap());
        // Generation 3: two events, the first already imported (marker just past it), a call's compact entry, then a
        // torn one.
        let mut bytes = Vec::new();
        event(1).write_journal_line(&mut bytes);
        let first_end = bytes.len();
        event(2).write_journal_line(&mut bytes);
        call_entry(3, &mut bytes);
        let mut torn = Vec::new();
        call_entry(4, &mut torn);
        bytes.extend_from_slice(&torn[..torn.len() - 1]);
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
            3,
            "the imported event is not repeated, the pending ones are imported, the torn one ignored"
        );
        assert_eq!(chain.verify(), Ok(3));
        assert!(chain.events[2].record.contains(r#""eventName":"GenerateDataKey""#), "the call is rendered");
        assert!(!journal_path(dir.path(), 3).exists());
        let kept = std::fs::read(dir.path().join("audit-journal-3.unread")).unwrap();
        assert_eq!(kept, bytes, "a journal with bytes left unread is kept, not deleted");
        writer.record(event(4)).await.unwrap();
        writer.flush().await;
        assert_eq!(store.audit_chain().await.unwrap().events.len(), 4);
        assert!(journal_path(dir.path(), 4).exists(), "the writer continues in a new generation");
    }
}
