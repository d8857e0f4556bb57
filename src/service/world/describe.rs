//! DescribeImages: what the caller sees of their images, and of the images
//! shared with them.

use super::World;
use super::handles::{AccountHandle, RegionHandle};
use super::image::Image;
use super::store::Statuses;
use super::store::Store;
use super::tags::matches;
use crate::service::request::given;
use crate::service::{DescribeImages, ImageId, SnapshotId, Tag, Timestamp};
use crate::task::{CopyTask, EcsError, ImageStatus, Percent};

/// One page of DescribeImages' answer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ImagePage<'w> {
    /// How many images match, over all pages.
    pub total_count: usize,
    /// The page this is, from 1.
    pub page_number: u32,
    /// The page size asked for.
    pub page_size: u32,
    /// The images on this page, newest first.
    pub images: Vec<ImageView<'w>>,
}

/// One image as DescribeImages shows it, to its owner or to an account it
/// is shared with.
#[derive(Clone, Copy, Debug)]
pub struct ImageView<'w> {
    id: ImageId,
    region: &'w str,
    owner: &'w str,
    image: &'w Image,
    /// Seen by an account the image is shared with, not by its owner.
    shared: bool,
}

impl<'w> ImageView<'w> {
    /// `ImageId`.
    pub fn id(&self) -> ImageId {
        self.id
    }

    /// The region the image is in.
    pub fn region(&self) -> &'w str {
        self.region
    }

    /// The account that owns the image.
    pub fn owner(&self) -> &'w str {
        self.owner
    }

    /// `ImageName`; empty for a copy made without `DestinationImageName`.
    pub fn name(&self) -> &'w str {
        &self.image.name
    }

    /// `Description`; empty when none was given.
    pub fn description(&self) -> &'w str {
        self.image.details.as_ref().map_or("", |d| &d.description)
    }

    /// `Status`.
    pub fn status(&self) -> ImageStatus {
        self.image.status()
    }

    /// `Progress`: a copy's progress, `100%` for any other image.
    pub fn progress(&self) -> Percent {
        self.image
            .copy
            .map_or(Percent::FULL, |copy| copy.task.progress())
    }

    /// `IsCopied`: whether the image is the destination of a copy.
    pub fn is_copied(&self) -> bool {
        self.image.copy.is_some()
    }

    /// `CreationTime`.
    pub fn creation_time(&self) -> Timestamp {
        self.image.created
    }

    /// `ImageOwnerAlias`: `self` to the image's owner, `others` to an
    /// account it is shared with.
    pub fn owner_alias(&self) -> &'static str {
        if self.shared { "others" } else { "self" }
    }

    /// `Size` in GiB.
    pub fn size_gib(&self) -> u32 {
        self.image.size_gib
    }

    /// `Tags`, as (`TagKey`, `TagValue`) pairs in the order set: the
    /// owner's own, so none to an account the image is shared with.
    pub fn tags(&self) -> impl Iterator<Item = (&'w str, &'w str)> + 'w {
        let tags = self.image.details().map_or(&[][..], |d| &d.tags[..]);
        let tags = if self.shared { &[][..] } else { tags };
        tags.iter().map(|(key, value)| (&**key, &**value))
    }

    /// The system disk's snapshot, which `DiskDeviceMappings` lists: a
    /// copy's own, in its destination region, from CopyImage on.
    pub fn snapshot(&self) -> SnapshotId {
        self.id.snapshot()
    }

    /// Whether the copy is encrypted (`false` for an image that is no copy).
    pub fn is_encrypted(&self) -> bool {
        self.image.details.as_ref().is_some_and(|d| d.encrypted)
    }

    /// The copy task, for an image that is the destination of a copy.
    pub fn copy_task(&self) -> Option<CopyTask> {
        self.image.copy.map(|copy| copy.task)
    }

    /// The image this one is a copy of.
    pub fn source_image(&self) -> Option<ImageId> {
        self.image.copy.map(|copy| copy.source)
    }
}

