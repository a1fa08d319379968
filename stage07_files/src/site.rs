//! Stage 07's site: the document root served to each request. A target is
//! mapped to a path (path.rs) and opened beneath the root (open.rs); then
//! a regular file is served by file.rs, a folder by folder.rs, and
//! anything else gets the error that says why not (reply.rs).

use crate::conn::{self, Conn};
use crate::response::{self, Content, NO_FIELDS, Response};
use crate::status::Status;
use crate::sys::fs::Kind;
use crate::{file, folder, http, open, path, reply, sys};

/// What every worker needs besides the listening socket.
#[derive(Clone, Copy)]
pub struct Site {
    /// TIMEOUT and IDLE.
    pub limits: conn::Limits,
    /// The document root, opened once before the workers are forked, so
    /// that each inherits the descriptor.
    pub root: sys::fs::Dir,
}

impl conn::Handler for Site {
    fn limits(&self) -> conn::Limits {
        self.limits
    }

    fn answer(&self, conn: &Conn, request: &http::Request) -> Status {
        answer(conn, self.root, request)
    }

    fn refuse(&self, conn: &Conn, status: Status, line: Option<http::RequestLine>) -> Status {
        // The answer to HEAD never has a body, whatever its status
        // (RFC 9110 §9.3.2): the client would not read one.
        let head_only = line.is_some_and(|line| line.method == b"HEAD");
        reply::error(conn, status, head_only)
    }
}

// ANCHOR: answer
/// Answers `request` from the document root `root` and returns the status
/// sent.
fn answer(conn: &Conn, root: sys::fs::Dir, request: &http::Request) -> Status {
    let line = request.line;
    let head_only = match line.method {
        b"GET" => false,
        b"HEAD" => true,
        b"OPTIONS" => return options(conn),
        _ => return reply::error(conn, Status::METHOD_NOT_ALLOWED, false),
    };
    let mut room = [0u8; sys::fs::PATH_MAX];
    let mapped = match path::map(line.target, &mut room) {
        Ok(mapped) => mapped,
        Err(refusal) => return reply::error(conn, refusal.status(), head_only),
    };
    let fd = match sys::fs::open_beneath(root, mapped.path) {
        Ok(fd) => fd,
        Err(err) => return not_served(conn, root, open::refused(err), head_only),
    };
    // Answered while `fd` is still open, and closed after.
    let status = match sys::fs::kind(fd) {
        Ok(kind) => match (kind, mapped.slash) {
            (Kind::File(regular, stat), false) => {
                file::serve(conn, regular, &stat, mapped.path, request, head_only)
            }
            // `/notes.txt/` names a folder that is not one.
            (Kind::File(..), true) => not_served(conn, root, Status::NOT_FOUND, head_only),
            (Kind::Dir(_), false) => redirect(conn, line.target, head_only),
            (Kind::Dir(dir), true) => folder::serve(conn, dir, mapped.path, request, head_only),
            // A named pipe, a socket, a device: nothing to serve.
            _ => not_served(conn, root, Status::FORBIDDEN, head_only),
        },
        Err(_) => not_served(conn, root, Status::INTERNAL_SERVER_ERROR, head_only),
    };
    let _ = sys::io::close(fd);
    status
}

/// "What may I do here?": the methods, and nothing else (RFC 9110
/// §9.3.7).
fn options(conn: &Conn) -> Status {
    let allow = |emit: &mut dyn FnMut(&[u8])| {
        emit(b"Allow: ");
        emit(reply::ALLOWED);
        emit(b"\r\n");
    };
    let response = Response {
        status: Status::NO_CONTENT,
        content_type: b"",
        fields: &allow,
        content: Content::Nothing,
    };
    reply::respond(conn, &response, false)
}

/// An error answer; for a 404, the document root's own `404.html` when it
/// has one, so that a site can keep its look on a broken link.
fn not_served(conn: &Conn, root: sys::fs::Dir, status: Status, head_only: bool) -> Status {
    let Some((fd, stat)) = (status == Status::NOT_FOUND)
        .then(|| open::open_file(root, b"404.html"))
        .flatten()
    else {
        return reply::error(conn, status, head_only);
    };
    let response = Response {
        status,
        content_type: response::HTML,
        fields: NO_FIELDS,
        content: Content::File {
            fd,
            offset: 0,
            length: stat.size(),
        },
    };
    reply::respond(conn, &response, head_only);
    let _ = sys::io::close(fd.fd());
    status
}
// ANCHOR_END: answer

/// `301` to the same target with a `/` after its path. A folder's links
/// are relative to it: `guide.html` on the page at `/docs/` is
/// `/docs/guide.html`, but at `/docs` it would be `/guide.html`.
fn redirect(conn: &Conn, target: &[u8], head_only: bool) -> Status {
    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(at) => target.split_at(at),
        None => (target, &b""[..]),
    };
    // The target passed the parser, so it holds no CR, LF or control
    // byte that could end the header line early.
    let location = |emit: &mut dyn FnMut(&[u8])| {
        emit(b"Location: ");
        emit(path);
        emit(b"/");
        emit(query);
        emit(b"\r\n");
    };
    let status = Status::MOVED_PERMANENTLY;
    let page = response::error_page(status, reply::explain(status));
    let response = Response {
        status,
        content_type: response::HTML,
        fields: &location,
        content: Content::Page(&page),
    };
    reply::respond(conn, &response, head_only)
}
