//! The workbook's exercises and breaks: patches in `book/patches`, applied
//! to a scratch copy of the workspace and built for this machine, so that
//! a test can run the patched stage with the usual helpers
//! ([`crate::with_binaries`]).
//!
//! - `book/patches/exercises/NAME.patch`: the solution of an exercise;
//! - `book/patches/breaks/NAME.patch`: a stage broken the way a chapter's
//!   "What goes wrong" describes.
//!
//! Each patch is `git diff` output against the workspace root and touches
//! one stage only. A patched copy lives in `target/exercises/src/NAME`,
//! rewritten file by file only where it changed, and builds into a target
//! folder of its own, `target/exercises/target/NAME`: a second run
//! rebuilds nothing. One target folder for all the copies would save
//! nothing (a host build needs nothing but the stage), and it would be
//! wrong: two copies of one stage get the same `-C metadata`, so they
//! share fingerprints, which cargo judges by the times files were
//! written, and a copy written before another's build would count as
//! built (a break once linked with another copy's build-script output).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The two kinds of patch, by folder.
pub const EXERCISES: &str = "exercises";
pub const BREAKS: &str = "breaks";

/// One patch, read from `book/patches/KIND/NAME.patch`.
pub struct Patch {
    pub name: String,
    pub kind: &'static str,
    pub path: PathBuf,
    /// The stage folder it changes, such as `stage05_parse`.
    pub stage: String,
}

impl Patch {
    /// The solution of exercise `name`.
    pub fn exercise(name: &str) -> Patch {
        Patch::load(EXERCISES, name)
    }

    /// The break `name`.
    pub fn breaking(name: &str) -> Patch {
        Patch::load(BREAKS, name)
    }

    fn load(kind: &'static str, name: &str) -> Patch {
        let path = patches_dir(kind).join(format!("{name}.patch"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let stages: BTreeSet<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("diff --git a/"))
            .map(|file| file.split('/').next().unwrap_or(""))
            .collect();
        assert!(
            stages.len() == 1 && stages.iter().all(|s| s.starts_with("stage")),
            "{} must change exactly one stage folder, not {stages:?}",
            path.display()
        );
        let stage = stages.into_iter().next().unwrap_or_default().to_owned();
        Patch {
            name: name.to_owned(),
            kind,
            path,
            stage,
        }
    }

    /// A build of the patched stage, debug, with no extra environment.
    pub fn build(&self) -> Build<'_> {
        Build {
            patch: self,
            release: false,
            env: Vec::new(),
        }
    }
}

/// `book/patches/KIND`.
pub fn patches_dir(kind: &str) -> PathBuf {
    crate::workspace_root().join("book/patches").join(kind)
}

/// The names of every patch of `kind`, sorted.
pub fn names(kind: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(patches_dir(kind))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".patch").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Why the patched stages are not run in this test run, if they are not:
/// they are built and run for this machine only, in the plain `cargo
/// test`; `tools/exercises/cross-build` compiles the solutions for the
/// other targets. Prints the reason, as a skipped test would.
pub fn skipped(test: &str) -> bool {
    use std::io::Write;
    let other = ["WORKBOOK_TARGET", "WORKBOOK_RUNNER", "WORKBOOK_BIN_DIR"]
        .into_iter()
        .find(|var| std::env::var_os(var).is_some());
    if let Some(var) = other {
        let _ = writeln!(
            std::io::stderr(),
            "test {test} ... skipped: {var} is set, and patched stages run on this machine only"
        );
    }
    other.is_some()
}

/// A build of a patched stage: debug or release, with extra environment
/// variables for the compiler (such as a value read by `option_env!`).
pub struct Build<'a> {
    patch: &'a Patch,
    release: bool,
    env: Vec<(String, String)>,
}

