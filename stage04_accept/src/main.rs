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
mod sys;

use args::Args;
use line::Line;

// ANCHOR: constants
const USAGE: &[u8] =
    b"usage: stage04_accept [PORT]  (PORT: 0 to 65535, default 8080, 0 = any free port)\n";
/// How many worker processes accept connections, so how many clients are
/// served at the same time.
const WORKERS: usize = 16;
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
    supervise(listener, port)
}
// ANCHOR_END: start

// ANCHOR: supervise
/// The children the supervisor started: the workers, and the watcher that
/// reads standard input. 0 marks an empty slot.
struct Pool {
    workers: [usize; WORKERS],
    watcher: usize,
}

/// Starts the watcher and the workers, then waits for children to end, for
/// ever: a worker that ends is replaced; the watcher ending means standard
/// input has ended, and the server stops.
///
/// Why a watcher: the supervisor can block in only one call at a time, and
/// it must block in wait4, to learn when a worker dies. A child that reads
/// standard input and exits when it ends turns "the input ended" into "a
/// child ended", which wait4 reports like any other.
fn supervise(listener: sys::Socket, port: u16) -> ! {
    let mut pool = Pool {
        workers: [0; WORKERS],
        watcher: 0,
    };
    pool.watcher = start_child(&pool, Role::Watcher, listener, port);
    for slot in 0..WORKERS {
        pool.workers[slot] = start_child(&pool, Role::Worker, listener, port);
    }
    loop {
        let (pid, ended) = match sys::errno::retry(sys::process::wait_child) {
            Ok(child) => child,
            Err(err) => {
                console::report(Line::new().push(b"wait4"), err);
                stop(&pool);
                sys::process::exit(1);
            }
        };
        if pid == pool.watcher {
            pool.watcher = 0;
            stop(&pool);
            if let Err(err) = sys::io::close(listener.fd()) {
                listener::failed(b"close", port, err);
            }
            // The watcher exits 1 if it could not read standard input.
            sys::process::exit(match ended {
                sys::process::Ended::Exited(status) => status,
                sys::process::Ended::Killed(_) => 1,
            });
        }
        if let Some(slot) = pool.workers.iter().position(|&worker| worker == pid) {
            let mut line = Line::new();
            line.push(b"worker ").push_decimal(pid);
            match ended {
                sys::process::Ended::Exited(status) => line
                    .push(b" exited with status ")
                    .push_decimal(status as usize),
                sys::process::Ended::Killed(signal) => line
                    .push(b" killed by signal ")
                    .push_decimal(signal as usize),
            };
            line.push(b", starting another\n");
            let _ = sys::io::write_all(sys::Fd::STDOUT, line.as_bytes());
            pool.workers[slot] = 0;
            pool.workers[slot] = start_child(&pool, Role::Worker, listener, port);
        }
    }
}

/// What a child of the supervisor does.
enum Role {
    Watcher,
    Worker,
}

/// Forks a child that takes on `role` and returns its pid. If fork fails,
/// the server cannot keep its pool full: it stops and exits 1.
fn start_child(pool: &Pool, role: Role, listener: sys::Socket, port: u16) -> usize {
    match sys::process::fork() {
        // fork returns twice: 0 in the new process, which never comes back
        // here, and the new process's pid in the supervisor.
        Ok(0) => match role {
            Role::Watcher => watch_stdin(listener),
            Role::Worker => work(listener, port),
        },
        Ok(pid) => pid,
        Err(err) => {
            console::report(Line::new().push(b"fork"), err);
            stop(pool);
            sys::process::exit(1)
        }
    }
}

/// Ends every child and reaps it, so that none outlives the server and
/// none is left a zombie. A worker in the middle of a request dies with it.
fn stop(pool: &Pool) {
    for &pid in pool.workers.iter().chain([&pool.watcher]) {
        if pid != 0 {
            let _ = sys::process::kill(pid, sys::process::SIGTERM);
        }
    }
    // wait4 fails with ECHILD once this process has no children left.
    while sys::errno::retry(sys::process::wait_child).is_ok() {}
}
// ANCHOR_END: supervise

// ANCHOR: work
/// A worker: accepts connections on the shared listening socket for ever.
/// All workers block in accept on the same socket, and the kernel hands
/// each new connection to one of them.
fn work(listener: sys::Socket, port: u16) -> ! {
    let pid = sys::process::getpid();
    loop {
        let (conn, peer) = match sys::errno::retry(|| sys::net::accept(listener)) {
            Ok(accepted) => accepted,
            // A client gave up while it sat in the queue (a signal that
            // interrupted the wait is retried): no reason to stop accepting.
            Err(sys::Errno::ECONNABORTED) => continue,
            Err(err) => listener::failed(b"accept", port, err),
        };
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

// ANCHOR: watch_stdin
/// The watcher: waits for standard input to end, then exits, which the
/// supervisor's wait4 sees. It never uses the socket, so it closes its
/// copy at once.
fn watch_stdin(listener: sys::Socket) -> ! {
    let _ = sys::io::close(listener.fd());
    if let Err(err) = console::wait_for_enter() {
        console::fail(Line::new().push(b"read standard input"), err);
    }
    sys::process::exit(0)
}
// ANCHOR_END: watch_stdin
