//! The book's reference pages stay true to the code.
//!
//! The tables in book/src/reference/generated are read from the stage
//! sources: the system call numbers from each stage's `nr` modules, the
//! errno numbers from its `errnos!` table, the constants and structure
//! layouts from its `sys` files, and the module map from stage 07's `//!`
//! lines and paths. The pages around them (book/src/reference/*.md) are
//! written by hand and include them. Regenerate every table with the
//! command in `BLESS`; the other tests check that the generator reads the
//! sources right (layouts against the sources' own `offset_of!` asserts)
//! and that every link on the reference pages lands on a heading.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;
use workbook_tests::{diff, generated, stages, workspace_root};

/// The one command that rewrites every generated reference table.
const BLESS: &str = "WORKBOOK_BLESS=1 cargo test -p workbook-tests --test reference";

fn reference_dir() -> PathBuf {
    workspace_root().join("book/src/reference")
}

/// A target's title in the tables and its files in src/sys: the file with
/// its `nr` module and entry point last, after the file it shares with
/// another target, if any.
struct Target {
    title: &'static str,
    files: &'static [&'static str],
}

const TARGETS: [Target; 3] = [
    Target {
        title: "macOS arm64",
        files: &["darwin_aarch64.rs"],
    },
    Target {
        title: "Linux x86_64",
        files: &["linux.rs", "linux_x86_64.rs"],
    },
    Target {
        title: "Linux arm64",
        files: &["linux.rs", "linux_aarch64.rs"],
    },
];

/// The latest stage: the final server.
fn final_stage() -> String {
    stages().pop().expect("the workspace has stages")
}

/// "07" for stage07_files.
fn short(stage: &str) -> &str {
    &stage["stage".len().."stage".len() + 2]
}

/// The text of `file` in `stage`'s src/sys, if the stage has it.
fn sys_file(stage: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(workspace_root().join(stage).join("src/sys").join(file)).ok()
}

