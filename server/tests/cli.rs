//! The command line: the flags that only the binary has, and the help and
//! the docs naming the same flags.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_ecs-mock-server");

/// The `--flags` a text names, `--help` and `-h` aside.
fn flags(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| {
            word.strip_prefix("--")
                .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_lowercase()))
        })
        .filter(|word| *word != "--help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_help_and_the_docs_flag_table_name_the_same_flags() {
    let help = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(help.status.success(), "{help:?}");
    let help = String::from_utf8(help.stdout).unwrap();
    let option_lines: String = help
        .lines()
        .filter(|line| line.trim_start().starts_with("--"))
        .map(|line| line.trim_start().split(' ').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/mock-server.md"
    ))
    .unwrap();
    let table: String = docs
        .lines()
        .skip_while(|line| !line.starts_with("| flag | meaning |"))
        .take_while(|line| line.starts_with('|'))
        .map(|line| line.split('|').nth(1).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut documented = flags(&option_lines);
    documented.remove("--version");
    assert_eq!(documented, flags(&table), "--help:\n{help}");
}

#[test]
fn the_end_of_its_input_stops_the_server_as_ctrl_c_does() {
    let folder = std::env::temp_dir().join(format!("ecs-mock-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let state = folder.join("world.json");
    let mut child = Command::new(BINARY)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--stop-on-stdin-close",
            "--state",
        ])
        .arg(&state)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("listening on "), "{first}");
    // What a parent's death does to the pipe: its write end closes.
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(status.success(), "{status}: {rest:?}");
    // Then the final compaction's own lines.
    assert_eq!(
        rest.first().map(String::as_str),
        Some("shutting down"),
        "{rest:?}"
    );
    // The final snapshot, which only a clean stop writes.
    let snapshot = std::fs::read_to_string(&state).unwrap();
    assert!(snapshot.contains("\"generation\""), "{snapshot}");
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn without_the_flag_the_end_of_its_input_changes_nothing() {
    let mut child = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--quiet"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first.strip_prefix("listening on ").unwrap().to_owned();
    // Its input ended at once; it still answers.
    let url = format!("http://{address}/?Action=DescribeRegions&Version=2014-05-26&Format=JSON");
    let answer = ureq::get(&url)
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(answer.contains("cn-hangzhou"), "{answer}");
    assert_eq!(child.try_wait().unwrap(), None);
    child.kill().unwrap();
    child.wait().unwrap();
}
