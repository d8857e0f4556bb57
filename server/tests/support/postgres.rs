//! A fresh, empty PostgreSQL database for each test that asks:
//!
//! ```ignore
//! let Some(url) = support::postgres::database() else { return };
//! ```
//!
//! The cluster is `ECS_TEST_POSTGRES` when set (CI sets it), else one
//! started by `server/tests/postgres.sh` for this test process, the first
//! time a test asks, and stopped when the process ends. When no PostgreSQL
//! can be had, a test is skipped with one line on stderr, and in CI (the
//! `CI` variable set) it fails instead: never a silent skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::error::SqlState;
use postgres::{Client, NoTls};

/// The URL of a new, empty database on the tests' cluster; `None`, after
/// one line on stderr, when there is no PostgreSQL (and not in CI).
///
/// # Panics
///
/// When there is no PostgreSQL and `CI` is set, or when the cluster is
/// there (`ECS_TEST_POSTGRES`, or one this process started) and refuses
/// to create a database.
pub fn database() -> Option<String> {
    let cluster = match cluster() {
        Ok(cluster) => cluster,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("no PostgreSQL, and CI needs one: {why}")
        }
        Err(why) => {
            // Past libtest's capture of `eprintln!`, so that it shows.
            let _ = writeln!(std::io::stderr(), "skipped: no PostgreSQL ({why})");
            return None;
        }
    };
    Some(create_database(cluster))
}

/// The cluster's URL, or why there is none: found or started once.
fn cluster() -> Result<&'static str, &'static str> {
    static CLUSTER: OnceLock<Result<String, String>> = OnceLock::new();
    let cluster = CLUSTER.get_or_init(|| match std::env::var("ECS_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start_cluster(),
    });
    cluster.as_deref().map_err(String::as_str)
}

/// Creates a database under a name no other test, nor test process on the
/// same cluster, has taken, and gives its URL.
fn create_database(cluster: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut admin = Client::connect(cluster, NoTls).unwrap_or_else(|e| {
        panic!(
            "cannot connect to the tests' PostgreSQL at {cluster}: {}",
            explain(&e)
        )
    });
    loop {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // A process of an earlier run may have had the same id.
        match admin.batch_execute(&format!("CREATE DATABASE {name}")) {
            Ok(()) => return with_database(cluster, &name),
            Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => continue,
            Err(e) => panic!("cannot create a database on {cluster}: {}", explain(&e)),
        }
    }
}

/// `error` and its causes: the `postgres` crate's own text is "db error",
/// or "error connecting to server", the why in its source.
fn explain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text += &format!(": {error}");
        cause = error.source();
    }
    text
}

/// `url` naming the database `name` instead of its own: a URL
/// (`postgres://user@host:port/db?options`) or key=value pairs.
pub fn with_database(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // The later of two `dbname`s wins.
        return format!("{url} dbname={name}");
    };
    let (base, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let authority_end = base[scheme_end + 3..]
        .find('/')
        .map_or(base.len(), |slash| scheme_end + 3 + slash);
    format!("{}/{name}{query}", &base[..authority_end])
}

/// Starts this process's cluster with the script, and a keeper that stops
/// it when the process ends, however it ends.
fn start_cluster() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("ecs-mock-server-pg-{}", std::process::id()));
    // A process of an earlier run may have had the same id; its keeper
    // stopped its cluster.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // The keeper first: a cluster never runs without one.
    keep(&dir)?;
    let output = Command::new("bash")
        .arg(script())
        .arg("start")
        .arg(&dir)
        // A throwaway cluster: durable against a crash of the server, not
        // of the machine, and the tests run faster.
        .env("PG_SETTINGS", "-c fsync=off")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bash {}: {e}", script().display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The script's own word on why, else whatever it printed last.
        let why = (stderr.lines().rev().find(|l| l.starts_with("postgres.sh:")))
            .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
            .unwrap_or("");
        return Err(format!(
            "postgres.sh start failed ({}): {why}",
            output.status
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let url = stdout.lines().last().unwrap_or("").to_owned();
    Ok(url)
}

/// A child that waits for this process to end (its stdin closes then,
/// whether the process exits, panics or is killed) and then stops the
/// cluster in `dir` and removes it. The child is in its own process group,
/// so that the Ctrl-C that ends the tests does not end it first.
// Nothing waits for the keeper: it outlives this process by design.
#[allow(clippy::zombie_processes)]
fn keep(dir: &Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    static KEEPER: OnceLock<ChildStdin> = OnceLock::new();
    let mut keeper = Command::new("bash")
        .arg("-c")
        .arg(r#"cat >/dev/null; bash "$0" stop "$1" >/dev/null 2>&1; rm -rf "$1""#)
        .arg(script())
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the cluster's keeper: {e}"))?;
    let stdin = keeper.stdin.take().expect("piped");
    // The pipe stays open, never written, until the process ends.
    let _ = KEEPER.set(stdin);
    Ok(())
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/postgres.sh")
}
