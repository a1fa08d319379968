//! One line of output, built in a fixed buffer and written with one write.
//!
//! There is no allocator and no `format!` here. Rust's `core::fmt` would
//! work without one, but it is a lot of machinery for printing a few
//! numbers; writing the digits by hand shows all there is to it.

// ANCHOR: line
/// A line of at most `CAPACITY` bytes. A longer one is cut short, never
/// overflows: the only text of unknown length in it comes from the user.
pub struct Line {
    buf: [u8; CAPACITY],
    len: usize,
}

const CAPACITY: usize = 256;

impl Line {
    pub fn new() -> Line {
        Line {
            buf: [0; CAPACITY],
            len: 0,
        }
    }

    /// Appends as many of `bytes` as still fit.
    pub fn push(&mut self, bytes: &[u8]) -> &mut Line {
        for &byte in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = byte;
                self.len += 1;
            }
        }
        self
    }

    /// Appends `n` in decimal.
    pub fn push_decimal(&mut self, mut n: usize) -> &mut Line {
        // The digits come out last first: fill a scratch buffer from its
        // end. 20 digits hold the largest 64-bit number.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[start..])
    }

    /// Appends an IPv4 address and port the usual way: `127.0.0.1:8080`.
    pub fn push_addr(&mut self, addr: [u8; 4], port: u16) -> &mut Line {
        for (i, &byte) in addr.iter().enumerate() {
            if i > 0 {
                self.push(b".");
            }
            self.push_decimal(byte as usize);
        }
        self.push(b":").push_decimal(port as usize)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
// ANCHOR_END: line
