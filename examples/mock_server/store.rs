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

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use ecs_image_copy::{Command, World};

/// Commands journalled before a snapshot, at the least. A snapshot costs in
/// proportion to the world, so the journal may grow as large as the world:
/// compaction then costs O(1) per command, amortised.
const COMPACT_AFTER: usize = 10_000;

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

/// The state files of one server.
pub struct Store {
    snapshot: PathBuf,
    generation: u64,
    journal: File,
    entries: usize,
    writing: Option<JoinHandle<io::Result<()>>>,
}

impl Store {
    /// Opens the state at `path`: the world it holds (or `fresh()`), with
    /// its journals replayed on top, and compacts it.
    pub fn open(path: &Path, fresh: impl FnOnce() -> World) -> io::Result<(Store, World)> {
        let (generation, mut world) = match fs::read(path) {
            Ok(bytes) => read_snapshot(&bytes)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => (0, fresh()),
            Err(e) => return Err(e),
        };
        let mut last = generation;
        for (journal_generation, journal) in journals(path)? {
            if journal_generation < generation {
                fs::remove_file(journal)?;
            } else {
                replay(&journal, &mut world)?;
                last = last.max(journal_generation);
            }
        }
        let journal = open_journal(path, last)?;
        let mut store = Store {
            snapshot: path.to_owned(),
            generation: last,
            journal,
            entries: 0,
            writing: None,
        };
        store.compact(&world)?;
        store.finish()?;
        Ok((store, world))
    }

    /// Journals `command`, and compacts when the journal has grown as large
    /// as the world.
    pub fn append(&mut self, command: &Command, world: &World) -> io::Result<()> {
        let mut line = serde_json::to_vec(command).map_err(io::Error::other)?;
        line.push(b'\n');
        // One write of the whole line: a kill can tear it only at the end,
        // which replay recognises and drops, as its answer was never sent.
        self.journal.write_all(&line)?;
        self.entries += 1;
        let idle = self.writing.as_ref().is_none_or(JoinHandle::is_finished);
        if idle && self.entries >= COMPACT_AFTER.max(world.image_count()) {
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
/// server can start from a world built with the library.
fn read_snapshot(bytes: &[u8]) -> io::Result<(u64, World)> {
    match serde_json::from_slice::<SnapshotIn>(bytes) {
        Ok(snapshot) => Ok((snapshot.generation, snapshot.world)),
        Err(_) => serde_json::from_slice(bytes)
            .map(|world| (0, world))
            .map_err(io::Error::other),
    }
}

/// Writes the snapshot beside `path`, renames it over `path`, then deletes
/// the journals it includes.
fn write_snapshot(path: &Path, bytes: &[u8], generation: u64) -> io::Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)?;
    for (journal_generation, journal) in journals(path)? {
        if journal_generation < generation {
            fs::remove_file(journal)?;
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
    OpenOptions::new().create(true).append(true).open(journal)
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
    for entry in fs::read_dir(directory)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(generation) = name.strip_prefix(&prefix).and_then(|g| g.parse().ok()) {
            found.push((generation, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Applies a journal's commands to `world`.
fn replay(journal: &Path, world: &mut World) -> io::Result<()> {
    for line in BufReader::new(File::open(journal)?).lines() {
        let Ok(command) = serde_json::from_str::<Command>(&line?) else {
            eprintln!("state: dropped a torn last line of {}", journal.display());
            break;
        };
        if let Err(error) = command.apply(world) {
            eprintln!("state: replaying {command:?} failed: {error}");
        }
    }
    Ok(())
}
