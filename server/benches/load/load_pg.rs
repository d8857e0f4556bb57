//! Fills a database for the PostgreSQL load test (`pg.sh`): alice's source
//! image in Hangzhou, its copies into Beijing (the region's copy limit of
//! them running, the rest queued), as the mock server's store keeps them,
//! and the queued copies' IDs in a file, one per line, for `cancel.lua`.
//!
//! `cargo run --release -p ecs-mock-server --example load_pg -- URL COPIES IDS`

use std::error::Error;
use std::io::Write;

use ecs_image_copy::rpc::{Endpoint, EndpointConfig};
use ecs_image_copy::{Config, CopyImage, CopyPhase, ImageId, Timestamp, World};
use ecs_mock_server::pg::Database;

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, copies, ids] = &args[..] else {
        return Err("usage: load_pg URL COPIES IDS".into());
    };
    let copies: usize = copies.parse()?;
    let config = Config::default();
    let endpoint = Endpoint::new(World::new(config.clone()), EndpointConfig::default());
    let (reader, responder) = (endpoint.reader().clone(), endpoint.responder().clone());
    let database = Database::open(url, 2, config, reader, responder, 0)?;
    let source = database
        .transact(true, |world| {
            world.create_image("alice", "cn-hangzhou", "web", NOW)
        })
        .map_err(|failure| failure.to_string())??;
    // The first copies, made through the world, fill the slots and show
    // the rows' form; the rest are written in bulk in the same form.
    let mut request = CopyImage::new("cn-hangzhou", source.to_string());
    request.destination_region_id = Some("cn-beijing".into());
    let mut made = Vec::new();
    for _ in 0..copies.min(8) {
        let copy = database.transact(true, |world| world.copy_image("alice", &request, NOW));
        made.push(copy.map_err(|failure| failure.to_string())??);
    }
    let rest = copies.saturating_sub(made.len());
    let queued = database.bulk_queued_copies(made[made.len() - 1], rest)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(ids)?);
    let phase_of = |id: ImageId| {
        let task = database.transact(false, |world| world.image(id).and_then(|v| v.copy_task()));
        task.ok().flatten().map(|task| task.phase())
    };
    for id in made
        .into_iter()
        .filter(|&id| phase_of(id) == Some(CopyPhase::Queued))
    {
        writeln!(file, "{id}")?;
    }
    for id in queued {
        writeln!(file, "{id}")?;
    }
    file.flush()?;
    Ok(())
}
