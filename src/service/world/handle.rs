//! Any request, as the endpoint answers it: the one decision path of every
//! action, the mock control actions included.

use core::str::FromStr;

use super::World;
use super::store::Store;
use crate::service::request::given;
use crate::service::request::{
    MockAdvanceCopies, MockCreateImage, MockSetCancellable, MockSetCopyProgress,
};
use crate::service::{ImageId, Request, Timestamp, WorldError};
use crate::task::{CopyTask, EcsError, Percent, TransitionError};

/// What a successful request answers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Answer<'w> {
    /// CopyImage or MockCreateImage made this image (or, for a retried
    /// ClientToken, had made it).
    Image(ImageId),
    /// CancelCopyImage cancelled the copy.
    Cancelled,
    /// DescribeImages' page.
    Images(super::ImagePage<'w>),
    /// A mock control action moved the copy `image`; its task is now thus.
    Copy {
        /// The copy.
        image: ImageId,
        /// Its task.
        task: CopyTask,
    },
    /// MockAdvanceCopies moved this many copies.
    Advanced(usize),
    /// An action that answers nothing but its `RequestId` succeeded:
    /// DeleteImage, DeleteSnapshot, ModifyImageAttribute,
    /// ModifyImageSharePermission, TagResources, UntagResources.
    Done,
    /// DescribeImageSharePermission's page.
    Shares(super::SharePage<'w>),
    /// ListTagResources' page.
    Tags(super::TagPage<'w>),
    /// DescribeRegions' regions.
    Regions(Vec<super::RegionView<'w>>),
}

impl<S: Store> World<S> {
    /// Answers `request` from `caller` at time `now`, as the endpoint does:
    /// every action, API or mock control, with its checks in the order
    /// [`Action::checks`](crate::Action::checks) lists. On an error the
    /// world is unchanged.
    ///
    /// A phase that cannot take a mock control action's event is a
    /// [`WorldError::Transition`]; the endpoint answers it as
    /// [`EcsError::CopyPhaseMismatch`].
    ///
    /// ```
    /// use ecs_image_copy::mock::MockCreateImage;
    /// use ecs_image_copy::{Answer, Request, Timestamp, World};
    ///
    /// let mut world = World::default();
    /// let mut create = MockCreateImage::default();
    /// create.region_id = Some("cn-hangzhou".into());
    /// create.image_name = Some("web".into());
    /// let now = Timestamp::from_unix_seconds(0);
    /// let answer = world.handle("alice", &Request::from(create), now)?;
    /// assert!(matches!(answer, Answer::Image(_)));
    /// # Ok::<(), ecs_image_copy::WorldError>(())
    /// ```
    pub fn handle(
        &mut self,
        caller: &str,
        request: &Request,
        now: Timestamp,
    ) -> Result<Answer<'_>, WorldError> {
        Ok(match request {
            Request::CopyImage(request) => Answer::Image(self.copy_image(caller, request, now)?),
            Request::CancelCopyImage(request) => {
                self.cancel_copy_image(caller, request)?;
                Answer::Cancelled
            }
            Request::DescribeImages(request) => {
                Answer::Images(self.describe_images(caller, request)?)
            }
            Request::MockCreateImage(request) => {
                Answer::Image(self.mock_create_image(caller, request, now)?)
            }
            Request::MockSetCopyProgress(request) => {
                self.mock_set_copy_progress(caller, request)?
            }
            Request::MockCompleteCopy(request) => {
                let copy = self.own_copy(caller, &request.region_id, &request.image_id)?;
                self.move_copy(copy, super::backend::complete)?
            }
            Request::MockFailCopy(request) => {
                let copy = self.own_copy(caller, &request.region_id, &request.image_id)?;
                self.move_copy(copy, CopyTask::fail)?
            }
            Request::MockSetCancellable(request) => self.mock_set_cancellable(caller, request)?,
            Request::MockAdvanceCopies(request) => {
                Answer::Advanced(self.advance_copies(advance_step(request)?))
            }
            Request::DeleteImage(request) => done(self.delete_image(caller, request))?,
            Request::ModifyImageAttribute(request) => {
                done(self.modify_image_attribute(caller, request))?
            }
            Request::ModifyImageSharePermission(request) => {
                done(self.modify_image_share_permission(caller, request, now))?
            }
            Request::DescribeImageSharePermission(request) => {
                Answer::Shares(self.describe_image_share_permission(caller, request)?)
            }
            Request::TagResources(request) => done(self.tag_resources(caller, request))?,
            Request::UntagResources(request) => done(self.untag_resources(caller, request))?,
            Request::ListTagResources(request) => {
                Answer::Tags(self.list_tag_resources(caller, request)?)
            }
            Request::DescribeRegions(request) => Answer::Regions(self.describe_regions(request)),
            Request::DeleteSnapshot(request) => done(self.delete_snapshot(caller, request))?,
        })
    }

    fn mock_create_image(
        &mut self,
        caller: &str,
        request: &MockCreateImage,
        now: Timestamp,
    ) -> Result<ImageId, WorldError> {
        let region = given(request.region_id.as_deref()).ok_or(EcsError::MissingRegionId)?;
        let name = given(request.image_name.as_deref()).ok_or(EcsError::MissingImageName)?;
        self.create_image(caller, region, name, now)
    }

    fn mock_set_copy_progress(
        &mut self,
        caller: &str,
        request: &MockSetCopyProgress,
    ) -> Result<Answer<'_>, WorldError> {
        let progress = given(request.progress.as_deref()).ok_or(EcsError::MissingProgress)?;
        let progress = percent(progress)?;
        let copy = self.own_copy(caller, &request.region_id, &request.image_id)?;
        self.move_copy(copy, |task| task.progress_to(progress))
    }

    fn mock_set_cancellable(
        &mut self,
        caller: &str,
        request: &MockSetCancellable,
    ) -> Result<Answer<'_>, WorldError> {
        let cancellable = request.cancellable.ok_or(EcsError::MissingCancellable)?;
        let copy = self.own_copy(caller, &request.region_id, &request.image_id)?;
        self.move_copy(copy, |task| Ok(task.with_cancellable(cancellable)))
    }

    /// A copy of the caller's, for the mock control actions, which see no
    /// more of the world than the caller's own API calls.
    fn own_copy(
        &self,
        caller: &str,
        region: &Option<String>,
        image: &Option<String>,
    ) -> Result<ImageId, EcsError> {
        let (id, image) = self.caller_image(caller, region.as_deref(), image.as_deref())?;
        image.copy.ok_or(EcsError::ImageNotCopying)?;
        Ok(id)
    }

    fn move_copy(
        &mut self,
        image: ImageId,
        event: impl FnOnce(CopyTask) -> Result<CopyTask, TransitionError>,
    ) -> Result<Answer<'_>, WorldError> {
        // `own_copy` found the image, so it has a region.
        let region = self.store.image(image).map(|image| image.region);
        let region = region.ok_or(EcsError::ImageNotFound)?;
        let task = self.update_task_at(region, image, event)?;
        Ok(Answer::Copy { image, task })
    }
}

/// The answer of an action that answers nothing but success.
fn done(result: Result<(), EcsError>) -> Result<Answer<'static>, EcsError> {
    result.map(|()| Answer::Done)
}

/// `MockAdvanceCopies`' step: [`MockAdvanceCopies::DEFAULT_STEP`] when absent.
fn advance_step(request: &MockAdvanceCopies) -> Result<Percent, EcsError> {
    request
        .step
        .as_deref()
        .map_or(Ok(MockAdvanceCopies::DEFAULT_STEP), percent)
}

fn percent(text: &str) -> Result<Percent, EcsError> {
    Percent::from_str(text).map_err(|_| EcsError::InvalidParameter)
}
