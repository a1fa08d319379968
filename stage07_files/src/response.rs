//! An HTTP/1.1 response, laid out in one buffer: a file's body follows it
//! with sendfile.
//!
//! A response is a status line, header fields, an empty line, then the
//! body (RFC 9112 §2.1). Every line of the head ends in CRLF:
//!
//! ```text
//! HTTP/1.1 404 Not Found\r\n
//! Server: stage07_files\r\n
//! Content-Type: text/html; charset=utf-8\r\n
//! Content-Length: 154\r\n
//! Connection: close\r\n
//! \r\n
//! <!DOCTYPE html>...
//! ```
//!
//! Why one buffer and one `write`: stage 05 wrote the head, then each
//! piece of the body, with a `write` of its own: a dozen system calls for
//! one echo, and as many small TCP segments. `writev` could send the head
//! and the pieces of the body in one call without copying them together.
//! One buffer costs a copy of a few KiB, which is nothing next to a system
//! call, and keeps the short-write loop (`sys::io::write_all`) as simple as it
//! is, where a short `writev` has to find where in its pieces it stopped.
//! `writev` pays off when a body is large or lives elsewhere: a file.
//!
//! Stage 07 sends files, and a file can be larger than any buffer. Its
//! bytes never pass through this one: the head goes out with one write,
//! then the file with `sendfile` (sys/mod.rs, `send_file`). A page the
//! server writes itself, such as a directory listing, can outgrow the
//! buffer too: the buffer is then written out each time it fills, and
//! a small response still goes out in one write.

use crate::line::Line;
use crate::status::Status;
use crate::sys;

// ANCHOR: assembled
/// How many bytes of a response are gathered before they are written: a
/// head, and any page of ours but a long directory listing, fit in one
/// write.
pub const RESPONSE_ROOM: usize = 8 * 1024;

/// A response on its way to the client: bytes gather in the buffer, which
/// is written out whenever it is full, and at the end.
pub struct Outgoing {
    conn: sys::Socket,
    buf: [u8; RESPONSE_ROOM],
    len: usize,
    /// The first write error. From then on nothing more is written: the
    /// client has gone (EPIPE, ECONNRESET) or stopped reading (EAGAIN
    /// after the send timeout).
    sent: Result<(), sys::Errno>,
}

impl Outgoing {
    pub fn new(conn: sys::Socket) -> Outgoing {
        Outgoing {
            conn,
            buf: [0; RESPONSE_ROOM],
            len: 0,
            sent: Ok(()),
        }
    }

    /// Appends `bytes`, writing the buffer out each time it fills.
    pub fn push(&mut self, mut bytes: &[u8]) -> &mut Outgoing {
        while !bytes.is_empty() && self.sent.is_ok() {
            let room = &mut self.buf[self.len..];
            let taken = room.len().min(bytes.len());
            room[..taken].copy_from_slice(&bytes[..taken]);
            self.len += taken;
            bytes = &bytes[taken..];
            if self.len == RESPONSE_ROOM {
                self.flush();
            }
        }
        self
    }

    /// Appends `n` in decimal ASCII, the digits `Line` writes (line.rs).
    pub fn push_decimal(&mut self, n: u64) -> &mut Outgoing {
        self.push(Line::new().push_decimal(n as usize).as_bytes())
    }

    /// Writes out what the buffer holds.
    fn flush(&mut self) {
        if self.sent.is_ok() {
            self.sent = sys::io::write_all(self.conn.fd(), &self.buf[..self.len]);
        }
        self.len = 0;
    }

    /// Writes out the rest and says whether everything went.
    pub fn finish(mut self) -> Result<(), sys::Errno> {
        self.flush();
        self.sent
    }
}
// ANCHOR_END: assembled

// ANCHOR: response
/// What goes into the `Server` header: the program's name.
const SERVER: &[u8] = b"stage07_files";

/// The media type of the pages (RFC 9110 §8.3): HTML, with the character
/// set said, so that a browser need not guess it.
pub const HTML: &[u8] = b"text/html; charset=utf-8";

/// A body, as a function that hands its pieces, in order, to the function
/// it is given. A page made of fixed text and a few parts that vary is
/// sent without first being copied together anywhere.
pub type Body<'a> = &'a dyn Fn(Emit);

