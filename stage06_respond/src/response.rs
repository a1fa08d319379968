//! An HTTP/1.1 response, laid out in one buffer and sent with one write.
//!
//! A response is a status line, header fields, an empty line, then the
//! body (RFC 9112 §2.1). Every line of the head ends in CRLF:
//!
//! ```text
//! HTTP/1.1 404 Not Found\r\n
//! Server: stage06_respond\r\n
//! Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n
//! Content-Type: text/html; charset=utf-8\r\n
//! Content-Length: 154\r\n
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

use crate::assembled::Assembled;
use crate::conn::Conn;
use crate::line::Line;
use crate::status::Status;

// ANCHOR: response
/// What goes into the `Server` header: the program's name, from Cargo.
const SERVER: &[u8] = env!("CARGO_PKG_NAME").as_bytes();

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

/// Everything a response says, before it is laid out.
pub struct Response<'a> {
    pub status: Status,
    /// The media type of the body, for `Content-Type`.
    pub content_type: &'a [u8],
    /// Header fields this response needs beyond those every response has
    /// (`Allow` in a 405), each a whole line with its CRLF, handed out as a
    /// body hands out its pieces.
    pub fields: Body<'a>,
    pub body: Body<'a>,
}

impl Response<'_> {
    /// Lays out the response to go out on `conn`: status line, headers,
    /// empty line, body. `head_only` leaves the body out but keeps its
    /// length in `Content-Length`: that is the answer to HEAD, the headers
    /// GET would get (RFC 9110 §9.3.2).
    pub fn assemble(&self, conn: &Conn, head_only: bool) -> Assembled {
        // The length goes in the head, which comes first: count the body
        // before laying out anything.
        let mut length = 0;
        (self.body)(&mut |piece| length += piece.len());
        let mut out = Assembled::new();
        // `HTTP-version SP status-code SP reason-phrase CRLF` (RFC 9112
        // §4). A server answers in the highest version it speaks, whatever
        // the request's was (RFC 9110 §6.2): an HTTP/1.0 client reads 1.1
        // as "1.x" and is fine.
        out.push(b"HTTP/1.1 ")
            .push_decimal(self.status.code() as usize)
            .push(b" ")
            .push(self.status.reason().as_bytes())
            .push(b"\r\n");
        out.push(b"Server: ").push(SERVER).push(b"\r\n");
        out.push(b"Date: ").push(&conn.date).push(b"\r\n");
        out.push(b"Content-Type: ")
            .push(self.content_type)
            .push(b"\r\n");
        out.push(b"Content-Length: ")
            .push_decimal(length)
            .push(b"\r\n");
        (self.fields)(&mut |piece| {
            out.push(piece);
        });
        // `Content-Length` tells where this response ends, so the
        // connection can carry the next one; `Connection: close` says it
        // will not (RFC 9112 §9.6).
        if let Some(connection) = conn.connection {
            out.push(b"Connection: ").push(connection).push(b"\r\n");
        }
        out.push(b"\r\n");
        if !head_only {
            (self.body)(&mut |piece| {
                out.push(piece);
            });
        }
        out
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
