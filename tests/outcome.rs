//! The harness as a function: `Conformance::run` answers the coverage of a
//! conforming system, or a short counterexample that its seed finds again.
#![cfg(feature = "proptest")]

mod support;

use support::SameIds;

use ecs_image_copy::mock::{MockCreateImage, MockSetCancellable};
use ecs_image_copy::rpc::Endpoint;
use ecs_image_copy::testing::{
    Conformance, CopyService, Counterexample, Reply, Rule, Runs, Setup, SmallWorld, Step,
};
use ecs_image_copy::{Action, Config, EcsError, Request, World};

/// Answers success to a cancel that the copy's phase refuses: cancels a
/// copy that is finalizing, completed or failed.
#[derive(Debug)]
struct CancelsAnything(World);

impl CopyService for CancelsAnything {
    fn start(config: &Config) -> CancelsAnything {
        CancelsAnything(World::new(config.clone()))
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        let reply = self.0.send(step);
        let refused = [EcsError::SnapshotNotCopying, EcsError::CopyFinished];
        match &reply {
            Reply::Error { code, message, .. }
                if step.request.action() == Action::CancelCopyImage
                    && refused
                        .iter()
                        .any(|e| *code == e.code().to_string() && message == e.message()) =>
            {
                Reply::Done
            }
            _ => reply,
        }
    }
}

/// Panics on DescribeRegions.
#[derive(Debug)]
struct PanicsOnRegions(World);

impl CopyService for PanicsOnRegions {
    fn start(config: &Config) -> PanicsOnRegions {
        PanicsOnRegions(World::new(config.clone()))
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        if step.request.action() == Action::DescribeRegions {
            panic!("no regions here");
        }
        self.0.send(step)
    }
}

fn failure<S: CopyService + std::fmt::Debug>(runs: Runs) -> Counterexample {
    match Conformance::<S>::run(runs) {
        Ok(coverage) => panic!("not caught in {} runs", coverage.runs()),
        Err(counterexample) => counterexample,
    }
}

#[test]
fn a_conforming_system_answers_its_coverage() {
    let coverage = Conformance::<World>::run(Runs::default().cases(20)).unwrap();
    assert_eq!(coverage.runs(), 20);
    assert!(coverage.steps() >= 20);
    assert!(coverage.count(Rule::Passed(Action::MockCreateImage)) > 0);
}

#[test]
fn a_seed_given_back_finds_the_same_counterexample() {
    for seed in [1, 2, 3] {
        let found = failure::<CancelsAnything>(Runs::default().seed(seed));
        assert_eq!(found.runs.seed, seed);
        assert_eq!(failure::<CancelsAnything>(found.runs), found);
    }
}

#[test]
fn different_seeds_find_different_runs() {
    let one = failure::<CancelsAnything>(Runs::default().seed(1));
    let other = failure::<CancelsAnything>(Runs::default().seed(2));
    assert_ne!(
        (one.generated_steps, one.steps),
        (other.generated_steps, other.steps)
    );
}

#[test]
fn the_counterexample_is_shrunk_and_ends_at_its_difference() {
    let found = failure::<CancelsAnything>(Runs::default());
    assert!(found.steps.len() <= found.proptest_steps);
    assert!(found.proptest_steps <= found.generated_steps);
    assert_eq!(found.difference.at, found.steps.len());
    assert_eq!(Some(&found.difference.step), found.steps.last());
    assert_eq!(found.difference.system, Reply::Done);
    assert!(matches!(
        &found.difference.reference,
        Some(Reply::Error { code, .. }) if code == "IncorrectImageStatus"
    ));
    // Make an image, copy it, bring the copy to 100%, cancel it.
    assert!(found.steps.len() <= 4, "{found}");
}

#[test]
fn the_counterexample_reads_as_a_report() {
    let found = failure::<CancelsAnything>(Runs::default().seed(5));
    let report = found.to_string();
    let lines: Vec<&str> = report.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "the system differs from the reference in {} steps (seed 5: `Runs::default().seed(5).cases(256).max_steps(50)` finds it again;",
            found.steps.len()
        )),
        "{report}"
    );
    assert_eq!(lines[1], "#n is the n-th image the run issued, from 0.");
    for (n, step) in found.steps.iter().enumerate() {
        assert_eq!(lines[2 + n], format!("{:>4}. {step}", n + 1));
    }
    let tail = &lines[2 + found.steps.len()..];
    assert_eq!(
        tail[0],
        format!("at step {}, {}", found.steps.len(), found.difference.step)
    );
    assert!(
        tail[1].starts_with("  reference: 400 IncorrectImageStatus: "),
        "{report}"
    );
    assert_eq!(tail[2], "  system:    success");
}

#[test]
fn a_system_that_panics_is_a_counterexample_not_a_panic() {
    let found = failure::<PanicsOnRegions>(Runs::default());
    assert_eq!(found.steps.len(), 1, "{found}");
    assert_eq!(
        found.difference.system,
        Reply::Error {
            status: 0,
            code: "<panicked>".into(),
            message: "no regions here".into(),
        }
    );
}

/// The step as both the model and the endpoint answer it.
fn both(step: &Step<String>) -> (Reply<String>, Reply<String>) {
    let config = SmallWorld::config();
    let mut world = <World as CopyService>::start(&config);
    let mut endpoint = <Endpoint as CopyService>::start(&config);
    (world.send(step), endpoint.send(step))
}

/// A control step with an empty name or region: both answer
/// `MissingParameter`, as ECS does for an empty parameter
/// (docs/semantics.md).
#[test]
fn the_model_and_the_endpoint_answer_empty_parameters_alike() {
    let mut create = MockCreateImage::default();
    create.region_id = Some(String::new());
    create.image_name = Some("web".into());
    let missing_region = Reply::error(EcsError::MissingRegionId);
    assert_eq!(
        both(&Step::new("alice", create.clone())),
        (missing_region.clone(), missing_region)
    );
    create.region_id = Some("cn-hangzhou".into());
    create.image_name = Some(String::new());
    let missing_name = Reply::error(EcsError::MissingImageName);
    assert_eq!(
        both(&Step::new("alice", create)),
        (missing_name.clone(), missing_name)
    );
    let mut set = MockSetCancellable::default();
    set.region_id = Some(String::new());
    set.image_id = Some(String::new());
    set.cancellable = Some(true);
    let (world, endpoint) = both(&Step::new("alice", Request::from(set)));
    assert_eq!(world, endpoint);
    assert_eq!(world, Reply::error(EcsError::MissingRegionId));
}

/// Every generated step gets the same answer from the endpoint as from the
/// model, empty parameters included: the runs reach every action's
/// "absent or empty" check.
#[test]
fn the_endpoint_answers_every_generated_step_as_the_model_does() {
    let coverage = match Conformance::<Endpoint, SameIds>::run(Runs::default()) {
        Ok(coverage) => coverage,
        Err(counterexample) => panic!("{counterexample}"),
    };
    for &action in Action::ALL {
        let Some(first) = action.checks().first() else {
            continue;
        };
        if first.condition.contains("absent or empty") {
            assert!(
                coverage.count(Rule::Check(action, 0)) > 0,
                "{action}: {}",
                first.condition
            );
        }
    }
}
