//! `world_1m`: the service model holding 1,000,000 images.
//!
//! The world (13 default regions, 5 copies at once each, 100 accounts) is
//! built once, untimed, by [`population::build`]: mostly ordinary images,
//! plus copies in every phase (queued, copying at various progress,
//! finalizing, completed, failed). `examples/world_memory.rs` builds the
//! same world to count its bytes. Every pseudo-random choice comes from a
//! fixed xorshift sequence, so every run measures the same world.
//!
//! - `cancel`: CancelCopyImage on a random cancellable copy (queued or
//!   copying), then CopyImage of the same source into the same region, so
//!   the population stays as it was. Both calls are timed, in batches of
//!   distinct copies (`iter_batched`). The untimed setup copies what the
//!   two requests name (caller, regions, IDs) out of the pool into a
//!   [`Request`], as a server has them in the request it has just read,
//!   and writes the previous batch's new IDs as text for later requests.
//! - `cancel_only`: the same cancel, with the restore done untimed in the
//!   setup of the next batch.
//! - `describe_by_id`: DescribeImages naming one random existing image,
//!   every status admitted.
//! - `copy_image`: CopyImage of a random ordinary image into another region,
//!   without a name (the copy is queued); only the call is timed, and the
//!   copy is cancelled untimed in the next setup.
//! - `delete_image`: DeleteImage of a random completed copy. The next
//!   setup makes another completed copy in its place, untimed: a copy by an
//!   account of its own (`account-restorer`, with one image per region made
//!   for it) into the same region, which starts at once, as the restorer's
//!   slots are free, and is completed at once.
//! - `tag_resources`: TagResources of one random ordinary image with one
//!   tag; the next setup removes the tag, untimed, so the image has none
//!   again.
//! - `baseline_hashmap_delete`, `baseline_hashmap_tag`: `baseline_hashmap`
//!   again, each right before the function its name ends with.
//! - `baseline_hashmap`: the floor the goals name: a `HashMap<ImageId, _>`
//!   of 1,000,000 entries of 80 bytes (the model's image and its key, as
//!   the model's image table was a hash map once), hashed with SipHash; a
//!   lookup of a random key, then remove it and insert a fresh key
//!   (cancel, restore). Unchanged since the first draft, so runs compare.
//! - `baseline_issued`: the same with a one-multiply hasher (a copy of
//!   `IssuedHasher` in `src/service/world/hash.rs`, which the model's image table used
//!   before it became a vector of slots that hashes nothing).
//!
//! `listing_300k`: DescribeImages of an account holding 300,000 images in
//! one region (all `Available`, none shared), no other filter:
//! - `first_page`: the newest ten, as a console or a poller asks first.
//! - `deep_page`: the ten on page 20,000 of 30,000, as a client walking
//!   every page reaches.
//! - `baseline_btree_first`, `baseline_btree_deep`: the floors: the ten
//!   newest, and the ten at the deep page's depth, of a `BTreeMap<u64, u64>`
//!   of 300,000 entries, by a reverse range from a known key (what an
//!   ordered index at least costs; finding the key of a depth is extra).
//!
//! Every call's answer is checked, so no error path is measured.
//! `docs/performance.md` records the run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::hint::black_box;
use std::time::Duration;

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ecs_image_copy::{
    CancelCopyImage, Config, CopyImage, CopyPhase, DeleteImage, DeleteSnapshot, DescribeImages,
    ImageId, Tag, TagResources, UntagResources,
};

use population::{Population, REGIONS, Rng};

/// The statuses DescribeImages is asked for: all of them.
const ALL_STATUSES: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

/// How many calls `cancel`, `cancel_only` and `copy_image` time per batch;
/// their untimed setup then restores or cancels that many. Small, so that
/// a batch's requests, built untimed and read by reference, stay near the
/// cache as a request a server has just parsed does.
const BATCH: u64 = 100;

/// The world of the benchmark, and what it needs to pick requests.
pub mod population {
    use std::fmt::Write as _;

    use ecs_image_copy::{Config, CopyImage, CopyPhase, ImageId, Percent, Timestamp, World};

