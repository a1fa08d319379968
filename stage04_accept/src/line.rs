//! One line of output, built in a fixed buffer and written with one write.
#![forbid(unsafe_code)]

use crate::num;

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
    pub fn push_decimal(&mut self, n: usize) -> &mut Line {
        self.push(num::decimal(n as u64).as_bytes())
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
