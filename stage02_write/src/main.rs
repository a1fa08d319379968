//! Stage 02: write, and the arguments the kernel hands a program.
//!
//! A tiny `echo`: it writes its arguments separated by spaces and ended by a
//! newline, or a greeting when it has none. If a write fails (try
//! `stage02_write hi >&-`, which starts it with standard output closed) it
//! exits with status 1 and prints nothing, since there is nowhere to print.
#![no_std]
#![no_main]

mod args;
mod mem;
mod panic;
mod sys;

use args::Args;

// ANCHOR: greeting
const GREETING: &[u8] = b"Hello from a program that talks to the kernel directly!\n";
// ANCHOR_END: greeting

// ANCHOR: start
/// The program itself, called once by the entry point of the target with
/// the arguments the kernel laid out: `argv[0]` is the program's own name.
fn start(argv: &'static [*const u8]) -> ! {
    // SAFETY: every argv entry is a NUL-terminated string the kernel
    // copied into our stack, and it stays there for the whole run.
    let args = unsafe { Args::new(argv) };
    let written = if args.words().len() == 0 {
        sys::io::write_all(sys::Fd::STDOUT, GREETING)
    } else {
        echo(args)
    };
    match written {
        Ok(()) => sys::process::exit(0),
        Err(_) => sys::process::exit(1),
    }
}
// ANCHOR_END: start

// ANCHOR: echo
/// Writes each word followed by a space, the last one by a newline.
fn echo(args: Args) -> Result<(), sys::Errno> {
    let count = args.words().len();
    for (i, word) in args.words().enumerate() {
        sys::io::write_all(sys::Fd::STDOUT, word)?;
        let separator: &[u8] = if i + 1 == count { b"\n" } else { b" " };
        sys::io::write_all(sys::Fd::STDOUT, separator)?;
    }
    Ok(())
}
// ANCHOR_END: echo
