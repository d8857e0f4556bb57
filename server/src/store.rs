//! Persistence: a snapshot of the world and journals of the commands
//! applied since, so that a killed server loses nothing it answered.
//!
//! On disk, for `--state FILE`:
//! - `FILE`: `{"generation": g, "world": ...}`, the world after all
//!   journals before generation `g`;
//! - `FILE.journal-<g>`: the commands applied after snapshot `g` was taken,
//!   one JSON line each, written before the answer is sent.
//!
//! A keeper thread holds a replica of the world, built by applying each
//! command once its line is written. A compaction only opens the next
//! journal under the server's lock and tells the keeper, which serializes
//! its replica as it stands at that point of the journal, off the lock;
//! a writer thread then writes and renames the snapshot, and only then
//! deletes the older journals. Whenever the process dies, the snapshot on
//! disk and the journals from its generation on hold every answered change
//! exactly once.
//!
//! A journal line that cannot be written (a full or read-only disk, a file
//! size limit, an I/O error) is cut back off the journal, and the server
//! takes its world back from the replica, which never saw the command: the
//! failed call changes nothing. Every later change tries the journal again.
//!
//! Only a journal's last line may be torn (a kill during its write); any
//! other bad line is corruption, and the store refuses to open rather than
//! serve a world that differs from the one it answered from.

use std::fmt::Display;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;

use ecs_image_copy::{Command, World};

/// Commands journalled before a snapshot, at the least. A snapshot costs in
/// proportion to the world, so the journal may also grow as large as the
/// last snapshot, in bytes, before the next: compaction then costs O(1)
/// per command, amortised, whatever the traffic. (Counting against the
/// world's current size, as before, never compacted under create-only
/// traffic: each create grows the world as much as the journal.)
pub const COMPACT_AFTER: usize = 10_000;

/// Bytes a journal that failed must take before the server tries a change
/// again: more than most journal lines, so that a change the probe lets
/// through is seldom refused after it was applied (which costs the world's
/// replica).
pub const PROBE_BYTES: usize = 4096;

#[derive(serde::Serialize)]
struct SnapshotOut<'w> {
    generation: u64,
    world: &'w World,
}

#[derive(serde::Deserialize)]
struct SnapshotIn {
    generation: u64,
    world: World,
}

/// Which form a state file is in: only a snapshot has a `generation`.
#[derive(serde::Deserialize)]
struct Form {
    generation: Option<u64>,
}

/// When the journal is compacted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Compaction {
    /// After [`COMPACT_AFTER`] commands, once the journal holds as many
    /// bytes as the last snapshot.
    Amortised,
    /// After this many commands, whatever their size: for tests that need
    /// many compactions of a large world.
    Every(usize),
}

/// What a start does with journals that do not replay whole.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Recovery {
    /// Refuses to start, naming the file, the line and the reason.
    #[default]
    Strict,
    /// Starts from what replays: the snapshot and the journals' lines up
    /// to the first bad line or missing journal. What follows is moved to
    /// `<journal>.dropped` and logged. A snapshot that does not read, or
    /// journals without their snapshot, are still refused: nothing of
    /// them is known to be valid.
    FromValid,
}

impl Recovery {
    /// `Ok` if `corruption` may be dropped, after saying so; else it.
    fn drop_or(self, corruption: io::Error) -> io::Result<()> {
        match self {
            Recovery::Strict => Err(corruption),
            Recovery::FromValid => {
                note!("state: {corruption}; starting from what precedes it");
                Ok(())
            }
        }
    }
}

/// The state files of one server, as found at start: what the keeper
/// needs before it can start on the world the server will serve.
pub struct Opened {
    snapshot: PathBuf,
    generation: u64,
    journal: File,
    entries: usize,
    journal_bytes: u64,
    snapshot_bytes: u64,
}

/// The state files of one server, and the keeper of its replica.
pub struct Store {
    snapshot: PathBuf,
    generation: u64,
    journal: File,
    entries: usize,
    /// Bytes of whole lines in the journal: what a failed write is cut
    /// back to.
    journal_bytes: u64,
    compaction: Compaction,
    /// Why the journal cannot be written, while it cannot.
    fault: Option<io::Error>,
    keeper: mpsc::Sender<Job>,
    status: Arc<Status>,
    keeper_thread: JoinHandle<io::Result<()>>,
}

/// What the keeper and its writer tell the server.
struct Status {
    /// A snapshot is being serialized or written.
    compacting: AtomicBool,
    snapshot_bytes: AtomicU64,
}

