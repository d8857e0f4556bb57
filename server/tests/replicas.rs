//! Servers on a real PostgreSQL (`--store`), as replicas of one service:
//! the conformance check with its steps spread over two replicas, racing
//! calls from many threads checked against the reference task, a replica
//! killed under load, and a database lost and found again.
//!
//! Each test needs PostgreSQL (`support::postgres`): without one it is
//! skipped with a line on stderr, and in CI it fails instead.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ecs_image_copy::{CopyPhase, CopyTask, EcsError, Percent};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::Value;
use support::Server;

const ACCOUNTS: [&str; 2] = ["alice", "bob"];
/// Where every source image is.
const SOURCE_REGION: &str = "cn-hangzhou";
/// Where the copies go.
const DESTINATIONS: [&str; 2] = ["cn-beijing", "cn-shanghai"];
/// Every status a copy can show: a query for these lists every copy that
/// was not cancelled.
const ANY_STATUS: &str = "Creating,Waiting,Available,CreateFailed";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Only ends a hang: no answer of a healthy server comes near it.
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// What a server answered: an answer, an ECS error of the catalog, or
/// something no server should say.
#[derive(Clone, Debug)]
enum Answer {
    Ok(Value),
    Refused(EcsError),
}

/// A GET of `query` as `account`: the answer, or why there was none (the
/// server is gone, say).
fn call(agent: &ureq::Agent, server: &str, account: &str, query: &str) -> Result<Answer, String> {
    let url = format!("{server}?Version=2014-05-26&Format=JSON&AccessKeyId={account}&{query}");
    let mut response = agent.get(&url).call().map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let json: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {status} {body}"))?;
    if status == 200 {
        return Ok(Answer::Ok(json));
    }
    let text = |field: &str| json[field].as_str().unwrap_or("").to_owned();
    match EcsError::from_wire(&text("Code"), &text("Message")) {
        Some(error) if error.status() == status && !text("RequestId").is_empty() => {
            Ok(Answer::Refused(error))
        }
        _ => Err(format!("{query}: not an ECS error: {status} {body}")),
    }
}

/// The answer to a call that must succeed.
fn ok(agent: &ureq::Agent, server: &str, account: &str, query: &str) -> Value {
    match call(agent, server, account, query) {
        Ok(Answer::Ok(body)) => body,
        other => panic!("{query} as {account} at {server}: {other:?}"),
    }
}

fn create_source(agent: &ureq::Agent, server: &str, account: &str) -> String {
    let query = format!("Action=MockCreateImage&RegionId={SOURCE_REGION}&ImageName=source");
    let body = ok(agent, server, account, &query);
    body["ImageId"].as_str().unwrap().to_owned()
}

fn copy_query(source: &str, destination: &str) -> String {
    format!(
        "Action=CopyImage&RegionId={SOURCE_REGION}&ImageId={source}&DestinationRegionId={destination}"
    )
}

/// Status and progress of each of `ids` (one account's, in `region`) that
/// one DescribeImages shows.
fn describe(
    agent: &ureq::Agent,
    server: &str,
    account: &str,
    region: &str,
    ids: &[String],
) -> Result<HashMap<String, (String, String)>, String> {
    let query = format!(
        "Action=DescribeImages&RegionId={region}&ImageId={}&Status={ANY_STATUS}&PageSize=100",
        ids.join(",")
    );
    match call(agent, server, account, &query)? {
        Answer::Ok(body) => Ok(listed(&body)),
        Answer::Refused(error) => Err(format!("{query}: {error:?}")),
    }
}

