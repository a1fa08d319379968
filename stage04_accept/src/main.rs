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

mod line;
mod mem;
mod sys;

use line::Line;

// ANCHOR: constants
/// The port when none is given: a common choice for a development server.
const DEFAULT_PORT: u16 = 8080;
/// 127.0.0.1, the loopback address: reachable from this machine only.
const LOOPBACK: [u8; 4] = [127, 0, 0, 1];
/// How many finished handshakes the kernel may queue before the program
/// accepts them; the kernels cap it at their own limit (`somaxconn`).
const BACKLOG: usize = 128;
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
/// the arguments the kernel laid out: `args[0]` is the program's own name.
fn start(args: &[*const u8]) -> ! {
    // Before the program opens anything, so that nothing it opens can
    // become its standard input, output or error.
    if let Err(err) = sys::io::fill_standard_descriptors() {
        fail(Line::new().push(b"open /dev/null"), err);
    }
    let port = match args {
        [] | [_] => DEFAULT_PORT,
        [_, arg] => {
            // SAFETY: every argv entry is a NUL-terminated string the kernel
            // copied into our stack, and it stays there for the whole run.
            let text = unsafe { sys::c_str(*arg) };
            parse_port(text).unwrap_or_else(|| {
                usage(Line::new().push(b"not a port: \"").push(text).push(b"\""))
            })
        }
        _ => usage(Line::new().push(b"too many arguments")),
    };
    let (listener, port) = open_listener(port);
    let mut line = Line::new();
    line.push(b"listening on http://")
        .push_addr(LOOPBACK, port)
        .push(b"\n");
    if sys::io::write_all(sys::Fd::STDOUT, line.as_bytes()).is_err() {
        sys::process::exit(1);
    }
    // A client that hangs up before its answer is written makes that write
    // raise SIGPIPE, whose default action kills the process. Ignored, the
    // write fails with EPIPE instead. Forked children inherit this.
    if let Err(err) = sys::process::ignore_signal(sys::process::SIGPIPE) {
        fail(Line::new().push(b"sigaction SIGPIPE"), err);
    }
    supervise(listener, port)
}
// ANCHOR_END: start

// ANCHOR: parse_port
/// Reads a port number: one or more ASCII digits and nothing else, at most
/// 65535. No sign, no spaces, no empty string.
fn parse_port(text: &[u8]) -> Option<u16> {
    if text.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &byte in text {
        // A byte below b'0' wraps around to a large number: one test
        // rejects both sides.
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // Checked at every digit, so `value` is at most 65535 before the
        // multiplication and 655359 after it: a u32 never overflows, even
        // for "99999999999999999999".
        value = value * 10 + digit as u32;
        if value > u16::MAX as u32 {
            return None;
        }
    }
    Some(value as u16)
}
// ANCHOR_END: parse_port

// ANCHOR: open_listener
/// Opens a TCP socket listening on 127.0.0.1:`port` and returns it with
/// the port it really got, which differs when `port` is 0. Ends the
/// program with an error line if any step fails.
fn open_listener(port: u16) -> (sys::Socket, u16) {
    let addr = sys::net::sockaddr_in(LOOPBACK, port);
    let fd = sys::net::socket().unwrap_or_else(|err| socket_failed(b"socket", port, err));
    if let Err(err) = sys::net::set_reuse_addr(fd) {
        socket_failed(b"setsockopt SO_REUSEADDR", port, err);
    }
    if let Err(err) = sys::net::bind(fd, &addr) {
        socket_failed(b"bind", port, err);
    }
    if let Err(err) = sys::net::listen(fd, BACKLOG) {
        socket_failed(b"listen", port, err);
    }
    match sys::net::getsockname(fd) {
        Ok(bound) => (fd, u16::from_be_bytes(bound.sin_port)),
        Err(err) => socket_failed(b"getsockname", port, err),
    }
}
// ANCHOR_END: open_listener

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
                report(Line::new().push(b"wait4"), err);
                stop(&pool);
                sys::process::exit(1);
            }
        };
        if pid == pool.watcher {
            pool.watcher = 0;
            stop(&pool);
            if let Err(err) = sys::io::close(listener.fd()) {
                socket_failed(b"close", port, err);
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
            report(Line::new().push(b"fork"), err);
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
            Err(err) => socket_failed(b"accept", port, err),
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
    if let Err(err) = wait_for_enter() {
        fail(Line::new().push(b"read standard input"), err);
    }
    sys::process::exit(0)
}
// ANCHOR_END: watch_stdin

// ANCHOR: wait_for_enter
/// Blocks until a line is entered on standard input or it reaches end of
/// file (Ctrl-D in a terminal, or the writing end of a pipe closed).
fn wait_for_enter() -> Result<(), sys::Errno> {
    let mut buf = [0u8; 64];
    loop {
        let n = sys::io::read(sys::Fd::STDIN, &mut buf)?;
        if n == 0 || buf.iter().take(n).any(|&byte| byte == b'\n') {
            return Ok(());
        }
    }
}
// ANCHOR_END: wait_for_enter

// ANCHOR: errors
/// Bad command-line arguments: says what is wrong, shows the usage and
/// exits with status 2, the usual status for a usage error.
fn usage(problem: &Line) -> ! {
    let mut line = Line::new();
    line.push(b"error: ").push(problem.as_bytes()).push(b"\n");
    // If even standard error is closed, there is nobody left to tell.
    let _ = sys::io::write_all(sys::Fd::STDERR, line.as_bytes());
    let _ = sys::io::write_all(sys::Fd::STDERR, USAGE);
    sys::process::exit(2)
}

/// A failed call on the listening socket: names the call and the address.
fn socket_failed(call: &[u8], port: u16, err: sys::Errno) -> ! {
    fail(
        Line::new().push(call).push(b" ").push_addr(LOOPBACK, port),
        err,
    )
}

/// Ends the program after a failed system call, with one line on standard
/// error that names what failed and the error by name and number, e.g.
/// `error: bind 127.0.0.1:8080: address in use (EADDRINUSE, errno 48)`,
/// and exit status 1. The number is the target's own: 98 on Linux.
fn fail(what: &Line, err: sys::Errno) -> ! {
    report(what, err);
    sys::process::exit(1)
}

/// Writes the error line of [`fail`] without exiting.
fn report(what: &Line, err: sys::Errno) {
    let mut line = Line::new();
    line.push(b"error: ").push(what.as_bytes()).push(b": ");
    match err.describe() {
        Some((name, text)) => line
            .push(text.as_bytes())
            .push(b" (")
            .push(name.as_bytes())
            .push(b", "),
        None => line.push(b"unknown error ("),
    };
    line.push(b"errno ").push_decimal(err.number()).push(b")\n");
    let _ = sys::io::write_all(sys::Fd::STDERR, line.as_bytes());
}
// ANCHOR_END: errors

// ANCHOR: panic
/// `no_std` leaves it to us to say what a panic does. There is nobody to
/// tell, so exit with 101, the status Rust's own runtime uses for a panic.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    sys::process::exit(101)
}

/// The `core` library that rustup ships was compiled to unwind, so its
/// panic functions name this symbol in their unwinding tables. We abort
/// instead of unwinding, so nothing ever calls it, but the linker insists
/// it exists: without it, a debug build fails with
/// "undefined symbol: rust_eh_personality".
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
// ANCHOR_END: panic
