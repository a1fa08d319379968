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
mod response;
mod status;
mod sys;

use args::Args;
use line::Line;
use response::Response;
use status::Status;

// ANCHOR: constants
const USAGE: &[u8] = b"usage: stage06_respond [PORT [TIMEOUT]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    TIMEOUT: seconds a client may pause, 1 to 3600, default 10)\n";
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
    pool::supervise(listener, port, conn::work, &Pages { timeout })
}
// ANCHOR_END: start

// ANCHOR: work
/// Stage 06's answers: its pages for a well-formed request, an error page
/// for any other.
struct Pages {
    /// Seconds a client may pause while sending its request.
    timeout: u32,
}

impl conn::Handler for Pages {
    fn prepare(&self, conn: sys::Socket) -> Result<(), sys::Errno> {
        sys::net::set_receive_timeout(conn, self.timeout)
    }

    fn answer(&self, conn: sys::Socket, request: &http::Request) -> Status {
        answer(conn, request)
    }

    fn refuse(&self, conn: sys::Socket, status: Status, line: Option<http::RequestLine>) -> Status {
        // The answer to HEAD never has a body, whatever its status
        // (RFC 9110 §9.3.2): the client would not read one.
        let head_only = line.is_some_and(|line| line.method == b"HEAD");
        respond_error(conn, status, head_only)
    }
}
// ANCHOR_END: work

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
    let echo = |emit: &mut dyn FnMut(&[u8])| echo::echo(request, emit);
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
// ANCHOR_END: respond