/// Where a body's pieces go: a function called once for each, in order.
pub type Emit<'e> = &'e mut dyn FnMut(&[u8]);

/// No header fields beyond the ones every response has.
pub const NO_FIELDS: Body = &|_| {};

/// What follows the head.
pub enum Content<'a> {
    /// A page the server writes, such as an error page or a listing.
    Page(Body<'a>),
    /// `length` bytes of the open file `fd`, from `offset` on.
    File {
        fd: sys::fs::File,
        offset: u64,
        length: u64,
    },
    /// Nothing, and no `Content-Type` or `Content-Length` either: the
    /// answer to OPTIONS (204) and a 304, which never have a body. For a
    /// 304, a length would describe the body a 200 would have had (RFC
    /// 9110 §8.6), so a client could not tell it from a promise.
    Nothing,
}

/// Everything a response says, before it is laid out.
pub struct Response<'a> {
    pub status: Status,
    /// The media type of the content, for `Content-Type`.
    pub content_type: &'a [u8],
    /// Header fields this response needs beyond those every response has
    /// (`Allow`, `Location`, `ETag`, `Content-Range` ...), each a whole
    /// line with its CRLF, handed out as a body hands out its pieces.
    pub fields: Body<'a>,
    pub content: Content<'a>,
}

impl Response<'_> {
    /// Sends the response on `conn`: status line, headers, empty line,
    /// content. `head_only` leaves the content out but keeps its length in
    /// `Content-Length`: that is the answer to HEAD, the headers GET would
    /// get (RFC 9110 §9.3.2).
    pub fn send(&self, conn: sys::Socket, head_only: bool) -> Result<(), sys::Errno> {
        // The length goes in the head, which comes first: count a page
        // before laying out anything.
        let length = match self.content {
            Content::Page(body) => {
                let mut length = 0;
                body(&mut |piece| length += piece.len() as u64);
                Some(length)
            }
            Content::File { length, .. } => Some(length),
            Content::Nothing => None,
        };
        let mut out = Outgoing::new(conn);
        // `HTTP-version SP status-code SP reason-phrase CRLF` (RFC 9112
        // §4). A server answers in the highest version it speaks, whatever
        // the request's was (RFC 9110 §6.2): an HTTP/1.0 client reads 1.1
        // as "1.x" and is fine.
        out.push(b"HTTP/1.1 ")
            .push_decimal(self.status.code() as u64)
            .push(b" ")
            .push(self.status.reason().as_bytes())
            .push(b"\r\n");
        out.push(b"Server: ").push(SERVER).push(b"\r\n");
        if let Some(length) = length {
            out.push(b"Content-Type: ")
                .push(self.content_type)
                .push(b"\r\n");
            out.push(b"Content-Length: ")
                .push_decimal(length)
                .push(b"\r\n");
        }
        (self.fields)(&mut |piece| {
            out.push(piece);
        });
        // The server closes the connection after every response: the
        // client must not wait for another on it (RFC 9112 §9.6).
        out.push(b"Connection: close\r\n");
        out.push(b"\r\n");
        if let (Content::Page(body), false) = (&self.content, head_only) {
            body(&mut |piece| {
                out.push(piece);
            });
        }
        out.finish()?;
        match self.content {
            Content::File { fd, offset, length } if !head_only => {
                sys::fs::send_file(conn, fd, offset, length)
            }
            _ => Ok(()),
        }
    }
}
// ANCHOR_END: response

// ANCHOR: error_page
/// The body of every error response: a small HTML page with the status as
/// its title and heading, and `explanation` under it, e.g. `404 Not Found`
/// and "There is nothing at this path.". `explanation` is the server's own
/// text, never the client's: no markup from a request ever reaches a page.
pub fn error_page(status: Status, explanation: &[u8]) -> impl Fn(Emit) + '_ {
    move |emit| {
        let mut code = Line::new();
        code.push_decimal(status.code() as usize);
        let title = [code.as_bytes(), b" ", status.reason().as_bytes()];
        emit(b"<!DOCTYPE html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n<title>");
        title.iter().for_each(|piece| emit(piece));
        emit(b"</title>\n<h1>");
        title.iter().for_each(|piece| emit(piece));
        emit(b"</h1>\n<p>");
        emit(explanation);
        emit(b"</p>\n</html>\n");
    }
}
// ANCHOR_END: error_page
