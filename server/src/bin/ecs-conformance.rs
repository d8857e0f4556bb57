//! Checks any ECS image-copy endpoint, in any language, against the
//! reference semantics: `ecs-conformance --endpoint URL --start CMD`;
//! replicas of one service: `--endpoint URL1 --endpoint URL2 ...`.
//! See docs/testing.md, "Checking an endpoint".

use std::error::Error;
use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitCode, Stdio};
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use ecs_image_copy::Config;
use ecs_image_copy::rpc::signature::{percent_encode, sign_v1, string_to_sign_v1};
use ecs_image_copy::testing::{
    Conformance, CopyService, Reply, Rule, Runs, Setup, Step, parse_reply, request_query,
};
use percent_encoding::percent_decode_str;

/// Checks an ECS image-copy endpoint against the reference semantics.
///
/// Runs generated sequences of the public actions and the Mock* control
/// actions against the endpoint and against the reference, compares every
/// answer, and on the first difference prints the shrunk counterexample and
/// exits 1. Exits 0 with a short coverage summary when the endpoint
/// conforms on every run, 2 on a bad flag or an endpoint that cannot be
/// started or reset.
///
/// Every run starts from an empty world: give --start (a fresh process
/// per run) or --reset-url (a reset the endpoint offers).
#[derive(Parser, Debug)]
#[command(version, after_long_help = AFTER_HELP)]
struct Args {
    /// The endpoint's URL, as `http://HOST:PORT/`; requests are GETs of it
    /// with the action's query. Repeatable, for replicas of one service
    /// (servers sharing one database): the steps of a run then go to the
    /// endpoints in turn, the first step to the first endpoint, so that
    /// every step's state was written through another replica.
    #[arg(long = "endpoint", value_name = "URL", required = true)]
    endpoints: Vec<String>,
    /// Before each run, start `sh -c CMD` (in its own process group, its
    /// output discarded: redirect it in CMD to keep it) and
    /// wait until every endpoint's address accepts connections; after the
    /// run, kill the group and wait until the addresses refuse them.
    #[arg(
        long,
        value_name = "CMD",
        conflicts_with = "reset_url",
        required_unless_present = "reset_url"
    )]
    start: Option<String>,
    /// Before each run, POST to this URL, which must answer 2xx once the
    /// endpoint has forgotten every image, copy, share and tag.
    #[arg(long, value_name = "URL")]
    reset_url: Option<String>,
    /// How many runs must conform.
    #[arg(long, value_name = "N", default_value_t = 256)]
    cases: u32,
    /// The seed of the runs: the same seed gives the same runs.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// The most steps a run has.
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_steps: usize,
    /// Copies each account runs at once in each region, as the endpoint is
    /// configured (the mock server's --copy-limit).
    #[arg(long, value_name = "N", default_value = "2")]
    copy_limit: std::num::NonZeroU32,
    /// Sign every request (signature V1) with this access key, which acts as
    /// ACCOUNT (repeatable; the runs' accounts are then the keys'
    /// accounts). Without --key, requests are unsigned and the access key ID
    /// is the account's name, as an endpoint without authentication takes
    /// it; the accounts are `alice` and `bob`.
    #[arg(long = "key", value_name = "ID:SECRET:ACCOUNT")]
    keys: Vec<AccessKey>,
    /// Milliseconds to wait for a started endpoint to accept connections,
    /// and for any one answer.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    timeout_ms: u64,
}

const AFTER_HELP: &str = "\
What the endpoint must be:
  - the regions of the mock server's default config (cn-hangzhou,
    cn-beijing, ... as DescribeRegions lists them), each with --copy-limit
    copies at once per account;
  - copies move only through the Mock* control actions (the mock server's
    --manual), and the Mock* actions are served;
  - the JSON answers of docs/mock-server.md (Format=JSON).

Examples:
  ecs-conformance --endpoint http://127.0.0.1:18080/ \\
    --start 'ecs-mock-server --manual --quiet --copy-limit 2 --listen 127.0.0.1:18080'
  ecs-conformance --endpoint http://127.0.0.1:18080/ --key ak1:s1:alice --key ak2:s2:bob \\
    --start 'ecs-mock-server --manual --quiet --copy-limit 2 --listen 127.0.0.1:18080 \\
             --auth --key ak1:s1:alice --key ak2:s2:bob'
  ecs-conformance --endpoint http://127.0.0.1:9000/ --reset-url http://127.0.0.1:9000/reset
  ecs-conformance --endpoint http://127.0.0.1:18081/ --endpoint http://127.0.0.1:18082/ \\
    --start './start-two-replicas-on-a-fresh-database.sh'

