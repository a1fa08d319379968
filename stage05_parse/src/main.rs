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
mod console;
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

// ANCHOR: constants
/// How many seconds a client may pause while sending its request, when no
/// TIMEOUT is given; tests pass a shorter one.
const DEFAULT_TIMEOUT: u32 = 10;
/// The longest TIMEOUT accepted: an hour.
const MAX_TIMEOUT: u32 = 3600;
const USAGE: &[u8] = b"usage: stage05_parse [PORT [TIMEOUT]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    TIMEOUT: seconds a client may pause, 1 to 3600, default 10)\n";
/// How much of a request target the log shows: a log line must fit in a
/// `Line`, and a target may be 4 KiB long.
const LOGGED_TARGET: usize = 128;
/// How many bytes a worker reads and throws away, at most, after its
/// answer, while the client finishes sending (see `close_lingering`).
/// Enough for what a client may have in flight when it reads the answer
/// (the socket buffers on both sides, some hundreds of KiB by default);
/// a client that sends more than this is cut off with a reset after all.
const LINGER_LIMIT: usize = 1024 * 1024;
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
    if words.len() > 2 {
        console::usage(Line::new().push(b"too many arguments"), USAGE);
    }
    let port = match words.next() {
        None => listener::DEFAULT_PORT,
        Some(text) => listener::parse_port(text)
            .unwrap_or_else(|| console::bad_argument(b"port", text, USAGE)),
    };
    let timeout = match words.next() {
        None => DEFAULT_TIMEOUT,
        // 0 is refused: to the kernel, a zero timeout means none at all.
        Some(text) => match num::parse_decimal(text) {
            Ok(seconds @ 1..) if seconds <= MAX_TIMEOUT as u64 => seconds as u32,
            _ => console::bad_argument(b"timeout", text, USAGE),
        },
    };
    let (listener, port) = listener::open(port);
    listener::announce(port);
    // A client that hangs up before its answer is written makes that write
    // raise SIGPIPE, whose default action kills the process. Ignored, the
    // write fails with EPIPE instead. Forked children inherit this.
    if let Err(err) = sys::process::ignore_signal(sys::process::SIGPIPE) {
        console::fail(Line::new().push(b"sigaction SIGPIPE"), err);
    }
    pool::supervise(listener, port, work, &timeout)
}
// ANCHOR_END: start

// ANCHOR: work
/// A worker, run by the pool: serves one client after another, for ever.
fn work(listener: sys::Socket, port: u16, timeout: &u32) -> ! {
    loop {
        let (conn, peer) = pool::next_client(listener, port);
        let mut log = Line::new();
        log.push_addr(peer.sin_addr, u16::from_be_bytes(peer.sin_port));
        serve(conn, *timeout, &mut log);
        // Built first and written with one write: lines from workers
        // writing at the same time never interleave. Written before the
        // close, so a client that has seen its answer end finds it logged.
        let _ = sys::io::write_all(sys::Fd::STDOUT, log.push(b"\n").as_bytes());
        // The only descriptor a worker holds between clients is the listener.
        close_lingering(conn);
    }
}

/// Reads one request and answers it, and adds to `log` what the request
/// line was and the status sent: `"GET / HTTP/1.1" 200`, with `"-"` for a
/// request line not read whole, and `"-" -` for a client that left
/// before it could be answered.
/// Write errors are ignored: each one means the client has gone (EPIPE or
/// ECONNRESET once it hung up), and the worker can do nothing about it.
fn serve(conn: sys::Socket, timeout: u32, log: &mut Line) {
    let mut buf = [0u8; http::HEAD_LIMIT];
    // Without a timeout, a client that sends nothing would hold this
    // worker for ever: better not to serve it at all.
    let received = match sys::net::set_receive_timeout(conn, timeout) {
        Ok(()) => receive(conn, &mut buf),
        Err(_) => Err(Unanswered::Gone),
    };
    let (line, status) = match received {
        Ok(http::Parse::Request(request)) => {
            let _ = respond(conn, Status::OK, |emit| echo(&request, emit));
            (Some(request.line), Status::OK)
        }
        Ok(http::Parse::Refused(refusal, line)) => (line, refusal.status()),
        // The client closed its side before the head was complete.
        Ok(http::Parse::Incomplete) => (None, Status::BAD_REQUEST),
        Err(Unanswered::TimedOut) => (None, Status::REQUEST_TIMEOUT),
        Err(Unanswered::Gone) => {
            log.push(b" \"-\" -");
            return;
        }
    };
    if status != Status::OK {
        // Errors get a fixed body: the reason phrase.
        let _ = respond(conn, status, |emit| {
            emit(status.reason().as_bytes());
            emit(b"\n");
        });
    }
    match line {
        Some(line) => {
            let target = &line.target[..line.target.len().min(LOGGED_TARGET)];
            log.push(b" \"").push(line.method).push(b" ").push(target);
            if target.len() < line.target.len() {
                log.push(b"...");
            }
            log.push(b" ").push(line.version).push(b"\" ");
        }
        None => {
            log.push(b" \"-\" ");
        }
    }
    log.push_decimal(status.code() as usize);
}
// ANCHOR_END: work