    /// Images in the world, copies included.
    pub const IMAGES: usize = 1_000_000;
    /// Accounts owning them.
    pub const ACCOUNTS: usize = 100;
    /// The default regions.
    pub const REGIONS: usize = Config::DEFAULT_REGIONS.len();
    /// Completed copies per destination region (named).
    pub const COMPLETED: usize = 3_000;
    /// Copies per region that failed while copying, at various progress.
    pub const FAILED_COPYING: usize = 750;
    /// Copies per region that failed while still queued.
    pub const FAILED_QUEUED: usize = 750;
    /// Copies per region still waiting for a slot: more than the limit.
    pub const QUEUED: usize = 1_500;
    /// The region's five slots: two finalizing, one copying that may not be
    /// cancelled, two copying that may.
    pub const FINALIZING: usize = 2;
    /// Copies per region running and not cancellable.
    pub const PINNED: usize = 1;
    /// Copies per region running and cancellable.
    pub const COPYING: usize = 2;
    /// Copies in the world.
    pub const COPIES: usize = REGIONS
        * (COMPLETED + FAILED_COPYING + FAILED_QUEUED + QUEUED + FINALIZING + PINNED + COPYING);
    /// Images that are no copy.
    pub const ORDINARY: usize = IMAGES - COPIES;

    /// The time of every call: a fixed second, as the model reads no clock.
    pub fn at(second: u64) -> Timestamp {
        Timestamp::from_unix_seconds(1_795_000_000 + second)
    }

    /// A tiny xorshift64* sequence: the same numbers on every run.
    #[derive(Clone, Debug)]
    pub struct Rng(u64);

    impl Rng {
        /// The sequence from `seed` (not zero).
        pub fn new(seed: u64) -> Rng {
            Rng(seed | 1)
        }

        /// The next number.
        pub fn next_u64(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// A number in `0..n`, for `n` below 2^32.
        pub fn below(&mut self, n: usize) -> usize {
            (((self.next_u64() >> 32) * n as u64) >> 32) as usize
        }
    }

    /// An image and where it is: its owner (an index into `accounts`) and
    /// its region (an index into `Config::DEFAULT_REGIONS`).
    #[derive(Clone, Copy, Debug)]
    pub struct Placed {
        /// Index into [`Population::accounts`].
        pub owner: u32,
        /// Index into `Config::DEFAULT_REGIONS`.
        pub region: u32,
        /// The image.
        pub id: ImageId,
    }

    /// A cancellable copy, and how to make it again.
    #[derive(Clone, Debug)]
    pub struct CopyEntry {
        /// Index into [`Population::accounts`].
        pub owner: u32,
        /// The source's region.
        pub source_region: u32,
        /// The copy's region.
        pub destination: u32,
        /// The source image's ID.
        pub source: ImageId,
        /// The copy's ID.
        pub id: ImageId,
    }

    /// The world and the bookkeeping the benchmark picks requests from.
    pub struct Population {
        /// The world itself.
        pub world: World,
        /// Account names.
        pub accounts: Vec<String>,
        /// Every ordinary image.
        pub ordinary: Vec<Placed>,
        /// Every copy that is never cancelled: completed, failed,
        /// finalizing, and copying but not cancellable.
        pub settled: Vec<Placed>,
        /// Every cancellable copy: queued or copying.
        pub cancellable: Vec<CopyEntry>,
    }

    fn percent(value: usize) -> Percent {
        Percent::new(value as u8).expect("a percentage below 100")
    }

    /// Builds the world of [`IMAGES`] images; deterministic.
    pub fn build() -> Population {
        let mut world = World::default();
        let mut rng = Rng::new(0x5eed_0001_0000_0000);
        let accounts: Vec<String> = (0..ACCOUNTS).map(|a| format!("account-{a:03}")).collect();
        let mut name = String::new();

        let mut ordinary = Vec::with_capacity(ORDINARY);
        for i in 0..ORDINARY {
            let owner = rng.below(ACCOUNTS);
            let region = rng.below(REGIONS);
            name.clear();
            write!(name, "img{i:07}").expect("a String takes any text");
            let id = world
                .create_image(
                    &accounts[owner],
                    Config::DEFAULT_REGIONS[region],
                    &name,
                    at(i as u64),
                )
                .expect("a valid, unique name");
            ordinary.push(Placed {
                owner: owner as u32,
                region: region as u32,
                id,
            });
        }

        let mut population = Population {
            world,
            accounts,
            ordinary,
            settled: Vec::with_capacity(COPIES),
            cancellable: Vec::with_capacity(REGIONS * (QUEUED + COPYING)),
        };
        let mut copier = Copier {
            rng,
            clock: ORDINARY as u64,
            named: 0,
        };
        for destination in 0..REGIONS {
            copier.fill_region(&mut population, destination);
        }
        assert_eq!(population.world.image_count(), IMAGES);
        population
    }

