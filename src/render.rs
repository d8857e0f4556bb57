//! Markdown and Mermaid renderings of the tables, for generated docs: public
//! only for the docs' test, which checks `docs/` against them.
//!
//! `docs/semantics.md` and `docs/errors.md` embed these; a test fails when
//! the files drift from the tables.

use core::fmt::Write;

use crate::{
    Action, Check, CopyPhase, EcsError, EventKind, Guard, ImageStatus, LifeStep, Outcome,
    Transition,
};

/// The transition table as a Markdown decision table, one row per
/// (phase, event, guard).
///
/// ```
/// let table = ecs_image_copy::render::decision_table();
/// assert!(table.contains("| Finalizing | cancel | always | refused: 400 `IncorrectImageStatus` \"The specified snapshot is not coping.\" |"));
/// ```
pub fn decision_table() -> String {
    let mut out = String::from("| phase | event | when | outcome |\n|---|---|---|---|\n");
    for t in Transition::ALL {
        let outcome = match t.outcome {
            Outcome::Enter(phase) => format!("enters {phase}"),
            Outcome::Refuse(error) => format!("refused: {}", wire(error)),
            Outcome::Reject => "rejected: `TransitionError::NotAllowed`".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {outcome} |",
            t.from,
            t.event,
            guard(t.guard)
        );
    }
    out
}

/// The legal moves of the transition table as a Mermaid `stateDiagram-v2`.
pub fn state_diagram() -> String {
    let mut out = String::from("stateDiagram-v2\n    [*] --> Queued: CopyImage\n");
    for t in Transition::ALL {
        if let Outcome::Enter(to) = t.outcome {
            let label = match t.guard {
                Guard::Always => t.event.to_string(),
                other => format!("{} [{}]", t.event, guard(other)),
            };
            let _ = writeln!(out, "    {} --> {to}: {label}", t.from);
        }
    }
    for phase in CopyPhase::ALL.into_iter().filter(|p| p.is_terminal()) {
        let _ = writeln!(out, "    {phase} --> [*]");
    }
    out
}

/// An image's whole life as a Mermaid `stateDiagram-v2` of its `Status`:
/// the actions' moves ([`LifeStep::ALL`]) and the copy's own
/// ([`Transition::ALL`], its phases shown as the statuses they report).
pub fn image_life() -> String {
    let name = |status: Option<ImageStatus>| status.map_or("[*]".to_owned(), |s| s.to_string());
    let mut edges: Vec<(String, String, String)> = Vec::new();
    let mut add = |from: String, to: String, label: String| {
        if !edges
            .iter()
            .any(|(f, t, l)| *f == from && *t == to && *l == label)
        {
            edges.push((from, to, label));
        }
    };
    for step in LifeStep::ALL {
        add(
            name(step.from),
            name(step.to),
            format!("{} [{}]", step.by, step.when),
        );
    }
    let lifecycle = Transition::ALL.iter().filter(|t| t.event.is_lifecycle());
    for t in lifecycle {
        if let (Outcome::Enter(to), Some(from)) = (t.outcome, t.from.status()) {
            let to = to.status();
            if Some(from) != to {
                add(name(Some(from)), name(to), t.event.to_string());
            }
        }
    }
    let mut out = String::from("stateDiagram-v2\n");
    for (from, to, label) in edges {
        let _ = writeln!(out, "    {from} --> {to}: {label}");
    }
    out
}

/// The error catalog as a Markdown table.
pub fn error_catalog() -> String {
    let mut out = String::from(
        "| error | HTTP | code | message | message from | raised by | answered by |\n|---|---|---|---|---|---|---|\n",
    );
    for &error in EcsError::ALL {
        let _ = writeln!(
            out,
            "| `{error:?}` | {} | `{}` | {} | {} | {} | {} |",
            error.status(),
            error.code(),
            error.message(),
            error.provenance(),
            error.layer(),
            answered_by(error),
        );
    }
    out
}

/// The actions whose checks, or whose cancel table, answer `error`; the
/// errors of the protocol and the server come from any action.
fn answered_by(error: EcsError) -> String {
    let cancels = Transition::ALL
        .iter()
        .any(|t| t.outcome == Outcome::Refuse(error));
    let actions: Vec<String> = (Action::ALL.iter())
        .filter(|action| {
            let checked = action.checks().iter().any(|check| check.error == error);
            checked || (cancels && **action == Action::CancelCopyImage)
        })
        .map(|action| action.to_string())
        .collect();
    match (actions.is_empty(), error) {
        (false, _) => actions.join(", "),
        (true, EcsError::DryRunOperation) => "any with `DryRun`".to_owned(),
        (true, _) => "any".to_owned(),
    }
}

/// The cancel column of the table: what CancelCopyImage answers per phase.
pub fn cancel_table() -> String {
    let mut out = String::from("| phase | when | CancelCopyImage answers |\n|---|---|---|\n");
    let cancels = Transition::ALL
        .iter()
        .filter(|t| t.event == EventKind::Cancel);
    for t in cancels {
        let answer = match t.outcome {
            Outcome::Enter(phase) => format!("200, the copy is {phase}"),
            Outcome::Refuse(error) => wire(error),
            Outcome::Reject => continue,
        };
        let _ = writeln!(out, "| {} | {} | {answer} |", t.from, guard(t.guard));
    }
    out
}

/// Every action with its wire parameters, as a Markdown table.
pub fn actions(mock: bool) -> String {
    let mut out = String::from("| action | parameters |\n|---|---|\n");
    for action in Action::ALL.iter().filter(|action| action.is_mock() == mock) {
        let parameters: Vec<String> = (action.parameters().iter())
            .map(|name| match *name {
                "Tag.N" => "`Tag.N.Key`, `Tag.N.Value`".to_owned(),
                name => format!("`{name}`"),
            })
            .collect();
        let _ = writeln!(out, "| `{action}` | {} |", parameters.join(", "));
    }
    out
}

/// An action's checks as a numbered Markdown list, in precedence order.
pub fn checks(checks: &[Check]) -> String {
    let mut out = String::new();
    for (number, check) in checks.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}: {}",
            number + 1,
            check.condition,
            wire(check.error)
        );
    }
    out
}

fn wire(error: EcsError) -> String {
    format!(
        "{} `{}` \"{}\"",
        error.status(),
        error.code(),
        error.message()
    )
}

fn guard(guard: Guard) -> &'static str {
    match guard {
        Guard::Always => "always",
        Guard::Cancellable => "cancellable",
        Guard::NotCancellable => "not cancellable",
        Guard::Below100 => "N < 100%",
        Guard::At100 => "N = 100%",
    }
}
