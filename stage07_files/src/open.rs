//! Opening what a request names, beneath a folder: the status for a path
//! that cannot be opened, and a named regular file (a folder's
//! `index.html`, the document root's `404.html`) or nothing.

use crate::status::Status;
use crate::sys;
use crate::sys::fs::Kind;

/// The status for a path that could not be opened.
pub fn refused(err: sys::Errno) -> Status {
    use sys::Errno;
    match err {
        Errno::ENOENT | Errno::ENOTDIR => Status::NOT_FOUND,
        // ELOOP: a symbolic link on the way, which `open_beneath` refuses.
        Errno::ELOOP | Errno::EACCES | Errno::EPERM => Status::FORBIDDEN,
        Errno::ENAMETOOLONG => Status::URI_TOO_LONG,
        _ => Status::INTERNAL_SERVER_ERROR,
    }
}

/// Opens `name` in the folder `dir` if it is a regular file.
pub fn open_file(dir: sys::fs::Dir, name: &[u8]) -> Option<(sys::fs::File, sys::fs::Stat)> {
    let fd = sys::fs::open_beneath(dir, name).ok()?;
    match sys::fs::kind(fd) {
        Ok(Kind::File(file, stat)) => Some((file, stat)),
        _ => {
            let _ = sys::io::close(fd);
            None
        }
    }
}