impl Build<'_> {
    pub fn release(mut self) -> Self {
        self.release = true;
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The copy's own name: the patch's, and what sets this build apart.
    fn label(&self) -> String {
        let mut label = self.patch.name.clone();
        if self.release {
            label.push_str("-release");
        }
        for (name, value) in &self.env {
            label.push_str(&format!("-{name}={value}"));
        }
        label
    }

    /// Applies the patch to a scratch copy and builds its stage. `Ok`: the
    /// folder holding the stage's binary, for [`crate::with_binaries`].
    /// `Err`: the compiler's and linker's messages, for a break that
    /// stops the build. A patch that does not apply fails the test.
    pub fn run(self) -> Result<PathBuf, String> {
        let label = self.label();
        let src = applied_copy(self.patch, &label);
        let target_dir = exercises_dir().join("target").join(&label);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = Command::new(cargo);
        command
            .current_dir(&src)
            .env_remove("CARGO_TARGET_DIR")
            .args(["build", "--message-format=json-render-diagnostics", "-p"])
            .arg(&self.patch.stage)
            .arg("--target-dir")
            .arg(&target_dir);
        if self.release {
            command.arg("--release");
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let executable = stdout
            .lines()
            .filter(|line| line.contains(&format!("\"name\":\"{}\"", self.patch.stage)))
            .find_map(|line| {
                let rest = line.split_once(r#""executable":""#)?.1;
                Some(PathBuf::from(rest.split_once('"')?.0))
            })
            .unwrap_or_else(|| panic!("cargo built no binary for {}", self.patch.stage));
        let bin = exercises_dir().join("bin").join(&label);
        std::fs::create_dir_all(&bin).expect("the binary folder can be made");
        // A hard link, not a copy: a copy holds the new file open for
        // writing, and a process forked meanwhile by another test inherits
        // that descriptor until it execs, so running the binary could
        // fail with ETXTBSY ("Text file busy").
        let linked = bin.join(&self.patch.stage);
        let _ = std::fs::remove_file(&linked);
        if std::fs::hard_link(&executable, &linked).is_err() {
            std::fs::copy(&executable, &linked).expect("copy the binary");
        }
        Ok(bin)
    }

    /// [`Build::run`] for a patch that must build.
    pub fn binaries(self) -> PathBuf {
        let name = self.patch.name.clone();
        self.run()
            .unwrap_or_else(|stderr| panic!("{name} does not build:\n{stderr}"))
    }
}

/// `target/exercises`, where the copies, their builds and binaries go.
fn exercises_dir() -> PathBuf {
    crate::workspace_root().join("target/exercises")
}

/// What a build needs from the workspace: the manifests and every member.
fn workspace_files() -> Vec<PathBuf> {
    let root = crate::workspace_root();
    let mut files = vec![PathBuf::from("Cargo.toml"), PathBuf::from("Cargo.lock")];
    let mut folders = crate::stages();
    folders.push("tests".to_owned());
    for folder in folders {
        files.extend(
            crate::diff::files_in(&root.join(&folder))
                .into_iter()
                .map(|file| Path::new(&folder).join(file)),
        );
    }
    files
}

/// The workspace with the patch applied, in `target/exercises/src/LABEL`.
/// The patch is applied to a fresh copy first, and only the files that
/// differ from what the scratch copy holds are written there, so that
/// cargo sees the rest unchanged.
fn applied_copy(patch: &Patch, label: &str) -> PathBuf {
    let root = crate::workspace_root();
    let staging = exercises_dir().join("staging").join(label);
    let _ = std::fs::remove_dir_all(&staging);
    let files = workspace_files();
    for file in &files {
        let to = staging.join(file);
        std::fs::create_dir_all(to.parent().expect("a file is in a folder")).unwrap();
        std::fs::copy(root.join(file), &to).unwrap();
    }
    let out = git_apply(&staging)
        .arg(&patch.path)
        .output()
        .expect("run git apply");
    assert!(
        out.status.success(),
        "{} does not apply to the current sources:\n{}",
        patch.path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let src = exercises_dir().join("src").join(label);
    sync(&staging, &src);
    src
}

/// `git apply`, run in `dir` as if no repository were around it (the
/// scratch copies sit inside the workspace's, whose root git would
/// otherwise apply the paths against).
pub fn git_apply(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .arg("apply");
    command
}

/// Makes `to` hold exactly the files of `from`, writing only those whose
/// bytes differ.
fn sync(from: &Path, to: &Path) {
    let wanted: BTreeSet<PathBuf> = crate::diff::files_in(from).into_iter().collect();
    let held = if to.is_dir() {
        crate::diff::files_in(to)
    } else {
        Vec::new()
    };
    for file in held {
        if !wanted.contains(&file) {
            std::fs::remove_file(to.join(&file)).unwrap();
        }
    }
    for file in &wanted {
        let bytes = std::fs::read(from.join(file)).unwrap();
        let target = to.join(file);
        if std::fs::read(&target).ok().as_ref() != Some(&bytes) {
            std::fs::create_dir_all(target.parent().expect("in a folder")).unwrap();
            std::fs::write(&target, bytes).unwrap();
        }
    }
}

/// Checks a file of the book generated by a test run (such as
/// `breaks/NAME.txt` in book/src) against `text`, or writes it under
/// `WORKBOOK_BLESS`. The book shows the runs on x86_64 Linux, where CI
/// runs: elsewhere error numbers and linker messages differ, and only the
/// test's own assertions apply.
pub fn book_output(file: &str, text: &str) {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return;
    }
    let path = crate::workspace_root().join("book/src").join(file);
    if std::env::var_os("WORKBOOK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("in a folder")).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "book/src/{file} is stale or missing; this run gives:\n{text}\n\
         regenerate with: WORKBOOK_BLESS=1 cargo test -p workbook-tests \
         --test exercises --test breaks (then review and commit the result)"
    );
}

/// A run as a page shows it: `$ command_line`, then its transcript.
pub fn session(command_line: &str, out: &std::process::Output) -> String {
    format!("$ {command_line}\n{}\n", crate::transcript(out))
}

/// `text` with every `127.0.0.1:PORT` and `0.0.0.0:PORT` written
/// `...:[PORT]`: ports change from run to run.
pub fn redact_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = ["127.0.0.1:", "0.0.0.0:"]
        .iter()
        .filter_map(|prefix| rest.find(prefix).map(|i| (i, prefix.len())))
        .min()
    {
        let (start, len) = at;
        out.push_str(&rest[..start + len]);
        rest = &rest[start + len..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("[PORT]");
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}
