//! Stage 01 exits with status 42 and says nothing.

use workbook_tests::{run, transcript};

#[test]
fn exits_with_42_and_prints_nothing() {
    insta::assert_snapshot!(transcript(&run("stage01_exit").output().unwrap()));
}

#[test]
fn ignores_its_arguments() {
    run("stage01_exit")
        .args(["one", "two"])
        .assert()
        .code(42)
        .stdout("")
        .stderr("");
}
