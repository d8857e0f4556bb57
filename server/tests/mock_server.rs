//! The mock server over real HTTP on loopback: the example binary, started
//! on a free port, driven by a real HTTP client.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ecs_image_copy::mock::MockFailCopy;
use ecs_image_copy::rpc::signature::{
    V3Request, authorization_v3, percent_encode, sign_v1, string_to_sign_v1,
};
use ecs_image_copy::{Command, Timestamp, World};
use ecs_mock_server::{server, store};
use serde_json::{Value, json};
use support::{Server, run_mock_server};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status and body of a GET of `query` as `account`, in JSON.
fn get(server: &Server, account: &str, query: &str) -> (u16, Value) {
    let url = format!(
        "{}?Version=2014-05-26&Format=JSON&AccessKeyId={account}&{query}",
        server.url()
    );
    let mut response = agent().get(&url).call().unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

fn ok(server: &Server, account: &str, query: &str) -> Value {
    let (status, body) = get(server, account, query);
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn code(server: &Server, account: &str, query: &str) -> (u16, String, String) {
    let (status, body) = get(server, account, query);
    (
        status,
        body["Code"].as_str().unwrap_or("").to_owned(),
        body["Message"].as_str().unwrap_or("").to_owned(),
    )
}

fn create(server: &Server, account: &str, region: &str, name: &str) -> String {
    let body = ok(
        server,
        account,
        &format!("Action=MockCreateImage&RegionId={region}&ImageName={name}"),
    );
    body["ImageId"].as_str().unwrap().to_owned()
}

fn copy(server: &Server, account: &str, source: &str) -> String {
    let query = format!(
        "Action=CopyImage&RegionId=cn-hangzhou&ImageId={source}&DestinationRegionId=cn-beijing"
    );
    ok(server, account, &query)["ImageId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Status and progress of every image `account` has in Beijing.
fn beijing(server: &Server, account: &str) -> HashMap<String, (String, String)> {
    let query = "Action=DescribeImages&RegionId=cn-beijing&PageSize=100&Status=Creating,Waiting,Available,CreateFailed";
    let body = ok(server, account, query);
    let images = body["Images"]["Image"].as_array().unwrap();
    images
        .iter()
        .map(|i| {
            let field = |name: &str| i[name].as_str().unwrap().to_owned();
            (field("ImageId"), (field("Status"), field("Progress")))
        })
        .collect()
}

fn status_of(server: &Server, account: &str, image: &str) -> Option<(String, String)> {
    beijing(server, account).remove(image)
}

fn pair(status: &str, progress: &str) -> Option<(String, String)> {
    Some((status.to_owned(), progress.to_owned()))
}

#[test]
fn a_copy_lives_its_whole_life_over_http() {
    let server = Server::start(&["--manual", "--copy-limit", "2", "--quiet"]);
    let source = create(&server, "alice", "cn-hangzhou", "web");
    let copies: Vec<String> = (0..4).map(|_| copy(&server, "alice", &source)).collect();
    assert_eq!(
        status_of(&server, "alice", &copies[1]),
        pair("Creating", "0%")
    );
    assert_eq!(
        status_of(&server, "alice", &copies[2]),
        pair("Waiting", "0%")
    );
    let act = |action: &str, image: &str, rest: &str| {
        code(
            &server,
            "alice",
            &format!("Action={action}&RegionId=cn-beijing&ImageId={image}&{rest}"),
        )
    };
    let success = (200, String::new(), String::new());
    // Queued: cancelled at once.
    assert_eq!(act("CancelCopyImage", &copies[3], ""), success);
    // Copying, not cancellable: refused.
    assert_eq!(
        act("MockSetCopyProgress", &copies[0], "Progress=40"),
        success
    );
    assert_eq!(
        act("MockSetCancellable", &copies[0], "Cancellable=false"),
        success
    );
    assert_eq!(
        act("CancelCopyImage", &copies[0], ""),
        (
            400,
            "CancelNotSupported".into(),
            "The specified image copying can not be cancelled.".into()
        )
    );
    // Finalizing.
    assert_eq!(
        act("MockSetCopyProgress", &copies[0], "Progress=100"),
        success
    );
    assert_eq!(
        status_of(&server, "alice", &copies[0]),
        pair("Creating", "100%")
    );
    assert_eq!(
        act("CancelCopyImage", &copies[0], ""),
        (
            400,
            "IncorrectImageStatus".into(),
            "The specified snapshot is not coping.".into()
        )
    );
    // Completed: its slot goes to the queued copy.
    assert_eq!(act("MockCompleteCopy", &copies[0], ""), success);
    assert_eq!(
        status_of(&server, "alice", &copies[0]),
        pair("Available", "100%")
    );
    assert_eq!(
        status_of(&server, "alice", &copies[2]),
        pair("Creating", "0%")
    );
    assert_eq!(
        act("CancelCopyImage", &copies[0], ""),
        (
            400,
            "IncorrectImageStatus".into(),
            "The image is copied finished.".into()
        )
    );
    // Failed.
    assert_eq!(act("MockFailCopy", &copies[1], ""), success);
    assert_eq!(
        status_of(&server, "alice", &copies[1]),
        pair("CreateFailed", "0%")
    );
    assert_eq!(
        act("CancelCopyImage", &copies[1], ""),
        (
            400,
            "IncorrectImageStatus".into(),
            "The Image copy has been failed.".into()
        )
    );
    // Cancelled while copying: gone, and gone for good.
    assert_eq!(act("CancelCopyImage", &copies[2], ""), success);
    assert_eq!(status_of(&server, "alice", &copies[2]), None);
    let not_found = (
        404,
        "InvalidImageId.NotFound".to_owned(),
        "The specified ImageId does not exist.".to_owned(),
    );
    assert_eq!(act("CancelCopyImage", &copies[2], ""), not_found);
    // Another account sees none of it.
    assert!(beijing(&server, "bob").is_empty());
    let bobs = code(
        &server,
        "bob",
        &format!(
            "Action=CancelCopyImage&RegionId=cn-beijing&ImageId={}",
            copies[0]
        ),
    );
    assert_eq!(bobs, not_found);
    // XML, the default format, by POST form as the classic SDKs send.
    let form = [
        ("Action", "DescribeImages"),
        ("Version", "2014-05-26"),
        ("AccessKeyId", "alice"),
        ("RegionId", "cn-beijing"),
        ("ImageId", copies[0].as_str()),
    ];
    let mut response = agent().post(&server.url()).send_form(form).unwrap();
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/xml;charset=utf-8"
    );
    let xml = response.body_mut().read_to_string().unwrap();
    assert!(
        xml.contains(&format!("<Image><ImageId>{}</ImageId>", copies[0])),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<Status>Available</Status><Progress>100%</Progress><IsCopied>true</IsCopied>"
        ),
        "{xml}"
    );
}

/// The time now, as a signed request's `Timestamp` or `x-acs-date`.
fn timestamp() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

#[test]
fn signed_requests_v1_and_v3_over_http() {
    let server = Server::start(&[
        "--manual",
        "--quiet",
        "--auth",
        "--key",
        "ak-alice:s3cret:alice",
    ]);
    let v1 = |secret: &str, nonce: &str| {
        let now = timestamp();
        let params = [
            ("Action", "DescribeImages"),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("RegionId", "cn-hangzhou"),
            ("AccessKeyId", "ak-alice"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("Timestamp", now.as_str()),
        ];
        let signature = sign_v1(secret, &string_to_sign_v1("GET", params));
        let mut query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        query.push(format!("Signature={}", percent_encode(&signature)));
        let mut response = agent()
            .get(&format!("{}?{}", server.url(), query.join("&")))
            .call()
            .unwrap();
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (
            response.status().as_u16(),
            body["Code"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(v1("s3cret", "v1-a"), (200, String::new()));
    assert_eq!(
        v1("wrong", "v1-b"),
        (400, "SignatureDoesNotMatch".to_owned())
    );
    assert_eq!(v1("s3cret", "v1-a"), (400, "SignatureNonceUsed".to_owned()));
    let v3 = |secret: &str, nonce: &str| {
        let now = timestamp();
        let host = server.address.clone();
        let mut headers: Vec<(&str, String)> = vec![
            ("host", host),
            ("x-acs-action", "DescribeImages".into()),
            ("x-acs-version", "2014-05-26".into()),
            ("x-acs-date", now),
            ("x-acs-signature-nonce", nonce.into()),
            (
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            ),
        ];
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = V3Request {
            method: "POST",
            path: "/",
            query: &[("RegionId", "cn-hangzhou")],
            headers: &borrowed,
            body: b"",
        };
        headers.push((
            "authorization",
            authorization_v3("ak-alice", secret, &request),
        ));
        let mut call = agent()
            .post(&format!("{}?RegionId=cn-hangzhou", server.url()))
            .header("accept", "application/json");
        for (name, value) in &headers[1..] {
            call = call.header(*name, value.as_str());
        }
        let mut response = call.send_empty().unwrap();
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (
            response.status().as_u16(),
            body["Code"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(v3("s3cret", "v3-a"), (200, String::new()));
    assert_eq!(
        v3("wrong", "v3-b"),
        (400, "SignatureDoesNotMatch".to_owned())
    );
}

fn state_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecs-image-copy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("world.json")
}

#[test]
fn a_killed_server_restarts_with_every_change() {
    let state = state_file("restart");
    let args = [
        "--manual",
        "--quiet",
        "--copy-limit",
        "2",
        "--state",
        state.to_str().unwrap(),
    ];
    let server = Server::start(&args);
    let source = create(&server, "alice", "cn-hangzhou", "web");
    let copies: Vec<String> = (0..5).map(|_| copy(&server, "alice", &source)).collect();
    let act = |server: &Server, action: &str, image: &str, rest: &str| {
        ok(
            server,
            "alice",
            &format!("Action={action}&RegionId=cn-beijing&ImageId={image}&{rest}"),
        );
    };
    act(&server, "MockSetCopyProgress", &copies[0], "Progress=70");
    act(&server, "MockCompleteCopy", &copies[1], "");
    act(&server, "CancelCopyImage", &copies[3], "");
    let before = beijing(&server, "alice");
    assert_eq!(before.len(), 4);
    server.kill();
    let server = Server::start(&args);
    assert_eq!(beijing(&server, "alice"), before);
    // The restored world goes on as the old one would have: the queue too.
    act(&server, "MockFailCopy", &copies[0], "");
    assert_eq!(
        status_of(&server, "alice", &copies[4]),
        pair("Creating", "0%")
    );
    // Killed again, after the snapshot the restart wrote: nothing lost twice.
    let after = beijing(&server, "alice");
    server.kill();
    let server = Server::start(&args);
    assert_eq!(beijing(&server, "alice"), after);
    drop(server);
    let _ = std::fs::remove_dir_all(state.parent().unwrap());
}

#[test]
fn copies_progress_by_themselves_until_available() {
    let server = Server::start(&["--quiet", "--tick-ms", "20", "--step", "25"]);
    let source = create(&server, "alice", "cn-hangzhou", "web");
    let image = copy(&server, "alice", &source);
    let mut seen = Vec::new();
    // Waits for events, not for time: a generous deadline only bounds a hang.
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen
        .last()
        .map(|(status, _): &(String, String)| status.as_str())
        != Some("Available")
    {
        assert!(Instant::now() < deadline, "never available: {seen:?}");
        let now = status_of(&server, "alice", &image).unwrap();
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        std::thread::yield_now();
    }
    assert!(
        seen.iter().any(|(status, _)| status == "Creating"),
        "{seen:?}"
    );
    let progress: Vec<u8> = seen
        .iter()
        .map(|(_, p)| p.trim_end_matches('%').parse().unwrap())
        .collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
}

#[test]
fn racing_cancels_and_completions_have_a_serial_order() {
    let server = Server::start(&["--manual", "--quiet"]);
    let source = create(&server, "alice", "cn-hangzhou", "web");
    let copies: Vec<String> = (0..24).map(|_| copy(&server, "alice", &source)).collect();
    let mut calls: Vec<(usize, &str)> = (0..copies.len())
        .flat_map(|i| [(i, "CancelCopyImage"), (i, "MockCompleteCopy")])
        .collect();
    // A fixed interleaving of who goes first, then real threads race.
    calls.sort_by_key(|&(i, action)| (i * 7 + action.len()) % 11);
    let calls = Arc::new(Mutex::new(calls));
    let answers = Arc::new(Mutex::new(HashMap::<(usize, &str), String>::new()));
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                loop {
                    let Some((i, action)) = calls.lock().unwrap().pop() else {
                        break;
                    };
                    let query =
                        format!("Action={action}&RegionId=cn-beijing&ImageId={}", copies[i]);
                    let (_, code, _) = code(&server, "alice", &query);
                    answers.lock().unwrap().insert((i, action), code);
                }
            });
        }
    });
    let answers = answers.lock().unwrap();
    let after = beijing(&server, "alice");
    for (i, image) in copies.iter().enumerate() {
        let cancel = answers[&(i, "CancelCopyImage")].as_str();
        let complete = answers[&(i, "MockCompleteCopy")].as_str();
        let end = after.get(image).map(|(status, _)| status.as_str());
        let serial = match (cancel, complete) {
            // Cancelled first; the completion then found no image.
            ("", "InvalidImageId.NotFound") => end.is_none(),
            // Completion tried while queued, then the cancel.
            ("", "InvalidOperation.CopyPhase") => end.is_none(),
            // Completed first; the cancel then found it finished.
            ("IncorrectImageStatus", "") => end == Some("Available"),
            _ => false,
        };
        assert!(
            serial,
            "copy {i}: cancel {cancel:?}, complete {complete:?}, ends {end:?}"
        );
    }
    let running = after
        .values()
        .filter(|(status, _)| status == "Creating")
        .count();
    assert_eq!(running, 0, "every copy ended: {after:?}");
}

/// `FILE.journal-<generation>`, as the docs name it.
fn journal_of(state: &Path, generation: u64) -> PathBuf {
    PathBuf::from(format!("{}.journal-{generation}", state.display()))
}

/// Every file of `directory`, by name, with its contents.
fn files_in(directory: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(directory)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect()
}

/// The name of every image `account` has in Hangzhou, by ID.
fn hangzhou_names(server: &Server, account: &str) -> BTreeMap<String, String> {
    let body = ok(
        server,
        account,
        "Action=DescribeImages&RegionId=cn-hangzhou&PageSize=100",
    );
    let images = body["Images"]["Image"].as_array().unwrap();
    images
        .iter()
        .map(|i| {
            let field = |name: &str| i[name].as_str().unwrap().to_owned();
            (field("ImageId"), field("ImageName"))
        })
        .collect()
}

fn help() -> String {
    let output = run_mock_server(&["--help"]);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_state_files_are_the_ones_the_docs_and_the_help_name() {
    let state = state_file("names");
    let server = Server::start(&["--manual", "--quiet", "--state", state.to_str().unwrap()]);
    create(&server, "alice", "cn-hangzhou", "web");
    let names: Vec<String> = files_in(state.parent().unwrap()).into_keys().collect();
    assert_eq!(names, ["world.json", "world.json.journal-1"]);
    drop(server);
    let docs = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/mock-server.md"
    ));
    for text in [help(), docs.unwrap()] {
        assert!(text.contains("FILE.journal-<generation>"), "{text}");
        for (at, _) in text.match_indices("FILE.journal") {
            let mention = &text[at..text.len().min(at + 40)];
            assert!(mention.starts_with("FILE.journal-<"), "{mention}");
        }
    }
    let _ = fs::remove_dir_all(state.parent().unwrap());
}

#[test]
fn a_state_file_that_does_not_restore_is_refused_with_its_path_and_reason() {
    let state = state_file("bad-snapshot");
    let mut world = World::default();
    let created = world.create_image(
        "alice",
        "cn-hangzhou",
        "web",
        Timestamp::from_unix_seconds(1_795_000_000),
    );
    created.unwrap();
    let mut world = serde_json::to_value(&world).unwrap();
    // Well-formed, but the image's owner is no account of the world.
    world["images"][0]["owner"] = json!(7);
    let reason = serde_json::from_value::<World>(world.clone())
        .err()
        .unwrap()
        .to_string();
    let snapshot = json!({"generation": 3, "world": world.clone()});
    for contents in [snapshot, world] {
        fs::write(&state, contents.to_string()).unwrap();
        let log = Server::refuse_to_start(&["--quiet", "--state", state.to_str().unwrap()]);
        assert!(log.contains(state.to_str().unwrap()), "{log}");
        assert!(log.contains(&reason), "{reason}: {log}");
    }
    let _ = fs::remove_dir_all(state.parent().unwrap());
}

#[test]
fn a_journal_torn_inside_a_character_loses_only_its_last_line() {
    let state = state_file("torn");
    let args = ["--manual", "--quiet", "--state", state.to_str().unwrap()];
    let server = Server::start(&args);
    let web = create(&server, "alice", "cn-hangzhou", "web");
    create(&server, "alice", "cn-hangzhou", &percent_encode("镜像"));
    server.kill();
    let journal = journal_of(&state, 1);
    let bytes = fs::read(&journal).unwrap();
    let name = "镜像".as_bytes();
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap();
    // Cut inside 像, as a kill during the last line's write might.
    let file = fs::OpenOptions::new().write(true).open(&journal).unwrap();
    file.set_len(at as u64 + 4).unwrap();
    drop(file);
    let server = Server::start(&args);
    let journal = journal.to_str().unwrap();
    assert!(
        server.startup_log.iter().any(|line| line.contains(journal)),
        "{:?}",
        server.startup_log
    );
    let mut expected = BTreeMap::from([(web, "web".to_owned())]);
    assert_eq!(hangzhou_names(&server, "alice"), expected);
    // The journal goes on after its whole lines, the torn one cut off: a
    // change after it survives the next kill.
    let db = create(&server, "alice", "cn-hangzhou", "db");
    expected.insert(db, "db".to_owned());
    server.kill();
    let server = Server::start(&args);
    assert_eq!(hangzhou_names(&server, "alice"), expected);
    drop(server);
    let _ = fs::remove_dir_all(state.parent().unwrap());
}

/// A server's state after three images, killed: a snapshot and a journal of
/// three lines. Returns the journal's path and the first image's ID.
fn three_images_journalled(state: &Path) -> (PathBuf, String) {
    let server = Server::start(&["--manual", "--quiet", "--state", state.to_str().unwrap()]);
    let web = create(&server, "alice", "cn-hangzhou", "web");
    create(&server, "alice", "cn-hangzhou", "db");
    create(&server, "alice", "cn-hangzhou", "app");
    server.kill();
    (journal_of(state, 1), web)
}

/// Replaces line `number` (1-based) of `file`.
fn replace_line(file: &Path, number: usize, line: &str) {
    let text = fs::read_to_string(file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > number, "{text}");
    lines[number - 1] = line;
    fs::write(file, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_bad_line_before_the_last_refuses_start_and_changes_no_file() {
    let state = state_file("garbage");
    let (journal, _) = three_images_journalled(&state);
    replace_line(&journal, 2, "garbage");
    let directory = state.parent().unwrap();
    let before = files_in(directory);
    let log = Server::refuse_to_start(&["--quiet", "--state", state.to_str().unwrap()]);
    assert!(
        log.contains(&format!("{}: line 2", journal.display())),
        "{log}"
    );
    assert_eq!(files_in(directory), before);
    let _ = fs::remove_dir_all(directory);
}

#[test]
fn a_torn_line_before_a_newer_journal_refuses_start_and_changes_no_file() {
    let state = state_file("torn-then-newer");
    let (journal, _) = three_images_journalled(&state);
    let text = fs::read_to_string(&journal).unwrap();
    let last = text.lines().last().unwrap();
    // The last line moved to the next generation, its tail left behind, as
    // no kill leaves it: the server moves on only after a whole line.
    fs::write(&journal, &text[..text.len() - 5]).unwrap();
    fs::write(journal_of(&state, 2), format!("{last}\n")).unwrap();
    let directory = state.parent().unwrap();
    let before = files_in(directory);
    let log = Server::refuse_to_start(&["--quiet", "--state", state.to_str().unwrap()]);
    assert!(
        log.contains(&format!("{}: line 3", journal.display())),
        "{log}"
    );
    assert_eq!(files_in(directory), before);
    let _ = fs::remove_dir_all(directory);
}

#[test]
fn a_journalled_command_that_fails_to_replay_refuses_start_and_changes_no_file() {
    let state = state_file("replay-fails");
    let (journal, web) = three_images_journalled(&state);
    // Well-formed, but the image is no copy: it never succeeded.
    let mut request = MockFailCopy::default();
    request.region_id = Some("cn-hangzhou".to_owned());
    request.image_id = Some(web);
    let fail = Command::new("alice", request, Timestamp::from_unix_seconds(0));
    replace_line(&journal, 2, &serde_json::to_string(&fail).unwrap());
    let directory = state.parent().unwrap();
    let before = files_in(directory);
    let log = Server::refuse_to_start(&["--quiet", "--state", state.to_str().unwrap()]);
    assert!(
        log.contains(&format!("{}: line 2: replaying", journal.display()))
            && log.contains("MockFailCopy"),
        "{log}"
    );
    assert_eq!(files_in(directory), before);
    let _ = fs::remove_dir_all(directory);
}

/// With `--start-from-valid`, a bad line drops what follows it, its own
/// journal's tail and every later journal, set aside and logged, and the
/// server starts from what precedes it, and goes on from there.
#[test]
fn start_from_valid_drops_what_follows_a_bad_line_and_says_so() {
    let state = state_file("from-valid");
    let (journal, web) = three_images_journalled(&state);
    let text = fs::read_to_string(&journal).unwrap();
    let third = text.lines().nth(2).unwrap().to_owned();
    replace_line(&journal, 2, "garbage");
    let later = journal_of(&state, 2);
    fs::write(&later, format!("{third}\n")).unwrap();
    let strict = ["--manual", "--quiet", "--state", state.to_str().unwrap()];
    let mut args = strict.to_vec();
    args.push("--start-from-valid");
    let server = Server::start(&args);
    let log = server.startup_log.join("\n");
    assert!(
        log.contains(&format!("{}: line 2", journal.display())),
        "{log}"
    );
    for dropped in [&journal, &later] {
        let aside = format!("{}.dropped", dropped.display());
        assert!(log.contains(&aside), "{log}");
    }
    let aside = |journal: &Path| fs::read_to_string(format!("{}.dropped", journal.display()));
    assert_eq!(aside(&journal).unwrap(), format!("garbage\n{third}\n"));
    assert_eq!(aside(&later).unwrap(), format!("{third}\n"));
    assert!(!later.exists());
    let mut expected = BTreeMap::from([(web, "web".to_owned())]);
    assert_eq!(hangzhou_names(&server, "alice"), expected);
    let next = create(&server, "alice", "cn-hangzhou", "next");
    expected.insert(next, "next".to_owned());
    server.kill();
    let server = Server::start(&strict);
    assert_eq!(hangzhou_names(&server, "alice"), expected);
    drop(server);
    let _ = fs::remove_dir_all(state.parent().unwrap());
}

/// Sets the server's file size limit (`ulimit -f`), in bytes, as an
/// operator or a quota would, through util-linux's `prlimit`: only the soft
/// limit, which a process may raise again up to its hard one.
#[cfg(target_os = "linux")]
fn limit_file_size(server: &Server, bytes: Option<u64>) {
    let soft = bytes.map_or("unlimited".to_owned(), |bytes| bytes.to_string());
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", server.id()))
        .arg(format!("--fsize={soft}:"))
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit: {status}");
}

/// A journal that cannot be written (here past the file size limit: the
/// write is cut short, then fails with EFBIG, as a full disk fails with
/// ENOSPC) refuses the change with 503 `ServiceUnavailable` and changes
/// nothing; reads go on; the journal holds no part of the refused line;
/// and once the file can grow again the server takes changes by itself,
/// losing none it acknowledged. (It used to answer 500 and exit.)
#[cfg(target_os = "linux")]
#[test]
fn a_journal_that_cannot_be_written_refuses_changes_until_it_can() {
    let state = state_file("unwritable");
    let args = ["--manual", "--state", state.to_str().unwrap()];
    let server = Server::start(&args);
    let kept = create(&server, "alice", "cn-hangzhou", "kept");
    let journal = journal_of(&state, 1);
    let whole = fs::read(&journal).unwrap();
    // Room for a part of the next line only.
    limit_file_size(&server, Some(whole.len() as u64 + 10));
    let refused = "Action=MockCreateImage&RegionId=cn-hangzhou&ImageName=refused";
    for _ in 0..2 {
        let (status, body) = get(&server, "alice", refused);
        assert_eq!(status, 503, "{body}");
        let request_id = body["RequestId"].as_str().unwrap();
        let expected = json!({
            "RequestId": request_id,
            "HostId": server.address,
            "Code": "ServiceUnavailable",
            "Message": "The request has failed due to a temporary failure of the server.",
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q=ServiceUnavailable&product=Ecs&requestId={request_id}"),
        });
        assert_eq!(body, expected);
        assert_eq!(
            fs::read(&journal).unwrap(),
            whole,
            "a part of a line stayed"
        );
    }
    // Reads go on, and see nothing of the refused change.
    let only_kept = BTreeMap::from([(kept.clone(), "kept".to_owned())]);
    assert_eq!(hangzhou_names(&server, "alice"), only_kept);
    // While the journal fails, a change is refused before it is decided,
    // even one that would fail by itself; a request the reader refuses
    // still gets its own error.
    let duplicate = "Action=MockCreateImage&RegionId=cn-hangzhou&ImageName=kept";
    assert_eq!(code(&server, "alice", duplicate).1, "ServiceUnavailable");
    let unknown = "Action=MockCreateImages&RegionId=cn-hangzhou";
    assert_eq!(code(&server, "alice", unknown).1, "InvalidAction.NotFound");
    limit_file_size(&server, None);
    let after = create(&server, "alice", "cn-hangzhou", "after");
    let log = server.kill_and_log();
    let journal_name = journal.to_str().unwrap();
    let read_only = log.lines().position(|l| l.contains("refusing changes"));
    let recovered = log.lines().position(|l| l.contains("accepting changes"));
    assert!(
        matches!((read_only, recovered), (Some(a), Some(b)) if a < b),
        "{log}"
    );
    assert!(log.contains(journal_name), "{log}");
    assert!(log.contains("File too large"), "{log}");
    // Killed: every acknowledged change is in the files, the refused none.
    let server = Server::start(&args);
    let expected = BTreeMap::from([(kept, "kept".to_owned()), (after, "after".to_owned())]);
    assert_eq!(hangzhou_names(&server, "alice"), expected);
    drop(server);
    let _ = fs::remove_dir_all(state.parent().unwrap());
}

/// A log on the disk that is full too: the line that says so cannot be
/// written, and must not end the server (`eprintln!` panics then, which
/// left the refused change in the world) nor leave the change in.
#[cfg(target_os = "linux")]
#[test]
fn a_log_that_cannot_be_written_changes_nothing_either() {
    let state = state_file("unwritable-log");
    let log = state.with_file_name("server.log");
    let args = ["--manual", "--quiet", "--state", state.to_str().unwrap()];
    let server = Server::start_logging_to(&log, &args);
    let kept = create(&server, "alice", "cn-hangzhou", "kept");
    // No file may grow: the journal's next line fails, and so does the log.
    limit_file_size(&server, Some(1));
    let refused = "Action=MockCreateImage&RegionId=cn-hangzhou&ImageName=refused";
    assert_eq!(code(&server, "alice", refused).1, "ServiceUnavailable");
    let only_kept = BTreeMap::from([(kept.clone(), "kept".to_owned())]);
    assert_eq!(hangzhou_names(&server, "alice"), only_kept);
    assert!(!fs::read_to_string(&log).unwrap().contains("refusing"));
    limit_file_size(&server, None);
    let after = create(&server, "alice", "cn-hangzhou", "after");
    assert!(
        fs::read_to_string(&log)
            .unwrap()
            .contains("accepting changes")
    );
    server.kill();
    let server = Server::start(&args);
    let expected = BTreeMap::from([(kept, "kept".to_owned()), (after, "after".to_owned())]);
    assert_eq!(hangzhou_names(&server, "alice"), expected);
    drop(server);
    let _ = fs::remove_dir_all(state.parent().unwrap());
}

#[test]
fn an_access_key_argument_is_an_id_a_secret_and_an_account_that_defaults_to_the_id() {
    let key = |id: &str, secret: &str, account: &str| {
        Ok(server::AccessKeyArg {
            id: id.to_owned(),
            secret: secret.to_owned(),
            account: account.to_owned(),
        })
    };
    assert_eq!("ak:s3cret".parse(), key("ak", "s3cret", "ak"));
    assert_eq!("ak:s3cret:alice".parse(), key("ak", "s3cret", "alice"));
    assert_eq!("ak:s3cret:a:b".parse(), key("ak", "s3cret", "a:b"));
    for bad in ["", "ak", "ak:", ":s3cret"] {
        assert!(bad.parse::<server::AccessKeyArg>().is_err(), "{bad}");
    }
    let refused = run_mock_server(&["--auth", "--key", "ak"]);
    assert!(!refused.status.success());
    let message = String::from_utf8(refused.stderr).unwrap();
    assert!(
        message.contains("expected ID:SECRET[:ACCOUNT]"),
        "{message}"
    );
}

#[test]
fn the_default_step_is_one_constant_of_the_server() {
    assert_eq!(server::Options::default().step, server::DEFAULT_STEP);
    let help = help();
    // The option's block: its line, and its description's lines after it
    // (clap puts a long description under the option).
    let start = help.find("--step").unwrap();
    let block = &help[start..];
    let block = &block[..block[2..].find("\n  -").map_or(block.len(), |end| end + 2)];
    let default = format!("[default: {}]", server::DEFAULT_STEP.get());
    assert!(block.contains(&default), "{block}");
}

/// Status and JSON body of a POST of `target`, written by hand to a fresh
/// connection: an HTTP client would not send an absolute-form target to
/// anything but a proxy.
fn raw_post(server: &Server, target: &str, host: &str, form: &str) -> (u16, Value) {
    raw_post_with(server, target, host, form, "")
}

/// As [`raw_post`], with `headers` (whole lines) after the usual ones.
fn raw_post_with(
    server: &Server,
    target: &str,
    host: &str,
    form: &str,
    headers: &str,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    // Bounds a hang; an answer comes in milliseconds.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "POST {target} HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n{headers}\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {answer:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    let status = status.unwrap_or_else(|| panic!("no status: {head:?}"));
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    (status, body)
}

/// The body without its `RequestId`, which differs from call to call.
fn without_request_id(mut body: Value) -> Value {
    body.as_object_mut().unwrap().remove("RequestId");
    body
}

#[test]
fn a_target_in_absolute_form_is_answered_as_a_proxy_receives_it() {
    // Terraform reaches regions its custom endpoint does not map through
    // HTTP_PROXY: the mock then gets `POST http://ecs.<region>...`.
    let server = Server::start(&["--manual", "--quiet"]);
    let origin_host = server.address.clone();
    let beijing = "ecs.cn-beijing.aliyuncs.com";
    let absolute = format!("http://{beijing}/");
    let common = "Version=2014-05-26&Format=JSON&AccessKeyId=alice";
    let create = format!("Action=MockCreateImage&RegionId=cn-beijing&ImageName=web&{common}");
    let (status, created) = raw_post(&server, &format!("{absolute}?{create}"), beijing, "");
    assert_eq!(status, 200, "{created}");
    let image = created["ImageId"].as_str().unwrap().to_owned();
    let describe = format!("Action=DescribeImages&RegionId=cn-beijing&ImageId={image}&{common}");
    let (status, by_origin) = raw_post(&server, &format!("/?{describe}"), &origin_host, "");
    assert_eq!(status, 200, "{by_origin}");
    assert_eq!(by_origin["Images"]["Image"][0]["ImageId"], image.as_str());
    let by_origin = without_request_id(by_origin);
    let query_target = format!("{absolute}?{describe}");
    for (target, form) in [(query_target.as_str(), ""), (absolute.as_str(), &*describe)] {
        let (status, by_proxy) = raw_post(&server, target, beijing, form);
        assert_eq!(status, 200, "{target}: {by_proxy}");
        assert_eq!(without_request_id(by_proxy), by_origin, "{target}");
    }
    let refused = format!("Action=DeleteImage&RegionId=cn-beijing&ImageId=m-none&{common}");
    let (status, body) = raw_post(&server, &format!("/?{refused}"), &origin_host, "");
    assert_eq!(
        (status, &body["HostId"]),
        (404, &json!(origin_host)),
        "{body}"
    );
    // The target's host wins over a `Host` header that says otherwise, as
    // RFC 9112 (3.2.2) has a server do.
    for host in [beijing, origin_host.as_str()] {
        let (status, body) = raw_post(&server, &format!("{absolute}?{refused}"), host, "");
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["Code"], "InvalidImageId.NotFound");
        assert_eq!(body["HostId"], beijing, "Host: {host}");
    }
}

#[test]
fn a_request_with_many_headers_is_read_as_one_with_few() {
    // The server keeps a few headers on the stack and more in a `Vec`:
    // either way every header reaches the endpoint, the last one too.
    let server = Server::start(&["--manual", "--quiet"]);
    let beijing = "ecs.cn-beijing.aliyuncs.com";
    let query = "Action=DescribeImages&RegionId=cn-nowhere&Format=JSON&AccessKeyId=alice";
    for padding in [0, 10, 40] {
        let mut headers: String = (0..padding)
            .map(|n| format!("X-Padding-{n}: {n}\r\n"))
            .collect();
        headers.push_str("x-acs-version: 2014-05-26\r\n");
        for (target, host) in [
            (format!("/?{query}"), "mock<&>\"'"),
            (format!("http://{beijing}/?{query}"), "elsewhere"),
        ] {
            let (status, body) = raw_post_with(&server, &target, host, "", &headers);
            assert_eq!(status, 404, "{padding}: {body}");
            assert_eq!(
                body["Code"], "InvalidRegionId.NotFound",
                "{padding}: {body}"
            );
            let expected = if target.starts_with('/') {
                host
            } else {
                beijing
            };
            assert_eq!(body["HostId"], expected, "{padding} headers, {target}");
        }
    }
}

/// The longest any test here waits for the server to act by itself: an
/// upper bound that only a broken server reaches, not a timing.
const PATIENCE: Duration = Duration::from_secs(10);

/// A whole HTTP/1.1 request for `query`, kept alive.
fn request_line(query: &str) -> String {
    format!("GET /?{query} HTTP/1.1\r\nHost: ecs.aliyuncs.com\r\n\r\n")
}

/// The status line of one answer read from `stream`, or why none came.
fn status_line(stream: &mut TcpStream) -> Result<String, String> {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) => return Err("closed".into()),
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(error) => return Err(error.to_string()),
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// One request on a kept-alive `stream`, its whole answer read: the status
/// line.
fn exchange(stream: &mut TcpStream, query: &str) -> String {
    stream.write_all(request_line(query).as_bytes()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the server closed the connection");
        answer.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
    let length: usize = (head.lines())
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while answer.len() < head_end + length {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the server closed the connection");
        answer.extend_from_slice(&buffer[..n]);
    }
    head.lines().next().unwrap_or_default().to_owned()
}

/// Whether the server closes `stream` within `PATIENCE`, reading nothing.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error) => return error.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

const REGIONS: &str = "Action=DescribeRegions&Version=2014-05-26&Format=JSON&AccessKeyId=alice";

/// More connections than the server has descriptors: it keeps serving the
/// ones it holds, says so in its log, and serves the waiting ones once
/// descriptors are free again (it used to exit on the first failed accept).
#[test]
fn a_server_out_of_descriptors_keeps_serving() {
    let server = Server::start_limited(64, &["--manual", "--quiet"]);
    let mut connections: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(&server.address).unwrap())
        .collect();
    // The first connections were accepted; the last wait in the backlog.
    let first = &mut connections[0];
    first.write_all(request_line(REGIONS).as_bytes()).unwrap();
    assert_eq!(status_line(first).as_deref(), Ok("HTTP/1.1 200 OK"));
    // Whether the server has reached its limit yet depends on how fast it
    // accepted: wait for it, rather than let the clients close first.
    assert!(server.wait_for_log("accept failed"));
    let mut last = connections.pop().unwrap();
    last.write_all(request_line(REGIONS).as_bytes()).unwrap();
    drop(connections);
    assert_eq!(status_line(&mut last).as_deref(), Ok("HTTP/1.1 200 OK"));
}

/// A client that sends half its headers and waits (slowloris) is closed
/// after the header timeout, and so is an idle kept-alive connection.
#[test]
fn slow_and_idle_clients_are_closed_after_the_header_timeout() {
    let server = Server::start(&["--manual", "--quiet", "--header-timeout-ms", "200"]);
    let mut slow = TcpStream::connect(&server.address).unwrap();
    slow.write_all(b"GET /?Action=DescribeRegions HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert!(closed_by_server(&mut slow), "half a request is held open");
    let mut idle = TcpStream::connect(&server.address).unwrap();
    idle.write_all(request_line(REGIONS).as_bytes()).unwrap();
    assert_eq!(status_line(&mut idle).as_deref(), Ok("HTTP/1.1 200 OK"));
    assert!(
        closed_by_server(&mut idle),
        "an idle connection is held open"
    );
    // The server goes on serving.
    let (status, _) = get(&server, "alice", "Action=DescribeRegions");
    assert_eq!(status, 200);
}

/// A body that announces more than it sends is not waited for beyond the
/// body timeout.
#[test]
fn a_body_that_never_arrives_is_not_waited_for() {
    let server = Server::start(&["--manual", "--quiet", "--body-timeout-ms", "200"]);
    let mut stream = TcpStream::connect(&server.address).unwrap();
    let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1073741824\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b'a'; 100]).unwrap();
    assert!(
        closed_by_server(&mut stream),
        "a body of 1 GiB announced is waited for"
    );
    let (status, _) = get(&server, "alice", "Action=DescribeRegions");
    assert_eq!(status, 200);
}

/// The snapshot is written beside the state file under a name that is never
/// the state file's (nor a journal's): with `--state world.tmp` the old
/// name was the state file itself, and a kill during the write lost it.
#[test]
fn the_snapshot_is_never_written_over_the_state_file() {
    for name in [
        "world.json",
        "world.tmp",
        "world",
        "a.b.tmp",
        "world.writing",
    ] {
        let path = Path::new("/state").join(name);
        let temporary = store::temporary_path(&path);
        assert_ne!(temporary, path, "{name}");
        let journal = journal_of(&path, 1);
        assert_ne!(temporary, journal, "{name}");
        assert_eq!(
            temporary.parent(),
            path.parent(),
            "a rename stays on one disk"
        );
    }
    let state = state_file("world-tmp").with_file_name("world.tmp");
    let server = Server::start(&["--manual", "--quiet", "--state", state.to_str().unwrap()]);
    let web = create(&server, "alice", "cn-hangzhou", "web");
    drop(server);
    let server = Server::start(&["--manual", "--quiet", "--state", state.to_str().unwrap()]);
    assert!(hangzhou_names(&server, "alice").contains_key(&web));
}

/// Create-only traffic compacts too: the journal is measured against the
/// last snapshot, not against a world that grows as fast as it does.
#[test]
fn a_journal_of_creates_only_is_compacted() {
    let state = state_file("creates-only");
    let server = Server::start(&["--manual", "--quiet", "--state", state.to_str().unwrap()]);
    let creates = store::COMPACT_AFTER * 5 / 2;
    // One kept-alive connection: a new one per create would make this the
    // slowest test by far.
    let mut stream = TcpStream::connect(&server.address).unwrap();
    for n in 0..creates {
        let query = format!(
            "Action=MockCreateImage&Version=2014-05-26&Format=JSON&AccessKeyId=alice&RegionId=cn-hangzhou&ImageName=img-{n}"
        );
        assert_eq!(
            exchange(&mut stream, &query),
            "HTTP/1.1 200 OK",
            "create {n}"
        );
    }
    assert!(
        journal_of(&state, 3).exists(),
        "{creates} creates left {:?}",
        files_in(state.parent().unwrap()).keys().collect::<Vec<_>>()
    );
    drop(server);
    let server = Server::start(&["--manual", "--quiet", "--state", state.to_str().unwrap()]);
    let mut describe = "Action=DescribeImages&RegionId=cn-hangzhou&PageSize=1".to_owned();
    describe.push_str("&ImageName=img-0");
    let body = ok(&server, "alice", &describe);
    assert_eq!(body["TotalCount"], json!(1), "the first create survived");
}

/// Journals without their snapshot, and a snapshot without its journal,
/// are refused at start, naming the file, and left as they are: the first
/// would replay onto an empty world under reused IDs, the second would
/// silently lose answered changes.
#[test]
fn a_snapshot_and_its_journals_come_together_or_start_is_refused() {
    for lost in ["snapshot", "journal"] {
        let state = state_file(&format!("lost-{lost}"));
        let (journal, _) = three_images_journalled(&state);
        let gone = if lost == "snapshot" {
            state.clone()
        } else {
            journal.clone()
        };
        fs::remove_file(&gone).unwrap();
        let directory = state.parent().unwrap();
        let before = files_in(directory);
        let log = Server::refuse_to_start(&["--quiet", "--state", state.to_str().unwrap()]);
        let named = if lost == "snapshot" { &journal } else { &state };
        assert!(log.contains(&named.display().to_string()), "{lost}: {log}");
        assert!(log.contains(&gone.display().to_string()), "{lost}: {log}");
        assert_eq!(files_in(directory), before, "{lost}");
    }
}