/// The stages' short numbers as a range where they follow each other:
/// "04", "03–07", "02, 04–07".
fn stage_span(present: &[&str]) -> String {
    let all = stages();
    let index = |s: &str| all.iter().position(|a| a == s).expect("a stage");
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in present.iter().map(|s| index(s)) {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => runs.push((i, i)),
        }
    }
    runs.iter()
        .map(|&(a, b)| match a == b {
            true => short(&all[a]).to_owned(),
            false => format!("{}–{}", short(&all[a]), short(&all[b])),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A rustdoc comment made fit for a table cell: links to items become
/// plain code, and nothing can end the cell.
fn cell(doc: &str) -> String {
    doc.replace("[`super::", "`")
        .replace("[`", "`")
        .replace("`]", "`")
        .replace('|', "\\|")
}

// ---------------------------------------------------------------- calls

/// One line of an `nr` module: `pub const NAME: usize = N; // prototype`,
/// with the `///` lines above it.
struct Call {
    constant: String,
    number: u64,
    prototype: String,
    note: String,
}

impl Call {
    /// The kernel's name for the call, from its prototype: `close` for
    /// `int sys_close(int fd)`, `newfstat` for `long sys_newfstat(...)`.
    fn kernel_name(&self) -> &str {
        let head = self.prototype.split('(').next().unwrap_or_default();
        let name = head.split_whitespace().last().unwrap_or_default();
        let name = name.trim_start_matches('*');
        name.strip_prefix("sys_").unwrap_or(name)
    }

    /// The row this call shares with the same call on the other targets.
    fn row(&self) -> String {
        let constant = SAME_CALL
            .iter()
            .find(|(other, _)| *other == self.constant)
            .map_or(self.constant.as_str(), |(_, row)| row);
        constant.to_ascii_lowercase()
    }
}

/// Constants that name, on some target, the call another target's
/// constant of the second name makes: they share a row.
const SAME_CALL: &[(&str, &str)] = &[
    // arm64 Linux has no fork: clone with only SIGCHLD is one.
    ("CLONE", "FORK"),
    // Linux's sigaction, which takes the size of the signal mask.
    ("RT_SIGACTION", "SIGACTION"),
];

/// The calls in the `nr` module of `text` (the file `path`).
fn calls(text: &str, path: &str) -> Vec<Call> {
    let body = text
        .split_once("pub mod nr {\n")
        .unwrap_or_else(|| panic!("{path}: no `pub mod nr {{`"))
        .1;
    let mut found = Vec::new();
    let mut note: Vec<&str> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line == "}" {
            return found;
        }
        if let Some(doc) = line.strip_prefix("///") {
            note.push(doc.trim());
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let parsed = line.strip_prefix("pub const ").and_then(|rest| {
            let (declaration, prototype) = rest.split_once("; //")?;
            let (name, number) = declaration.split_once(": usize = ")?;
            Some(Call {
                constant: name.to_owned(),
                number: number.parse().ok()?,
                prototype: prototype.trim().to_owned(),
                note: note.join(" "),
            })
        });
        found.push(parsed.unwrap_or_else(|| {
            panic!("{path}: `{line}` in `nr` is not `pub const NAME: usize = N; // prototype`")
        }));
        note.clear();
    }
    panic!("{path}: the `nr` module does not end")
}

/// Every stage's calls on each target, in `TARGETS` order.
fn calls_by_stage() -> Vec<(String, [Vec<Call>; 3])> {
    stages()
        .into_iter()
        .map(|stage| {
            let per_target = TARGETS.each_ref().map(|target| {
                let file = target.files.last().unwrap();
                let text = sys_file(&stage, file)
                    .unwrap_or_else(|| panic!("{stage}/src/sys/{file} is missing"));
                calls(&text, &format!("{stage}/src/sys/{file}"))
            });
            (stage, per_target)
        })
        .collect()
}

/// The table of every call any stage makes: its number on each target and
/// the stages that make it, in the order the stages add them.
fn calls_table(by_stage: &[(String, [Vec<Call>; 3])]) -> String {
    // Row name -> (first stage index, per-target cell, stages).
    let mut rows: BTreeMap<String, (usize, [String; 3], Vec<&str>)> = BTreeMap::new();
    for (index, (stage, per_target)) in by_stage.iter().enumerate() {
        for (t, calls) in per_target.iter().enumerate() {
            for call in calls {
                let row = call.row();
                let entry = rows
                    .entry(row.clone())
                    .or_insert_with(|| (index, Default::default(), Vec::new()));
                entry.1[t] = match call.kernel_name() == row {
                    true => call.number.to_string(),
                    false => format!("{} `{}`", call.number, call.kernel_name()),
                };
                if entry.2.last() != Some(&stage.as_str()) {
                    entry.2.push(stage);
                }
            }
        }
    }
    let mut ordered: Vec<_> = rows.into_iter().collect();
    ordered.sort_by_key(|(name, (first, ..))| (*first, name.clone()));

    let mut out = String::from("| call |");
    for target in &TARGETS {
        write!(out, " {} |", target.title).unwrap();
    }
    out.push_str(" stages |\n|---|");
    out.push_str(&"--:|".repeat(TARGETS.len()));
    out.push_str("---|\n");
    for (name, (_, numbers, present)) in ordered {
        write!(out, "| `{name}` |").unwrap();
        for number in numbers {
            let number = if number.is_empty() {
                "—".into()
            } else {
                number
            };
            write!(out, " {number} |").unwrap();
        }
        writeln!(out, " {} |", stage_span(&present)).unwrap();
    }
    out
}

/// One target's calls with their prototypes, sorted by number: the latest
/// stage's line for each, and the stages that make it.
fn prototypes_table(by_stage: &[(String, [Vec<Call>; 3])], target: usize) -> String {
    let mut rows: BTreeMap<u64, (&Call, Vec<&str>)> = BTreeMap::new();
    for (stage, per_target) in by_stage {
        for call in &per_target[target] {
            let entry = rows.entry(call.number).or_insert((call, Vec::new()));
            entry.0 = call;
            entry.1.push(stage);
        }
    }
    let mut out =
        String::from("| number | constant | prototype | stages | note |\n|--:|---|---|---|---|\n");
    for (number, (call, present)) in rows {
        writeln!(
            out,
            "| {number} | `{}` | `{}` | {} | {} |",
            call.constant,
            call.prototype,
            stage_span(&present),
            cell(&call.note)
        )
        .unwrap();
    }
    out
}

// --------------------------------------------------------------- errnos

/// One row of an `errnos!` table.
struct ErrorRow {
    xnu: u64,
    linux: u64,
    meaning: String,
    note: String,
    stages: Vec<String>,
}

/// The rows of every stage's errno table, by name, in the order they
/// first appear.
fn errors() -> Vec<(String, ErrorRow)> {
    let mut rows: Vec<(String, ErrorRow)> = Vec::new();
    for stage in stages() {
        // Stage 02 has an errno type but no table of names yet.
        let text = sys_file(&stage, "errno.rs").unwrap_or_default();
        let Some((_, body)) = text.split_once("errnos! {\n") else {
            continue;
        };
        let path = format!("{stage}/src/sys/errno.rs");
        let mut note = Vec::new();
        for line in body.lines().map(str::trim).take_while(|l| *l != "}") {
            if let Some(comment) = line.strip_prefix("//") {
                note.push(comment.trim().to_owned());
                continue;
            }
            let parsed = (|| {
                let (numbers, meaning) = line.split_once('"')?;
                let mut words = numbers.split_whitespace();
                let name = words.next()?.to_owned();
                let xnu = words.next()?.parse().ok()?;
                let linux = words.next()?.parse().ok()?;
                let meaning = meaning.strip_suffix("\";")?.to_owned();
                Some((name, xnu, linux, meaning))
            })();
            let (name, xnu, linux, meaning) = parsed
                .unwrap_or_else(|| panic!("{path}: `{line}` is not `NAME XNU LINUX \"text\";`"));
            let row = ErrorRow {
                xnu,
                linux,
                meaning,
                note: note.join(" "),
                stages: vec![stage.clone()],
            };
            note.clear();
            match rows.iter_mut().find(|(n, _)| *n == name) {
                Some((_, old)) => {
                    let mut stages = std::mem::take(&mut old.stages);
                    stages.push(stage.clone());
                    *old = ErrorRow { stages, ..row };
                }
                None => rows.push((name, row)),
            }
        }
    }
    rows
}

fn errors_table() -> String {
    let rows = errors();
    let mut out =
        String::from("| error | xnu | Linux | meaning | stages |\n|---|--:|--:|---|---|\n");
    let mut same = Vec::new();
    for (name, row) in &rows {
        if row.xnu == row.linux {
            same.push(format!("`{name}` {}", row.xnu));
            continue;
        }
        let present: Vec<&str> = row.stages.iter().map(String::as_str).collect();
        let note = match row.note.is_empty() {
            true => String::new(),
            false => format!(" ({})", cell(&row.note)),
        };
        writeln!(
            out,
            "| `{name}` | {} | {} | {}{note} | {} |",
            row.xnu,
            row.linux,
            row.meaning,
            stage_span(&present)
        )
        .unwrap();
    }
    writeln!(
        out,
        "\nThe same number on both kernels: {}.",
        same.join(", ")
    )
    .unwrap();
    out
}

// ------------------------------------------------------------ constants

/// The top-level `const` items of a target's files (a later file's value
/// wins), in order of appearance: name -> the value as written.
fn constants(stage: &str, target: &Target) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for file in target.files {
        let text = sys_file(stage, file).unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line
                .strip_prefix("pub const ")
                .or_else(|| line.strip_prefix("const "))
            else {
                continue;
            };
            let Some((name, rest)) = rest.split_once(": ") else {
                continue;
            };
            if name == "_" {
                continue;
            }
            let value = rest.split_once(" = ").map_or("", |(_, v)| v);
            let value = value.trim_end_matches(';').to_owned();
            match found.iter_mut().find(|(n, _)| n == name) {
                Some(old) => old.1 = value,
                None => found.push((name.to_owned(), value)),
            }
        }
    }
    found
}

