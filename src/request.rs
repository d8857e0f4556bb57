//! The requests of the modelled ECS actions, and their parameters' rules.
//!
//! Requests borrow their strings, as a server hands them over after parsing;
//! required parameters are `Option`s because "missing" is an answer of its
//! own (`MissingParameter`). An empty string counts as missing.

/// A tag on an image: `Tag.N.Key` and `Tag.N.Value`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tag<'a> {
    /// 1 to 128 characters, not starting with `aliyun` or `acs:`.
    pub key: &'a str,
    /// At most 128 characters.
    pub value: &'a str,
}

/// CopyImage: copy a custom image to a region. `RegionId` and `ImageId`
/// name the **source**.
///
/// ```
/// use ecs_image_copy::CopyImage;
///
/// let mut request = CopyImage::new("cn-hangzhou", "m-0000000000000000000a");
/// request.destination_region_id = Some("cn-beijing");
/// request.destination_image_name = Some("web-backup");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub struct CopyImage<'a> {
    /// The source region (required).
    pub region_id: Option<&'a str>,
    /// The source image (required).
    pub image_id: Option<&'a str>,
    /// The destination region; the source region when absent.
    pub destination_region_id: Option<&'a str>,
    /// The copy's name: 2-128 characters, starting with a letter, only
    /// letters, digits, `.`, `:`, `_`, `-`, not starting with `acs:` or
    /// `aliyun`.
    pub destination_image_name: Option<&'a str>,
    /// The copy's description: 2-256 characters, not starting with
    /// `http://` or `https://`.
    pub destination_description: Option<&'a str>,
    /// Whether the copy is encrypted.
    pub encrypted: bool,
    /// The KMS key of an encrypted copy; needs `encrypted`.
    pub kms_key_id: Option<&'a str>,
    /// Makes the call idempotent per account: ASCII, at most 64 characters.
    pub client_token: Option<&'a str>,
    /// Check the request and answer `DryRunOperation` instead of copying.
    pub dry_run: bool,
    /// Accepted and remembered for idempotency; not otherwise modelled.
    pub resource_group_id: Option<&'a str>,
    /// Up to 20 tags for the copy.
    pub tags: &'a [Tag<'a>],
}

impl<'a> CopyImage<'a> {
    /// A copy of `image_id` in `region_id` into the same region, with every
    /// optional parameter absent.
    pub fn new(region_id: &'a str, image_id: &'a str) -> CopyImage<'a> {
        CopyImage {
            region_id: Some(region_id),
            image_id: Some(image_id),
            ..CopyImage::default()
        }
    }
}

/// CancelCopyImage: cancel a copy. `RegionId` and `ImageId` name the
/// **destination** image, the copy that CopyImage created.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub struct CancelCopyImage<'a> {
    /// The destination region (required).
    pub region_id: Option<&'a str>,
    /// The destination image (required).
    pub image_id: Option<&'a str>,
}

impl<'a> CancelCopyImage<'a> {
    /// A cancel of the copy `image_id` in `region_id`.
    pub fn new(region_id: &'a str, image_id: &'a str) -> CancelCopyImage<'a> {
        CancelCopyImage {
            region_id: Some(region_id),
            image_id: Some(image_id),
        }
    }
}

/// DescribeImages: list the caller's images in a region.
///
/// List parameters are kept as the wire's comma-separated text, so that
/// the model decides what a malformed list answers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub struct DescribeImages<'a> {
    /// The region (required).
    pub region_id: Option<&'a str>,
    /// Comma-separated image IDs, at most 100.
    pub image_id: Option<&'a str>,
    /// Comma-separated statuses; `Available` when absent, as the API does.
    pub status: Option<&'a str>,
    /// Only images with exactly this name.
    pub image_name: Option<&'a str>,
    /// `self`, `system`, `others` or `marketplace`; only `self` has images.
    pub image_owner_alias: Option<&'a str>,
    /// The page, from 1 (default 1).
    pub page_number: Option<u32>,
    /// Images per page, 1 to 100 (default 10).
    pub page_size: Option<u32>,
}

impl<'a> DescribeImages<'a> {
    /// The caller's `Available` images in `region_id`, first page.
    pub fn new(region_id: &'a str) -> DescribeImages<'a> {
        DescribeImages {
            region_id: Some(region_id),
            ..DescribeImages::default()
        }
    }
}

/// The parameter rules, one function each, shared by every action.
pub(crate) mod rules {
    use crate::Tag;

    /// Present and not empty.
    pub(crate) fn given(value: Option<&str>) -> Option<&str> {
        value.filter(|v| !v.is_empty())
    }

    fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
        text.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    }

    fn length_within(text: &str, min: usize, max: usize) -> bool {
        (min..=max).contains(&text.chars().count())
    }

    fn reserved_prefix(text: &str) -> bool {
        starts_with_ignoring_case(text, "aliyun") || starts_with_ignoring_case(text, "acs:")
    }

    /// `http://` and `https://` need `/`, which names do not allow at all.
    pub(crate) fn image_name(name: &str) -> bool {
        let mut chars = name.chars();
        let first_is_letter = chars.next().is_some_and(char::is_alphabetic);
        let rest_allowed =
            chars.all(|c| c.is_alphabetic() || c.is_ascii_digit() || ".:_-".contains(c));
        first_is_letter && rest_allowed && length_within(name, 2, 128) && !reserved_prefix(name)
    }

    pub(crate) fn description(text: &str) -> bool {
        let link = starts_with_ignoring_case(text, "http://")
            || starts_with_ignoring_case(text, "https://");
        length_within(text, 2, 256) && !link
    }

    pub(crate) fn client_token(token: &str) -> bool {
        token.is_ascii() && token.len() <= 64
    }

    /// At most 20 tags, valid keys and values, no key twice.
    pub(crate) fn tags(tags: &[Tag<'_>]) -> bool {
        let each_valid = tags.iter().all(|tag| {
            length_within(tag.key, 1, 128)
                && !reserved_prefix(tag.key)
                && length_within(tag.value, 0, 128)
        });
        let unique = tags
            .iter()
            .enumerate()
            .all(|(i, tag)| tags[..i].iter().all(|earlier| earlier.key != tag.key));
        tags.len() <= 20 && each_valid && unique
    }
}
