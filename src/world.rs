//! The service model: regions, accounts, images and their copy queues, and
//! the CopyImage and CancelCopyImage actions.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::num::NonZeroU32;

use crate::id::nth_image_id;
use crate::request::rules::{self, given};
use crate::{CancelCopyImage, CopyImage, CopyPhase, CopyTask, EcsError, ImageId, Tag, Timestamp};

/// SipHash with fixed keys: unlike `RandomState` it reads no random source,
/// so the model behaves the same on every run.
pub(crate) type Fixed = BuildHasherDefault<DefaultHasher>;

/// The region IDs a default [`Config`] has (ecs-facts §6).
pub const DEFAULT_REGIONS: [&str; 13] = [
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "cn-qingdao",
    "cn-zhangjiakou",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-northeast-1",
    "us-west-1",
    "us-east-1",
    "eu-central-1",
    "eu-west-1",
];

/// How many copies a destination region runs at once unless configured.
pub const DEFAULT_COPY_LIMIT: NonZeroU32 = match NonZeroU32::new(5) {
    Some(limit) => limit,
    None => NonZeroU32::MIN,
};

/// The size in GiB of an image created without one.
pub const DEFAULT_IMAGE_SIZE_GIB: u32 = 40;

/// The regions of a [`World`], their copy limits, and the seed of its IDs.
///
/// ```
/// use std::num::NonZeroU32;
/// use ecs_image_copy::Config;
///
/// let config = Config::new(["cn-hangzhou", "cn-beijing"])
///     .with_copy_limit(NonZeroU32::new(2).unwrap())
///     .with_id_seed(7);
/// assert_eq!(config.regions().count(), 2);
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Config {
    regions: Vec<(String, NonZeroU32)>,
    id_seed: u64,
}

impl Default for Config {
    /// The regions of [`DEFAULT_REGIONS`], five copies at once in each.
    fn default() -> Config {
        Config::new(DEFAULT_REGIONS)
    }
}

impl Config {
    /// These regions (duplicates dropped), five copies at once in each.
    pub fn new<R: Into<String>>(regions: impl IntoIterator<Item = R>) -> Config {
        let mut config = Config {
            regions: Vec::new(),
            id_seed: 0,
        };
        for region in regions {
            let region = region.into();
            if !config.regions.iter().any(|(id, _)| *id == region) {
                config.regions.push((region, DEFAULT_COPY_LIMIT));
            }
        }
        config
    }

    /// Every region runs at most `limit` copies at once.
    pub fn with_copy_limit(mut self, limit: NonZeroU32) -> Config {
        for (_, region_limit) in &mut self.regions {
            *region_limit = limit;
        }
        self
    }

    /// `region` runs at most `limit` copies at once; no effect on a region
    /// the config does not have.
    pub fn with_region_copy_limit(mut self, region: &str, limit: NonZeroU32) -> Config {
        if let Some((_, region_limit)) = self.regions.iter_mut().find(|(id, _)| id == region) {
            *region_limit = limit;
        }
        self
    }

    /// New image IDs are a function of this seed and a counter, so that
    /// two worlds with different seeds issue different IDs.
    pub fn with_id_seed(mut self, seed: u64) -> Config {
        self.id_seed = seed;
        self
    }

    /// The seed of new image IDs.
    pub fn id_seed(&self) -> u64 {
        self.id_seed
    }

    /// The regions and their copy limits, in configuration order.
    pub fn regions(&self) -> impl Iterator<Item = (&str, NonZeroU32)> {
        self.regions.iter().map(|(id, limit)| (id.as_str(), *limit))
    }
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
    pub(crate) images: HashMap<ImageId, Image, Fixed>,
    /// Every image by (owner, region, creation order): DescribeImages' scan.
    pub(crate) listing: BTreeMap<(u32, u32, u64), ImageId>,
    /// Image names in use, by (owner, region).
    pub(crate) names: HashMap<(u32, u32), HashSet<Box<str>, Fixed>, Fixed>,
    /// Successful CopyImage calls by account and ClientToken.
    pub(crate) tokens: HashMap<u32, HashMap<Box<str>, Replay, Fixed>, Fixed>,
    pub(crate) next_seq: u64,
}

/// A region's copy slots: running and queued copies by creation order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Region {
    pub(crate) running: BTreeMap<u64, ImageId>,
    pub(crate) queued: BTreeMap<u64, ImageId>,
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
    /// A new copy of this source into this region.
    New { source: ImageId, destination: u32 },
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
            listing: BTreeMap::new(),
            names: HashMap::default(),
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
        let owner = self.accounts.find(caller)?;
        let id: ImageId = id.parse().ok()?;
        let image = self.images.get(&id)?;
        (image.owner == owner && image.region == region).then_some((id, image))
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
                destination,
            } => self.commit_copy(caller, request, source, destination, now),
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
        self.names
            .get(&(owner, region))
            .is_some_and(|names| names.contains(name))
    }

    /// Creates the copy that `plan_copy` allowed; cannot fail.
    fn commit_copy(
        &mut self,
        caller: &str,
        request: &CopyImage<'_>,
        source: ImageId,
        destination: u32,
        now: Timestamp,
    ) -> ImageId {
        let size_gib = self
            .images
            .get(&source)
            .map_or(DEFAULT_IMAGE_SIZE_GIB, |image| image.size_gib);
        let fingerprint = request
            .client_token
            .filter(|token| !token.is_empty())
            .map(|token| (token, self.fingerprint(request, destination)));
        let owner = self.accounts.intern(caller);
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
        if !name.is_empty() {
            let names = self.names.entry((owner, region)).or_default();
            names.insert(name.into());
        }
        if let (Some(_), Some(slots)) = (copy, self.regions.get_mut(region as usize)) {
            slots.queued.insert(seq, id);
        }
        self.listing.insert((owner, region, seq), id);
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
        self.listing.remove(&(image.owner, image.region, image.seq));
        if let Some(names) = self.names.get_mut(&(image.owner, image.region)) {
            names.remove(&image.name);
        }
        self.release_slot(image.region, image.seq);
    }

    /// Takes a copy out of its region's queue or slots, and refills them.
    pub(crate) fn release_slot(&mut self, region: u32, seq: u64) {
        if let Some(slots) = self.regions.get_mut(region as usize) {
            slots.queued.remove(&seq);
            slots.running.remove(&seq);
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
            let Some((seq, id)) = slots.queued.pop_first() else {
                break;
            };
            let copy = self
                .images
                .get_mut(&id)
                .and_then(|image| image.copy.as_mut());
            // The queue holds queued copies only, so the start succeeds.
            if let Some(copy) = copy
                && let Ok(started) = copy.task.start()
            {
                copy.task = started;
                slots.running.insert(seq, id);
            }
        }
    }

    /// The phase of the copy `id`, if it is one.
    pub(crate) fn copy_phase(&self, id: ImageId) -> Option<CopyPhase> {
        let image = self.images.get(&id)?;
        image.copy.map(|copy| copy.task.phase())
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
    let details = Details {
        description: given(request.destination_description).unwrap_or("").into(),
        tags: request.tags.iter().map(owned_tag).collect(),
        encrypted: request.encrypted,
        kms_key_id: given(request.kms_key_id).unwrap_or("").into(),
    };
    (details != Details::default()).then(|| Box::new(details))
}

fn owned_tag(tag: &Tag<'_>) -> (Box<str>, Box<str>) {
    (tag.key.into(), tag.value.into())
}
