//! Stage 04: an accept loop, in a pool of worker processes.
//!
//! `stage04_accept [PORT]` opens the listening socket of stage 03, then
//! forks `WORKERS` processes that each accept connections on it: read what
//! the client sent, answer with one fixed HTTP response, close, and again.
//! Each logs one line per connection. The original process becomes their
//! supervisor: it waits for its children and replaces any worker that
//! dies. Like stage 03 it stops when you press Enter or its standard input
//! ends: it then ends and reaps its workers, closes the socket and exits 0.
//!
//! Killing the supervisor alone does not stop the workers: they are
//! orphans then, still accepting. Signal the whole process group instead,
//! as Ctrl-C in a terminal does (`kill -- -PGID`); the tests stop servers
//! through standard input, so that every child is reaped.
#![no_std]
#![no_main]

mod args;
mod console;
mod line;
mod listener;
mod mem;
mod num;
mod panic;
mod pool;
mod sys;

use args::Args;
use line::Line;

// ANCHOR: constants
const USAGE: &[u8] =
    b"usage: stage04_accept [PORT]  (PORT: 0 to 65535, default 8080, 0 = any free port)\n";
/// How much of a request a worker reads: this stage does not look at it.
const REQUEST_ROOM: usize = 1024;
/// The one answer every client gets: status line, headers, a blank line,
/// the body. `Content-Length` counts the body's bytes (29); `Connection:
/// close` tells the client that the server closes after it.
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
    Content-Type: text/plain\r\n\
    Content-Length: 29\r\n\
    Connection: close\r\n\
    \r\n\
    Hello from a worker process!\n";
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
    let (listener, port) = listener::open(port);
    listener::announce(port);
    // A client that hangs up before its answer is written makes that write
    // raise SIGPIPE, whose default action kills the process. Ignored, the
    // write fails with EPIPE instead. Forked children inherit this.
    if let Err(err) = sys::process::ignore_signal(sys::process::SIGPIPE) {
        console::fail(Line::new().push(b"sigaction SIGPIPE"), err);
    }
    pool::supervise(listener, port, work, &())
}
// ANCHOR_END: start

// ANCHOR: work
/// A worker, run by the pool: serves one client after another, for ever.
fn work(listener: sys::Socket, port: u16, _: &()) -> ! {
    let pid = sys::process::getpid();
    loop {
        let (conn, peer) = pool::next_client(listener, port);
        // Built first and written with one write: lines from workers
        // writing at the same time never interleave.
        let mut line = Line::new();
        line.push(b"worker ").push_decimal(pid).push(b" accepted ");
        line.push_addr(peer.sin_addr, u16::from_be_bytes(peer.sin_port))
            .push(b"\n");
        let _ = sys::io::write_all(sys::Fd::STDOUT, line.as_bytes());
        serve(conn);
    }
}

/// Answers one client and closes the connection. Errors are ignored: each
/// one means the client has gone (EPIPE or ECONNRESET once it hung up),
/// and the worker can do nothing but move on to the next.
fn serve(conn: sys::Socket) {
    let mut request = [0u8; REQUEST_ROOM];
    // One read: whatever part of the request has arrived. Not parsed yet.
    let _ = sys::io::read(conn.fd(), &mut request);
    let _ = sys::io::write_all(conn.fd(), RESPONSE);
    // The only descriptor a worker holds between clients is the listener.
    let _ = sys::io::close(conn.fd());
}
// ANCHOR_END: work
