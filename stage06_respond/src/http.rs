//! An HTTP/1.x request head, parsed by hand, byte by byte (RFC 9112).
//!
//! [`parse`] takes the bytes received so far and reads the request line and
//! the header fields up to the empty line that ends them. It copies nothing
//! and allocates nothing: a [`Request`] is a set of slices of those bytes.
//! A request may arrive in pieces, so there are three answers: the head is
//! not complete yet (read more and parse again), it is a [`Request`], or it
//! breaks a rule and gets a [`Refusal`]. Each decision rests only on the
//! bytes before the point where it is made, so more bytes never change an
//! answer other than "not complete yet": the worker just parses again,
//! from the start, after every read. Nothing here can read outside the
//! bytes it is given: the module uses no `unsafe`, so every access is
//! bounds-checked.
#![forbid(unsafe_code)]

use crate::num;
use crate::refusal::Refusal;

/// The most bytes a request head may take: request line, header fields and
/// the empty line after them. It is the size of the buffer a worker reads
/// into; a head that has not ended within it gets 431.
pub const HEAD_LIMIT: usize = 8 * 1024;

/// The longest request-target we accept. RFC 9112 §3 recommends accepting
/// request lines of 8000 bytes; half our head buffer keeps room for the
/// header fields, and a longer target gets 414 (RFC 9112 §3).
pub const TARGET_LIMIT: usize = 4 * 1024;

/// The methods RFC 9110 §9 defines, the only ones we know. Methods are
/// case-sensitive (RFC 9110 §9.1): `get` is not `GET`.
const KNOWN_METHODS: [&[u8]; 8] = [
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"CONNECT", b"OPTIONS", b"TRACE",
];

/// The length of the longest known method (`CONNECT`, `OPTIONS`): a longer
/// one cannot be known, so we need not wait for its end.
const LONGEST_METHOD: usize = 7;

// ANCHOR: request
/// What the bytes received so far amount to.
#[derive(Debug, PartialEq)]
pub enum Parse<'a> {
    /// The head has not ended yet, and nothing so far is wrong.
    Incomplete,
    /// A complete head that follows every rule.
    Request(Request<'a>),
    /// A head that breaks a rule. The request line is there when it was
    /// read whole, so that the log can show it.
    Refused(Refusal, Option<RequestLine<'a>>),
}

/// `method SP request-target SP HTTP-version` (RFC 9112 §3), as received.
#[derive(Debug, PartialEq, Clone, Copy)]
pub struct RequestLine<'a> {
    pub method: &'a [u8],
    pub target: &'a [u8],
    pub version: &'a [u8],
}

/// A header field: its name and its value.
pub type Field<'a> = (&'a [u8], &'a [u8]);

/// A complete, well-formed request head.
#[derive(Debug, PartialEq)]
pub struct Request<'a> {
    pub line: RequestLine<'a>,
    /// The header field lines as received, each ending in CRLF, followed by
    /// the empty line. [`Request::headers`] walks them.
    fields: &'a [u8],
    /// The bytes the head took: the content, or the next request, follows.
    pub length: usize,
    /// The bytes of content after the head: `Content-Length`, or 0.
    pub content_length: u64,
}
// ANCHOR_END: request

// ANCHOR: parse
/// Parses the request head at the start of `received`, the bytes read from
/// the client so far. Whatever follows the head (a body, a pipelined
/// request) is left alone: [`Request::length`] says where it starts. Only
/// the first [`HEAD_LIMIT`] bytes are looked at.
pub fn parse(received: &[u8]) -> Parse<'_> {
    let mut cursor = Cursor {
        bytes: &received[..received.len().min(HEAD_LIMIT)],
        pos: 0,
    };
    let mut line = None;
    match head(&mut cursor, &mut line) {
        Ok(request) => Parse::Request(request),
        Err(Stop::Refused(refusal)) => Parse::Refused(refusal, line),
        // Once the buffer is full, waiting for more would wait forever.
        Err(Stop::Incomplete) if received.len() >= HEAD_LIMIT => {
            Parse::Refused(Refusal::HeadTooLarge, line)
        }
        Err(Stop::Incomplete) => Parse::Incomplete,
    }
}

/// The whole head: the request line (kept in `line` as soon as it is read,
/// for the log), what it asks for, then the header fields.
fn head<'a>(
    cursor: &mut Cursor<'a>,
    line: &mut Option<RequestLine<'a>>,
) -> Result<Request<'a>, Stop> {
    let request_line = request_line(cursor)?;
    *line = Some(request_line);
    if !matches!(request_line.version, b"HTTP/1.0" | b"HTTP/1.1") {
        return refuse(Refusal::UnsupportedVersion);
    }
    if !KNOWN_METHODS.contains(&request_line.method) {
        return refuse(Refusal::UnknownMethod);
    }
    fields(cursor, request_line)
}
// ANCHOR_END: parse