/// DescribeImages' filters, checked.
struct Filter<'a> {
    statuses: Statuses,
    name: Option<&'a str>,
    tags: &'a [Tag],
    owners: Owners,
    paging: Paging,
}

/// `PageNumber` and `PageSize`, checked: from 1, and 1 to 100 (10 by
/// default), as every describing action takes them.
#[derive(Clone, Copy)]
pub(super) struct Paging {
    pub(super) number: u32,
    pub(super) size: u32,
}

impl Paging {
    /// The page asked for, or `None` for one out of range.
    pub(super) fn of(number: Option<u32>, size: Option<u32>) -> Option<Paging> {
        let (number, size) = (number.unwrap_or(1), size.unwrap_or(10));
        (number >= 1 && (1..=100).contains(&size)).then_some(Paging { number, size })
    }

    /// How many entries the pages before this one hold.
    pub(super) fn skip(self) -> usize {
        (self.number as usize - 1).saturating_mul(self.size as usize)
    }
}

/// Whose images `ImageOwnerAlias` asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Owners {
    own: bool,
    shared: bool,
}

impl<'a> Filter<'a> {
    fn parse(request: &'a DescribeImages) -> Result<Filter<'a>, EcsError> {
        let mut statuses = [false; ImageStatus::ALL.len()];
        let listed = request.status.as_deref().unwrap_or_default();
        for status in comma_separated(listed) {
            let status: ImageStatus = status.parse().map_err(|_| EcsError::InvalidParameter)?;
            statuses[status as usize] = true;
        }
        if !statuses.contains(&true) {
            statuses[ImageStatus::Available as usize] = true;
        }
        let paging = Paging::of(request.page_number, request.page_size);
        let owners = match given(request.image_owner_alias.as_deref()) {
            None => Some(Owners {
                own: true,
                shared: true,
            }),
            Some("self") => Some(Owners {
                own: true,
                shared: false,
            }),
            Some("others") => Some(Owners {
                own: false,
                shared: true,
            }),
            // The model has neither public nor marketplace images.
            Some("system" | "marketplace") => Some(Owners {
                own: false,
                shared: false,
            }),
            Some(_) => None,
        };
        let (Some(owners), Some(paging)) = (owners, paging) else {
            return Err(EcsError::InvalidParameter);
        };
        Ok(Filter {
            statuses,
            name: given(request.image_name.as_deref()),
            tags: &request.tags,
            owners,
            paging,
        })
    }

    /// The page of `candidates`, newest first, that the filter admits:
    /// for a list of IDs, which bounds the walk, for `ImageName`, and for
    /// tags, which nothing counts (then the candidates are all the
    /// caller's images in the region, and the walk costs them all).
    #[inline]
    fn page_of<'w>(&self, mut candidates: Vec<ImageView<'w>>) -> (usize, Vec<ImageView<'w>>) {
        candidates.retain(|view| self.admits(view));
        let total_count = candidates.len();
        let page = candidates.into_iter().skip(self.paging.skip());
        (total_count, page.take(self.paging.size as usize).collect())
    }

    fn admits(&self, view: &ImageView<'_>) -> bool {
        let owner = if view.shared {
            self.owners.shared
        } else {
            self.owners.own
        };
        // A grantee sees no tags, so no tag of theirs matches.
        let tagged = (self.tags.iter()).all(|tag| !view.shared && matches(view.image, tag));
        owner
            && tagged
            && self.statuses[view.status() as usize]
            && self.name.is_none_or(|name| view.name() == name)
    }
}

impl<S: Store> World<S> {
    pub(super) fn view<'w>(&'w self, id: ImageId, image: &'w Image) -> ImageView<'w> {
        ImageView {
            id,
            region: image.region.name(&self.config),
            owner: self.store.account_name(image.owner),
            image,
            shared: false,
        }
    }

    /// The image as an account it is shared with sees it.
    fn shared_view<'w>(&'w self, id: ImageId, image: &'w Image) -> ImageView<'w> {
        ImageView {
            shared: true,
            ..self.view(id, image)
        }
    }