/// The images of a DescribeImages answer: ID, status, progress.
fn listed(body: &Value) -> HashMap<String, (String, String)> {
    let images = body["Images"]["Image"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let field = |image: &Value, name: &str| image[name].as_str().unwrap_or("").to_owned();
    (images.iter())
        .map(|image| {
            let shown = (field(image, "Status"), field(image, "Progress"));
            (field(image, "ImageId"), shown)
        })
        .collect()
}

/// Replicas of one fresh database: `count` servers started with `args`
/// after `--store URL`; `None` when there is no PostgreSQL.
fn replicas(count: usize, args: &[&str]) -> Option<Vec<Server>> {
    let url = support::postgres::database()?;
    let mut all = vec!["--store", &url, "--quiet"];
    all.extend_from_slice(args);
    Some((0..count).map(|_| Server::start(&all)).collect())
}

// ---------------------------------------------------------------------
// 1. The conformance check, its steps spread over replicas.

/// `ecs-conformance` with `endpoints` replicas per run: a fresh database
/// for each run (made by `psql`), then one server per endpoint on it, all
/// started at once, as replicas start.
fn conformance_over(replicas: usize, keys: &[&str], cases: u32) {
    let Some(url) = support::postgres::database() else {
        return;
    };
    let cluster = support::postgres::with_database(&url, "postgres");
    let ports: Vec<u16> = (0..replicas).map(|_| free_port()).collect();
    let auth: String = match keys.is_empty() {
        true => String::new(),
        false => {
            keys.iter()
                .map(|key| format!(" --key {key}"))
                .collect::<String>()
                + " --auth"
        }
    };
    let servers: Vec<String> = (ports.iter())
        .map(|port| {
            format!(
                "'{}' --store \"$url\" --manual --quiet --copy-limit 2 --listen 127.0.0.1:{port} {auth} &",
                env!("CARGO_BIN_EXE_ecs-mock-server")
            )
        })
        .collect();
    // `$$` is the run's shell: a database of its own. Killing the group
    // ends the servers; the databases go with the tests' cluster.
    let start = format!(
        "set -e; db=conformance_$$; '{psql}' -q -v ON_ERROR_STOP=1 '{cluster}' -c \"CREATE DATABASE $db\"; \
         url='{base}'$db; {servers} wait",
        psql = psql().display(),
        base = support::postgres::with_database(&url, ""),
        servers = servers.join(" "),
    );
    let mut args = Vec::new();
    for port in &ports {
        args.extend(["--endpoint".to_owned(), format!("http://127.0.0.1:{port}/")]);
    }
    for key in keys {
        args.extend(["--key".to_owned(), key.to_string()]);
    }
    let cases = cases.to_string();
    let plan = [
        "--start",
        &start,
        "--cases",
        &cases,
        "--max-steps",
        "60",
        "--seed",
        "7",
    ];
    args.extend(plan.map(str::to_owned));
    let output = Command::new(env!("CARGO_BIN_EXE_ecs-conformance"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with(&format!("the endpoint conforms: {cases} runs, ")),
        "{stdout}"
    );
    eprint!("{replicas} replica(s): {stdout}");
}

/// A port no one listens on now, for a server started later.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `psql`, from PATH or beside the cluster's own programs.
fn psql() -> PathBuf {
    let on_path = Command::new("sh")
        .args(["-c", "command -v psql"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    match on_path {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => postgres_program("psql"),
    }
}

/// A PostgreSQL program of the newest installed version, 15 first as
/// `postgres.sh` prefers it.
fn postgres_program(name: &str) -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let preferred = root.join("15/bin").join(name);
    if preferred.exists() {
        return preferred;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    versions.sort_by_key(|path| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        name.parse::<u32>().unwrap_or(0)
    });
    let newest = versions.last().cloned().unwrap_or_default();
    newest.join("bin").join(name)
}

/// Every step of a run goes to the other replica than the step before:
/// each answer is decided from state the other replica wrote.
#[test]
fn conformance_over_two_replicas() {
    conformance_over(2, &[], 16);
}

/// The same check against one server on PostgreSQL.
#[test]
fn conformance_over_one_store_server() {
    conformance_over(1, &[], 16);
}

/// Signed requests (`--auth`) over two replicas: every nonce is spent in
/// the database, reads' too.
#[test]
fn signed_conformance_over_two_replicas() {
    let keys = ["ak-alice:alice-secret:alice", "ak-bob:bob-secret:bob"];
    conformance_over(2, &keys, 8);
}

/// A signed request's nonce, spent on one replica, is refused on the
/// other: one service, whichever host answers.
#[test]
fn a_nonce_spent_on_one_replica_is_refused_on_the_other() {
    use ecs_image_copy::rpc::signature::{percent_encode, sign_v1, string_to_sign_v1};
    let args = ["--auth", "--key", "ak-alice:alice-secret:alice", "--manual"];
    let Some(servers) = replicas(2, &args) else {
        return;
    };
    let timestamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let params = [
        ("Action", "DescribeRegions"),
        ("Version", "2014-05-26"),
        ("Format", "JSON"),
        ("AccessKeyId", "ak-alice"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "once-only-7f3a"),
        ("Timestamp", timestamp.as_str()),
    ];
    let signature = sign_v1("alice-secret", &string_to_sign_v1("GET", params));
    let mut query: Vec<String> = (params.iter())
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    query.push(format!("Signature={}", percent_encode(&signature)));
    let query = query.join("&");
    let agent = agent();
    let send = |server: &Server| {
        let mut response =
            (agent.get(format!("{}?{query}", server.url())).call()).expect("the replica answers");
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().expect("a body");
        (status, body)
    };
    let (status, body) = send(&servers[0]);
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&servers[1]);
    let used = EcsError::SignatureNonceUsed;
    assert_eq!(status, used.status(), "{body}");
    assert!(
        body.contains(&format!(r#""Code":"{}""#, used.code())),
        "{body}"
    );
}

// ---------------------------------------------------------------------
// 2. Racing calls over two replicas.

/// A call on one copy, as a thread saw it: when it was sent, when its
/// answer came, and what the answer was.
#[derive(Clone, Debug)]
struct Call {
    action: Action,
    sent: Instant,
    answered: Instant,
    seen: Seen,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Cancel,
    Complete,
    Fail,
    /// DescribeImages by ID.
    Read,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Cancel => "CancelCopyImage",
            Action::Complete => "MockCompleteCopy",
            Action::Fail => "MockFailCopy",
            Action::Read => "DescribeImages",
        }
    }
}

/// An answer about one copy.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Seen {
    /// A cancel that succeeded.
    Done,
    /// The status and progress the answer shows.
    Shown(String, String),
    /// Not listed by DescribeImages.
    Absent,
    Refused(EcsError),
}

/// What the reference task answers to `action` in `task`, and the task
/// after it.
fn reference(task: CopyTask, action: Action) -> (CopyTask, Seen) {
    let shown = |task: CopyTask| match task.status() {
        Some(status) => Seen::Shown(status.to_string(), task.progress().to_string()),
        None => Seen::Absent,
    };
    // A cancelled copy's image is gone: every call finds no image.
    if task.phase() == CopyPhase::Cancelled {
        return match action {
            Action::Read => (task, Seen::Absent),
            _ => (task, Seen::Refused(EcsError::ImageNotFound)),
        };
    }
    let event = match action {
        Action::Read => return (task, shown(task)),
        Action::Cancel => {
            return match task.cancel() {
                Ok(after) => (after, Seen::Done),
                Err(error) => (task, Seen::Refused(error)),
            };
        }
        // A copy still copying passes through 100%, as the mock's
        // MockCompleteCopy does.
        Action::Complete if task.phase() == CopyPhase::Copying => {
            task.progress_to(Percent::FULL).and_then(CopyTask::complete)
        }
        Action::Complete => task.complete(),
        Action::Fail => task.fail(),
    };
    match event {
        Ok(after) => (after, shown(after)),
        Err(_) => (task, Seen::Refused(EcsError::CopyPhaseMismatch)),
    }
}

/// Whether one serial order of `calls`, consistent with their real-time
/// order (a call answered before another was sent comes first), explains
/// every answer from `start` on: the search of Wing and Gong, remembering
/// the (calls done, task) pairs that led nowhere.
fn linearizable(start: CopyTask, calls: &[Call]) -> bool {
    let mut dead_ends = HashSet::new();
    let mut done = vec![false; calls.len()];
    search(start, calls, &mut done, &mut dead_ends)
}

fn search(
    task: CopyTask,
    calls: &[Call],
    done: &mut Vec<bool>,
    dead_ends: &mut HashSet<(Vec<bool>, CopyTask)>,
) -> bool {
    if done.iter().all(|&d| d) {
        return true;
    }
    if dead_ends.contains(&(done.clone(), task)) {
        return false;
    }
    let pending = || (0..calls.len()).filter(|&i| !done[i]);
    // A call may come next when no pending call was answered before it
    // was sent.
    let next: Vec<usize> = pending()
        .filter(|&i| pending().all(|j| calls[j].answered >= calls[i].sent))
        .collect();
    for i in next {
        let (after, expected) = reference(task, calls[i].action);
        if expected != calls[i].seen {
            continue;
        }
        done[i] = true;
        if search(after, calls, done, dead_ends) {
            return true;
        }
        done[i] = false;
    }
    dead_ends.insert((done.clone(), task));
    false
}

/// The checker itself can fail: it finds the order of two racing calls,
/// and refuses answers no order explains.
#[test]
fn the_checker_refuses_what_no_serial_order_explains() {
    let started = CopyTask::new().start().unwrap();
    let at = Instant::now();
    let call = |action, from: u64, to: u64, seen| Call {
        action,
        sent: at + Duration::from_millis(from),
        answered: at + Duration::from_millis(to),
        seen,
    };
    let available = || Seen::Shown("Available".to_owned(), "100%".to_owned());
    let finished = Seen::Refused(EcsError::CopyFinished);
    // Overlapping: the cancel answered second may have come second.
    let racing = [
        call(Action::Cancel, 0, 10, finished.clone()),
        call(Action::Complete, 5, 15, available()),
    ];
    assert!(linearizable(started, &racing));
    // One after the other: the cancel came first, yet found it finished.
    let ordered = [
        call(Action::Cancel, 0, 4, finished),
        call(Action::Complete, 5, 15, available()),
    ];
    assert!(!linearizable(started, &ordered));
    // Two cancels of one copy cannot both succeed, in any order.
    let twice = [
        call(Action::Cancel, 0, 10, Seen::Done),
        call(Action::Cancel, 0, 10, Seen::Done),
    ];
    assert!(!linearizable(started, &twice));
    // A listing after a completion shows it.
    let stale = [
        call(Action::Complete, 0, 4, available()),
        call(
            Action::Read,
            5,
            6,
            Seen::Shown("Creating".to_owned(), "0%".to_owned()),
        ),
    ];
    assert!(!linearizable(started, &stale));
}

/// A copy the threads share.
#[derive(Clone, Debug)]
struct Shared {
    account: &'static str,
    region: &'static str,
    id: String,
}

/// What the racing threads leave behind.
#[derive(Default)]
struct Race {
    /// Every copy made, in the order their CopyImage answered.
    copies: Mutex<Vec<Shared>>,
    /// Every call on each copy, but its CopyImage.
    calls: Mutex<HashMap<String, Vec<Call>>>,
    /// Answers no reference explains at all: a 5xx, a bad body.
    wrong: Mutex<Vec<String>>,
    workers_done: AtomicBool,
    /// Calls each worker makes.
    calls_per_thread: usize,
}

const THREADS: usize = 8;
/// Calls per worker for (a); (b) runs longer, for more listings.
const CALLS_PER_THREAD: usize = 40;
/// Calls pick among this many of the newest copies, so that they race.
const HOT: usize = 6;

impl Race {
    /// One worker: copies, cancels, completions and failures, each sent to
    /// a replica picked at random.
    fn work(&self, servers: &[String], sources: &HashMap<&str, String>, thread: usize) {
        let agent = agent();
        let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[thread as u8 + 1; 32]);
        let mut pick = |n: usize| rng.next_u32() as usize % n;
        for _ in 0..self.calls_per_thread {
            let server = &servers[pick(servers.len())];
            let hot: Vec<Shared> = {
                let copies = self.copies.lock().unwrap();
                copies.iter().rev().take(HOT).cloned().collect()
            };
            if hot.len() < HOT || pick(4) == 0 {
                let account = ACCOUNTS[pick(ACCOUNTS.len())];
                let region = DESTINATIONS[pick(DESTINATIONS.len())];
                let query = copy_query(&sources[account], region);
                match call(&agent, server, account, &query) {
                    Ok(Answer::Ok(body)) => {
                        let id = body["ImageId"].as_str().unwrap_or("").to_owned();
                        let shared = Shared {
                            account,
                            region,
                            id,
                        };
                        self.copies.lock().unwrap().push(shared);
                    }
                    other => self.wrong(format!("{query}: {other:?}")),
                }
                continue;
            }
            let copy = &hot[pick(hot.len())];
            let action = [Action::Cancel, Action::Complete, Action::Fail][pick(3)];
            let query = format!(
                "Action={}&RegionId={}&ImageId={}",
                action.name(),
                copy.region,
                copy.id
            );
            let sent = Instant::now();
            let answer = call(&agent, server, copy.account, &query);
            let answered = Instant::now();
            let seen = match answer {
                Ok(Answer::Ok(_)) if action == Action::Cancel => Seen::Done,
                Ok(Answer::Ok(body)) => {
                    let text = |field: &str| body[field].as_str().unwrap_or("").to_owned();
                    Seen::Shown(text("Status"), text("Progress"))
                }
                Ok(Answer::Refused(error)) if error != EcsError::ServiceUnavailable => {
                    Seen::Refused(error)
                }
                other => {
                    self.wrong(format!("{query}: {other:?}"));
                    continue;
                }
            };
            self.record(&copy.id, action, sent, answered, seen);
        }
    }

    fn record(&self, copy: &str, action: Action, sent: Instant, answered: Instant, seen: Seen) {
        let call = Call {
            action,
            sent,
            answered,
            seen,
        };
        let mut calls = self.calls.lock().unwrap();
        calls.entry(copy.to_owned()).or_default().push(call);
    }

    fn wrong(&self, what: String) {
        self.wrong.lock().unwrap().push(what);
    }

    /// The checker: while the workers run, DescribeImages of the newest
    /// copies of one account and region at a time, each listing recorded
    /// as a read of every copy it asked for. Returns how many it made.
    fn snapshot_copies(&self, servers: &[String]) -> usize {
        let agent = agent();
        let mut snapshots = 0;
        while !self.workers_done.load(Ordering::Acquire) {
            let hot: Vec<Shared> = {
                let copies = self.copies.lock().unwrap();
                copies.iter().rev().take(HOT).cloned().collect()
            };
            let Some(first) = hot.first() else {
                std::thread::yield_now();
                continue;
            };
            let ids: Vec<String> = (hot.iter())
                .filter(|copy| copy.account == first.account && copy.region == first.region)
                .map(|copy| copy.id.clone())
                .collect();
            let server = &servers[snapshots % servers.len()];
            let sent = Instant::now();
            let shown = describe(&agent, server, first.account, first.region, &ids);
            let answered = Instant::now();
            snapshots += 1;
            let mut shown = match shown {
                Ok(shown) => shown,
                Err(why) => {
                    self.wrong(why);
                    continue;
                }
            };
            for id in &ids {
                let seen = match shown.remove(id) {
                    Some((status, progress)) => Seen::Shown(status, progress),
                    None => Seen::Absent,
                };
                self.record(id, Action::Read, sent, answered, seen);
            }
        }
        snapshots
    }

    /// The workers and the checker, to their end.
    fn run(&self, servers: &[Server]) -> usize {
        let urls: Vec<String> = servers.iter().map(Server::url).collect();
        let agent = agent();
        let sources: HashMap<&str, String> = (ACCOUNTS.iter())
            .map(|&account| (account, create_source(&agent, &urls[0], account)))
            .collect();
        std::thread::scope(|scope| {
            let checker = scope.spawn(|| self.snapshot_copies(&urls));
            let workers: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let (urls, sources) = (&urls, &sources);
                    scope.spawn(move || self.work(urls, sources, thread))
                })
                .collect();
            for worker in workers {
                worker.join().unwrap();
            }
            self.workers_done.store(true, Ordering::Release);
            checker.join().unwrap()
        })
    }
}

