//! The systems the harness drives: a trait, and the crate's own systems.

use serde_json::Value;

use super::step::{Reply, Seen, Step};
use crate::signature::percent_encode;
use crate::{
    CancelCopyImage, Config, CopyTask, DescribeImages, EcsError, Endpoint, EndpointConfig,
    HttpRequest, ImageId, Percent, Timestamp, World, WorldError,
};

/// A system that answers [`Step`]s: what a team implements to test its own
/// server, mock or control plane against the reference.
///
/// `send` gets the step with this system's own image IDs and reports what
/// the system answered, without judging it. For a system reached over
/// HTTP, [`request_query`] and [`parse_reply`] do the wire part.
pub trait CopyService {
    /// A fresh system with the regions and copy limits of `config` and no
    /// images.
    fn start(config: &Config) -> Self
    where
        Self: Sized;

    /// Sends one step and reports the answer.
    fn send(&mut self, step: &Step<String>) -> Reply<String>;
}

/// Creation times do not show in what the harness compares.
const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_780_800);

/// The model itself, as the reference runs it.
impl CopyService for World {
    fn start(config: &Config) -> World {
        World::new(config.clone())
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        match step {
            Step::CopyImage {
                account,
                source,
                params,
            } => {
                let mut params = params.clone();
                params.image_id = source.clone();
                let copied = params.with_request(|r| self.copy_image(account, r, NOW));
                copied.map_or_else(Reply::error, |id| Reply::Image(id.to_string()))
            }
            Step::CancelCopyImage {
                account,
                region,
                image,
            } => {
                let request = CancelCopyImage {
                    region_id: region.as_deref(),
                    image_id: image.as_deref(),
                };
                let cancelled = self.cancel_copy_image(account, &request);
                cancelled.map_or_else(Reply::error, |()| Reply::Done)
            }
            Step::DescribeImages {
                account,
                region,
                image,
                status,
                page_size,
            } => describe(self, account, region, image, status, *page_size),
            Step::CreateImage {
                account,
                region,
                name,
            } => match self.create_image(account, region, name, NOW) {
                Ok(id) => Reply::Image(id.to_string()),
                Err(error) => world_error(error),
            },
            Step::SetCopyProgress {
                account,
                region,
                image,
                progress,
            } => {
                let Some(progress) = Percent::new(*progress) else {
                    return Reply::error(EcsError::InvalidParameter);
                };
                self.as_owner(account, region, image, |w, id| {
                    w.set_copy_progress(region, id, progress)
                })
            }
            Step::CompleteCopy {
                account,
                region,
                image,
            } => self.as_owner(account, region, image, |w, id| w.complete_copy(region, id)),
            Step::FailCopy {
                account,
                region,
                image,
            } => self.as_owner(account, region, image, |w, id| w.fail_copy(region, id)),
            Step::SetCancellable {
                account,
                region,
                image,
                cancellable,
            } => self.as_owner(account, region, image, |w, id| {
                w.set_cancellable(region, id, *cancellable)
            }),
            Step::AdvanceCopies { step } => match Percent::new(*step) {
                Some(step) => Reply::Moved(self.advance_copies(step)),
                None => Reply::error(EcsError::InvalidParameter),
            },
        }
    }
}

impl World {
    /// A mock control operation on the caller's own copy.
    fn as_owner(
        &mut self,
        account: &str,
        region: &str,
        image: &str,
        operation: impl FnOnce(&mut World, ImageId) -> Result<CopyTask, WorldError>,
    ) -> Reply<String> {
        let found = self.caller_image(account, region, image);
        match found
            .map_err(WorldError::Refused)
            .and_then(|id| operation(self, id))
        {
            Ok(task) => Reply::Task {
                status: task.status().map_or_else(String::new, |s| s.to_string()),
                progress: task.progress().to_string(),
                cancellable: task.is_cancellable(),
            },
            Err(error) => world_error(error),
        }
    }
}

fn world_error(error: WorldError) -> Reply<String> {
    match error {
        WorldError::Refused(error) => Reply::error(error),
        // The endpoint answers a phase that cannot take the step thus.
        WorldError::Transition(_) => Reply::error(EcsError::CopyPhaseMismatch),
    }
}

fn describe(
    world: &World,
    account: &str,
    region: &Option<String>,
    image: &Option<String>,
    status: &Option<String>,
    page_size: Option<u32>,
) -> Reply<String> {
    let request = DescribeImages {
        region_id: region.as_deref(),
        image_id: image.as_deref(),
        status: status.as_deref(),
        page_size,
        ..DescribeImages::default()
    };
    match world.describe_images(account, &request) {
        Ok(page) => Reply::Images {
            total: page.total_count,
            images: page
                .images
                .iter()
                .map(|view| Seen {
                    image: view.id().to_string(),
                    status: view.status().to_string(),
                    progress: view.progress().to_string(),
                })
                .collect(),
        },
        Err(error) => Reply::error(error),
    }
}

/// The protocol layer in-process: each step as an HTTP request.
impl CopyService for Endpoint {
    fn start(config: &Config) -> Endpoint {
        let config_of_endpoint = EndpointConfig::default().with_mock_actions(true);
        Endpoint::new(World::new(config.clone()), config_of_endpoint)
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        let query = request_query(step);
        let request = HttpRequest {
            method: "GET",
            path: "/",
            query: query.as_bytes(),
            headers: &[],
            body: b"",
        };
        let response = self.handle(&request, NOW);
        parse_reply(step, response.status, &response.body)
    }
}

