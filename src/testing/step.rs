//! One generated call, and one answer, in a form two systems can compare.

use crate::CopyImageParams;

/// An image as a generated step names it: the `n`-th image the run has
/// issued (counting from 0, in the order the system answered them), or a
/// literal ID that may name nothing or be no ID at all.
///
/// Each system resolves `Issued(n)` to its own ID, so systems that issue
/// different IDs can be compared.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ImageRef {
    /// The `n`-th image issued in this run.
    Issued(usize),
    /// This text as the `ImageId`.
    Literal(String),
}

/// One call of a run, as an account: an ECS action or a mock control
/// operation. `I` is how images are named: [`ImageRef`] in generated runs,
/// `String` once resolved to a system's own IDs.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Step<I = ImageRef> {
    /// CopyImage; `params.image_id` is ignored in favour of `source`.
    CopyImage {
        /// The caller.
        account: String,
        /// The source image (`ImageId`).
        source: Option<I>,
        /// Every other parameter.
        params: CopyImageParams,
    },
    /// CancelCopyImage.
    CancelCopyImage {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: Option<String>,
        /// `ImageId`.
        image: Option<I>,
    },
    /// DescribeImages.
    DescribeImages {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: Option<String>,
        /// `ImageId`.
        image: Option<I>,
        /// `Status`.
        status: Option<String>,
        /// `PageSize`.
        page_size: Option<u32>,
    },
    /// `MockCreateImage`: an `Available` image of the caller.
    CreateImage {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: String,
        /// `ImageName`.
        name: String,
    },
    /// `MockSetCopyProgress`.
    SetCopyProgress {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: String,
        /// `ImageId`.
        image: I,
        /// `Progress`.
        progress: u8,
    },
    /// `MockCompleteCopy`.
    CompleteCopy {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: String,
        /// `ImageId`.
        image: I,
    },
    /// `MockFailCopy`.
    FailCopy {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: String,
        /// `ImageId`.
        image: I,
    },
    /// `MockSetCancellable`.
    SetCancellable {
        /// The caller.
        account: String,
        /// `RegionId`.
        region: String,
        /// `ImageId`.
        image: I,
        /// `Cancellable`.
        cancellable: bool,
    },
    /// `MockAdvanceCopies`: one tick of simulated time for every copy.
    AdvanceCopies {
        /// `Step`, in percent.
        step: u8,
    },
}

impl<I> Step<I> {
    /// The same step with every image renamed by `rename`.
    pub fn map_images<J>(self, mut rename: impl FnMut(I) -> J) -> Step<J> {
        match self {
            Step::CopyImage {
                account,
                source,
                params,
            } => Step::CopyImage {
                account,
                source: source.map(rename),
                params,
            },
            Step::CancelCopyImage {
                account,
                region,
                image,
            } => Step::CancelCopyImage {
                account,
                region,
                image: image.map(rename),
            },
            Step::DescribeImages {
                account,
                region,
                image,
                status,
                page_size,
            } => Step::DescribeImages {
                account,
                region,
                image: image.map(rename),
                status,
                page_size,
            },
            Step::CreateImage {
                account,
                region,
                name,
            } => Step::CreateImage {
                account,
                region,
                name,
            },
            Step::SetCopyProgress {
                account,
                region,
                image,
                progress,
            } => Step::SetCopyProgress {
                account,
                region,
                image: rename(image),
                progress,
            },
            Step::CompleteCopy {
                account,
                region,
                image,
            } => Step::CompleteCopy {
                account,
                region,
                image: rename(image),
            },
            Step::FailCopy {
                account,
                region,
                image,
            } => Step::FailCopy {
                account,
                region,
                image: rename(image),
            },
            Step::SetCancellable {
                account,
                region,
                image,
                cancellable,
            } => Step::SetCancellable {
                account,
                region,
                image: rename(image),
                cancellable,
            },
            Step::AdvanceCopies { step } => Step::AdvanceCopies { step },
        }
    }

    /// The images the step names.
    pub fn images(&self) -> impl Iterator<Item = &I> {
        let image = match self {
            Step::CopyImage { source, .. } => source.as_ref(),
            Step::CancelCopyImage { image, .. } | Step::DescribeImages { image, .. } => {
                image.as_ref()
            }
            Step::SetCopyProgress { image, .. }
            | Step::CompleteCopy { image, .. }
            | Step::FailCopy { image, .. }
            | Step::SetCancellable { image, .. } => Some(image),
            Step::CreateImage { .. } | Step::AdvanceCopies { .. } => None,
        };
        image.into_iter()
    }

