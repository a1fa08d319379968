//! Stage 03: a listening socket.
//!
//! `stage03_socket [PORT]` asks the kernel for a TCP socket, binds it to
//! 127.0.0.1:PORT (8080 by default; 0 lets the kernel choose a free port)
//! and listens. It prints the address it got, then waits until you press
//! Enter or its standard input ends, then closes the socket and exits 0.
//! While it waits, clients can connect: the kernel completes their TCP
//! handshakes and queues them, though nobody accepts them yet.
#![no_std]
#![no_main]

mod line;
mod mem;
mod sys;

use line::Line;

// ANCHOR: constants
/// The port when none is given: a common choice for a development server.
const DEFAULT_PORT: u16 = 8080;
/// 127.0.0.1, the loopback address: reachable from this machine only.
const LOOPBACK: [u8; 4] = [127, 0, 0, 1];
/// How many finished handshakes the kernel may queue before the program
/// accepts them; the kernels cap it at their own limit (`somaxconn`).
const BACKLOG: usize = 128;
const USAGE: &[u8] =
    b"usage: stage03_socket [PORT]  (PORT: 0 to 65535, default 8080, 0 = any free port)\n";
// ANCHOR_END: constants

// ANCHOR: start
/// The program itself, called once by the entry point of the target with
/// the arguments the kernel laid out: `args[0]` is the program's own name.
fn start(args: &[*const u8]) -> ! {
    // Before the program opens anything, so that nothing it opens can
    // become its standard input, output or error.
    if let Err(err) = sys::io::fill_standard_descriptors() {
        fail(Line::new().push(b"open /dev/null"), err);
    }
    let port = match args {
        [] | [_] => DEFAULT_PORT,
        [_, arg] => {
            // SAFETY: every argv entry is a NUL-terminated string the kernel
            // copied into our stack, and it stays there for the whole run.
            let text = unsafe { sys::c_str(*arg) };
            parse_port(text).unwrap_or_else(|| {
                usage(Line::new().push(b"not a port: \"").push(text).push(b"\""))
            })
        }
        _ => usage(Line::new().push(b"too many arguments")),
    };
    let (listener, port) = open_listener(port);
    let mut line = Line::new();
    line.push(b"listening on http://")
        .push_addr(LOOPBACK, port)
        .push(b"\n");
    if sys::io::write_all(sys::Fd::STDOUT, line.as_bytes()).is_err() {
        sys::process::exit(1);
    }
    if let Err(err) = wait_for_enter() {
        fail(Line::new().push(b"read standard input"), err);
    }
    if let Err(err) = sys::io::close(listener.fd()) {
        socket_failed(b"close", port, err);
    }
    sys::process::exit(0)
}
// ANCHOR_END: start

// ANCHOR: parse_port
/// Reads a port number: one or more ASCII digits and nothing else, at most
/// 65535. No sign, no spaces, no empty string.
fn parse_port(text: &[u8]) -> Option<u16> {
    if text.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &byte in text {
        // A byte below b'0' wraps around to a large number: one test
        // rejects both sides.
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // Checked at every digit, so `value` is at most 65535 before the
        // multiplication and 655359 after it: a u32 never overflows, even
        // for "99999999999999999999".
        value = value * 10 + digit as u32;
        if value > u16::MAX as u32 {
            return None;
        }
    }
    Some(value as u16)
}
// ANCHOR_END: parse_port

// ANCHOR: open_listener
/// Opens a TCP socket listening on 127.0.0.1:`port` and returns it with
/// the port it really got, which differs when `port` is 0. Ends the
/// program with an error line if any step fails.
fn open_listener(port: u16) -> (sys::Socket, u16) {
    let addr = sys::net::sockaddr_in(LOOPBACK, port);
    let fd = sys::net::socket().unwrap_or_else(|err| socket_failed(b"socket", port, err));
    if let Err(err) = sys::net::set_reuse_addr(fd) {
        socket_failed(b"setsockopt SO_REUSEADDR", port, err);
    }
    if let Err(err) = sys::net::bind(fd, &addr) {
        socket_failed(b"bind", port, err);
    }
    if let Err(err) = sys::net::listen(fd, BACKLOG) {
        socket_failed(b"listen", port, err);
    }
    match sys::net::getsockname(fd) {
        Ok(bound) => (fd, u16::from_be_bytes(bound.sin_port)),
        Err(err) => socket_failed(b"getsockname", port, err),
    }
}
// ANCHOR_END: open_listener

// ANCHOR: wait_for_enter
/// Blocks until a line is entered on standard input or it reaches end of
/// file (Ctrl-D in a terminal, or the writing end of a pipe closed).
fn wait_for_enter() -> Result<(), sys::Errno> {
    let mut buf = [0u8; 64];
    loop {
        let n = sys::io::read(sys::Fd::STDIN, &mut buf)?;
        if n == 0 || buf.iter().take(n).any(|&byte| byte == b'\n') {
            return Ok(());
        }
    }
}
// ANCHOR_END: wait_for_enter

// ANCHOR: errors
/// Bad command-line arguments: says what is wrong, shows the usage and
/// exits with status 2, the usual status for a usage error.
fn usage(problem: &Line) -> ! {
    let mut line = Line::new();
    line.push(b"error: ").push(problem.as_bytes()).push(b"\n");
    // If even standard error is closed, there is nobody left to tell.
    let _ = sys::io::write_all(sys::Fd::STDERR, line.as_bytes());
    let _ = sys::io::write_all(sys::Fd::STDERR, USAGE);
    sys::process::exit(2)
}

/// A failed call on the listening socket: names the call and the address.
fn socket_failed(call: &[u8], port: u16, err: sys::Errno) -> ! {
    fail(
        Line::new().push(call).push(b" ").push_addr(LOOPBACK, port),
        err,
    )
}

/// Ends the program after a failed system call, with one line on standard
/// error that names what failed and the error by name and number, e.g.
/// `error: bind 127.0.0.1:8080: address in use (EADDRINUSE, errno 48)`,
/// and exit status 1. The number is the target's own: 98 on Linux.
fn fail(what: &Line, err: sys::Errno) -> ! {
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
    sys::process::exit(1)
}
// ANCHOR_END: errors

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
