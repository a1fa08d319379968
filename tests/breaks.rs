//! The chapters' "What goes wrong", shipped: each patch in
//! book/patches/breaks breaks a stage the way a chapter describes, and its
//! test shows the failure the chapter prints. The book shows the run of
//! the test, kept in book/src/breaks/NAME.txt (rewritten under
//! `WORKBOOK_BLESS`, checked otherwise), with what changes from run to run
//! (ports, pids, paths) replaced.

use std::path::PathBuf;
use workbook_tests::patched::{self, Patch};
use workbook_tests::workspace_root;

/// What the break's page shows: `text`, checked against the file.
fn shown(name: &str, text: &str) {
    patched::book_output(&format!("breaks/{name}.txt"), text);
}

/// The break `name`, built: the folder of its binary, or `None` when this
/// test run does not run patched stages.
#[allow(dead_code)]
fn broken(name: &str) -> Option<PathBuf> {
    if patched::skipped(name) {
        return None;
    }
    Some(Patch::breaking(name).build().binaries())
}

/// The messages of a build that must fail, as the book shows them: the
/// lines that say `error`, without cargo's indentation and note marks,
/// each `-->` location, and the object a duplicate symbol came from
/// without its folders (which differ from machine to machine).
fn build_errors(name: &str, release: bool) -> Option<String> {
    if patched::skipped(name) {
        return None;
    }
    let patch = Patch::breaking(name);
    let build = if release {
        patch.build().release()
    } else {
        patch.build()
    };
    let stderr = match build.run() {
        Ok(_) => panic!("{name} must stop the build, and it built"),
        Err(stderr) => stderr,
    };
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.trim_start_matches("  = note: ").trim();
        if line.starts_with("error") || line.contains(": error:") || line.starts_with("--> ") {
            lines.push(line.to_owned());
        } else if let Some(at) = line.strip_prefix(">>> defined at /") {
            let file = at.rsplit('/').next().unwrap_or(at);
            lines.push(format!(">>> defined at .../{file}"));
        }
    }
    let profile = if release { " --release" } else { "" };
    let stage = patch.stage;
    Some(format!(
        "$ cargo build -q -p {stage}{profile}\n{}\n",
        lines.join("\n")
    ))
}

// Chapter 1

#[test]
fn ch01_no_panic_handler() {
    let Some(text) = build_errors("ch01-no-panic-handler", false) else {
        return;
    };
    assert!(text.contains("error: `#[panic_handler]` function required, but not found"));
    shown("ch01-no-panic-handler", &text);
}

/// Linux only: the C start-up files are a Linux linker's default.
#[test]
#[cfg(target_os = "linux")]
fn ch01_c_startup_files() {
    let Some(text) = build_errors("ch01-c-startup-files", false) else {
        return;
    };
    assert!(
        text.contains("rust-lld: error: duplicate symbol: _start"),
        "{text}"
    );
    assert!(text.contains("Scrt1.o:(_start)"), "{text}");
    shown("ch01-c-startup-files", &text);
}

// Chapter 2. Linux only: on macOS the program links libSystem, where the
// linker finds both names.

#[test]
#[cfg(target_os = "linux")]
fn ch02_strlen_loop() {
    let Some(text) = build_errors("ch02-strlen-loop", true) else {
        return;
    };
    assert!(
        text.contains("rust-lld: error: undefined symbol: strlen"),
        "{text}"
    );
    shown("ch02-strlen-loop", &text);
}

#[test]
#[cfg(target_os = "linux")]
fn ch02_no_eh_personality() {
    let Some(text) = build_errors("ch02-no-eh-personality", false) else {
        return;
    };
    assert!(
        text.contains("rust-lld: error: undefined symbol: rust_eh_personality"),
        "{text}"
    );
    shown("ch02-no-eh-personality", &text);
}

// The inventory

/// Every break is named (`"NAME"`) by a test here and included by a page.
#[test]
fn every_break_is_tested_and_shown() {
    let tests = std::fs::read_to_string(workspace_root().join("tests/breaks.rs")).unwrap();
    let pages: String = std::fs::read_dir(workspace_root().join("book/src"))
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .collect();
    let mut missing = Vec::new();
    for name in patched::names(patched::BREAKS) {
        if !tests.contains(&format!("\"{name}\"")) {
            missing.push(format!("{name}: no test in tests/breaks.rs names it"));
        }
        let include = format!("{{{{#include ../patches/breaks/{name}.patch}}}}");
        if !pages.contains(&include) {
            missing.push(format!("{name}: no page of book/src has {include}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