/// The keeper's work, in journal order.
// Nearly every job is an `Apply`: boxing it would allocate once per change
// to make the rare others smaller.
#[allow(clippy::large_enum_variant)]
enum Job {
    /// A command whose line is written.
    Apply(Command),
    /// Snapshot the replica as `generation`: every command before this job
    /// is in the journals before it.
    Snapshot(u64),
    /// Send a copy of the replica: the world as the journal has it.
    Copy(mpsc::SyncSender<World>),
    /// A world the server no longer serves, dropped here, off its lock.
    Discard(World),
}

impl Store {
    /// Opens the state at `path`: the world it holds (or `fresh()`), with
    /// its journals replayed on top. The journal goes on where it ended
    /// (its torn last line cut off); a world without a snapshot gets one
    /// first, so that its journal never stands alone.
    ///
    /// Nothing is written or deleted until every journal has replayed, so
    /// that a refusal leaves the files as they were, for a human to judge.
    /// With [`Recovery::FromValid`], a journal's bad line, or a missing
    /// journal, is not refused: what follows it is dropped instead (moved
    /// aside, and logged), and the server starts from what precedes it.
    pub fn open(
        path: &Path,
        fresh: impl FnOnce() -> World,
        recovery: Recovery,
    ) -> io::Result<(Opened, World)> {
        let found = journals(path)?;
        let (generation, mut world, snapshot_bytes) = match fs::read(path) {
            Ok(bytes) => {
                let (generation, world) = read_snapshot(path, &bytes)?;
                (Some(generation), world, bytes.len() as u64)
            }
            // Journals without their snapshot would replay onto an empty
            // world, and their images come back under IDs issued to others.
            // (Empty ones are a first start killed before its first
            // snapshot: nothing was answered.)
            Err(e) if e.kind() == io::ErrorKind::NotFound && holds_any(&found)? => {
                let why = format!(
                    "journals exist but their snapshot {} does not",
                    path.display()
                );
                return Err(invalid(&found[0].1, why));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (None, fresh(), 0),
            Err(e) => return Err(about(path, e)),
        };
        let Some(generation) = generation else {
            return Opened::first(path, world, &found);
        };
        let (older, mut newer): (Vec<_>, Vec<_>) =
            found.into_iter().partition(|(g, _)| *g < generation);
        let mut dropped = Vec::new();
        if let Err(missing) = check_generations(path, generation, &newer) {
            recovery.drop_or(missing)?;
            let valid = contiguous(generation, &newer);
            dropped.extend(newer.split_off(valid).into_iter().map(|(_, j)| (j, 0)));
        }
        let mut last = (
            generation,
            journal_path(path, generation),
            Replayed::default(),
        );
        let mut newer = newer.into_iter().peekable();
        while let Some((journal_generation, journal)) = newer.next() {
            let newest = newer.peek().is_none();
            let mut replayed = replay(&journal, newest, &mut world)?;
            let corrupt = replayed.corrupt.is_some();
            if let Some(corrupt) = replayed.corrupt.take() {
                recovery.drop_or(corrupt)?;
            }
            last = (journal_generation, journal, replayed);
            if corrupt {
                dropped.push((last.1.clone(), last.2.bytes));
                dropped.extend(newer.by_ref().map(|(_, journal)| (journal, 0)));
            }
        }
        let (last, journal, replayed) = last;
        // Only now that all of it replayed: what is dropped is moved aside,
        // the torn line goes, so that the journal goes on after whole
        // lines, and the older journals, which the snapshot holds, go too.
        for (dropped, from) in dropped {
            set_aside(&dropped, from)?;
        }
        if replayed.torn {
            let file = OpenOptions::new().write(true).open(&journal);
            file.and_then(|file| file.set_len(replayed.bytes))
                .map_err(|e| about(&journal, e))?;
        }
        for (_, old) in older {
            fs::remove_file(&old).map_err(|e| about(&old, e))?;
        }
        // A snapshot whose write a kill cut short: never renamed, never read.
        let temporary = temporary_path(path);
        match fs::remove_file(&temporary) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(about(&temporary, e)),
            _ => {}
        }
        let opened = Opened {
            snapshot: path.to_owned(),
            generation: last,
            journal: open_journal(path, last)?,
            entries: replayed.entries,
            journal_bytes: replayed.bytes,
            snapshot_bytes,
        };
        Ok((opened, world))
    }

