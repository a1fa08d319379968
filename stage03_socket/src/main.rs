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

mod args;
mod console;
mod line;
mod listener;
mod mem;
mod num;
mod panic;
mod sys;

use args::Args;
use line::Line;

// ANCHOR: constants
const USAGE: &[u8] =
    b"usage: stage03_socket [PORT]  (PORT: 0 to 65535, default 8080, 0 = any free port)\n";
// ANCHOR_END: constants

// ANCHOR: start
/// The program itself, called once by the entry point of the target with
/// the arguments the kernel laid out: `argv[0]` is the program's own name.
fn start(argv: &'static [*const u8]) -> ! {
    // Before the program opens anything, so that nothing it opens can
    // become its standard input, output or error.
    if let Err(err) = sys::io::fill_standard_descriptors() {
        console::fail(Line::new().push(b"open /dev/null"), err);
    }
    // SAFETY: every argv entry is a NUL-terminated string the kernel
    // copied into our stack, and it stays there for the whole run.
    let mut words = unsafe { Args::new(argv) }.words();
    if words.len() > 1 {
        console::usage(Line::new().push(b"too many arguments"), USAGE);
    }
    let port = match words.next() {
        None => listener::DEFAULT_PORT,
        Some(text) => listener::parse_port(text)
            .unwrap_or_else(|| console::bad_argument(b"port", text, USAGE)),
    };
    let (socket, port) = listener::open(port);
    listener::announce(port);
    if let Err(err) = console::wait_for_enter() {
        console::fail(Line::new().push(b"read standard input"), err);
    }
    if let Err(err) = sys::io::close(socket.fd()) {
        listener::failed(b"close", port, err);
    }
    sys::process::exit(0)
}
// ANCHOR_END: start
