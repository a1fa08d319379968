//! Talking to the person who started the program: usage errors (status
//! 2), failed system calls (status 1), and waiting for Enter.

use crate::line::Line;
use crate::sys;

// ANCHOR: errors
/// Bad command-line arguments: says what is wrong, shows `usage` and exits
/// with status 2, the usual status for a usage error.
pub fn usage(problem: &Line, usage: &[u8]) -> ! {
    let mut line = Line::new();
    line.push(b"error: ").push(problem.as_bytes()).push(b"\n");
    // If even standard error is closed, there is nobody left to tell.
    let _ = sys::io::write_all(sys::Fd::STDERR, line.as_bytes());
    let _ = sys::io::write_all(sys::Fd::STDERR, usage);
    sys::process::exit(2)
}

/// An argument that does not read as what it should be, quoted:
/// `not a port: "x"`.
pub fn bad_argument(kind: &[u8], text: &[u8], usage_text: &[u8]) -> ! {
    let mut problem = Line::new();
    problem.push(b"not a ").push(kind).push(b": \"");
    usage(problem.push(text).push(b"\""), usage_text)
}

/// Ends the program after a failed system call, with one line on standard
/// error that names what failed and the error by name and number, e.g.
/// `error: bind 127.0.0.1:8080: address in use (EADDRINUSE, errno 48)`,
/// and exit status 1. The number is the target's own: 98 on Linux.
pub fn fail(what: &Line, err: sys::Errno) -> ! {
    report(what, err);
    sys::process::exit(1)
}

/// Writes the error line of [`fail`] without exiting.
pub fn report(what: &Line, err: sys::Errno) {
    let mut line = Line::new();
    line.push(b"error: ").push(what.as_bytes()).push(b": ");
    match err.describe() {
        Some((name, text)) => line
            .push(text.as_bytes())
            .push(b" (")
            .push(name.as_bytes())
            .push(b", "),
        None => line.push(b"unknown error ("),
    };
    line.push(b"errno ").push_decimal(err.number()).push(b")\n");
    let _ = sys::io::write_all(sys::Fd::STDERR, line.as_bytes());
}
// ANCHOR_END: errors

// ANCHOR: wait_for_enter
/// Blocks until a line is entered on standard input or it reaches end of
/// file (Ctrl-D in a terminal, or the writing end of a pipe closed).
pub fn wait_for_enter() -> Result<(), sys::Errno> {
    let mut buf = [0u8; 64];
    loop {
        let n = sys::io::read(sys::Fd::STDIN, &mut buf)?;
        if n == 0 || buf.iter().take(n).any(|&byte| byte == b'\n') {
            return Ok(());
        }
    }
}
// ANCHOR_END: wait_for_enter