Output: on standard output, the coverage summary (exit 0) or the
counterexample (exit 1), whose seed finds it again with --seed.";

/// An access key given as `ID:SECRET:ACCOUNT`.
#[derive(Clone, Debug)]
struct AccessKey {
    id: String,
    secret: String,
    account: String,
}

impl FromStr for AccessKey {
    type Err = String;

    fn from_str(text: &str) -> Result<AccessKey, String> {
        let mut parts = text.splitn(3, ':').map(str::to_owned);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(secret), Some(account))
                if !id.is_empty() && !secret.is_empty() && !account.is_empty() =>
            {
                Ok(AccessKey {
                    id,
                    secret,
                    account,
                })
            }
            _ => Err("expected ID:SECRET:ACCOUNT".to_owned()),
        }
    }
}

/// How each run gets an empty endpoint.
#[derive(Debug)]
enum Reset {
    Start(String),
    Url(String),
}

/// Everything the runs share: the harness starts systems through
/// `CopyService::start`, which takes only the config.
#[derive(Debug)]
struct Plan {
    /// The endpoints, and their addresses, in the order steps go to them.
    endpoints: Vec<(String, SocketAddr)>,
    reset: Reset,
    keys: Vec<AccessKey>,
    accounts: &'static [&'static str],
    config: Config,
    timeout: Duration,
    agent: ureq::Agent,
}

static PLAN: OnceLock<Plan> = OnceLock::new();

impl Plan {
    fn addresses(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.endpoints.iter().map(|(_, address)| *address)
    }
}

fn plan() -> &'static Plan {
    PLAN.get().expect("the plan is set before the runs")
}

/// The reference's world: the endpoint's config and accounts.
#[derive(Debug)]
struct Configured;

impl Setup for Configured {
    fn config() -> Config {
        plan().config.clone()
    }

    fn accounts() -> &'static [&'static str] {
        plan().accounts
    }
}

/// The endpoint for one run: the process started for it, if any.
#[derive(Debug)]
struct Remote {
    process: Option<Child>,
    /// Steps sent so far: the next goes to endpoint `sent % endpoints`.
    sent: usize,
    /// Why the endpoint could not be started or reset for this run.
    broken: Option<String>,
}