/// Why parsing stopped before the end of the head.
enum Stop {
    /// The bytes ran out: the head may still be correct once more arrive.
    Incomplete,
    Refused(Refusal),
}

/// The bytes received and how far the parser has read them.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The next byte, or `Incomplete` if the bytes received end here.
    fn next(&mut self) -> Result<u8, Stop> {
        let byte = *self.bytes.get(self.pos).ok_or(Stop::Incomplete)?;
        self.pos += 1;
        Ok(byte)
    }

    /// The next byte, left unread.
    fn peek(&self) -> Result<u8, Stop> {
        self.bytes.get(self.pos).copied().ok_or(Stop::Incomplete)
    }

    /// The bytes from position `start` to `end` bytes before this one.
    fn since(&self, start: usize, end: usize) -> &'a [u8] {
        &self.bytes[start..self.pos - end]
    }
}

/// Refuses with `refusal`, for `?` to pass up.
fn refuse<T>(refusal: Refusal) -> Result<T, Stop> {
    Err(Stop::Refused(refusal))
}

/// Refuses a byte the grammar does not allow where it is. A bare LF or a
/// control character is named as such wherever it appears; any other byte
/// breaks the rule of the place, `otherwise`.
fn unexpected<T>(byte: u8, otherwise: Refusal) -> Result<T, Stop> {
    refuse(match byte {
        b'\n' => Refusal::BareLineFeed,
        b'\t' | b'\r' => otherwise,
        0x00..=0x1f | 0x7f => Refusal::ControlCharacter,
        _ => otherwise,
    })
}

/// Reads the LF of a CRLF whose CR was just read.
fn line_feed(cursor: &mut Cursor) -> Result<(), Stop> {
    match cursor.next()? {
        b'\n' => Ok(()),
        _ => refuse(Refusal::BareCarriageReturn),
    }
}

/// `request-line = method SP request-target SP HTTP-version CRLF`
/// (RFC 9112 §3): exactly one space between the parts, no other whitespace.
fn request_line<'a>(cursor: &mut Cursor<'a>) -> Result<RequestLine<'a>, Stop> {
    let method = method(cursor)?;
    let target = target(cursor)?;
    let version = version(cursor)?;
    Ok(RequestLine {
        method,
        target,
        version,
    })
}

/// `method = token` (RFC 9112 §3.1), then SP. Whether we know it is
/// decided once the whole line is read, except that a token longer than
/// any method we know is refused at once.
fn method<'a>(cursor: &mut Cursor<'a>) -> Result<&'a [u8], Stop> {
    let start = cursor.pos;
    loop {
        match cursor.next()? {
            b' ' => break,
            byte if is_tchar(byte) => {
                if cursor.pos - start > LONGEST_METHOD {
                    return refuse(Refusal::UnknownMethod);
                }
            }
            byte => return unexpected(byte, Refusal::InvalidRequestLine),
        }
    }
    let method = cursor.since(start, 1);
    if method.is_empty() {
        return refuse(Refusal::InvalidRequestLine);
    }
    Ok(method)
}

/// `origin-form = absolute-path [ "?" query ]` (RFC 9112 §3.2.1), then SP.
/// Any visible ASCII character is taken after the leading `/`, as most
/// servers do; RFC 3986 would refuse a few, such as `"` and `{`.
fn target<'a>(cursor: &mut Cursor<'a>) -> Result<&'a [u8], Stop> {
    let start = cursor.pos;
    match cursor.next()? {
        b'/' => {}
        byte => return unexpected(byte, Refusal::TargetNotOriginForm),
    }
    loop {
        match cursor.next()? {
            b' ' => break,
            byte if is_vchar(byte) => {
                if cursor.pos - start > TARGET_LIMIT {
                    return refuse(Refusal::TargetTooLong);
                }
            }
            byte => return unexpected(byte, Refusal::InvalidRequestLine),
        }
    }
    Ok(cursor.since(start, 1))
}

/// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT`, with `HTTP-name` the
/// case-sensitive `HTTP` (RFC 9112 §2.3), then CRLF.
fn version<'a>(cursor: &mut Cursor<'a>) -> Result<&'a [u8], Stop> {
    let start = cursor.pos;
    for expected in *b"HTTP/#.#" {
        let byte = cursor.next()?;
        let fits = match expected {
            b'#' => byte.is_ascii_digit(),
            _ => byte == expected,
        };
        if !fits {
            return unexpected(byte, Refusal::InvalidRequestLine);
        }
    }
    let version = cursor.since(start, 0);
    match cursor.next()? {
        b'\r' => line_feed(cursor)?,
        byte => return unexpected(byte, Refusal::InvalidRequestLine),
    }
    Ok(version)
}