/// The query string of `step` as the mock server takes it: the action and
/// its parameters, `Version`, `Format=JSON`, and the account as
/// `AccessKeyId` (which an endpoint without authentication acts as).
///
/// ```
/// use ecs_image_copy::testing::{Step, request_query};
///
/// let step: Step<String> = Step::AdvanceCopies { step: 10 };
/// assert_eq!(request_query(&step),
///            "Version=2014-05-26&Format=JSON&Action=MockAdvanceCopies&Step=10");
/// ```
pub fn request_query(step: &Step<String>) -> String {
    let mut query = Query::default();
    query.add("Version", Some("2014-05-26"));
    query.add("Format", Some("JSON"));
    query.add("AccessKeyId", step.account());
    match step {
        Step::CopyImage { source, params, .. } => {
            query.action("CopyImage");
            query.add("RegionId", params.region_id.as_deref());
            query.add("ImageId", source.as_deref());
            query.add(
                "DestinationRegionId",
                params.destination_region_id.as_deref(),
            );
            query.add(
                "DestinationImageName",
                params.destination_image_name.as_deref(),
            );
            query.add(
                "DestinationDescription",
                params.destination_description.as_deref(),
            );
            query.add("Encrypted", params.encrypted.then_some("true"));
            query.add("KMSKeyId", params.kms_key_id.as_deref());
            query.add("ClientToken", params.client_token.as_deref());
            query.add("DryRun", params.dry_run.then_some("true"));
            query.add("ResourceGroupId", params.resource_group_id.as_deref());
            for (n, (key, value)) in params.tags.iter().enumerate() {
                query.add(&format!("Tag.{}.Key", n + 1), Some(key));
                query.add(&format!("Tag.{}.Value", n + 1), Some(value));
            }
        }
        Step::CancelCopyImage { region, image, .. } => {
            query.action("CancelCopyImage");
            query.add("RegionId", region.as_deref());
            query.add("ImageId", image.as_deref());
        }
        Step::DescribeImages {
            region,
            image,
            status,
            page_size,
            ..
        } => {
            query.action("DescribeImages");
            query.add("RegionId", region.as_deref());
            query.add("ImageId", image.as_deref());
            query.add("Status", status.as_deref());
            query.add(
                "PageSize",
                page_size.map(|size| size.to_string()).as_deref(),
            );
        }
        Step::CreateImage { region, name, .. } => {
            query.action("MockCreateImage");
            query.add("RegionId", Some(region));
            query.add("ImageName", Some(name));
        }
        Step::SetCopyProgress {
            region,
            image,
            progress,
            ..
        } => {
            query.mock("MockSetCopyProgress", region, image);
            query.add("Progress", Some(&progress.to_string()));
        }
        Step::CompleteCopy { region, image, .. } => query.mock("MockCompleteCopy", region, image),
        Step::FailCopy { region, image, .. } => query.mock("MockFailCopy", region, image),
        Step::SetCancellable {
            region,
            image,
            cancellable,
            ..
        } => {
            query.mock("MockSetCancellable", region, image);
            query.add(
                "Cancellable",
                Some(if *cancellable { "true" } else { "false" }),
            );
        }
        Step::AdvanceCopies { step } => {
            query.action("MockAdvanceCopies");
            query.add("Step", Some(&step.to_string()));
        }
    }
    query.0
}

#[derive(Default)]
struct Query(String);

impl Query {
    fn add(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            if !self.0.is_empty() {
                self.0.push('&');
            }
            self.0.push_str(&percent_encode(name));
            self.0.push('=');
            self.0.push_str(&percent_encode(value));
        }
    }

    fn action(&mut self, action: &str) {
        self.add("Action", Some(action));
    }

    fn mock(&mut self, action: &str, region: &str, image: &str) {
        self.action(action);
        self.add("RegionId", Some(region));
        self.add("ImageId", Some(image));
    }
}

/// What the JSON answer to `step`, with HTTP `status`, says.
pub fn parse_reply(step: &Step<String>, status: u16, body: &[u8]) -> Reply<String> {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return Reply::Error {
            status,
            code: "<not JSON>".to_owned(),
            message: String::from_utf8_lossy(body).into_owned(),
        };
    };
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    if status != 200 {
        return Reply::Error {
            status,
            code: text(&body["Code"]),
            message: text(&body["Message"]),
        };
    }
    let count = |value: &Value| value.as_u64().unwrap_or_default() as usize;
    match step {
        Step::CopyImage { .. } | Step::CreateImage { .. } => Reply::Image(text(&body["ImageId"])),
        Step::CancelCopyImage { .. } => Reply::Done,
        Step::DescribeImages { .. } => {
            let listed = body["Images"]["Image"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Reply::Images {
                total: count(&body["TotalCount"]),
                images: listed
                    .iter()
                    .map(|image| Seen {
                        image: text(&image["ImageId"]),
                        status: text(&image["Status"]),
                        progress: text(&image["Progress"]),
                    })
                    .collect(),
            }
        }
        Step::AdvanceCopies { .. } => Reply::Moved(count(&body["Moved"])),
        _ => Reply::Task {
            status: text(&body["Status"]),
            progress: text(&body["Progress"]),
            cancellable: body["Cancellable"].as_bool().unwrap_or_default(),
        },
    }
}
