//! The action table: every action the model serves, each with its one
//! request type, its wire parameters and its checks.
//!
//! A request owns its parameters as the wire carries them, before any
//! check: required ones are `Option`s because "missing" is an answer of its
//! own (`MissingParameter`), and an empty string counts as missing. The
//! same value is what the model decides on, what a server journals, what
//! the endpoint parses into and what the testkit generates.
//!
//! Requests are generic over how they name images: `String`, the wire's
//! IDs, everywhere but in the testkit, whose generated steps name images by
//! [`ImageRef`](crate::testing::ImageRef) until a system resolves them.

pub(crate) mod rules;
#[cfg(feature = "rpc")]
mod wire;

use core::fmt;
use core::marker::PhantomData;

pub(crate) use self::rules::given;
#[cfg(feature = "rpc")]
pub(crate) use self::wire::{Sink, Source};

#[cfg(feature = "rpc")]
use self::wire::Kind;
use super::checks;
use crate::service::Check;
#[cfg(feature = "rpc")]
use crate::task::EcsError;

/// A tag on an image: `Tag.N.Key` and `Tag.N.Value`.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Tag {
    /// 1 to 128 characters, not starting with `aliyun` or `acs:`.
    pub key: String,
    /// At most 128 characters.
    pub value: String,
}

impl Tag {
    /// The tag `key` = `value`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A field renamed by `map_images`: only images change.
macro_rules! rename_field {
    ($value:expr, $rename:ident) => {
        $value
    };
    ($value:expr, $rename:ident, image) => {
        $value.map(&mut $rename)
    };
    ($value:expr, $rename:ident, images) => {
        $value.into_iter().map(&mut $rename).collect()
    };
}

macro_rules! actions {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $audience:ident $effect:ident, checks $checks:path {
            $( $(#[doc = $field_doc:literal])+ $field:ident: $type:ty = $wire:literal $(as $image:ident)?, )*
        }
    )+) => {
        /// An action the model serves: its wire name is its `Display` and
        /// `FromStr`, and the action table gives its request type
        /// ([`Request`]), whether only a mock serves it, and its checks.
        ///
        /// ```
        /// use ecs_image_copy::Action;
        ///
        /// let action: Action = "CancelCopyImage".parse()?;
        /// assert_eq!(action, Action::CancelCopyImage);
        /// assert!(!action.is_mock() && !action.is_read_only());
        /// assert_eq!(action.checks()[0].error.message(),
        ///     "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied.");
        /// # Ok::<(), strum::ParseError>(())
        /// ```
        #[derive(
            Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug,
            strum::Display, strum::EnumString, strum::IntoStaticStr, strum::AsRefStr,
        )]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum Action {
            $( #[doc = concat!("`", stringify!($name), "`: see [`", stringify!($name), "`].")] $name, )+
        }

        impl Action {
            /// Every action, in the table's order.
            pub const ALL: &'static [Action] = &[$(Action::$name),+];

            /// Whether only a mock serves it: a control action that moves
            /// copies or makes images, as a real backend would.
            pub const fn is_mock(self) -> bool {
                match self { $(Action::$name => actions!(@mock $audience)),+ }
            }

            /// Whether it only reads: a successful call changes nothing, so
            /// a server has nothing to journal.
            pub const fn is_read_only(self) -> bool {
                match self { $(Action::$name => actions!(@reads $effect)),+ }
            }

            /// Its parameters' wire names, in the order of its request's
            /// fields: `ResourceId.N` for `ResourceId.1`, `ResourceId.2`,
            /// ..., and `Tag.N` for `Tag.N.Key` and `Tag.N.Value`.
            pub const fn parameters(self) -> &'static [&'static str] {
                match self { $(Action::$name => &[$($wire),*]),+ }
            }

            /// The root element of its answer: `<Action>Response`.
            pub const fn response(self) -> &'static str {
                match self { $(Action::$name => concat!(stringify!($name), "Response")),+ }
            }

