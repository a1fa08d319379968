//! One response, laid out in a buffer of fixed size, to be sent with one
//! write. The buffer refuses what does not fit rather than sending a cut
//! response (see `Assembled::bytes`).

use crate::line::Line;

// ANCHOR: assembled
/// The most bytes a response may take, head and body together. The home
/// page needs a sixth of it; the echo of a large request may not fit, and
/// gets a 500 instead.
pub const RESPONSE_ROOM: usize = 8 * 1024;

/// A response laid out byte by byte, as it goes on the wire.
pub struct Assembled {
    buf: [u8; RESPONSE_ROOM],
    len: usize,
    /// Set once a push does not fit. From then on nothing is added, and
    /// [`Assembled::bytes`] has nothing to send: half a response, or one
    /// whose `Content-Length` promises bytes that are not there, would be
    /// worse than none.
    overflowed: bool,
}

impl Assembled {
    pub fn new() -> Assembled {
        Assembled {
            buf: [0; RESPONSE_ROOM],
            len: 0,
            overflowed: false,
        }
    }

    /// Appends `bytes` whole, or nothing and marks the buffer overflowed.
    pub fn push(&mut self, bytes: &[u8]) -> &mut Assembled {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(room) if !self.overflowed => {
                room.copy_from_slice(bytes);
                self.len = end;
            }
            _ => self.overflowed = true,
        }
        self
    }

    /// Appends `n` in decimal ASCII, the digits `Line` writes (line.rs).
    pub fn push_decimal(&mut self, n: usize) -> &mut Assembled {
        self.push(Line::new().push_decimal(n).as_bytes())
    }

    /// The response, or `None` if it did not fit.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self.overflowed {
            false => Some(&self.buf[..self.len]),
            true => None,
        }
    }
}
// ANCHOR_END: assembled
