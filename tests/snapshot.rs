//! The serialized world: a restored world issues the IDs the original would
//! have, and a snapshot no sequence of calls could produce is refused with
//! its reason.
#![cfg(feature = "serde")]

use std::num::NonZeroU32;

use ecs_image_copy::{CancelCopyImage, Config, CopyImage, ImageId, Timestamp, World};
use serde_json::{Value, json};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_000_000);

/// One source in Hangzhou and copies of it into Beijing (limit 1: one runs,
/// the rest queue), then half of them cancelled, so that the image table
/// has vacant slots in a particular order.
fn churned_world() -> (World, String, Vec<String>) {
    let mut world = World::new(Config::default().with_copy_limit(NonZeroU32::MIN));
    let source = world.create_image("alice", "cn-hangzhou", "web", NOW);
    let source = source.expect("a fresh name").to_string();
    let copies: Vec<String> = (0..8)
        .map(|_| copy_of(&mut world, &source).to_string())
        .collect();
    // Cancelled out of creation order, so that the free slots are too.
    let cancelled: Vec<String> = [5, 1, 7, 3].map(|n| copies[n].clone()).into();
    for copy in &cancelled {
        let cancel = CancelCopyImage::new("cn-beijing", copy);
        world
            .cancel_copy_image("alice", &cancel)
            .expect("cancellable");
    }
    (world, source, cancelled)
}

fn copy_of(world: &mut World, source: &str) -> ImageId {
    let mut copy = CopyImage::new("cn-hangzhou", source);
    copy.destination_region_id = Some("cn-beijing".into());
    world
        .copy_image("alice", &copy, NOW)
        .expect("an available source")
}

#[test]
fn a_restored_world_reuses_free_slots_in_the_same_order_and_issues_the_same_ids() {
    let (mut world, source, cancelled) = churned_world();
    let saved = serde_json::to_string(&world).expect("a world serializes");
    let snapshot: Value = serde_json::from_str(&saved).expect("JSON");
    assert_eq!(snapshot["vacant"].as_array().map(Vec::len), Some(4));
    let mut restored: World = serde_json::from_str(&saved).expect("a reachable world");
    assert_eq!(serde_json::to_string(&restored).ok(), Some(saved));
    for _ in 0..6 {
        assert_eq!(
            copy_of(&mut restored, &source),
            copy_of(&mut world, &source)
        );
    }
    for copy in &cancelled {
        let cancel = CancelCopyImage::new("cn-beijing", copy);
        let answer = restored.cancel_copy_image("alice", &cancel);
        assert_eq!(
            answer.map_err(|e| e.code().to_string()),
            Err("InvalidImageId.NotFound".to_owned()),
            "{copy} stays cancelled"
        );
    }
}

/// The world's snapshot changed by `edit`, restored.
fn restore_edited(edit: impl FnOnce(&mut Value)) -> Result<World, String> {
    let (world, _, _) = churned_world();
    let mut snapshot = serde_json::to_value(&world).expect("a world serializes");
    edit(&mut snapshot);
    serde_json::from_value(snapshot).map_err(|error| error.to_string())
}

#[track_caller]
fn assert_refused(edit: impl FnOnce(&mut Value), reason: &str) {
    match restore_edited(edit) {
        Ok(_) => panic!("restored a snapshot that should fail with {reason:?}"),
        Err(error) => assert!(error.starts_with(reason), "{error:?} is not {reason:?}"),
    }
}

/// The ID of the `n`-th image of the churned world's snapshot, by creation.
fn image_id(n: usize) -> String {
    let (world, _, _) = churned_world();
    let snapshot = serde_json::to_value(&world).expect("a world serializes");
    snapshot["images"][n]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn snapshots_that_misplace_image_table_slots_are_refused() {
    let vacancy = "a vacant slot of the image table is past its end, or taken";
    let misplaced =
        |id: &str| format!("image {id} names a slot of the image table past its end, or taken");
    assert_refused(
        |s| {
            let twice = s["vacant"][0].clone();
            if let Some(vacant) = s["vacant"].as_array_mut() {
                vacant.push(twice);
            }
        },
        vacancy,
    );
    assert_refused(|s| s["vacant"][0][0] = json!(u32::MAX), vacancy);
    assert_refused(|s| s["retired"] = json!([4_000_000_000u32]), vacancy);
    // Slot 0 is the source's (the first image made): vacancies are
    // claimed first, so the source is the one refused.
    assert_refused(|s| s["retired"] = json!([0]), &misplaced(&image_id(0)));
    // An ID that decodes to a slot far past the end.
    let stray = ImageId::from_number(12_345).to_string();
    assert_refused(|s| s["images"][0]["id"] = json!(stray), &misplaced(&stray));
    // Two images in one slot.
    let first = image_id(0);
    assert_refused(|s| s["images"][1]["id"] = json!(first), &misplaced(&first));
}

#[test]
fn snapshots_no_calls_could_produce_are_refused_with_their_reason() {
    let (source, copy) = (image_id(0), image_id(1));
    assert_refused(
        |s| s["accounts"] = json!(["alice", "alice"]),
        "account alice is listed twice",
    );
    assert_refused(
        |s| s["images"][0]["owner"] = json!(7),
        &format!("image {source} names an account or region that does not exist"),
    );
    let sequence =
        |id: &str| format!("image {id} has a sequence number at or past next_seq, or shared");
    assert_refused(
        |s| s["images"][1]["seq"] = s["images"][0]["seq"].clone(),
        &sequence(&copy),
    );
    assert_refused(|s| s["next_seq"] = json!(0), &sequence(&source));
    assert_refused(
        |s| s["images"][1]["copy"][1]["phase"] = json!("Cancelled"),
        &format!("image {copy} is a cancelled copy, which is deleted"),
    );
    assert_refused(|s| s["unknown"] = json!(1), "unknown field `unknown`");
}