    /// Makes the copies of one region, phase by phase.
    struct Copier {
        rng: Rng,
        clock: u64,
        named: usize,
    }

    impl Copier {
        /// A new copy into `destination` of a random ordinary image of
        /// another region; named when `named`.
        fn copy(
            &mut self,
            population: &mut Population,
            destination: usize,
            named: bool,
        ) -> CopyEntry {
            let source = loop {
                let candidate = population.ordinary[self.rng.below(population.ordinary.len())];
                if candidate.region as usize != destination {
                    break candidate;
                }
            };
            let source_id = source.id.to_string();
            let owner = source.owner as usize;
            let name = named.then(|| {
                self.named += 1;
                format!("copy{:06}", self.named)
            });
            let mut request =
                CopyImage::new(Config::DEFAULT_REGIONS[source.region as usize], &source_id);
            request.destination_region_id = Some(Config::DEFAULT_REGIONS[destination].to_string());
            request.destination_image_name = name;
            self.clock += 1;
            let id = population
                .world
                .copy_image(&population.accounts[owner], &request, at(self.clock))
                .expect("an available source, a valid request");
            CopyEntry {
                owner: source.owner,
                source_region: source.region,
                destination: destination as u32,
                source: source.id,
                id,
            }
        }

        fn fill_region(&mut self, population: &mut Population, destination: usize) {
            let region = Config::DEFAULT_REGIONS[destination];
            let settle = |population: &mut Population, entry: &CopyEntry, id: ImageId| {
                population.settled.push(Placed {
                    owner: entry.owner,
                    region: destination as u32,
                    id,
                });
            };
            // The region's slots are free: each copy starts at once.
            for _ in 0..COMPLETED {
                let entry = self.copy(population, destination, true);
                let id = entry.id;
                population.world.complete_copy(region, id).expect("copying");
                settle(population, &entry, id);
            }
            for _ in 0..FAILED_COPYING {
                let entry = self.copy(population, destination, false);
                let id = entry.id;
                let progress = percent(self.rng.below(100));
                let world = &mut population.world;
                world
                    .set_copy_progress(region, id, progress)
                    .expect("copying");
                world.fail_copy(region, id).expect("copying");
                settle(population, &entry, id);
            }
            // Five copies fill the slots.
            for slot in 0..FINALIZING + PINNED + COPYING {
                let entry = self.copy(population, destination, false);
                let id = entry.id;
                let progress = if slot < FINALIZING {
                    Percent::FULL
                } else {
                    percent(1 + self.rng.below(98))
                };
                let world = &mut population.world;
                world
                    .set_copy_progress(region, id, progress)
                    .expect("copying");
                if slot < FINALIZING + PINNED {
                    if slot >= FINALIZING {
                        world.set_cancellable(region, id, false).expect("copying");
                    }
                    settle(population, &entry, id);
                } else {
                    population.cancellable.push(entry);
                }
            }
            // More wait; some fail before they start.
            for i in 0..QUEUED + FAILED_QUEUED {
                let entry = self.copy(population, destination, false);
                if i % 3 == 2 {
                    let id = entry.id;
                    population.world.fail_copy(region, id).expect("queued");
                    settle(population, &entry, id);
                } else {
                    population.cancellable.push(entry);
                }
            }
        }
    }

    /// How many of `ids` are in each phase, in `CopyPhase::ALL` order.
    pub fn phases(world: &World, ids: impl IntoIterator<Item = ImageId>) -> [usize; 6] {
        let mut counts = [0; 6];
        for id in ids {
            let phase = world
                .image(id)
                .and_then(|view| view.copy_task())
                .map_or(CopyPhase::Cancelled, |task| task.phase());
            let index = CopyPhase::ALL.iter().position(|p| *p == phase);
            counts[index.expect("a known phase")] += 1;
        }
        counts
    }
}

/// Image IDs as request text. The strings are allocated one after another
/// once the world is built, so they sit together in memory, as request
/// texts do in a server's receive buffer; rewriting one keeps its buffer.
struct IdTexts(Vec<String>);

impl IdTexts {
    fn new(ids: impl Iterator<Item = ImageId>) -> IdTexts {
        IdTexts(ids.map(|id| id.to_string()).collect())
    }

    /// The `n`-th ID.
    fn get(&self, n: usize) -> &str {
        &self.0[n]
    }

