//! The service model: regions, accounts, images and their copy queues, and
//! the CopyImage and CancelCopyImage actions.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::config::DEFAULT_COPY_LIMIT;
use crate::request::rules::{self, given};
use crate::table::ImageTable;
use crate::{
    CancelCopyImage, Config, CopyImage, CopyPhase, CopyTask, EcsError, ImageId, Tag, Timestamp,
};

/// SipHash with fixed keys: unlike `RandomState` it reads no random source,
/// so the model behaves the same on every run. For keys that come from
/// callers: account names, image names, client tokens.
pub(crate) type Fixed = BuildHasherDefault<DefaultHasher>;

/// A cheap hasher for keys the model issues itself: account and region
/// indexes. (Image IDs are not hashed at all: an ID names its slot of the
/// image table, see `table`.)
pub(crate) type Issued = BuildHasherDefault<IssuedHasher>;

/// One 64-bit multiply, folded: the hash of [`Issued`] maps.
///
/// SipHash buys nothing here: every key these maps hold is one the model
/// made, small counters that no caller chooses, so no caller can fill a
/// table with colliding keys. The folded multiply spreads the counters'
/// low bits into the high bits hashbrown tags with, and it reads no
/// random source, so the model stays deterministic.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IssuedHasher(u64);

impl Hasher for IssuedHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by the keys above (integers only); correct for any key.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
            self.0 = fold(self.0);
        }
    }

    fn write_u32(&mut self, n: u32) {
        // (owner, region): both halves kept apart, so pairs do not collide.
        self.0 = self.0.rotate_left(32) ^ u64::from(n);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }

    fn finish(&self) -> u64 {
        fold(self.0)
    }
}

/// The high and low halves of `x` times an odd constant, XORed.
fn fold(x: u64) -> u64 {
    let product = u128::from(x) * 0x9e37_79b9_7f4a_7c15;
    (product as u64) ^ ((product >> 64) as u64)
}

/// The whole modelled service: every region's images, by account, and the
/// copies queued and running in each region.
///
/// It is pure: time comes in as a [`Timestamp`], and a new ID is a
/// function of the world and the [`Config`]'s seed, so the same calls give
/// the same answers. A call that fails changes nothing. An ID names where
/// its image lives, so finding an image hashes nothing; a cancelled copy's
/// ID is never issued again.
///
/// ```
/// use ecs_image_copy::{
///     CancelCopyImage, CopyImage, DescribeImages, EcsError, Percent, Timestamp, World,
/// };
///
/// let mut world = World::default();
/// let now = Timestamp::from_unix_seconds(1_795_000_000);
/// let source = world.create_image("alice", "cn-hangzhou", "web", now)?.to_string();
///
/// // Copy it to Beijing; the copy starts at once, as a slot is free.
/// let mut copy = CopyImage::new("cn-hangzhou", &source);
/// copy.destination_region_id = Some("cn-beijing");
/// let copy = world.copy_image("alice", &copy, now)?;
///
/// // The backend reports progress, which DescribeImages shows.
/// world.set_copy_progress("cn-beijing", copy, Percent::new(40).unwrap())?;
/// let id = copy.to_string();
/// let mut describe = DescribeImages::new("cn-beijing");
/// describe.image_id = Some(&id);
/// describe.status = Some("Creating,Waiting");
/// let page = world.describe_images("alice", &describe)?;
/// assert_eq!(page.images[0].progress().to_string(), "40%");
///
/// // Cancel it: the copy disappears; another account could not see it.
/// let cancel = CancelCopyImage::new("cn-beijing", &id);
/// assert_eq!(world.cancel_copy_image("bob", &cancel), Err(EcsError::ImageNotFound));
/// world.cancel_copy_image("alice", &cancel)?;
/// assert_eq!(world.cancel_copy_image("alice", &cancel), Err(EcsError::ImageNotFound));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct World {
    pub(crate) config: Config,
    pub(crate) regions: Vec<Region>,
    pub(crate) accounts: Accounts,
    pub(crate) images: ImageTable,
    /// Each account's images in each region, by (owner, region): their
    /// names, and the listing DescribeImages scans.
    pub(crate) shelves: HashMap<(u32, u32), Shelf, Issued>,
    /// Successful CopyImage calls by account and ClientToken.
    pub(crate) tokens: HashMap<u32, HashMap<Box<str>, Replay, Fixed>, Issued>,
    /// The creation number of the next image: listings, queues and
    /// DescribeImages order images by it.
    pub(crate) next_seq: u64,
}