/// The number a constant's value stands for, if it is an integer literal,
/// maybe negative and cast: `0x100`, `0o4000`, `-2isize as usize`.
fn integer(value: &str) -> Option<i128> {
    let value = value.split(" as ").next()?.trim().replace('_', "");
    let (negative, value) = match value.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, value),
    };
    let digits = strip_type_suffix(&value);
    let number = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i128::from_str_radix(octal, 8).ok()?
    } else if let Some(binary) = digits.strip_prefix("0b") {
        i128::from_str_radix(binary, 2).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if negative { -number } else { number })
}

/// `2isize` -> `2`; a hex literal's digits are left alone.
fn strip_type_suffix(literal: &str) -> &str {
    for suffix in [
        "usize", "isize", "u64", "i64", "u32", "i32", "u16", "i16", "u8", "i8",
    ] {
        if let Some(digits) = literal.strip_suffix(suffix) {
            return digits;
        }
    }
    literal
}

/// A constant's value in a cell: as written, with the hexadecimal value of
/// an octal one (Linux's headers write open flags in octal, xnu's in hex).
fn shown(value: &str) -> String {
    match integer(value) {
        Some(n) if value.starts_with("0o") => format!("`{value}` = `{n:#x}`"),
        Some(_) if value.starts_with("0x") || value.starts_with("0b") => format!("`{value}`"),
        Some(n) => n.to_string(),
        None => format!("`{value}`"),
    }
}

