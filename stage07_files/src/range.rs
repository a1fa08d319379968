//! Range requests (RFC 9110 §14): a part of a file instead of all of it.
//!
//! A video player seeking, or a download resuming, asks for
//! `Range: bytes=FIRST-LAST` and gets `206 Partial Content` with just those
//! bytes and a `Content-Range: bytes FIRST-LAST/SIZE` header.

use crate::num::{self, NotDecimal};

// ANCHOR: range
/// What to send, given a `Range` header and the file's size.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Ranged {
    /// The whole file, `200 OK`: there was no `Range`, or one we ignore.
    Full,
    /// Bytes `first..=last`, `206 Partial Content`.
    Part { first: u64, last: u64 },
    /// A range that starts past the end: `416 Range Not Satisfiable`, with
    /// `Content-Range: bytes */SIZE`.
    Unsatisfiable,
}

/// Reads a `Range` value against a file of `size` bytes. The three forms:
/// `bytes=10-19` (bytes 10 to 19), `bytes=10-` (10 to the end) and
/// `bytes=-10` (the last 10). A `LAST` past the end is cut to the end.
///
/// A value that is not valid, a unit other than bytes, or a list of
/// several ranges is ignored: RFC 9110 §14.2 lets a server ignore `Range`
/// altogether, and several ranges would need a `multipart/byteranges`
/// body, which this server does not write.
pub fn parse(value: &[u8], size: u64) -> Ranged {
    let Some((unit, spec)) = split(value.trim_ascii(), b'=') else {
        return Ranged::Full;
    };
    // Range units are case-insensitive (RFC 9110 §14.1).
    if !unit.eq_ignore_ascii_case(b"bytes") || spec.contains(&b',') {
        return Ranged::Full;
    }
    let Some((first, last)) = split(spec.trim_ascii(), b'-') else {
        return Ranged::Full;
    };
    match (number(first), number(last)) {
        // `-N`: the last N bytes. Asking for none of them cannot be met.
        (None, Some(suffix)) if first.is_empty() => {
            if suffix == 0 || size == 0 {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part {
                    first: size - suffix.min(size),
                    last: size - 1,
                }
            }
        }
        // `N-`: from byte N to the end.
        (Some(first), None) if last.is_empty() => from(first, u64::MAX, size),
        // `N-M`: from N to M, M cut to the end. M before N is invalid.
        (Some(first), Some(last)) if first <= last => from(first, last, size),
        _ => Ranged::Full,
    }
}

/// Bytes `first..=last` of `size`, or unsatisfiable if `first` is past
/// the end (for an empty file every range is).
fn from(first: u64, last: u64, size: u64) -> Ranged {
    if first >= size {
        Ranged::Unsatisfiable
    } else {
        Ranged::Part {
            first,
            last: last.min(size - 1),
        }
    }
}

/// A decimal number of one or more digits. One too large for a u64 is
/// taken as u64::MAX: as a position it is past the end of any file.
fn number(digits: &[u8]) -> Option<u64> {
    match num::parse_decimal(digits) {
        Ok(n) => Some(n),
        Err(NotDecimal::TooLarge) => Some(u64::MAX),
        Err(NotDecimal::NotDigits) => None,
    }
}

/// `bytes` cut at the first `separator`: what comes before and after it.
fn split(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}
// ANCHOR_END: range
