//! Persistence: a snapshot of the world and journals of the commands
//! applied since, so that a killed server loses nothing it answered.
//!
//! On disk, for `--state FILE`:
//! - `FILE`: `{"generation": g, "world": ...}`, the world after all
//!   journals before generation `g`;
//! - `FILE.journal-<g>`: the commands applied after snapshot `g` was taken,
//!   one JSON line each, written and flushed before the answer is sent.
//!
//! A compaction serializes the world under the lock and opens the next
//! journal there, then writes and renames the snapshot in the background,
//! and only then deletes the older journals. Whenever the process dies, the
//! snapshot on disk and the journals from its generation on hold every
//! answered change exactly once.
//!
//! Only a journal's last line may be torn (a kill during its write); any
//! other bad line is corruption, and the store refuses to open rather than
//! serve a world that differs from the one it answered from.

use std::fmt::Display;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use ecs_image_copy::{Command, World};

/// Commands journalled before a snapshot, at the least. A snapshot costs in
/// proportion to the world, so the journal may also grow as large as the
/// last snapshot, in bytes, before the next: compaction then costs O(1)
/// per command, amortised, whatever the traffic. (Counting against the
/// world's current size, as before, never compacted under create-only
/// traffic: each create grows the world as much as the journal.)
pub const COMPACT_AFTER: usize = 10_000;

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

/// The state files of one server.
pub struct Store {
    snapshot: PathBuf,
    generation: u64,
    journal: File,
    entries: usize,
    /// Bytes in the current journal, and in the last snapshot.
    journal_bytes: usize,
    snapshot_bytes: usize,
    writing: Option<JoinHandle<io::Result<()>>>,
}

impl Store {
    /// Opens the state at `path`: the world it holds (or `fresh()`), with
    /// its journals replayed on top, and compacts it.
    ///
    /// Nothing is written or deleted until every journal has replayed, so
    /// that a refusal leaves the files as they were, for a human to judge.
    pub fn open(path: &Path, fresh: impl FnOnce() -> World) -> io::Result<(Store, World)> {
        let found = journals(path)?;
        let (generation, mut world) = match fs::read(path) {
            Ok(bytes) => read_snapshot(path, &bytes)?,
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
            Err(e) if e.kind() == io::ErrorKind::NotFound => (0, fresh()),
            Err(e) => return Err(about(path, e)),
        };
        let mut last = generation;
        // Older journals are in the snapshot already; the compaction below
        // deletes them.
        let newer: Vec<(u64, PathBuf)> = (found.into_iter())
            .filter(|(g, _)| *g >= generation)
            .collect();
        check_generations(path, generation, &newer)?;
        let mut newer = newer.into_iter().peekable();
        while let Some((journal_generation, journal)) = newer.next() {
            let newest = newer.peek().is_none();
            replay(&journal, newest, &mut world)?;
            last = journal_generation;
        }
        let journal = open_journal(path, last)?;
        let mut store = Store {
            snapshot: path.to_owned(),
            generation: last,
            journal,
            entries: 0,
            journal_bytes: 0,
            snapshot_bytes: 0,
            writing: None,
        };
        store.compact(&world)?;
        store.finish()?;
        Ok((store, world))
    }

    /// Journals `command`, and compacts when the journal has grown as large
    /// as the last snapshot.
    pub fn append(&mut self, command: &Command, world: &World) -> io::Result<()> {
        let mut line = serde_json::to_vec(command).map_err(io::Error::other)?;
        line.push(b'\n');
        // One write of the whole line, its newline last: a kill can only
        // leave a line without its newline, which replay recognises as torn
        // and drops, as its answer was never sent.
        self.journal
            .write_all(&line)
            .map_err(|e| about(&journal_path(&self.snapshot, self.generation), e))?;
        self.entries += 1;
        self.journal_bytes += line.len();
        let idle = self.writing.as_ref().is_none_or(JoinHandle::is_finished);
        let due = self.entries >= COMPACT_AFTER && self.journal_bytes >= self.snapshot_bytes;
        if idle && due {
            self.finish()?;
            self.compact(world)?;
        }
        Ok(())
    }

    /// Starts a compaction: the world as the next generation's snapshot,
    /// and a new journal for what follows.
    fn compact(&mut self, world: &World) -> io::Result<()> {
        let generation = self.generation + 1;
        let snapshot = SnapshotOut { generation, world };
        let bytes = serde_json::to_vec(&snapshot).map_err(io::Error::other)?;
        self.journal = open_journal(&self.snapshot, generation)?;
        self.generation = generation;
        self.entries = 0;
        self.journal_bytes = 0;
        self.snapshot_bytes = bytes.len();
        let path = self.snapshot.clone();
        self.writing = Some(std::thread::spawn(move || {
            write_snapshot(&path, &bytes, generation)
        }));
        Ok(())
    }

    /// Waits for the compaction under way, if any.
    pub fn finish(&mut self) -> io::Result<()> {
        match self.writing.take().map(JoinHandle::join) {
            Some(Ok(written)) => written,
            Some(Err(_)) => Err(io::Error::other("the snapshot writer panicked")),
            None => Ok(()),
        }
    }

    /// A last compaction, waited for: at a clean shutdown.
    pub fn close(mut self, world: &World) -> io::Result<()> {
        self.finish()?;
        self.compact(world)?;
        self.finish()
    }
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
    File::create(&temporary)
        .and_then(write)
        .map_err(|e| about(&temporary, e))?;
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
fn replay(journal: &Path, newest: bool, world: &mut World) -> io::Result<()> {
    let mut reader = BufReader::new(File::open(journal).map_err(|e| about(journal, e))?);
    let mut line = Vec::new();
    for number in 1_u64.. {
        line.clear();
        let read = reader.read_until(b'\n', &mut line);
        if read.map_err(|e| about(journal, e))? == 0 {
            break;
        }
        let corrupt = |reason: String| invalid(journal, format!("line {number}{reason}"));
        match serde_json::from_slice::<Command>(&line) {
            Ok(command) => {
                if let Err(error) = command.apply(world) {
                    return Err(corrupt(format!(": replaying {command:?} failed: {error}")));
                }
            }
            // Without its newline, a line can only be the last.
            Err(_) if newest && !line.ends_with(b"\n") => {
                eprintln!("state: dropped a torn last line of {}", journal.display());
                break;
            }
            Err(error) => return Err(corrupt(json_reason(&error))),
        }
    }
    Ok(())
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