fn constants_table(stage: &str) -> String {
    let per_target: Vec<Vec<(String, String)>> =
        TARGETS.iter().map(|t| constants(stage, t)).collect();
    let mut names: Vec<&str> = Vec::new();
    for list in &per_target {
        for (name, _) in list {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let mut out = String::from("| constant |");
    for target in &TARGETS {
        write!(out, " {} |", target.title).unwrap();
    }
    out.push_str("\n|---|");
    out.push_str(&"--:|".repeat(TARGETS.len()));
    out.push('\n');
    let mut same = Vec::new();
    for name in names {
        let values: Vec<Option<&str>> = per_target
            .iter()
            .map(|list| {
                list.iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            })
            .collect();
        let numbers: BTreeSet<Option<i128>> = values.iter().map(|v| v.and_then(integer)).collect();
        if values.iter().all(Option::is_some)
            && numbers.len() == 1
            && numbers.first() != Some(&None)
        {
            same.push(format!("`{name}` {}", shown(values[0].unwrap())));
            continue;
        }
        write!(out, "| `{name}` |").unwrap();
        for value in values {
            write!(out, " {} |", value.map_or("—".into(), shown)).unwrap();
        }
        out.push('\n');
    }
    writeln!(out, "\nThe same on all three: {}.", same.join(", ")).unwrap();
    out
}

// ----------------------------------------------------------- structures

/// A `#[repr(C)]` structure: its fields with their types, and where the
/// computed layout puts them.
struct Layout {
    fields: Vec<(String, String, usize)>, // name, type, offset
    size: usize,
    align: usize,
}

/// The size and alignment of a field's type on the three 64-bit targets:
/// an integer, a pointer, an array of those, or a structure laid out
/// before it in `earlier`.
fn size_align(ty: &str, earlier: &[(String, Layout)]) -> Option<(usize, usize)> {
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let (element, count) = inner.rsplit_once(';')?;
        let (size, align) = size_align(element.trim(), earlier)?;
        return Some((size * count.trim().parse::<usize>().ok()?, align));
    }
    if ty.starts_with("*const ") || ty.starts_with("*mut ") {
        return Some((8, 8));
    }
    if let Some((_, layout)) = earlier.iter().find(|(name, _)| name == ty) {
        return Some((layout.size, layout.align));
    }
    let size = match ty {
        "u8" | "i8" => 1,
        "u16" | "i16" => 2,
        "u32" | "i32" => 4,
        "u64" | "i64" | "usize" | "isize" => 8,
        _ => return None,
    };
    Some((size, size))
}

/// The `#[repr(C)]` structures of a target's files, by name, in order.
fn layouts(stage: &str, target: &Target) -> Vec<(String, Layout)> {
    let mut found = Vec::new();
    for file in target.files {
        let text = sys_file(stage, file).unwrap_or_default();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line != "#[repr(C)]" {
                continue;
            }
            let header = lines
                .by_ref()
                .find(|l| !l.starts_with("///") && !l.starts_with("#["))
                .unwrap_or_default();
            let name = header
                .trim_start_matches("pub ")
                .strip_prefix("struct ")
                .and_then(|rest| rest.strip_suffix(" {"))
                .unwrap_or_else(|| panic!("{stage}/src/sys/{file}: `{header}` after #[repr(C)]"));
            let (mut fields, mut offset, mut align) = (Vec::new(), 0usize, 1usize);
            for field in lines.by_ref().map(str::trim).take_while(|l| *l != "}") {
                if field.starts_with("//") || field.is_empty() {
                    continue;
                }
                let (field_name, ty) = field
                    .trim_start_matches("pub ")
                    .trim_end_matches(',')
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{name}: `{field}` is not `name: type,`"));
                let (size, field_align) = size_align(ty, &found)
                    .unwrap_or_else(|| panic!("{name}.{field_name}: no layout known for `{ty}`"));
                offset = offset.next_multiple_of(field_align);
                fields.push((field_name.to_owned(), ty.to_owned(), offset));
                offset += size;
                align = align.max(field_align);
            }
            let size = offset.next_multiple_of(align);
            found.push((
                name.to_owned(),
                Layout {
                    fields,
                    size,
                    align,
                },
            ));
        }
    }
    found
}

