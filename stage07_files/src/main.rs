//! Stage 07: a static file server.
//!
//! `stage07_files [PORT [DOCROOT [TIMEOUT]]]` serves the folder DOCROOT
//! (`www` by default): each request-target is mapped to a path inside it
//! (src/path.rs), opened without following any symbolic link, and sent
//! with `sendfile`, with its `Content-Type` (src/mime.rs), its validators
//! (`Last-Modified`, `ETag`: src/date.rs, src/validators.rs) and, when
//! asked, only a range of it (src/range.rs). A folder serves its
//! `index.html`, or else a listing of its entries (src/listing.rs);
//! src/files.rs puts these together. TIMEOUT seconds (10 by default)
//! bound each pause of a client, while it sends its request and while
//! it reads the answer. One log line per connection:
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
mod date;
mod files;
mod http;
mod line;
mod listener;
mod listing;
mod mem;
mod mime;
mod num;
mod panic;
mod path;
mod pool;
mod range;
mod refusal;
mod response;
mod status;
mod sys;
mod validators;

use args::Args;
use line::Line;
use response::{Content, Response};
use status::Status;

// ANCHOR: constants
/// The folder served when none is given: the demo site, found from the
/// repository's root, where `cargo run -p stage07_files` runs.
const DEFAULT_DOCROOT: &[u8] = b"www";
const USAGE: &[u8] = b"usage: stage07_files [PORT [DOCROOT [TIMEOUT]]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    DOCROOT: the folder to serve, default www; \
    TIMEOUT: seconds a client may pause, 1 to 3600, default 10)\n";

/// What every worker needs besides the listening socket.
#[derive(Clone, Copy)]
struct Config {
    /// Seconds a client may pause, sending its request or reading the answer.
    timeout: u32,
    /// The document root, opened once before the workers are forked, so
    /// that each inherits the descriptor.
    root: sys::fs::Dir,
}
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
    if words.len() > 3 {
        console::usage(Line::new().push(b"too many arguments"), USAGE);
    }
    let port = match words.next() {
        None => listener::DEFAULT_PORT,
        Some(text) => listener::parse_port(text)
            .unwrap_or_else(|| console::bad_argument(b"port", text, USAGE)),
    };
    let docroot = words.next().unwrap_or(DEFAULT_DOCROOT);
    let timeout = match words.next() {
        None => conn::DEFAULT_TIMEOUT,
        Some(text) => conn::parse_timeout(text)
            .unwrap_or_else(|| console::bad_argument(b"timeout", text, USAGE)),
    };
    // A symbolic link is followed here: whoever starts the server chooses
    // this path, not a client.
    let root = sys::fs::open_directory(docroot).unwrap_or_else(|err| {
        console::fail(
            Line::new()
                .push(b"open document root \"")
                .push(docroot)
                .push(b"\""),
            err,
        )
    });
    let (listener, port) = listener::open(port);
    listener::announce(port);
    // A client that hangs up before its answer is written makes that write
    // raise SIGPIPE, whose default action kills the process. Ignored, the
    // write fails with EPIPE instead. Forked children inherit this. A
    // handler for some signal, if one is ever added here, must be installed
    // without SA_RESTART: on macOS, a restarted sendfile sends again what
    // it had sent (see `sendfile` in sys/darwin_aarch64.rs).
    if let Err(err) = sys::process::ignore_signal(sys::process::SIGPIPE) {
        console::fail(Line::new().push(b"sigaction SIGPIPE"), err);
    }
    pool::supervise(listener, port, conn::work, &Config { timeout, root })
}
// ANCHOR_END: start

impl conn::Handler for Config {
    fn prepare(&self, conn: sys::Socket) -> Result<(), sys::Errno> {
        // Nor should a client that asks for a big file and stops reading it
        // hold the worker: sendfile would wait for ever for room in the
        // socket's buffer.
        sys::net::set_receive_timeout(conn, self.timeout)
            .and_then(|()| sys::net::set_send_timeout(conn, self.timeout))
    }

    fn answer(&self, conn: sys::Socket, request: &http::Request) -> Status {
        files::answer(conn, self.root, request)
    }

    fn refuse(&self, conn: sys::Socket, status: Status, line: Option<http::RequestLine>) -> Status {
        // The answer to HEAD never has a body, whatever its status
        // (RFC 9110 §9.3.2): the client would not read one.
        let head_only = line.is_some_and(|line| line.method == b"HEAD");
        respond_error(conn, status, head_only)
    }
}

// ANCHOR: respond
/// Sends `response`, without its content if `head_only`, and returns its
/// status. Write errors are ignored: each one means the client has gone
/// (EPIPE or ECONNRESET once it hung up) or stopped reading (EAGAIN once
/// the send timeout ran out), and the worker can do nothing about it.
fn respond(conn: sys::Socket, response: &Response, head_only: bool) -> Status {
    let _ = response.send(conn, head_only);
    response.status
}

/// Sends `status` with its error page, a sentence from [`explain`] in it.
fn respond_error(conn: sys::Socket, status: Status, head_only: bool) -> Status {
    let page = response::error_page(status, explain(status));
    // A 405 must say which methods would have worked (RFC 9110 §15.5.6).
    let allow = |emit: &mut dyn FnMut(&[u8])| {
        if status == Status::METHOD_NOT_ALLOWED {
            emit(b"Allow: ");
            emit(files::ALLOWED);
            emit(b"\r\n");
        }
    };
    let response = Response {
        status,
        content_type: response::HTML,
        fields: &allow,
        content: Content::Page(&page),
    };
    respond(conn, &response, head_only)
}

/// One sentence about each error this server sends, for its page. The
/// server's own words: nothing from the request ever appears on an error
/// page, so no request can put markup into one.
fn explain(status: Status) -> &'static [u8] {
    match status {
        Status::MOVED_PERMANENTLY => b"A folder's address ends with a slash: follow the link.",
        Status::BAD_REQUEST => {
            b"The request does not follow the syntax of HTTP/1.1 (RFC 9112), \
            or its path holds a malformed escape or a control character."
        }
        Status::FORBIDDEN => {
            b"This path leads outside the served folder, to a hidden name, \
            through a symbolic link, or to something that is not a file."
        }
        Status::NOT_FOUND => b"There is nothing at this path.",
        Status::METHOD_NOT_ALLOWED => b"This server answers GET, HEAD and OPTIONS only.",
        Status::REQUEST_TIMEOUT => b"The request did not arrive in time.",
        Status::CONTENT_TOO_LARGE => b"A GET or HEAD request may not carry content.",
        Status::URI_TOO_LONG => {
            b"The request target, or a name in its path, is longer than \
            this server or its kernel accepts."
        }
        Status::RANGE_NOT_SATISFIABLE => b"The range asked for starts past the end of the file.",
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            b"The request header is larger than this server accepts."
        }
        Status::INTERNAL_SERVER_ERROR => b"The server could not read what this path names.",
        Status::NOT_IMPLEMENTED => b"This server does not know the request's method.",
        Status::HTTP_VERSION_NOT_SUPPORTED => b"This server speaks HTTP/1.0 and HTTP/1.1 only.",
        _ => b"",
    }
}

// ANCHOR_END: respond