    /// The image `id`, whoever owns it: the backend's view, for embedders
    /// and tests. A cancelled copy is gone.
    pub fn image(&self, id: ImageId) -> Option<ImageView<'_>> {
        self.store.image(id).map(|image| self.view(id, image))
    }

    /// DescribeImages as `caller`: a page of their images in the region
    /// that pass the filters, newest first.
    pub fn describe_images(
        &self,
        caller: &str,
        request: &DescribeImages,
    ) -> Result<ImagePage<'_>, EcsError> {
        let region = given(request.region_id.as_deref()).ok_or(EcsError::MissingRegionId)?;
        let region = self.region(region).ok_or(EcsError::RegionNotFound)?;
        let filter = Filter::parse(request)?;
        let ids = IdList(request.image_id.as_deref().unwrap_or_default());
        if ids.too_long() {
            return Err(EcsError::InvalidParameter);
        }
        let (total_count, images) = match (ids.is_empty(), filter.tags.is_empty(), filter.name) {
            (true, true, None) => self.indexed_page(caller, region, &filter),
            (true, true, Some(name)) => filter.page_of(self.named(caller, region, name)),
            _ => filter.page_of(self.candidates(caller, region, ids)),
        };
        let Paging { number, size } = filter.paging;
        Ok(ImagePage {
            total_count,
            page_number: number,
            page_size: size,
            images,
        })
    }

    /// The caller's image named `name` in the region, if any, and the
    /// images shared with them there, newest first: the candidates of
    /// `ImageName`, found without a walk over the caller's images, as
    /// names are unique in a shelf.
    fn named(&self, caller: &str, region: RegionHandle, name: &str) -> Vec<ImageView<'_>> {
        let Some(caller) = self.store.account(caller) else {
            return Vec::new();
        };
        let own = self.store.named(caller, region, name);
        let own = own.and_then(|id| Some(self.view(id, self.store.image(id)?)));
        let mut named: Vec<ImageView<'_>> = own.into_iter().collect();
        named.extend(self.shared_with(caller, region));
        named.sort_by_key(|view| core::cmp::Reverse(view.image.seq));
        named
    }

    /// The page from the listing's counts: the caller's own images by
    /// status, merged with those shared with them. Costs O(page x (log n +
    /// BLOCK)) for the own images, plus the images shared with the caller
    /// in the region, which are few and walked whole.
    fn indexed_page(
        &self,
        caller: &str,
        region: RegionHandle,
        filter: &Filter<'_>,
    ) -> (usize, Vec<ImageView<'_>>) {
        let Some(caller) = self.store.account(caller) else {
            return (0, Vec::new());
        };
        let own = (filter.owners.own).then_some(Own {
            world: self,
            owner: caller,
            region,
            statuses: filter.statuses,
        });
        let mut shared = match filter.owners.shared {
            true => self.shared_with(caller, region),
            false => Vec::new(),
        };
        shared.retain(|view| filter.admits(view));
        shared.sort_by_key(|view| core::cmp::Reverse(view.image.seq));
        let own_total = own.as_ref().map_or(0, Own::count);
        let (skip, size) = (filter.paging.skip(), filter.paging.size as usize);
        let shared_before = shared_before(own.as_ref(), &shared, skip);
        let own_before = skip.saturating_sub(shared_before);
        let own_page = own
            .as_ref()
            .map_or(Vec::new(), |own| own.newest(own_before, size));
        let page = newest_of_both(own_page, &shared[shared_before..], size);
        (own_total + shared.len(), page)
    }

    /// The caller's images in the region, and those shared with them,
    /// newest first: those named in `ids` if any, else all of them.
    fn candidates(
        &self,
        caller: &str,
        region: RegionHandle,
        ids: IdList<'_>,
    ) -> Vec<ImageView<'_>> {
        let Some(caller) = self.store.account(caller) else {
            return Vec::new();
        };
        if ids.is_empty() {
            return self.listed(caller, region);
        }
        let mut found: Vec<ImageView<'_>> = ids
            .iter()
            .filter_map(ImageId::read)
            .filter_map(|id: ImageId| Some((id, self.store.image(id)?)))
            .filter(|(_, image)| image.region == region)
            .filter_map(|(id, image)| match image.owner == caller {
                true => Some(self.view(id, image)),
                false => image
                    .is_shared_with(caller)
                    .then(|| self.shared_view(id, image)),
            })
            .collect();
        found.sort_by_key(|view| core::cmp::Reverse(view.image.seq));
        found.dedup_by_key(|view| view.image.seq);
        found
    }

    /// Every image of `caller` in `region`, and every one shared with them,
    /// newest first.
    fn listed(&self, caller: AccountHandle, region: RegionHandle) -> Vec<ImageView<'_>> {
        // Oldest first: backwards is newest first.
        let own = (self.store.images_of(caller, region).into_iter().rev())
            .filter(|(_, image)| image.owner == caller && image.region == region)
            .map(|(id, image)| self.view(id, image));
        let mut listed: Vec<ImageView<'_>> = own.collect();
        let shared = self.shared_with(caller, region);
        if !shared.is_empty() {
            listed.extend(shared);
            listed.sort_by_key(|view| core::cmp::Reverse(view.image.seq));
        }
        listed
    }

    /// The images shared with `caller` in `region`, in no order.
    fn shared_with(&self, caller: AccountHandle, region: RegionHandle) -> Vec<ImageView<'_>> {
        (self.store.granted(caller, region).into_iter())
            .filter_map(|id| Some((id, self.store.image(id)?)))
            .map(|(id, image)| self.shared_view(id, image))
            .collect()
    }
}

