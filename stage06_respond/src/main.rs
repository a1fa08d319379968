//! Stage 06: real responses.
//!
//! `stage06_respond [PORT [TIMEOUT]]` reads and parses requests as stage 05
//! does, and now answers each with a complete HTTP/1.1 response, laid out
//! in one buffer and sent with one write (src/response.rs). `GET /` gets a
//! small HTML page built into the program; any other path gets
//! `404 Not Found`; `HEAD` gets the headers `GET` would, without the body;
//! the other methods get `405 Method Not Allowed`; and every request that
//! stage 05 refuses gets its status with a small HTML page that says why.
//! A client gets TIMEOUT seconds (10 by default) for each piece it sends;
//! one that pauses longer gets `408 Request Timeout`. One log line per
//! connection: `127.0.0.1:PORT "GET /path HTTP/1.1" STATUS`.
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
mod response;
mod status;
mod sys;

use args::Args;
use line::Line;
use response::Response;
use status::Status;

// ANCHOR: constants
/// How many seconds a client may pause while sending its request, when no
/// TIMEOUT is given; tests pass a shorter one.
const DEFAULT_TIMEOUT: u32 = 10;
/// The longest TIMEOUT accepted: an hour.
const MAX_TIMEOUT: u32 = 3600;
const USAGE: &[u8] = b"usage: stage06_respond [PORT [TIMEOUT]]  \
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
        Ok(http::Parse::Request(request)) => (Some(request.line), answer(conn, &request)),
        Ok(http::Parse::Refused(refusal, line)) => {
            // The answer to HEAD never has a body, whatever its status
            // (RFC 9110 §9.3.2): the client would not read one.
            let head_only = line.is_some_and(|line| line.method == b"HEAD");
            (line, respond_error(conn, refusal.status(), head_only))
        }
        // The client closed its side before the head was complete.
        Ok(http::Parse::Incomplete) => (None, respond_error(conn, Status::BAD_REQUEST, false)),
        Err(Unanswered::TimedOut) => (None, respond_error(conn, Status::REQUEST_TIMEOUT, false)),
        Err(Unanswered::Gone) => {
            log.push(b" \"-\" -");
            return;
        }
    };
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

// ANCHOR: answer
/// The page `/` serves, built into the program.
const HOME_PAGE: &[u8] = include_bytes!("index.html");

/// The methods every page of this server answers, for `Allow` in a 405.
const ALLOWED: &[u8] = b"GET, HEAD";

/// Answers a well-formed request and returns the status sent. The server
/// has two pages: `/`, the home page, and `/echo`, which shows what the
/// parser saw, as stage 05 did for every request. Each can be read (GET)
/// or asked about (HEAD); any other method at those paths gets 405, and
/// any other path 404, whatever the method.
fn answer(conn: sys::Socket, request: &http::Request) -> Status {
    let head_only = request.line.method == b"HEAD";
    // The query, from `?` on, is not part of the path (RFC 3986 §3.4):
    // `/?lang=en` is still `/`.
    let path = request.line.target.split(|&byte| byte == b'?').next();
    let home_page = |emit: &mut dyn FnMut(&[u8])| emit(HOME_PAGE);
    let echo = |emit: &mut dyn FnMut(&[u8])| echo(request, emit);
    let (content_type, body): (_, response::Body) = match path {
        Some(b"/") => (response::HTML, &home_page),
        Some(b"/echo") => (response::PLAIN_TEXT, &echo),
        _ => return respond_error(conn, Status::NOT_FOUND, head_only),
    };
    if !matches!(request.line.method, b"GET" | b"HEAD") {
        return respond_error(conn, Status::METHOD_NOT_ALLOWED, head_only);
    }
    let response = Response {
        status: Status::OK,
        content_type,
        allow: None,
        body,
    };
    respond(conn, &response, head_only)
}
// ANCHOR_END: answer

// ANCHOR: respond
/// Lays out `response` and sends it with one write, without its body if
/// `head_only`; returns the status sent. Write errors are ignored: each
/// one means the client has gone (EPIPE or ECONNRESET once it hung up),
/// and the worker can do nothing about it.
fn respond(conn: sys::Socket, response: &Response, head_only: bool) -> Status {
    match response.assemble(head_only).bytes() {
        Some(bytes) => {
            let _ = sys::io::write_all(conn.fd(), bytes);
            response.status
        }
        // Too large for the buffer: a fault of the server's, not the
        // client's, so a 500, whose error page is small enough to fit.
        None if response.status != Status::INTERNAL_SERVER_ERROR => {
            respond_error(conn, Status::INTERNAL_SERVER_ERROR, head_only)
        }
        // Even that did not fit (RESPONSE_ROOM made tiny): no answer.
        None => response.status,
    }
}

/// Sends `status` with its error page, a sentence from [`explain`] in it.
fn respond_error(conn: sys::Socket, status: Status, head_only: bool) -> Status {
    let page = response::error_page(status, explain(status));
    let response = Response {
        status,
        content_type: response::HTML,
        // A 405 must say which methods would have worked (RFC 9110
        // §15.5.6).
        allow: (status == Status::METHOD_NOT_ALLOWED).then_some(ALLOWED),
        body: &page,
    };
    respond(conn, &response, head_only)
}

/// One sentence about each error this server sends, for its page. The
/// server's own words: nothing from the request ever appears on an error
/// page, so no request can put markup into one.
fn explain(status: Status) -> &'static [u8] {
    match status {
        Status::BAD_REQUEST => b"The request does not follow the syntax of HTTP/1.1 (RFC 9112).",
        Status::NOT_FOUND => b"There is nothing at this path.",
        Status::METHOD_NOT_ALLOWED => b"This path answers GET and HEAD only.",
        Status::REQUEST_TIMEOUT => b"The request did not arrive in time.",
        Status::CONTENT_TOO_LARGE => b"A GET or HEAD request may not carry content.",
        Status::URI_TOO_LONG => b"The request target is longer than this server accepts.",
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            b"The request header is larger than this server accepts."
        }
        Status::INTERNAL_SERVER_ERROR => b"The response did not fit in the server's buffer.",
        Status::NOT_IMPLEMENTED => b"This server does not know the request's method.",
        Status::HTTP_VERSION_NOT_SUPPORTED => b"This server speaks HTTP/1.0 and HTTP/1.1 only.",
        _ => b"",
    }
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