fn layouts_tables(stage: &str) -> String {
    let per_target: Vec<Vec<(String, Layout)>> =
        TARGETS.iter().map(|t| layouts(stage, t)).collect();
    let mut names: Vec<&str> = Vec::new();
    for list in &per_target {
        for (name, _) in list {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let mut out = String::new();
    for name in names {
        let found: Vec<Option<&Layout>> = per_target
            .iter()
            .map(|list| list.iter().find(|(n, _)| n == name).map(|(_, l)| l))
            .collect();
        // The named fields, in the order the targets have them; `_` fields
        // stand for the bytes of fields the programs do not read.
        let mut fields: Vec<&str> = Vec::new();
        for layout in found.iter().flatten() {
            for (field, _, _) in &layout.fields {
                if !field.starts_with('_') && !fields.contains(&field.as_str()) {
                    fields.push(field);
                }
            }
        }
        write!(out, "`{name}`, offset and type of each field:\n\n| field |").unwrap();
        for target in &TARGETS {
            write!(out, " {} |", target.title).unwrap();
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(TARGETS.len()));
        out.push('\n');
        for field in fields {
            write!(out, "| `{field}` |").unwrap();
            for layout in &found {
                let at = layout.and_then(|l| l.fields.iter().find(|(f, _, _)| f == field));
                match at {
                    Some((_, ty, offset)) => write!(out, " {offset}: `{ty}` |").unwrap(),
                    None => out.push_str(" — |"),
                }
            }
            out.push('\n');
        }
        out.push_str("| *size* |");
        for layout in &found {
            match layout {
                Some(l) => write!(out, " {} bytes |", l.size).unwrap(),
                None => out.push_str(" — |"),
            }
        }
        out.push_str("\n\n");
    }
    out
}

// -------------------------------------------------------------- modules

/// A source file of the final server: its module path and file name.
struct Module {
    path: Vec<String>,
    file: String,
    summary: String,
    text: String,
}

/// The module a file under src/ is: `sys/net.rs` -> sys::net,
/// `sys/darwin_aarch64.rs` -> sys::arch (it is compiled under that name).
fn module_path(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut path: Vec<String> = stem.split('/').map(str::to_owned).collect();
    match path.last().map(String::as_str) {
        Some("main") | Some("mod") => {
            path.pop();
        }
        Some("darwin_aarch64" | "linux_aarch64" | "linux_x86_64") => {
            *path.last_mut().unwrap() = "arch".into();
        }
        _ => {}
    }
    path
}

fn modules(stage: &str) -> Vec<Module> {
    let dir = workspace_root().join(stage);
    diff::files_in(&dir)
        .into_iter()
        .filter_map(|file| {
            let file = file.to_str()?.strip_prefix("src/")?.to_owned();
            file.ends_with(".rs").then_some(file)
        })
        .map(|file| {
            let text = diff::read(&dir.join("src").join(&file));
            // The first sentence of the module's `//!` comment.
            let paragraph: Vec<&str> = text
                .lines()
                .map_while(|l| l.strip_prefix("//!"))
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            assert!(
                !paragraph.is_empty(),
                "{stage}/src/{file} has no `//!` line"
            );
            let paragraph = paragraph.join(" ");
            let summary = match paragraph.split_once(". ") {
                Some((first, _)) => format!("{first}."),
                None => paragraph,
            };
            Module {
                path: module_path(&file),
                file,
                summary,
                text,
            }
        })
        .collect()
}

/// The code of a file without its comments (a `//` inside a string cuts
/// the rest of that line too, which no path depends on).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads the path that starts at `at` in `code` (`a::b::{c, d::e}`),
/// expanded into every full path it names; returns them and where the
/// path ends.
fn read_path(code: &[char], mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        let start = at;
        while at < code.len() && is_ident(code[at]) {
            at += 1;
        }
        if start == at {
            if code.get(at) == Some(&'*') {
                prefix.push("*".to_owned());
                return (vec![prefix], at + 1);
            }
            if code.get(at) != Some(&'{') {
                return (vec![prefix], at);
            }
            // A group: each member is a path of its own under the prefix.
            let mut all = Vec::new();
            at += 1;
            loop {
                while code.get(at).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    at += 1;
                }
                if code.get(at).is_none_or(|c| *c == '}') {
                    return (all, at + 1);
                }
                let (members, end) = read_path(code, at);
                for member in members {
                    let mut full = prefix.clone();
                    full.extend(member.into_iter().filter(|s| s != "self"));
                    all.push(full);
                }
                at = end;
            }
        }
        prefix.push(code[start..at].iter().collect());
        if code.get(at) == Some(&':') && code.get(at + 1) == Some(&':') {
            at += 2;
        } else {
            return (vec![prefix], at);
        }
    }
}

