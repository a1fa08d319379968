//! One connection, from accept to close: the requests it carries, one
//! after another (a persistent connection, RFC 9112 §9.3), each read
//! within its deadlines and answered by the stage's `Handler`, a log line
//! for each, and the close. What differs between the stages that serve
//! this way is only what a `Handler` does.

use crate::client::{Client, End, Unanswered};
use crate::date;
use crate::http;
use crate::line::Line;
use crate::num;
use crate::pool;
use crate::status::Status;
use crate::sys;
use core::cell::Cell;

// ANCHOR: constants
/// Seconds a client has to send a request head, from its first byte to
/// the empty line, when no TIMEOUT is given. The same bounds the wait for
/// the first request of a new connection, and each write of an answer.
pub const DEFAULT_TIMEOUT: u32 = 10;
/// Seconds a kept-alive connection may wait for its next request before
/// the server closes it, when no IDLE is given.
pub const DEFAULT_IDLE: u32 = 5;
/// The longest TIMEOUT or IDLE accepted: an hour.
const MAX_SECONDS: u32 = 3600;
/// How many requests one connection may carry; the answer to the last
/// says `Connection: close`. A client that keeps a connection busy for
/// ever would otherwise hold its worker for ever.
const MAX_REQUESTS: usize = 100;
/// The most content a server reads and throws away to keep a connection
/// (a request it answers without reading its content, such as a POST to
/// a page). A client with more is answered with `Connection: close`.
const SKIP_LIMIT: u64 = 64 * 1024;
/// How long a new connection may wait in the kernel for its first bytes
/// before it is handed to a worker all the same, where the kernel can
/// wait (Linux). A client that means to send a request sends it at once;
/// one that stays silent still reaches a worker, and its TIMEOUT, a
/// second later.
const DEFER_SECONDS: u32 = 1;
/// How much of a request target the log shows: a log line must fit in a
/// `Line`, and a target may be 4 KiB long.
const LOGGED_TARGET: usize = 128;
// ANCHOR_END: constants

/// A TIMEOUT or IDLE argument: whole seconds, 1 to `MAX_SECONDS`. 0 is
/// refused: to the kernel, a zero timeout means none at all.
pub fn parse_seconds(text: &[u8]) -> Option<u32> {
    match num::parse_decimal(text) {
        Ok(seconds @ 1..) if seconds <= MAX_SECONDS as u64 => Some(seconds as u32),
        _ => None,
    }
}

/// `seconds` in microseconds, the unit of the clock.
fn micros(seconds: u32) -> i64 {
    seconds as i64 * 1_000_000
}

// ANCHOR: handler
/// The time limits of every connection: TIMEOUT and IDLE, in seconds.
#[derive(Clone, Copy)]
pub struct Limits {
    pub timeout: u32,
    pub idle: u32,
}

/// A connection as an answer sees it: the socket, and what the head of
/// the answer says about the connection.
pub struct Conn {
    pub socket: sys::Socket,
    /// `Date`: when the request was read (RFC 9110 §6.6.1).
    pub date: [u8; date::HTTP_DATE_LEN],
    /// `Connection`, when the answer needs it: `close` when the server
    /// closes after it, `keep-alive` to an HTTP/1.0 client that asked so.
    pub connection: Option<&'static [u8]>,
    /// Whether a write of the answer failed (see [`Conn::broken`]).
    failed: Cell<bool>,
}

impl Conn {
    /// Marks the answer as cut short: the client has gone, or stopped
    /// reading until the send timeout ran out. It cannot have the whole
    /// answer, so it cannot tell where the next one would start, and a
    /// client that reads nothing must not keep its worker for the next
    /// request and the next timeout: the connection ends.
    pub fn broken(&self) {
        self.failed.set(true);
    }
}

/// What a stage does with a connection, around what every stage does alike.
pub trait Handler {
    /// The time limits for every connection.
    fn limits(&self) -> Limits;
    /// Answers a well-formed request and returns the status sent.
    fn answer(&self, conn: &Conn, request: &http::Request) -> Status;
    /// Answers with the error `status` and returns the status sent; `line`
    /// is the request line if it was read whole.
    fn refuse(&self, conn: &Conn, status: Status, line: Option<http::RequestLine>) -> Status;
}
// ANCHOR_END: handler

