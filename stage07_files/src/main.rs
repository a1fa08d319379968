//! Stage 07: a static file server.
//!
//! `stage07_files [PORT [DOCROOT [TIMEOUT [IDLE]]]]` serves the folder DOCROOT
//! (`www` by default): each request-target is mapped to a path inside it
//! (src/path.rs), opened without following any symbolic link, and sent
//! with `sendfile`, with its `Content-Type` (src/mime.rs), its validators
//! (`Last-Modified`, `ETag`: src/date.rs, src/validators.rs) and, when
//! asked, only a range of it (src/range.rs). A folder serves its
//! `index.html`, or else a listing of its entries (src/listing.rs);
//! src/site.rs puts these together. A connection carries request after
//! request (src/conn.rs) until the client closes it or waits more than
//! IDLE seconds (5 by default) for the next; TIMEOUT seconds (10 by
//! default) bound each request head, and each pause of a client reading
//! the answer. One log line per request:
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
mod client;
mod conn;
mod console;
mod date;
mod file;
mod folder;
mod http;
mod line;
mod listener;
mod listing;
mod mem;
mod mime;
mod num;
mod open;
mod panic;
mod path;
mod pool;
mod range;
mod refusal;
mod reply;
mod response;
mod sending;
mod site;
mod status;
mod sys;
mod validators;

use args::Args;
use line::Line;

/// The folder served when none is given: the demo site, found from the
/// repository's root, where `cargo run -p stage07_files` runs.
const DEFAULT_DOCROOT: &[u8] = b"www";
const USAGE: &[u8] = b"usage: stage07_files [PORT [DOCROOT [TIMEOUT [IDLE]]]]  \
    (PORT: 0 to 65535, default 8080, 0 = any free port; \
    DOCROOT: the folder to serve, default www; \
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
    if words.len() > 4 {
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
        Some(text) => conn::parse_seconds(text)
            .unwrap_or_else(|| console::bad_argument(b"timeout", text, USAGE)),
    };
    let idle = match words.next() {
        None => conn::DEFAULT_IDLE,
        Some(text) => {
            conn::parse_seconds(text).unwrap_or_else(|| console::bad_argument(b"idle", text, USAGE))
        }
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
    let limits = conn::Limits { timeout, idle };
    let (listener, port) = listener::open(port);
    if let Err(err) = conn::prepare(listener, limits) {
        listener::failed(b"setsockopt", port, err);
    }
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
    pool::supervise(listener, port, conn::work, &site::Site { limits, root })
}
