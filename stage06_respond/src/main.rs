//! Stage 06: real responses.
//!
//! `stage06_respond [PORT [TIMEOUT [IDLE]]]` reads and parses requests as
//! stage 05 does, and now answers each with a complete HTTP/1.1 response,
//! laid out in one buffer and sent with one write (src/response.rs). `GET
//! /` gets a small HTML page built into the program; any other path gets
//! `404 Not Found`; `HEAD` gets the headers `GET` would, without the body;
//! the other methods get `405 Method Not Allowed`; and every request that
//! stage 05 refuses gets its status with a small HTML page that says why.
//! Each response says how long it is, so one connection carries request
//! after request (src/conn.rs) until the client says `Connection: close`,
//! or waits more than IDLE seconds (5 by default) for the next. A client
//! gets TIMEOUT seconds (10 by default) for each request head; one that
//! takes longer gets `408 Request Timeout`. One log line per request:
//! `127.0.0.1:PORT "GET /path HTTP/1.1" STATUS`.
//!
//! As in stage 04, the original process supervises the workers, and the
//! server stops when you press Enter or its standard input ends. Killing
//! the supervisor alone does not stop the workers: they are orphans then,
//! still accepting. Signal the whole process group instead, as Ctrl-C in
//! a terminal does (`kill -- -PGID`); the tests stop servers through
//! standard input, so that every child is reaped.
#![no_std]
#![no_main]

mod args;
mod assembled;
mod client;
mod conn;
mod console;
mod date;
mod echo;
mod http;
mod line;
mod listener;
mod mem;
mod num;
mod pages;
mod panic;
mod pool;
mod refusal;
mod response;
mod status;
mod sys;

use args::Args;
use line::Line;
use pages::Pages;

const USAGE: &[u8] = b"usage: stage06_respond [PORT [TIMEOUT [IDLE]]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    TIMEOUT: seconds a client has for a request head, 1 to 3600, default 10; \
    IDLE: seconds a connection may wait for its next request, 1 to 3600, default 5)\n";

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
    if words.len() > 3 {
        console::usage(Line::new().push(b"too many arguments"), USAGE);
    }
    let port = match words.next() {
        None => listener::DEFAULT_PORT,
        Some(text) => listener::parse_port(text)
            .unwrap_or_else(|| console::bad_argument(b"port", text, USAGE)),
    };
    let timeout = match words.next() {
        None => conn::DEFAULT_TIMEOUT,
        Some(text) => conn::parse_seconds(text)
            .unwrap_or_else(|| console::bad_argument(b"timeout", text, USAGE)),
    };
    let idle = match words.next() {
        None => conn::DEFAULT_IDLE,
        Some(text) => {
            conn::parse_seconds(text).unwrap_or_else(|| console::bad_argument(b"idle", text, USAGE))
        }
    };
    let limits = conn::Limits { timeout, idle };
    let (listener, port) = listener::open(port);
    if let Err(err) = conn::prepare(listener, limits) {
        listener::failed(b"setsockopt", port, err);
    }
    listener::announce(port);
    // A client that hangs up before its answer is written makes that write
    // raise SIGPIPE, whose default action kills the process. Ignored, the
    // write fails with EPIPE instead. Forked children inherit this.
    if let Err(err) = sys::process::ignore_signal(sys::process::SIGPIPE) {
        console::fail(Line::new().push(b"sigaction SIGPIPE"), err);
    }
    pool::supervise(listener, port, conn::work, &Pages { limits })
}