/// Eight threads race copies, cancels, completions and failures over two
/// replicas, while a checker thread lists copies through either.
///
/// (a) Linearizability. With a copy limit no run reaches, every copy
/// starts when it is made, so each copy's life depends only on the calls
/// on that copy: the calls on one copy form one object's history. A
/// history is linearizable when one serial order of its calls, consistent
/// with their real-time order (a call answered before another was sent
/// comes first), explains every answer by the reference task
/// (`CopyTask`'s transitions, and the exact error of each transition it
/// refuses). Linearizability is local (Herlihy and Wing, 1990): a history
/// of many objects is linearizable exactly when each object's history is.
/// So each copy's calls are checked alone, by the search of Wing and
/// Gong, and together they stand for the whole run. A listing of several
/// copies counts as one read of each.
///
/// (b) The slots. With `--copy-limit 2`, copies of one account into one
/// region queue behind each other, and a copy that ends frees its slot
/// for the oldest queued one; so copies do depend on each other, and the
/// check is of the rule itself: no listing of one account's running
/// copies (`Status=Creating`: copying or finalizing; a queued copy shows
/// `Waiting`) ever shows more than 2, and at the end each account and
/// region runs exactly min(2, running + queued): no slot is left free
/// while a copy waits.
#[test]
fn concurrent_answers_are_linearizable_and_slots_hold() {
    let Some(servers) = replicas(2, &["--manual", "--copy-limit", "100000"]) else {
        return;
    };
    let race = Race {
        calls_per_thread: CALLS_PER_THREAD,
        ..Race::default()
    };
    let snapshots = race.run(&servers);
    let wrong = race.wrong.lock().unwrap();
    assert!(wrong.is_empty(), "answers no reference gives: {wrong:#?}");
    let calls = race.calls.lock().unwrap();
    let started = CopyTask::new().start().unwrap();
    let mut checked = 0;
    for (copy, calls) in calls.iter() {
        assert!(
            linearizable(started, calls),
            "copy {copy}: no serial order explains {calls:#?}"
        );
        checked += calls.len();
    }
    let copies = race.copies.lock().unwrap().len();
    // The calls did race: some on one copy overlapped in time.
    let overlapping = (calls.values())
        .map(|calls| {
            let changes: Vec<&Call> = calls.iter().filter(|c| c.action != Action::Read).collect();
            let pairs = changes
                .iter()
                .enumerate()
                .flat_map(|(i, a)| changes[i + 1..].iter().map(move |b| (a, b)));
            pairs
                .filter(|(a, b)| a.sent < b.answered && b.sent < a.answered)
                .count()
        })
        .sum::<usize>();
    eprintln!(
        "(a) {copies} copies, {checked} calls on them, {overlapping} pairs of changes overlapping, \
         {snapshots} listings: linearizable"
    );
    assert!(snapshots > 0 && overlapping > 0);
    drop(servers);

    slots_hold();
}

