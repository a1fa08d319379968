//! Files the tests generate and commit: each test compares the committed
//! copy with a fresh generation, and `WORKBOOK_BLESS=1` rewrites them.

use std::collections::BTreeMap;
use std::path::Path;

/// Whether this run rewrites the generated files (`WORKBOOK_BLESS` is set).
pub fn blessing() -> bool {
    std::env::var_os("WORKBOOK_BLESS").is_some()
}

/// Checks the generated files in `dir` (those ending in `extension`)
/// against `fresh`, or rewrites them under WORKBOOK_BLESS. A file that
/// nothing generates any more counts as stale too. `bless` is the command
/// that regenerates them, for the failure message.
pub fn check(dir: &Path, extension: &str, fresh: &BTreeMap<String, String>, bless: &str) {
    let committed: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|name| name.ends_with(extension))
                .collect()
        })
        .unwrap_or_default();
    if blessing() {
        std::fs::create_dir_all(dir).expect("the folder can be created");
        for name in committed.iter().filter(|n| !fresh.contains_key(*n)) {
            std::fs::remove_file(dir.join(name)).expect("a stale file can be removed");
        }
        for (name, text) in fresh {
            std::fs::write(dir.join(name), text).expect("the file can be written");
        }
        return;
    }
    let mut stale: Vec<String> = fresh
        .iter()
        .filter(|(name, text)| std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(text))
        .map(|(name, _)| name.clone())
        .collect();
    stale.extend(committed.into_iter().filter(|n| !fresh.contains_key(n)));
    assert!(
        stale.is_empty(),
        "stale or missing in {}: {}\nregenerate with: {bless}\n(then review and commit the result)",
        dir.display(),
        stale.join(", ")
    );
}
