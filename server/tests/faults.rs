//! Fault injection: `kill -9` at random points of many acknowledged
//! changes from several clients, some while a compaction is being written,
//! each restart checked against an exact model of what every client was
//! told:
//! - acknowledged: must have happened, and must survive;
//! - an error: must not have happened;
//! - no answer (the kill cut it off): may or may not have happened; the
//!   restarted server's state tells which, and the model follows it.
//!
//! Bounded for CI: a few kills, a fixed seed, a few seconds. The long mode,
//! `ECS_MOCK_FAULTS=long`, makes 100 kills with 8 clients and prints its
//! figures (`cargo test -p ecs-mock-server --release --test faults --
//! --nocapture`).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ecs_image_copy::{Timestamp, World};
use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::Value;
use support::Server;

const REGION: &str = "cn-hangzhou";

/// How long the harness waits for the server to do what it always does
/// soon: an upper bound that only a broken server reaches.
const PATIENCE: Duration = Duration::from_secs(120);

struct Settings {
    kills: usize,
    clients: usize,
    /// Acknowledged changes between two kills, at most.
    changes: usize,
    /// Images of another account, so that a snapshot takes a while to
    /// write and a kill can land in one.
    ballast: usize,
    compact_every: usize,
}

fn settings() -> Settings {
    match std::env::var("ECS_MOCK_FAULTS").as_deref() {
        Ok("long") => Settings {
            kills: 100,
            clients: 8,
            changes: 3_000,
            ballast: 50_000,
            compact_every: 500,
        },
        _ => Settings {
            kills: 4,
            clients: 4,
            changes: 300,
            ballast: 20_000,
            compact_every: 100,
        },
    }
}

/// One image of a client, as the server must show it.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Image {
    id: String,
    description: String,
}

/// A change that got no answer: the image named `name` is now `before`
/// or `after`.
#[derive(Debug)]
struct Unanswered {
    name: String,
    before: Option<Image>,
    after: Option<Image>,
}

/// One client: an account of its own, so that what it was told decides
/// exactly what its images must be.
struct Client {
    account: String,
    rng: TestRng,
    /// Its images by name: every change to them was acknowledged.
    images: BTreeMap<String, Image>,
    unanswered: Option<Unanswered>,
    next: usize,
}

/// What one request was answered.
enum Outcome {
    Acknowledged(Value),
    Refused(u16, Value),
    NoAnswer,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

fn call(agent: &ureq::Agent, url: &str, account: &str, query: &str) -> Outcome {
    let url = format!(
        "{url}?Version=2014-05-26&Format=JSON&AccessKeyId={account}&RegionId={REGION}&{query}"
    );
    let Ok(mut response) = agent.get(&url).call() else {
        return Outcome::NoAnswer;
    };
    let status = response.status().as_u16();
    let Ok(body) = response.body_mut().read_to_string() else {
        return Outcome::NoAnswer;
    };
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    match status {
        200 => Outcome::Acknowledged(body),
        _ => Outcome::Refused(status, body),
    }
}

impl Client {
    fn new(number: usize, seed: u64) -> Client {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..16].copy_from_slice(&(number as u64).to_le_bytes());
        Client {
            account: format!("client-{number}"),
            rng: TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
            images: BTreeMap::new(),
            unanswered: None,
            next: 0,
        }
    }

    /// Changes images until a request gets no answer.
    fn run(&mut self, url: &str, acknowledged: &AtomicUsize) {
        let agent = agent();
        while self.unanswered.is_none() {
            self.next += 1;
            let (name, query, after) = self.choose();
            let before = self.images.get(&name).cloned();
            match call(&agent, url, &self.account, &query) {
                Outcome::Acknowledged(body) => {
                    let after = after.map(|image| Image {
                        id: body["ImageId"].as_str().map_or(image.id, str::to_owned),
                        ..image
                    });
                    match after {
                        Some(image) => self.images.insert(name, image),
                        None => self.images.remove(&name),
                    };
                    acknowledged.fetch_add(1, Ordering::Relaxed);
                }
                // Refused: nothing happened. The model only asks for changes
                // that succeed, so only a server that cannot take changes
                // may refuse one.
                Outcome::Refused(status, body) => {
                    assert_eq!(
                        body["Code"], "ServiceUnavailable",
                        "{status} {query}: {body}"
                    );
                }
                Outcome::NoAnswer => {
                    let after = after.map(|image| Image {
                        id: String::new(),
                        ..image
                    });
                    self.unanswered = Some(Unanswered {
                        name,
                        before,
                        after,
                    });
                }
            }
        }
    }

    /// The next change: the image's name, the query, and the image after
    /// it (its ID, for a create, comes with the answer).
    fn choose(&mut self) -> (String, String, Option<Image>) {
        let count = self.images.len();
        let pick = self.rng.random_range(0..4);
        if count < 5 || (count < 40 && pick < 2) {
            let name = format!("image-{}", self.next);
            let query = format!("Action=MockCreateImage&ImageName={name}");
            let image = Image {
                id: String::new(),
                description: String::new(),
            };
            return (name, query, Some(image));
        }
        let at = self.rng.random_range(0..count);
        let (name, image) = self.images.iter().nth(at).unwrap();
        let (name, image) = (name.clone(), image.clone());
        if count < 40 && pick == 2 {
            let description = format!("described-{}", self.next);
            let query = format!(
                "Action=ModifyImageAttribute&ImageId={}&Description={description}",
                image.id
            );
            (
                name,
                query,
                Some(Image {
                    description,
                    ..image
                }),
            )
        } else {
            let query = format!("Action=DeleteImage&ImageId={}", image.id);
            (name, query, None)
        }
    }

