//! One generated call, and one answer, in a form two systems can compare.

use core::fmt;

use crate::service::Request;

/// An image as a generated step names it: the `n`-th image the run has
/// issued (counting from 0, in the order the system answered them), or a
/// literal ID that may name nothing or be no ID at all.
///
/// Each system resolves `Issued(n)` to its own ID, so systems that issue
/// different IDs can be compared.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum ImageRef {
    /// The `n`-th image issued in this run.
    Issued(usize),
    /// This text as the `ImageId`.
    Literal(String),
}

/// One call of a run: an account, and its request to an ECS action or a
/// mock control action. `I` is how images are named: [`ImageRef`] in
/// generated runs, `String` once resolved to a system's own IDs.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Step<I = ImageRef> {
    /// The caller. `MockAdvanceCopies` moves every account's copies,
    /// whoever calls it.
    pub account: String,
    /// The request.
    pub request: Request<I>,
}

impl<I> Step<I> {
    /// `request` from `account`.
    pub fn new(account: impl Into<String>, request: impl Into<Request<I>>) -> Step<I> {
        Step {
            account: account.into(),
            request: request.into(),
        }
    }

    /// The same step with every image renamed by `rename`.
    pub fn map_images<J>(self, rename: impl FnMut(I) -> J) -> Step<J> {
        Step {
            account: self.account,
            request: self.request.map_images(rename),
        }
    }
}

impl Step {
    /// Whether every image the step names by [`ImageRef::Issued`] was
    /// issued among the first `issued` images.
    pub fn names_only_issued(&self, issued: usize) -> bool {
        let mut known = true;
        let _ = self.request.clone().map_images(|image| {
            known &= !matches!(image, ImageRef::Issued(n) if n >= issued);
        });
        known
    }
}

/// What a system answered to a [`Step`], with the fields that the
/// reference semantics fix.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Reply<I = ImageRef> {
    /// CopyImage or CreateImage succeeded with this image.
    Image(I),
    /// CancelCopyImage succeeded, or another action that answers only its
    /// `RequestId`.
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
    /// DescribeImageSharePermission: `TotalCount` and the page's accounts
    /// (`AliyunId`), in order.
    Shares {
        /// `TotalCount`.
        total: usize,
        /// The accounts of the page.
        accounts: Vec<String>,
    },
    /// ListTagResources: the page's `(ResourceId, TagKey, TagValue)`, and
    /// whether a `NextToken` came with it (tokens differ between systems).
    Tags {
        /// The page's tags.
        tags: Vec<(I, String, String)>,
        /// Whether there is a next page.
        more: bool,
    },
    /// DescribeRegions: the `RegionId`s, in order.
    Regions(Vec<String>),
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
            Reply::Shares { total, accounts } => Reply::Shares { total, accounts },
            Reply::Tags { tags, more } => Reply::Tags {
                tags: (tags.into_iter())
                    .map(|(image, key, value)| (rename(image), key, value))
                    .collect(),
                more,
            },
            Reply::Regions(regions) => Reply::Regions(regions),
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
    pub fn error(error: crate::task::EcsError) -> Reply<String> {
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

/// `#n` for the `n`-th image the run issued, the text itself otherwise.
impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageRef::Issued(n) => write!(f, "#{n}"),
            ImageRef::Literal(text) => f.write_str(text),
        }
    }
}

/// The caller, the action and its wire parameters, as a request carries
/// them: `alice: CancelCopyImage RegionId=cn-hangzhou ImageId=#1`.
///
/// ```
/// use ecs_image_copy::CancelCopyImage;
/// use ecs_image_copy::testing::{ImageRef, Step};
///
/// let mut cancel = CancelCopyImage::default();
/// cancel.region_id = Some("cn-hangzhou".into());
/// cancel.image_id = Some(ImageRef::Issued(1));
/// let step: Step = Step::new("alice", cancel);
/// assert_eq!(step.to_string(), "alice: CancelCopyImage RegionId=cn-hangzhou ImageId=#1");
/// ```
impl<I: fmt::Display + Clone> fmt::Display for Step<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.account, self.request.action())?;
        let named = self.request.clone().map_images(|image| image.to_string());
        let mut parameters = Parameters(Vec::new());
        named.write(&mut parameters);
        for (name, value) in parameters.0 {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// A request's parameters as name and value, in order.
struct Parameters(Vec<(String, String)>);

impl crate::service::request::Sink for Parameters {
    fn put(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }
}

/// The reply's fields as a line: `ImageId #2`, `Status Creating, Progress
/// 40%, Cancellable true`, `400 InvalidImageId.NotFound: The specified
/// ImageId does not exist.`, ...
impl<I: fmt::Display> fmt::Display for Reply<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Image(image) => write!(f, "ImageId {image}"),
            Reply::Done => f.write_str("success"),
            Reply::Images { total, images } => {
                write!(f, "TotalCount {total}:")?;
                list(f, images, |f, seen| {
                    write!(f, "{} {} {}", seen.image, seen.status, seen.progress)
                })
            }
            Reply::Task {
                status,
                progress,
                cancellable,
            } => write!(
                f,
                "Status {status}, Progress {progress}, Cancellable {cancellable}"
            ),
            Reply::Moved(moved) => write!(f, "Moved {moved}"),
            Reply::Shares { total, accounts } => {
                write!(f, "TotalCount {total}:")?;
                list(f, accounts, |f, account| f.write_str(account))
            }
            Reply::Tags { tags, more } => {
                f.write_str("tags:")?;
                list(f, tags, |f, (image, key, value)| {
                    write!(f, "{image} {key}={value}")
                })?;
                match more {
                    true => f.write_str(", and a NextToken"),
                    false => Ok(()),
                }
            }
            Reply::Regions(regions) => {
                f.write_str("regions:")?;
                list(f, regions, |f, region| f.write_str(region))
            }
            Reply::Error {
                status,
                code,
                message,
            } => write!(f, "{status} {code}: {message}"),
        }
    }
}

/// ` none`, or ` a, b, c`.
fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    mut item: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    if items.is_empty() {
        return f.write_str(" none");
    }
    for (n, each) in items.iter().enumerate() {
        f.write_str(if n == 0 { " " } else { ", " })?;
        item(f, each)?;
    }
    Ok(())
}
