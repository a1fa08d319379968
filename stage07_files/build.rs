//! Tells the linker how to build a program with no C runtime.
//!
//! `rustc-link-arg-bins` reaches only this package's binary, never a test
//! harness, so `cargo test` links as usual.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        // Linux: no crt1.o, no libc; `_start` is ours, and the result is a
        // static, non-PIE executable without a build-id note, which nothing
        // here reads.
        "linux" => {
            for arg in [
                "-nostartfiles",
                "-nostdlib",
                "-static",
                "-no-pie",
                "-Wl,--build-id=none",
            ] {
                println!("cargo::rustc-link-arg-bins={arg}");
            }
        }
        // macOS arm64 refuses static executables: the program links libSystem,
        // so dyld will load it, and never calls into it. dyld calls our `main`.
        "macos" => println!("cargo::rustc-link-arg-bins=-lSystem"),
        _ => {}
    }
}
