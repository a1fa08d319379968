//! The book stays true to the code.
//!
//! - every diff between two stages in book/src/diffs is the one the current
//!   sources give (regenerate them all with the command in `BLESS`);
//! - each stage changes only the files its lesson lists in `LESSONS`: every
//!   other file is a copy of the previous stage's;
//! - every `{{#include file:anchor}}` in book/src names a file and an anchor
//!   that exist, every anchor in a stage is included by some chapter, and
//!   no code block in a chapter comes out empty;
//! - every listing of a stage's file sits under a `File:` label naming
//!   that file, and a few cases shown from a snapshot start at a case;
//! - the README's and the introduction's run command name the latest stage;
//! - the disassembly listings in book/src/listings match fresh release
//!   builds. That test is ignored by default, since it needs the cross tools
//!   (tools/cross/build, llvm-objdump); CI runs it with `-- --ignored`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use workbook_tests::generated;
use workbook_tests::{diff, stages, workspace_root};

/// The one command that rewrites every generated file of the book.
const BLESS: &str = "WORKBOOK_BLESS=1 cargo test -p workbook-tests --test book";

fn book_src() -> PathBuf {
    workspace_root().join("book/src")
}

/// Each stage and the one before it, by folder name: (stage01_exit,
/// stage02_write), (stage02_write, stage03_...), ...
fn stage_pairs() -> Vec<(String, String)> {
    let stages = stages();
    stages
        .windows(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect()
}

#[test]
fn stage_diffs_are_fresh() {
    let diffs = book_src().join("diffs");
    let fresh = stage_pairs()
        .into_iter()
        .map(|(old, new)| {
            let text = diff::stage_diff(workspace_root(), &old, &new);
            (format!("{new}.diff"), text)
        })
        .collect();
    generated::check(&diffs, ".diff", &fresh, BLESS);
    // The same diffs one file at a time, in a folder per stage, for the
    // chapters that show each section its own files: src/path.rs becomes
    // diffs/stage07_files/src-path.rs.diff.
    for (old, new) in stage_pairs() {
        let fresh = diff::stage_file_diffs(workspace_root(), &old, &new)
            .into_iter()
            .map(|(file, text)| (format!("{}.diff", file.replace('/', "-")), text))
            .collect();
        generated::check(&diffs.join(&new), ".diff", &fresh, BLESS);
    }
}

/// What each stage's lesson may change, against the stage before it: its
/// table of contents. `+` a file the stage adds, `~` one it changes, `-`
/// one it drops. Every other file must be a byte-for-byte copy of the
/// previous stage's, so that the diff between two stages shows one concept
/// and nothing else. (`Cargo.toml` differs only in the package's name; a
/// test of its own checks that.)
const LESSONS: &[(&str, &[&str])] = &[
    // write, and the arguments the kernel hands a program
    (
        "stage02_write",
        &[
            "+ src/args.rs",
            "+ src/mem.rs",
            "+ src/sys/errno.rs",
            "+ src/sys/fd.rs",
            "+ src/sys/io.rs",
            "~ src/main.rs",
            "~ src/panic.rs",
            "~ src/sys/darwin_aarch64.rs",
            "~ src/sys/linux_aarch64.rs",
            "~ src/sys/linux_x86_64.rs",
            "~ src/sys/mod.rs",
        ],
    ),
    // socket, bind, listen
    (
        "stage03_socket",
        &[
            "+ src/console.rs",
            "+ src/line.rs",
            "+ src/listener.rs",
            "+ src/num.rs",
            "+ src/sys/linux.rs",
            "+ src/sys/net.rs",
            "~ src/main.rs",
            "~ src/sys/darwin_aarch64.rs",
            "~ src/sys/errno.rs",
            "~ src/sys/fd.rs",
            "~ src/sys/io.rs",
            "~ src/sys/linux_aarch64.rs",
            "~ src/sys/linux_x86_64.rs",
            "~ src/sys/mod.rs",
        ],
    ),
    // the accept loop, in a pool of worker processes
    (
        "stage04_accept",
        &[
            "+ src/pool.rs",
            "~ src/main.rs",
            "~ src/sys/darwin_aarch64.rs",
            "~ src/sys/errno.rs",
            "~ src/sys/linux.rs",
            "~ src/sys/linux_aarch64.rs",
            "~ src/sys/linux_x86_64.rs",
            "~ src/sys/net.rs",
            "~ src/sys/process.rs",
        ],
    ),
    // parsing HTTP requests byte by byte
    (
        "stage05_parse",
        &[
            "+ src/conn.rs",
            "+ src/echo.rs",
            "+ src/http.rs",
            "+ src/refusal.rs",
            "+ src/status.rs",
            "~ src/main.rs",
            "~ src/sys/darwin_aarch64.rs",
            "~ src/sys/linux.rs",
            "~ src/sys/linux_aarch64.rs",
            "~ src/sys/linux_x86_64.rs",
            "~ src/sys/net.rs",
            "~ src/sys/process.rs",
        ],
    ),
    // assembling real responses, on connections that persist
    (
        "stage06_respond",
        &[
            "+ src/assembled.rs",
            "+ src/client.rs",
            "+ src/date.rs",
            "+ src/index.html",
            "+ src/pages.rs",
            "+ src/response.rs",
            "+ src/sys/clock.rs",
            "~ src/conn.rs",
            "~ src/http.rs",
            "~ src/listener.rs",
            "~ src/main.rs",
            "~ src/mem.rs",
            "~ src/pool.rs",
            "~ src/refusal.rs",
            "~ src/status.rs",
            "~ src/sys/darwin_aarch64.rs",
            "~ src/sys/io.rs",
            "~ src/sys/linux.rs",
            "~ src/sys/linux_aarch64.rs",
            "~ src/sys/linux_x86_64.rs",
            "~ src/sys/mod.rs",
            "~ src/sys/net.rs",
            "~ src/sys/process.rs",
        ],
    ),
    // a static file server
    (
        "stage07_files",
        &[
            "+ src/file.rs",
            "+ src/folder.rs",
            "+ src/listing.rs",
            "+ src/mime.rs",
            "+ src/open.rs",
            "+ src/path.rs",
            "+ src/range.rs",
            "+ src/reply.rs",
            "+ src/sending.rs",
            "+ src/site.rs",
            "+ src/sys/fs.rs",
            "+ src/validators.rs",
            "- src/assembled.rs",
            "- src/echo.rs",
            "- src/index.html",
            "- src/pages.rs",
            "~ src/date.rs",
            "~ src/main.rs",
            "~ src/response.rs",
            "~ src/status.rs",
            "~ src/sys/darwin_aarch64.rs",
            "~ src/sys/errno.rs",
            "~ src/sys/linux.rs",
            "~ src/sys/linux_aarch64.rs",
            "~ src/sys/linux_x86_64.rs",
            "~ src/sys/mod.rs",
        ],
    ),
];

#[test]
fn each_stage_changes_only_what_its_lesson_lists() {
    let pairs = stage_pairs();
    assert_eq!(
        pairs
            .iter()
            .map(|(_, new)| new.as_str())
            .collect::<Vec<_>>(),
        LESSONS.iter().map(|(stage, _)| *stage).collect::<Vec<_>>(),
        "LESSONS names every stage after the first, in order"
    );
    for ((old, new), (_, listed)) in pairs.iter().zip(LESSONS) {
        let (old_dir, new_dir) = (workspace_root().join(old), workspace_root().join(new));
        let files: BTreeSet<PathBuf> = diff::files_in(&old_dir)
            .into_iter()
            .chain(diff::files_in(&new_dir))
            .collect();
        // Bytes, not the book's diff, which leaves anchor lines out.
        let changed: Vec<String> = files
            .iter()
            .filter(|file| *file != Path::new("Cargo.toml"))
            .filter_map(|file| {
                let kind = match (
                    std::fs::read(old_dir.join(file)),
                    std::fs::read(new_dir.join(file)),
                ) {
                    (Ok(a), Ok(b)) if a == b => return None,
                    (Ok(_), Ok(_)) => '~',
                    (Err(_), _) => '+',
                    (_, Err(_)) => '-',
                };
                Some(format!("{kind} {}", file.display()))
            })
            .collect();
        let mut listed: Vec<&str> = listed.to_vec();
        let mut actual: Vec<&str> = changed.iter().map(String::as_str).collect();
        listed.sort_unstable();
        actual.sort_unstable();
        assert_eq!(
            actual, listed,
            "{old} -> {new}: the files that differ (left) are not the ones its lesson lists \
             in LESSONS (right); a file no lesson lists must be a copy of the previous stage's"
        );
    }
}

/// A reader opens `main.rs` first: it is the wiring, and each concept has
/// a file of its own that can be read in one go.
#[test]
fn sources_stay_short() {
    const MAIN_LINES: usize = 150;
    const FILE_LINES: usize = 400;
    let mut long = Vec::new();
    for stage in stages() {
        let dir = workspace_root().join(&stage);
        for file in diff::files_in(&dir) {
            if file.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let lines = diff::read(&dir.join(&file)).lines().count();
            let limit = if file == Path::new("src/main.rs") {
                MAIN_LINES
            } else {
                FILE_LINES
            };
            if lines > limit {
                long.push(format!(
                    "{stage}/{}: {lines} lines (at most {limit})",
                    file.display()
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files too long to read in one go:\n{}",
        long.join("\n")
    );
}

#[test]
fn cargo_manifests_differ_only_in_the_name() {
    for (old, new) in stage_pairs() {
        let read = |stage: &str| {
            std::fs::read_to_string(workspace_root().join(stage).join("Cargo.toml"))
                .expect("every stage has a Cargo.toml")
        };
        assert_eq!(
            read(&old).replace(&old, &new),
            read(&new),
            "{new}/Cargo.toml is {old}'s with the name changed"
        );
    }
}

#[test]
fn stage_diffs_turn_one_stage_into_the_next() {
    for (old, new) in stage_pairs() {
        let patch = diff::stage_diff(workspace_root(), &old, &new);
        for (name, hunks) in split_files(&patch) {
            let read = |stage: &str| diff::read(&workspace_root().join(stage).join(&name));
            assert_eq!(
                apply(&read(&old), &hunks),
                read(&new),
                "the diff {old} -> {new} does not rebuild {name}"
            );
        }
    }
}

#[test]
fn the_diff_round_trips_on_awkward_texts() {
    let texts = [
        "",
        "one\n",
        "no newline at the end",
        "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n",
        "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nK\nl\nm",
        "-- a line that looks like a header\n--- and another\n",
    ];
    for old in texts {
        for new in texts {
            let patch = diff::unified("x", "x", old, new);
            let hunks = split_files(&patch)
                .pop()
                .map(|(_, h)| h)
                .unwrap_or_default();
            assert_eq!(apply(old, &hunks), new, "{old:?} -> {new:?}:\n{patch}");
        }
    }
}

/// The per-file parts of a unified diff: the file's name and its hunk
/// lines. Hunk headers say how many lines follow, so a removed line that
/// itself starts with "-- " is never taken for a file header.
fn split_files(patch: &str) -> Vec<(String, Vec<&str>)> {
    let mut files: Vec<(String, Vec<&str>)> = Vec::new();
    let mut lines = patch.lines();
    let (mut old_left, mut new_left) = (0, 0);
    while let Some(line) = lines.next() {
        if old_left == 0 && new_left == 0 {
            if let Some(old_name) = line.strip_prefix("--- ") {
                let new_name = lines.next().and_then(|l| l.strip_prefix("+++ ")).unwrap();
                let name = if old_name == "/dev/null" {
                    new_name
                } else {
                    old_name
                };
                files.push((name.to_owned(), Vec::new()));
                continue;
            }
            if let Some(header) = line.strip_prefix("@@ ") {
                let count = |side: &str| -> usize {
                    let range = side[1..].split(' ').next().unwrap();
                    range.split_once(',').map_or(1, |(_, n)| n.parse().unwrap())
                };
                let (old, new) = header.split_once(' ').unwrap();
                (old_left, new_left) = (count(old), count(new));
            }
        } else {
            match line.as_bytes().first() {
                Some(b' ') => (old_left, new_left) = (old_left - 1, new_left - 1),
                Some(b'-') => old_left -= 1,
                Some(b'+') => new_left -= 1,
                _ => {}
            }
        }
        files.last_mut().expect("a file header first").1.push(line);
    }
    files
}

/// Applies one file's hunks to `old`, checking every context and removed
/// line against it.
fn apply(old: &str, hunks: &[&str]) -> String {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut next = 0; // the first old line not yet copied
    let mut last_sign = ' ';
    for line in hunks {
        if let Some(header) = line.strip_prefix("@@ -") {
            let start: usize = header
                .split([',', ' '])
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap();
            let first = if header.starts_with(&format!("{start},0 ")) {
                start
            } else {
                start - 1
            };
            out.extend(old[next..first].iter().copied());
            next = first;
        } else if *line == "\\ No newline at end of file" {
            // The line before it had no newline: take back the one added.
            if last_sign != '-' {
                out.pop();
            }
        } else {
            let (sign, text) = line.split_at(1);
            last_sign = sign.chars().next().unwrap();
            if sign != "+" {
                assert_eq!(old[next].trim_end_matches('\n'), text, "context differs");
                next += 1;
            }
            if sign != "-" {
                out += text;
                out.push('\n');
            }
        }
    }
    out.extend(old[next..].iter().copied());
    out
}

/// Every Markdown file of the book, with its text.
fn chapters() -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut pending = vec![book_src()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("book/src is readable") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).expect("a chapter is UTF-8");
                found.push((path, text));
            }
        }
    }
    found.sort();
    found
}

/// What an mdBook include names: the file, and an anchor or line range.
struct Include {
    file: PathBuf,
    anchor: Option<String>,
    lines: Option<(usize, Option<usize>)>,
}

/// The `{{#include ...}}` links in a chapter (not the escaped `\{{#`).
fn includes(chapter: &Path, text: &str) -> Vec<(String, Include)> {
    let dir = chapter.parent().unwrap();
    let mut found = Vec::new();
    for (at, _) in text.match_indices("{{#include ") {
        if text[..at].ends_with('\\') {
            continue;
        }
        let rest = &text[at + "{{#include ".len()..];
        let link = rest[..rest.find("}}").expect("an include ends with }}")].trim();
        let (file, selector) = link.split_once(':').unwrap_or((link, ""));
        let is_range = selector.chars().all(|c| c.is_ascii_digit() || c == ':');
        let include = Include {
            file: dir.join(file),
            anchor: (!is_range).then(|| selector.to_owned()),
            lines: (is_range && !selector.is_empty()).then(|| {
                let (from, to) = selector.split_once(':').unwrap_or((selector, selector));
                (from.parse().unwrap_or(1), to.parse().ok())
            }),
        };
        found.push((link.to_owned(), include));
    }
    found
}

/// The text an include pastes into the book, as mdBook computes it (the
/// marker lines themselves are left out), or why there is none.
fn resolve(include: &Include) -> Result<String, String> {
    let text = std::fs::read_to_string(&include.file).map_err(|e| format!("cannot read: {e}"))?;
    if let Some(anchor) = &include.anchor {
        let is = |line: &str, kind: &str| {
            line.split_once(kind)
                .is_some_and(|(_, name)| name.trim() == anchor)
        };
        let start = text.lines().position(|l| is(l, "ANCHOR:"));
        let end = text.lines().position(|l| is(l, "ANCHOR_END:"));
        return match (start, end) {
            (Some(start), Some(end)) if start < end => Ok(text
                .lines()
                .take(end)
                .skip(start + 1)
                .filter(|l| !diff::is_anchor_marker(l))
                .map(|l| format!("{l}\n"))
                .collect()),
            (Some(_), Some(_)) => Err(format!(
                "ANCHOR_END: {anchor} comes before ANCHOR: {anchor}"
            )),
            _ => Err(format!(
                "no `ANCHOR: {anchor}` ... `ANCHOR_END: {anchor}` region"
            )),
        };
    }
    let (from, to) = include.lines.unwrap_or((1, None));
    Ok(text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i + 1 >= from && to.is_none_or(|to| *i < to))
        .map(|(_, l)| format!("{l}\n"))
        .collect())
}

