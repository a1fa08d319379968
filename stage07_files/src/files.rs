//! Answering a request from the document root: a file, a folder's
//! `index.html` or listing, or the error that says why not.
//!
//! The modules this one puts together each do one job and make no system
//! call: path.rs maps the target to a path, mime.rs names the type,
//! date.rs and validators.rs make and check `Last-Modified` and `ETag`,
//! range.rs picks the bytes, listing.rs writes a folder's page. The calls
//! are in sys: `open_beneath`, `fstat`, `read_dir`, and `send_file`, which
//! `Response::send` uses for a file's content.

use crate::http;
use crate::line::Line;
use crate::listing::Listing;
use crate::range::Ranged;
use crate::response::{self, Content, NO_FIELDS, Response};
use crate::status::Status;
use crate::sys::fs::Kind;
use crate::validators::{Conditions, ETag};
use crate::{date, mime, path, range, respond, respond_error, sys, validators};

// ANCHOR: answer
/// The methods this server answers, for `Allow`.
pub const ALLOWED: &[u8] = b"GET, HEAD, OPTIONS";

/// Answers `request` from the document root `root` and returns the status
/// sent.
pub fn answer(conn: sys::Socket, root: sys::fs::Dir, request: &http::Request) -> Status {
    let line = request.line;
    let head_only = match line.method {
        b"GET" => false,
        b"HEAD" => true,
        // "What may I do here?": the methods, and nothing else (RFC 9110
        // §9.3.7).
        b"OPTIONS" => {
            let allow = |emit: &mut dyn FnMut(&[u8])| {
                emit(b"Allow: ");
                emit(ALLOWED);
                emit(b"\r\n");
            };
            let response = Response {
                status: Status::NO_CONTENT,
                content_type: b"",
                fields: &allow,
                content: Content::Nothing,
            };
            return respond(conn, &response, false);
        }
        _ => return respond_error(conn, Status::METHOD_NOT_ALLOWED, false),
    };
    let mut room = [0u8; sys::fs::PATH_MAX];
    let mapped = match path::map(line.target, &mut room) {
        Ok(mapped) => mapped,
        Err(refusal) => return respond_error(conn, refusal.status(), head_only),
    };
    let fd = match sys::fs::open_beneath(root, mapped.path) {
        Ok(fd) => fd,
        Err(err) => return not_served(conn, root, open_failed(err), head_only),
    };
    let status = match sys::fs::kind(fd) {
        Ok(kind) => match (kind, mapped.slash) {
            (Kind::File(regular, stat), false) => {
                file(conn, regular, &stat, mapped.path, request, head_only)
            }
            // `/notes.txt/` names a folder that is not one.
            (Kind::File(..), true) => not_served(conn, root, Status::NOT_FOUND, head_only),
            (Kind::Dir(_), false) => redirect(conn, line.target, head_only),
            (Kind::Dir(dir), true) => folder(conn, dir, mapped.path, request, head_only),
            // A named pipe, a socket, a device: nothing to serve.
            _ => not_served(conn, root, Status::FORBIDDEN, head_only),
        },
        Err(_) => not_served(conn, root, Status::INTERNAL_SERVER_ERROR, head_only),
    };
    let _ = sys::io::close(fd);
    status
}

/// The status for a path that could not be opened.
fn open_failed(err: sys::Errno) -> Status {
    use sys::Errno;
    match err {
        Errno::ENOENT | Errno::ENOTDIR => Status::NOT_FOUND,
        // ELOOP: a symbolic link on the way, which `open_beneath` refuses.
        Errno::ELOOP | Errno::EACCES | Errno::EPERM => Status::FORBIDDEN,
        Errno::ENAMETOOLONG => Status::URI_TOO_LONG,
        _ => Status::INTERNAL_SERVER_ERROR,
    }
}

/// An error answer; for a 404, the document root's own `404.html` when it
/// has one, so that a site can keep its look on a broken link.
fn not_served(conn: sys::Socket, root: sys::fs::Dir, status: Status, head_only: bool) -> Status {
    let Some((fd, stat)) = (status == Status::NOT_FOUND)
        .then(|| open_file(root, b"404.html"))
        .flatten()
    else {
        return respond_error(conn, status, head_only);
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
    respond(conn, &response, head_only);
    let _ = sys::io::close(fd.fd());
    status
}

/// Opens `name` in the folder `dir` if it is a regular file.
fn open_file(dir: sys::fs::Dir, name: &[u8]) -> Option<(sys::fs::File, sys::fs::Stat)> {
    let fd = sys::fs::open_beneath(dir, name).ok()?;
    match sys::fs::kind(fd) {
        Ok(Kind::File(file, stat)) => Some((file, stat)),
        _ => {
            let _ = sys::io::close(fd);
            None
        }
    }
}
// ANCHOR_END: answer

// ANCHOR: redirect
/// `301` to the same target with a `/` after its path. A folder's links
/// are relative to it: `guide.html` on the page at `/docs/` is
/// `/docs/guide.html`, but at `/docs` it would be `/guide.html`.
fn redirect(conn: sys::Socket, target: &[u8], head_only: bool) -> Status {
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
    let page = response::error_page(status, crate::explain(status));
    let response = Response {
        status,
        content_type: response::HTML,
        fields: &location,
        content: Content::Page(&page),
    };
    respond(conn, &response, head_only)
}
// ANCHOR_END: redirect

// ANCHOR: file
/// The request fields that make a GET conditional or partial.
struct Asked<'a> {
    conditions: Conditions<'a>,
    range: Option<&'a [u8]>,
    if_range: Option<&'a [u8]>,
}

