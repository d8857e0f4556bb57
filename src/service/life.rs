//! The image's life around a copy, as data: how the actions move an
//! image's `Status`, beside the copy's own moves (the transition table).
//! The docs draw both as one diagram, and a test walks every row.

use crate::service::Action;
use crate::task::ImageStatus;

/// One move of an image's `Status` that an action makes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct LifeStep {
    /// The status before; `None` for an image the action makes.
    pub from: Option<ImageStatus>,
    /// The action.
    pub by: Action,
    /// The status after; `None` once the image is gone.
    pub to: Option<ImageStatus>,
    /// When it moves so.
    pub when: &'static str,
}

const fn step(
    from: Option<ImageStatus>,
    by: Action,
    to: Option<ImageStatus>,
    when: &'static str,
) -> LifeStep {
    LifeStep { from, by, to, when }
}

use ImageStatus::{Available, CreateFailed, Creating, Deprecated, Waiting};

impl LifeStep {
    /// Every move the actions make. A copy's moves between them (it
    /// starts, progresses, completes or fails) are the transition table's,
    /// [`Transition::ALL`](crate::Transition::ALL).
    pub const ALL: &'static [LifeStep] = &[
        step(
            None,
            Action::MockCreateImage,
            Some(Available),
            "an image of one's own",
        ),
        step(
            None,
            Action::CopyImage,
            Some(Creating),
            "a copy slot is free",
        ),
        step(None, Action::CopyImage, Some(Waiting), "the slots are busy"),
        step(Some(Waiting), Action::CancelCopyImage, None, "cancellable"),
        step(
            Some(Creating),
            Action::CancelCopyImage,
            None,
            "cancellable, still copying",
        ),
        step(
            Some(Available),
            Action::ModifyImageAttribute,
            Some(Deprecated),
            "Status=Deprecated, not shared",
        ),
        step(
            Some(Deprecated),
            Action::ModifyImageAttribute,
            Some(Available),
            "Status=Available",
        ),
        step(Some(Available), Action::DeleteImage, None, "not shared"),
        step(Some(Deprecated), Action::DeleteImage, None, "not shared"),
        step(Some(CreateFailed), Action::DeleteImage, None, "not shared"),
    ];
}
