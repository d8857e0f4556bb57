//! The serialized form of a [`World`]: its contents without the indexes,
//! which are rebuilt, and checked, on the way back in.

use std::borrow::Cow;
use std::collections::HashSet;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::handles::{AccountHandle, RegionHandle};
use super::image::{CopyOf, Details, Image, Replay};
use super::table::{Rebuild, Vacancies};
use super::{Orphan, World};
use crate::service::{Config, ImageId, SnapshotId, Timestamp};
use crate::task::{CopyPhase, CopyTask};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot<'a> {
    config: Cow<'a, Config>,
    next_seq: u64,
    #[serde(borrow)]
    accounts: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    images: Vec<ImageRecord<'a>>,
    #[serde(borrow)]
    tokens: Vec<TokenRecord<'a>>,
    /// The image table's free slots, `(slot, generation)`, the next to be
    /// reused last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    vacant: Vec<(u32, u32)>,
    /// The table's slots never to be reused (their generations ran out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    retired: Vec<u32>,
    /// The snapshots of deleted images: `(snapshot, owner, region)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    orphans: Vec<(SnapshotId, u32, u32)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageRecord<'a> {
    id: ImageId,
    seq: u64,
    owner: u32,
    region: u32,
    created: Timestamp,
    size_gib: u32,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "str::is_empty")]
    description: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    encrypted: bool,
    #[serde(borrow, default, skip_serializing_if = "str::is_empty")]
    kms_key_id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    deprecated: bool,
    /// `(account, since)`, in the order shared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    shares: Vec<(u32, Timestamp)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    copy: Option<(ImageId, CopyTask)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRecord<'a> {
    account: u32,
    #[serde(borrow)]
    token: Cow<'a, str>,
    #[serde(borrow)]
    parameters: Vec<Cow<'a, str>>,
    image: ImageId,
}

impl Serialize for World {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut images: Vec<ImageRecord<'_>> = self
            .images
            .iter()
            .map(|(id, image)| ImageRecord::of(id, image))
            .collect();
        images.sort_by_key(|image| image.seq);
        let mut tokens: Vec<TokenRecord<'_>> = self
            .tokens
            .iter()
            .flat_map(|(&account, tokens)| {
                tokens.iter().map(move |(token, replay)| TokenRecord {
                    account: account.number(),
                    token: Cow::Borrowed(token),
                    parameters: replay
                        .parameters
                        .iter()
                        .map(|p| Cow::Borrowed(&**p))
                        .collect(),
                    image: replay.image,
                })
            })
            .collect();
        tokens.sort_by(|a, b| (a.account, &a.token).cmp(&(b.account, &b.token)));
        let Vacancies { free, retired } = self.images.vacancies();
        Snapshot {
            config: Cow::Borrowed(&self.config),
            next_seq: self.next_seq,
            accounts: self
                .accounts
                .names()
                .iter()
                .map(|a| Cow::Borrowed(&**a))
                .collect(),
            images,
            tokens,
            vacant: free,
            retired,
            orphans: self.orphan_records(),
        }
        .serialize(serializer)
    }
}