/// `ImageId`: IDs separated by commas, empty ones ignored. Walked where
/// it is used rather than collected: most lists hold one ID.
#[derive(Clone, Copy)]
struct IdList<'a>(&'a str);

impl<'a> IdList<'a> {
    fn iter(self) -> impl Iterator<Item = &'a str> {
        comma_separated(self.0)
    }

    /// Whether the list names no ID: commas at most.
    fn is_empty(self) -> bool {
        self.0.bytes().all(|b| b == b',')
    }

    /// Whether the list names more IDs than DescribeImages takes. `n` IDs
    /// take `2n - 1` bytes at least: a shorter list is not counted.
    fn too_long(self) -> bool {
        const MAX: usize = DescribeImages::MAX_IDS;
        self.0.len() > 2 * MAX && self.iter().count() > MAX
    }
}

/// The non-empty items of a list separated by commas, found by a loop
/// over its bytes: `str::split` calls `memchr` for each, which costs more
/// on items of a few bytes, as IDs and statuses are.
fn comma_separated(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    core::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let end = rest.bytes().position(|b| b == b',');
            let (item, after) = rest.split_at(end.unwrap_or(rest.len()));
            rest = after.get(1..).unwrap_or_default();
            if !item.is_empty() {
                return Some(item);
            }
        }
    })
}

/// How many of the `shared` images, newest first, come before the first
/// `skip` images of a listing that merges them with `own`: the n-th is at
/// n plus the own images newer than it, which grows with n, so a binary
/// search finds the count.
fn shared_before<S: Store>(
    own: Option<&Own<'_, S>>,
    shared: &[ImageView<'_>],
    skip: usize,
) -> usize {
    let (mut low, mut high) = (0, shared.len());
    while low < high {
        let mid = low + (high - low) / 2;
        let newer = own.map_or(0, |own| own.newer_than(shared[mid].image.seq));
        match mid + newer < skip {
            true => low = mid + 1,
            false => high = mid,
        }
    }
    low
}

/// The `size` newest of two lists that are each newest first.
fn newest_of_both<'w>(
    own: Vec<ImageView<'w>>,
    shared: &[ImageView<'w>],
    size: usize,
) -> Vec<ImageView<'w>> {
    let mut page = Vec::with_capacity(size);
    let (mut own, mut shared) = (own.into_iter().peekable(), shared.iter().peekable());
    while page.len() < size {
        let next = match (own.peek(), shared.peek()) {
            (Some(o), Some(s)) if o.image.seq < s.image.seq => shared.next().copied(),
            (Some(_), _) => own.next(),
            (None, _) => shared.next().copied(),
        };
        let Some(view) = next else { break };
        page.push(view);
    }
    page
}

