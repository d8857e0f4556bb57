//! The endpoint: an HTTP request's parts in, a status and a body out.

use std::borrow::Cow;
use std::mem;

use super::auth::{AccessKey, Authenticator, Caller, Credentials, Nonces, header, header_text};
use super::body::{Body, Format, fields, list_name};
use super::failure::Failure;
use super::params::{MAX_REQUEST_BYTES, Parameters};
use super::request_id::{RequestId, RequestIds};
use crate::service::{
    Action, Answer, Command, ImageId, ImagePage, ImageView, Memory, RegionView, Request, SharePage,
    Store, TagPage, Timestamp, World,
};
use crate::task::{CopyTask, EcsError, ErrorCode};

/// The API version this endpoint speaks.
pub const API_VERSION: &str = "2014-05-26";

/// The parts of an HTTP request the endpoint reads, borrowed from the
/// server's own request type.
#[derive(Clone, Copy, Debug)]
pub struct HttpRequest<'a> {
    /// `GET` or `POST`; anything else is refused.
    pub method: &'a str,
    /// The path as sent, percent-encoded (signature V3 signs it).
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: &'a [u8],
    /// Every header, names in any case.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The raw body; parameters are read from it for a form POST.
    pub body: &'a [u8],
}

/// The endpoint's answer.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header: [`JSON_CONTENT_TYPE`](super::JSON_CONTENT_TYPE)
    /// or [`XML_CONTENT_TYPE`](super::XML_CONTENT_TYPE).
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// The command the request applied to the world, if it changed or may
    /// have changed it: a server that persists the world journals it before
    /// it sends the answer.
    pub applied: Option<Command>,
    /// What the request was, for the server's log.
    pub summary: Summary,
}

/// Who asked what, and the answer's error code: one log line's worth.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[non_exhaustive]
pub struct Summary {
    /// The action, once known; `None` for a request without one, or with
    /// one this endpoint does not serve.
    pub action: Option<Action>,
    /// The account, once known.
    pub account: Option<String>,
    /// The error's code, for a failed request.
    pub code: Option<ErrorCode>,
    /// The request's `RequestId`.
    pub request_id: RequestId,
}

/// How an [`Endpoint`] authenticates and what it serves.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    keys: Vec<(String, AccessKey)>,
    mock_actions: bool,
    request_id_seed: u64,
    host_id: String,
}

impl Default for EndpointConfig {
    /// Authentication off, no mock actions, `HostId` `ecs.aliyuncs.com`.
    fn default() -> EndpointConfig {
        EndpointConfig {
            keys: Vec::new(),
            mock_actions: false,
            request_id_seed: 0,
            host_id: "ecs.aliyuncs.com".to_owned(),
        }
    }
}

impl EndpointConfig {
    /// Turns authentication on (if it was off) and accepts the access key
    /// `id` with `secret`, acting as `account`.
    pub fn with_key(mut self, id: &str, secret: &str, account: &str) -> EndpointConfig {
        let key = AccessKey {
            secret: secret.to_owned(),
            account: account.to_owned(),
        };
        self.keys.retain(|(known, _)| known != id);
        self.keys.push((id.to_owned(), key));
        self
    }

    /// Serves the mock control actions (`MockCreateImage`, ...) too.
    pub fn with_mock_actions(mut self, enabled: bool) -> EndpointConfig {
        self.mock_actions = enabled;
        self
    }

    /// Request IDs are a function of this seed and a counter.
    pub fn with_request_id_seed(mut self, seed: u64) -> EndpointConfig {
        self.request_id_seed = seed;
        self
    }

    /// The `HostId` of error bodies when the request has no `Host` header.
    pub fn with_host_id(mut self, host_id: &str) -> EndpointConfig {
        self.host_id = host_id.to_owned();
        self
    }
}