    /// Journals `command`, then hands it to the keeper, and starts a
    /// compaction when one is due. An error means the line is not in the
    /// journal (the store cut back what it wrote of it), and the world
    /// must be taken back to [`Store::replica`].
    pub fn append(&mut self, command: Command) -> io::Result<()> {
        let mut line = serde_json::to_vec(&command).map_err(io::Error::other)?;
        line.push(b'\n');
        if let Err(error) = self.write(&line) {
            if self.fault.is_none() {
                note!("state: {error}; refusing changes until the journal can be written");
            }
            let kind = error.kind();
            self.fault = Some(error);
            return Err(io::Error::new(kind, "the journal cannot be written"));
        }
        if let Some(fault) = self.fault.take() {
            note!("state: the journal is written again (it failed: {fault}); accepting changes");
        }
        self.entries += 1;
        self.journal_bytes += line.len() as u64;
        self.keep(Job::Apply(command));
        if self.due() {
            self.compact();
        }
        Ok(())
    }

    /// Whether a change would be journalled: always, but after a failed
    /// write, when a probe of [`PROBE_BYTES`] can be written (and is cut
    /// back at once). Lets the server refuse a change before it applies
    /// one, instead of taking each back while the disk stays full.
    pub fn writable(&mut self) -> bool {
        if self.fault.is_none() {
            return true;
        }
        let probe = self
            .cut_back()
            .and_then(|()| self.journal.write_all(&[b' '; PROBE_BYTES]));
        if let Err(cut) = self.cut_back() {
            note!("state: cutting a probe back failed: {cut}");
            return false;
        }
        probe.is_ok()
    }

    /// Writes one whole line, its newline last, in one write: a kill can
    /// only leave a line without its newline, which replay recognises as
    /// torn and drops, as its answer was never sent. A write that fails is
    /// cut back; after a failure, the journal is not written again until
    /// it is cut back, so that no part of a line stays before a whole one.
    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        let cut = match self.fault {
            Some(_) => self.cut_back(),
            None => Ok(()),
        };
        let written = cut.and_then(|()| self.journal.write_all(line));
        written.map_err(|error| {
            if let Err(cut) = self.cut_back() {
                note!("state: cutting a failed line back failed: {cut}");
            }
            about(&self.journal_path(), error)
        })
    }

    /// Truncates the journal to its whole lines, if it holds more.
    fn cut_back(&mut self) -> io::Result<()> {
        if self.journal.metadata()?.len() > self.journal_bytes {
            self.journal.set_len(self.journal_bytes)?;
        }
        Ok(())
    }

    fn due(&self) -> bool {
        if self.status.compacting.load(Ordering::Acquire) {
            return false;
        }
        match self.compaction {
            Compaction::Amortised => {
                let snapshot_bytes = self.status.snapshot_bytes.load(Ordering::Acquire);
                self.entries >= COMPACT_AFTER && self.journal_bytes >= snapshot_bytes
            }
            Compaction::Every(entries) => self.entries >= entries,
        }
    }

    /// Starts a compaction: a new journal for what follows, and the keeper
    /// told to snapshot its replica as it stands after this journal. O(1):
    /// the world is serialized by the keeper, off the server's lock. A
    /// journal that cannot be opened leaves the current one in use.
    fn compact(&mut self) {
        let started = Instant::now();
        let generation = self.generation + 1;
        let journal = match open_journal(&self.snapshot, generation) {
            Ok(journal) => journal,
            Err(error) => {
                note!("state: compaction put off: {error}");
                return;
            }
        };
        self.journal = journal;
        self.generation = generation;
        self.entries = 0;
        self.journal_bytes = 0;
        self.status.compacting.store(true, Ordering::Release);
        self.keep(Job::Snapshot(generation));
        note!(
            "state: compaction to generation {generation} started, {} us under the lock",
            started.elapsed().as_micros()
        );
    }

    /// The world as the journal has it: what the server serves again after
    /// a change it could not journal. Waits for the keeper to catch up,
    /// and, the first time, for it to copy its replica; it then keeps a
    /// spare copy ready, so that a later refusal waits for none.
    pub fn replica(&self) -> World {
        let (reply, copy) = mpsc::sync_channel(1);
        self.keep(Job::Copy(reply));
        copy.recv().unwrap_or_else(|_| keeper_lost())
    }

    /// Drops `world` on the keeper's thread: dropping a large world takes
    /// as long as copying it.
    pub fn discard(&self, world: World) {
        self.keep(Job::Discard(world));
    }

    fn keep(&self, job: Job) {
        if self.keeper.send(job).is_err() {
            keeper_lost();
        }
    }

    fn journal_path(&self) -> PathBuf {
        journal_path(&self.snapshot, self.generation)
    }

    /// A last compaction, waited for: at a clean shutdown. (On a disk
    /// still full it fails, and the journals, which hold every change the
    /// server kept, stay.)
    pub fn close(mut self) -> io::Result<()> {
        self.compact();
        drop(self.keeper);
        match self.keeper_thread.join() {
            Ok(written) => written,
            Err(_) => Err(io::Error::other("the keeper panicked")),
        }
    }
}

