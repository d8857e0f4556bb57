//! TagResources, UntagResources and ListTagResources, for images: the same
//! tags CopyImage sets and DescribeImages shows.

use super::World;
use super::handles::RegionHandle;
use super::image::Image;
use super::store::Store;
use crate::service::request::given;
use crate::service::request::rules::{self, MAX_TAGS};
use crate::service::{ImageId, ListTagResources, Tag, TagResources, UntagResources};
use crate::task::EcsError;

/// Most images one call names.
const MAX_RESOURCES: usize = 50;

/// Tags ListTagResources answers a page.
const TAGS_PER_PAGE: usize = 50;

/// One page of ListTagResources' answer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TagPage<'w> {
    /// `(ResourceId, TagKey, TagValue)`, by image in creation order, then
    /// in the order the tags were set.
    pub tags: Vec<(ImageId, &'w str, &'w str)>,
    /// The token of the next page, when there is one.
    pub next_token: Option<String>,
}

impl<S: Store> World<S> {
    /// TagResources as `caller`: every tag set on every image (a key an
    /// image has takes the new value); or the first error in the
    /// documented order, and then no image changes.
    pub fn tag_resources(&mut self, caller: &str, request: &TagResources) -> Result<(), EcsError> {
        let region = self.tag_region(&request.region_id, &request.resource_type)?;
        named_resources(&request.resource_id)?;
        check_tags(&request.tags)?;
        let ids = self.resources(caller, region, &request.resource_id)?;
        for &id in &ids {
            let Some(image) = self.store.image(id) else {
                continue;
            };
            let new = (request.tags.iter()).filter(|tag| !has_key(image, &tag.key));
            if tag_count(image) + new.count() > MAX_TAGS {
                return Err(EcsError::TagQuotaExceeded);
            }
        }
        for id in ids {
            self.store.update(id, |image| {
                let tags = &mut image.details_mut().tags;
                for tag in &request.tags {
                    let value: Box<str> = tag.value.as_str().into();
                    match tags.iter_mut().find(|(key, _)| **key == *tag.key) {
                        Some((_, old)) => *old = value,
                        None => tags.push((tag.key.as_str().into(), value)),
                    }
                }
            });
        }
        Ok(())
    }

    /// UntagResources as `caller`: the keys of `TagKey.N` removed from every
    /// image, or every tag with `All` and no key.
    pub fn untag_resources(
        &mut self,
        caller: &str,
        request: &UntagResources,
    ) -> Result<(), EcsError> {
        let region = self.tag_region(&request.region_id, &request.resource_type)?;
        named_resources(&request.resource_id)?;
        if request.tag_key.len() > MAX_TAGS {
            return Err(EcsError::TooManyTags);
        }
        let ids = self.resources(caller, region, &request.resource_id)?;
        for id in ids {
            self.store.update(id, |image| {
                let Some(details) = image.details.as_deref_mut() else {
                    return;
                };
                let keys = &request.tag_key;
                match keys.is_empty() {
                    true if request.all => details.tags.clear(),
                    true => {}
                    false => (details.tags).retain(|(key, _)| !keys.iter().any(|k| **k == **key)),
                }
                image.tidy();
            });
        }
        Ok(())
    }