// ANCHOR: prepare
/// Gives the listening socket what every connection accepted from it
/// starts with: the send timeout, where the kernel copies it into each
/// new socket (one system call at the start instead of one for every
/// connection), and, where the kernel can, a wait for the request's first
/// bytes before a worker is woken (`DEFER_SECONDS`).
pub fn prepare(listener: sys::Socket, limits: Limits) -> Result<(), sys::Errno> {
    if sys::net::SEND_TIMEOUT_INHERITED {
        sys::net::set_send_timeout(listener, limits.timeout)?;
    }
    sys::net::defer_accept(listener, DEFER_SECONDS)
}
// ANCHOR_END: prepare

// ANCHOR: work
/// A worker, run by the pool: serves one client after another, for ever.
pub fn work<H: Handler>(listener: sys::Socket, port: u16, handler: &H) -> ! {
    loop {
        let (socket, peer) = pool::next_client(listener, port);
        let mut client = Client::new(socket, peer);
        match client.serve(handler) {
            End::Close => client.close(),
            End::Linger => client.close_lingering(),
        }
    }
}

impl Client {
    /// Serves requests until one of them ends the connection: the client
    /// asks for that, leaves, stays idle, or breaks a rule, or the server
    /// reaches a limit.
    fn serve(&mut self, handler: &impl Handler) -> End {
        let limits = handler.limits();
        // Without a receive timeout, a client that sends nothing would
        // hold the worker for ever; without a send timeout, one that reads
        // nothing. The send timeout may have come with the socket (see
        // `prepare`). If they cannot be set, the client is not served.
        if self.wait(micros(limits.timeout)).is_err()
            || (!sys::net::SEND_TIMEOUT_INHERITED
                && sys::net::set_send_timeout(self.socket, limits.timeout).is_err())
        {
            return End::Close;
        }
        for served in 0..MAX_REQUESTS {
            let mut log = Line::new();
            log.push_addr(self.peer.sin_addr, u16::from_be_bytes(self.peer.sin_port));
            let next = self.exchange(handler, limits, served, &mut log);
            if let Some(end) = next {
                return end;
            }
        }
        // `exchange` closes on the last request allowed.
        End::Linger
    }
}
// ANCHOR_END: work

