//! Counts the heap bytes of the 1,000,000-image world that
//! `benches/world.rs` measures, with a counting global allocator.
//!
//! `cargo run --release --all-features --example world_memory`
//!
//! The world is built by the benchmark's own code (the file is included
//! below), so the two measure the same world. The figure is the live bytes
//! the world holds once its builder's bookkeeping is dropped: the sizes the
//! program asked for, without the allocator's own overhead, which the
//! resident set size printed after it includes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ecs_image_copy::{Config, DescribeImages, ImageId, Tag, TagResources, UntagResources, World};

#[path = "../benches/world.rs"]
#[allow(dead_code)]
mod bench;

/// Upper bounds of the size classes the allocator counts separately.
const CLASSES: [(usize, &str); 4] = [
    (32, "<= 32 B (strings)"),
    (512, "33..=512 B (small tables and vectors)"),
    ((1 << 20) - 1, "513 B..1 MiB (name sets, listings, queues)"),
    (usize::MAX, ">= 1 MiB (the image table)"),
];

/// Live bytes and allocations per size class, and the peak of all of them.
struct Counts {
    bytes: [AtomicUsize; CLASSES.len()],
    blocks: [AtomicUsize; CLASSES.len()],
    live: AtomicUsize,
    peak: AtomicUsize,
}

static COUNTS: Counts = Counts {
    bytes: [const { AtomicUsize::new(0) }; CLASSES.len()],
    blocks: [const { AtomicUsize::new(0) }; CLASSES.len()],
    live: AtomicUsize::new(0),
    peak: AtomicUsize::new(0),
};

fn class(size: usize) -> usize {
    CLASSES
        .iter()
        .position(|&(limit, _)| size <= limit)
        .unwrap_or(CLASSES.len() - 1)
}

impl Counts {
    fn add(&self, size: usize) {
        let class = class(size);
        self.bytes[class].fetch_add(size, Ordering::Relaxed);
        self.blocks[class].fetch_add(1, Ordering::Relaxed);
        let live = self.live.fetch_add(size, Ordering::Relaxed) + size;
        self.peak.fetch_max(live, Ordering::Relaxed);
    }

    fn sub(&self, size: usize) {
        let class = class(size);
        self.bytes[class].fetch_sub(size, Ordering::Relaxed);
        self.blocks[class].fetch_sub(1, Ordering::Relaxed);
        self.live.fetch_sub(size, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes: self.bytes.each_ref().map(|b| b.load(Ordering::Relaxed)),
            blocks: self.blocks.each_ref().map(|b| b.load(Ordering::Relaxed)),
            live: self.live.load(Ordering::Relaxed),
        }
    }
}

#[derive(Clone, Copy)]
struct Snapshot {
    bytes: [usize; CLASSES.len()],
    blocks: [usize; CLASSES.len()],
    live: usize,
}

/// The system allocator, counting what it hands out.
struct Counting;

// SAFETY: every call is forwarded to `System` with the same arguments; the
// counters only observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            COUNTS.add(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            COUNTS.add(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` came from this allocator, hence from `System`.
        unsafe { System.dealloc(pointer, layout) };
        COUNTS.sub(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `pointer` came from `System` with `layout`.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            COUNTS.sub(layout.size());
            COUNTS.add(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A line of `/proc/self/status` (Linux), such as `VmRSS`.
fn proc_status(key: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    Some(line[key.len() + 1..].trim().to_owned())
}

fn main() {
    let before = COUNTS.snapshot();
    let started = Instant::now();
    let mut world = {
        let population = bench::population::build();
        population.world
        // The builder's bookkeeping is dropped here.
    };
    let built = started.elapsed();
    let after = COUNTS.snapshot();

    let images = world.image_count();
    let bytes = after.live - before.live;
    println!("images: {images}");
    println!("build time: {:.2} s", built.as_secs_f64());
    println!("live heap bytes held by the world: {bytes}");
    println!("bytes per image: {:.1}", bytes as f64 / images as f64);
    println!(
        "peak live bytes while building (with bookkeeping): {}",
        COUNTS.peak.load(Ordering::Relaxed)
    );
    println!("by allocation size:");
    for (i, (_, name)) in CLASSES.iter().enumerate() {
        let bytes = after.bytes[i] - before.bytes[i];
        let blocks = after.blocks[i] - before.blocks[i];
        println!(
            "  {name}: {bytes} bytes in {blocks} allocations, {:.1} bytes per image",
            bytes as f64 / images as f64
        );
    }
    untagged_images_cost_nothing(&mut world);
    for key in ["VmRSS", "VmHWM"] {
        if let Some(value) = proc_status(key) {
            println!("{key}: {value}");
        }
    }
    drop(world);
}

/// Tags cost nothing for images that have none: images tagged and untagged
/// again hold no byte more than before.
fn untagged_images_cost_nothing(world: &mut World) {
    let caller = "account-000";
    let mut images: Vec<(&str, ImageId)> = Vec::new();
    for region in Config::DEFAULT_REGIONS {
        let page = world.describe_images(caller, &DescribeImages::new(region));
        let page = page.expect("a valid request");
        images.extend(page.images.iter().map(|view| (region, view.id())));
    }
    let before = COUNTS.snapshot().live;
    for &(region, id) in &images {
        let mut tag = TagResources::default();
        tag.region_id = Some(region.to_owned());
        tag.resource_type = Some("image".to_owned());
        tag.resource_id = vec![id.to_string()];
        tag.tags = vec![Tag::new("team", "web")];
        world
            .tag_resources(caller, &tag)
            .expect("the caller's image");
        let mut untag = UntagResources::default();
        untag.region_id = tag.region_id.take();
        untag.resource_type = tag.resource_type.take();
        untag.resource_id = std::mem::take(&mut tag.resource_id);
        untag.tag_key = vec!["team".to_owned()];
        world
            .untag_resources(caller, &untag)
            .expect("the caller's image");
    }
    let after = COUNTS.snapshot().live;
    println!(
        "bytes held after tagging and untagging {} images: {:+}",
        images.len(),
        after as isize - before as isize
    );
    assert_eq!(after, before, "untagged images hold bytes");
}
