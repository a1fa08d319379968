//! Stage 02 echoes its arguments, greets when it has none, and turns a
//! failed write into exit status 1.

use workbook_tests::{run, stage_with_closed, to_completion, transcript};

fn report(args: &[&str]) -> String {
    transcript(&run("stage02_write").args(args).output().unwrap())
}

#[test]
fn greets_without_arguments() {
    insta::assert_snapshot!(report(&[]));
}

#[test]
fn echoes_its_arguments() {
    insta::assert_snapshot!(report(&["hello", "world"]));
}

#[test]
fn keeps_spaces_inside_an_argument() {
    insta::assert_snapshot!(report(&["two  spaces", "", "after an empty one"]));
}

#[test]
fn passes_bytes_through_unchanged() {
    insta::assert_snapshot!(report(&["héllo", "wörld", "😀"]));
}

#[test]
fn fails_with_status_1_when_stdout_is_closed() {
    let out = to_completion(stage_with_closed("stage02_write", 1, &["hi"]))
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn echoes_a_long_argument_whole() {
    // Larger than a pipe holds (64 KiB on Linux), under the kernel's 128 KiB
    // limit for one argument.
    let long = "x".repeat(100_000);
    run("stage02_write")
        .arg(&long)
        .assert()
        .success()
        .stdout(format!("{long}\n"));
}
