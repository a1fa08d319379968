//! Stage 01 exits with status 42 and says nothing.

use workbook_tests::{stage, transcript};

#[test]
fn exits_with_42_and_prints_nothing() {
    let out = stage("stage01_exit").output().unwrap();
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn ignores_its_arguments() {
    let out = stage("stage01_exit").args(["one", "two"]).output().unwrap();
    assert_eq!(out.status.code(), Some(42));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}