const LIMIT: usize = 2;

fn slots_hold() {
    let Some(servers) = replicas(2, &["--manual", "--copy-limit", "2"]) else {
        return;
    };
    let race = Race {
        calls_per_thread: 3 * CALLS_PER_THREAD,
        ..Race::default()
    };
    let urls: Vec<String> = servers.iter().map(Server::url).collect();
    let most_running = Mutex::new(BTreeMap::<(&str, &str), usize>::new());
    let over_limit = Mutex::new(Vec::new());
    let listings = std::thread::scope(|scope| {
        let checker = scope.spawn(|| {
            let agent = agent();
            let mut listings = 0;
            // Until the race ends, and at least once after it began.
            while listings == 0 || !race.workers_done.load(Ordering::Acquire) {
                for account in ACCOUNTS {
                    for region in DESTINATIONS {
                        let server = &urls[listings % urls.len()];
                        let running = running_and_queued(&agent, server, account, region).0;
                        listings += 1;
                        let mut most = most_running.lock().unwrap();
                        let most = most.entry((account, region)).or_default();
                        *most = (*most).max(running.len());
                        if running.len() > LIMIT {
                            over_limit.lock().unwrap().push((account, region, running));
                        }
                    }
                }
            }
            listings
        });
        race.run(&servers);
        checker.join().unwrap()
    });
    let wrong = race.wrong.lock().unwrap();
    assert!(wrong.is_empty(), "answers no reference gives: {wrong:#?}");
    let over_limit = over_limit.lock().unwrap();
    assert!(
        over_limit.is_empty(),
        "more than {LIMIT} running: {over_limit:#?}"
    );
    // The check could have failed: some account and region filled its
    // slots while the checker looked.
    let most_running = most_running.lock().unwrap();
    assert!(
        most_running.values().any(|&most| most == LIMIT),
        "{most_running:?}"
    );
    let agent = agent();
    for account in ACCOUNTS {
        for region in DESTINATIONS {
            let (running, queued) = running_and_queued(&agent, &urls[0], account, region);
            let expected = LIMIT.min(running.len() + queued.len());
            assert_eq!(
                running.len(),
                expected,
                "{account} in {region}: running {running:?}, queued {queued:?}"
            );
        }
    }
    eprintln!("(b) {listings} listings, the most running at once {most_running:?}");
}

