//! The status of a response: its code and its reason phrase (RFC 9110 §15).
//! Callers name a status by its constant (`Status::NOT_FOUND`), never by
//! its number, so a code and its phrase cannot drift apart.
#![forbid(unsafe_code)]

// ANCHOR: status
/// A status code and its reason phrase (RFC 9110 §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    code: u16,
    reason: &'static str,
}

impl Status {
    pub const OK: Status = Status::new(200, "OK");
    pub const BAD_REQUEST: Status = Status::new(400, "Bad Request");
    pub const REQUEST_TIMEOUT: Status = Status::new(408, "Request Timeout");
    pub const CONTENT_TOO_LARGE: Status = Status::new(413, "Content Too Large");
    pub const URI_TOO_LONG: Status = Status::new(414, "URI Too Long");
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Status =
        Status::new(431, "Request Header Fields Too Large");
    pub const NOT_IMPLEMENTED: Status = Status::new(501, "Not Implemented");
    pub const HTTP_VERSION_NOT_SUPPORTED: Status = Status::new(505, "HTTP Version Not Supported");

    const fn new(code: u16, reason: &'static str) -> Status {
        Status { code, reason }
    }

    /// The three-digit code: `404`.
    pub fn code(self) -> u16 {
        self.code
    }

    /// The reason phrase, for people: `Not Found`.
    pub fn reason(self) -> &'static str {
        self.reason
    }
}
// ANCHOR_END: status