    /// Writes `id` over the `n`-th ID, in place.
    fn set(&mut self, n: usize, id: ImageId) {
        let text = &mut self.0[n];
        text.clear();
        write!(text, "{id}").expect("a String takes any text");
    }
}

/// What a cancel and its restoring copy name: owned copies of the pool's
/// texts, made in the untimed setup.
struct Request {
    /// Index into `population.cancellable`.
    entry: usize,
    caller: String,
    /// CancelCopyImage of the copy.
    cancel: CancelCopyImage,
    /// The CopyImage that makes the copy again.
    restore: CopyImage,
}

/// An image a request names; its ID's text is in [`State::target_ids`].
struct Target {
    owner: u32,
    region: u32,
}

/// Everything the timed routines share.
struct State {
    population: Population,
    /// Every ordinary image, then every settled copy: never cancelled.
    targets: Vec<Target>,
    /// The targets' IDs.
    target_ids: IdTexts,
    /// The IDs of `population.cancellable`'s copies.
    copy_ids: IdTexts,
    /// The IDs of their sources.
    source_ids: IdTexts,
    rng: Rng,
    /// `cancel`, `cancel_only`: copies picked for the current batch.
    claimed: Vec<bool>,
    /// `cancel_only`: copies cancelled (`population.cancellable` indexes),
    /// to restore in the next setup.
    cancelled: Vec<usize>,
    /// Copies made again under a new ID, whose text is rewritten in the
    /// next setup.
    restored: Vec<usize>,
    /// `copy_image`: copies made, to cancel in the next setup.
    created: Vec<(usize, usize, ImageId)>,
}

impl State {
    fn new(population: Population) -> State {
        let placed = || population.ordinary.iter().chain(&population.settled);
        let targets = placed()
            .map(|placed| Target {
                owner: placed.owner,
                region: placed.region,
            })
            .collect();
        let target_ids = IdTexts::new(placed().map(|placed| placed.id));
        let copies = &population.cancellable;
        let copy_ids = IdTexts::new(copies.iter().map(|copy| copy.id));
        let source_ids = IdTexts::new(copies.iter().map(|copy| copy.source));
        State {
            target_ids,
            copy_ids,
            source_ids,
            claimed: vec![false; population.cancellable.len()],
            cancelled: Vec::with_capacity(BATCH as usize),
            restored: Vec::with_capacity(BATCH as usize),
            created: Vec::with_capacity(BATCH as usize),
            rng: Rng::new(0xbe9c_4a11),
            targets,
            population,
        }
    }

    /// The next pooled copy to cancel and restore, not yet picked in this
    /// batch: what its requests name, copied out of the pool as a server
    /// has them in the request it has just read.
    fn next_request(&mut self) -> Request {
        let entry = self.pick_unclaimed();
        self.request_for(entry)
    }

    /// What the requests of pool entry `entry` name.
    fn request_for(&self, entry: usize) -> Request {
        let copy = &self.population.cancellable[entry];
        let source_region = Config::DEFAULT_REGIONS[copy.source_region as usize];
        let region = Config::DEFAULT_REGIONS[copy.destination as usize];
        let mut restore = CopyImage::new(source_region, self.source_ids.get(entry));
        restore.destination_region_id = Some(region.to_owned());
        Request {
            entry,
            caller: self.population.accounts[copy.owner as usize].clone(),
            cancel: CancelCopyImage::new(region, self.copy_ids.get(entry)),
            restore,
        }
    }

    /// CancelCopyImage of the request's copy. Never inlined, so that
    /// callgrind counts a cancel as this function's inclusive cost.
    #[inline(never)]
    fn cancel(&mut self, request: &Request) {
        (self.population.world)
            .cancel_copy_image(&request.caller, &request.cancel)
            .expect("a cancellable copy");
    }

    /// CopyImage that makes the request's cancelled copy again, under a new
    /// ID; its text is written in the next setup.
    fn restore(&mut self, request: &Request) {
        let id = (self.population.world)
            .copy_image(&request.caller, &request.restore, population::at(2_000_000))
            .expect("an available source");
        self.population.cancellable[request.entry].id = id;
        self.restored.push(request.entry);
    }

    /// Writes the text of the copies made again, and puts them back in the
    /// pool.
    fn refresh_restored(&mut self) {
        for entry in self.restored.drain(..) {
            self.copy_ids
                .set(entry, self.population.cancellable[entry].id);
            self.claimed[entry] = false;
        }
    }

    /// Restores the copies `cancel_only` cancelled.
    fn restore_cancelled(&mut self) {
        while let Some(entry) = self.cancelled.pop() {
            let request = self.request_for(entry);
            self.restore(&request);
        }
        self.refresh_restored();
    }

