//! Stage 06's site: the home page at `/`, the echo at `/echo`, 404 for
//! any other path, 405 for any method but GET and HEAD, and an error page
//! for every request the parser refuses. Each response is laid out whole
//! (src/response.rs) and sent with one write; one that does not fit gets
//! a 500.

use crate::conn::{self, Conn};
use crate::echo;
use crate::http;
use crate::response::{self, Response};
use crate::status::Status;
use crate::sys;

// ANCHOR: handler
/// Stage 06's answers: its pages for a well-formed request, an error page
/// for any other.
pub struct Pages {
    /// TIMEOUT and IDLE.
    pub limits: conn::Limits,
}

impl conn::Handler for Pages {
    fn limits(&self) -> conn::Limits {
        self.limits
    }

    fn answer(&self, conn: &Conn, request: &http::Request) -> Status {
        answer(conn, request)
    }

    fn refuse(&self, conn: &Conn, status: Status, line: Option<http::RequestLine>) -> Status {
        // The answer to HEAD never has a body, whatever its status
        // (RFC 9110 §9.3.2): the client would not read one.
        let head_only = line.is_some_and(|line| line.method == b"HEAD");
        respond_error(conn, status, head_only)
    }
}
// ANCHOR_END: handler

// ANCHOR: answer
/// The page `/` serves, built into the program.
const HOME_PAGE: &[u8] = include_bytes!("index.html");

/// The methods every page of this server answers, for `Allow` in a 405.
const ALLOWED: &[u8] = b"GET, HEAD";

/// Plain text, for the echo. No character set: the echo repeats the
/// request's bytes, which need not be UTF-8 (a field value may hold any
/// byte from 0x80 up, RFC 9110 §5.5).
const PLAIN_TEXT: &[u8] = b"text/plain";

/// Answers a well-formed request and returns the status sent. The server
/// has two pages: `/`, the home page, and `/echo`, which shows what the
/// parser saw, as stage 05 did for every request. Each can be read (GET)
/// or asked about (HEAD); any other method at those paths gets 405, and
/// any other path 404, whatever the method.
fn answer(conn: &Conn, request: &http::Request) -> Status {
    let head_only = request.line.method == b"HEAD";
    // The query, from `?` on, is not part of the path (RFC 3986 §3.4):
    // `/?lang=en` is still `/`.
    let path = request.line.target.split(|&byte| byte == b'?').next();
    let home_page = |emit: &mut dyn FnMut(&[u8])| emit(HOME_PAGE);
    let echo = |emit: &mut dyn FnMut(&[u8])| echo::echo(request, emit);
    let (content_type, body): (_, response::Body) = match path {
        Some(b"/") => (response::HTML, &home_page),
        Some(b"/echo") => (PLAIN_TEXT, &echo),
        _ => return respond_error(conn, Status::NOT_FOUND, head_only),
    };
    if !matches!(request.line.method, b"GET" | b"HEAD") {
        return respond_error(conn, Status::METHOD_NOT_ALLOWED, head_only);
    }
    let response = Response {
        status: Status::OK,
        content_type,
        fields: response::NO_FIELDS,
        body,
    };
    respond(conn, &response, head_only)
}
// ANCHOR_END: answer

// ANCHOR: respond
/// Lays out `response` and sends it with one write, without its body if
/// `head_only`; returns the status sent. A write error means the client
/// has gone (EPIPE or ECONNRESET once it hung up) or stopped reading
/// (EAGAIN after the send timeout): the worker can do nothing about it
/// but end the connection.
fn respond(conn: &Conn, response: &Response, head_only: bool) -> Status {
    match response.assemble(conn, head_only).bytes() {
        Some(bytes) => {
            if sys::io::write_all(conn.socket.fd(), bytes).is_err() {
                conn.broken();
            }
            response.status
        }
        // Too large for the buffer: a fault of the server's, not the
        // client's, so a 500, whose error page is small enough to fit.
        None if response.status != Status::INTERNAL_SERVER_ERROR => {
            respond_error(conn, Status::INTERNAL_SERVER_ERROR, head_only)
        }
        // Even that did not fit (RESPONSE_ROOM made tiny): no answer, and
        // the connection ends, so that the client does not wait for one.
        None => {
            conn.broken();
            response.status
        }
    }
}

/// Sends `status` with its error page, a sentence from [`explain`] in it.
fn respond_error(conn: &Conn, status: Status, head_only: bool) -> Status {
    let page = response::error_page(status, explain(status));
    // A 405 must say which methods would have worked (RFC 9110 §15.5.6).
    let allow = |emit: &mut dyn FnMut(&[u8])| {
        if status == Status::METHOD_NOT_ALLOWED {
            emit(b"Allow: ");
            emit(ALLOWED);
            emit(b"\r\n");
        }
    };
    let response = Response {
        status,
        content_type: response::HTML,
        fields: &allow,
        body: &page,
    };
    respond(conn, &response, head_only)
}

/// One sentence about each error this server sends, for its page. The
/// server's own words: nothing from the request ever appears on an error
/// page, so no request can put markup into one.
fn explain(status: Status) -> &'static [u8] {
    match status {
        Status::BAD_REQUEST => b"The request does not follow the syntax of HTTP/1.1 (RFC 9112).",
        Status::NOT_FOUND => b"There is nothing at this path.",
        Status::METHOD_NOT_ALLOWED => b"This path answers GET and HEAD only.",
        Status::REQUEST_TIMEOUT => b"The request did not arrive in time.",
        Status::CONTENT_TOO_LARGE => b"A GET or HEAD request may not carry content.",
        Status::URI_TOO_LONG => b"The request target is longer than this server accepts.",
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            b"The request header is larger than this server accepts."
        }
        Status::INTERNAL_SERVER_ERROR => b"The response did not fit in the server's buffer.",
        Status::NOT_IMPLEMENTED => {
            b"This server does not know the request's method, \
            or the transfer coding of its content."
        }
        Status::HTTP_VERSION_NOT_SUPPORTED => b"This server speaks HTTP/1.0 and HTTP/1.1 only.",
        _ => b"",
    }
}
// ANCHOR_END: respond
