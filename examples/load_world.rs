//! Writes a world for the mock server's load test: one of alice's images in
//! Hangzhou and COUNT queued copies of it in Beijing, with the copies' IDs.
//!
//! `cargo run --release --all-features --example load_world -- STATE IDS COUNT`

use std::io::{BufWriter, Write};

use ecs_image_copy::{CopyImage, Timestamp, World};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [state, ids, count] = args.as_slice() else {
        return Err("usage: load_world STATE IDS COUNT".into());
    };
    let count: usize = count.parse()?;
    let now = Timestamp::from_unix_seconds(1_795_780_800);
    let mut world = World::default();
    let source = world
        .create_image("alice", "cn-hangzhou", "web", now)?
        .to_string();
    let mut request = CopyImage::new("cn-hangzhou", &source);
    request.destination_region_id = Some("cn-beijing".into());
    let mut out = BufWriter::new(std::fs::File::create(ids)?);
    for _ in 0..count {
        writeln!(out, "{}", world.copy_image("alice", &request, now)?)?;
    }
    out.flush()?;
    serde_json::to_writer(BufWriter::new(std::fs::File::create(state)?), &world)?;
    Ok(())
}
