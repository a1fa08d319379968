//! How this server answers: a response sent, whatever became of it, an
//! error with its page, and the methods it allows.

use crate::conn::Conn;
use crate::response::{self, Content, Response};
use crate::sending;
use crate::status::Status;

/// The methods this server answers, for `Allow`.
pub const ALLOWED: &[u8] = b"GET, HEAD, OPTIONS";

/// Sends `response`, without its content if `head_only`, and returns its
/// status. A write error means the client has gone (EPIPE or ECONNRESET
/// once it hung up) or stopped reading (EAGAIN once the send timeout ran
/// out): the worker can do nothing about it but end the connection.
pub fn respond(conn: &Conn, response: &Response, head_only: bool) -> Status {
    if sending::send(conn, response, head_only).is_err() {
        conn.broken();
    }
    response.status
}

/// Sends `status` with its error page, a sentence from [`explain`] in it.
pub fn error(conn: &Conn, status: Status, head_only: bool) -> Status {
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
        content: Content::Page(&page),
    };
    respond(conn, &response, head_only)
}

/// One sentence about each error this server sends, for its page. The
/// server's own words: nothing from the request ever appears on an error
/// page, so no request can put markup into one.
pub fn explain(status: Status) -> &'static [u8] {
    match status {
        Status::MOVED_PERMANENTLY => b"A folder's address ends with a slash: follow the link.",
        Status::BAD_REQUEST => {
            b"The request does not follow the syntax of HTTP/1.1 (RFC 9112), \
            or its path holds a malformed escape or a control character."
        }
        Status::FORBIDDEN => {
            b"This path leads outside the served folder, to a hidden name, \
            through a symbolic link, or to something that is not a file."
        }
        Status::NOT_FOUND => b"There is nothing at this path.",
        Status::METHOD_NOT_ALLOWED => b"This server answers GET, HEAD and OPTIONS only.",
        Status::REQUEST_TIMEOUT => b"The request did not arrive in time.",
        Status::CONTENT_TOO_LARGE => b"A GET or HEAD request may not carry content.",
        Status::URI_TOO_LONG => {
            b"The request target, or a name in its path, is longer than \
            this server or its kernel accepts."
        }
        Status::RANGE_NOT_SATISFIABLE => b"The range asked for starts past the end of the file.",
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            b"The request header is larger than this server accepts."
        }
        Status::INTERNAL_SERVER_ERROR => b"The server could not read what this path names.",
        Status::NOT_IMPLEMENTED => {
            b"This server does not know the request's method, \
            or the transfer coding of its content."
        }
        Status::HTTP_VERSION_NOT_SUPPORTED => b"This server speaks HTTP/1.0 and HTTP/1.1 only.",
        _ => b"",
    }
}