    /// A pooled copy not yet picked in this batch, now picked.
    fn pick_unclaimed(&mut self) -> usize {
        loop {
            let entry = self.rng.below(self.claimed.len());
            if !self.claimed[entry] {
                self.claimed[entry] = true;
                return entry;
            }
        }
    }

    /// Cancels the copies `copy_image` made.
    fn cancel_created(&mut self) {
        let Population {
            world, accounts, ..
        } = &mut self.population;
        let mut text = String::new();
        for (owner, region, id) in self.created.drain(..) {
            text.clear();
            write!(text, "{id}").expect("a String takes any text");
            let request = CancelCopyImage::new(Config::DEFAULT_REGIONS[region], &text);
            world
                .cancel_copy_image(&accounts[owner], &request)
                .expect("a queued copy");
        }
    }

    /// The world has its size, and every copy of the pool is cancellable.
    fn assert_intact(&self) {
        let Population {
            world, cancellable, ..
        } = &self.population;
        assert_eq!(world.image_count(), population::IMAGES);
        let ids = cancellable.iter().map(|c| c.id);
        let phases = population::phases(world, ids);
        assert_eq!(phases[0] + phases[1], cancellable.len(), "{phases:?}");
    }
}

fn world_1m(c: &mut Criterion) {
    let population = population::build();
    let Population {
        world,
        ordinary,
        settled,
        cancellable,
        ..
    } = &population;
    let settled_phases = population::phases(world, settled.iter().map(|p| p.id));
    let pool_phases = population::phases(world, cancellable.iter().map(|c| c.id));
    eprintln!(
        "world_1m: {} images: {} ordinary; copies by phase (Queued, Copying, Finalizing, \
         Completed, Failed): cancellable {:?}, settled {:?}",
        world.image_count(),
        ordinary.len(),
        &pool_phases[..5],
        &settled_phases[..5],
    );
    let state = RefCell::new(State::new(population));
    state.borrow().assert_intact();

    let mut group = c.benchmark_group("world_1m");

    // The floor runs right before `cancel`: this machine's speed drifts over
    // minutes (other guests share it), and the goal is their ratio.
    floor(&mut group, "baseline_hashmap");

    group.bench_function("cancel", |b| {
        b.iter_batched_ref(
            || {
                let mut state = state.borrow_mut();
                state.refresh_restored();
                state.next_request()
            },
            // By reference: moving requests in and out would time copies.
            |request| {
                let mut state = state.borrow_mut();
                state.cancel(request);
                state.restore(request);
            },
            BatchSize::NumIterations(BATCH),
        )
    });
    state.borrow_mut().refresh_restored();
    state.borrow().assert_intact();

    group.bench_function("cancel_only", |b| {
        b.iter_batched_ref(
            || {
                let mut guard = state.borrow_mut();
                let state = &mut *guard;
                state.restore_cancelled();
                state.next_request()
            },
            |request| {
                let mut state = state.borrow_mut();
                state.cancel(request);
                state.cancelled.push(request.entry);
            },
            BatchSize::NumIterations(BATCH),
        )
    });
    state.borrow_mut().restore_cancelled();
    state.borrow().assert_intact();

    group.bench_function("describe_by_id", |b| {
        let state = state.borrow();
        let mut rng = Rng::new(0xde5c_41be);
        // The request is made untimed, as a server has it parsed.
        b.iter_batched_ref(
            || {
                let n = rng.below(state.targets.len());
                let target = &state.targets[n];
                let region = Config::DEFAULT_REGIONS[target.region as usize];
                let mut request = DescribeImages::new(region);
                request.image_id = Some(state.target_ids.get(n).to_owned());
                request.status = Some(ALL_STATUSES.to_owned());
                (target.owner as usize, request)
            },
            |(owner, request)| {
                let caller = &state.population.accounts[*owner];
                let page = state.population.world.describe_images(caller, request);
                let page = black_box(page.expect("a valid request"));
                assert_eq!(page.images.len(), 1);
            },
            BatchSize::SmallInput,
        )
    });

    group.bench_function("copy_image", |b| {
        let ordinary = state.borrow().population.ordinary.len();
        b.iter_batched_ref(
            || {
                let mut guard = state.borrow_mut();
                let state = &mut *guard;
                state.cancel_created();
                let source = state.rng.below(ordinary);
                let region = state.targets[source].region as usize;
                let destination = (region + 1 + state.rng.below(REGIONS - 1)) % REGIONS;
                // The request is made untimed, as a server has it parsed.
                let region = Config::DEFAULT_REGIONS[region];
                let mut request = CopyImage::new(region, state.target_ids.get(source));
                request.destination_region_id =
                    Some(Config::DEFAULT_REGIONS[destination].to_owned());
                (source, destination, request)
            },
            |(source, destination, request)| {
                let state = &mut *state.borrow_mut();
                let target = &state.targets[*source];
                let caller = &state.population.accounts[target.owner as usize];
                let now = population::at(2_000_000);
                let id = state.population.world.copy_image(caller, request, now);
                let id = id.expect("an available source");
                state
                    .created
                    .push((target.owner as usize, *destination, id));
            },
            BatchSize::NumIterations(BATCH),
        )
    });
    state.borrow_mut().cancel_created();
    state.borrow().assert_intact();

    floor(&mut group, "baseline_hashmap_delete");
    bench_delete_image(&mut group, &state);
    state.borrow().assert_intact();

    floor(&mut group, "baseline_hashmap_tag");
    bench_tag_resources(&mut group, &state);
    state.borrow().assert_intact();
    drop(state);

    group.bench_function("baseline_issued", |b| {
        let mut baseline = Baseline::<BuildHasherDefault<Folded>>::new(population::IMAGES);
        let mut rng = Rng::new(0xba5e_11e5);
        b.iter(|| baseline.cancel_and_restore(rng.below(population::IMAGES)))
    });
    group.finish();
}

/// `baseline_hashmap` under the name `name`: the floor, measured again
/// right before the function it is the floor of.
fn floor(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    group.bench_function(name, |b| {
        let mut baseline = Baseline::<BuildHasherDefault<DefaultHasher>>::new(population::IMAGES);
        let mut rng = Rng::new(0xba5e_11e5);
        b.iter(|| baseline.cancel_and_restore(rng.below(population::IMAGES)))
    });
}

/// A DeleteImage as a server has it parsed: made untimed.
struct Deletion {
    /// Index into `Deletions::pool`.
    entry: usize,
    caller: String,
    request: DeleteImage,
}

/// `delete_image`'s completed copies, and what remakes them.
struct Deletions {
    /// Indexes into `State::targets` of completed copies.
    pool: Vec<usize>,
    claimed: Vec<bool>,
    /// Entries of `pool` deleted in the last batch, to remake.
    deleted: Vec<usize>,
    /// The restorer's index into `population.accounts`.
    restorer: u32,
    /// The restorer's image in each region, the source of its copies.
    sources: Vec<String>,
    rng: Rng,
}

impl Deletions {
    fn new(state: &mut State) -> Deletions {
        let Population {
            world, accounts, ..
        } = &mut state.population;
        let completed = |n: &usize| {
            let id = state.target_ids.get(*n).parse().expect("an ID");
            let task = world.image(id).and_then(|view| view.copy_task());
            task.is_some_and(|task| task.phase() == CopyPhase::Completed)
        };
        let pool: Vec<usize> = (0..state.targets.len()).filter(completed).collect();
        let restorer = accounts.len() as u32;
        accounts.push("account-restorer".to_owned());
        let sources = (Config::DEFAULT_REGIONS.iter().enumerate())
            .map(|(n, region)| {
                let name = format!("restorer{n:02}");
                let at = population::at(3_000_000);
                let id = world.create_image("account-restorer", region, &name, at);
                id.expect("a new account's first image").to_string()
            })
            .collect();
        Deletions {
            claimed: vec![false; pool.len()],
            deleted: Vec::with_capacity(BATCH as usize),
            pool,
            restorer,
            sources,
            rng: Rng::new(0xde1e_7e00),
        }
    }