/// One account's images in one region.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shelf {
    /// The names in use.
    pub(crate) names: HashSet<Box<str>, Fixed>,
    /// Every image, by creation order.
    pub(crate) listing: Listing,
}

/// A region's copy slots: running and queued copies.
#[derive(Clone, Debug, Default)]
pub(crate) struct Region {
    /// The copies holding a slot (copying or finalizing), in the order they
    /// started: at most the region's copy limit.
    pub(crate) running: Vec<ImageId>,
    /// The queued copies, oldest first.
    pub(crate) queued: Queue,
}

// `Listing` and `Queue` remove lazily. A removed ID stays where it is and is
// only counted, so a removal neither searches, shifts nor touches memory
// beyond the count. Readers skip the IDs that are no longer listed or
// queued, as the image table tells: IDs are never reused, so a removed ID
// never comes back. Once the removed IDs are more than half of the
// entries, one pass sweeps them out: at most two entries' work per removal,
// and never more than twice the live entries in memory.

/// Image IDs in the order they were added, with lazy removal.
#[derive(Clone, Debug, Default)]
pub(crate) struct Listing {
    entries: Vec<ImageId>,
    /// How many of `entries` are no longer images.
    removed: usize,
}

impl Listing {
    /// Adds `id` at the end.
    pub(crate) fn push(&mut self, id: ImageId) {
        self.entries.push(id);
    }

    /// Notes that an image of the listing is gone; true when it is time to
    /// [`sweep`](Listing::sweep).
    pub(crate) fn remove(&mut self) -> bool {
        self.removed += 1;
        self.removed * 2 > self.entries.len()
    }

    /// Drops every ID that is not `present`.
    pub(crate) fn sweep(&mut self, present: impl Fn(ImageId) -> bool) {
        self.entries.retain(|&id| present(id));
        self.removed = 0;
    }

    /// Every ID in the order added, removed ones included: the caller
    /// skips IDs that are no longer images.
    pub(crate) fn all(&self) -> &[ImageId] {
        &self.entries
    }
}

/// Image IDs, first in first out, with lazy removal.
#[derive(Clone, Debug, Default)]
pub(crate) struct Queue {
    entries: VecDeque<ImageId>,
    /// How many of `entries` are no longer queued copies.
    removed: usize,
}

impl Queue {
    /// How many IDs are in the queue, not counting removed ones.
    #[cfg(any(test, feature = "serde"))] // A restored snapshot's check counts them.
    pub(crate) fn len(&self) -> usize {
        self.entries.len() - self.removed
    }

    /// Whether every ID in the queue has been removed or taken.
    #[cfg(any(test, feature = "serde"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `id` at the end.
    pub(crate) fn push(&mut self, id: ImageId) {
        self.entries.push_back(id);
    }

    /// Notes that a copy of the queue left it; true when it is time to
    /// [`sweep`](Queue::sweep).
    pub(crate) fn remove(&mut self) -> bool {
        self.removed += 1;
        self.removed * 2 > self.entries.len()
    }

    /// Drops every ID that is not `queued`.
    pub(crate) fn sweep(&mut self, queued: impl Fn(ImageId) -> bool) {
        self.entries.retain(|&id| queued(id));
        self.removed = 0;
    }

    /// Takes the first ID that is still `queued` out.
    pub(crate) fn pop_front(&mut self, queued: impl Fn(ImageId) -> bool) -> Option<ImageId> {
        while let Some(id) = self.entries.pop_front() {
            if queued(id) {
                return Some(id);
            }
            self.removed = self.removed.saturating_sub(1);
        }
        None
    }
}

/// Account names, interned to small numbers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Accounts {
    pub(crate) names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32, Fixed>,
}

impl Accounts {
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub(crate) fn name(&self, account: u32) -> &str {
        self.names.get(account as usize).map_or("", |name| name)
    }

    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(account) = self.find(name) {
            return account;
        }
        let account = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), account);
        account
    }
}

/// One image of the world.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Image {
    /// Creation order: the `next_seq` the image was made with.
    pub(crate) seq: u64,
    pub(crate) owner: u32,
    pub(crate) region: u32,
    pub(crate) created: Timestamp,
    pub(crate) size_gib: u32,
    pub(crate) name: Box<str>,
    /// What most images do not have, kept out of line to keep images small.
    pub(crate) details: Option<Box<Details>>,
    pub(crate) copy: Option<CopyOf>,
}

