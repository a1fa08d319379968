//! Facts the tests need from the stage sources, read from those sources,
//! so that a stage that changes one changes its tests with it.

use crate::{target, workspace_root};

/// The text of `path`, relative to the workspace root.
fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The number of worker processes in `stage`'s pool: `WORKERS` in its
/// pool.rs.
pub fn workers(stage: &str) -> usize {
    let path = format!("{stage}/src/pool.rs");
    read(&path)
        .lines()
        .find_map(|line| line.strip_prefix("const WORKERS: usize = "))
        .and_then(|rest| rest.strip_suffix(';')?.parse().ok())
        .unwrap_or_else(|| panic!("no `const WORKERS: usize = N;` in {path}"))
}

/// The processes a server of `stage` forks: its workers and the watcher.
pub fn children(stage: &str) -> usize {
    workers(stage) + 1
}

/// The number of the error `name` on the target under test, from the row
/// `NAME XNU LINUX "text";` of the table in `stage`'s sys/errno.rs.
pub fn errno(stage: &str, name: &str) -> u32 {
    let path = format!("{stage}/src/sys/errno.rs");
    let text = read(&path);
    let row = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|words| words.first() == Some(&name))
        .unwrap_or_else(|| panic!("no row for {name} in {path}"));
    let column = if target().contains("apple-darwin") {
        1
    } else {
        2
    };
    row.get(column)
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no number in column {column} of {row:?} in {path}"))
}