    /// A completed copy not yet picked in this batch, now picked.
    fn next(&mut self, state: &State) -> Deletion {
        let entry = loop {
            let entry = self.rng.below(self.pool.len());
            if !self.claimed[entry] {
                self.claimed[entry] = true;
                break entry;
            }
        };
        let n = self.pool[entry];
        let target = &state.targets[n];
        let mut request = DeleteImage::default();
        request.region_id = Some(Config::DEFAULT_REGIONS[target.region as usize].to_owned());
        request.image_id = Some(state.target_ids.get(n).to_owned());
        Deletion {
            entry,
            caller: state.population.accounts[target.owner as usize].clone(),
            request,
        }
    }

    /// Makes a completed copy in the place of each one deleted, and deletes
    /// the deleted one's snapshot, which DeleteImage leaves: the world keeps
    /// its size.
    fn remake(&mut self, state: &mut State) {
        for entry in self.deleted.drain(..) {
            let n = self.pool[entry];
            let deleted: ImageId = state.target_ids.get(n).parse().expect("an ID");
            let owner = &state.population.accounts[state.targets[n].owner as usize];
            let mut snapshot = DeleteSnapshot::default();
            snapshot.snapshot_id = Some(deleted.snapshot().to_string());
            let world = &mut state.population.world;
            world
                .delete_snapshot(owner, &snapshot)
                .expect("a deleted image's snapshot");
            let restorer = &state.population.accounts[self.restorer as usize];
            let region = state.targets[n].region as usize;
            let name = Config::DEFAULT_REGIONS[region];
            let request = CopyImage::new(name, &self.sources[region]);
            let world = &mut state.population.world;
            let id = world.copy_image(restorer, &request, population::at(3_000_000));
            let id = id.expect("the restorer's own image");
            world.complete_copy(name, id).expect("a copy that started");
            state.target_ids.set(n, id);
            state.targets[n].owner = self.restorer;
            self.claimed[entry] = false;
        }
    }