// ANCHOR: fields
/// The header field lines up to the empty line, then the checks that need
/// all of them: `Host`, and the framing of the content.
fn fields<'a>(cursor: &mut Cursor<'a>, line: RequestLine<'a>) -> Result<Request<'a>, Stop> {
    let start = cursor.pos;
    let (mut hosts, mut content_lengths, mut encodings, mut content_length) = (0, 0, 0, Some(0));
    while let Some((name, value)) = field_line(cursor)? {
        if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            encodings += 1;
        } else if name.eq_ignore_ascii_case(b"content-length") {
            content_lengths += 1;
            // `Content-Length = 1*DIGIT` (RFC 9110 §8.6); one that does not
            // fit in 64 bits is refused like one that is not a number.
            content_length = num::parse_decimal(value).ok();
        }
    }
    match hosts {
        0 if line.version == b"HTTP/1.1" => return refuse(Refusal::MissingHost),
        2.. => return refuse(Refusal::DuplicateHost),
        _ => {}
    }
    // With both, where the next request starts is anyone's guess (§6.1).
    if encodings > 0 {
        return refuse(match content_lengths {
            0 => Refusal::TransferEncoding,
            _ => Refusal::LengthAndEncoding,
        });
    }
    if content_lengths > 1 {
        return refuse(Refusal::DuplicateContentLength);
    }
    let Some(content_length) = content_length else {
        return refuse(Refusal::InvalidContentLength);
    };
    if content_length > 0 && matches!(line.method, b"GET" | b"HEAD") {
        return refuse(Refusal::ContentNotAllowed);
    }
    Ok(Request {
        line,
        fields: cursor.since(start, 0),
        length: cursor.pos,
        content_length,
    })
}

/// `field-line = field-name ":" OWS field-value OWS` then CRLF (RFC 9112
/// §5), with the whitespace around the value left out. `None` at the empty
/// line that ends the head.
fn field_line<'a>(cursor: &mut Cursor<'a>) -> Result<Option<Field<'a>>, Stop> {
    match cursor.peek()? {
        b'\r' => {
            cursor.next()?;
            line_feed(cursor)?;
            return Ok(None);
        }
        b' ' | b'\t' => return refuse(Refusal::LineStartsWithWhitespace),
        _ => {}
    }

    // field-name = token (RFC 9110 §5.1), ended by the colon.
    let name_start = cursor.pos;
    loop {
        match cursor.next()? {
            b':' => break,
            byte if is_tchar(byte) => {}
            b' ' | b'\t' => return refuse(Refusal::WhitespaceBeforeColon),
            b'\r' => return refuse(Refusal::FieldWithoutColon),
            byte => return unexpected(byte, Refusal::InvalidFieldName),
        }
    }
    let name = cursor.since(name_start, 1);
    if name.is_empty() {
        return refuse(Refusal::InvalidFieldName);
    }

    // OWS, then field-value (RFC 9110 §5.5): visible characters, with
    // spaces and tabs allowed inside but not kept at either end.
    while matches!(cursor.peek()?, b' ' | b'\t') {
        cursor.next()?;
    }
    let value_start = cursor.pos;
    let mut value_end = cursor.pos;
    loop {
        match cursor.next()? {
            b'\r' => break,
            b' ' | b'\t' => {}
            byte if is_field_vchar(byte) => value_end = cursor.pos,
            byte => return unexpected(byte, Refusal::InvalidFieldValue),
        }
    }
    line_feed(cursor)?;
    Ok(Some((name, &cursor.bytes[value_start..value_end])))
}
// ANCHOR_END: fields

impl<'a> Request<'a> {
    /// The header fields as (name, value) pairs, in the order received,
    /// read again from the head, not stored: an iterator needs no array
    /// with a maximum count, and reading a well-formed head cannot fail.
    pub fn headers(&self) -> Headers<'a> {
        Headers(Cursor {
            bytes: self.fields,
            pos: 0,
        })
    }
}

/// The iterator [`Request::headers`] returns.
pub struct Headers<'a>(Cursor<'a>);

impl<'a> Iterator for Headers<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        field_line(&mut self.0).ok().flatten()
    }
}

/// `tchar`, a character of a token (RFC 9110 §5.6.2): letters, digits and
/// ``!#$%&'*+-.^_`|~``.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// `VCHAR`, a visible ASCII character (RFC 5234 appendix B.1).
fn is_vchar(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte)
}

/// `field-vchar = VCHAR / obs-text` (RFC 9110 §5.5): bytes from 0x80 up
/// are allowed in field values for the sake of old clients.
fn is_field_vchar(byte: u8) -> bool {
    is_vchar(byte) || byte >= 0x80
}
