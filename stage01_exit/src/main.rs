//! Stage 01: the smallest honest program.
//!
//! No standard library, no C runtime, no `main` that Rust calls for us: the
//! target's entry point (in `sys`) calls `start`, and `start` makes one
//! system call, exit, with status 42. Run it and ask the shell:
//!
//!     cargo run -p stage01_exit; echo $?
#![no_std]
#![no_main]

mod panic;
mod sys;

// ANCHOR: start
/// The program itself, called once by the entry point of the target.
fn start() -> ! {
    sys::process::exit(42)
}
// ANCHOR_END: start