    /// The calling account, for all but [`Step::AdvanceCopies`].
    pub fn account(&self) -> Option<&str> {
        match self {
            Step::CopyImage { account, .. }
            | Step::CancelCopyImage { account, .. }
            | Step::DescribeImages { account, .. }
            | Step::CreateImage { account, .. }
            | Step::SetCopyProgress { account, .. }
            | Step::CompleteCopy { account, .. }
            | Step::FailCopy { account, .. }
            | Step::SetCancellable { account, .. } => Some(account),
            Step::AdvanceCopies { .. } => None,
        }
    }
}

/// What a system answered to a [`Step`], with the fields that the
/// reference semantics fix.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Reply<I = ImageRef> {
    /// CopyImage or CreateImage succeeded with this image.
    Image(I),
    /// CancelCopyImage succeeded.
    Done,
    /// DescribeImages: `TotalCount` and the page's images, in order.
    Images {
        /// `TotalCount`.
        total: usize,
        /// The images of the page.
        images: Vec<Seen<I>>,
    },
    /// A mock control operation succeeded; the copy is now thus.
    Task {
        /// `Status`.
        status: String,
        /// `Progress`, such as `40%`.
        progress: String,
        /// `Cancellable`.
        cancellable: bool,
    },
    /// `MockAdvanceCopies` moved this many copies.
    Moved(usize),
    /// The call failed.
    Error {
        /// The HTTP status.
        status: u16,
        /// `Code`.
        code: String,
        /// `Message`.
        message: String,
    },
}

/// One image as DescribeImages showed it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Seen<I = ImageRef> {
    /// `ImageId`.
    pub image: I,
    /// `Status`.
    pub status: String,
    /// `Progress`.
    pub progress: String,
}

impl<I> Reply<I> {
    /// The same reply with every image renamed by `rename`.
    pub fn map_images<J>(self, mut rename: impl FnMut(I) -> J) -> Reply<J> {
        match self {
            Reply::Image(image) => Reply::Image(rename(image)),
            Reply::Done => Reply::Done,
            Reply::Images { total, images } => Reply::Images {
                total,
                images: images
                    .into_iter()
                    .map(|seen| Seen {
                        image: rename(seen.image),
                        status: seen.status,
                        progress: seen.progress,
                    })
                    .collect(),
            },
            Reply::Task {
                status,
                progress,
                cancellable,
            } => Reply::Task {
                status,
                progress,
                cancellable,
            },
            Reply::Moved(moved) => Reply::Moved(moved),
            Reply::Error {
                status,
                code,
                message,
            } => Reply::Error {
                status,
                code,
                message,
            },
        }
    }
}

impl Reply<String> {
    /// The reply to a failed call.
    pub fn error(error: crate::EcsError) -> Reply<String> {
        Reply::Error {
            status: error.status(),
            code: error.code().to_string(),
            message: error.message().to_owned(),
        }
    }
}

/// A system's own image IDs, in the order it issued them: what turns
/// [`ImageRef`]s into its IDs and its answers back into [`ImageRef`]s.
///
/// ```
/// use ecs_image_copy::testing::{ImageRef, IssuedIds, Reply};
///
/// let mut ids = IssuedIds::default();
/// let first = ids.normalize(Reply::Image("m-mine".to_owned()));
/// assert_eq!(first, Reply::Image(ImageRef::Issued(0)));
/// assert_eq!(ids.resolve(&ImageRef::Issued(0)), "m-mine");
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct IssuedIds {
    ids: Vec<String>,
}

impl IssuedIds {
    /// How many images were issued.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// This system's ID for `image`. An `Issued` index past the end (left
    /// by shrinking) names no image.
    pub fn resolve(&self, image: &ImageRef) -> String {
        match image {
            ImageRef::Issued(n) => self
                .ids
                .get(*n)
                .cloned()
                .unwrap_or_else(|| format!("m-never-issued-{n}")),
            ImageRef::Literal(text) => text.clone(),
        }
    }

    /// The reply with this system's IDs as [`ImageRef`]s; an image that a
    /// CopyImage or CreateImage answered for the first time is issued now.
    pub fn normalize(&mut self, reply: Reply<String>) -> Reply<ImageRef> {
        if let Reply::Image(id) = &reply
            && !self.ids.contains(id)
        {
            self.ids.push(id.clone());
        }
        self.name(reply)
    }

    /// The reply with this system's IDs as [`ImageRef`]s, issuing nothing.
    pub fn name(&self, reply: Reply<String>) -> Reply<ImageRef> {
        reply.map_images(|id| match self.ids.iter().position(|known| *known == id) {
            Some(n) => ImageRef::Issued(n),
            None => ImageRef::Literal(id),
        })
    }
}
