//! A folder asked for with its slash: its `index.html` if it has one, a
//! listing of its entries (listing.rs) if not.

use crate::conn::Conn;
use crate::listing::Listing;
use crate::response::{self, Content, NO_FIELDS, Response};
use crate::status::Status;
use crate::{file, http, open, reply, sys};

/// Serves the folder `dir`, whose path beneath the root is `path`.
pub fn serve(
    conn: &Conn,
    dir: sys::fs::Dir,
    path: &[u8],
    request: &http::Request,
    head_only: bool,
) -> Status {
    if let Some((index, stat)) = open::open_file(dir, b"index.html") {
        let status = file::serve(conn, index, &stat, b"index.html", request, head_only);
        let _ = sys::io::close(index.fd());
        return status;
    }
    let mut listing = Listing::new();
    let listed = sys::fs::read_dir(dir, &mut |name, kind| {
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
        return reply::error(conn, Status::INTERNAL_SERVER_ERROR, head_only);
    }
    let mut room = [0u8; sys::fs::PATH_MAX + 2];
    let title = title(path, &mut room);
    let page = |emit: &mut dyn FnMut(&[u8])| listing.render(title, emit);
    let response = Response {
        status: Status::OK,
        content_type: response::HTML,
        fields: NO_FIELDS,
        content: Content::Page(&page),
    };
    reply::respond(conn, &response, head_only)
}

/// The page's title: the decoded `path`, with a slash at each end.
fn title<'r>(path: &[u8], room: &'r mut [u8; sys::fs::PATH_MAX + 2]) -> &'r [u8] {
    room[0] = b'/';
    let mut len = 1;
    if !path.is_empty() {
        room[1..1 + path.len()].copy_from_slice(path);
        room[1 + path.len()] = b'/';
        len += path.len() + 1;
    }
    &room[..len]
}