/// Item paths a module re-exports (`pub use errno::Errno;` in sys makes
/// sys::Errno stand for sys::errno::Errno): re-exported path -> original.
type Reexports = BTreeMap<Vec<String>, Vec<String>>;

fn reexports(modules: &[Module]) -> Reexports {
    let mut found = Reexports::new();
    for module in modules {
        let code: Vec<char> = code(&module.text).chars().collect();
        let text: String = code.iter().collect();
        for (at, _) in text.match_indices("pub use ") {
            let start = text[..at].chars().count() + "pub use ".len();
            for path in read_path(&code, start).0 {
                let mut full = module.path.clone();
                let rest = match path.first().map(String::as_str) {
                    Some("super") => {
                        full.pop();
                        &path[1..]
                    }
                    Some("crate") => {
                        full.clear();
                        &path[1..]
                    }
                    _ => &path[..],
                };
                full.extend(rest.iter().cloned());
                if let Some(last) = full.last().filter(|s| *s != "*") {
                    let mut alias = module.path.clone();
                    alias.push(last.clone());
                    if alias != full {
                        found.insert(alias, full);
                    }
                }
            }
        }
    }
    found
}

/// `path` with a re-exported prefix replaced by what it stands for.
fn resolve(mut path: Vec<String>, reexports: &Reexports) -> Vec<String> {
    for n in (1..=path.len()).rev() {
        if let Some(original) = reexports.get(&path[..n]) {
            let mut resolved = original.clone();
            resolved.extend(path.drain(n..));
            return resolved;
        }
    }
    path
}

/// The modules of `known` that `module` names, by `use` or by a path in
/// its code.
fn uses(
    module: &Module,
    known: &BTreeSet<Vec<String>>,
    reexports: &Reexports,
) -> BTreeSet<Vec<String>> {
    let code: Vec<char> = code(&module.text).chars().collect();
    // Names in scope: the modules this one declares, if it is main.rs or
    // a mod.rs, then whatever it imports.
    let declares = module.file == "main.rs" || module.file.ends_with("mod.rs");
    let mut scope: BTreeMap<String, Vec<String>> = known
        .iter()
        .filter(|path| declares && path.len() == module.path.len() + 1)
        .filter(|path| path.starts_with(&module.path))
        .map(|path| (path.last().unwrap().clone(), path.clone()))
        .collect();
    let mut found = BTreeSet::new();
    let mut at = 0;
    while at < code.len() {
        let starts =
            is_ident(code[at]) && (at == 0 || !is_ident(code[at - 1]) && code[at - 1] != ':');
        if !starts {
            at += 1;
            continue;
        }
        let is_use = code[..at]
            .iter()
            .collect::<String>()
            .trim_end()
            .ends_with("use");
        let (paths, end) = read_path(&code, at);
        at = end.max(at + 1);
        for path in paths {
            let Some(first) = path.first() else { continue };
            let mut full = match first.as_str() {
                "crate" => Vec::new(),
                "super" => module.path[..module.path.len().saturating_sub(1)].to_vec(),
                "self" => module.path.clone(),
                name => match scope.get(name) {
                    Some(base) => base[..base.len() - 1].to_vec(),
                    None => continue,
                },
            };
            let rest = if ["crate", "super", "self"].contains(&first.as_str()) {
                &path[1..]
            } else {
                &path[..]
            };
            full.extend(rest.iter().cloned());
            // `use super::linux::*;` uses sys::linux, whatever it takes.
            let glob = full.last().is_some_and(|s| s == "*");
            if glob {
                full.pop();
            }
            let full = resolve(full, reexports);
            if let Some(last) = full.last().filter(|_| is_use) {
                scope.insert(last.clone(), full.clone());
            }
            let target = (0..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|prefix| known.contains(prefix))
                .unwrap_or_default();
            // `use crate::sys;` only brings a name into scope: the paths
            // through it say what is used.
            let names_a_module = is_use && target == full && !glob;
            if (path.len() < 2 && !is_use) || names_a_module {
                continue;
            }
            if target != module.path {
                found.insert(target);
            }
        }
    }
    found
}

