//! Stage 02: write, and the arguments the kernel hands a program.
//!
//! A tiny `echo`: it writes its arguments separated by spaces and ended by a
//! newline, or a greeting when it has none. If a write fails (try
//! `stage02_write hi >&-`, which starts it with standard output closed) it
//! exits with status 1 and prints nothing, since there is nowhere to print.
#![no_std]
#![no_main]

mod mem;
mod sys;

// ANCHOR: greeting
const GREETING: &[u8] = b"Hello from a program that talks to the kernel directly!\n";
// ANCHOR_END: greeting

// ANCHOR: start
/// The program itself, called once by the entry point of the target with
/// the arguments the kernel laid out: `args[0]` is the program's own name.
fn start(args: &[*const u8]) -> ! {
    // `get`, not `args[1..]`: a program can be started with no arguments at
    // all, not even its name, and indexing would panic.
    let words = args.get(1..).unwrap_or(&[]);
    let written = if words.is_empty() {
        sys::io::write_all(sys::Fd::STDOUT, GREETING)
    } else {
        echo(words)
    };
    match written {
        Ok(()) => sys::process::exit(0),
        Err(_) => sys::process::exit(1),
    }
}
// ANCHOR_END: start

// ANCHOR: echo
/// Writes each word followed by a space, the last one by a newline.
fn echo(words: &[*const u8]) -> Result<(), sys::Errno> {
    for (i, &word) in words.iter().enumerate() {
        // SAFETY: every argv entry is a NUL-terminated string the kernel
        // copied into our stack, and it stays there for the whole run.
        sys::io::write_all(sys::Fd::STDOUT, unsafe { sys::c_str(word) })?;
        let separator: &[u8] = if i + 1 == words.len() { b"\n" } else { b" " };
        sys::io::write_all(sys::Fd::STDOUT, separator)?;
    }
    Ok(())
}
// ANCHOR_END: echo

// ANCHOR: panic
/// `no_std` leaves it to us to say what a panic does. There is nobody to
/// tell, so exit with 101, the status Rust's own runtime uses for a panic.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    sys::process::exit(101)
}

/// The `core` library that rustup ships was compiled to unwind, so its
/// panic functions name this symbol in their unwinding tables. We abort
/// instead of unwinding, so nothing ever calls it, but the linker insists
/// it exists: without it, a debug build fails with
/// "undefined symbol: rust_eh_personality".
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
// ANCHOR_END: panic