/// An image's optional attributes.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(crate) struct Details {
    pub(crate) description: Box<str>,
    pub(crate) tags: Box<[(Box<str>, Box<str>)]>,
    pub(crate) encrypted: bool,
    pub(crate) kms_key_id: Box<str>,
}

/// What makes an image a copy: its source and its task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct CopyOf {
    pub(crate) source: ImageId,
    pub(crate) task: CopyTask,
}

/// A CopyImage call remembered for its ClientToken.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Replay {
    /// Every parameter but the token and DryRun, destination resolved.
    pub(crate) parameters: Vec<Box<str>>,
    pub(crate) image: ImageId,
}

/// What a CopyImage that passed every check will do.
enum CopyPlan {
    /// A retry of an earlier call with the same token: its copy.
    Replay(ImageId),
    /// A new copy of this source, owned by the caller (`owner`, as the
    /// source is theirs) and of its size, into this region.
    New {
        source: ImageId,
        owner: u32,
        size_gib: u32,
        destination: u32,
    },
}

impl Default for World {
    /// A world with the default [`Config`].
    fn default() -> World {
        World::new(Config::default())
    }
}

impl World {
    /// An empty world with the regions and limits of `config`.
    pub fn new(config: Config) -> World {
        World {
            regions: vec![Region::default(); config.regions.len()],
            accounts: Accounts::default(),
            images: ImageTable::new(config.id_seed()),
            shelves: HashMap::default(),
            tokens: HashMap::default(),
            next_seq: 0,
            config,
        }
    }

    /// The configuration the world was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many images there are, copies included.
    pub fn image_count(&self) -> usize {
        self.images.len()
    }

    pub(crate) fn region_index(&self, region: &str) -> Option<u32> {
        let position = self.config.regions.iter().position(|(id, _)| id == region);
        position.map(|index| index as u32)
    }

    pub(crate) fn region_name(&self, region: u32) -> &str {
        let region = self.config.regions.get(region as usize);
        region.map_or("", |(id, _)| id.as_str())
    }

    pub(crate) fn copy_limit(&self, region: u32) -> usize {
        let limit = self
            .config
            .regions
            .get(region as usize)
            .map(|(_, l)| l.get());
        limit.unwrap_or(DEFAULT_COPY_LIMIT.get()) as usize
    }

    /// The image `id` as `caller` sees it in `region`: their own, present.
    pub(crate) fn visible(&self, caller: &str, region: u32, id: &str) -> Option<(ImageId, &Image)> {
        let id: ImageId = id.parse().ok()?;
        let image = self.images.get(id)?;
        // Account names are interned one to one, so comparing the owner's
        // name is `accounts.find(caller) == Some(image.owner)`, without
        // hashing the caller's name.
        let own = image.region == region && self.accounts.name(image.owner) == caller;
        own.then_some((id, image))
    }

    /// The image `image` of `caller` in `region`, as the mock control
    /// actions find it: a missing parameter, an unknown region, then an
    /// image the caller cannot see, answer as the API actions do.
    pub fn caller_image(
        &self,
        caller: &str,
        region: &str,
        image: &str,
    ) -> Result<ImageId, EcsError> {
        let region = given(Some(region)).ok_or(EcsError::MissingRegionId)?;
        let image = given(Some(image)).ok_or(EcsError::MissingImageId)?;
        let region = self.region_index(region).ok_or(EcsError::RegionNotFound)?;
        let (id, _) = self
            .visible(caller, region, image)
            .ok_or(EcsError::ImageNotFound)?;
        Ok(id)
    }

    /// CopyImage as `caller`: the new copy's ID, or the first error in the
    /// documented order. `now` becomes the copy's `CreationTime`.
    pub fn copy_image(
        &mut self,
        caller: &str,
        request: &CopyImage<'_>,
        now: Timestamp,
    ) -> Result<ImageId, EcsError> {
        let plan = self.plan_copy(caller, request)?;
        if request.dry_run {
            return Err(EcsError::DryRunOperation);
        }
        Ok(match plan {
            CopyPlan::Replay(image) => image,
            CopyPlan::New {
                source,
                owner,
                size_gib,
                destination,
            } => self.commit_copy(request, source, owner, size_gib, destination, now)?,
        })
    }

