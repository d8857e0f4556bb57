//! One call on the world as an owned value: what a server journals and
//! replays, and what a test generates.

use crate::{
    CancelCopyImage, CopyImage, CopyTask, ImageId, Percent, Tag, Timestamp, World, WorldError,
};

/// A CopyImage request that owns its parameters.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct CopyImageParams {
    /// See [`CopyImage::region_id`].
    pub region_id: Option<String>,
    /// See [`CopyImage::image_id`].
    pub image_id: Option<String>,
    /// See [`CopyImage::destination_region_id`].
    pub destination_region_id: Option<String>,
    /// See [`CopyImage::destination_image_name`].
    pub destination_image_name: Option<String>,
    /// See [`CopyImage::destination_description`].
    pub destination_description: Option<String>,
    /// See [`CopyImage::encrypted`].
    pub encrypted: bool,
    /// See [`CopyImage::kms_key_id`].
    pub kms_key_id: Option<String>,
    /// See [`CopyImage::client_token`].
    pub client_token: Option<String>,
    /// See [`CopyImage::dry_run`].
    pub dry_run: bool,
    /// See [`CopyImage::resource_group_id`].
    pub resource_group_id: Option<String>,
    /// See [`CopyImage::tags`]: (key, value) pairs.
    pub tags: Vec<(String, String)>,
}

impl CopyImageParams {
    /// Owned copies of `request`'s parameters.
    pub fn of(request: &CopyImage<'_>) -> CopyImageParams {
        let owned = |value: Option<&str>| value.map(str::to_owned);
        CopyImageParams {
            region_id: owned(request.region_id),
            image_id: owned(request.image_id),
            destination_region_id: owned(request.destination_region_id),
            destination_image_name: owned(request.destination_image_name),
            destination_description: owned(request.destination_description),
            encrypted: request.encrypted,
            kms_key_id: owned(request.kms_key_id),
            client_token: owned(request.client_token),
            dry_run: request.dry_run,
            resource_group_id: owned(request.resource_group_id),
            tags: request
                .tags
                .iter()
                .map(|tag| (tag.key.to_owned(), tag.value.to_owned()))
                .collect(),
        }
    }

    /// Calls `f` with the request these parameters make.
    pub fn with_request<T>(&self, f: impl FnOnce(&CopyImage<'_>) -> T) -> T {
        let tags: Vec<Tag<'_>> = self
            .tags
            .iter()
            .map(|(key, value)| Tag { key, value })
            .collect();
        let request = CopyImage {
            region_id: self.region_id.as_deref(),
            image_id: self.image_id.as_deref(),
            destination_region_id: self.destination_region_id.as_deref(),
            destination_image_name: self.destination_image_name.as_deref(),
            destination_description: self.destination_description.as_deref(),
            encrypted: self.encrypted,
            kms_key_id: self.kms_key_id.as_deref(),
            client_token: self.client_token.as_deref(),
            dry_run: self.dry_run,
            resource_group_id: self.resource_group_id.as_deref(),
            tags: &tags,
        };
        f(&request)
    }
}

/// A call that may change the world: an ECS action or a backend operation.
///
/// Applying the same commands to equal worlds gives equal worlds, so a
/// server can journal the commands it applied and replay them after a
/// restart.
///
/// ```
/// use ecs_image_copy::{Applied, Command, Timestamp, World};
///
/// let create = Command::CreateImage {
///     owner: "alice".into(),
///     region: "cn-hangzhou".into(),
///     name: "web".into(),
///     now: Timestamp::from_unix_seconds(0),
/// };
/// let (mut first, mut second) = (World::default(), World::default());
/// let answer = create.apply(&mut first)?;
/// assert!(matches!(answer, Applied::Image(_)));
/// assert_eq!(create.apply(&mut second)?, answer);
/// # Ok::<(), ecs_image_copy::WorldError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
#[non_exhaustive]
pub enum Command {
    /// [`World::copy_image`].
    CopyImage {
        /// The calling account.
        caller: String,
        /// The request.
        request: CopyImageParams,
        /// When the call was made.
        now: Timestamp,
    },
    /// [`World::cancel_copy_image`].
    CancelCopyImage {
        /// The calling account.
        caller: String,
        /// `RegionId`.
        region_id: Option<String>,
        /// `ImageId`.
        image_id: Option<String>,
    },
    /// [`World::create_image`].
    CreateImage {
        /// The owning account.
        owner: String,
        /// The region.
        region: String,
        /// The name.
        name: String,
        /// When the image was made.
        now: Timestamp,
    },
    /// [`World::set_copy_progress`].
    SetCopyProgress {
        /// The copy's region.
        region: String,
        /// The copy.
        image: ImageId,
        /// The progress reached.
        progress: Percent,
    },
    /// [`World::complete_copy`].
    CompleteCopy {
        /// The copy's region.
        region: String,
        /// The copy.
        image: ImageId,
    },
    /// [`World::fail_copy`].
    FailCopy {
        /// The copy's region.
        region: String,
        /// The copy.
        image: ImageId,
    },
    /// [`World::set_cancellable`].
    SetCancellable {
        /// The copy's region.
        region: String,
        /// The copy.
        image: ImageId,
        /// Whether CancelCopyImage may cancel it.
        cancellable: bool,
    },
    /// [`World::advance_copies`].
    AdvanceCopies {
        /// The progress every running copy gains.
        step: Percent,
    },
}

/// What an applied [`Command`] answered.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Applied {
    /// The image that CopyImage or CreateImage made (or, for a retried
    /// ClientToken, had made).
    Image(ImageId),
    /// CancelCopyImage cancelled the copy.
    Cancelled,
    /// The copy's task after a backend operation.
    Task(CopyTask),
    /// How many copies a tick of [`World::advance_copies`] moved.
    Advanced(usize),
}

impl Command {
    /// Applies the command; on an error the world is unchanged.
    pub fn apply(&self, world: &mut World) -> Result<Applied, WorldError> {
        match self {
            Command::CopyImage {
                caller,
                request,
                now,
            } => request
                .with_request(|r| world.copy_image(caller, r, *now))
                .map(Applied::Image)
                .map_err(WorldError::Refused),
            Command::CancelCopyImage {
                caller,
                region_id,
                image_id,
            } => {
                let request = CancelCopyImage {
                    region_id: region_id.as_deref(),
                    image_id: image_id.as_deref(),
                };
                let cancelled = world.cancel_copy_image(caller, &request);
                cancelled
                    .map(|()| Applied::Cancelled)
                    .map_err(WorldError::Refused)
            }
            Command::CreateImage {
                owner,
                region,
                name,
                now,
            } => world
                .create_image(owner, region, name, *now)
                .map(Applied::Image),
            Command::SetCopyProgress {
                region,
                image,
                progress,
            } => world
                .set_copy_progress(region, *image, *progress)
                .map(Applied::Task),
            Command::CompleteCopy { region, image } => {
                world.complete_copy(region, *image).map(Applied::Task)
            }
            Command::FailCopy { region, image } => {
                world.fail_copy(region, *image).map(Applied::Task)
            }
            Command::SetCancellable {
                region,
                image,
                cancellable,
            } => world
                .set_cancellable(region, *image, *cancellable)
                .map(Applied::Task),
            Command::AdvanceCopies { step } => Ok(Applied::Advanced(world.advance_copies(*step))),
        }
    }
}
