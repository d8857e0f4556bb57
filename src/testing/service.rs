//! The systems the harness drives: a trait, and the crate's own systems.

use serde_json::Value;

use super::step::{Reply, Seen, Step};
use crate::rpc::signature::percent_encode;
use crate::rpc::{API_VERSION, Endpoint, EndpointConfig, HttpRequest};
use crate::service::request::Sink;
use crate::service::{Action, Answer, Config, Store, Timestamp, World, WorldError};

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

/// The model itself, as the reference runs it: each step through
/// [`World::handle`], the decision path the endpoint takes too, so that the
/// two cannot drift.
impl CopyService for World {
    fn start(config: &Config) -> World {
        World::new(config.clone())
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        send_to(self, step)
    }
}

/// What `world` answers `step`, through [`World::handle`] as the endpoint
/// does: for a [`CopyService`] over a world of another [`Store`], such as
/// one transaction of a database, which checks that store against the
/// reference with the same harness as the default one.
pub fn send_to<S: Store>(world: &mut World<S>, step: &Step<String>) -> Reply<String> {
    reply(world.handle(&step.account, &step.request, NOW))
}

/// What the endpoint answers for a handled request.
fn reply(answer: Result<Answer<'_>, WorldError>) -> Reply<String> {
    match answer {
        Ok(Answer::Image(id)) => Reply::Image(id.to_string()),
        Ok(Answer::Cancelled) => Reply::Done,
        Ok(Answer::Images(page)) => Reply::Images {
            total: page.total_count,
            images: (page.images.iter())
                .map(|view| Seen {
                    image: view.id().to_string(),
                    status: view.status().to_string(),
                    progress: view.progress().to_string(),
                })
                .collect(),
        },
        Ok(Answer::Copy { task, .. }) => Reply::Task {
            status: task.status().map_or_else(String::new, |s| s.to_string()),
            progress: task.progress().to_string(),
            cancellable: task.is_cancellable(),
        },
        Ok(Answer::Advanced(moved)) => Reply::Moved(moved),
        Ok(Answer::Done) => Reply::Done,
        Ok(Answer::Shares(page)) => Reply::Shares {
            total: page.total_count,
            accounts: page.accounts.iter().map(|(a, _)| (*a).to_owned()).collect(),
        },
        Ok(Answer::Tags(page)) => Reply::Tags {
            tags: (page.tags.iter())
                .map(|(id, key, value)| (id.to_string(), (*key).to_owned(), (*value).to_owned()))
                .collect(),
            more: page.next_token.is_some(),
        },
        Ok(Answer::Regions(regions)) => {
            Reply::Regions(regions.iter().map(|r| r.id.to_owned()).collect())
        }
        Err(error) => Reply::error(error.ecs_error()),
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

/// The query string of `step` as the mock server takes it: `Version`,
/// `Format=JSON`, the account as `AccessKeyId` (which an endpoint without
/// authentication acts as), the action and its parameters.
///
/// ```
/// use ecs_image_copy::mock::MockAdvanceCopies;
/// use ecs_image_copy::testing::{Step, request_query};
///
/// let mut tick = MockAdvanceCopies::default();
/// tick.step = Some("10".into());
/// let step: Step<String> = Step::new("alice", tick);
/// assert_eq!(request_query(&step),
///            "Version=2014-05-26&Format=JSON&AccessKeyId=alice&Action=MockAdvanceCopies&Step=10");
/// ```
pub fn request_query(step: &Step<String>) -> String {
    let mut query = Query::default();
    query.put("Version", API_VERSION);
    query.put("Format", "JSON");
    query.put("AccessKeyId", &step.account);
    query.put("Action", step.request.action().into());
    step.request.write(&mut query);
    query.0
}

/// A query string, percent-encoded as the signatures encode it.
#[derive(Default)]
struct Query(String);

impl Sink for Query {
    fn put(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(&percent_encode(name));
        self.0.push('=');
        self.0.push_str(&percent_encode(value));
    }
}

/// The entries of a JSON list, none when it is absent.
fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list.as_array().into_iter().flatten()
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
    match step.request.action() {
        Action::CopyImage | Action::MockCreateImage => Reply::Image(text(&body["ImageId"])),
        Action::DescribeImages => {
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
        Action::MockAdvanceCopies => Reply::Moved(count(&body["Moved"])),
        Action::DescribeImageSharePermission => Reply::Shares {
            total: count(&body["TotalCount"]),
            accounts: items(&body["Accounts"]["Account"])
                .map(|account| text(&account["AliyunId"]))
                .collect(),
        },
        Action::ListTagResources => Reply::Tags {
            tags: items(&body["TagResources"]["TagResource"])
                .map(|tag| {
                    let field = |name| text(&tag[name]);
                    (field("ResourceId"), field("TagKey"), field("TagValue"))
                })
                .collect(),
            more: body["NextToken"]
                .as_str()
                .is_some_and(|token| !token.is_empty()),
        },
        Action::DescribeRegions => Reply::Regions(
            items(&body["Regions"]["Region"])
                .map(|region| text(&region["RegionId"]))
                .collect(),
        ),
        Action::CancelCopyImage
        | Action::DeleteImage
        | Action::DeleteSnapshot
        | Action::ModifyImageAttribute
        | Action::ModifyImageSharePermission
        | Action::TagResources
        | Action::UntagResources => Reply::Done,
        _ => Reply::Task {
            status: text(&body["Status"]),
            progress: text(&body["Progress"]),
            cancellable: body["Cancellable"].as_bool().unwrap_or_default(),
        },
    }
}