fn module_name(path: &[String]) -> String {
    match path.is_empty() {
        true => "crate root".into(),
        false => path.join("::"),
    }
}

fn modules_table(stage: &str) -> String {
    let mut modules = modules(stage);
    // The crate root first, then the program's modules, then sys's.
    modules.sort_by_key(|m| {
        (
            m.path.first().is_some_and(|p| p == "sys"),
            m.path.len(),
            m.path.clone(),
            m.file.clone(),
        )
    });
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let reexports = reexports(&modules);
    let all_uses: Vec<BTreeSet<Vec<String>>> = modules
        .iter()
        .map(|m| uses(m, &known, &reexports))
        .collect();
    let mut out = String::new();
    for (module, used) in modules.iter().zip(&all_uses) {
        let users: BTreeSet<String> = modules
            .iter()
            .zip(&all_uses)
            .filter(|(other, u)| other.path != module.path && u.contains(&module.path))
            .map(|(other, _)| module_name(&other.path))
            .collect();
        let list = |names: Vec<String>| match names.is_empty() {
            true => "nothing".to_owned(),
            false => names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        writeln!(
            out,
            "- **`{}`** (`src/{}`): {}\n  - uses {}\n  - used by {}",
            module_name(&module.path),
            module.file,
            module.summary,
            list(used.iter().map(|p| module_name(p)).collect()),
            list(users.into_iter().collect()),
        )
        .unwrap();
    }
    out
}

// ---------------------------------------------------------------- tests

/// Every generated table, by file name.
fn fresh_tables() -> BTreeMap<String, String> {
    let stage = final_stage();
    let by_stage = calls_by_stage();
    let mut fresh = BTreeMap::new();
    let source =
        |what: &str| format!("<!-- generated from {what} by tests/reference.rs: {BLESS} -->\n\n");
    fresh.insert(
        "syscalls.md".to_owned(),
        source("the nr modules in each stage's src/sys") + &calls_table(&by_stage),
    );
    for (t, name) in ["darwin_aarch64", "linux_x86_64", "linux_aarch64"]
        .iter()
        .enumerate()
    {
        fresh.insert(
            format!("prototypes-{name}.md"),
            source(&format!("the nr module of each stage's src/sys/{name}.rs"))
                + &prototypes_table(&by_stage, t),
        );
    }
    fresh.insert(
        "errno.md".to_owned(),
        source("each stage's src/sys/errno.rs") + &errors_table(),
    );
    fresh.insert(
        "constants.md".to_owned(),
        source(&format!("{stage}/src/sys")) + &constants_table(&stage),
    );
    fresh.insert(
        "layouts.md".to_owned(),
        source(&format!("{stage}/src/sys")) + layouts_tables(&stage).trim_end() + "\n",
    );
    fresh.insert(
        "modules.md".to_owned(),
        source(&format!("{stage}/src")) + &modules_table(&stage),
    );
    fresh
}

#[test]
fn reference_tables_are_fresh() {
    generated::check(
        &reference_dir().join("generated"),
        ".md",
        &fresh_tables(),
        BLESS,
    );
}

/// The layouts the tables show are the ones the compiler gives: each
/// `size_of`/`offset_of!` assert in a sys file agrees with the computed
/// layout, in every stage.
#[test]
fn computed_layouts_agree_with_the_sources_asserts() {
    let mut checked = 0;
    for stage in stages() {
        for target in &TARGETS {
            let layouts = layouts(&stage, target);
            for file in target.files {
                let text = sys_file(&stage, file).unwrap_or_default();
                for line in text.lines() {
                    let Some(claim) = line
                        .strip_prefix("const _: () = assert!(")
                        .and_then(|l| l.strip_suffix(");"))
                    else {
                        continue;
                    };
                    // Only `size_of::<S>() == N` and `offset_of!(S, f) == N`.
                    let Some((what, Ok(value))) = claim
                        .split_once(" == ")
                        .map(|(what, value)| (what, value.parse::<usize>()))
                    else {
                        continue;
                    };
                    let find = |name: &str| {
                        &layouts
                            .iter()
                            .find(|(n, _)| n == name.trim())
                            .unwrap_or_else(|| panic!("{stage} {file}: no layout for {name}"))
                            .1
                    };
                    let computed = if let Some(name) = what.strip_prefix("size_of::<") {
                        find(name.trim_end_matches(">()")).size
                    } else if let Some(args) = what.strip_prefix("core::mem::offset_of!(") {
                        let (name, field) = args.trim_end_matches(')').split_once(',').unwrap();
                        let layout = find(name);
                        layout
                            .fields
                            .iter()
                            .find(|(f, _, _)| f == field.trim())
                            .unwrap()
                            .2
                    } else {
                        continue;
                    };
                    assert_eq!(computed, value, "{stage}/src/sys/{file}: {claim}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "no layout asserts found to check against");
}

/// The ids mdBook gives a page's headings: the text, lower case, spaces
/// as dashes, other punctuation dropped; or an explicit `{#id}`.
fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        if let Some((_, id)) = title.rsplit_once("{#") {
            ids.insert(id.trim_end_matches('}').to_owned());
            continue;
        }
        // Link text only, not its address.
        let mut plain = String::new();
        let mut skip = false;
        let chars: Vec<char> = title.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if c == '(' && i > 0 && chars[i - 1] == ']' {
                skip = true;
            } else if skip && c == ')' {
                skip = false;
            } else if !skip {
                plain.push(c);
            }
        }
        let id: String = plain
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c.to_ascii_lowercase()),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        let mut unique = id.clone();
        let mut n = 1;
        while !ids.insert(unique.clone()) {
            unique = format!("{id}-{n}");
            n += 1;
        }
    }
    ids
}

/// Every link from a reference page to a page of the book names a page
/// that exists and, after `#`, a heading on it: the glossary's links
/// break when a chapter is renamed or a heading reworded.
#[test]
fn reference_links_land_on_headings() {
    let src = workspace_root().join("book/src");
    let mut broken = Vec::new();
    let mut pages = 0;
    for entry in std::fs::read_dir(reference_dir()).expect("book/src/reference exists") {
        let page = entry.unwrap().path();
        if page.extension().is_none_or(|e| e != "md") {
            continue;
        }
        pages += 1;
        let text = std::fs::read_to_string(&page).unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let link = &rest[..rest.find(')').unwrap_or(rest.len())];
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
            let target: PathBuf = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let shown = format!(
                "{}: ({link})",
                page.strip_prefix(&src).unwrap_or(&page).display()
            );
            let Ok(target_text) = std::fs::read_to_string(&target) else {
                broken.push(format!("{shown}: no such page"));
                continue;
            };
            if !anchor.is_empty() && !heading_ids(&target_text).contains(anchor) {
                broken.push(format!("{shown}: no heading with that id"));
            }
        }
    }
    assert!(
        pages > 0,
        "no reference pages in {}",
        reference_dir().display()
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The generated tables cover what the final server does: every call in
/// its `nr` modules has a row, and each of its modules one.
#[test]
fn the_tables_cover_the_final_server() {
    let tables = fresh_tables();
    let stage = final_stage();
    let by_stage = calls_by_stage();
    let (_, last) = by_stage.last().unwrap();
    for call in last.iter().flatten() {
        assert!(
            tables["syscalls.md"].contains(&format!("| `{}` |", call.row())),
            "{stage}: {} has no row in the syscall table",
            call.constant
        );
    }
    for module in modules(&stage) {
        assert!(
            tables["modules.md"].contains(&format!("(`src/{}`)", module.file)),
            "{stage}: src/{} has no row in the module map",
            module.file
        );
    }
}