impl<'a> ImageRecord<'a> {
    fn of(id: ImageId, image: &'a Image) -> ImageRecord<'a> {
        let details = image.details.as_deref();
        let text = |field: fn(&Details) -> &str| Cow::Borrowed(details.map_or("", field));
        ImageRecord {
            id,
            seq: image.seq,
            owner: image.owner.number(),
            region: image.region.number(),
            created: image.created,
            size_gib: image.size_gib,
            name: Cow::Borrowed(&image.name),
            description: text(|d| &d.description),
            tags: details.map_or_else(Vec::new, |d| {
                let borrow =
                    |(k, v): &'a (Box<str>, Box<str>)| (Cow::Borrowed(&**k), Cow::Borrowed(&**v));
                d.tags.iter().map(borrow).collect()
            }),
            encrypted: details.is_some_and(|d| d.encrypted),
            kms_key_id: text(|d| &d.kms_key_id),
            deprecated: image.is_deprecated(),
            shares: details.map_or_else(Vec::new, |d| {
                let share =
                    |&(account, since): &(AccountHandle, Timestamp)| (account.number(), since);
                d.shares.iter().map(share).collect()
            }),
            copy: image.copy.map(|copy| (copy.source, copy.task)),
        }
    }
}

impl<'de> Deserialize<'de> for World {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<World, D::Error> {
        let snapshot = Snapshot::deserialize(deserializer)?;
        restore(snapshot).map_err(serde::de::Error::custom)
    }
}

/// A snapshot that no sequence of calls could have produced.
#[derive(Debug, thiserror::Error)]
enum Inconsistent {
    #[error("account {0} is listed twice")]
    DuplicateAccount(String),
    #[error("image {0} names an account or region that does not exist")]
    UnknownOwnerOrRegion(ImageId),
    #[error("image {0} has a sequence number at or past next_seq, or shared")]
    BadSequence(ImageId),
    #[error("image {0} names a slot of the image table past its end, or taken")]
    BadId(ImageId),
    #[error("a vacant slot of the image table is past its end, or taken")]
    BadVacancy,
    #[error("image {0} reuses a name its owner has in that region")]
    DuplicateName(ImageId),
    #[error("image {0} is a cancelled copy, which is deleted")]
    CancelledCopy(ImageId),
    #[error(
        "account {0} runs more copies into region {1} than its limit, or queues one with a slot free"
    )]
    Slots(String, String),
    #[error("a client token names an account that does not exist")]
    BadToken,
    #[error("image {0} is shared with an account that does not exist")]
    BadShare(ImageId),
    #[error(
        "snapshot {0} of a deleted image names an unknown account or region, an image that exists, or comes twice"
    )]
    BadOrphan(SnapshotId),
    #[error("region {0} is configured twice")]
    DuplicateRegion(String),
}

fn restore(snapshot: Snapshot<'_>) -> Result<World, Inconsistent> {
    let config = snapshot.config.into_owned();
    let mut regions = HashSet::new();
    if let Some((twice, _)) = config.regions().find(|(id, _)| !regions.insert(*id)) {
        return Err(Inconsistent::DuplicateRegion(twice.to_owned()));
    }
    let mut world = World::new(config);
    world.next_seq = snapshot.next_seq;
    for account in &snapshot.accounts {
        if world.accounts.find(account).is_some() {
            return Err(Inconsistent::DuplicateAccount(account.to_string()));
        }
        world.accounts.intern(account);
    }
    let vacancies = Vacancies {
        free: snapshot.vacant,
        retired: snapshot.retired,
    };
    let slots = snapshot.images.len() + vacancies.free.len() + vacancies.retired.len();
    let seed = world.config.id_seed();
    // `slots` counts entries of the snapshot itself, so a hostile one
    // cannot make this allocate more than its own size suggests.
    let mut table = Rebuild::new(seed, slots).ok_or(Inconsistent::BadVacancy)?;
    if !table.claim_vacancies(&vacancies) {
        return Err(Inconsistent::BadVacancy);
    }
    let mut seqs = HashSet::new();
    let mut images = Vec::with_capacity(snapshot.images.len());
    for record in snapshot.images {
        let image = check_image(&world, &mut seqs, &record)?;
        if !table.claim_image(record.id) {
            return Err(Inconsistent::BadId(record.id));
        }
        // Names go in at once, so that a later record reusing one is caught.
        if !image.name.is_empty() {
            let shelf = world.shelves.entry((image.owner, image.region));
            shelf
                .or_default()
                .names
                .insert(image.name.clone(), record.id);
        }
        images.push((record.id, image));
    }
    // The listings and queues are in creation order, whatever the order of
    // the records.
    images.sort_unstable_by_key(|(_, image)| image.seq);
    for (id, mut image) in images {
        restore_image(&mut world, id, &mut image);
        table.put(id, image);
    }
    world.images = table.finish();
    for (orphan, owner, region) in snapshot.orphans {
        let owner = AccountHandle::restore(owner, &world.accounts);
        let region = RegionHandle::restore(region, &world.config);
        let (Some(owner), Some(region)) = (owner, region) else {
            return Err(Inconsistent::BadOrphan(orphan));
        };
        let image_lives = world.images.get(orphan.image()).is_some();
        if image_lives
            || world
                .orphans
                .insert(orphan, Orphan { owner, region })
                .is_some()
        {
            return Err(Inconsistent::BadOrphan(orphan));
        }
    }
    for (&(owner, region), shelf) in &world.shelves {
        let slots = &shelf.slots;
        let limit = region.copy_limit(&world.config);
        let full = slots.running.len() == limit;
        let queues = !slots.queued.is_empty();
        if slots.running.len() > limit || (queues && !full) {
            let account = world.accounts[owner].to_owned();
            let region = region.name(&world.config).to_owned();
            return Err(Inconsistent::Slots(account, region));
        }
    }
    for record in snapshot.tokens {
        // The token's copy may since have been cancelled: only its
        // account must exist.
        let account = AccountHandle::restore(record.account, &world.accounts);
        let account = account.ok_or(Inconsistent::BadToken)?;
        let replay = Replay {
            parameters: record.parameters.iter().map(|p| Box::from(&**p)).collect(),
            image: record.image,
        };
        let tokens = world.tokens.entry(account).or_default();
        tokens.insert(Box::from(&*record.token), replay);
    }
    Ok(world)
}

