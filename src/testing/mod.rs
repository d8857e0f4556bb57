//! Property testing against the reference semantics (feature `proptest`).
//!
//! Strategies for the model's values and requests, reference state
//! machines for one copy task ([`TaskMachine`]) and for the whole service
//! ([`WorldMachine`]), and a harness ([`Conformance`]) that checks any
//! system implementing [`CopyService`] against the reference, step by step:
//! as a `prop_state_machine!` test that panics on the first difference, or
//! as a function, [`Conformance::run`], that answers the [`Coverage`] of
//! the runs or a shrunk [`Counterexample`]. See `docs/testing.md` for a
//! guide.
//!
//! Add to `[dev-dependencies]`:
//!
//! ```toml
//! ecs-image-copy = { version = "0.1", features = ["proptest"] }
//! proptest = "1"
//! ```
//!
//! `proptest` is needed because [`prop_state_machine!`] expands to
//! `proptest::proptest!`. `proptest-state-machine` is not: this module
//! re-exports its traits and its macro.

mod coverage;
mod harness;
mod outcome;
mod reference;
mod service;
mod step;
mod strategy;

pub use self::coverage::{Coverage, Rule};
pub use self::harness::{Conformance, Difference, Harness};
pub use self::outcome::{Counterexample, Runs};
pub use self::reference::{
    ReferenceState, Setup, SmallWorld, TaskMachine, TaskState, WorldMachine, visible_step,
};
pub use self::service::{CopyService, parse_reply, request_query, send_to};
pub use self::step::{ImageRef, IssuedIds, Reply, Seen, Step};
pub use self::strategy::{account, copy_event, copy_image, percent, phase, step, task, world};
pub use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