    /// Every check of CopyImage, in order, without changing anything.
    fn plan_copy(&self, caller: &str, request: &CopyImage<'_>) -> Result<CopyPlan, EcsError> {
        let region = given(request.region_id).ok_or(EcsError::MissingRegionId)?;
        let image = given(request.image_id).ok_or(EcsError::MissingImageId)?;
        let source_region = self
            .region_index(region)
            .ok_or(EcsError::SourceRegionNotFound)?;
        let destination = match given(request.destination_region_id) {
            Some(region) => self
                .region_index(region)
                .ok_or(EcsError::DestinationRegionNotFound)?,
            None => source_region,
        };
        check_copy_parameters(request)?;
        if let Some(replay) = self.replay(caller, request, destination)? {
            return Ok(CopyPlan::Replay(replay));
        }
        let (source, found) = self
            .visible(caller, source_region, image)
            .ok_or(EcsError::ImageNotFound)?;
        if self.view(source, found).status() != crate::ImageStatus::Available {
            return Err(EcsError::ImageNotAvailable);
        }
        let name = given(request.destination_image_name);
        if name.is_some_and(|name| self.name_taken(found.owner, destination, name)) {
            return Err(EcsError::ImageNameDuplicated);
        }
        if self.images.is_full() {
            return Err(EcsError::ImageQuotaExceeded);
        }
        Ok(CopyPlan::New {
            source,
            owner: found.owner,
            size_gib: found.size_gib,
            destination,
        })
    }

    /// The earlier copy for the request's ClientToken, if any. A retry must
    /// get its first answer even though the world has changed since (its
    /// own copy now holds the name), so this comes before the checks
    /// that read the world.
    fn replay(
        &self,
        caller: &str,
        request: &CopyImage<'_>,
        destination: u32,
    ) -> Result<Option<ImageId>, EcsError> {
        let Some(token) = given(request.client_token) else {
            return Ok(None);
        };
        let earlier = self
            .accounts
            .find(caller)
            .and_then(|account| self.tokens.get(&account)?.get(token));
        match earlier {
            None => Ok(None),
            Some(replay) if replay.parameters == self.fingerprint(request, destination) => {
                Ok(Some(replay.image))
            }
            Some(_) => Err(EcsError::IdempotentParameterMismatch),
        }
    }

    /// The parameters that make two CopyImage calls the same call.
    fn fingerprint(&self, request: &CopyImage<'_>, destination: u32) -> Vec<Box<str>> {
        let text = |value: Option<&str>| Box::from(given(value).unwrap_or(""));
        let mut parameters = vec![
            text(request.region_id),
            text(request.image_id),
            Box::from(self.region_name(destination)),
            text(request.destination_image_name),
            text(request.destination_description),
            Box::from(if request.encrypted { "true" } else { "false" }),
            text(request.kms_key_id),
            text(request.resource_group_id),
        ];
        for tag in request.tags {
            parameters.extend([Box::from(tag.key), Box::from(tag.value)]);
        }
        parameters
    }

    pub(crate) fn name_taken(&self, owner: u32, region: u32, name: &str) -> bool {
        self.shelves
            .get(&(owner, region))
            .is_some_and(|shelf| shelf.names.contains(name))
    }

    /// Creates the copy that `plan_copy` allowed. The plan found the source
    /// and its owner, the caller, so neither is looked up again; it also
    /// found room in the image table, so this does not fail (and if it did,
    /// it would change nothing).
    fn commit_copy(
        &mut self,
        request: &CopyImage<'_>,
        source: ImageId,
        owner: u32,
        size_gib: u32,
        destination: u32,
        now: Timestamp,
    ) -> Result<ImageId, EcsError> {
        let fingerprint = request
            .client_token
            .filter(|token| !token.is_empty())
            .map(|token| (token, self.fingerprint(request, destination)));
        let details = copy_details(request);
        let name = given(request.destination_image_name).unwrap_or("");
        let copy = CopyOf {
            source,
            task: CopyTask::new(),
        };
        let id = self.insert_image(owner, destination, name, size_gib, now, details, Some(copy))?;
        if let Some((token, parameters)) = fingerprint {
            let replay = Replay {
                parameters,
                image: id,
            };
            let tokens = self.tokens.entry(owner).or_default();
            tokens.insert(token.into(), replay);
        }
        self.fill_slots(destination);
        Ok(id)
    }

