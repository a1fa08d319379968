//! Sending a response: its head and any page through one buffer, written
//! out each time it fills; then a small file's bytes in the same buffer,
//! or a bigger file's with `sendfile`, which never copies them into this
//! process.

use crate::conn::Conn;
use crate::response::{Content, Response};
use crate::sys;

// ANCHOR: outgoing
/// How many bytes of a response are gathered before they are written: a
/// head, and any page of ours but a long directory listing, fit in one
/// write.
const RESPONSE_ROOM: usize = 8 * 1024;

/// A response on its way to the client: bytes gather in the buffer, which
/// is written out whenever it is full, and at the end.
struct Outgoing {
    conn: sys::Socket,
    buf: [u8; RESPONSE_ROOM],
    len: usize,
    /// The first write error. From then on nothing more is written: the
    /// client has gone (EPIPE, ECONNRESET) or stopped reading (EAGAIN
    /// after the send timeout).
    sent: Result<(), sys::Errno>,
}

impl Outgoing {
    fn new(conn: sys::Socket) -> Outgoing {
        Outgoing {
            conn,
            buf: [0; RESPONSE_ROOM],
            len: 0,
            sent: Ok(()),
        }
    }

    /// Appends `bytes`, writing the buffer out each time it fills.
    fn push(&mut self, mut bytes: &[u8]) {
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
    }

    /// Writes out what the buffer holds.
    fn flush(&mut self) {
        if self.sent.is_ok() {
            self.sent = sys::io::write_all(self.conn.fd(), &self.buf[..self.len]);
        }
        self.len = 0;
    }

    /// Appends `length` bytes of `file`, from `offset` on, read straight
    /// into the buffer, if they fit in what is left of it; `false` if not.
    fn push_file(
        &mut self,
        file: sys::fs::File,
        offset: u64,
        length: u64,
    ) -> Result<bool, sys::Errno> {
        if length > (RESPONSE_ROOM - self.len) as u64 {
            return Ok(false);
        }
        let end = self.len + length as usize;
        sys::fs::read_exact_at(file, &mut self.buf[self.len..end], offset)?;
        self.len = end;
        Ok(true)
    }

    /// Writes out the rest and says whether everything went.
    fn finish(mut self) -> Result<(), sys::Errno> {
        self.flush();
        self.sent
    }
}
// ANCHOR_END: outgoing

// ANCHOR: send
/// Sends `response` on `conn`, without its content if `head_only`: the
/// head (and a page) through the buffer; a file's range in the same
/// buffer when it fits there, else with `send_file` once the head is out.
///
/// A small file goes out with its head in one `write`, so in one TCP
/// segment: written apart, the head and the file make two, and a client
/// that reads the head first wakes up twice for every answer (chapter
/// 7.2 measures it). Past what the buffer holds, `sendfile` saves copying
/// the bytes into this process and out again.
pub fn send(conn: &Conn, response: &Response, head_only: bool) -> Result<(), sys::Errno> {
    let mut out = Outgoing::new(conn.socket);
    response.emit(conn, head_only, &mut |piece| out.push(piece));
    match response.content {
        Content::File { fd, offset, length } if !head_only => {
            if out.push_file(fd, offset, length)? {
                out.finish()
            } else {
                out.finish()?;
                sys::fs::send_file(conn.socket, fd, offset, length)
            }
        }
        _ => out.finish(),
    }
}
// ANCHOR_END: send