/// The replica is the only copy of the world as journalled: without it,
/// a change the server could not journal can no longer be taken back, and
/// serving on would answer from a world the files do not hold. The files
/// hold every acknowledged change, so stopping loses nothing.
fn keeper_lost() -> ! {
    note!("state: the keeper of the journalled world stopped; exiting");
    std::process::exit(70)
}

impl Opened {
    /// A first start (no snapshot, no journal with anything in it): the
    /// world is written as snapshot 1 before anything is journalled.
    fn first(path: &Path, world: World, found: &[(u64, PathBuf)]) -> io::Result<(Opened, World)> {
        let bytes = serialize(1, &world)?;
        let journal = open_journal(path, 1)?;
        write_snapshot(path, &bytes, 1)?;
        // Empty journals of a start killed before its snapshot.
        for (generation, empty) in found {
            if *generation != 1 {
                fs::remove_file(empty).map_err(|e| about(empty, e))?;
            }
        }
        let opened = Opened {
            snapshot: path.to_owned(),
            generation: 1,
            journal,
            entries: 0,
            journal_bytes: 0,
            snapshot_bytes: bytes.len() as u64,
        };
        Ok((opened, world))
    }

    /// The store, its keeper started on `replica`: the world the server
    /// serves, as it stands.
    pub fn start(self, replica: World, compaction: Compaction) -> Store {
        let status = Arc::new(Status {
            compacting: AtomicBool::new(false),
            snapshot_bytes: AtomicU64::new(self.snapshot_bytes),
        });
        let (keeper, jobs) = mpsc::channel();
        let keeper_thread = {
            let (path, status) = (self.snapshot.clone(), status.clone());
            std::thread::spawn(move || keep(replica, &jobs, &path, &status))
        };
        Store {
            snapshot: self.snapshot,
            generation: self.generation,
            journal: self.journal,
            entries: self.entries,
            journal_bytes: self.journal_bytes,
            compaction,
            fault: None,
            keeper,
            status,
            keeper_thread,
        }
    }
}

/// Lowers the calling thread's priority (nice 10), so that the keeper and
/// the snapshot writer take the cores only when the threads that answer
/// requests leave them: a snapshot of a large world is seconds of work that
/// nobody waits for, and on a machine of few cores it otherwise shows as
/// pauses in the answers. The keeper's share stays ample for its other
/// work, a command applied per change. The price: the first change refused
/// on a disk fault, which waits under the lock for the keeper's copy, may
/// wait longer on a busy machine. Best effort: a thread whose priority
/// cannot be lowered runs as before.
fn in_background() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; on Linux, a thread ID
    // names the one thread.
    unsafe {
        let thread = libc::gettid() as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, 10);
    }
}

/// The keeper: applies the journalled commands to its replica, in journal
/// order, and serializes it when told; a writer thread writes each
/// snapshot, one at a time. Returns when the store is dropped, with the
/// last snapshot's result.
fn keep(
    mut replica: World,
    jobs: &mpsc::Receiver<Job>,
    path: &Path,
    status: &Arc<Status>,
) -> io::Result<()> {
    in_background();
    let mut writer: Option<JoinHandle<io::Result<()>>> = None;
    let mut last = Ok(());
    // While the journal cannot be written, a copy of the replica, ready for
    // the next refused change.
    let mut spare: Option<World> = None;
    for job in jobs {
        match job {
            Job::Apply(command) => {
                // Written: the fault, if any, is over.
                spare = None;
                if let Err(error) = command.apply(&mut replica) {
                    // The model is deterministic: the server applied it.
                    note!("state: the replica refused {command:?}: {error}");
                }
            }
            Job::Copy(reply) => {
                let copy = spare.take().unwrap_or_else(|| replica.clone());
                let _ = reply.send(copy);
                spare = Some(replica.clone());
            }
            Job::Discard(world) => drop(world),
            Job::Snapshot(generation) => {
                last = finish(writer.take());
                let bytes = match serialize(generation, &replica) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        note!("state: snapshot {generation} not serialized: {error}");
                        status.compacting.store(false, Ordering::Release);
                        continue;
                    }
                };
                status
                    .snapshot_bytes
                    .store(bytes.len() as u64, Ordering::Release);
                let (path, status) = (path.to_owned(), status.clone());
                writer = Some(std::thread::spawn(move || {
                    in_background();
                    let written = write_snapshot(&path, &bytes, generation);
                    if let Err(error) = &written {
                        note!(
                            "state: snapshot {generation} not written, its journals kept: {error}"
                        );
                    }
                    status.compacting.store(false, Ordering::Release);
                    written
                }));
            }
        }
    }
    match writer {
        Some(writer) => finish(Some(writer)),
        None => last,
    }
}

