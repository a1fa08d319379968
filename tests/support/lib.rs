//! What every integration test needs: the stage binaries, built from the
//! current sources, and a way to run them on the target under test.
//!
//! By default the tests build the stages for this machine with the same
//! `cargo` that runs them, so a test can never pick up a stale binary or
//! another stage's. Three environment variables point the same tests at
//! another target:
//!
//! | variable          | meaning                                                   |
//! |-------------------|-----------------------------------------------------------|
//! | `WORKBOOK_TARGET` | target triple; if it is not this machine's, the stages    |
//! |                   | are built for it with `tools/cross/build`                 |
//! | `WORKBOOK_RUNNER` | command that runs a binary of that target, e.g.           |
//! |                   | `qemu-aarch64` (split on spaces, the binary appended)     |
//! | `WORKBOOK_BIN_DIR`| use the binaries in this folder instead of building them  |
//!
//! For example, Linux on aarch64 under qemu:
//! `WORKBOOK_TARGET=aarch64-unknown-linux-gnu WORKBOOK_RUNNER=qemu-aarch64 cargo test`

pub mod diff;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root: the folder above this package.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
}

/// The target the stages run on: `WORKBOOK_TARGET`, or this machine's.
pub fn target() -> String {
    std::env::var("WORKBOOK_TARGET").unwrap_or_else(|_| HOST_TARGET.to_owned())
}

/// The triple this test binary was compiled for, which is the machine's own.
const HOST_TARGET: &str = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    "x86_64-unknown-linux-gnu"
} else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    "aarch64-unknown-linux-gnu"
} else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
    "aarch64-apple-darwin"
} else {
    "unsupported"
};

/// The path of a stage's binary, built once per test process.
pub fn stage_binary(stage: &str) -> PathBuf {
    static DIR: OnceLock<Binaries> = OnceLock::new();
    DIR.get_or_init(Binaries::locate).path(stage)
}

/// Where the binaries come from: a folder given or built by the cross
/// script, or the exact files cargo reported for a native build.
enum Binaries {
    Folder(PathBuf),
    Built(Vec<PathBuf>),
}

impl Binaries {
    fn locate() -> Binaries {
        if let Ok(dir) = std::env::var("WORKBOOK_BIN_DIR") {
            return Binaries::Folder(PathBuf::from(dir));
        }
        let target = target();
        if target != HOST_TARGET {
            let script = workspace_root().join("tools/cross/build");
            let out = checked(Command::new(script).arg(&target), "tools/cross/build");
            let last_line = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .map(str::to_owned);
            return Binaries::Folder(PathBuf::from(
                last_line.expect("the script prints the folder"),
            ));
        }
        Binaries::Built(build_native())
    }

    fn path(&self, stage: &str) -> PathBuf {
        let path = match self {
            Binaries::Folder(dir) => dir.join(stage),
            Binaries::Built(paths) => paths
                .iter()
                .find(|p| p.file_name().is_some_and(|name| name == stage))
                .unwrap_or_else(|| panic!("cargo built no binary named {stage}"))
                .clone(),
        };
        assert!(
            path.is_file(),
            "no binary for {stage} at {}",
            path.display()
        );
        path
    }
}

/// Builds every stage with the cargo running these tests and returns the
/// executables cargo reports, read from its JSON messages.
fn build_native() -> Vec<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace_root())
        .args(["build", "--message-format=json-render-diagnostics"]);
    for stage in stages() {
        build.args(["-p", &stage]);
    }
    let out = checked(&mut build, "cargo build");
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(executable_in)
        .map(PathBuf::from)
        .collect()
}

/// The value of `"executable":"..."` in one line of cargo's JSON output.
fn executable_in(line: &str) -> Option<String> {
    let rest = line.split_once(r#""executable":""#)?.1;
    Some(rest.split_once('"')?.0.replace(r"\\", r"\"))
}

/// The stage packages, found as `stageNN_name` folders in the workspace.
pub fn stages() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root())
        .expect("the workspace root is readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("stage") && name.contains('_'))
        .collect();
    names.sort();
    names
}

/// Runs a command to completion, failing the test with its stderr if it fails.
fn checked(command: &mut Command, what: &str) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The runner prefix from `WORKBOOK_RUNNER`, if any.
fn runner() -> Vec<String> {
    std::env::var("WORKBOOK_RUNNER")
        .map(|r| r.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A command that runs `stage` with `args` on the target under test.
pub fn stage(stage: &str) -> Command {
    let binary = stage_binary(stage);
    let mut words = runner();
    words.push(binary.display().to_string());
    let mut command = Command::new(&words[0]);
    command.args(&words[1..]);
    command
}

/// Like [`stage`], but started through `sh` with standard output closed,
/// as `stage02_write hi >&-` does in a shell.
pub fn stage_with_stdout_closed(stage_name: &str, args: &[&str]) -> Command {
    let inner = stage(stage_name);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"exec "$@" >&-"#)
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(args);
    command
}

/// A run's exit status, stdout and stderr as one readable text, the form
/// the snapshots keep.
pub fn transcript(out: &Output) -> String {
    let status = match out.status.code() {
        Some(code) => format!("exit status: {code}"),
        None => format!("killed: {:?}", out.status),
    };
    format!(
        "{status}\n--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