            /// Its checks, in order: the first that fails is the answer.
            pub const fn checks(self) -> &'static [Check] {
                match self { $(Action::$name => $checks),+ }
            }
        }

        /// One call of any action, as a value: what a server journals and
        /// a test generates. `I` is how images are named.
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum Request<I = String> {
            $( #[doc = concat!("[`", stringify!($name), "`].")] $name($name<I>), )+
        }

        impl<I> Request<I> {
            /// The action it calls.
            pub fn action(&self) -> Action {
                match self { $(Request::$name(_) => Action::$name),+ }
            }

            /// The same request with every image renamed by `rename`.
            pub fn map_images<J>(self, rename: impl FnMut(I) -> J) -> Request<J> {
                match self { $(Request::$name(request) => Request::$name(request.map_images(rename))),+ }
            }
        }

        #[cfg(feature = "rpc")]
        impl Request {
            /// The request of `action` that the wire parameters of `source`
            /// make; a parameter of the wrong form is `InvalidParameter`.
            pub(crate) fn read(action: Action, source: &impl Source) -> Result<Request, EcsError> {
                Ok(match action { $(Action::$name => Request::$name($name::read(source)?)),+ })
            }

            /// Writes the request's parameters, by wire name, into `sink`.
            #[cfg_attr(not(feature = "proptest"), allow(dead_code, reason = "only the testkit's client writes requests"))]
            pub(crate) fn write(&self, sink: &mut impl Sink) {
                match self { $(Request::$name(request) => request.write(sink)),+ }
            }
        }

        $(
            $(#[doc = $doc])+
            #[derive(Clone, PartialEq, Eq, Hash)]
            #[cfg_attr(
                feature = "serde",
                derive(serde::Serialize, serde::Deserialize),
                serde(default, deny_unknown_fields)
            )]
            #[non_exhaustive]
            pub struct $name<I = String> {
                $(
                    $(#[doc = $field_doc])+
                    #[doc = concat!("\n\nOn the wire: `", $wire, "`.")]
                    pub $field: $type,
                )*
                #[cfg_attr(feature = "serde", serde(skip))]
                pub(crate) images: PhantomData<fn() -> I>,
            }

            impl<I> Default for $name<I> {
                fn default() -> $name<I> {
                    $name { $($field: Default::default(),)* images: PhantomData }
                }
            }

            impl<I: fmt::Debug> fmt::Debug for $name<I> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.debug_struct(stringify!($name))
                        $(.field(stringify!($field), &self.$field))*
                        .finish()
                }
            }

            impl<I> $name<I> {
                /// The same request with every image renamed by `rename`.
                pub fn map_images<J>(self, mut rename: impl FnMut(I) -> J) -> $name<J> {
                    let _ = &mut rename; // Requests without images leave it unused.
                    $name { $($field: rename_field!(self.$field, rename $(, $image)?),)* images: PhantomData }
                }
            }

            #[cfg(feature = "rpc")]
            impl $name {
                fn read(source: &impl Source) -> Result<$name, EcsError> {
                    Ok($name { $($field: Kind::read(source, $wire)?,)* images: PhantomData })
                }

                #[cfg_attr(not(feature = "proptest"), allow(dead_code, reason = "only the testkit's client writes requests"))]
                fn write(&self, sink: &mut impl Sink) {
                    $(Kind::write(&self.$field, sink, $wire);)*
                }
            }

            impl<I> From<$name<I>> for Request<I> {
                fn from(request: $name<I>) -> Request<I> {
                    Request::$name(request)
                }
            }
        )+
    };
    (@mock api) => { false };
    (@mock mock) => { true };
    (@reads reads) => { true };
    (@reads writes) => { false };
}

