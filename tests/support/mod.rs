//! What several test files share: the mock server as a child process,
//! and proptest case counts that `PROPTEST_CASES` can raise.
// Each test file uses a part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running mock server, killed when dropped.
pub struct Server {
    child: Child,
    pub address: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let binary = example_binary();
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let address = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{first}"))
            .to_owned();
        // Drain the log, so that a full pipe never blocks the server.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, address }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// Kills the server as `kill -9` would: no clean shutdown.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/examples/mock_server`, which `cargo test` builds.
fn example_binary() -> PathBuf {
    let test = std::env::current_exe().unwrap();
    let profile = test.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile
        .join("examples")
        .join(format!("mock_server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test --all-features`",
        binary.display()
    );
    binary
}

/// A proptest config with `default` cases, or as many as the environment
/// variable `PROPTEST_CASES` says: the defaults keep `cargo test` fast,
/// and `PROPTEST_CASES=10000 cargo test --all-features` runs more.
pub fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok());
    proptest::test_runner::Config {
        cases: cases.unwrap_or(default),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
