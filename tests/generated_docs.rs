//! The generated blocks of `docs/` must match the tables they render.
//!
//! Regenerate them with:
//! `UPDATE_DOCS=1 cargo test --all-features --test generated_docs`

use std::path::Path;

use ecs_image_copy::{Action, render};

const REGENERATE: &str = "UPDATE_DOCS=1 cargo test --all-features --test generated_docs";

/// Each generated block: the file, the block's name, and its fresh content.
fn blocks() -> Vec<(&'static str, &'static str, String)> {
    let fenced = |lang: &str, body: String| format!("```{lang}\n{body}```\n");
    vec![
        (
            "docs/semantics.md",
            "decision-table",
            render::decision_table(),
        ),
        ("docs/semantics.md", "cancel-table", render::cancel_table()),
        (
            "docs/semantics.md",
            "state-diagram",
            fenced("mermaid", render::state_diagram()),
        ),
        (
            "docs/semantics.md",
            "copy-image-checks",
            render::checks(Action::CopyImage.checks()),
        ),
        (
            "docs/semantics.md",
            "cancel-copy-image-checks",
            render::checks(Action::CancelCopyImage.checks()),
        ),
        (
            "docs/semantics.md",
            "describe-images-checks",
            render::checks(Action::DescribeImages.checks()),
        ),
        ("docs/errors.md", "error-catalog", render::error_catalog()),
        ("docs/mock-server.md", "api-actions", render::actions(false)),
        ("docs/mock-server.md", "mock-actions", render::actions(true)),
        ("docs/mock-server.md", "mock-checks", mock_checks()),
        ("docs/semantics.md", "lifecycle-checks", lifecycle_checks()),
        (
            "docs/semantics.md",
            "image-life",
            fenced("mermaid", render::image_life()),
        ),
    ]
}

/// The checks of the actions around a copy, under each one's name.
fn lifecycle_checks() -> String {
    let around = [
        Action::DeleteImage,
        Action::ModifyImageAttribute,
        Action::ModifyImageSharePermission,
        Action::DescribeImageSharePermission,
        Action::TagResources,
        Action::UntagResources,
        Action::ListTagResources,
        Action::DescribeRegions,
        Action::DeleteSnapshot,
    ];
    let lists = around.iter().map(|action| match action.checks() {
        [] => format!("### {action}\n\nNo check: every parameter is optional.\n"),
        checks => format!("### {action}\n\n{}", render::checks(checks)),
    });
    lists.collect::<Vec<_>>().join("\n")
}

/// Each mock control action's checks, under its name.
fn mock_checks() -> String {
    let mock = Action::ALL.iter().filter(|action| action.is_mock());
    let lists = mock.map(|action| format!("`{action}`:\n\n{}", render::checks(action.checks())));
    lists.collect::<Vec<_>>().join("\n")
}

/// Replaces the text between `<!-- BEGIN GENERATED: name -->` and
/// `<!-- END GENERATED: name -->`, or `None` when the markers are missing.
fn splice(doc: &str, name: &str, content: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN GENERATED: {name} -->\n");
    let end = format!("<!-- END GENERATED: {name} -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = start + doc[start..].find(&end)?;
    Some(format!("{}{content}{}", &doc[..start], &doc[stop..]))
}

#[test]
fn generated_docs_match_the_tables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (file, name, content) in blocks() {
        let path = root.join(file);
        let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let fresh = splice(&doc, name, &content)
            .unwrap_or_else(|| panic!("{file} lacks the markers of the generated block `{name}`"));
        if fresh == doc {
            continue;
        }
        if update {
            std::fs::write(&path, fresh).unwrap_or_else(|e| panic!("{file}: {e}"));
        } else {
            stale.push(format!("{file} ({name})"));
        }
    }
    assert!(
        stale.is_empty(),
        "generated docs are stale: {}\nregenerate them with: {REGENERATE}",
        stale.join(", ")
    );
}
