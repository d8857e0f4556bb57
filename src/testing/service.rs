//! The systems the harness drives: a trait, and the crate's own systems.

use serde_json::Value;

use super::step::{Reply, Seen, Step};
use crate::signature::percent_encode;
use crate::{
    Applied, Command, Config, DescribeImages, EcsError, Endpoint, EndpointConfig, HttpRequest,
    Percent, Timestamp, World, WorldError,
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

/// The model itself, as the reference runs it: each step as the
/// [`Command`] the endpoint would apply, so that the two cannot drift.
impl CopyService for World {
    fn start(config: &Config) -> World {
        World::new(config.clone())
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        match command(self, step) {
            Ok(command) => reply(command.apply(self)),
            Err(answer) => answer,
        }
    }
}

/// The command a step applies, or the answer it gets without one: a read,
/// or a refusal by the checks the endpoint makes first (the mock control
/// actions act on the caller's own copies only).
fn command(world: &World, step: &Step<String>) -> Result<Command, Reply<String>> {
    let percent = |n: u8| Percent::new(n).ok_or(Reply::error(EcsError::InvalidParameter));
    let own = |account: &str, region: &str, image: &str| {
        let id = world
            .caller_image(account, region, image)
            .map_err(Reply::error)?;
        Ok::<_, Reply<String>>((region.to_owned(), id))
    };
    Ok(match step.clone() {
        Step::CopyImage {
            account,
            source,
            mut params,
        } => {
            params.image_id = source;
            Command::CopyImage {
                caller: account,
                request: params,
                now: NOW,
            }
        }
        Step::CancelCopyImage {
            account,
            region,
            image,
        } => Command::CancelCopyImage {
            caller: account,
            region_id: region,
            image_id: image,
        },
        Step::CreateImage {
            account,
            region,
            name,
        } => Command::CreateImage {
            owner: account,
            region,
            name,
            now: NOW,
        },
        Step::SetCopyProgress {
            account,
            region,
            image,
            progress,
        } => {
            let progress = percent(progress)?;
            let (region, image) = own(&account, &region, &image)?;
            Command::SetCopyProgress {
                region,
                image,
                progress,
            }
        }
        Step::CompleteCopy {
            account,
            region,
            image,
        } => {
            let (region, image) = own(&account, &region, &image)?;
            Command::CompleteCopy { region, image }
        }
        Step::FailCopy {
            account,
            region,
            image,
        } => {
            let (region, image) = own(&account, &region, &image)?;
            Command::FailCopy { region, image }
        }
        Step::SetCancellable {
            account,
            region,
            image,
            cancellable,
        } => {
            let (region, image) = own(&account, &region, &image)?;
            Command::SetCancellable {
                region,
                image,
                cancellable,
            }
        }
        Step::AdvanceCopies { step } => Command::AdvanceCopies {
            step: percent(step)?,
        },
        Step::DescribeImages {
            account,
            region,
            image,
            status,
            page_size,
        } => {
            return Err(describe(
                world, &account, &region, &image, &status, page_size,
            ));
        }
    })
}

/// What the endpoint answers for an applied command.
fn reply(applied: Result<Applied, WorldError>) -> Reply<String> {
    match applied {
        Ok(Applied::Image(id)) => Reply::Image(id.to_string()),
        Ok(Applied::Cancelled) => Reply::Done,
        Ok(Applied::Task(task)) => Reply::Task {
            status: task.status().map_or_else(String::new, |s| s.to_string()),
            progress: task.progress().to_string(),
            cancellable: task.is_cancellable(),
        },
        Ok(Applied::Advanced(moved)) => Reply::Moved(moved),
        Err(WorldError::Refused(error)) => Reply::error(error),
        // The endpoint answers a phase that cannot take the step thus.
        Err(WorldError::Transition(_)) => Reply::error(EcsError::CopyPhaseMismatch),
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
