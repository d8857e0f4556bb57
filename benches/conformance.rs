//! How fast the conformance harness runs the model against the reference:
//! generated runs of up to 50 steps, each step checked and observed.
//!
//! `cargo bench --all-features --bench conformance`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecs_image_copy::World;
use ecs_image_copy::testing::{
    Conformance, ReferenceStateMachine, SmallWorld, StateMachineTest, WorldMachine,
};
use proptest::test_runner::{Config, TestRng, TestRunner};

/// Runs in one measured batch.
const RUNS: u32 = 100;

fn model_against_model(c: &mut Criterion) {
    let config = Config {
        cases: RUNS,
        failure_persistence: None,
        ..Config::default()
    };
    let strategy = WorldMachine::<SmallWorld>::sequential_strategy(1..=50);
    let mut group = c.benchmark_group("conformance");
    group.throughput(Throughput::Elements(u64::from(RUNS)));
    group.sample_size(20);
    group.bench_function("model_against_model_runs", |b| {
        b.iter(|| {
            let rng = TestRng::deterministic_rng(config.rng_algorithm);
            let mut runner = TestRunner::new_with_rng(config.clone(), rng);
            let outcome = runner.run(&strategy, |(state, steps, seen)| {
                Conformance::<World>::test_sequential(config.clone(), state, steps, seen);
                Ok(())
            });
            black_box(outcome).expect("the model conforms to itself");
        })
    });
    group.finish();
}

criterion_group!(benches, model_against_model);
criterion_main!(benches);