    /// Remakes the last batch and deletes the restorer's sources, so that
    /// the world has its size again.
    fn finish(mut self, state: &mut State) {
        self.remake(state);
        let restorer = &state.population.accounts[self.restorer as usize];
        for (region, source) in Config::DEFAULT_REGIONS.iter().zip(&self.sources) {
            let mut request = DeleteImage::default();
            request.region_id = Some((*region).to_owned());
            request.image_id = Some(source.clone());
            let world = &mut state.population.world;
            world.delete_image(restorer, &request).expect("an image");
            let id: ImageId = source.parse().expect("an ID");
            let mut snapshot = DeleteSnapshot::default();
            snapshot.snapshot_id = Some(id.snapshot().to_string());
            world
                .delete_snapshot(restorer, &snapshot)
                .expect("its snapshot");
        }
    }
}

fn bench_delete_image(group: &mut BenchmarkGroup<'_, WallTime>, state: &RefCell<State>) {
    let deletions = RefCell::new(Deletions::new(&mut state.borrow_mut()));
    group.bench_function("delete_image", |b| {
        b.iter_batched_ref(
            || {
                let (mut state, mut deletions) = (state.borrow_mut(), deletions.borrow_mut());
                deletions.remake(&mut state);
                deletions.next(&state)
            },
            |deletion| {
                let world = &mut state.borrow_mut().population.world;
                let deleted = world.delete_image(&deletion.caller, &deletion.request);
                deleted.expect("a completed copy");
                deletions.borrow_mut().deleted.push(deletion.entry);
            },
            BatchSize::NumIterations(BATCH),
        )
    });
    deletions.into_inner().finish(&mut state.borrow_mut());
}

/// The tag `tag_resources` sets.
const BENCH_TAG: &str = "bench";

/// What `tag_resources` tags: an ordinary image, its owner, and the call.
struct Tagging {
    /// Index into `State::targets`.
    target: usize,
    caller: String,
    request: TagResources,
}

fn tagging(state: &State, rng: &mut Rng) -> Tagging {
    let target = rng.below(state.population.ordinary.len());
    let placed = &state.targets[target];
    let mut request = TagResources::default();
    request.region_id = Some(Config::DEFAULT_REGIONS[placed.region as usize].to_owned());
    request.resource_type = Some("image".to_owned());
    request.resource_id = vec![state.target_ids.get(target).to_owned()];
    request.tags = vec![Tag::new(BENCH_TAG, "1")];
    Tagging {
        target,
        caller: state.population.accounts[placed.owner as usize].clone(),
        request,
    }
}

/// Removes the tag from the images the last batch tagged.
fn untag(state: &mut State, tagged: &mut Vec<usize>) {
    for target in tagged.drain(..) {
        let placed = &state.targets[target];
        let mut request = UntagResources::default();
        request.region_id = Some(Config::DEFAULT_REGIONS[placed.region as usize].to_owned());
        request.resource_type = Some("image".to_owned());
        request.resource_id = vec![state.target_ids.get(target).to_owned()];
        request.tag_key = vec![BENCH_TAG.to_owned()];
        let caller = &state.population.accounts[placed.owner as usize];
        let world = &mut state.population.world;
        world
            .untag_resources(caller, &request)
            .expect("a tagged image");
    }
}

fn bench_tag_resources(group: &mut BenchmarkGroup<'_, WallTime>, state: &RefCell<State>) {
    let tagged = RefCell::new(Vec::with_capacity(BATCH as usize));
    let mut rng = Rng::new(0x7a65_0001);
    group.bench_function("tag_resources", |b| {
        b.iter_batched_ref(
            || {
                let mut state = state.borrow_mut();
                untag(&mut state, &mut tagged.borrow_mut());
                tagging(&state, &mut rng)
            },
            |tagging| {
                let world = &mut state.borrow_mut().population.world;
                let tagged_now = world.tag_resources(&tagging.caller, &tagging.request);
                tagged_now.expect("an ordinary image of the caller");
                tagged.borrow_mut().push(tagging.target);
            },
            BatchSize::NumIterations(BATCH),
        )
    });
    untag(&mut state.borrow_mut(), &mut tagged.borrow_mut());
}

/// The floor: what a bare hash map of the same key type and entry size,
/// with the hasher `S`, costs for one lookup and one update.
struct Baseline<S> {
    map: HashMap<ImageId, Record, S>,
    keys: Vec<ImageId>,
    next: u64,
}

/// A copy of the model's hasher for the keys it issues (`IssuedHasher` in
/// `src/service/world/hash.rs`, which is not public): the 64-bit key times an odd
/// constant, the product's halves XORed.
#[derive(Default)]
struct Folded(u64);

impl Hasher for Folded {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }

    fn finish(&self) -> u64 {
        let product = u128::from(self.0) * 0x9e37_79b9_7f4a_7c15;
        (product as u64) ^ ((product >> 64) as u64)
    }
}

/// 72 bytes, the size of the model's image record, so that the table has
/// the same entry size (80 bytes with the key) and the same footprint.
#[derive(Clone, Copy)]
struct Record([u64; 9]);

impl<S: BuildHasher + Default> Baseline<S> {
    fn new(entries: usize) -> Baseline<S> {
        let mut baseline = Baseline {
            map: HashMap::default(),
            keys: Vec::with_capacity(entries),
            next: 0,
        };
        for _ in 0..entries {
            let key = baseline.fresh_key();
            baseline.map.insert(key, Record([key.number(); 9]));
            baseline.keys.push(key);
        }
        baseline
    }

    /// Keys as the model makes them: a counter through splitmix64.
    fn fresh_key(&mut self) -> ImageId {
        self.next += 1;
        let mut x = self.next;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ImageId::from_number(x ^ (x >> 31))
    }

    /// Looks the key in `slot` up, removes it, and inserts a fresh key with
    /// the same record in its place.
    fn cancel_and_restore(&mut self, slot: usize) {
        let key = self.keys[slot];
        let found = self.map.get(&key).expect("a present key");
        black_box(found.0[0]);
        let record = self.map.remove(&key).expect("a present key");
        let fresh = self.fresh_key();
        self.map.insert(fresh, record);
        self.keys[slot] = fresh;
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
}

/// Images of the one account `listing_300k` lists.
const LISTED: usize = 300_000;

/// The page `deep_page` asks for: two thirds of the way down.
const DEEP_PAGE: u32 = 20_000;

fn listing_300k(c: &mut Criterion) {
    let mut world = ecs_image_copy::World::new(Config::default());
    let at = population::at(1_000);
    for n in 0..LISTED {
        let made = world.create_image("alice", "cn-hangzhou", &format!("image-{n}"), at);
        made.expect("a valid image");
    }
    let first = DescribeImages::new("cn-hangzhou");
    let mut deep = DescribeImages::new("cn-hangzhou");
    deep.page_number = Some(DEEP_PAGE);
    let mut group = c.benchmark_group("listing_300k");
    let index: std::collections::BTreeMap<u64, u64> =
        (0..LISTED as u64).map(|seq| (seq, seq * 7)).collect();
    // The newest entry of the deep page: as many newer ones as pages before.
    let deep_key = (LISTED - (DEEP_PAGE as usize - 1) * 10 - 1) as u64;
    for (name, last) in [
        ("baseline_btree_first", u64::MAX),
        ("baseline_btree_deep", deep_key),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let page = index.range(..=black_box(last)).rev().take(10);
                let page: Vec<u64> = page.map(|(_, value)| *value).collect();
                assert_eq!(page.len(), 10);
                black_box(page)
            })
        });
    }
    for (name, request) in [("first_page", &first), ("deep_page", &deep)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let page = world.describe_images("alice", black_box(request));
                let page = page.expect("a valid request");
                assert_eq!((page.total_count, page.images.len()), (LISTED, 10));
                black_box(page.images[0].id())
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = world_1m, listing_300k
}
criterion_main!(benches);
