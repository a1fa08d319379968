//! The diffs the book shows between two stages, in unified format.
//!
//! A hand-written longest-common-subsequence diff: the stage files are a few
//! hundred lines at most, so the quadratic table costs nothing, and the
//! output does not depend on which `diff` a machine has installed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lines of unchanged context around each change, as `diff -u` prints.
const CONTEXT: usize = 3;

/// The unified diff of every file in two stage folders (say `stage01_exit`
/// and `stage02_write`), with paths relative to the stage folder. Files
/// that are the same in both produce nothing; the `target/` folder is
/// skipped. The book's `ANCHOR` marker lines are left out of both sides
/// (see [`without_anchors`]): the diff shows the code a learner reads.
pub fn stage_diff(root: &Path, old_stage: &str, new_stage: &str) -> String {
    stage_file_diffs(root, old_stage, new_stage)
        .into_iter()
        .map(|(_, diff)| diff)
        .collect()
}

/// The same diff, one file at a time: each changed file's path (relative to
/// the stage folder) and its part of [`stage_diff`], so that a chapter in
/// several sections can show each section its own files.
pub fn stage_file_diffs(root: &Path, old_stage: &str, new_stage: &str) -> Vec<(String, String)> {
    let (old_dir, new_dir) = (root.join(old_stage), root.join(new_stage));
    let files: BTreeSet<PathBuf> = files_in(&old_dir)
        .into_iter()
        .chain(files_in(&new_dir))
        .collect();
    let mut diffs = Vec::new();
    for file in files {
        let name = file.to_str().expect("stage file names are UTF-8");
        let (old_path, new_path) = (old_dir.join(&file), new_dir.join(&file));
        // A missing file diffs as empty and is named /dev/null, as diff -N does.
        let label = |path: &Path| if path.exists() { name } else { "/dev/null" };
        let diff = unified(
            label(&old_path),
            label(&new_path),
            &read(&old_path),
            &read(&new_path),
        );
        if !diff.is_empty() {
            diffs.push((name.to_owned(), diff));
        }
    }
    diffs
}

/// Every file under `dir` except `target/`, relative to `dir`.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(sub) = pending.pop() {
        let entries = std::fs::read_dir(dir.join(&sub))
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.join(&sub).display()));
        for entry in entries {
            let entry = entry.expect("a readable folder entry");
            let path = sub.join(entry.file_name());
            if entry.file_type().expect("a file type").is_dir() {
                if path != Path::new("target") {
                    pending.push(path);
                }
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The text of a stage file without its anchor lines, or nothing if it
/// does not exist.
pub fn read(path: &Path) -> String {
    if !path.exists() {
        return String::new();
    }
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {} as UTF-8: {e}", path.display()));
    without_anchors(&text)
}

/// Whether a line is one of mdBook's `ANCHOR: name` / `ANCHOR_END: name`
/// markers, which an include leaves out of what it shows.
pub fn is_anchor_marker(line: &str) -> bool {
    line.contains("ANCHOR:") || line.contains("ANCHOR_END:")
}

/// `text` without its anchor marker lines.
pub fn without_anchors(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|line| !is_anchor_marker(line))
        .collect()
}

/// One line of the edit that turns the old text into the new one.
#[derive(Clone, Copy, PartialEq)]
enum Edit {
    Keep,
    Remove,
    Add,
}

/// The unified diff of `old` and `new` with 3 lines of context, headed by
/// `--- old_name` and `+++ new_name`; empty when the texts are equal.
pub fn unified(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    let edits = edit_script(&old, &new);
    if edits.iter().all(|&e| e == Edit::Keep) {
        return String::new();
    }
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    for (start, end) in hunks(&edits) {
        // Line numbers where the hunk starts: count what came before it.
        let before = &edits[..start];
        let old_start = before.iter().filter(|&&e| e != Edit::Add).count();
        let new_start = before.iter().filter(|&&e| e != Edit::Remove).count();
        let hunk = &edits[start..end];
        let old_len = hunk.iter().filter(|&&e| e != Edit::Add).count();
        let new_len = hunk.iter().filter(|&&e| e != Edit::Remove).count();
        out += &format!(
            "@@ -{} +{} @@\n",
            range(old_start, old_len),
            range(new_start, new_len)
        );
        let (mut i, mut j) = (old_start, new_start);
        for &edit in hunk {
            let (sign, line) = match edit {
                Edit::Keep => (' ', old[i]),
                Edit::Remove => ('-', old[i]),
                Edit::Add => ('+', new[j]),
            };
            if edit != Edit::Add {
                i += 1;
            }
            if edit != Edit::Remove {
                j += 1;
            }
            out.push(sign);
            out += line;
            if !line.ends_with('\n') {
                out += "\n\\ No newline at end of file\n";
            }
        }
    }
    out
}

/// A hunk header range: `start,len`, 1-based. As in GNU diff, `,1` is left
/// out, and an empty range names the line before it.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// The shortest edit from `old` to `new`, from a longest common subsequence.
fn edit_script(old: &[&str], new: &[&str]) -> Vec<Edit> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: length of the longest common subsequence of old[i..], new[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut edits = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            edits.push(Edit::Keep);
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            edits.push(Edit::Add);
            j += 1;
        } else {
            edits.push(Edit::Remove);
            i += 1;
        }
    }
    // Removals first within each run of changes, as diff prints them.
    for run in edits.split_mut(|&e| e == Edit::Keep) {
        run.sort_by_key(|&e| e != Edit::Remove);
    }
    edits
}

/// The ranges of `edits` to print: each change with `CONTEXT` kept lines
/// around it, merged when two changes are close enough to share context.
fn hunks(edits: &[Edit]) -> Vec<(usize, usize)> {
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for (at, _) in edits.iter().enumerate().filter(|(_, e)| **e != Edit::Keep) {
        let start = at.saturating_sub(CONTEXT);
        let end = (at + 1 + CONTEXT).min(edits.len());
        match hunks.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => hunks.push((start, end)),
        }
    }
    hunks
}