/// An ECS endpoint for image copies, sans I/O: it parses requests, checks
/// signatures, runs the actions on its [`World`] and writes the answers,
/// and leaves sockets, clocks and files to its caller.
///
/// A request is answered in two steps, which [`handle`](Endpoint::handle)
/// takes one after the other: its [`RequestReader`] reads it (parameters,
/// format, action, signature, the typed request), which needs no world and
/// no `&mut`, then [`answer`](Endpoint::answer) spends its nonce and
/// applies it to the world. A server that shares the endpoint behind a
/// lock reads with a clone of the [reader](Endpoint::reader) before it
/// takes the lock, so that a large request holds up nobody else.
///
/// ```
/// use ecs_image_copy::rpc::{Endpoint, EndpointConfig, HttpRequest};
/// use ecs_image_copy::{Timestamp, World};
///
/// let mut endpoint = Endpoint::new(World::default(), EndpointConfig::default());
/// let request = HttpRequest {
///     method: "GET",
///     path: "/",
///     query: b"Action=CancelCopyImage&Version=2014-05-26&Format=JSON&RegionId=cn-hangzhou",
///     headers: &[],
///     body: b"",
/// };
/// let now = Timestamp::from_unix_seconds(1_795_780_800);
/// let response = endpoint.handle(&request, now);
/// assert_eq!(response.status, 400);
/// let body = String::from_utf8(response.body).unwrap();
/// assert!(body.contains(r#""Code":"MissingParameter""#));
///
/// // The same in two steps: the reading needs only a clone of the reader.
/// let reader = endpoint.reader().clone();
/// let read = reader.read(&request, now);
/// let response = endpoint.answer(read, now);
/// assert_eq!(response.status, 400);
/// ```
#[derive(Clone, Debug)]
pub struct Endpoint<S = Memory> {
    world: World<S>,
    reader: RequestReader,
    nonces: Nonces,
    responder: Responder,
    request_ids: RequestIds,
}

/// What an [`Endpoint`] does once a request is read, without the world,
/// the nonces and the request IDs it keeps: spends the nonce, runs the
/// action on a world, and writes the answer. For a server whose world
/// lives in a database, one [`World`] per call over one transaction (see
/// [`Store`]), where the nonces live too.
#[derive(Clone, Debug)]
pub struct Responder {
    host_id: String,
}

/// What an [`Endpoint`] reads of a request without its world: everything
/// between the bytes and the typed request, signatures included, but the
/// nonce, which the endpoint's memory of nonces decides. It never changes,
/// so clones of it read requests on any thread, without a lock.
#[derive(Clone, Debug)]
pub struct RequestReader {
    auth: Authenticator,
    mock_actions: bool,
}

/// A request as a [`RequestReader`] read it, for [`Endpoint::answer`]:
/// the typed request, or why it is refused.
#[derive(Debug)]
pub struct ReadRequest<'r> {
    format: Format,
    /// The action, once known, for the log.
    action: Option<Action>,
    /// The headers, whose `Host` an error body names: looked up only then.
    headers: &'r [(&'r str, &'r [u8])],
    outcome: Result<Read, Failure>,
}

/// A request whose signature and timestamp are good.
#[derive(Debug)]
struct Read {
    caller: Caller,
    /// The typed request, or what refuses it once the caller is known.
    request: Result<(Action, Request), Failure>,
}

/// A request the world answered: what the body is written from. Its
/// caller is the summary's account. The request is borrowed: it is moved
/// only into the command of a change, not on every answer.
struct Served<'w, 'r> {
    action: Action,
    request: &'r Request,
    answer: Answer<'w>,
}

impl ReadRequest<'_> {
    /// Whether answering the request may change the world: a request read
    /// whole, of an action that is not read-only.
    pub fn may_change(&self) -> bool {
        matches!(&self.outcome, Ok(Read { request: Ok((action, _)), .. }) if !action.is_read_only())
    }

    /// Whether the reader refused the request before its nonce (a bad
    /// signature, a missing `Action`, ...): its answer needs no world, so a
    /// server can give it even when its store is out of reach.
    pub fn is_refused(&self) -> bool {
        self.outcome.is_err()
    }

    /// The nonce a signed request spends, as `key\nnonce`, once its
    /// signature and timestamp are good: for a server that keeps nonces
    /// itself (see [`Responder::answer`]).
    pub fn nonce(&self) -> Option<&str> {
        let read = self.outcome.as_ref().ok()?;
        read.caller.nonce.as_deref()
    }

    /// Refuses a request that [may change](ReadRequest::may_change) the
    /// world with `error` when it is answered, after the reader's own
    /// checks and the nonce: for a server that knows, before it answers,
    /// that it cannot keep a change. Changes nothing for any other request.
    pub fn refuse_change(&mut self, error: EcsError) {
        if self.may_change()
            && let Ok(read) = &mut self.outcome
        {
            read.request = Err(error.into());
        }
    }
}