fn check_image(
    world: &World,
    seqs: &mut HashSet<u64>,
    record: &ImageRecord<'_>,
) -> Result<Image, Inconsistent> {
    let id = record.id;
    let owner = AccountHandle::restore(record.owner, &world.accounts);
    let region = RegionHandle::restore(record.region, &world.config);
    let (Some(owner), Some(region)) = (owner, region) else {
        return Err(Inconsistent::UnknownOwnerOrRegion(id));
    };
    if record.seq >= world.next_seq || !seqs.insert(record.seq) {
        return Err(Inconsistent::BadSequence(id));
    }
    if !record.name.is_empty() && world.name_taken(owner, region, &record.name) {
        return Err(Inconsistent::DuplicateName(id));
    }
    let copy = record.copy.map(|(source, task)| CopyOf { source, task });
    if copy.is_some_and(|copy| copy.task.phase() == CopyPhase::Cancelled) {
        return Err(Inconsistent::CancelledCopy(id));
    }
    let details = Details {
        description: Box::from(&*record.description),
        tags: record
            .tags
            .iter()
            .map(|(k, v)| (Box::from(&**k), Box::from(&**v)))
            .collect(),
        encrypted: record.encrypted,
        kms_key_id: Box::from(&*record.kms_key_id),
        deprecated: record.deprecated,
        shares: record
            .shares
            .iter()
            .map(|&(account, since)| {
                let account = AccountHandle::restore(account, &world.accounts);
                Ok((account.ok_or(Inconsistent::BadShare(id))?, since))
            })
            .collect::<Result<_, Inconsistent>>()?,
    };
    Ok(Image {
        seq: record.seq,
        block: 0,
        owner,
        region,
        created: record.created,
        size_gib: record.size_gib,
        name: Box::from(&*record.name),
        details: details.boxed(),
        copy,
    })
}

/// Puts a checked image's indexes back, in creation order (its name is
/// already in): listing, and the queue or slot its phase holds.
fn restore_image(world: &mut World, id: ImageId, image: &mut Image) {
    let shelf = world.shelves.entry((image.owner, image.region));
    image.block = (shelf.or_default().listing).push(id, image.seq, image.status());
    for &(grantee, _) in image.details().map_or(&[][..], |d| &d.shares[..]) {
        world
            .grants
            .entry((grantee, image.region))
            .or_default()
            .push(id);
    }
    if let Some(copy) = image.copy {
        let shelf = world.shelves.entry((image.owner, image.region));
        let slots = &mut shelf.or_default().slots;
        match copy.task.phase() {
            CopyPhase::Queued => slots.queued.push(id),
            CopyPhase::Copying | CopyPhase::Finalizing => slots.running.push(id),
            _ => {}
        }
    }
}

impl World {
    fn orphan_records(&self) -> Vec<(SnapshotId, u32, u32)> {
        let mut orphans: Vec<_> = (self.orphans.iter())
            .map(|(&id, orphan)| (id, orphan.owner.number(), orphan.region.number()))
            .collect();
        orphans.sort_unstable();
        orphans
    }
}