// ANCHOR: linger
/// Closes a connection without losing the answer: a "lingering close".
/// Closing a socket with bytes in it that nobody read (the rest of a head
/// too large, content the server ignores) makes the kernel reset the
/// connection (RST) instead of ending it (FIN), and a reset can reach the
/// client before it has read the answer, which it then loses. So the
/// worker ends its side first (FIN, after the answer), then reads and
/// throws away what the client still sends, until the client ends its
/// side too, goes quiet for the receive timeout, the connection breaks,
/// or `LINGER_LIMIT` bytes have come. Only then does it close.
fn close_lingering(conn: sys::Socket) {
    if sys::net::shutdown_write(conn).is_ok() {
        let mut discard = [0u8; 4096];
        let mut left = LINGER_LIMIT;
        while left > 0 {
            match sys::errno::retry(|| sys::io::read(conn.fd(), &mut discard)) {
                Ok(0) => break,
                Ok(n) => left = left.saturating_sub(n),
                Err(_) => break,
            }
        }
    }
    let _ = sys::io::close(conn.fd());
}
// ANCHOR_END: linger

// ANCHOR: receive
/// Why a connection ended with no request to answer.
enum Unanswered {
    /// The client sent nothing for longer than the timeout.
    TimedOut,
    /// The client left before sending anything, or the connection broke.
    Gone,
}

/// Reads into `buf` until the parser has an answer: a complete request, a
/// refusal, or "incomplete" if the client stops sending before the head
/// is complete. A request may arrive in any number of pieces, down to one
/// byte each, so the parser looks again after every read, from the start:
/// at most 8 KiB each time, and it keeps the parser free of any state.
fn receive(
    conn: sys::Socket,
    buf: &mut [u8; http::HEAD_LIMIT],
) -> Result<http::Parse<'_>, Unanswered> {
    let mut len = 0;
    // `parse` refuses a full buffer, so there is always room to read into.
    while http::parse(&buf[..len]) == http::Parse::Incomplete {
        match sys::errno::retry(|| sys::io::read(conn.fd(), &mut buf[len..])) {
            Ok(0) if len == 0 => return Err(Unanswered::Gone),
            Ok(0) => break,
            Ok(n) => len += n,
            // What a read returns when SO_RCVTIMEO runs out.
            Err(sys::Errno::EAGAIN) => return Err(Unanswered::TimedOut),
            Err(_) => return Err(Unanswered::Gone),
        }
    }
    // The answer borrows `buf`, which the loop above writes into, so it is
    // parsed once more here, where nothing writes any more.
    Ok(http::parse(&buf[..len]))
}
// ANCHOR_END: receive

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

/// The body of a `200 OK`: what the parser saw, one item per line.
fn echo(request: &http::Request, emit: &mut dyn FnMut(&[u8])) {
    let line = request.line;
    for (label, value) in [
        (&b"method: "[..], line.method),
        (b"target: ", line.target),
        (b"version: ", line.version),
    ] {
        emit(label);
        emit(value);
        emit(b"\n");
    }
    for (name, value) in request.headers() {
        emit(b"header: ");
        emit(name);
        emit(b": ");
        emit(value);
        emit(b"\n");
    }
}
// ANCHOR_END: respond