impl RequestReader {
    /// Reads `request` at time `now` (which the signature's timestamp is
    /// checked against): every check before the nonce, in the documented
    /// order: method, size, parameters, format, action and version,
    /// signature and timestamp; then the action's own parameters. Linear
    /// in the request's size.
    pub fn read<'r>(&self, request: &HttpRequest<'r>, now: Timestamp) -> ReadRequest<'r> {
        let mut format = format_from_accept(request.headers);
        let mut action = None;
        let outcome = self.checked(request, now, &mut format, &mut action);
        ReadRequest {
            format,
            action,
            headers: request.headers,
            outcome,
        }
    }

    fn checked(
        &self,
        request: &HttpRequest<'_>,
        now: Timestamp,
        format: &mut Format,
        seen: &mut Option<Action>,
    ) -> Result<Read, Failure> {
        if request.method != "GET" && request.method != "POST" {
            return Err(EcsError::UnsupportedHttpMethod.into());
        }
        if request.body.len() > MAX_REQUEST_BYTES {
            return Err(EcsError::RequestTooLarge.into());
        }
        let headers = request.headers;
        if !headers.iter().all(|(_, value)| is_text(value)) {
            return Err(EcsError::InvalidParameter.into());
        }
        let params = Parameters::parse(request.query, form_body(request))?;
        if let Some(named) = params.get("Format") {
            *format = parse_format(named)?;
        }
        let action = one_of(params.get("Action"), header_text(headers, "x-acs-action"))?
            .ok_or(EcsError::MissingAction)?;
        let action = action.parse::<Action>().ok();
        let action = action.filter(|action| self.mock_actions || !action.is_mock());
        *seen = action;
        let version = one_of(params.get("Version"), header_text(headers, "x-acs-version"))?;
        if version.ok_or(EcsError::MissingVersion)? != API_VERSION {
            return Err(EcsError::InvalidVersion.into());
        }
        let credentials = Credentials {
            method: request.method,
            path: request.path,
            headers,
            body: request.body,
        };
        let caller = self.auth.caller(&credentials, &params, now)?;
        // Known only once the nonce is spent: an endpoint tells nobody
        // which actions it serves before it knows who asks.
        let request = action
            .ok_or_else(|| EcsError::ActionNotFound.into())
            .and_then(|action| Ok((action, Request::read(action, &params)?)));
        Ok(Read { caller, request })
    }
}

impl<S: Store> Endpoint<S> {
    /// An endpoint serving `world`. With access keys, the keys' accounts
    /// are the service's accounts: an image can be shared with them only.
    pub fn new(mut world: World<S>, config: EndpointConfig) -> Endpoint<S> {
        if !config.keys.is_empty() {
            world.close_accounts(config.keys.iter().map(|(_, key)| key.account.clone()));
        }
        let reader = RequestReader {
            auth: Authenticator::new(config.keys.into_iter().collect()),
            mock_actions: config.mock_actions,
        };
        Endpoint {
            world,
            reader,
            nonces: Nonces::default(),
            responder: Responder {
                host_id: config.host_id,
            },
            request_ids: RequestIds {
                seed: config.request_id_seed,
                next: 0,
            },
        }
    }

    /// The world the endpoint serves.
    pub fn world(&self) -> &World<S> {
        &self.world
    }

    /// The world, to change it directly, e.g. to replay a journal.
    pub fn world_mut(&mut self) -> &mut World<S> {
        &mut self.world
    }

    /// What answers read requests for this endpoint: clone it to answer
    /// them against other worlds.
    pub fn responder(&self) -> &Responder {
        &self.responder
    }

    /// What reads requests for this endpoint: clone it to read them where
    /// the endpoint is not at hand.
    pub fn reader(&self) -> &RequestReader {
        &self.reader
    }

    /// Answers one request at time `now`. Never panics: every malformed
    /// request gets a 4xx, and a request that fails changes nothing in the
    /// world (a signed request spends its nonce).
    pub fn handle(&mut self, request: &HttpRequest<'_>, now: Timestamp) -> HttpResponse {
        let read = self.reader.read(request, now);
        self.answer(read, now)
    }

