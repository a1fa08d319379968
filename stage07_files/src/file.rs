//! One regular file: whole, in part, or not at all if the client's copy
//! is current. date.rs and validators.rs make and check `Last-Modified`
//! and `ETag`, range.rs picks the bytes, mime.rs names the type.

use crate::conn::Conn;
use crate::http;
use crate::num::decimal;
use crate::range::Ranged;
use crate::response::{self, Content, Emit, Response};
use crate::status::Status;
use crate::validators::{Conditions, ETag};
use crate::{date, mime, range, reply, sys, validators};

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
pub fn serve(
    conn: &Conn,
    fd: sys::fs::File,
    stat: &sys::fs::Stat,
    name: &[u8],
    request: &http::Request,
    head_only: bool,
) -> Status {
    let (size, mtime) = (stat.size(), stat.mtime());
    let etag = ETag::new(size, mtime);
    let last_modified = date::http_date(mtime);
    let (status, ranged) = plan(&asked(request), &etag, size, mtime, head_only);
    let fields = |emit: Emit| fields(status, ranged, size, &last_modified, &etag, emit);
    let page = response::error_page(status, reply::explain(status));
    let (offset, length) = match ranged {
        Ranged::Part { first, last } => (first, last - first + 1),
        _ => (0, size),
    };
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
    reply::respond(conn, &response, head_only)
}

/// The status and the range of the answer: a `304` wins over a range,
/// which GET alone may ask for (RFC 9110 §14.2).
fn plan(asked: &Asked, etag: &ETag, size: u64, mtime: i64, head_only: bool) -> (Status, Ranged) {
    let ranged = match asked.range {
        Some(value) if !head_only && validators::range_allowed(asked.if_range, etag, mtime) => {
            range::parse(value, size)
        }
        _ => Ranged::Full,
    };
    let status = match ranged {
        _ if validators::not_modified(asked.conditions, etag, mtime) => Status::NOT_MODIFIED,
        Ranged::Full => Status::OK,
        Ranged::Part { .. } => Status::PARTIAL_CONTENT,
        Ranged::Unsatisfiable => Status::RANGE_NOT_SATISFIABLE,
    };
    (status, ranged)
}

/// The header fields of a file's answer: its validators, and for a range
/// the `Content-Range`.
fn fields(
    status: Status,
    ranged: Ranged,
    size: u64,
    last_modified: &[u8],
    etag: &ETag,
    emit: Emit,
) {
    emit(b"Accept-Ranges: bytes\r\nLast-Modified: ");
    emit(last_modified);
    emit(b"\r\nETag: ");
    emit(etag.as_bytes());
    emit(b"\r\n");
    match ranged {
        // `Content-Range: bytes FIRST-LAST/SIZE` (RFC 9110 §14.4).
        Ranged::Part { first, last } if status == Status::PARTIAL_CONTENT => {
            emit(b"Content-Range: bytes ");
            emit(decimal(first).as_bytes());
            emit(b"-");
            emit(decimal(last).as_bytes());
            emit(b"/");
            emit(decimal(size).as_bytes());
            emit(b"\r\n");
        }
        // `bytes */SIZE`: what the client may ask for instead.
        Ranged::Unsatisfiable if status == Status::RANGE_NOT_SATISFIABLE => {
            emit(b"Content-Range: bytes */");
            emit(decimal(size).as_bytes());
            emit(b"\r\n");
        }
        _ => {}
    }
}
// ANCHOR_END: file
