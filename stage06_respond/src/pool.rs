//! A pool of worker processes around one listening socket: the
//! supervisor that keeps it full, the watcher that ends it when standard
//! input ends, and what every worker does first for each client.

use crate::console;
use crate::line::Line;
use crate::listener;
use crate::sys;

// ANCHOR: workers
/// How many worker processes accept connections, so how many clients are
/// served at the same time. A worker is held for as long as its client
/// takes, so this is also how many idle or slow clients it takes to keep
/// a new one waiting. 16 was enough for stage 04's one-line answers; it is
/// not for a server whose clients are browsers, which open connections
/// ahead of need and leave them silent. 256: room for the 64 silent and
/// 16 trickling connections the book tries, twice over (each may reconnect
/// while its old connection is still being closed), and for real clients
/// besides. An idle worker costs under 100 KiB of private memory, nearly
/// all of it stack (the program's code is shared with the supervisor),
/// so the pool costs at most about 25 MiB. The book's "Many clients at
/// once" measures that, and says what the pool does not do.
const WORKERS: usize = 256;
/// How long a worker waits before it calls `accept` again when the
/// process or the system is out of descriptors.
const BACKOFF_MILLIS: u32 = 1000;
// ANCHOR_END: workers

/// The children the supervisor started: the workers, and the watcher that
/// reads standard input. 0 marks an empty slot. The rest is what a new
/// worker gets: each runs `work(listener, port, context)`, for ever.
struct Pool<'a, C> {
    workers: [usize; WORKERS],
    watcher: usize,
    listener: sys::Socket,
    port: u16,
    work: fn(sys::Socket, u16, &C) -> !,
    context: &'a C,
}

/// Starts the watcher and the workers, then waits for children to end, for
/// ever: a worker that ends is replaced; the watcher ending means standard
/// input has ended, and the server stops.
///
/// Why a watcher: the supervisor can block in only one call at a time, and
/// it must block in wait4, to learn when a worker dies. A child that reads
/// standard input and exits when it ends turns "the input ended" into "a
/// child ended", which wait4 reports like any other.
pub fn supervise<C>(
    listener: sys::Socket,
    port: u16,
    work: fn(sys::Socket, u16, &C) -> !,
    context: &C,
) -> ! {
    let mut pool = Pool {
        workers: [0; WORKERS],
        watcher: 0,
        listener,
        port,
        work,
        context,
    };
    pool.watcher = start_child(&pool, Role::Watcher);
    for slot in 0..WORKERS {
        pool.workers[slot] = start_child(&pool, Role::Worker);
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
            pool.workers[slot] = start_child(&pool, Role::Worker);
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
fn start_child<C>(pool: &Pool<C>, role: Role) -> usize {
    match sys::process::fork() {
        // fork returns twice: 0 in the new process, which never comes back
        // here, and the new process's pid in the supervisor.
        Ok(0) => match role {
            Role::Watcher => watch_stdin(pool.listener),
            Role::Worker => (pool.work)(pool.listener, pool.port, pool.context),
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
fn stop<C>(pool: &Pool<C>) {
    for &pid in pool.workers.iter().chain([&pool.watcher]) {
        if pid != 0 {
            let _ = sys::process::kill(pid, sys::process::SIGTERM);
        }
    }
    // wait4 fails with ECHILD once this process has no children left.
    while sys::errno::retry(sys::process::wait_child).is_ok() {}
}

// ANCHOR: next_client
/// A worker's next client, and the client's address. All workers block in
/// accept on the same socket, and the kernel hands each new connection to
/// one of them. Any error but the three kinds below ends the worker.
pub fn next_client(listener: sys::Socket, port: u16) -> (sys::Socket, sys::net::SockaddrIn) {
    let mut reported = false;
    loop {
        match sys::errno::retry(|| sys::net::accept(listener)) {
            Ok(accepted) => return accepted,
            // A client gave up while it sat in the queue (a signal that
            // interrupted the wait is retried): no reason to stop accepting.
            Err(sys::Errno::ECONNABORTED) => continue,
            // No descriptor left for the connection: this process has as
            // many open as its limit allows (EMFILE), or the whole system
            // has (ENFILE). Exiting would only have the supervisor start
            // a worker that fails the same way, in a loop that fills the
            // log and burns a CPU. The shortage may pass (other programs
            // close theirs, someone raises the limit), so wait and try
            // again, and say so once, not once a second.
            Err(err @ (sys::Errno::EMFILE | sys::Errno::ENFILE)) => {
                if !reported {
                    console::report(Line::new().push(b"accept (trying again)"), err);
                    reported = true;
                }
                let _ = sys::process::sleep(BACKOFF_MILLIS);
            }
            Err(err) => listener::failed(b"accept", port, err),
        }
    }
}
// ANCHOR_END: next_client

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