impl CopyService for Remote {
    fn start(_: &Config) -> Remote {
        let plan = plan();
        let mut remote = Remote {
            process: None,
            sent: 0,
            broken: None,
        };
        let started = match &plan.reset {
            Reset::Start(command) => start(command, plan).map(|child| remote.process = Some(child)),
            Reset::Url(url) => reset(url, plan),
        };
        remote.broken = started.err();
        remote
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        if let Some(why) = &self.broken {
            return no_answer("<not started>", why.clone());
        }
        let plan = plan();
        let query = match plan.keys.iter().find(|key| key.account == step.account) {
            Some(key) => signed_query(step, key),
            None => request_query(step),
        };
        let (endpoint, _) = &plan.endpoints[self.sent % plan.endpoints.len()];
        self.sent += 1;
        let url = format!("{endpoint}?{query}");
        match plan.agent.get(&url).call() {
            Ok(mut response) => {
                let status = response.status().as_u16();
                match response.body_mut().read_to_vec() {
                    Ok(body) => parse_reply(step, status, &body),
                    Err(error) => no_answer("<no body>", error.to_string()),
                }
            }
            Err(error) => no_answer("<no answer>", error.to_string()),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(child) = &mut self.process {
            stop(child, plan());
        }
    }
}

/// What a system that did not answer is said to answer: status 0, so that
/// the run stops there as at any other difference.
fn no_answer(code: &str, message: String) -> Reply<String> {
    Reply::Error {
        status: 0,
        code: code.to_owned(),
        message,
    }
}

/// Starts `command` and waits until the endpoint accepts connections.
fn start(command: &str, plan: &Plan) -> Result<Child, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|error| format!("cannot run `{command}`: {error}"))?;
    let deadline = Instant::now() + plan.timeout;
    while let Some(address) = plan.addresses().find(|address| !accepts(*address)) {
        let exited = child.try_wait().ok().flatten();
        if let Some(status) = exited {
            return Err(format!(
                "`{command}` exited ({status}) before {address} accepted connections"
            ));
        }
        if Instant::now() > deadline {
            stop(&mut child, plan);
            return Err(format!(
                "{address} accepted no connection within {:?} of `{command}`",
                plan.timeout
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(child)
}

/// Kills the process group of `child` and waits until its addresses are
/// free, so that the next run's processes can listen there.
fn stop(child: &mut Child, plan: &Plan) {
    if let Ok(group) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a process group ID only sends a signal.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
    let _ = child.wait();
    let deadline = Instant::now() + plan.timeout;
    while plan.addresses().any(accepts) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn accepts(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
}

/// Asks the endpoint to forget everything.
fn reset(url: &str, plan: &Plan) -> Result<(), String> {
    let response = plan.agent.post(url).send_empty();
    match response {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("POST {url} answered {}", response.status())),
        Err(error) => Err(format!("POST {url}: {error}")),
    }
}

/// The query of `step` signed with signature V1 by `key`.
fn signed_query(step: &Step<String>, key: &AccessKey) -> String {
    static NONCES: AtomicU64 = AtomicU64::new(0);
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    let unsigned = request_query(step);
    let mut params: Vec<(String, String)> = (unsigned.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .filter(|(name, _)| name != "AccessKeyId")
        .collect();
    let now = SystemTime::now();
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let nonce = format!(
        "{}-{}-{}",
        std::process::id(),
        since_epoch.as_nanos(),
        NONCES.fetch_add(1, Ordering::Relaxed)
    );
    params.extend([
        ("AccessKeyId".to_owned(), key.id.clone()),
        ("SignatureMethod".to_owned(), "HMAC-SHA1".to_owned()),
        ("SignatureVersion".to_owned(), "1.0".to_owned()),
        ("SignatureNonce".to_owned(), nonce),
        (
            "Timestamp".to_owned(),
            humantime::format_rfc3339_seconds(now).to_string(),
        ),
    ]);
    let pairs = params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    let signature = sign_v1(&key.secret, &string_to_sign_v1("GET", pairs));
    params.push(("Signature".to_owned(), signature));
    let encoded: Vec<String> = (params.iter())
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect();
    encoded.join("&")
}

/// The address an endpoint URL names.
fn address_of(endpoint: &str) -> Result<SocketAddr, String> {
    let bad = |why: &dyn fmt::Display| format!("--endpoint {endpoint}: {why}");
    let uri: ureq::http::Uri = endpoint.parse().map_err(|error| bad(&error))?;
    if uri.scheme_str() != Some("http") {
        return Err(bad(&"only http:// URLs are supported"));
    }
    let host = uri.host().ok_or_else(|| bad(&"no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let mut addresses = (host, port)
        .to_socket_addrs()
        .map_err(|error| bad(&error))?;
    addresses.next().ok_or_else(|| bad(&"no address"))
}

/// What a conforming endpoint's runs reached, in a few lines.
struct Summary<'a>(&'a ecs_image_copy::testing::Coverage);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let coverage = self.0;
        let all = Rule::all().count();
        let missed = coverage.below(1);
        writeln!(
            f,
            "the endpoint conforms: {} runs, {} steps, {} of {all} rules reached",
            coverage.runs(),
            coverage.steps(),
            all - missed.len(),
        )?;
        for rule in missed {
            writeln!(f, "  never reached: {rule}")?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(error) = set_plan(&args) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    // One trial start: a command or reset that cannot work is a usage
    // error, not a counterexample.
    if let Some(why) = &Remote::start(&Configured::config()).broken {
        eprintln!("error: {why}");
        return ExitCode::from(2);
    }
    let runs = Runs::default()
        .cases(args.cases)
        .seed(args.seed)
        .max_steps(args.max_steps);
    match Conformance::<Remote, Configured>::run(runs) {
        Ok(coverage) => {
            print!("{}", Summary(&coverage));
            ExitCode::SUCCESS
        }
        Err(counterexample) => {
            println!("{counterexample}");
            ExitCode::FAILURE
        }
    }
}

fn set_plan(args: &Args) -> Result<(), Box<dyn Error>> {
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let accounts: Vec<&'static str> = match args.keys.is_empty() {
        true => vec!["alice", "bob"],
        false => (args.keys.iter())
            .map(|key| &*String::leak(key.account.clone()))
            .collect(),
    };
    let reset = match (&args.start, &args.reset_url) {
        (Some(command), _) => Reset::Start(command.clone()),
        (None, Some(url)) => Reset::Url(url.clone()),
        (None, None) => return Err("give --start CMD or --reset-url URL".into()),
    };
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let endpoints = (args.endpoints.iter())
        .map(|endpoint| Ok((endpoint.clone(), address_of(endpoint)?)))
        .collect::<Result<_, String>>()?;
    let plan = Plan {
        endpoints,
        reset,
        keys: args.keys.clone(),
        accounts: Vec::leak(accounts),
        config: Config::default().with_copy_limit(args.copy_limit),
        timeout,
        agent,
    };
    PLAN.set(plan).map_err(|_| "the plan is set once")?;
    Ok(())
}
