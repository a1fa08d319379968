//! One connection, from accept to close: the timeouts, reading the request
//! head, the answer (left to the stage's `Handler`), the log line and the
//! lingering close. Every stage from 05 on serves a connection this way;
//! what differs between them is only what a `Handler` does.

use crate::http;
use crate::line::Line;
use crate::num;
use crate::pool;
use crate::status::Status;
use crate::sys;

// ANCHOR: constants
/// How many seconds a client may pause while sending its request, when no
/// TIMEOUT is given; tests pass a shorter one.
pub const DEFAULT_TIMEOUT: u32 = 10;
/// The longest TIMEOUT accepted: an hour.
const MAX_TIMEOUT: u32 = 3600;
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

/// A TIMEOUT argument: whole seconds, 1 to `MAX_TIMEOUT`. 0 is refused: to
/// the kernel, a zero timeout means none at all.
pub fn parse_timeout(text: &[u8]) -> Option<u32> {
    match num::parse_decimal(text) {
        Ok(seconds @ 1..) if seconds <= MAX_TIMEOUT as u64 => Some(seconds as u32),
        _ => None,
    }
}

// ANCHOR: handler
/// What a stage does with a connection, around what every stage does alike.
pub trait Handler {
    /// Sets the time limits on `conn` before anything is read. Without a
    /// receive timeout, a client that sends nothing would hold the worker
    /// for ever: if one cannot be set, the client is not served at all.
    fn prepare(&self, conn: sys::Socket) -> Result<(), sys::Errno>;
    /// Answers a well-formed request and returns the status sent.
    fn answer(&self, conn: sys::Socket, request: &http::Request) -> Status;
    /// Answers with the error `status` and returns the status sent; `line`
    /// is the request line if it was read whole.
    fn refuse(&self, conn: sys::Socket, status: Status, line: Option<http::RequestLine>) -> Status;
}
// ANCHOR_END: handler

// ANCHOR: work
/// A worker, run by the pool: serves one client after another, for ever.
pub fn work<H: Handler>(listener: sys::Socket, port: u16, handler: &H) -> ! {
    loop {
        let (conn, peer) = pool::next_client(listener, port);
        let mut log = Line::new();
        log.push_addr(peer.sin_addr, u16::from_be_bytes(peer.sin_port));
        serve(conn, handler, &mut log);
        // Built first and written with one write: lines from workers
        // writing at the same time never interleave. Written before the
        // close, so a client that has seen its answer end finds it logged.
        let _ = sys::io::write_all(sys::Fd::STDOUT, log.push(b"\n").as_bytes());
        // Between clients a worker holds only what it was forked with.
        close_lingering(conn);
    }
}

/// Reads one request and has `handler` answer it, and adds to `log` what
/// the request line was and the status sent: `"GET / HTTP/1.1" 200`, with
/// `"-"` for a request line not read whole, and `"-" -` for a client that
/// left before it could be answered.
fn serve(conn: sys::Socket, handler: &impl Handler, log: &mut Line) {
    let mut buf = [0u8; http::HEAD_LIMIT];
    let received = match handler.prepare(conn) {
        Ok(()) => receive(conn, &mut buf),
        Err(_) => Err(Unanswered::Gone),
    };
    let (line, status) = match received {
        Ok(http::Parse::Request(request)) => (Some(request.line), handler.answer(conn, &request)),
        Ok(http::Parse::Refused(refusal, line)) => {
            (line, handler.refuse(conn, refusal.status(), line))
        }
        // The client closed its side before the head was complete.
        Ok(http::Parse::Incomplete) => (None, handler.refuse(conn, Status::BAD_REQUEST, None)),
        Err(Unanswered::TimedOut) => (None, handler.refuse(conn, Status::REQUEST_TIMEOUT, None)),
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