    /// Answers a request its [reader](Endpoint::reader) read, at time
    /// `now`: spends its nonce, then applies it to the world, as
    /// [`handle`](Endpoint::handle) does. Costs the action's own work and
    /// the answer's size, whatever the request's.
    pub fn answer(&mut self, mut read: ReadRequest<'_>, now: Timestamp) -> HttpResponse {
        let request_id = self.request_ids.next_id();
        let nonces = &mut self.nonces;
        let spend = |nonce: &str| nonces.spend(nonce, now);
        let world = &mut self.world;
        (self.responder).answer_in_place(world, &mut read, now, request_id, spend)
    }

    /// Turns `response`, this endpoint's answer to `request`, into the
    /// refusal `error`, as [`Responder::fail`] does.
    pub fn fail(&self, request: &HttpRequest<'_>, response: &mut HttpResponse, error: EcsError) {
        self.responder.fail(request, response, error);
    }
}

impl Responder {
    /// Answers `read` at time `now` against `world`, as
    /// [`Endpoint::answer`] does, with `request_id` as its `RequestId`
    /// (see [`request_id`](super::request_id())) and `spend_nonce` deciding
    /// whether a signed request's nonce is new: it must remember the nonce,
    /// as `key\nnonce`, and answer `false` if it was spent before.
    pub fn answer<S: Store>(
        &self,
        world: &mut World<S>,
        mut read: ReadRequest<'_>,
        now: Timestamp,
        request_id: RequestId,
        spend_nonce: impl FnOnce(&str) -> bool,
    ) -> HttpResponse {
        self.answer_in_place(world, &mut read, now, request_id, spend_nonce)
    }

    /// [`answer`](Responder::answer), `read` left where it is: a read
    /// request is a few hundred bytes, and each move of it a copy.
    fn answer_in_place<S: Store>(
        &self,
        world: &mut World<S>,
        read: &mut ReadRequest<'_>,
        now: Timestamp,
        request_id: RequestId,
        spend_nonce: impl FnOnce(&str) -> bool,
    ) -> HttpResponse {
        let mut summary = Summary {
            request_id,
            action: read.action,
            account: None,
            code: None,
        };
        let (status, body, changed) =
            match serve(world, &mut read.outcome, now, &mut summary, spend_nonce) {
                Ok(served) => {
                    let mut body = Body::new(read.format, served.action.response());
                    fields!(&mut body, { RequestId: ascii(summary.request_id.as_bytes()) });
                    write_answer(&mut body, served.request, served.answer);
                    (200, body.finish(), !served.action.is_read_only())
                }
                Err(failure) => {
                    summary.code = Some(failure.error.code());
                    let host = host(read.headers);
                    let body = self.error_body(read.format, host, summary.request_id, &failure);
                    (failure.error.status(), body, false)
                }
            };
        let changed = changed.then(|| take_request(&mut read.outcome)).flatten();
        let caller = || summary.account.clone().unwrap_or_default();
        let applied = changed.map(|request| Command::new(caller(), request, now));
        HttpResponse {
            status,
            content_type: read.format.content_type(),
            body,
            applied,
            summary,
        }
    }

    /// Turns `response`, this endpoint's answer to `request`, into the
    /// refusal `error`, in the same format and with the same `RequestId`:
    /// for a server that could not keep what the endpoint answered, such as
    /// one whose journal failed, so that nothing unsaved is acknowledged.
    pub fn fail(&self, request: &HttpRequest<'_>, response: &mut HttpResponse, error: EcsError) {
        let format = match response.content_type == Format::Json.content_type() {
            true => Format::Json,
            false => Format::Xml,
        };
        let failure = Failure::from(error);
        let request_id = response.summary.request_id;
        response.body = self.error_body(format, host(request.headers), request_id, &failure);
        response.status = error.status();
        response.applied = None;
        response.summary.code = Some(error.code());
    }

    fn error_body(
        &self,
        format: Format,
        host: Option<&str>,
        request_id: RequestId,
        failure: &Failure,
    ) -> Vec<u8> {
        let code = failure.error.code();
        let mut body = Body::new(format, "Error");
        fields!(&mut body, {
            RequestId: ascii(request_id.as_bytes()),
            HostId: text(host.unwrap_or(&self.host_id)),
            Code: display(code),
            Message: text(&failure.message()),
        });
        match &failure.recommend {
            Some(recommend) => fields!(&mut body, { Recommend: text(recommend) }),
            None => fields!(&mut body, {
                Recommend: display(format_args!(
                    "https://api.aliyun.com/troubleshoot?q={code}&product=Ecs&requestId={request_id}"
                )),
            }),
        }
        body.finish()
    }
}