/// The caller's own images in a region with the statuses asked for, as
/// the store counts them.
struct Own<'w, S> {
    world: &'w World<S>,
    owner: AccountHandle,
    region: RegionHandle,
    statuses: Statuses,
}

impl<'w, S: Store> Own<'w, S> {
    fn count(&self) -> usize {
        (self.world.store).count(self.owner, self.region, &self.statuses)
    }

    /// How many of the images are newer than the image `seq`, which is
    /// not one of them.
    fn newer_than(&self, seq: u64) -> usize {
        (self.world.store).newer_than(self.owner, self.region, &self.statuses, seq)
    }

    /// Up to `size` of the images, newest first, after the `skip` newest.
    fn newest(&self, skip: usize, size: usize) -> Vec<ImageView<'w>> {
        let world = self.world;
        let page = (world.store).newest(self.owner, self.region, &self.statuses, skip, size);
        (page.into_iter())
            .map(|(id, image)| world.view(id, image))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use core::num::NonZeroU32;

    use proptest::prelude::*;

    use super::*;
    use crate::service::{
        CancelCopyImage, Config, CopyImage, DeleteImage, ModifyImageAttribute,
        ModifyImageSharePermission, Timestamp,
    };

    #[test]
    fn an_id_list_is_its_non_empty_items_and_too_long_past_the_limit() {
        let items = |list| IdList(list).iter().collect::<Vec<_>>();
        assert_eq!(items(""), [""; 0]);
        assert_eq!(items(",,"), [""; 0]);
        assert_eq!(items("a"), ["a"]);
        assert_eq!(items(",a,,bc,"), ["a", "bc"]);
        assert!(IdList(",,").is_empty() && !IdList(",a").is_empty());
        let ids = |n| vec!["a"; n].join(",");
        // 100 IDs of one byte take 199 bytes, 101 take 201: the shortest
        // lists on either side of the limit.
        assert!(!IdList(&ids(DescribeImages::MAX_IDS)).too_long());
        assert!(IdList(&ids(DescribeImages::MAX_IDS + 1)).too_long());
        // Long, but of 100 IDs: empty items are not counted.
        let padded = format!("{},,,,", ids(DescribeImages::MAX_IDS));
        assert!(padded.len() > 2 * DescribeImages::MAX_IDS);
        assert!(!IdList(&padded).too_long());
    }