    /// Adds an image under a fresh ID, queueing it if it is a copy. Fails,
    /// changing nothing, only if the image table is full.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert_image(
        &mut self,
        owner: u32,
        region: u32,
        name: &str,
        size_gib: u32,
        created: Timestamp,
        details: Option<Box<Details>>,
        copy: Option<CopyOf>,
    ) -> Result<ImageId, EcsError> {
        let image = Image {
            seq: self.next_seq,
            owner,
            region,
            created,
            size_gib,
            name: name.into(),
            details,
            copy,
        };
        let id = self
            .images
            .insert(image)
            .ok_or(EcsError::ImageQuotaExceeded)?;
        self.next_seq += 1;
        let shelf = self.shelves.entry((owner, region)).or_default();
        if !name.is_empty() {
            shelf.names.insert(name.into());
        }
        shelf.listing.push(id);
        if let (Some(_), Some(slots)) = (copy, self.regions.get_mut(region as usize)) {
            slots.queued.push(id);
        }
        Ok(id)
    }

    /// CancelCopyImage as `caller`: `Ok` once the copy is cancelled and its
    /// destination image deleted, or the first error in the documented order.
    pub fn cancel_copy_image(
        &mut self,
        caller: &str,
        request: &CancelCopyImage<'_>,
    ) -> Result<(), EcsError> {
        let region = given(request.region_id).ok_or(EcsError::MissingRegionId)?;
        let image = given(request.image_id).ok_or(EcsError::MissingImageId)?;
        let region = self.region_index(region).ok_or(EcsError::RegionNotFound)?;
        let (id, image) = self
            .visible(caller, region, image)
            .ok_or(EcsError::ImageNotFound)?;
        let copy = image.copy.ok_or(EcsError::ImageNotCopying)?;
        copy.task.cancel()?;
        self.remove_image(id);
        Ok(())
    }

    /// Deletes an image and frees its copy slot, if it held one.
    fn remove_image(&mut self, id: ImageId) {
        let Some(image) = self.images.remove(id) else {
            return;
        };
        if let Some(shelf) = self.shelves.get_mut(&(image.owner, image.region)) {
            // An unnamed image put no name in the set.
            if !image.name.is_empty() {
                shelf.names.remove(&image.name);
            }
            if shelf.listing.remove() {
                let images = &self.images;
                shelf.listing.sweep(|id| images.get(id).is_some());
            }
        }
        if let Some(copy) = image.copy {
            self.release_slot(image.region, id, copy.task.phase());
        }
    }

    /// Takes a copy that was in phase `was` out of its region's queue or
    /// slots, and refills the slots. A copy in any other phase held neither.
    pub(crate) fn release_slot(&mut self, region: u32, id: ImageId, was: CopyPhase) {
        let Some(slots) = self.regions.get_mut(region as usize) else {
            return;
        };
        match was {
            CopyPhase::Queued => {
                if slots.queued.remove() {
                    let images = &self.images;
                    slots.queued.sweep(|id| is_queued(images, id));
                }
            }
            CopyPhase::Copying | CopyPhase::Finalizing => {
                if let Some(slot) = slots.running.iter().position(|&r| r == id) {
                    slots.running.remove(slot);
                }
            }
            CopyPhase::Completed | CopyPhase::Failed | CopyPhase::Cancelled => return,
        }
        self.fill_slots(region);
    }

    /// Starts the oldest queued copies while the region has free slots.
    pub(crate) fn fill_slots(&mut self, region: u32) {
        let limit = self.copy_limit(region);
        let Some(slots) = self.regions.get_mut(region as usize) else {
            return;
        };
        while slots.running.len() < limit {
            let images = &self.images;
            let Some(id) = slots.queued.pop_front(|id| is_queued(images, id)) else {
                break;
            };
            let copy = self
                .images
                .get_mut(id)
                .and_then(|image| image.copy.as_mut());
            // The queue holds queued copies only (a copy that leaves the
            // phase otherwise is removed), so the start succeeds.
            if let Some(copy) = copy
                && let Ok(started) = copy.task.start()
            {
                copy.task = started;
                slots.running.push(id);
            }
        }
    }
}

/// Whether `id` is a copy waiting for a slot.
fn is_queued(images: &ImageTable, id: ImageId) -> bool {
    let copy = images.get(id).and_then(|image| image.copy);
    copy.is_some_and(|copy| copy.task.phase() == CopyPhase::Queued)
}