/// What the reader left: the nonce, then the action itself, through the
/// world's one decision path.
fn serve<'w, 'r, S: Store>(
    world: &'w mut World<S>,
    outcome: &'r mut Result<Read, Failure>,
    now: Timestamp,
    summary: &mut Summary,
    spend_nonce: impl FnOnce(&str) -> bool,
) -> Result<Served<'w, 'r>, Cow<'r, Failure>> {
    let read = outcome
        .as_mut()
        .map_err(|failure| Cow::Borrowed(&*failure))?;
    if !read.caller.nonce.as_deref().is_none_or(spend_nonce) {
        return Err(Cow::Owned(EcsError::SignatureNonceUsed.into()));
    }
    let account = summary.account.insert(mem::take(&mut read.caller.account));
    let (action, request) = read.request.as_ref().map_err(Cow::Borrowed)?;
    let answer = world.handle(account, request, now);
    let answer = answer.map_err(|error| Cow::Owned(error.into()))?;
    Ok(Served {
        action: *action,
        request,
        answer,
    })
}

/// The request of a served change, moved out for its command; the
/// outcome is not looked at again.
fn take_request(outcome: &mut Result<Read, Failure>) -> Option<Request> {
    let taken = mem::replace(outcome, Err(EcsError::InternalError.into()));
    let (_, request) = taken.ok()?.request.ok()?;
    Some(request)
}

/// The fields after `RequestId` of a request's answer.
fn write_answer(body: &mut Body, request: &Request, answer: Answer<'_>) {
    match answer {
        Answer::Image(id) => fields!(body, { ImageId: ascii(id.ascii()) }),
        Answer::Cancelled | Answer::Done => {}
        Answer::Images(page) => write_images(body, request, &page),
        Answer::Copy { image, task } => write_task(body, image, task),
        Answer::Advanced(moved) => fields!(body, { Moved: number(moved as u64) }),
        Answer::Shares(page) => write_shares(body, request, &page),
        Answer::Tags(page) => write_tags(body, &page),
        Answer::Regions(regions) => write_regions(body, &regions),
    }
}

fn write_task(body: &mut Body, image: ImageId, task: CopyTask) {
    fields!(body, {
        ImageId: ascii(image.ascii()),
        Status: ascii(task.status().map_or("", <&str>::from)),
        Progress: ascii(task.progress().ascii(&mut [0; 4])),
        Cancellable: boolean(task.is_cancellable()),
    });
}

fn write_images(body: &mut Body, request: &Request, page: &ImagePage<'_>) {
    let region = match request {
        Request::DescribeImages(request) => request.region_id.as_deref(),
        _ => None,
    };
    fields!(body, {
        RegionId: text(region.unwrap_or_default()),
        TotalCount: number(page.total_count as u64),
        PageNumber: number(u64::from(page.page_number)),
        PageSize: number(u64::from(page.page_size)),
    });
    body.list(list_name!("Images", "Image"), &page.images, write_image);
}

fn write_image(body: &mut Body, view: &ImageView<'_>) {
    fields!(body, {
        ImageId: ascii(view.id().ascii()),
        ImageName: text(view.name()),
        Description: text(view.description()),
        Status: ascii(<&str>::from(view.status())),
        Progress: ascii(view.progress().ascii(&mut [0; 4])),
        IsCopied: boolean(view.is_copied()),
        CreationTime: ascii(view.creation_time().ascii()),
        ImageOwnerAlias: ascii(view.owner_alias()),
        Size: number(u64::from(view.size_gib())),
    });
    body.list(
        list_name!("Tags", "Tag"),
        view.tags(),
        |body, (key, value)| {
            fields!(body, { TagKey: text(key), TagValue: text(value) });
        },
    );
    let system_disk = std::iter::once(view);
    let disks = list_name!("DiskDeviceMappings", "DiskDeviceMapping");
    body.list(disks, system_disk, write_disk);
}

