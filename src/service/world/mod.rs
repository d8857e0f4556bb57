//! The world: regions, accounts, images and their copy queues. Its fields
//! are private to this module; each kind of method lives in a child module,
//! which sees them.

mod backend;
mod cancel;
mod copy;
mod delete;
mod describe;
mod handle;
mod handles;
mod hash;
mod image;
mod memory;
mod modify;
mod regions;
mod share;
mod slots;
mod store;
mod tags;
#[cfg(test)]
mod tests;

pub use self::backend::WorldError;
pub use self::describe::{ImagePage, ImageView};
pub use self::handle::Answer;
pub use self::regions::RegionView;
pub use self::share::SharePage;
pub use self::tags::TagPage;

use self::handles::RegionNames;
pub use self::handles::{AccountHandle, RegionHandle};
pub use self::image::{CopyOf, Details, Image, Orphan, Replay};
pub use self::memory::Memory;
pub use self::store::{Statuses, Store};
use crate::service::request::given;
use crate::service::{Config, ImageId};
use crate::task::EcsError;

/// The whole modelled service: every region's images, by account, and each
/// account's copies queued and running into each region.
///
/// It is pure: time comes in as a [`Timestamp`](crate::Timestamp), and a
/// new ID is a function of the world and the [`Config`]'s seed, so the same
/// calls give the same answers. A call that fails changes nothing. An ID
/// names where its image lives, so finding an image hashes nothing; a
/// cancelled copy's ID is never issued again.
///
/// Its methods, by kind:
/// - **Actions**, as an account calls them, each with its checks in the
///   documented order ([`Action::checks`](crate::Action::checks)):
///   [`copy_image`](World::copy_image),
///   [`cancel_copy_image`](World::cancel_copy_image),
///   [`describe_images`](World::describe_images); and
///   [`handle`](World::handle), which answers any [`Request`](crate::Request),
///   the mock control actions included, as the endpoint does.
/// - **Backend operations**, what a simulated backend does, by image ID and
///   without a caller: [`create_image`](World::create_image),
///   [`set_copy_progress`](World::set_copy_progress),
///   [`complete_copy`](World::complete_copy), [`fail_copy`](World::fail_copy),
///   [`set_cancellable`](World::set_cancellable),
///   [`advance_copies`](World::advance_copies).
/// - **Inspection**: [`image`](World::image), [`image_count`](World::image_count),
///   [`config`](World::config); and, with the `serde` feature, the whole
///   world as a snapshot, checked on the way back in.
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
/// copy.destination_region_id = Some("cn-beijing".into());
/// let copy = world.copy_image("alice", &copy, now)?;
///
/// // The backend reports progress, which DescribeImages shows.
/// world.set_copy_progress("cn-beijing", copy, Percent::new(40).unwrap())?;
/// let mut describe = DescribeImages::new("cn-beijing");
/// describe.image_id = Some(copy.to_string());
/// describe.status = Some("Creating,Waiting".into());
/// let page = world.describe_images("alice", &describe)?;
/// assert_eq!(page.images[0].progress().to_string(), "40%");
///
/// // Cancel it: the copy disappears; another account could not see it.
/// let cancel = CancelCopyImage::new("cn-beijing", copy.to_string());
/// assert_eq!(world.cancel_copy_image("bob", &cancel), Err(EcsError::ImageNotFound));
/// world.cancel_copy_image("alice", &cancel)?;
/// assert_eq!(world.cancel_copy_image("alice", &cancel), Err(EcsError::ImageNotFound));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct World<S = Memory> {
    config: Config,
    /// The config's regions, found by name.
    regions: RegionNames,
    /// Every image and its indexes: what the actions read and change.
    store: S,
}

/// What becomes of a removed image's snapshot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Snapshot {
    /// DeleteImage: the snapshot stays, for DeleteSnapshot.
    Keep,
    /// CancelCopyImage: the copy's partial snapshot goes with it.
    Drop,
}

impl Default for World {
    /// A world with the default [`Config`].
    fn default() -> World {
        World::new(Config::default())
    }
}

