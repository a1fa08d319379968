//! From a request-target to a path inside the document root, safely.
//!
//! The target is what the client sent: `/docs/a%20b.txt?x=1`. [`map`]
//! drops the query, percent-decodes the rest into a buffer of ours and
//! checks every segment. What comes out is a relative path, `docs/a b.txt`,
//! with no empty, `.` or `..` segment and no segment starting with a dot,
//! so that no spelling of a request can name a file outside the document
//! root. (Symbolic links are the other way out; opening refuses them, see
//! `open_beneath` in sys/mod.rs.)
//!
//! The checks run on the *decoded* bytes, segment by segment. Checking the
//! raw target instead is the classic mistake: `%2e%2e`, `.%2E` and
//! `%2e%2e%2f` are all `..` once decoded, and the kernel only ever sees
//! decoded bytes.

use crate::status::Status;

// ANCHOR: refusal
/// Why a target cannot name a file, each with the status that answers it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Refusal {
    /// A `%` not followed by two hex digits (RFC 3986 §2.1): 400.
    BadEscape,
    /// A decoded byte below 0x20 or 0x7f (NUL included): no file name of
    /// ours needs one, and a NUL would end the C string the kernel reads
    /// early. 400.
    ControlByte,
    /// A `..` segment, however it was spelled: it climbs out of the
    /// document root. 403.
    DotDot,
    /// A segment that starts with a dot (`.git`, `.env`, `.`): by Unix
    /// convention a hidden name, which a web server does not publish. 403.
    Hidden,
    /// The decoded path does not fit the kernel's path limit (`PATH_MAX`
    /// bytes, the terminating NUL included). 414.
    TooLong,
}

impl Refusal {
    /// The status code that answers this refusal.
    pub fn status(self) -> Status {
        match self {
            Refusal::BadEscape | Refusal::ControlByte => Status::BAD_REQUEST,
            Refusal::DotDot | Refusal::Hidden => Status::FORBIDDEN,
            Refusal::TooLong => Status::URI_TOO_LONG,
        }
    }
}
// ANCHOR_END: refusal

// ANCHOR: map
/// A request-target mapped to a path below the document root.
#[derive(Debug, PartialEq, Eq)]
pub struct Mapped<'a> {
    /// The segments joined by `/`, without a leading `/`: empty for the
    /// root itself. Never contains `//`, a `.` or `..` segment, or a byte
    /// below 0x20.
    pub path: &'a [u8],
    /// Whether the target ended with `/`: only a directory is asked for
    /// that way, and a directory asked for without it gets a 301.
    pub slash: bool,
}

/// Maps `target` (origin-form, starting with `/`) to a path, decoded into
/// `room`. The path must fit in `room` with one byte to spare for the NUL
/// the kernel wants after it, so `room` should be `PATH_MAX` bytes long.
pub fn map<'a>(target: &[u8], room: &'a mut [u8]) -> Result<Mapped<'a>, Refusal> {
    // The query belongs to the application, not to the file system.
    let raw = match target.iter().position(|&b| b == b'?') {
        Some(end) => &target[..end],
        None => target,
    };
    let len = decode(raw, room)?;
    let slash = len > 0 && room[len - 1] == b'/';
    let path_len = check_segments(&mut room[..len])?;
    // Room for the NUL the kernel wants after a path.
    if len >= room.len() {
        return Err(Refusal::TooLong);
    }
    Ok(Mapped {
        path: &room[..path_len],
        slash,
    })
}

/// First, decodes the whole path into `room`; returns its length.
fn decode(raw: &[u8], room: &mut [u8]) -> Result<usize, Refusal> {
    let mut len = 0;
    let mut i = 0;
    while i < raw.len() {
        let byte = match raw[i] {
            b'%' => {
                let high = raw.get(i + 1).and_then(|&b| hex_value(b));
                let low = raw.get(i + 2).and_then(|&b| hex_value(b));
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(Refusal::BadEscape);
                };
                i += 3;
                high << 4 | low
            }
            byte => {
                i += 1;
                byte
            }
        };
        if byte < 0x20 || byte == 0x7f {
            return Err(Refusal::ControlByte);
        }
        *room.get_mut(len).ok_or(Refusal::TooLong)? = byte;
        len += 1;
    }
    Ok(len)
}

/// Then checks the decoded path's segments, split at every `/`, decoded or
/// not (a `%2F` must not hide a `..` from the check), and closes up the
/// gaps that empty segments (`//`, the leading `/`) leave; returns the
/// length of what is left. The write position never passes the read
/// position, so one buffer will do.
fn check_segments(path: &mut [u8]) -> Result<usize, Refusal> {
    let len = path.len();
    let (mut read, mut write) = (0, 0);
    while read < len {
        let end = path[read..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(len, |at| read + at);
        match &path[read..end] {
            b"" => {}
            b".." => return Err(Refusal::DotDot),
            [b'.', ..] => return Err(Refusal::Hidden),
            _ => {
                if write > 0 {
                    path[write] = b'/';
                    write += 1;
                }
                path.copy_within(read..end, write);
                write += end - read;
            }
        }
        read = end + 1;
    }
    Ok(write)
}

/// The value of one hex digit, either case.
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}
// ANCHOR_END: map
