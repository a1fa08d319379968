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
/// How many seconds a client may pause while sending its request, when no
/// TIMEOUT is given; tests pass a shorter one.
const DEFAULT_TIMEOUT: u32 = 10;
/// The longest TIMEOUT accepted: an hour.
const MAX_TIMEOUT: u32 = 3600;
/// The folder served when none is given: the demo site, found from the
/// repository's root, where `cargo run -p stage07_files` runs.
const DEFAULT_DOCROOT: &[u8] = b"www";
const USAGE: &[u8] = b"usage: stage07_files [PORT [DOCROOT [TIMEOUT]]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    DOCROOT: the folder to serve, default www; \
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
        None => DEFAULT_TIMEOUT,
        // 0 is refused: to the kernel, a zero timeout means none at all.
        Some(text) => match num::parse_decimal(text) {
            Ok(seconds @ 1..) if seconds <= MAX_TIMEOUT as u64 => seconds as u32,
            _ => console::bad_argument(b"timeout", text, USAGE),
        },
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
    pool::supervise(listener, port, work, &Config { timeout, root })
}
// ANCHOR_END: start

// ANCHOR: work
/// A worker, run by the pool: serves one client after another, for ever.
fn work(listener: sys::Socket, port: u16, config: &Config) -> ! {
    loop {
        let (conn, peer) = pool::next_client(listener, port);
        let mut log = Line::new();
        log.push_addr(peer.sin_addr, u16::from_be_bytes(peer.sin_port));
        serve(conn, *config, &mut log);
        // Built first and written with one write: lines from workers
        // writing at the same time never interleave. Written before the
        // close, so a client that has seen its answer end finds it logged.
        let _ = sys::io::write_all(sys::Fd::STDOUT, log.push(b"\n").as_bytes());
        // Between clients a worker holds only the listener and the
        // document root.
        close_lingering(conn);
    }
}

/// Reads one request and answers it, and adds to `log` what the request
/// line was and the status sent: `"GET / HTTP/1.1" 200`, with `"-"` for a
/// request line not read whole, and `"-" -` for a client that left
/// before it could be answered.
/// Write errors are ignored: each one means the client has gone (EPIPE or
/// ECONNRESET once it hung up), and the worker can do nothing about it.
fn serve(conn: sys::Socket, config: Config, log: &mut Line) {
    let mut buf = [0u8; http::HEAD_LIMIT];
    // Without a timeout, a client that sends nothing would hold this
    // worker for ever: better not to serve it at all.
    // Nor should a client that asks for a big file and stops reading it:
    // sendfile would wait for ever for room in the socket's buffer.
    let timeouts = sys::net::set_receive_timeout(conn, config.timeout)
        .and_then(|()| sys::net::set_send_timeout(conn, config.timeout));
    let received = match timeouts {
        Ok(()) => receive(conn, &mut buf),
        Err(_) => Err(Unanswered::Gone),
    };
    let (line, status) = match received {
        Ok(http::Parse::Request(request)) => (
            Some(request.line),
            files::answer(conn, config.root, &request),
        ),
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