actions! {
    /// CopyImage: copy a custom image to a region. `RegionId` and `ImageId`
    /// name the **source**.
    ///
    /// ```
    /// use ecs_image_copy::CopyImage;
    ///
    /// let mut request = CopyImage::new("cn-hangzhou", "m-0000000000000000000a");
    /// request.destination_region_id = Some("cn-beijing".into());
    /// request.destination_image_name = Some("web-backup".into());
    /// ```
    CopyImage: api writes, checks checks::COPY_IMAGE {
        /// The source region (required).
        region_id: Option<String> = "RegionId",
        /// The source image (required).
        image_id: Option<I> = "ImageId" as image,
        /// The destination region; the source region when absent.
        destination_region_id: Option<String> = "DestinationRegionId",
        /// The copy's name: 2-128 characters, starting with a letter, only
        /// letters, digits, `.`, `:`, `_`, `-`, not starting with `acs:` or
        /// `aliyun`.
        destination_image_name: Option<String> = "DestinationImageName",
        /// The copy's description: 2-256 characters, not starting with
        /// `http://` or `https://`.
        destination_description: Option<String> = "DestinationDescription",
        /// Whether the copy is encrypted.
        encrypted: bool = "Encrypted",
        /// The KMS key of an encrypted copy; needs `encrypted`.
        kms_key_id: Option<String> = "KMSKeyId",
        /// Makes the call idempotent per account: ASCII, at most 64 characters.
        client_token: Option<String> = "ClientToken",
        /// Check the request and answer `DryRunOperation` instead of copying.
        dry_run: bool = "DryRun",
        /// Accepted and remembered for idempotency; not otherwise modelled.
        resource_group_id: Option<String> = "ResourceGroupId",
        /// Up to 20 tags for the copy, `Tag.N.Key` and `Tag.N.Value`.
        tags: Vec<Tag> = "Tag.N",
    }

    /// CancelCopyImage: cancel a copy. `RegionId` and `ImageId` name the
    /// **destination** image, the copy that CopyImage created.
    CancelCopyImage: api writes, checks checks::CANCEL_COPY_IMAGE {
        /// The destination region (required).
        region_id: Option<String> = "RegionId",
        /// The destination image (required).
        image_id: Option<I> = "ImageId" as image,
    }

    /// DescribeImages: list the caller's images in a region.
    ///
    /// List parameters are kept as the wire's comma-separated text, so that
    /// the model decides what a malformed list answers.
    DescribeImages: api reads, checks checks::DESCRIBE_IMAGES {
        /// The region (required).
        region_id: Option<String> = "RegionId",
        /// Comma-separated image IDs, at most
        /// [`DescribeImages::MAX_IDS`](crate::DescribeImages::MAX_IDS).
        image_id: Option<I> = "ImageId" as image,
        /// Comma-separated statuses; `Available` when absent, as the API does.
        status: Option<String> = "Status",
        /// Only images with exactly this name.
        image_name: Option<String> = "ImageName",
        /// `self`, `system`, `others` or `marketplace`; only `self` has images.
        image_owner_alias: Option<String> = "ImageOwnerAlias",
        /// The page, from 1 (default 1).
        page_number: Option<u32> = "PageNumber",
        /// Images per page, 1 to 100 (default 10).
        page_size: Option<u32> = "PageSize",
        /// Only images with every one of these tags; an empty value
        /// matches any value of its key.
        tags: Vec<Tag> = "Tag.N",
    }

    /// DeleteImage: delete one of the caller's images. Its snapshot stays,
    /// for DeleteSnapshot.
    DeleteImage: api writes, checks checks::DELETE_IMAGE {
        /// The image's region (required).
        region_id: Option<String> = "RegionId",
        /// The image (required).
        image_id: Option<I> = "ImageId" as image,
        /// Delete even if instances were made from it; the model has no
        /// instances, so it changes nothing.
        force: bool = "Force",
        /// Check the request and answer `DryRunOperation` instead.
        dry_run: bool = "DryRun",
    }

    /// ModifyImageAttribute: rename, describe, deprecate or restore one of
    /// the caller's images.
    ModifyImageAttribute: api writes, checks checks::MODIFY_IMAGE_ATTRIBUTE {
        /// The image's region (required).
        region_id: Option<String> = "RegionId",
        /// The image (required).
        image_id: Option<I> = "ImageId" as image,
        /// A new name, by CopyImage's naming rules.
        image_name: Option<String> = "ImageName",
        /// A new description, by CopyImage's description rules.
        description: Option<String> = "Description",
        /// `Deprecated` or `Available`.
        status: Option<String> = "Status",
        /// Check the request and answer `DryRunOperation` instead.
        dry_run: bool = "DryRun",
    }

    /// ModifyImageSharePermission: share one of the caller's images with
    /// other accounts, or stop sharing it.
    ModifyImageSharePermission: api writes, checks checks::MODIFY_IMAGE_SHARE_PERMISSION {
        /// The image's region (required).
        region_id: Option<String> = "RegionId",
        /// The image (required).
        image_id: Option<I> = "ImageId" as image,
        /// Accounts to share with, at most 10.
        add_account: Vec<String> = "AddAccount.N",
        /// Accounts to stop sharing with, at most 10.
        remove_account: Vec<String> = "RemoveAccount.N",
        /// Publishing images is not modelled: only `false` is accepted.
        is_public: Option<bool> = "IsPublic",
        /// Check the request and answer `DryRunOperation` instead.
        dry_run: bool = "DryRun",
    }

    /// DescribeImageSharePermission: the accounts one of the caller's
    /// images is shared with.
    DescribeImageSharePermission: api reads, checks checks::DESCRIBE_IMAGE_SHARE_PERMISSION {
        /// The image's region (required).
        region_id: Option<String> = "RegionId",
        /// The image (required).
        image_id: Option<I> = "ImageId" as image,
        /// The page, from 1 (default 1).
        page_number: Option<u32> = "PageNumber",
        /// Accounts per page, 1 to 100 (default 10).
        page_size: Option<u32> = "PageSize",
    }

    /// TagResources: tag the caller's images (`ResourceType=image`).
    TagResources: api writes, checks checks::TAG_RESOURCES {
        /// The images' region (required).
        region_id: Option<String> = "RegionId",
        /// `image` (required).
        resource_type: Option<String> = "ResourceType",
        /// The images, 1 to 50.
        resource_id: Vec<I> = "ResourceId.N" as images,
        /// The tags, 1 to 20; a key already on an image takes the new value.
        tags: Vec<Tag> = "Tag.N",
    }

    /// UntagResources: remove tags from the caller's images.
    UntagResources: api writes, checks checks::UNTAG_RESOURCES {
        /// The images' region (required).
        region_id: Option<String> = "RegionId",
        /// `image` (required).
        resource_type: Option<String> = "ResourceType",
        /// The images, 1 to 50.
        resource_id: Vec<I> = "ResourceId.N" as images,
        /// The keys to remove, at most 20.
        tag_key: Vec<String> = "TagKey.N",
        /// Remove every tag, when no `TagKey.N` is given.
        all: bool = "All",
    }

    /// ListTagResources: the tags of the caller's images, 50 a page.
    ListTagResources: api reads, checks checks::LIST_TAG_RESOURCES {
        /// The images' region (required).
        region_id: Option<String> = "RegionId",
        /// `image` (required).
        resource_type: Option<String> = "ResourceType",
        /// Only these images, at most 50.
        resource_id: Vec<I> = "ResourceId.N" as images,
        /// Only images with all of these tags (an empty value: any value).
        tags: Vec<Tag> = "Tag.N",
        /// The page after the one that answered this token.
        next_token: Option<String> = "NextToken",
    }

    /// DescribeRegions: the regions of the service.
    DescribeRegions: api reads, checks checks::DESCRIBE_REGIONS {
        /// `zh-CN` (the default), `en-US` or `ja`: the language of
        /// `LocalName`.
        accept_language: Option<String> = "AcceptLanguage",
        /// Accepted; every region offers images.
        instance_charge_type: Option<String> = "InstanceChargeType",
        /// Accepted; every region offers images.
        resource_type: Option<String> = "ResourceType",
    }

    /// DeleteSnapshot: delete one of the caller's snapshots that no image
    /// uses. A snapshot ID names its region, so there is no `RegionId`.
    DeleteSnapshot: api writes, checks checks::DELETE_SNAPSHOT {
        /// The snapshot (required).
        snapshot_id: Option<String> = "SnapshotId",
        /// Delete even if disks were made from it; the model has no disks,
        /// so it changes nothing.
        force: bool = "Force",
    }

    /// `MockCreateImage`: an `Available` image of the caller, as if made
    /// from an instance. The name follows CopyImage's naming rules and may
    /// not be one the caller already uses in the region.
    MockCreateImage: mock writes, checks checks::MOCK_CREATE_IMAGE {
        /// The region (required).
        region_id: Option<String> = "RegionId",
        /// The image's name (required).
        image_name: Option<String> = "ImageName",
    }

    /// `MockSetCopyProgress`: the caller's copy reached `Progress`; at 100%
    /// it is finalizing.
    MockSetCopyProgress: mock writes, checks checks::MOCK_SET_COPY_PROGRESS {
        /// The copy's region (required).
        region_id: Option<String> = "RegionId",
        /// The copy (required).
        image_id: Option<I> = "ImageId" as image,
        /// 0 to 100, as a number or as `Progress` is shown (`40%`) (required).
        progress: Option<String> = "Progress",
    }

    /// `MockCompleteCopy`: the caller's copy completes, reaching 100% first
    /// if it is still copying.
    MockCompleteCopy: mock writes, checks checks::MOCK_COPY_EVENT {
        /// The copy's region (required).
        region_id: Option<String> = "RegionId",
        /// The copy (required).
        image_id: Option<I> = "ImageId" as image,
    }

    /// `MockFailCopy`: the caller's copy fails, keeping its progress.
    MockFailCopy: mock writes, checks checks::MOCK_COPY_EVENT {
        /// The copy's region (required).
        region_id: Option<String> = "RegionId",
        /// The copy (required).
        image_id: Option<I> = "ImageId" as image,
    }

    /// `MockSetCancellable`: whether CancelCopyImage may cancel the
    /// caller's copy while it runs; any phase takes it.
    MockSetCancellable: mock writes, checks checks::MOCK_SET_CANCELLABLE {
        /// The copy's region (required).
        region_id: Option<String> = "RegionId",
        /// The copy (required).
        image_id: Option<I> = "ImageId" as image,
        /// `true` or `false` (required).
        cancellable: Option<bool> = "Cancellable",
    }

    /// `MockAdvanceCopies`: one tick of simulated time for every account's
    /// copies: see [`World::advance_copies`](crate::World::advance_copies).
    MockAdvanceCopies: mock writes, checks checks::MOCK_ADVANCE_COPIES {
        /// The progress every running copy gains, 0 to 100;
        /// [`MockAdvanceCopies::DEFAULT_STEP`] when absent.
        step: Option<String> = "Step",
    }
}