/// Picks those fields out of `request`. Names are case-insensitive (RFC
/// 9110 §5.1); of a repeated field, the first counts.
fn asked<'a>(request: &http::Request<'a>) -> Asked<'a> {
    let mut asked = Asked {
        conditions: Conditions::default(),
        range: None,
        if_range: None,
    };
    for (name, value) in request.headers() {
        let slot = if name.eq_ignore_ascii_case(b"if-none-match") {
            &mut asked.conditions.if_none_match
        } else if name.eq_ignore_ascii_case(b"if-modified-since") {
            &mut asked.conditions.if_modified_since
        } else if name.eq_ignore_ascii_case(b"range") {
            &mut asked.range
        } else if name.eq_ignore_ascii_case(b"if-range") {
            &mut asked.if_range
        } else {
            continue;
        };
        slot.get_or_insert(value);
    }
    asked
}

/// Serves the regular file `fd`, named `name`: whole, in part, or not at
/// all if the client's copy is current.
fn file(
    conn: sys::Socket,
    fd: sys::fs::File,
    stat: &sys::fs::Stat,
    name: &[u8],
    request: &http::Request,
    head_only: bool,
) -> Status {
    let (size, mtime) = (stat.size(), stat.mtime());
    let etag = ETag::new(size, mtime);
    let last_modified = date::http_date(mtime);
    let asked = asked(request);
    let ranged = match asked.range {
        // Ranges are defined for GET only (RFC 9110 §14.2).
        Some(value) if !head_only && validators::range_allowed(asked.if_range, &etag, mtime) => {
            range::parse(value, size)
        }
        _ => Ranged::Full,
    };
    let (status, offset, length) = match ranged {
        _ if validators::not_modified(asked.conditions, &etag, mtime) => {
            (Status::NOT_MODIFIED, 0, 0)
        }
        Ranged::Full => (Status::OK, 0, size),
        Ranged::Part { first, last } => (Status::PARTIAL_CONTENT, first, last - first + 1),
        Ranged::Unsatisfiable => (Status::RANGE_NOT_SATISFIABLE, 0, 0),
    };
    let fields = |emit: &mut dyn FnMut(&[u8])| {
        emit(b"Accept-Ranges: bytes\r\nLast-Modified: ");
        emit(&last_modified);
        emit(b"\r\nETag: ");
        emit(etag.as_bytes());
        emit(b"\r\n");
        match ranged {
            // `Content-Range: bytes FIRST-LAST/SIZE` (RFC 9110 §14.4).
            Ranged::Part { first, last } if status == Status::PARTIAL_CONTENT => {
                emit(b"Content-Range: bytes ");
                emit(Line::new().push_decimal(first as usize).as_bytes());
                emit(b"-");
                emit(Line::new().push_decimal(last as usize).as_bytes());
                emit(b"/");
                emit(Line::new().push_decimal(size as usize).as_bytes());
                emit(b"\r\n");
            }
            // `bytes */SIZE`: what the client may ask for instead.
            Ranged::Unsatisfiable if status == Status::RANGE_NOT_SATISFIABLE => {
                emit(b"Content-Range: bytes */");
                emit(Line::new().push_decimal(size as usize).as_bytes());
                emit(b"\r\n");
            }
            _ => {}
        }
    };
    let page = response::error_page(status, crate::explain(status));
    let (content_type, content) = if status == Status::NOT_MODIFIED {
        (&b""[..], Content::Nothing)
    } else if status == Status::RANGE_NOT_SATISFIABLE {
        (response::HTML, Content::Page(&page))
    } else {
        let media_type = mime::content_type(name).as_bytes();
        (media_type, Content::File { fd, offset, length })
    };
    let response = Response {
        status,
        content_type,
        fields: &fields,
        content,
    };
    respond(conn, &response, head_only)
}
// ANCHOR_END: file

// ANCHOR: folder
/// A folder asked for with its slash: its `index.html` if it has one, a
/// listing of its entries if not.
fn folder(
    conn: sys::Socket,
    fd: sys::fs::Dir,
    path: &[u8],
    request: &http::Request,
    head_only: bool,
) -> Status {
    if let Some((index, stat)) = open_file(fd, b"index.html") {
        let status = file(conn, index, &stat, b"index.html", request, head_only);
        let _ = sys::io::close(index.fd());
        return status;
    }
    let mut listing = Listing::new();
    let listed = sys::fs::read_dir(fd, &mut |name, kind| {
        // Hidden names (`.` and `..` among them) are never served, so not
        // listed; nor are links and other special files.
        if name.first() != Some(&b'.') {
            match kind {
                sys::fs::DT_DIR => listing.add(name, true),
                sys::fs::DT_REG => listing.add(name, false),
                _ => {}
            }
        }
    });
    if listed.is_err() {
        return respond_error(conn, Status::INTERNAL_SERVER_ERROR, head_only);
    }
    // The page's title: the decoded path, with a slash at each end.
    let mut url = [0u8; sys::fs::PATH_MAX + 2];
    url[0] = b'/';
    let mut len = 1;
    if !path.is_empty() {
        url[1..1 + path.len()].copy_from_slice(path);
        url[1 + path.len()] = b'/';
        len += path.len() + 1;
    }
    let page = |emit: &mut dyn FnMut(&[u8])| listing.render(&url[..len], emit);
    let response = Response {
        status: Status::OK,
        content_type: response::HTML,
        fields: NO_FIELDS,
        content: Content::Page(&page),
    };
    respond(conn, &response, head_only)
}
// ANCHOR_END: folder
