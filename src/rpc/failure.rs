//! Why a request failed: a catalog error, and what the wire adds to it.

use std::borrow::Cow;

use crate::service::WorldError;
use crate::task::EcsError;

/// A failed request.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) error: EcsError,
    /// Written after the catalog message. The service appends its V1
    /// string to sign to `SignatureDoesNotMatch`, and the classic SDKs read
    /// it back (they fail on a message without it).
    pub(crate) message_suffix: Option<String>,
    /// Replaces the usual diagnosis link in `Recommend`.
    pub(crate) recommend: Option<String>,
}

impl Failure {
    /// The wire `Message`.
    pub(crate) fn message(&self) -> Cow<'static, str> {
        match &self.message_suffix {
            Some(suffix) => Cow::Owned(format!("{}{suffix}", self.error.message())),
            None => Cow::Borrowed(self.error.message()),
        }
    }
}

impl From<EcsError> for Failure {
    fn from(error: EcsError) -> Failure {
        Failure {
            error,
            message_suffix: None,
            recommend: None,
        }
    }
}

impl From<WorldError> for Failure {
    fn from(error: WorldError) -> Failure {
        let recommend = match error {
            WorldError::Transition(transition) => Some(transition.to_string()),
            _ => None,
        };
        Failure {
            recommend,
            ..Failure::from(error.ecs_error())
        }
    }
}
