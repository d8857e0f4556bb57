//! What the server's test files share: the server as a child process.
// Each test file uses a part of this module.
#![allow(dead_code)]

pub mod postgres;

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running mock server, killed when dropped.
pub struct Server {
    child: Child,
    pub address: String,
    /// What it logged before it listened.
    pub startup_log: Vec<String>,
    /// What it logs after, read all along so that a full pipe never blocks
    /// the server.
    log: Option<JoinHandle<()>>,
    /// The lines read so far.
    lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        Server::start_with(None, args)
    }

    /// A server that may hold at most `descriptors` open files.
    pub fn start_limited(descriptors: u32, args: &[&str]) -> Server {
        Server::start_with(Some(descriptors), args)
    }

    fn start_with(descriptors: Option<u32>, args: &[&str]) -> Server {
        let (mut child, mut lines) = spawn(descriptors, args);
        let mut startup_log = Vec::new();
        while let Some(line) = lines.next() {
            let line = line.unwrap();
            if let Some(address) = line.strip_prefix("listening on ") {
                let address = address.to_owned();
                let read = Arc::new(Mutex::new(Vec::new()));
                let into = Arc::clone(&read);
                let log = std::thread::spawn(move || {
                    for line in lines.map_while(Result::ok) {
                        into.lock().unwrap().push(line);
                    }
                });
                return Server {
                    child,
                    address,
                    startup_log,
                    log: Some(log),
                    lines: read,
                };
            }
            startup_log.push(line);
        }
        let status = child.wait().unwrap();
        panic!("the server exited ({status}) before it listened: {startup_log:#?}");
    }

    /// A server whose log goes to the file `log`, as `2>>LOG` sends it:
    /// a file size limit, or a full disk, then fails its log writes too.
    // The child is waited for when the `Server` drops, or before the panic.
    #[allow(clippy::zombie_processes)]
    pub fn start_logging_to(log: &Path, args: &[&str]) -> Server {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" 2>>\"$LOG\"")
            .arg(server_binary())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("LOG", log)
            .spawn()
            .unwrap();
        // Waits for the line, not for a time: the bound only ends a hang.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            // Whole lines only: the last may be half written.
            let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
            if let Some(line) = whole.lines().find(|l| l.starts_with("listening on ")) {
                let address = line["listening on ".len()..].to_owned();
                let startup_log = Vec::new();
                return Server {
                    child,
                    address,
                    startup_log,
                    log: None,
                    lines: Arc::default(),
                };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("never listened: {text}");
            }
            std::thread::yield_now();
        }
    }

    /// The log of a server that must refuse to start: it exits, failed,
    /// before it listens.
    pub fn refuse_to_start(args: &[&str]) -> String {
        let (mut child, lines) = spawn(None, args);
        let mut log = Vec::new();
        for line in lines {
            let line = line.unwrap();
            if line.starts_with("listening on ") {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server started: {log:#?}");
            }
            log.push(line);
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "{status}: {log:#?}");
        log.join("\n")
    }

    /// Waits for the server to exit by itself: how it exited, and what it
    /// logged after it listened.
    pub fn exit(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().unwrap();
        (status, self.take_log())
    }

    /// Waits until the server has logged a line containing `text`: true,
    /// or false if it has not within a minute (the bound only ends a hang).
    pub fn wait_for_log(&self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|line| line.contains(text))
            {
                return true;
            }
            std::thread::yield_now();
        }
        false
    }

    /// Everything logged after it listened, once the log has ended.
    fn take_log(&mut self) -> String {
        if let Some(log) = self.log.take() {
            log.join().unwrap();
        }
        self.lines.lock().unwrap().join("\n")
    }

    /// The server's process ID.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// Kills the server and returns what it logged after it listened.
    pub fn kill_and_log(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.take_log()
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

/// The mock server on a free port, its log piped, with at most
/// `descriptors` open files if given (through the shell's `ulimit`).
fn spawn(descriptors: Option<u32>, args: &[&str]) -> (Child, Lines<BufReader<ChildStderr>>) {
    let binary = server_binary();
    let mut command = match descriptors {
        None => Command::new(binary),
        Some(limit) => {
            let mut shell = Command::new("sh");
            let script = format!("ulimit -n {limit} && exec \"$0\" \"$@\"");
            shell.arg("-c").arg(script).arg(binary);
            shell
        }
    };
    let mut child = command
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    (child, lines)
}

/// The mock server run with `args` alone, to its end: `--help`, say.
pub fn run_mock_server(args: &[&str]) -> Output {
    Command::new(server_binary()).args(args).output().unwrap()
}

/// The binary cargo built for these tests.
fn server_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ecs-mock-server"))
}
