//! Prints the decision table, then walks one copy through its phases and
//! shows what CancelCopyImage answers in each.
//!
//! `cargo run --example walkthrough`

use ecs_image_copy::{CopyTask, EcsError, Percent, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", render::decision_table());

    let mut task = CopyTask::new();
    let mut steps = vec![("CopyImage", task)];
    task = task.start()?;
    steps.push(("start", task));
    for percent in [35, 80, 100] {
        task = task.progress_to(Percent::new(percent).ok_or("a percentage above 100")?)?;
        steps.push(("progress", task));
    }
    task = task.complete()?;
    steps.push(("complete", task));

    println!("| step | phase | Status | Progress | CancelCopyImage would answer |");
    println!("|---|---|---|---|---|");
    for (step, task) in steps {
        let status = task.status().map_or("-".to_owned(), |s| s.to_string());
        println!(
            "| {step} | {} | {status} | {} | {} |",
            task.phase(),
            task.progress(),
            answer(task.cancel())
        );
    }
    Ok(())
}

fn answer(cancel: Result<CopyTask, EcsError>) -> String {
    match cancel {
        Ok(task) => format!("200: the copy is {}", task.phase()),
        Err(error) => format!("{} {}: {}", error.status(), error.code(), error.message()),
    }
}
