//! The strict reading of a response, which every answer of stages 04 to
//! 07 must pass, whatever its status.

use crate::{exchange, shown};

/// The first stage that answers as a server: it names itself in a `Server`
/// header and answers HEAD with the head alone. Before it, stage 05 echoes
/// any request, HEAD included, as text.
const FIRST_SERVER: &str = "stage06_respond";

/// Checks `response`, the answer of `stage` to `request` (whole or not):
///
/// - the status line: `HTTP/1.1`, a three-digit code and a phrase;
/// - each header line: `Name: value`, a token for a name, no bare CR or LF;
/// - `Connection: close`, and from stage 06 on `Server: STAGE`, once each;
/// - `Content-Type` and `Content-Length` once each, except on 204 and 304,
///   which have no content: none there (RFC 9110 8.6, 15.4.5);
/// - `Allow` on a 405, and nowhere else but an answer to OPTIONS;
/// - `Location` on a 301, `Content-Range` on a 206 (`bytes A-B/LEN`) and a
///   416 (`bytes */LEN`);
/// - a body exactly as long as `Content-Length` says, or none for 204, 304
///   and, from stage 06 on, HEAD.
///
/// Returns the status code.
pub fn check_response(stage: &str, request: &[u8], response: &[u8]) -> u16 {
    let text = shown(response);
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no empty line after the head:\n{text}"));
    let head = std::str::from_utf8(&response[..end]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let (code, reason) = lines
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.split_once(' '))
        .unwrap_or_else(|| panic!("bad status line:\n{text}"));
    let status: u16 = match code.parse() {
        Ok(status) if code.len() == 3 && !reason.is_empty() => status,
        _ => panic!("bad status line:\n{text}"),
    };
    let mut fields = Vec::new();
    for line in lines {
        assert!(!line.contains(['\r', '\n']), "a bare CR or LF:\n{text}");
        let (name, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("not a field: {line:?}\n{text}"));
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{text}"
        );
        fields.push((name, value));
    }
    let values = |wanted: &str| -> Vec<&str> {
        fields
            .iter()
            .filter(|(name, _)| *name == wanted)
            .map(|&(_, value)| value)
            .collect()
    };
    assert_eq!(values("Connection"), ["close"], "{text}");
    let server = stage >= FIRST_SERVER;
    if server {
        assert_eq!(values("Server"), [stage], "{text}");
    }
    let no_content = matches!(status, 204 | 304);
    let expected = if no_content { 0 } else { 1 };
    for name in ["Content-Type", "Content-Length"] {
        assert_eq!(values(name).len(), expected, "{name}:\n{text}");
    }
    let method = request.split(|&b| b == b' ').next().unwrap_or_default();
    let allow = values("Allow").len();
    if status == 405 {
        assert_eq!(allow, 1, "a 405 without Allow:\n{text}");
    } else if method != b"OPTIONS" {
        assert_eq!(allow, 0, "Allow on a {status}:\n{text}");
    }
    if status == 301 {
        assert_eq!(values("Location").len(), 1, "{text}");
    }
    if matches!(status, 206 | 416) {
        let range = values("Content-Range");
        assert_eq!(range.len(), 1, "{text}");
        let (span, length) = range[0]
            .strip_prefix("bytes ")
            .and_then(|rest| rest.split_once('/'))
            .unwrap_or_else(|| panic!("bad Content-Range:\n{text}"));
        assert!(length.parse::<u64>().is_ok(), "{text}");
        let span_ok = match status {
            416 => span == "*",
            _ => span
                .split_once('-')
                .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok()),
        };
        assert!(span_ok, "bad Content-Range:\n{text}");
    }
    let body = &response[end + 4..];
    if (server && method == b"HEAD") || no_content {
        assert!(
            body.is_empty(),
            "a body on a {status} to HEAD or without content:\n{text}"
        );
    } else {
        let length = values("Content-Length")[0]
            .parse::<usize>()
            .expect("a number");
        assert_eq!(length, body.len(), "{text}");
    }
    status
}

/// Sends `request` to `stage` on `port` in one write and returns the
/// answer, checked by [`check_response`].
pub fn exchange_checked(stage: &str, port: u16, request: &[u8]) -> Vec<u8> {
    let response = exchange(port, request);
    check_response(stage, request, &response);
    response
}