/// The IDs of `account`'s running and queued copies in `region`, each from
/// one listing (one SQL statement, so one snapshot of the database).
fn running_and_queued(
    agent: &ureq::Agent,
    server: &str,
    account: &str,
    region: &str,
) -> (Vec<String>, Vec<String>) {
    let ids = |status: &str| -> Vec<String> {
        let query = format!("Action=DescribeImages&RegionId={region}&Status={status}&PageSize=100");
        let body = ok(agent, server, account, &query);
        let images = listed(&body);
        assert!(
            images.values().all(|(shown, _)| shown == status),
            "{images:?}"
        );
        // One answer, one state: the count and the page agree.
        assert_eq!(
            body["TotalCount"],
            images.len(),
            "{query} as {account}: {body}"
        );
        images.into_keys().collect()
    };
    (ids("Creating"), ids("Waiting"))
}

// ---------------------------------------------------------------------
// 3. A replica killed under load.

const LOADERS: usize = 6;
const COPIES_PER_LOADER: usize = 40;
/// Acknowledged copies before the kill.
const BEFORE_KILL: usize = 60;

/// Threads make copies (unique names, a client token each) through one
/// replica; `kill -9` of that replica mid-load sends them to the other,
/// which retries the call in flight with its token; afterwards every
/// acknowledged copy is there, through the survivor.
#[test]
fn kill_9_of_a_replica_loses_nothing_acknowledged() {
    let Some(mut servers) = replicas(2, &["--manual"]) else {
        return;
    };
    let survivor = servers.pop().unwrap();
    let victim = servers.pop().unwrap();
    let (victim_url, survivor_url) = (victim.url(), survivor.url());
    let agent = agent();
    let sources: HashMap<&str, String> = (ACCOUNTS.iter())
        .map(|&account| (account, create_source(&agent, &victim_url, account)))
        .collect();
    let (acks, acked) = mpsc::channel::<Ack>();
    let moved = std::thread::scope(|scope| {
        let loaders: Vec<_> = (0..LOADERS)
            .map(|thread| {
                let acks = acks.clone();
                let (sources, victim_url, survivor_url) = (&sources, &victim_url, &survivor_url);
                scope.spawn(move || {
                    let agent = self::agent();
                    let mut server = victim_url;
                    for i in 0..COPIES_PER_LOADER {
                        let account = ACCOUNTS[i % ACCOUNTS.len()];
                        let region = DESTINATIONS[thread % DESTINATIONS.len()];
                        let query = format!(
                            "{}&DestinationImageName=copy-{thread}-{i}&ClientToken=token-{thread}-{i}",
                            copy_query(&sources[account], region)
                        );
                        let answer = match call(&agent, server, account, &query) {
                            Err(_) if server == victim_url => {
                                server = survivor_url;
                                call(&agent, server, account, &query)
                            }
                            answer => answer,
                        };
                        let body = match answer {
                            Ok(Answer::Ok(body)) => body,
                            other => panic!("{query} at {server}: {other:?}"),
                        };
                        let id = body["ImageId"].as_str().unwrap().to_owned();
                        let ack = Ack {
                            account,
                            region,
                            id,
                            by_survivor: server == survivor_url,
                        };
                        if acks.send(ack).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(acks);
        let mut all = Vec::new();
        for ack in acked.iter() {
            all.push(ack);
            if all.len() == BEFORE_KILL {
                // SIGKILL: no shutdown, connections cut mid-request.
                victim_kill(&victim);
            }
        }
        for loader in loaders {
            loader.join().unwrap();
        }
        all
    });
    drop(victim);
    assert_eq!(moved.len(), LOADERS * COPIES_PER_LOADER);
    let by_survivor = moved.iter().filter(|ack| ack.by_survivor).count();
    assert!(
        by_survivor > 0 && by_survivor < moved.len(),
        "the kill came mid-load: {by_survivor} of {} through the survivor",
        moved.len()
    );
    let mut missing = Vec::new();
    for ack in &moved {
        let ids = std::slice::from_ref(&ack.id);
        let shown = describe(&agent, &survivor_url, ack.account, ack.region, ids);
        if !shown.is_ok_and(|shown| shown.contains_key(&ack.id)) {
            missing.push(ack);
        }
    }
    assert!(missing.is_empty(), "acknowledged, then lost: {missing:#?}");
    let distinct: HashSet<&String> = moved.iter().map(|ack| &ack.id).collect();
    assert_eq!(distinct.len(), moved.len(), "two copies were given one ID");
}

/// A copy acknowledged to a loader.
#[derive(Debug)]
struct Ack {
    account: &'static str,
    region: &'static str,
    id: String,
    /// Whether the survivor answered it.
    by_survivor: bool,
}

fn victim_kill(victim: &Server) {
    let status = Command::new("kill")
        .args(["-9", &victim.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The same CopyImage, with one client token, sent at once by eight
/// threads through two replicas, for several tokens: each token makes one
/// copy, and every answer names it.
#[test]
fn a_client_token_raced_over_two_replicas_makes_one_copy() {
    let Some(servers) = replicas(2, &["--manual"]) else {
        return;
    };
    let urls: Vec<String> = servers.iter().map(Server::url).collect();
    let source = create_source(&agent(), &urls[0], "alice");
    let tokens = 5;
    for token in 0..tokens {
        let query = format!(
            "{}&ClientToken=raced-{token}",
            copy_query(&source, DESTINATIONS[0])
        );
        let answers: Vec<String> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let (url, query) = (&urls[thread % urls.len()], &query);
                    scope.spawn(move || {
                        let body = ok(&agent(), url, "alice", query);
                        body["ImageId"].as_str().unwrap().to_owned()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(
            answers.iter().all(|id| *id == answers[0]),
            "{query}: {answers:?}"
        );
    }
    let query = format!(
        "Action=DescribeImages&RegionId={}&Status={ANY_STATUS}&PageSize=100",
        DESTINATIONS[0]
    );
    let copies = listed(&ok(&agent(), &urls[1], "alice", &query));
    assert_eq!(copies.len(), tokens, "{copies:?}");
}

// ---------------------------------------------------------------------
// 4. The database lost, and found again.

/// A PostgreSQL cluster of this test's own, stopped and removed when
/// dropped, however the test ends.
struct Cluster {
    dir: PathBuf,
    url: String,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!("ecs-replicas-lost-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let output = postgres_sh("start", &dir);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let url = stdout.lines().last().unwrap_or("").to_owned();
        Cluster { dir, url }
    }

    fn stop(&self) {
        postgres_sh("stop", &self.dir);
    }

    /// Starts the stopped cluster again on its own port, with the options
    /// it first started with (`pg_ctl restart` reads them back).
    fn start_again(&self) {
        let pg_ctl = postgres_program("pg_ctl");
        let script = r#"
            if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); else as=(); fi
            cd / && "${as[@]}" "$0" restart -w -t 120 -D "$1/data" -l "$1/postgres.log" >&2
        "#;
        let output = Command::new("bash")
            .args(["-c", script])
            .arg(&pg_ctl)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn postgres_sh(command: &str, dir: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/postgres.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(command)
        .arg(dir)
        .env("PG_SETTINGS", "-c fsync=off")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "postgres.sh {command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The database stops under a running server: its calls answer 503
/// `ServiceUnavailable` with the ECS error body, changing nothing; the
/// database comes back on the same port, and the same server answers
/// again, with everything it acknowledged before and after.
#[test]
fn a_lost_database_answers_503_then_recovers() {
    // Only to learn whether PostgreSQL can be had.
    if support::postgres::database().is_none() {
        return;
    }
    let cluster = Cluster::start();
    let server = Server::start(&["--store", &cluster.url, "--manual", "--quiet"]);
    let (client, url) = (agent(), server.url());
    let create = |name: &str| {
        let query = format!("Action=MockCreateImage&RegionId={SOURCE_REGION}&ImageName={name}");
        call(&client, &url, "alice", &query)
    };
    let list = || {
        let query = format!("Action=DescribeImages&RegionId={SOURCE_REGION}&PageSize=100");
        call(&client, &url, "alice", &query)
    };
    let mut acknowledged = HashMap::new();
    for name in ["before-1", "before-2"] {
        match create(name) {
            Ok(Answer::Ok(body)) => acknowledged.insert(body["ImageId"].to_string(), name),
            other => panic!("{name}: {other:?}"),
        };
    }

    cluster.stop();
    for answer in [create("during"), list(), create("during")] {
        assert!(
            matches!(answer, Ok(Answer::Refused(EcsError::ServiceUnavailable))),
            "{answer:?}"
        );
    }
    // A request the reader refuses needs no database: its own error still.
    let versionless = format!("{url}?Action=DescribeRegions&Format=JSON");
    let mut refused = client.get(&versionless).call().expect("an answer");
    let body = refused.body_mut().read_to_string().expect("a body");
    let missing = EcsError::MissingVersion;
    assert_eq!(refused.status().as_u16(), missing.status(), "{body}");
    assert!(
        body.contains(&format!(r#""Code":"{}""#, missing.code())),
        "{body}"
    );

    cluster.start_again();
    // The first call after: the pool connects again by itself.
    for name in ["during", "after"] {
        match create(name) {
            Ok(Answer::Ok(body)) => acknowledged.insert(body["ImageId"].to_string(), name),
            other => panic!("{name}: {other:?}"),
        };
    }
    let Ok(Answer::Ok(body)) = list() else {
        panic!("DescribeImages after the database came back");
    };
    let images = body["Images"]["Image"].as_array().unwrap();
    let found: HashMap<String, &str> = (images.iter())
        .map(|image| {
            (
                image["ImageId"].to_string(),
                image["ImageName"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: HashMap<String, &str> = acknowledged.into_iter().collect();
    assert_eq!(found, expected);

    // Again under load: threads keep making images while the database
    // goes and comes back.
    let acknowledged = outage_under_load(&cluster, &url);
    let mut missing = Vec::new();
    for ids in acknowledged.chunks(50) {
        let shown = describe(&client, &url, "bob", SOURCE_REGION, ids).unwrap();
        missing.extend(ids.iter().filter(|id| !shown.contains_key(*id)));
    }
    assert!(missing.is_empty(), "acknowledged, then lost: {missing:?}");
}

const OUTAGE_LOADERS: usize = 3;
/// Images acknowledged before the database stops, and after it is back.
const ACKS_AROUND_OUTAGE: usize = 10;

/// What a loader saw.
enum Event {
    Acknowledged(String),
    Unavailable,
}

/// Loaders make images through the server at `url` as `bob` while the
/// database stops, every loader is refused with 503, and the database
/// starts again; returns every image acknowledged.
fn outage_under_load(cluster: &Cluster, url: &str) -> Vec<String> {
    let stop = AtomicBool::new(false);
    let (events, received) = mpsc::channel();
    std::thread::scope(|scope| {
        for thread in 0..OUTAGE_LOADERS {
            let (events, stop) = (events.clone(), &stop);
            scope.spawn(move || {
                let agent = agent();
                for i in 0.. {
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    let query = format!(
                        "Action=MockCreateImage&RegionId={SOURCE_REGION}&ImageName=load-{thread}-{i}"
                    );
                    let event = match call(&agent, url, "bob", &query) {
                        Ok(Answer::Ok(body)) => {
                            Event::Acknowledged(body["ImageId"].as_str().unwrap().to_owned())
                        }
                        Ok(Answer::Refused(EcsError::ServiceUnavailable)) => Event::Unavailable,
                        other => panic!("{query}: {other:?}"),
                    };
                    if events.send(event).is_err() {
                        return;
                    }
                }
            });
        }
        drop(events);
        let mut acknowledged = Vec::new();
        let mut until = |acks: usize, refusals: usize| {
            let (mut acked, mut refused) = (0, 0);
            while acked < acks || refused < refusals {
                match received.recv().expect("the loaders run until stopped") {
                    Event::Acknowledged(id) => {
                        acknowledged.push(id);
                        acked += 1;
                    }
                    Event::Unavailable => refused += 1,
                }
            }
        };
        until(ACKS_AROUND_OUTAGE, 0);
        cluster.stop();
        until(0, OUTAGE_LOADERS);
        cluster.start_again();
        until(ACKS_AROUND_OUTAGE, 0);
        stop.store(true, Ordering::Release);
        for event in received.iter() {
            if let Event::Acknowledged(id) = event {
                acknowledged.push(id);
            }
        }
        acknowledged
    })
}