    const ACCOUNTS: [&str; 3] = ["alice", "bob", "carol"];
    const REGIONS: [&str; 2] = ["cn-hangzhou", "cn-beijing"];
    const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_000_000);

    /// One change to a world, its operands picked from what exists.
    #[derive(Clone, Debug)]
    enum Change {
        /// `count` images of an account in a region.
        Create {
            account: usize,
            region: usize,
            count: usize,
        },
        Copy {
            image: usize,
            region: usize,
        },
        Progress {
            image: usize,
            percent: u8,
        },
        Complete {
            image: usize,
        },
        Fail {
            image: usize,
        },
        Cancel {
            image: usize,
        },
        Delete {
            image: usize,
        },
        Rename {
            image: usize,
            name: u8,
        },
        Deprecate {
            image: usize,
            deprecated: bool,
        },
        Share {
            image: usize,
            with: usize,
            add: bool,
        },
        Advance {
            step: u8,
        },
    }

    fn change() -> impl Strategy<Value = Change> {
        let image = any::<usize>();
        prop_oneof![
            (0..3usize, 0..2usize, 1..90usize).prop_map(|(account, region, count)| {
                Change::Create {
                    account,
                    region,
                    count,
                }
            }),
            (image, 0..2usize).prop_map(|(image, region)| Change::Copy { image, region }),
            (image, 0..2usize).prop_map(|(image, region)| Change::Copy { image, region }),
            (image, 0..100u8).prop_map(|(image, percent)| Change::Progress { image, percent }),
            image.prop_map(|image| Change::Complete { image }),
            image.prop_map(|image| Change::Fail { image }),
            image.prop_map(|image| Change::Cancel { image }),
            image.prop_map(|image| Change::Delete { image }),
            (image, any::<bool>())
                .prop_map(|(image, deprecated)| Change::Deprecate { image, deprecated }),
            (image, any::<u8>()).prop_map(|(image, name)| Change::Rename { image, name }),
            (image, 0..3usize, any::<bool>()).prop_map(|(image, with, add)| Change::Share {
                image,
                with,
                add
            }),
            (1..60u8).prop_map(|step| Change::Advance { step }),
        ]
    }

    /// A world after `changes`; changes a world refuses change nothing.
    fn world_after(changes: &[Change]) -> World {
        let limit = NonZeroU32::new(2).expect("two");
        let mut world = World::new(Config::default().with_copy_limit(limit));
        let mut made: Vec<ImageId> = Vec::new();
        for change in changes {
            let pick = |n: usize| made.get(n % made.len().max(1)).copied();
            let target = |n: usize| {
                let id = pick(n)?;
                let view = world.image(id)?;
                Some((id, view.owner().to_owned(), view.region().to_owned()))
            };
            match change.clone() {
                Change::Create {
                    account,
                    region,
                    count,
                } => {
                    for _ in 0..count {
                        let name = format!("image-{}", made.len());
                        let made_now =
                            world.create_image(ACCOUNTS[account], REGIONS[region], &name, NOW);
                        made.extend(made_now);
                    }
                }
                Change::Copy { image, region } => {
                    if let Some((id, owner, from)) = target(image) {
                        let mut copy = CopyImage::new(from, id.to_string());
                        copy.destination_region_id = Some(REGIONS[region].to_owned());
                        made.extend(world.copy_image(&owner, &copy, NOW));
                    }
                }
                Change::Progress { image, percent } => {
                    if let Some((id, _, region)) = target(image) {
                        let percent = crate::task::Percent::new(percent).expect("under 100");
                        let _ = world.set_copy_progress(&region, id, percent);
                    }
                }
                Change::Complete { image } => {
                    if let Some((id, _, region)) = target(image) {
                        let _ = world.complete_copy(&region, id);
                    }
                }
                Change::Fail { image } => {
                    if let Some((id, _, region)) = target(image) {
                        let _ = world.fail_copy(&region, id);
                    }
                }
                Change::Cancel { image } => {
                    if let Some((id, owner, region)) = target(image) {
                        let cancel = CancelCopyImage::new(region, id.to_string());
                        let _ = world.cancel_copy_image(&owner, &cancel);
                    }
                }
                Change::Delete { image } => {
                    if let Some((id, owner, region)) = target(image) {
                        let delete = DeleteImage {
                            region_id: Some(region),
                            image_id: Some(id.to_string()),
                            ..DeleteImage::default()
                        };
                        let _ = world.delete_image(&owner, &delete);
                    }
                }
                Change::Deprecate { image, deprecated } => {
                    if let Some((id, owner, region)) = target(image) {
                        let status = if deprecated {
                            "Deprecated"
                        } else {
                            "Available"
                        };
                        let modify = ModifyImageAttribute {
                            region_id: Some(region),
                            image_id: Some(id.to_string()),
                            status: Some(status.to_owned()),
                            ..ModifyImageAttribute::default()
                        };
                        let _ = world.modify_image_attribute(&owner, &modify);
                    }
                }
                Change::Rename { image, name } => {
                    if let Some((id, owner, region)) = target(image) {
                        let modify = ModifyImageAttribute {
                            region_id: Some(region),
                            image_id: Some(id.to_string()),
                            image_name: Some(format!("renamed-{name}")),
                            ..ModifyImageAttribute::default()
                        };
                        let _ = world.modify_image_attribute(&owner, &modify);
                    }
                }
                Change::Share { image, with, add } => {
                    if let Some((id, owner, region)) = target(image) {
                        let accounts = vec![ACCOUNTS[with].to_owned()];
                        let (add_account, remove_account) = match add {
                            true => (accounts, Vec::new()),
                            false => (Vec::new(), accounts),
                        };
                        let share = ModifyImageSharePermission {
                            region_id: Some(region),
                            image_id: Some(id.to_string()),
                            add_account,
                            remove_account,
                            ..ModifyImageSharePermission::default()
                        };
                        let _ = world.modify_image_share_permission(&owner, &share, NOW);
                    }
                }
                Change::Advance { step } => {
                    let step = crate::task::Percent::new(step).expect("under 100");
                    world.advance_copies(step);
                }
            }
        }
        world
    }

    /// A DescribeImages without IDs, name or tags: what the listing answers.
    fn query() -> impl Strategy<Value = (usize, DescribeImages)> {
        let alias = prop_oneof![Just(None), Just(Some("self")), Just(Some("others"))];
        (0..3usize, 0..2usize, 0..64usize, alias, 1..12u32, 1..40u32).prop_map(
            |(account, region, statuses, alias, size, number)| {
                let mut request = DescribeImages::new(REGIONS[region]);
                let listed = (ImageStatus::ALL.iter().enumerate())
                    .filter(|(n, _)| statuses & (1 << n) != 0)
                    .map(|(_, status)| <&str>::from(*status));
                request.status = Some(listed.collect::<Vec<_>>().join(","));
                request.image_owner_alias = alias.map(str::to_owned);
                request.page_size = Some(size);
                request.page_number = Some(number);
                (account, request)
            },
        )
    }

    fn ids(page: &[ImageView<'_>]) -> Vec<ImageId> {
        page.iter().map(ImageView::id).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn the_listing_answers_every_page_as_a_full_scan_does(
            changes in prop::collection::vec(change(), 1..120),
            queries in prop::collection::vec(query(), 1..24),
        ) {
            let world = world_after(&changes);
            for (account, request) in &queries {
                let caller = ACCOUNTS[*account];
                let region = world.region(request.region_id.as_deref().unwrap_or_default());
                let region = region.expect("a default region");
                let filter = Filter::parse(request).expect("a valid filter");
                let (total, page) = world.indexed_page(caller, region, &filter);
                let (scanned_total, scanned) = filter.page_of(world.candidates(caller, region, IdList("")));
                prop_assert_eq!(total, scanned_total, "{:?}", request);
                prop_assert_eq!(ids(&page), ids(&scanned), "{:?}", request);
                // The last page, wherever it is.
                let size = filter.paging.size as usize;
                let last = total.div_ceil(size).max(1) as u32;
                let filter = Filter { paging: Paging { number: last, size: size as u32 }, ..filter };
                let (_, page) = world.indexed_page(caller, region, &filter);
                let (_, scanned) = filter.page_of(world.candidates(caller, region, IdList("")));
                prop_assert_eq!(ids(&page), ids(&scanned), "last page {} of {:?}", last, request);
                // By name: every name the scan shows, and one nobody has.
                // (An empty `ImageName` is no filter: `Filter::parse` gives `None`.)
                let names = scanned.iter().map(|view| view.name()).filter(|n| !n.is_empty());
                for name in names.chain(["image-none"]) {
                    let filter = Filter { name: Some(name), ..Filter::parse(request).expect("valid") };
                    let named = filter.page_of(world.named(caller, region, name));
                    let scanned = filter.page_of(world.candidates(caller, region, IdList("")));
                    prop_assert_eq!(named.0, scanned.0, "{} {:?}", name, request);
                    prop_assert_eq!(ids(&named.1), ids(&scanned.1), "{} {:?}", name, request);
                }
            }
        }
    }
}