    /// Checks the restarted server against the model: first the change
    /// that got no answer is settled by what the server shows (either
    /// outcome is right), then every image must be as acknowledged.
    fn check(&mut self, url: &str) -> Settled {
        let shown = self.shown(url);
        let mut settled = Settled::default();
        if let Some(Unanswered {
            name,
            before,
            after,
        }) = self.unanswered.take()
        {
            let now = shown.get(&name).cloned();
            let same = |image: &Option<Image>| match (image, &now) {
                // A create that got no answer: any ID is its own.
                (Some(expected), Some(found)) if expected.id.is_empty() => {
                    expected.description == found.description
                }
                (expected, found) => expected == found,
            };
            let happened = same(&after);
            assert!(
                happened || same(&before),
                "{}: {name} is {now:?}, neither {before:?} nor {after:?}",
                self.account
            );
            settled.happened += usize::from(happened && after != before);
            settled.unanswered += 1;
            match now {
                Some(image) => self.images.insert(name, image),
                None => self.images.remove(&name),
            };
        }
        assert_eq!(shown, self.images, "{}: what it was told", self.account);
        settled
    }

    /// The client's images as the server shows them, by name.
    fn shown(&self, url: &str) -> BTreeMap<String, Image> {
        let query = "Action=DescribeImages&PageSize=100";
        let Outcome::Acknowledged(body) = call(&agent(), url, &self.account, query) else {
            panic!("{}: DescribeImages failed", self.account);
        };
        let images = body["Images"]["Image"].as_array().unwrap();
        assert!(images.len() < 100, "more than a page");
        let field = |image: &Value, name: &str| image[name].as_str().unwrap_or("").to_owned();
        images
            .iter()
            .map(|image| {
                let shown = Image {
                    id: field(image, "ImageId"),
                    description: field(image, "Description"),
                };
                (field(image, "ImageName"), shown)
            })
            .collect()
    }
}

#[derive(Default)]
struct Settled {
    unanswered: usize,
    happened: usize,
}

fn state_file() -> PathBuf {
    let name = format!("ecs-image-copy-{}-faults", std::process::id());
    let directory = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory.join("world.json")
}

/// A world of `count` images of an account no client is, as the library
/// writes it: the server's first state.
fn write_ballast(state: &Path, count: usize) {
    let mut world = World::default();
    let now = Timestamp::from_unix_seconds(1_795_780_800);
    for n in 0..count {
        world
            .create_image("ballast", REGION, &format!("ballast-{n}"), now)
            .unwrap();
    }
    std::fs::write(state, serde_json::to_vec(&world).unwrap()).unwrap();
}

/// Whether a compaction is under way in the files: its snapshot being
/// written, or its older journals not yet deleted.
fn compacting(state: &Path) -> bool {
    let directory = state.parent().unwrap();
    let names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let journals = names.iter().filter(|n| n.contains(".journal-")).count();
    names.iter().any(|n| n.ends_with(".writing")) || journals > 1
}

#[test]
fn nothing_acknowledged_is_lost_to_kills_at_random_points() {
    let settings = settings();
    let state = state_file();
    write_ballast(&state, settings.ballast);
    let compact_every = settings.compact_every.to_string();
    let args = [
        "--manual",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        "--compact-every",
        &compact_every,
    ];
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut clients: Vec<Client> = (0..settings.clients)
        .map(|number| Client::new(number, 0x5eed))
        .collect();
    let started = Instant::now();
    let (mut acknowledged, mut during_compaction, mut restarts) = (0, 0, Duration::ZERO);
    let mut settled = Settled::default();
    let mut server = Server::start(&args);
    for kill in 0..settings.kills {
        let url = server.url();
        let target = rng.random_range(settings.changes / 10..=settings.changes);
        // Every other kill waits for a compaction to be under way.
        let in_compaction = kill % 2 == 1;
        let count = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for client in &mut clients {
                let (url, count) = (&url, &count);
                scope.spawn(move || client.run(url, count));
            }
            let deadline = Instant::now() + PATIENCE;
            while count.load(Ordering::Relaxed) < target || (in_compaction && !compacting(&state)) {
                assert!(Instant::now() < deadline, "no progress: the server hangs");
                std::thread::yield_now();
            }
            server.kill();
        });
        acknowledged += count.load(Ordering::Relaxed);
        during_compaction += usize::from(compacting(&state));
        let restarting = Instant::now();
        server = Server::start(&args);
        restarts += restarting.elapsed();
        for client in &mut clients {
            let found = client.check(&server.url());
            settled.unanswered += found.unanswered;
            settled.happened += found.happened;
        }
    }
    drop(server);
    println!(
        "{} kills ({during_compaction} during a compaction), {} clients, {acknowledged} \
         acknowledged changes kept, {} unanswered ({} of them happened), {} ms in all, \
         {} ms restarting, {} ballast images, compaction every {} changes",
        settings.kills,
        settings.clients,
        settled.unanswered,
        settled.happened,
        started.elapsed().as_millis(),
        restarts.as_millis(),
        settings.ballast,
        settings.compact_every,
    );
    // Half the kills waited for a compaction; one may have ended between
    // the look and the kill, but not every one.
    assert!(during_compaction >= 1, "no kill landed in a compaction");
    assert!(acknowledged >= settings.kills * settings.changes / 10);
    let _ = std::fs::remove_dir_all(state.parent().unwrap());
}
