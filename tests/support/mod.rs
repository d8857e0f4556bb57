//! What several test files share: proptest case counts that
//! `PROPTEST_CASES` can raise, and the setup of this crate's own systems.
// Each test file uses a part of this module.
#![allow(dead_code)]

/// A proptest config with `default` cases, or as many as the environment
/// variable `PROPTEST_CASES` says: the defaults keep `cargo test` fast,
/// and `PROPTEST_CASES=10000 cargo test --all-features` runs more.
pub fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok());
    proptest::test_runner::Config {
        cases: cases.unwrap_or(default),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// `SmallWorld` for this crate's own systems, which issue the reference's
/// IDs: runs also delete real snapshots.
#[cfg(feature = "proptest")]
#[derive(Debug)]
pub struct SameIds;

#[cfg(feature = "proptest")]
impl ecs_image_copy::testing::Setup for SameIds {
    fn config() -> ecs_image_copy::Config {
        ecs_image_copy::testing::SmallWorld::config()
    }

    fn issues_reference_ids() -> bool {
        true
    }
}
