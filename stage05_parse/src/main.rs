//! Stage 05: reading and parsing the request.
//!
//! `stage05_parse [PORT [TIMEOUT]]` runs the pool of stage 04, and each
//! worker now reads the whole request head, however many pieces it comes
//! in, and parses it (src/http.rs). A well-formed request is answered
//! `200 OK` with a plain-text echo of what the parser saw; a malformed one
//! gets the status that says what is wrong with it. A client gets TIMEOUT
//! seconds (10 by default) for each piece it sends; one that pauses longer
//! gets `408 Request Timeout`. One log line per connection:
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
mod conn;
mod console;
mod echo;
mod http;
mod line;
mod listener;
mod mem;
mod num;
mod panic;
mod pool;
mod refusal;
mod status;
mod sys;

use args::Args;
use line::Line;
use status::Status;

const USAGE: &[u8] = b"usage: stage05_parse [PORT [TIMEOUT]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    TIMEOUT: seconds a client may pause, 1 to 3600, default 10)\n";

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
    if words.len() > 2 {
        console::usage(Line::new().push(b"too many arguments"), USAGE);
    }
    let port = match words.next() {
        None => listener::DEFAULT_PORT,
        Some(text) => listener::parse_port(text)
            .unwrap_or_else(|| console::bad_argument(b"port", text, USAGE)),
    };
    let timeout = match words.next() {
        None => conn::DEFAULT_TIMEOUT,
        Some(text) => conn::parse_timeout(text)
            .unwrap_or_else(|| console::bad_argument(b"timeout", text, USAGE)),
    };
    let (listener, port) = listener::open(port);
    listener::announce(port);
    // A client that hangs up before its answer is written makes that write
    // raise SIGPIPE, whose default action kills the process. Ignored, the
    // write fails with EPIPE instead. Forked children inherit this.
    if let Err(err) = sys::process::ignore_signal(sys::process::SIGPIPE) {
        console::fail(Line::new().push(b"sigaction SIGPIPE"), err);
    }
    pool::supervise(listener, port, conn::work, &Echo { timeout })
}

// ANCHOR: handler
/// Stage 05's answers: what the parser saw, for a well-formed request; the
/// reason phrase, for any other. Write errors are ignored: each one means
/// the client has gone (EPIPE or ECONNRESET once it hung up), and the
/// worker can do nothing about it.
struct Echo {
    /// Seconds a client may pause while sending its request.
    timeout: u32,
}

impl conn::Handler for Echo {
    fn prepare(&self, conn: sys::Socket) -> Result<(), sys::Errno> {
        sys::net::set_receive_timeout(conn, self.timeout)
    }

    fn answer(&self, conn: sys::Socket, request: &http::Request) -> Status {
        let _ = respond(conn, Status::OK, |emit| echo::echo(request, emit));
        Status::OK
    }

    /// Errors get a fixed body, the reason phrase, whatever the method.
    fn refuse(&self, conn: sys::Socket, status: Status, _: Option<http::RequestLine>) -> Status {
        let _ = respond(conn, status, |emit| {
            emit(status.reason().as_bytes());
            emit(b"\n");
        });
        status
    }
}
// ANCHOR_END: handler

// ANCHOR: respond
/// Writes a response with `status`: the status line, the headers, then the
/// body, which `body` hands to the function it is given piece by piece. It
/// is called twice: once to count the body's length for `Content-Length`,
/// once to send it. `Connection: close` tells the client that the server
/// closes after it.
fn respond(
    conn: sys::Socket,
    status: Status,
    body: impl Fn(&mut dyn FnMut(&[u8])),
) -> Result<(), sys::Errno> {
    let mut length = 0;
    body(&mut |piece| length += piece.len());
    let mut head = Line::new();
    head.push(b"HTTP/1.1 ")
        .push_decimal(status.code() as usize)
        .push(b" ")
        .push(status.reason().as_bytes())
        .push(b"\r\nContent-Type: text/plain\r\nContent-Length: ")
        .push_decimal(length)
        .push(b"\r\nConnection: close\r\n\r\n");
    sys::io::write_all(conn.fd(), head.as_bytes())?;
    let mut sent = Ok(());
    body(&mut |piece| {
        if sent.is_ok() {
            sent = sys::io::write_all(conn.fd(), piece);
        }
    });
    sent
}
// ANCHOR_END: respond