fn finish(writer: Option<JoinHandle<io::Result<()>>>) -> io::Result<()> {
    match writer.map(JoinHandle::join) {
        Some(Ok(written)) => written,
        Some(Err(_)) => Err(io::Error::other("the snapshot writer panicked")),
        None => Ok(()),
    }
}

fn serialize(generation: u64, world: &World) -> io::Result<Vec<u8>> {
    serde_json::to_vec(&SnapshotOut { generation, world }).map_err(io::Error::other)
}

/// A snapshot, or a bare serialized `World` (generation 0), so that a
/// server can start from a world built with the library. The form is told
/// first, so that an error is the one of the form the file is in.
fn read_snapshot(path: &Path, bytes: &[u8]) -> io::Result<(u64, World)> {
    let read = match serde_json::from_slice::<Form>(bytes) {
        Ok(Form {
            generation: Some(_),
        }) => serde_json::from_slice::<SnapshotIn>(bytes)
            .map(|snapshot| (snapshot.generation, snapshot.world)),
        Ok(Form { generation: None }) => serde_json::from_slice(bytes).map(|world| (0, world)),
        Err(error) => Err(error),
    };
    read.map_err(|e| invalid(path, e))
}

/// Where the next snapshot is written before it is renamed over `path`:
/// `path` with `.writing` appended, which is never `path` itself (as
/// `with_extension("tmp")` was for `--state world.tmp`, so that a write
/// truncated the live snapshot) nor one of its journals.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".writing");
    PathBuf::from(name)
}

/// Writes the snapshot beside `path`, renames it over `path`, then deletes
/// the journals it includes.
fn write_snapshot(path: &Path, bytes: &[u8], generation: u64) -> io::Result<()> {
    let temporary = temporary_path(path);
    let write = |mut file: File| file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(error) = File::create(&temporary).and_then(write) {
        // A full disk gets its space back.
        let _ = fs::remove_file(&temporary);
        return Err(about(&temporary, error));
    }
    fs::rename(&temporary, path).map_err(|e| about(path, e))?;
    for (journal_generation, journal) in journals(path)? {
        if journal_generation < generation {
            fs::remove_file(&journal).map_err(|e| about(&journal, e))?;
        }
    }
    Ok(())
}

fn journal_path(path: &Path, generation: u64) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".journal-{generation}"));
    PathBuf::from(name)
}

fn open_journal(path: &Path, generation: u64) -> io::Result<File> {
    let journal = journal_path(path, generation);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&journal)
        .map_err(|e| about(&journal, e))
}

