//! The service model: regions, accounts, images and their copy queues, and
//! the CopyImage and CancelCopyImage actions.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::config::DEFAULT_COPY_LIMIT;
use crate::id::nth_image_id;
use crate::request::rules::{self, given};
use crate::{
    CancelCopyImage, Config, CopyImage, CopyPhase, CopyTask, EcsError, ImageId, Tag, Timestamp,
};

/// SipHash with fixed keys: unlike `RandomState` it reads no random source,
/// so the model behaves the same on every run. For keys that come from
/// callers: account names, image names, client tokens.
pub(crate) type Fixed = BuildHasherDefault<DefaultHasher>;

/// A cheap hasher for keys the model issues itself: image IDs and account
/// and region indexes.
pub(crate) type Issued = BuildHasherDefault<IssuedHasher>;

/// One 64-bit multiply, folded: the hash of [`Issued`] maps.
///
/// SipHash was about a fifth of the instructions of a cancel and its
/// restoring copy (docs/performance.md). It buys nothing here: every
/// key these maps hold is one the model made. An image ID is
/// the output of the bijective mixer `id::mix` over a counter (a restored
/// snapshot's IDs are checked to be too), and account and region indexes
/// are small counters. A caller's ID text is parsed and looked up, never
/// inserted, so no caller can fill a table with colliding keys; an ID that
/// collides only makes its own lookup probe longer. The folded multiply
/// spreads the counters' low bits into the high bits hashbrown tags with,
/// and it reads no random source, so the model stays deterministic.
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
/// It is pure: time comes in as a [`Timestamp`] and new IDs from a sequence
/// seeded by the [`Config`], so the same calls give the same answers. A
/// call that fails changes nothing.
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
    pub(crate) images: HashMap<ImageId, Image, Issued>,
    /// Each account's images in each region, by (owner, region): their
    /// names, and the listing DescribeImages scans.
    pub(crate) shelves: HashMap<(u32, u32), Shelf, Issued>,
    /// Successful CopyImage calls by account and ClientToken.
    pub(crate) tokens: HashMap<u32, HashMap<Box<str>, Replay, Fixed>, Issued>,
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
// only noted, so a removal neither searches nor shifts. Once the noted IDs
// are more than half of the entries, one pass sweeps them all out: at most
// two entries' work per removal, and never more than twice the live
// entries in memory. The sweep reads only the list itself, never the image
// table. IDs are never reused, so a removed ID never comes back.

/// Image IDs in the order they were added, with lazy removal.
#[derive(Clone, Debug, Default)]
pub(crate) struct Listing {
    entries: Vec<ImageId>,
    /// The IDs of `entries` that have been removed, in no order.
    removed: Vec<ImageId>,
}

impl Listing {
    /// Adds `id` at the end.
    pub(crate) fn push(&mut self, id: ImageId) {
        self.entries.push(id);
    }

    /// Removes `id`, which must be in the listing and not yet removed.
    pub(crate) fn remove(&mut self, id: ImageId) {
        self.removed.push(id);
        if self.removed.len() * 2 > self.entries.len() {
            self.removed.sort_unstable();
            let removed = &self.removed;
            self.entries.retain(|id| removed.binary_search(id).is_err());
            self.removed.clear();
        }
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
    /// The IDs of `entries` that have been removed.
    removed: HashSet<ImageId, Issued>,
}

impl Queue {
    /// How many IDs are in the queue, not counting removed ones.
    #[cfg(feature = "serde")] // Only a restored snapshot's check counts them.
    pub(crate) fn len(&self) -> usize {
        self.entries.len() - self.removed.len()
    }

    /// Whether every ID in the queue has been removed or taken.
    #[cfg(feature = "serde")]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `id` at the end.
    pub(crate) fn push(&mut self, id: ImageId) {
        self.entries.push_back(id);
    }

    /// Removes `id`, which must be in the queue and not yet removed.
    pub(crate) fn remove(&mut self, id: ImageId) {
        let fresh = self.removed.insert(id);
        debug_assert!(fresh, "{id} removed twice");
        if self.removed.len() * 2 > self.entries.len() {
            let removed = &self.removed;
            self.entries.retain(|id| !removed.contains(id));
            self.removed.clear();
        }
    }

    /// Takes the first ID out, skipping removed ones.
    pub(crate) fn pop_front(&mut self) -> Option<ImageId> {
        while let Some(id) = self.entries.pop_front() {
            if self.removed.is_empty() || !self.removed.remove(&id) {
                return Some(id);
            }
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
            config,
            accounts: Accounts::default(),
            images: HashMap::default(),
            shelves: HashMap::default(),
            tokens: HashMap::default(),
            next_seq: 0,
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
        let image = self.images.get(&id)?;
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
            } => self.commit_copy(request, source, owner, size_gib, destination, now),
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

    /// Creates the copy that `plan_copy` allowed; cannot fail. The plan
    /// found the source and its owner, the caller, so neither is looked up
    /// again.
    fn commit_copy(
        &mut self,
        request: &CopyImage<'_>,
        source: ImageId,
        owner: u32,
        size_gib: u32,
        destination: u32,
        now: Timestamp,
    ) -> ImageId {
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
        let id = self.insert_image(owner, destination, name, size_gib, now, details, Some(copy));
        if let Some((token, parameters)) = fingerprint {
            let replay = Replay {
                parameters,
                image: id,
            };
            let tokens = self.tokens.entry(owner).or_default();
            tokens.insert(token.into(), replay);
        }
        self.fill_slots(destination);
        id
    }

    /// Adds an image under a fresh ID, queueing it if it is a copy.
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
    ) -> ImageId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = nth_image_id(self.config.id_seed(), seq);
        let shelf = self.shelves.entry((owner, region)).or_default();
        if !name.is_empty() {
            shelf.names.insert(name.into());
        }
        shelf.listing.push(id);
        if let (Some(_), Some(slots)) = (copy, self.regions.get_mut(region as usize)) {
            slots.queued.push(id);
        }
        let image = Image {
            seq,
            owner,
            region,
            created,
            size_gib,
            name: name.into(),
            details,
            copy,
        };
        self.images.insert(id, image);
        id
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
        let Some(image) = self.images.remove(&id) else {
            return;
        };
        if let Some(shelf) = self.shelves.get_mut(&(image.owner, image.region)) {
            // An unnamed image put no name in the set.
            if !image.name.is_empty() {
                shelf.names.remove(&image.name);
            }
            shelf.listing.remove(id);
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
            CopyPhase::Queued => slots.queued.remove(id),
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
            let Some(id) = slots.queued.pop_front() else {
                break;
            };
            let copy = self
                .images
                .get_mut(&id)
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