// ANCHOR: exchange
impl Client {
    /// Reads one request and has `handler` answer it, and logs what the
    /// request line was and the status sent: `"GET / HTTP/1.1" 200`, with
    /// `"-"` for a request line not read whole, and `"-" -` for a client
    /// that left before it sent anything. `None` if another request may
    /// follow on the connection, else how it ends.
    fn exchange(
        &mut self,
        handler: &impl Handler,
        limits: Limits,
        served: usize,
        log: &mut Line,
    ) -> Option<End> {
        // A new connection gets TIMEOUT for its first request to begin, a
        // kept-alive one IDLE for the next; then TIMEOUT for the head.
        let wait = if served == 0 {
            limits.timeout
        } else {
            limits.idle
        };
        let (len, now) = match self.receive(micros(wait), micros(limits.timeout)) {
            Ok(received) => received,
            // A connection the client opened and never used gets the
            // timeout's answer; one that served requests, a silent close.
            Err(Unanswered::Idle) if served > 0 => return Some(End::Close),
            Err(Unanswered::Idle | Unanswered::TimedOut) => {
                let conn = self.conn(sys::clock::now(), false, b"");
                let status = handler.refuse(&conn, Status::REQUEST_TIMEOUT, None);
                self.log(log.push(b" \"-\" ").push_decimal(status.code() as usize));
                return Some(End::Linger);
            }
            Err(Unanswered::Gone) if served > 0 => return Some(End::Close),
            Err(Unanswered::Gone) => {
                self.log(log.push(b" \"-\" -"));
                return Some(End::Close);
            }
        };
        let (line, status, after) = match http::parse(&self.buf[..len]) {
            http::Parse::Request(request) => {
                // Content that came with the head, and content still to come.
                let arrived = request.content_length.min((len - request.length) as u64);
                let unread = request.content_length - arrived;
                let consumed = request.length + arrived as usize;
                let last = served + 1 == MAX_REQUESTS;
                let keep = persistent(&request) && !last && unread <= SKIP_LIMIT;
                let conn = self.conn(now, keep, request.line.version);
                let status = handler.answer(&conn, &request);
                let after = match keep {
                    _ if conn.failed.get() => After::End(End::Close),
                    true => After::Next { consumed, unread },
                    // What the client sends after the close would reset
                    // the connection: more content, the next request.
                    false if unread > 0 || consumed < len || last => After::End(End::Linger),
                    false => After::End(End::Close),
                };
                (Some(request.line), status, after)
            }
            // After a refusal, where the next request would start cannot
            // be trusted: the connection closes, with whatever is unread.
            http::Parse::Refused(refusal, line) => {
                let conn = self.conn(now, false, b"");
                let status = handler.refuse(&conn, refusal.status(), line);
                (line, status, After::End(End::Linger))
            }
            // The client closed its side before the head was complete.
            http::Parse::Incomplete => {
                let conn = self.conn(now, false, b"");
                let status = handler.refuse(&conn, Status::BAD_REQUEST, None);
                (None, status, After::End(End::Close))
            }
        };
        log_request(log, line, status);
        self.log(log);
        match after {
            After::End(end) => Some(end),
            After::Next { consumed, unread } => {
                // Pipelined bytes move to the front, for the next request.
                self.buf.copy_within(consumed..len, 0);
                self.held = len - consumed;
                self.skip(unread, micros(limits.timeout)).err()
            }
        }
    }
}

/// What follows an answer: the next request, once `consumed` bytes of
/// the buffer are done with and `unread` more bytes of content skipped,
/// or the end of the connection.
enum After {
    Next { consumed: usize, unread: u64 },
    End(End),
}

/// Whether the client means to send another request on this connection
/// (RFC 9112 §9.3): an HTTP/1.1 connection persists unless `Connection`
/// lists `close`; an HTTP/1.0 one only if it lists `keep-alive`.
fn persistent(request: &http::Request) -> bool {
    let listed = |option: &[u8]| {
        request
            .headers()
            .filter(|(name, _)| name.eq_ignore_ascii_case(b"connection"))
            .flat_map(|(_, value)| value.split(|&b| b == b','))
            .any(|item| item.trim_ascii().eq_ignore_ascii_case(option))
    };
    match request.line.version {
        b"HTTP/1.1" => !listed(b"close"),
        _ => listed(b"keep-alive"),
    }
}

/// Adds to `log` the request line, or `"-"`, and the status sent.
fn log_request(log: &mut Line, line: Option<http::RequestLine>, status: Status) {
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

impl Client {
    /// What an answer sent at `now` says about the connection: its date,
    /// and `keep` or not, for a request of HTTP `version`.
    fn conn(&self, now: i64, keep: bool, version: &[u8]) -> Conn {
        let connection: Option<&'static [u8]> = match (keep, version) {
            (false, _) => Some(b"close"),
            (true, b"HTTP/1.0") => Some(b"keep-alive"),
            (true, _) => None,
        };
        Conn {
            socket: self.socket,
            date: date::http_date(now.div_euclid(1_000_000)),
            connection,
            failed: Cell::new(false),
        }
    }

    /// Writes `log` as a line. Built first and written with one write:
    /// lines from workers writing at the same time never interleave.
    /// Written after the answer and before the close, so a client that has
    /// seen the connection end finds all its requests logged (one that has
    /// only read an answer may look before its line is there).
    fn log(&self, log: &mut Line) {
        let _ = sys::io::write_all(sys::Fd::STDOUT, log.push(b"\n").as_bytes());
    }
}
// ANCHOR_END: exchange
