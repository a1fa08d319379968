//! A client's connection as a worker reads it: the buffer a request
//! arrives in, the deadlines that bound each wait (for a request to
//! begin, for its head, for content the server skips), and the close.

use crate::http;
use crate::sys;

// ANCHOR: constants
/// How many bytes, and for how long, a worker reads and throws away after
/// its last answer, at most, while the client finishes sending (see
/// `close_lingering`). The bytes: what a client may have in flight when it
/// reads the answer (the socket buffers on both sides); the time: enough
/// for those to arrive, and short, since a client could trickle them.
const LINGER_LIMIT: usize = 1024 * 1024;
const LINGER_MICROS: i64 = 2_000_000;
// ANCHOR_END: constants

// ANCHOR: client
/// A connection being served, and what the worker keeps for it.
pub struct Client {
    pub socket: sys::Socket,
    pub peer: sys::net::SockaddrIn,
    /// The receive timeout the socket has, in microseconds, so that it is
    /// set only when it must change (on a fast request, never).
    timeout: i64,
    /// The request being read; bytes the client sent after it (the next
    /// request, pipelined) stay here, the first `held` of them.
    pub buf: [u8; http::HEAD_LIMIT],
    pub held: usize,
}

/// How a connection ends: with a plain close, or, when bytes the server
/// has not read may still be on their way, a lingering one.
pub enum End {
    Close,
    Linger,
}

/// Why no request came to be answered.
pub enum Unanswered {
    /// The client sent nothing while the server waited for a request.
    Idle,
    /// The client began a head and did not finish it by its deadline.
    TimedOut,
    /// The client left, or the connection broke.
    Gone,
}

impl Client {
    /// A connection just accepted from `peer`, before anything is read.
    pub fn new(socket: sys::Socket, peer: sys::net::SockaddrIn) -> Client {
        Client {
            socket,
            peer,
            timeout: 0,
            buf: [0; http::HEAD_LIMIT],
            held: 0,
        }
    }

    /// Closes the connection, when nothing the client sends can follow.
    pub fn close(&self) {
        let _ = sys::io::close(self.socket.fd());
    }
}
// ANCHOR_END: client

// ANCHOR: receive
impl Client {
    /// Reads until the buffer holds a complete head, a refusal, or a head
    /// the client stopped sending (the parser says which), and returns
    /// its length and the time of the last read. Waits at most `wait` for
    /// the first byte; from that byte on, the whole head must come within
    /// `timeout`: a deadline, not a pause, so that a client trickling a
    /// byte now and then (slowloris) cannot hold the worker for longer.
    /// The parser looks again after every read, from the start: at most
    /// 8 KiB each time, and it keeps the parser free of any state.
    pub fn receive(&mut self, wait: i64, timeout: i64) -> Result<(usize, i64), Unanswered> {
        let mut len = self.held;
        let mut deadline = None;
        loop {
            if len > 0 {
                // The one clock call of a request whose head came in one
                // read: its time is the `Date` of the answer too.
                let now = sys::clock::now();
                let deadline = *deadline.get_or_insert(now + timeout);
                if http::parse(&self.buf[..len]) != http::Parse::Incomplete {
                    return Ok((len, now));
                }
                if now >= deadline {
                    return Err(Unanswered::TimedOut);
                }
                // At most `timeout`, should the clock have been set back.
                self.wait((deadline - now).min(timeout))?;
            } else {
                self.wait(wait)?;
            }
            // `parse` refuses a full buffer, so there is always room.
            match sys::errno::retry(|| sys::io::read(self.socket.fd(), &mut self.buf[len..])) {
                Ok(0) if len == 0 => return Err(Unanswered::Gone),
                Ok(0) => return Ok((len, sys::clock::now())),
                Ok(n) => len += n,
                // What a read returns when SO_RCVTIMEO runs out.
                Err(sys::Errno::EAGAIN) if len == 0 => return Err(Unanswered::Idle),
                Err(sys::Errno::EAGAIN) => return Err(Unanswered::TimedOut),
                Err(_) => return Err(Unanswered::Gone),
            }
        }
    }

    /// Gives the socket a receive timeout of `micros` (never 0, which
    /// would mean none), with a system call only if it differs from the
    /// one it has.
    pub fn wait(&mut self, micros: i64) -> Result<(), Unanswered> {
        if micros != self.timeout {
            sys::net::set_receive_timeout(self.socket, micros).map_err(|_| Unanswered::Gone)?;
            self.timeout = micros;
        }
        Ok(())
    }

    /// Reads and throws away `left` bytes of content, which must all come
    /// within `timeout`. If they do not, the connection ends.
    pub fn skip(&mut self, mut left: u64, timeout: i64) -> Result<(), End> {
        if left == 0 {
            return Ok(());
        }
        let deadline = sys::clock::now() + timeout;
        while left > 0 {
            let now = sys::clock::now();
            if now >= deadline || self.wait((deadline - now).min(timeout)).is_err() {
                return Err(End::Linger);
            }
            let room = left.min(self.buf.len() as u64) as usize;
            match sys::errno::retry(|| sys::io::read(self.socket.fd(), &mut self.buf[..room])) {
                Ok(0) => return Err(End::Close),
                Ok(n) => left -= n as u64,
                Err(_) => return Err(End::Linger),
            }
        }
        Ok(())
    }
}
// ANCHOR_END: receive

// ANCHOR: linger
impl Client {
    /// Closes the connection without losing the answer: a "lingering
    /// close". Closing a socket with bytes in it that nobody read (the
    /// rest of a head too large, content the server ignores, a pipelined
    /// request) makes the kernel reset the connection (RST) instead of
    /// ending it (FIN), and a reset can reach the client before it has
    /// read the answer, which it then loses. So the worker ends its side
    /// first (FIN, after the answer), then reads and throws away what the
    /// client still sends, until the client ends its side too, the
    /// connection breaks, `LINGER_LIMIT` bytes have come, or
    /// `LINGER_MICROS` have passed. Only then does it close.
    pub fn close_lingering(&mut self) {
        if sys::net::shutdown_write(self.socket).is_ok() {
            let deadline = sys::clock::now() + LINGER_MICROS;
            let mut left = LINGER_LIMIT;
            while left > 0 {
                let now = sys::clock::now();
                if now >= deadline || self.wait((deadline - now).min(LINGER_MICROS)).is_err() {
                    break;
                }
                match sys::errno::retry(|| sys::io::read(self.socket.fd(), &mut self.buf)) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        }
        let _ = sys::io::close(self.socket.fd());
    }
}
// ANCHOR_END: linger