impl World {
    /// An empty world with the regions and limits of `config`, in memory.
    pub fn new(config: Config) -> World {
        let store = Memory::new(config.id_seed());
        World::with_store(config, store)
    }
}

impl<S: Store> World<S> {
    /// The world of `config` kept in `store`: for one call, when `store`
    /// is a database transaction (see [`Store`]).
    pub fn with_store(config: Config, store: S) -> World<S> {
        World {
            regions: RegionNames::new(&config),
            config,
            store,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to change it directly.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The store, once the world is done with: to commit it.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The configuration the world was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Makes `accounts` the service's only accounts (see
    /// [`Config::with_accounts`]): an endpoint with access keys has the
    /// keys' accounts, whatever world it serves.
    #[cfg(feature = "rpc")]
    pub(crate) fn close_accounts(&mut self, accounts: impl IntoIterator<Item = String>) {
        self.config = self.config.clone().with_accounts(accounts);
    }

    /// How many images there are, copies included.
    pub fn image_count(&self) -> usize {
        self.store.image_count()
    }

    fn region(&self, name: &str) -> Option<RegionHandle> {
        self.regions.find(&self.config, name)
    }

    /// The image `id` as `caller` sees it in `region`: their own, present.
    fn visible(&self, caller: &str, region: RegionHandle, id: &str) -> Option<(ImageId, &Image)> {
        let id = ImageId::read(id)?;
        let image = self.store.image(id)?;
        // Account names are interned one to one, so comparing the owner's
        // name is `account(caller) == Some(image.owner)`, without hashing
        // the caller's name.
        let own = image.region == region && self.store.account_name(image.owner) == caller;
        own.then_some((id, image))
    }

    /// The image named by `region` and `image` that `caller` owns: a
    /// missing parameter, an unknown region, then an image the caller
    /// cannot see, answer as every action does.
    fn caller_image(
        &self,
        caller: &str,
        region: Option<&str>,
        image: Option<&str>,
    ) -> Result<(ImageId, &Image), EcsError> {
        let (region, image) = self.located(region, image)?;
        self.visible(caller, region, image)
            .ok_or(EcsError::ImageNotFound)
    }

    /// The first checks of every action on one image: `RegionId` given,
    /// `ImageId` given, then the region known.
    fn located<'r>(
        &self,
        region: Option<&str>,
        image: Option<&'r str>,
    ) -> Result<(RegionHandle, &'r str), EcsError> {
        let region = given(region).ok_or(EcsError::MissingRegionId)?;
        let image = given(image).ok_or(EcsError::MissingImageId)?;
        let region = self.region(region).ok_or(EcsError::RegionNotFound)?;
        Ok((region, image))
    }

    fn name_taken(&self, owner: AccountHandle, region: RegionHandle, name: &str) -> bool {
        self.store.named(owner, region, name).is_some()
    }

    /// Adds `image` under a fresh ID as the newest image; a copy queues, and
    /// starts at once if its account has a free slot in the region. Fails,
    /// changing nothing, only if the store is full.
    fn insert_image(&mut self, image: Image) -> Result<ImageId, EcsError> {
        let (owner, region, is_copy) = (image.owner, image.region, image.copy.is_some());
        let id = self
            .store
            .insert(image)
            .ok_or(EcsError::ImageQuotaExceeded)?;
        if is_copy {
            self.fill_slots(owner, region);
        }
        Ok(id)
    }

    /// Deletes an image, frees its copy slot if it held one, stops sharing
    /// it, and keeps or drops its snapshot.
    fn remove_image(&mut self, id: ImageId, snapshot: Snapshot) {
        let Some(image) = self.store.remove(id) else {
            return;
        };
        if snapshot == Snapshot::Keep {
            let orphan = Orphan {
                owner: image.owner,
                region: image.region,
            };
            self.store.keep_orphan(id.snapshot(), orphan);
        }
        for (grantee, _) in image.details().map_or(&[][..], |d| &d.shares[..]) {
            self.store.revoke(*grantee, image.region, id);
        }
        if image.holds_slot() {
            self.fill_slots(image.owner, image.region);
        }
    }
}

/// A server shares one world between threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<World>();
};
