//! Reference state machines: one copy task, and the whole service.

use std::marker::PhantomData;

use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;

use super::service::CopyService;
use super::step::{IssuedIds, Reply, Step};
use super::strategy;
use crate::service::{Config, DescribeImages, World};
use crate::task::{CopyEvent, CopyTask, EventError};

/// The reference for one copy task: transitions are [`CopyEvent`]s, and the
/// state records the answer to the last one.
///
/// ```
/// use ecs_image_copy::testing::{ReferenceStateMachine, TaskMachine};
/// use ecs_image_copy::{CopyEvent, EcsError, EventError};
///
/// let state = TaskMachine::apply(TaskMachine::new_state(true), &CopyEvent::Complete);
/// assert!(matches!(state.last, Some(Err(EventError::Invalid(_)))));
/// let state = TaskMachine::apply(state, &CopyEvent::Cancel);
/// assert!(state.last.unwrap().is_ok());
/// assert_eq!(TaskMachine::apply(state, &CopyEvent::Cancel).last,
///            Some(Err(EventError::Refused(EcsError::ImageNotFound))));
/// ```
pub struct TaskMachine;

/// The state of [`TaskMachine`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TaskState {
    /// The task.
    pub task: CopyTask,
    /// The answer to the last event: the new task, or why it was refused.
    pub last: Option<Result<CopyTask, EventError>>,
}

impl TaskMachine {
    /// A queued task, cancellable or not, before any event.
    pub fn new_state(cancellable: bool) -> TaskState {
        TaskState {
            task: CopyTask::new().with_cancellable(cancellable),
            last: None,
        }
    }
}

impl ReferenceStateMachine for TaskMachine {
    type State = TaskState;
    type Transition = CopyEvent;

    fn init_state() -> BoxedStrategy<TaskState> {
        any::<bool>().prop_map(TaskMachine::new_state).boxed()
    }

    fn transitions(_: &TaskState) -> BoxedStrategy<CopyEvent> {
        strategy::copy_event().boxed()
    }

    fn apply(mut state: TaskState, event: &CopyEvent) -> TaskState {
        let answer = state.task.apply(*event);
        if let Ok(task) = answer {
            state.task = task;
        }
        state.last = Some(answer);
        state
    }
}

/// The world a reference run starts from, and who acts in it.
pub trait Setup: 'static {
    /// The regions and copy limits; the system under test gets the same.
    fn config() -> Config;

    /// The accounts that make calls.
    fn accounts() -> &'static [&'static str] {
        &["alice", "bob"]
    }

    /// The regions calls name: real ones of the config, then one that
    /// does not exist.
    fn regions() -> &'static [&'static str] {
        &["cn-hangzhou", "cn-beijing", "nowhere"]
    }

    /// Whether the system under test issues the reference's own image IDs,
    /// as this crate's systems do from the same config. Runs then also
    /// delete snapshots by the IDs the reference gives them (a system disk
    /// snapshot's ID is its own system's, as an image's is, so a run can
    /// name a real one only in a system that issues the same IDs); else
    /// DeleteSnapshot names only snapshots that do not exist.
    fn issues_reference_ids() -> bool {
        false
    }
}

/// The default setup: the default regions, two copies at once in each, so
/// that short runs fill queues.
#[derive(Debug)]
pub struct SmallWorld;

impl Setup for SmallWorld {
    fn config() -> Config {
        let two = std::num::NonZeroU32::MIN.saturating_add(1);
        Config::default().with_copy_limit(two)
    }
}

/// The reference for the whole service: transitions are [`Step`]s (API
/// calls and mock control operations from several accounts, illegal ones
/// too), applied to a [`World`]; the state records the answer to the last.
pub struct WorldMachine<S = SmallWorld>(PhantomData<S>);

/// The state of [`WorldMachine`].
#[derive(Clone, Debug)]
pub struct ReferenceState {
    /// The model.
    pub world: World,
    /// The images issued so far, in order.
    pub ids: IssuedIds,
    /// The answer to the last step.
    pub last: Option<Reply>,
}

impl ReferenceState {
    /// A state with an empty world of `config`.
    pub fn new(config: Config) -> ReferenceState {
        ReferenceState {
            world: World::new(config),
            ids: IssuedIds::default(),
            last: None,
        }
    }

    /// Applies `step` and returns the reference's answer.
    pub fn perform(&mut self, step: &Step) -> Reply {
        let resolved = step.clone().map_images(|image| self.ids.resolve(&image));
        let reply = self.world.send(&resolved);
        self.ids.normalize(reply)
    }

    /// What `account` sees of its images in `region` (every status, the
    /// first hundred), as the harness asks a system after each step.
    pub fn visible(&self, account: &str, region: &str) -> Reply {
        let mut world = self.world.clone();
        self.ids.name(world.send(&visible_step(account, region)))
    }
}

/// DescribeImages of every image `account` has in `region`.
pub fn visible_step<I>(account: &str, region: &str) -> Step<I> {
    let describe = DescribeImages {
        region_id: Some(region.to_owned()),
        status: Some("Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated".to_owned()),
        page_size: Some(100),
        ..DescribeImages::default()
    };
    Step::new(account, describe)
}

impl<S: Setup> ReferenceStateMachine for WorldMachine<S> {
    type State = ReferenceState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<ReferenceState> {
        Just(ReferenceState::new(S::config())).boxed()
    }

    fn transitions(state: &ReferenceState) -> BoxedStrategy<Step> {
        let step = strategy::step(state, S::accounts(), S::regions());
        match S::issues_reference_ids() {
            true => prop_oneof![
                72 => step,
                4 => strategy::own_snapshot(state, S::accounts()),
            ]
            .boxed(),
            false => step,
        }
    }

    /// Steps stay permissive, so that error paths are exercised; only an
    /// image issued by a step that shrinking removed is ruled out.
    fn preconditions(state: &ReferenceState, step: &Step) -> bool {
        step.names_only_issued(state.ids.len())
    }

    fn apply(mut state: ReferenceState, step: &Step) -> ReferenceState {
        state.last = Some(state.perform(step));
        state
    }
}