/// The journals beside `path`, by generation.
fn journals(path: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let prefix = format!(
        "{}.journal-",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut found = Vec::new();
    for entry in fs::read_dir(directory).map_err(|e| about(directory, e))? {
        let entry = entry.map_err(|e| about(directory, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(generation) = name.strip_prefix(&prefix).and_then(|g| g.parse().ok()) {
            found.push((generation, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Whether any of `journals` holds a byte.
fn holds_any(journals: &[(u64, PathBuf)]) -> io::Result<bool> {
    for (_, journal) in journals {
        if fs::metadata(journal).map_err(|e| about(journal, e))?.len() > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The journals from the snapshot's generation on must be its own and
/// every later one, one per generation: a missing one held changes that
/// were answered, and serving without them would answer from a world that
/// lost them. (A snapshot of generation 0, a world written by the library,
/// may come without any.)
fn check_generations(path: &Path, generation: u64, newer: &[(u64, PathBuf)]) -> io::Result<()> {
    let expected = generation..generation + newer.len() as u64;
    let complete = newer.iter().map(|(g, _)| *g).eq(expected);
    let first = newer.first().map(|(g, _)| *g);
    if complete && (generation == 0 || first == Some(generation)) {
        return Ok(());
    }
    let missing = (generation..).find(|g| !newer.iter().any(|(found, _)| found == g));
    let missing = journal_path(path, missing.unwrap_or(generation));
    let why = format!(
        "the snapshot is of generation {generation}, and its journal {} is missing",
        missing.display()
    );
    Err(invalid(path, why))
}

/// How many of `newer` follow the snapshot of `generation` without a gap.
fn contiguous(generation: u64, newer: &[(u64, PathBuf)]) -> usize {
    let first = if generation == 0 { 0 } else { generation };
    (newer.iter().zip(first..))
        .take_while(|((found, _), expected)| found == expected)
        .count()
}

/// Moves the part of `journal` from byte `from` on to
/// `<journal>.dropped`, which no start reads, for a human to judge.
fn set_aside(journal: &Path, from: u64) -> io::Result<()> {
    let mut aside = journal.as_os_str().to_owned();
    aside.push(".dropped");
    let aside = PathBuf::from(aside);
    let bytes = fs::read(journal).map_err(|e| about(journal, e))?;
    let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
    let lines = bytes[from..].iter().filter(|&&b| b == b'\n').count();
    fs::write(&aside, &bytes[from..]).map_err(|e| about(&aside, e))?;
    if from == 0 {
        fs::remove_file(journal).map_err(|e| about(journal, e))?;
    } else {
        let file = OpenOptions::new().write(true).open(journal);
        file.and_then(|file| file.set_len(from as u64))
            .map_err(|e| about(journal, e))?;
    }
    note!(
        "state: dropped {} bytes ({lines} lines) of {} from byte {from} on, set aside in {}",
        bytes.len() - from,
        journal.display(),
        aside.display()
    );
    Ok(())
}

/// What replaying a journal found: its good lines, and whether a torn
/// last line, or a bad one, followed them.
#[derive(Default)]
struct Replayed {
    entries: usize,
    bytes: u64,
    torn: bool,
    corrupt: Option<io::Error>,
}

/// Applies a journal's commands to `world`, line by line, as bytes: a
/// torn line may end inside a character. Only the `newest` journal may end
/// with one: the server moves to the next journal only after a whole line.
///
/// A command that parses but fails to apply is corruption too: a journal
/// holds only commands that succeeded, on the world the snapshot and the
/// lines before rebuild, and the model is deterministic. So the files do
/// not belong together (edited, mixed from two servers, or written by
/// another version of the model), and serving on would answer from a world
/// that differs from the one already answered from.
fn replay(journal: &Path, newest: bool, world: &mut World) -> io::Result<Replayed> {
    let mut reader = BufReader::new(File::open(journal).map_err(|e| about(journal, e))?);
    let mut line = Vec::new();
    let mut replayed = Replayed::default();
    for number in 1_u64.. {
        line.clear();
        let read = reader.read_until(b'\n', &mut line);
        if read.map_err(|e| about(journal, e))? == 0 {
            break;
        }
        let corrupt = |reason: String| invalid(journal, format!("line {number}{reason}"));
        let failed = match serde_json::from_slice::<Command>(&line) {
            Ok(command) => match command.apply(world) {
                Ok(_) => None,
                Err(error) => Some(format!(": replaying {command:?} failed: {error}")),
            },
            // Without its newline, a line can only be the last.
            Err(_) if newest && !line.ends_with(b"\n") => {
                note!("state: dropped a torn last line of {}", journal.display());
                replayed.torn = true;
                break;
            }
            Err(error) => Some(json_reason(&error)),
        };
        if let Some(reason) = failed {
            replayed.corrupt = Some(corrupt(reason));
            break;
        }
        replayed.entries += 1;
        replayed.bytes += line.len() as u64;
    }
    Ok(replayed)
}

/// `serde_json`'s reason, placed by column only: a record is one line, and
/// its line in the file is told beside it.
fn json_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&position) {
        Some(reason) => format!(", column {}: {reason}", error.column()),
        None => format!(": {text}"),
    }
}

/// `error` with the file it concerns, which `io::Error`'s text never names.
fn about(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// A file whose contents are wrong, and why.
fn invalid(path: &Path, reason: impl Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {reason}", path.display()),
    )
}
