//! DescribeImages: what the caller sees of their images, and of the images
//! shared with them.

use super::World;
use super::handles::{AccountHandle, RegionHandle};
use super::image::Image;
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
        if self.image.is_deprecated() {
            return ImageStatus::Deprecated;
        }
        match self.image.copy {
            // A cancelled copy is deleted from the world, so it has a status.
            Some(copy) => copy.task.status().unwrap_or(ImageStatus::UnAvailable),
            None => ImageStatus::Available,
        }
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
    statuses: [bool; ImageStatus::ALL.len()],
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
        for status in listed.split(',').filter(|s| !s.is_empty()) {
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

impl World {
    pub(super) fn view<'w>(&'w self, id: ImageId, image: &'w Image) -> ImageView<'w> {
        ImageView {
            id,
            region: image.region.name(&self.config),
            owner: &self.accounts[image.owner],
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
        self.images.get(id).map(|image| self.view(id, image))
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
        let ids: Vec<&str> = given(request.image_id.as_deref())
            .map(|ids| ids.split(',').filter(|id| !id.is_empty()).collect())
            .unwrap_or_default();
        if ids.len() > DescribeImages::MAX_IDS {
            return Err(EcsError::InvalidParameter);
        }
        let mut matches = self.candidates(caller, region, &ids);
        matches.retain(|view| filter.admits(view));
        let total_count = matches.len();
        let Paging { number, size } = filter.paging;
        let skip = filter.paging.skip();
        let images = matches.into_iter().skip(skip).take(size as usize).collect();
        Ok(ImagePage {
            total_count,
            page_number: number,
            page_size: size,
            images,
        })
    }

    /// The caller's images in the region, and those shared with them,
    /// newest first: those named in `ids` if any, else all of them.
    fn candidates(&self, caller: &str, region: RegionHandle, ids: &[&str]) -> Vec<ImageView<'_>> {
        let Some(caller) = self.accounts.find(caller) else {
            return Vec::new();
        };
        if ids.is_empty() {
            return self.listed(caller, region);
        }
        let mut found: Vec<ImageView<'_>> = ids
            .iter()
            .filter_map(|id| id.parse().ok())
            .filter_map(|id: ImageId| Some((id, self.images.get(id)?)))
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
        let shelf = self.shelves.get(&(caller, region));
        let listing = shelf.map_or(&[][..], |shelf| shelf.listing.all());
        // The listing is in creation order: backwards is newest first. It
        // still holds some removed images' IDs, which are skipped.
        let own = (listing.iter().rev())
            .filter_map(|&id| Some((id, self.images.get(id)?)))
            .filter(|(_, image)| image.owner == caller && image.region == region)
            .map(|(id, image)| self.view(id, image));
        let mut listed: Vec<ImageView<'_>> = own.collect();
        if let Some(granted) = self.grants.get(&(caller, region)) {
            let shared = (granted.iter())
                .filter_map(|&id| Some((id, self.images.get(id)?)))
                .map(|(id, image)| self.shared_view(id, image));
            listed.extend(shared);
            listed.sort_by_key(|view| core::cmp::Reverse(view.image.seq));
        }
        listed
    }
}