impl CopyImage {
    /// A copy of `image_id` in `region_id` into the same region, with every
    /// optional parameter absent.
    pub fn new(region_id: impl Into<String>, image_id: impl Into<String>) -> CopyImage {
        CopyImage {
            region_id: Some(region_id.into()),
            image_id: Some(image_id.into()),
            ..CopyImage::default()
        }
    }
}

impl CancelCopyImage {
    /// A cancel of the copy `image_id` in `region_id`.
    pub fn new(region_id: impl Into<String>, image_id: impl Into<String>) -> CancelCopyImage {
        CancelCopyImage {
            region_id: Some(region_id.into()),
            image_id: Some(image_id.into()),
            ..CancelCopyImage::default()
        }
    }
}

impl DescribeImages {
    /// Most IDs one call may list in `ImageId`.
    pub const MAX_IDS: usize = 100;

    /// The caller's `Available` images in `region_id`, first page.
    pub fn new(region_id: impl Into<String>) -> DescribeImages {
        DescribeImages {
            region_id: Some(region_id.into()),
            ..DescribeImages::default()
        }
    }
}

impl MockAdvanceCopies {
    /// The step of a tick that names none: 15%, so that a copy passes
    /// 0, 15, ..., 90, 100 (finalizing) and completes in eight ticks. A
    /// server's automatic progress uses it too.
    pub const DEFAULT_STEP: crate::task::Percent = match crate::task::Percent::new(15) {
        Some(step) => step,
        None => crate::task::Percent::FULL,
    };
}
