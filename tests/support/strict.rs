//! The strict reading of a response, which every answer of stages 04 to
//! 07 must pass, whatever its status.

use crate::{connect, exchange, shown};
use std::io::{Read, Write};

/// The first stage that answers as a server: it names itself in a `Server`
/// header, dates every answer, answers HEAD with the head alone, and
/// keeps a connection open for the next request unless asked not to.
/// Before it, stage 05 echoes any request, HEAD included, as text, and
/// closes.
const FIRST_SERVER: &str = "stage06_respond";

/// The statuses only a refused request gets, after which the server
/// always closes: nothing it reads next can be trusted to be a request.
const REFUSALS: [u16; 5] = [408, 413, 431, 501, 505];

/// Checks `response`, the answer of `stage` to `request` (whole or not):
///
/// - the status line: `HTTP/1.1`, a three-digit code and a phrase;
/// - each header line: `Name: value`, a token for a name, no bare CR or LF;
/// - before stage 06, `Connection: close`; from stage 06 on, `Server:
///   STAGE` and `Date` (an IMF-fixdate within a day of this machine's
///   clock) once each, and `Connection` at most once: `close` whenever
///   the request asked for that (`Connection: close`, or HTTP/1.0 without
///   `keep-alive`) or was refused, `keep-alive` only to HTTP/1.0, and no
///   `Connection` only to HTTP/1.1;
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
    let server = stage >= FIRST_SERVER;
    if server {
        assert_eq!(values("Server"), [stage], "{text}");
        let date = values("Date");
        assert_eq!(date.len(), 1, "one Date:\n{text}");
        check_date(date[0], &text);
        check_connection(request, status, &values("Connection"), &text);
    } else {
        assert_eq!(values("Connection"), ["close"], "{text}");
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

/// `Date: Sun, 06 Nov 1994 08:49:37 GMT`, the one form a server sends
/// (RFC 9110 §5.6.7), and within a day of this machine's clock: the
/// server's clock call works, and its calendar is right.
fn check_date(date: &str, text: &str) {
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = date.split(' ').collect();
    let [weekday, day, month, year, time, "GMT"] = parts[..] else {
        panic!("not an IMF-fixdate: {date:?}\n{text}");
    };
    let number = |s: &str, len| {
        assert!(
            s.len() == len && s.bytes().all(|b| b.is_ascii_digit()),
            "{date:?}"
        );
        s.parse::<i64>().unwrap()
    };
    let weekday = weekday
        .strip_suffix(',')
        .and_then(|w| days.iter().position(|d| *d == w));
    let month = months.iter().position(|m| *m == month);
    let (Some(weekday), Some(month)) = (weekday, month) else {
        panic!("not an IMF-fixdate: {date:?}\n{text}");
    };
    let (day, year) = (number(day, 2), number(year, 4));
    let hms: Vec<i64> = time.split(':').map(|t| number(t, 2)).collect();
    assert!(
        hms.len() == 3 && hms[0] < 24 && hms[1] < 60 && hms[2] < 61,
        "{date:?}"
    );
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let (y, m) = (if month < 2 { year - 1 } else { year }, month as i64 + 1);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let days_since = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    assert_eq!(
        (days_since + 3).rem_euclid(7),
        weekday as i64,
        "weekday of {date:?}"
    );
    let seconds = days_since * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (seconds - now).abs() < 86_400,
        "Date {date:?} is not today\n{text}"
    );
}

/// The `Connection` field of an answer to `request` (RFC 9112 §9.3, §9.6).
fn check_connection(request: &[u8], status: u16, connection: &[&str], text: &str) {
    let head = String::from_utf8_lossy(request).to_ascii_lowercase();
    let http10 = head
        .split("\r\n")
        .next()
        .is_some_and(|l| l.ends_with("http/1.0"));
    let asked = |option: &str| {
        head.split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .split("\r\n")
            .any(|line| {
                line.strip_prefix("connection:")
                    .is_some_and(|v| v.split(',').any(|o| o.trim() == option))
            })
    };
    let closing = asked("close") || (http10 && !asked("keep-alive")) || REFUSALS.contains(&status);
    match connection {
        ["close"] => {}
        _ if closing => panic!("no Connection: close:\n{text}"),
        ["keep-alive"] => assert!(http10, "keep-alive to HTTP/1.1:\n{text}"),
        [] => assert!(!http10, "no Connection to HTTP/1.0:\n{text}"),
        _ => panic!("bad Connection:\n{text}"),
    }
}

/// How long the response at the start of `bytes` is, by its framing: the
/// head, then `Content-Length` bytes (none for an answer to HEAD, a 204
/// or a 304). `None` while the bytes do not hold all of it yet.
pub fn response_length(bytes: &[u8], head_only: bool) -> Option<usize> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let status = head.get(9..12).unwrap_or("");
    let length = match head
        .split("\r\n")
        .find_map(|l| l.strip_prefix("content-length: "))
    {
        Some(_) if head_only || status == "204" || status == "304" => 0,
        Some(n) => n.trim().parse().expect("a Content-Length"),
        None => 0,
    };
    (bytes.len() >= end + length).then_some(end + length)
}

/// A client on one connection that the server keeps open: it sends
/// requests and reads one response at a time, each by its framing, not
/// by the end of the connection.
pub struct Conversation {
    stream: std::net::TcpStream,
    /// Bytes read past the last response: the start of the next.
    pending: Vec<u8>,
}

impl Conversation {
    pub fn open(port: u16) -> Conversation {
        Conversation {
            stream: connect(port),
            pending: Vec::new(),
        }
    }

    /// Sends `bytes` in one write.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("the server reads");
    }

    /// The next response, checked strictly as the answer of `stage` to
    /// `request`, or `None` if the server closes before sending one.
    pub fn response(&mut self, stage: &str, request: &[u8]) -> Option<Vec<u8>> {
        let head_only = request.starts_with(b"HEAD ");
        loop {
            if let Some(length) = response_length(&self.pending, head_only) {
                let response: Vec<u8> = self.pending.drain(..length).collect();
                check_response(stage, request, &response);
                return Some(response);
            }
            let mut buf = [0u8; 64 * 1024];
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    assert!(
                        self.pending.is_empty(),
                        "cut short:\n{}",
                        shown(&self.pending)
                    );
                    return None;
                }
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) => panic!("reading a response: {e}"),
            }
        }
    }

    /// Whether the server ends the connection, cleanly, with nothing more
    /// sent. Waits for that, as long as `PATIENCE` at most.
    pub fn ends(mut self) -> bool {
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest).is_ok() && self.pending.is_empty() && rest.is_empty()
    }

    /// Ends the sending side: no request follows.
    pub fn finish(&self) {
        self.stream.shutdown(std::net::Shutdown::Write).unwrap();
    }
}

/// Sends `request` to `stage` on `port` in one write and returns the
/// answer, checked by [`check_response`].
pub fn exchange_checked(stage: &str, port: u16, request: &[u8]) -> Vec<u8> {
    let response = exchange(port, request);
    check_response(stage, request, &response);
    response
}