    /// ListTagResources as `caller`: a page of the tags of their images in
    /// the region, those named by `ResourceId.N` (others are left out) or
    /// all of them, that have every tag of `Tag.N`.
    pub fn list_tag_resources(
        &self,
        caller: &str,
        request: &ListTagResources,
    ) -> Result<TagPage<'_>, EcsError> {
        let region = self.tag_region(&request.region_id, &request.resource_type)?;
        if request.resource_id.len() > MAX_RESOURCES {
            return Err(EcsError::TooManyResourceIds);
        }
        if request.tags.len() > MAX_TAGS {
            return Err(EcsError::TooManyTags);
        }
        if request.resource_id.is_empty() && request.tags.is_empty() {
            return Err(EcsError::TagsAndResourcesEmpty);
        }
        let mut tags = Vec::new();
        for (id, image) in self.tagged(caller, region, &request.resource_id) {
            if request.tags.iter().all(|filter| matches(image, filter)) {
                let listed = image.details().map_or(&[][..], |d| &d.tags[..]);
                tags.extend(listed.iter().map(|(key, value)| (id, &**key, &**value)));
            }
        }
        let start = match given(request.next_token.as_deref()) {
            None => 0,
            Some(token) => page_start(token, tags.len()).ok_or(EcsError::NextTokenInvalid)?,
        };
        let end = tags.len().min(start + TAGS_PER_PAGE);
        let next_token = (end < tags.len()).then(|| end.to_string());
        tags.truncate(end);
        tags.drain(..start);
        Ok(TagPage { tags, next_token })
    }

    /// The region of a tag action, once its `ResourceType` is `image`.
    fn tag_region(
        &self,
        region: &Option<String>,
        resource_type: &Option<String>,
    ) -> Result<RegionHandle, EcsError> {
        let region = given(region.as_deref()).ok_or(EcsError::MissingRegionId)?;
        let resource_type = given(resource_type.as_deref()).ok_or(EcsError::MissingResourceType)?;
        let region = self.region(region).ok_or(EcsError::RegionNotFound)?;
        match resource_type.eq_ignore_ascii_case("image") {
            true => Ok(region),
            false => Err(EcsError::ResourceTypeNotFound),
        }
    }

    /// The caller's images `ids` in `region`, each once.
    fn resources(
        &self,
        caller: &str,
        region: RegionHandle,
        ids: &[String],
    ) -> Result<Vec<ImageId>, EcsError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let (id, _) = self
                .visible(caller, region, id)
                .ok_or(EcsError::ResourceNotFound)?;
            if !found.contains(&id) {
                found.push(id);
            }
        }
        Ok(found)
    }

    /// The caller's images in `region` that ListTagResources looks at, in
    /// creation order.
    fn tagged(&self, caller: &str, region: RegionHandle, ids: &[String]) -> Vec<(ImageId, &Image)> {
        let mut images: Vec<(ImageId, &Image)> = match ids.is_empty() {
            false => ids
                .iter()
                .filter_map(|id| self.visible(caller, region, id))
                .collect(),
            true => match self.store.account(caller) {
                Some(owner) => self.store.images_of(owner, region),
                None => Vec::new(),
            },
        };
        images.sort_by_key(|(_, image)| image.seq);
        images.dedup_by_key(|(_, image)| image.seq);
        images
    }
}

/// TagResources' and UntagResources' checks of `ResourceId.N`.
fn named_resources(ids: &[String]) -> Result<(), EcsError> {
    match ids.len() {
        0 => Err(EcsError::MissingResourceId),
        n if n > MAX_RESOURCES => Err(EcsError::TooManyResourceIds),
        _ => Ok(()),
    }
}

/// TagResources' checks of `Tag.N`, in order.
fn check_tags(tags: &[Tag]) -> Result<(), EcsError> {
    match tags.len() {
        0 => return Err(EcsError::MissingTag),
        n if n > MAX_TAGS => return Err(EcsError::TooManyTags),
        _ => {}
    }
    if !tags.iter().all(|tag| rules::tag_key(&tag.key)) {
        return Err(EcsError::TagKeyMalformed);
    }
    if !tags.iter().all(|tag| rules::tag_value(&tag.value)) {
        return Err(EcsError::InvalidParameter);
    }
    if rules::repeats(tags.iter().map(|tag| tag.key.as_str())) {
        return Err(EcsError::DuplicateTagKey);
    }
    Ok(())
}

fn tag_count(image: &Image) -> usize {
    image.details().map_or(0, |details| details.tags.len())
}

fn has_key(image: &Image, key: &str) -> bool {
    let tags = image.details().map_or(&[][..], |details| &details.tags[..]);
    tags.iter().any(|(have, _)| **have == *key)
}

/// Whether `image` has `filter`'s key, with its value unless that is empty.
pub(super) fn matches(image: &Image, filter: &Tag) -> bool {
    let tags = image.details().map_or(&[][..], |details| &details.tags[..]);
    let value = |have: &str| filter.value.is_empty() || *have == *filter.value;
    tags.iter()
        .any(|(key, have)| **key == *filter.key && value(have))
}

/// Where the page a token names starts: a token is the decimal offset a
/// previous page answered, and names a tag of the listing.
fn page_start(token: &str, len: usize) -> Option<usize> {
    let plain = token.bytes().all(|b| b.is_ascii_digit()) && !token.starts_with('0');
    let start: usize = token.parse().ok().filter(|_| plain)?;
    (start < len).then_some(start)
}
