//! Why a request head is refused, and the status that answers each reason.
//! The parser (src/http.rs) names the rule a head breaks; which status
//! tells the client so is decided here, in one place.
#![forbid(unsafe_code)]

use crate::status::Status;

// ANCHOR: refusal
/// Why a request is refused, named after the rule it breaks.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Refusal {
    /// The request line is not `method SP request-target SP HTTP-version
    /// CRLF` (RFC 9112 §3). A line with no version at all, as HTTP/0.9 sent
    /// it, is one of these.
    InvalidRequestLine,
    /// The target is not in origin-form, a path starting with `/` and
    /// an optional query (RFC 9112 §3.2.1). RFC 9112 §3.2.2 asks servers to
    /// accept the absolute-form too, which only proxies need; we do not.
    TargetNotOriginForm,
    /// A LF that does not follow a CR. RFC 9112 §2.2 lets a recipient take
    /// it as a line end; we keep to the grammar, which always says CRLF.
    BareLineFeed,
    /// A CR that is not followed by LF (RFC 9112 §2.2).
    BareCarriageReturn,
    /// A control character or NUL, which no part of a request head allows
    /// (RFC 9110 §5.5; RFC 9112 §3 for the request line).
    ControlCharacter,
    /// A field line that starts with whitespace: obsolete line folding, or
    /// whitespace between the request line and the first field. RFC 9112
    /// §5.2 and §2.2 let a server either reject it with 400 or repair it
    /// (unfold the line, skip such lines); rejecting is the simpler choice.
    LineStartsWithWhitespace,
    /// Whitespace between a field name and its colon (RFC 9112 §5.1: "MUST
    /// reject ... with a response status code of 400").
    WhitespaceBeforeColon,
    /// A field line that ends before any colon (RFC 9112 §5).
    FieldWithoutColon,
    /// A field name that is empty or not a token (RFC 9110 §5.1).
    InvalidFieldName,
    /// A field value with a byte no field value allows (RFC 9110 §5.5).
    InvalidFieldValue,
    /// HTTP/1.1 without `Host` (RFC 9112 §3.2: "MUST respond with a 400").
    MissingHost,
    /// More than one `Host` line (RFC 9112 §3.2, the same sentence).
    DuplicateHost,
    /// A `Content-Length` that is not a decimal number we can hold (RFC 9110
    /// §8.6; RFC 9112 §6.3 calls it an unrecoverable error).
    InvalidContentLength,
    /// More than one `Content-Length` line. RFC 9110 §8.6 allows merging
    /// identical copies; refusing is the other choice it allows, and safer.
    DuplicateContentLength,
    /// Content framed by `Transfer-Encoding` (chunked, RFC 9112 §7), which
    /// this server does not decode: 501, as §6.1 says for a coding a server
    /// does not understand. Its end is unknown, so the connection closes.
    TransferEncoding,
    /// Both `Transfer-Encoding` and `Content-Length`: the two framings of
    /// request smuggling, where a proxy believes one and the server the
    /// other, and a second request hides in the first one's content. RFC
    /// 9112 §6.3 lets a server refuse it, and says to close afterwards.
    LengthAndEncoding,
    /// A GET or HEAD that announces content. The message is well-formed
    /// (framing does not depend on the method, RFC 9112 §6), so 400 would
    /// be wrong. RFC 9110 §9.3.1 and §9.3.2 say such content has no meaning
    /// and may be rejected, and 413 (RFC 9110 §15.5.14) says exactly why:
    /// the content is larger than we are willing to process, which for
    /// these methods is zero bytes. The connection closes after the answer,
    /// as after every refusal, so the unread content can never be taken
    /// for the next request.
    ContentNotAllowed,
    /// The target is longer than `http::TARGET_LIMIT` (RFC 9112 §3: "MUST
    /// respond with a 414").
    TargetTooLong,
    /// The head did not end within `http::HEAD_LIMIT` bytes (RFC 6585 §5).
    HeadTooLarge,
    /// A method we do not know, including one longer than any we know
    /// (RFC 9110 §9.1 and RFC 9112 §3: "SHOULD respond with 501").
    UnknownMethod,
    /// A well-formed version other than 1.0 and 1.1: 2.0, 0.9, ... RFC 9110
    /// §6.2 would let us answer 1.2 as 1.1, but no HTTP/1.2 exists, and the
    /// workbook refuses it to show 505 (RFC 9110 §15.6.6).
    UnsupportedVersion,
}

impl Refusal {
    /// The status that answers this refusal.
    pub fn status(self) -> Status {
        match self {
            Refusal::ContentNotAllowed => Status::CONTENT_TOO_LARGE,
            Refusal::TargetTooLong => Status::URI_TOO_LONG,
            Refusal::HeadTooLarge => Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Refusal::UnknownMethod | Refusal::TransferEncoding => Status::NOT_IMPLEMENTED,
            Refusal::UnsupportedVersion => Status::HTTP_VERSION_NOT_SUPPORTED,
            _ => Status::BAD_REQUEST,
        }
    }
}
// ANCHOR_END: refusal