#[test]
fn includes_name_files_and_anchors_that_exist() {
    let mut broken = Vec::new();
    for (chapter, text) in chapters() {
        for (link, include) in includes(&chapter, &text) {
            if let Err(why) = resolve(&include) {
                broken.push(format!(
                    "{}: {{{{#include {link}}}}}: {why}",
                    chapter.display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "broken includes:\n{}", broken.join("\n"));
}

#[test]
fn every_anchor_is_included() {
    // The anchors each file's text is included by; identical copies of a
    // file in several stages count as one file.
    let mut used: BTreeMap<Vec<u8>, BTreeSet<String>> = BTreeMap::new();
    for (chapter, text) in chapters() {
        for (_, include) in includes(&chapter, &text) {
            if let (Some(anchor), Ok(bytes)) = (include.anchor, std::fs::read(&include.file)) {
                used.entry(bytes).or_default().insert(anchor);
            }
        }
    }
    let mut unused = Vec::new();
    for stage in stages() {
        let dir = workspace_root().join(&stage);
        for file in diff::files_in(&dir) {
            let bytes = std::fs::read(dir.join(&file)).expect("a stage file is readable");
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines() {
                let Some((_, name)) = line.split_once("ANCHOR:") else {
                    continue;
                };
                let included = used.get(&bytes).is_some_and(|a| a.contains(name.trim()));
                if !included {
                    unused.push(format!("{stage}/{}: {}", file.display(), name.trim()));
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "anchors no chapter includes (delete them, or include them):\n{}",
        unused.join("\n")
    );
}

/// The file a listing shows, as its `File:` label names it: a stage's
/// source (`stage07_files/src/path.rs`), or a per-file diff of one
/// (`diffs/stage07_files/src-path.rs.diff` shows `stage07_files/src/path.rs`).
/// `None` for what is named in the prose instead: snapshots, listings,
/// whole-stage diffs.
fn labelled_file(include: &Path) -> Option<String> {
    let stages = stages();
    let parts: Vec<String> = include
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().position(|p| stages.contains(p))?;
    if at > 0 && parts[at - 1] == "diffs" {
        let file = parts.get(at + 1)?.strip_suffix(".diff")?;
        return Some(format!("{}/{}", parts[at], file.replace('-', "/")));
    }
    Some(parts[at..].join("/"))
}

/// A reader who sees `File: stage05_parse/src/http.rs` above a listing
/// takes the listing for that file's, however many paragraphs ago the
/// label was: every listing of a stage's file (or of its per-file diff)
/// sits under a label naming that file, the nearest one above it.
#[test]
fn every_listing_sits_under_its_files_label() {
    let mut wrong = Vec::new();
    for (chapter, text) in chapters() {
        let mut label: Option<String> = None;
        for (number, line) in text.lines().enumerate() {
            if let Some(rest) = line.strip_prefix("File: `") {
                label = rest.split('`').next().map(str::to_owned);
                continue;
            }
            for (link, include) in includes(&chapter, line) {
                let Some(file) = labelled_file(&include.file) else {
                    continue;
                };
                if label.as_deref() != Some(file.as_str()) {
                    wrong.push(format!(
                        "{}:{}: {{{{#include {link}}}}} shows {file}, under the label {:?}",
                        chapter.display(),
                        number + 1,
                        label.as_deref().unwrap_or("(none)")
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "listings under another file's label (add `File: `path`` above them):\n{}",
        wrong.join("\n")
    );
}

/// A chapter that shows a few cases of a snapshot includes them by line
/// numbers, which a re-recorded snapshot can shift: each such range must
/// still start at a case (a `## ` heading, or the first line after insta's
/// header) and must not end on the heading of the next one.
#[test]
fn snapshot_excerpts_start_at_a_case() {
    let mut wrong = Vec::new();
    for (chapter, text) in chapters() {
        for (link, include) in includes(&chapter, &text) {
            let Some((from, to)) = include.lines else {
                continue;
            };
            if include.file.extension().is_none_or(|e| e != "snap") {
                continue;
            }
            let lines: Vec<String> = std::fs::read_to_string(&include.file)
                .map(|t| t.lines().map(str::to_owned).collect())
                .unwrap_or_default();
            let line = |n: usize| lines.get(n.wrapping_sub(1)).map_or("", String::as_str);
            let after_header = from > 2 && line(from - 1) == "---";
            if !(line(from).starts_with("## ") || after_header) {
                wrong.push(format!(
                    "{}: {link} starts inside a case",
                    chapter.display()
                ));
            }
            if to.is_some_and(|to| to > from && line(to).starts_with("## ")) {
                wrong.push(format!(
                    "{}: {link} ends on the next case's heading",
                    chapter.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "snapshot excerpts out of step:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_code_block_is_empty() {
    let mut empty = Vec::new();
    for (chapter, text) in chapters() {
        let mut block: Option<(usize, String)> = None; // first line, content
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                block = match block.take() {
                    None => Some((number + 1, String::new())),
                    Some((start, content)) => {
                        if content.trim().is_empty() {
                            empty.push(format!("{}:{start}", chapter.display()));
                        }
                        None
                    }
                };
            } else if let Some((_, content)) = &mut block {
                // An include counts for what it pastes, not for its own text.
                let links = includes(&chapter, line);
                if links.is_empty() {
                    content.push_str(line);
                }
                for (_, include) in links {
                    content.push_str(&resolve(&include).unwrap_or_default());
                }
            }
        }
    }
    assert!(
        empty.is_empty(),
        "empty code blocks at: {}",
        empty.join(", ")
    );
}

#[test]
fn the_readme_and_the_introduction_run_the_latest_stage() {
    let latest = stages().pop().expect("the workspace has stages");
    let command = format!("cargo run -p {latest}\n");
    for path in [
        book_src().join("introduction.md"),
        workspace_root().join("README.md"),
    ] {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&command),
            "{} should show `{}` next to `cargo test`",
            path.display(),
            command.trim()
        );
    }
}

/// The command that regenerates the disassembly listings.
const BLESS_LISTINGS: &str =
    "WORKBOOK_BLESS=1 cargo test -p workbook-tests --test book -- --ignored listings";

/// Runs `program args` in the workspace root and returns "$ command" and
/// its output, the way the book shows a terminal.
fn shell(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (a missing tool fails this test): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("tool output is UTF-8");
    // Tools pad some lines with spaces; the book has no use for them.
    let body: String = text
        .trim_matches('\n')
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    format!("$ {program} {}\n{body}", args.join(" "))
}

#[test]
#[ignore = "needs tools/cross/build's toolchain and llvm; CI runs it"]
fn listings_are_fresh() {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        panic!(
            "the x86_64 listings come from this machine's own release build: run on x86_64 Linux"
        );
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    shell(&cargo, &["build", "--release", "-p", "stage01_exit"]);
    let native = "target/release/stage01_exit";
    let llvm = llvm_version();
    let (objdump, readelf) = (
        format!("llvm-objdump-{llvm}"),
        format!("llvm-readelf-{llvm}"),
    );
    let mut fresh = BTreeMap::new();
    fresh.insert(
        "stage01_exit.x86_64-unknown-linux-gnu.txt".to_owned(),
        shell(&objdump, &["-d", "-M", "intel", native]),
    );
    fresh.insert(
        "stage01_exit.x86_64-unknown-linux-gnu.readelf.txt".to_owned(),
        format!(
            "{}{}",
            shell(&readelf, &["-lSW", native]),
            shell(&readelf, &["-p", ".comment", native])
        ),
    );
    for target in ["aarch64-unknown-linux-gnu", "aarch64-apple-darwin"] {
        shell("tools/cross/build", &[target, "release"]);
        let binary = format!("target/cross/{target}/release/stage01_exit");
        fresh.insert(
            format!("stage01_exit.{target}.txt"),
            shell(&objdump, &["-d", &binary]),
        );
    }
    generated::check(&book_src().join("listings"), ".txt", &fresh, BLESS_LISTINGS);
}

/// The LLVM version the cross tools use, from their one place for it.
fn llvm_version() -> String {
    let script = r#". tools/cross/toolchain.sh && printf %s "$WORKBOOK_LLVM""#;
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(workspace_root())
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "tools/cross/toolchain.sh failed");
    String::from_utf8(out.stdout).expect("a version number")
}