/// CopyImage's checks of its parameters' form, after the regions.
fn check_copy_parameters(request: &CopyImage<'_>) -> Result<(), EcsError> {
    if given(request.destination_image_name).is_some_and(|name| !rules::image_name(name)) {
        return Err(EcsError::ImageNameMalformed);
    }
    if given(request.destination_description).is_some_and(|text| !rules::description(text)) {
        return Err(EcsError::DescriptionMalformed);
    }
    if given(request.kms_key_id).is_some() && !request.encrypted {
        return Err(EcsError::EncryptedIllegal);
    }
    let token_valid = given(request.client_token).is_none_or(rules::client_token);
    if !token_valid || !rules::tags(request.tags) {
        return Err(EcsError::InvalidParameter);
    }
    Ok(())
}

fn copy_details(request: &CopyImage<'_>) -> Option<Box<Details>> {
    let description = given(request.destination_description).unwrap_or("");
    let kms_key_id = given(request.kms_key_id).unwrap_or("");
    let none = description.is_empty() && request.tags.is_empty() && kms_key_id.is_empty();
    if none && !request.encrypted {
        // `Details::default()`: what most copies have, built for nothing.
        return None;
    }
    let details = Details {
        description: description.into(),
        tags: request.tags.iter().map(owned_tag).collect(),
        encrypted: request.encrypted,
        kms_key_id: kms_key_id.into(),
    };
    (details != Details::default()).then(|| Box::new(details))
}

fn owned_tag(tag: &Tag<'_>) -> (Box<str>, Box<str>) {
    (tag.key.into(), tag.value.into())
}

/// A server shares one world between threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<World>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{WorldError, precedence::COPY_IMAGE_CHECKS};

    const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_000_000);

    /// A world whose image table has two slots, both taken: a source in
    /// Hangzhou and a copy of it queued in Beijing... or running.
    fn full_world() -> (World, String) {
        let mut world = World::default();
        world.images = ImageTable::with_capacity_limit(world.config.id_seed(), 2);
        let source = world.create_image("alice", "cn-hangzhou", "web", NOW);
        let source = source.map(|id| id.to_string()).unwrap_or_default();
        let mut copy = CopyImage::new("cn-hangzhou", &source);
        copy.destination_region_id = Some("cn-beijing");
        assert!(world.copy_image("alice", &copy, NOW).is_ok());
        (world, source)
    }

    #[test]
    fn a_full_image_table_answers_quota_exceed_last_and_changes_nothing() {
        let (mut world, source) = full_world();
        let before = format!("{world:?}");
        let mut copy = CopyImage::new("cn-hangzhou", &source);
        copy.destination_image_name = Some("web");
        assert_eq!(
            world.copy_image("alice", &copy, NOW),
            Err(EcsError::ImageNameDuplicated),
            "the name is checked before the table"
        );
        copy.destination_image_name = Some("web-2");
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
        assert_eq!(COPY_IMAGE_CHECKS.last().map(|c| c.error), Some(error));
    }

    #[test]
    fn lazy_lists_sweep_once_removed_ids_are_over_half_and_keep_order() {
        let ids: Vec<ImageId> = (0..6).map(ImageId::from_number).collect();
        let alive = |id: ImageId| id.number().is_multiple_of(3);
        let mut queue = Queue::default();
        let mut listing = Listing::default();
        for &id in &ids {
            queue.push(id);
            listing.push(id);
        }
        // IDs 1, 2, 4 and 5 go; the fourth removal is over half of six.
        let due: Vec<bool> = (0..4).map(|_| queue.remove()).collect();
        assert_eq!(due, [false, false, false, true]);
        let due: Vec<bool> = (0..4).map(|_| listing.remove()).collect();
        assert_eq!(due, [false, false, false, true]);
        listing.sweep(alive);
        assert_eq!(listing.all(), [ids[0], ids[3]]);
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.pop_front(alive), Some(ids[0]));
        assert_eq!(queue.len(), 1, "a popped ID is no longer counted");
        queue.sweep(alive);
        assert_eq!(queue.entries, [ids[3]]);
        assert_eq!(
            (queue.pop_front(alive), queue.pop_front(alive)),
            (Some(ids[3]), None)
        );
        assert!(queue.is_empty());
    }

    #[test]
    fn a_cancel_frees_a_slot_of_a_full_table_for_a_new_id() {
        let (mut world, source) = full_world();
        let copy = world.images.iter().find(|(_, image)| image.copy.is_some());
        let copy = copy.map(|(id, _)| id.to_string()).unwrap_or_default();
        let cancel = CancelCopyImage::new("cn-beijing", &copy);
        assert_eq!(world.cancel_copy_image("alice", &cancel), Ok(()));
        let mut again = CopyImage::new("cn-hangzhou", &source);
        again.destination_region_id = Some("cn-beijing");
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
    }
}
