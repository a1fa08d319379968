//! The status of a response: its code and its reason phrase (RFC 9110 §15).
//! Callers name a status by its constant (`Status::NOT_FOUND`), never by
//! its number, so a code and its phrase cannot drift apart.
#![forbid(unsafe_code)]

/// A status code and its reason phrase (RFC 9110 §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    code: u16,
    reason: &'static str,
}

impl Status {
    pub const OK: Status = Status::new(200, "OK");
    pub const NO_CONTENT: Status = Status::new(204, "No Content");
    pub const PARTIAL_CONTENT: Status = Status::new(206, "Partial Content");
    pub const MOVED_PERMANENTLY: Status = Status::new(301, "Moved Permanently");
    pub const NOT_MODIFIED: Status = Status::new(304, "Not Modified");
    pub const BAD_REQUEST: Status = Status::new(400, "Bad Request");
    pub const FORBIDDEN: Status = Status::new(403, "Forbidden");
    pub const NOT_FOUND: Status = Status::new(404, "Not Found");
    pub const METHOD_NOT_ALLOWED: Status = Status::new(405, "Method Not Allowed");
    pub const REQUEST_TIMEOUT: Status = Status::new(408, "Request Timeout");
    pub const CONTENT_TOO_LARGE: Status = Status::new(413, "Content Too Large");
    pub const URI_TOO_LONG: Status = Status::new(414, "URI Too Long");
    pub const RANGE_NOT_SATISFIABLE: Status = Status::new(416, "Range Not Satisfiable");
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Status =
        Status::new(431, "Request Header Fields Too Large");
    pub const INTERNAL_SERVER_ERROR: Status = Status::new(500, "Internal Server Error");
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
