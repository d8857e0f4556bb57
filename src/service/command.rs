//! One call that changed the world, as a value: what a server journals and
//! replays.

use crate::service::{Answer, Request, Timestamp, World, WorldError};

/// A request that changed the world, with who made it and when: applying
/// the same commands to equal worlds gives equal worlds, so a server can
/// journal the commands it applied and replay them after a restart.
///
/// ```
/// use ecs_image_copy::mock::MockCreateImage;
/// use ecs_image_copy::{Answer, Command, Timestamp, World};
///
/// let mut create = MockCreateImage::default();
/// create.region_id = Some("cn-hangzhou".into());
/// create.image_name = Some("web".into());
/// let command = Command::new("alice", create, Timestamp::from_unix_seconds(0));
/// let (mut first, mut second) = (World::default(), World::default());
/// let Answer::Image(made) = command.apply(&mut first)? else { unreachable!() };
/// assert!(matches!(command.apply(&mut second)?, Answer::Image(again) if again == made));
/// # Ok::<(), ecs_image_copy::WorldError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
#[non_exhaustive]
pub struct Command {
    /// The calling account.
    pub caller: String,
    /// When the call was made.
    pub now: Timestamp,
    /// The request.
    pub request: Request,
}

impl Command {
    /// `request` from `caller` at `now`.
    pub fn new(caller: impl Into<String>, request: impl Into<Request>, now: Timestamp) -> Command {
        Command {
            caller: caller.into(),
            now,
            request: request.into(),
        }
    }

    /// Applies the command, as [`World::handle`]; on an error the world is
    /// unchanged.
    pub fn apply<'w>(&self, world: &'w mut World) -> Result<Answer<'w>, WorldError> {
        world.handle(&self.caller, &self.request, self.now)
    }
}
