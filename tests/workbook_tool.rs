//! `tools/workbook`, the learner's way to apply and revert an exercise's
//! solution or a break, run in a scratch copy of the workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use workbook_tests::{diff, patched, workspace_root};

/// A copy of the script, the patches and the stages, in a folder of its own
/// under target/: no repository around it counts (see `patched::git_apply`).
fn scratch() -> PathBuf {
    let dir = workspace_root()
        .join("target/exercises/tool-test")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    let root = workspace_root();
    let mut files = vec![PathBuf::from("tools/workbook")];
    for folder in workbook_tests::stages()
        .into_iter()
        .chain(["book/patches".to_owned()])
    {
        files.extend(
            diff::files_in(&root.join(&folder))
                .into_iter()
                .map(|f| Path::new(&folder).join(f)),
        );
    }
    for file in files {
        let to = dir.join(&file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&file), &to).unwrap();
    }
    dir
}

fn workbook(dir: &Path, args: &[&str]) -> Output {
    Command::new(dir.join("tools/workbook"))
        .args(args)
        .current_dir(dir.join("book"))
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn applies_reverts_and_refuses_cleanly() {
    let dir = scratch();
    let name = "ch01-status-wraps";
    let main = dir.join("stage01_exit/src/main.rs");
    let original = std::fs::read(&main).unwrap();

    let list = workbook(&dir, &["list"]);
    assert!(list.status.success());
    for kind in [patched::EXERCISES, patched::BREAKS] {
        for patch in patched::names(kind) {
            assert!(text(&list.stdout).contains(&patch), "{patch} not listed");
        }
    }

    let applied = workbook(&dir, &["apply", name]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(text(&std::fs::read(&main).unwrap()).contains("exit(298)"));

    // Twice: refused, and nothing changes.
    let changed = std::fs::read(&main).unwrap();
    let again = workbook(&dir, &["apply", name]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already applied"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read(&main).unwrap(), changed);

    // Another solution of the same lines: refused, with git's reason.
    let other = workbook(&dir, &["apply", "ch01-exit-with-pid"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other.stderr).contains("does not apply"),
        "{}",
        text(&other.stderr)
    );
    assert_eq!(std::fs::read(&main).unwrap(), changed);

    let reverted = workbook(&dir, &["revert", name]);
    assert!(reverted.status.success(), "{}", text(&reverted.stderr));
    assert_eq!(std::fs::read(&main).unwrap(), original);
    let nothing = workbook(&dir, &["revert", name]);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(text(&nothing.stderr).contains("not applied"));

    let unknown = workbook(&dir, &["apply", "no-such-exercise"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(workbook(&dir, &[]).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
