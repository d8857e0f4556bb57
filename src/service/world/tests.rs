//! The world's own tests: what only its private fields can set up.

use super::*;
use crate::service::{Action, CancelCopyImage, CopyImage, Timestamp, WorldError};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_000_000);

/// A world whose image table has two slots, both taken: a source in
/// Hangzhou and a copy of it queued in Beijing... or running.
fn full_world() -> Result<(World, String, ImageId), WorldError> {
    let mut world = World::default();
    world.store = Memory::with_capacity_limit(world.config.id_seed(), 2);
    let source = world.create_image("alice", "cn-hangzhou", "web", NOW)?;
    let source = source.to_string();
    let mut copy = CopyImage::new("cn-hangzhou", &source);
    copy.destination_region_id = Some("cn-beijing".into());
    let copy = world.copy_image("alice", &copy, NOW)?;
    Ok((world, source, copy))
}

#[test]
fn a_full_image_table_answers_quota_exceed_last_and_changes_nothing() -> Result<(), WorldError> {
    let (mut world, source, _) = full_world()?;
    let before = format!("{world:?}");
    let mut copy = CopyImage::new("cn-hangzhou", &source);
    copy.destination_image_name = Some("web".into());
    assert_eq!(
        world.copy_image("alice", &copy, NOW),
        Err(EcsError::ImageNameDuplicated),
        "the name is checked before the table"
    );
    copy.destination_image_name = Some("web-2".into());
    let error = world.copy_image("alice", &copy, NOW);
    assert_eq!(error, Err(EcsError::ImageQuotaExceeded));
    let error = EcsError::ImageQuotaExceeded;
    assert_eq!(
        (error.status(), error.code().as_ref(), error.message()),
        (403, "QuotaExceed.Image", "The Image Quota exceeds.")
    );
    copy.dry_run = true;
    let dry = world.copy_image("alice", &copy, NOW);
    assert_eq!(
        dry,
        Err(EcsError::ImageQuotaExceeded),
        "a dry run checks it too"
    );
    let created = world.create_image("alice", "cn-hangzhou", "other", NOW);
    assert_eq!(
        created,
        Err(WorldError::Refused(EcsError::ImageQuotaExceeded))
    );
    assert_eq!(format!("{world:?}"), before, "nothing changed");
    let checks = Action::CopyImage.checks();
    assert_eq!(checks.last().map(|c| c.error), Some(error));
    Ok(())
}

#[test]
fn a_cancel_frees_a_slot_of_a_full_table_for_a_new_id() -> Result<(), WorldError> {
    let (mut world, source, copy) = full_world()?;
    let copy = copy.to_string();
    let cancel = CancelCopyImage::new("cn-beijing", &copy);
    assert_eq!(world.cancel_copy_image("alice", &cancel), Ok(()));
    let mut again = CopyImage::new("cn-hangzhou", &source);
    again.destination_region_id = Some("cn-beijing".into());
    let fresh = world
        .copy_image("alice", &again, NOW)
        .map(|id| id.to_string());
    assert!(
        fresh.as_ref().is_ok_and(|fresh| *fresh != copy),
        "{fresh:?}"
    );
    assert_eq!(world.image_count(), 2);
    let gone = world.cancel_copy_image("alice", &cancel);
    assert_eq!(gone, Err(EcsError::ImageNotFound), "the old ID stays dead");
    Ok(())
}