/// The system disk's mapping, as the Go SDK's model reads it: `Size` is
/// a string there.
fn write_disk(body: &mut Body, view: &ImageView<'_>) {
    fields!(body, {
        SnapshotId: ascii(view.snapshot().ascii()),
        Size: ascii(itoa::Buffer::new().format(view.size_gib())),
        Device: ascii("/dev/xvda"),
        Type: ascii("system"),
        Format: ascii(""),
        Progress: ascii(view.progress().ascii(&mut [0; 4])),
    });
}

fn write_shares(body: &mut Body, request: &Request, page: &SharePage<'_>) {
    let region = match request {
        Request::DescribeImageSharePermission(request) => request.region_id.as_deref(),
        _ => None,
    };
    fields!(body, {
        RegionId: text(region.unwrap_or_default()),
        ImageId: ascii(page.image.ascii()),
        TotalCount: number(page.total_count as u64),
        PageNumber: number(u64::from(page.page_number)),
        PageSize: number(u64::from(page.page_size)),
    });
    let groups = list_name!("ShareGroups", "ShareGroup");
    body.list(groups, std::iter::empty::<()>(), |_, ()| {});
    let accounts = list_name!("Accounts", "Account");
    body.list(accounts, &page.accounts, |body, &(account, since)| {
        fields!(body, { AliyunId: text(account), SharedTime: ascii(since.ascii()) });
    });
}

fn write_tags(body: &mut Body, page: &TagPage<'_>) {
    if let Some(token) = &page.next_token {
        fields!(body, { NextToken: text(token) });
    }
    let tags = list_name!("TagResources", "TagResource");
    body.list(tags, &page.tags, |body, &(id, key, value)| {
        fields!(body, {
            ResourceId: ascii(id.ascii()),
            ResourceType: ascii("image"),
            TagKey: text(key),
            TagValue: text(value),
        });
    });
}

fn write_regions(body: &mut Body, regions: &[RegionView<'_>]) {
    body.list(list_name!("Regions", "Region"), regions, |body, region| {
        fields!(body, {
            RegionId: text(region.id),
            LocalName: text(region.local_name),
            RegionEndpoint: text(&region.endpoint),
            Status: text(region.status),
        });
    });
}

fn parse_format(value: &str) -> Result<Format, EcsError> {
    if value.eq_ignore_ascii_case("JSON") {
        Ok(Format::Json)
    } else if value.eq_ignore_ascii_case("XML") {
        Ok(Format::Xml)
    } else {
        Err(EcsError::InvalidParameter)
    }
}

/// XML, the API's default, unless the client asks for JSON in `Accept`,
/// as the newer SDKs do.
fn format_from_accept(headers: &[(&str, &[u8])]) -> Format {
    let accept = header(headers, "accept").and_then(|v| std::str::from_utf8(v).ok());
    match accept.is_some_and(|accept| accept.contains("application/json")) {
        true => Format::Json,
        false => Format::Xml,
    }
}

/// The value given as a parameter or as a header, the parameter's spelling
/// first; both, if they differ in more than case, make the request
/// ambiguous. (The Node `@alicloud/pop-core` client sends `describeImages`
/// in `x-acs-action` beside `Action=DescribeImages`.)
fn one_of<'v>(
    param: Option<&'v str>,
    header: Option<&'v str>,
) -> Result<Option<&'v str>, EcsError> {
    match (param, header) {
        (Some(p), Some(h)) if !p.eq_ignore_ascii_case(h) => Err(EcsError::InvalidParameter),
        (p, h) => Ok(p.or(h).filter(|v| !v.is_empty())),
    }
}

/// The `Host` header, if it is text.
fn host<'h>(headers: &[(&str, &'h [u8])]) -> Option<&'h str> {
    header(headers, "host").and_then(|host| std::str::from_utf8(host).ok())
}

/// Whether a header's value is text (UTF-8): one that is not is refused.
/// Most are ASCII, which a look a word at a time tells.
fn is_text(value: &[u8]) -> bool {
    value.is_ascii() || std::str::from_utf8(value).is_ok()
}

/// The body, when it holds form parameters: a POST whose content type is
/// a form, or not given.
fn form_body<'r>(request: &HttpRequest<'r>) -> Option<&'r [u8]> {
    if request.method != "POST" || request.body.is_empty() {
        return None;
    }
    let content_type = header_text(request.headers, "content-type").unwrap_or("");
    let form =
        content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded");
    form.then_some(request.body)
}
