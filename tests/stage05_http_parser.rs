//! The request parser of stage 05, on its own: named cases first, then a
//! property test that feeds it a few hundred thousand generated and mutated
//! requests and compares every answer with a plain reference check.

// The parser is compiled straight from the stage: the stage is a `no_std`
// binary, which no test can link to.
#[path = "../stage05_parse/src/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "../stage05_parse/src/num.rs"]
#[allow(dead_code)]
mod num;
#[path = "../stage05_parse/src/refusal.rs"]
mod refusal;
#[path = "../stage05_parse/src/status.rs"]
#[allow(dead_code)]
mod status;

use http::{HEAD_LIMIT, Parse, TARGET_LIMIT};
use refusal::Refusal;

// ---------------------------------------------------------------- cases

/// What `http::parse` says about `input`, as a status code: 200 for a
/// complete request, 0 for "not complete yet".
fn status(input: &[u8]) -> u16 {
    match http::parse(input) {
        Parse::Incomplete => 0,
        Parse::Request(_) => 200,
        Parse::Refused(refusal, _) => refusal.status().code(),
    }
}

fn refusal(input: &[u8]) -> Option<Refusal> {
    match http::parse(input) {
        Parse::Refused(refusal, _) => Some(refusal),
        _ => None,
    }
}

#[test]
fn reads_a_request_line_and_its_fields() {
    let input = b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nUser-Agent:curl/8 \t\r\nX-Empty:\r\n\r\nrest";
    let Parse::Request(request) = http::parse(input) else {
        panic!("refused")
    };
    assert_eq!(request.line.method, b"GET");
    assert_eq!(request.line.target, b"/a?b=c");
    assert_eq!(request.line.version, b"HTTP/1.1");
    let headers: Vec<_> = request.headers().collect();
    assert_eq!(
        headers,
        [
            (&b"Host"[..], &b"x"[..]),
            (b"User-Agent", b"curl/8"),
            (b"X-Empty", b""),
        ]
    );
}

#[test]
fn keeps_inner_whitespace_and_obs_text_in_values() {
    let input = b"GET / HTTP/1.0\r\nX:  a \t b\xff  \r\n\r\n";
    let Parse::Request(request) = http::parse(input) else {
        panic!("refused")
    };
    let headers: Vec<_> = request.headers().collect();
    assert_eq!(headers, [(&b"X"[..], &b"a \t b\xff"[..])]);
}

#[test]
fn waits_for_the_end_of_the_head() {
    let input = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for cut in 0..input.len() {
        assert_eq!(
            http::parse(&input[..cut]),
            Parse::Incomplete,
            "cut at {cut}"
        );
    }
    assert_eq!(status(input), 200);
}

#[test]
fn refuses_each_malformed_case_with_its_reason() {
    use Refusal::*;
    let cases: &[(&[u8], Refusal)] = &[
        (b"GET / HTTP/1.1\nHost: x\r\n\r\n", BareLineFeed),
        (b"GET / HTTP/1.1\r\nHost: x\n\r\n", BareLineFeed),
        (b"GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", BareCarriageReturn),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\rX", BareCarriageReturn),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", WhitespaceBeforeColon),
        (
            b"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
            WhitespaceBeforeColon,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            LineStartsWithWhitespace,
        ),
        (
            b"GET / HTTP/1.1\r\n Host: x\r\n\r\n",
            LineStartsWithWhitespace,
        ),
        (b"GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", ControlCharacter),
        (b"GET / HTTP/1.1\r\nHost: x\x7f\r\n\r\n", ControlCharacter),
        (b"GET /\x01 HTTP/1.1\r\n", ControlCharacter),
        (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", WhitespaceBeforeColon),
        (b"GET / HTTP/1.1\r\nHost\r\n\r\n", FieldWithoutColon),
        (b"GET / HTTP/1.1\r\n: x\r\n\r\n", InvalidFieldName),
        (b"GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", InvalidFieldName),
        (b"GET / HTTP/1.1\r\n\r\n", MissingHost),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
            DuplicateHost,
        ),
        (
            b"GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n",
            DuplicateHost,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
            DuplicateContentLength,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n",
            ContentNotAllowed,
        ),
        (
            b"HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 01\r\n\r\n",
            ContentNotAllowed,
        ),
        (b"GET /\r\n\r\n", InvalidRequestLine),
        (b"GET / \r\n\r\n", InvalidRequestLine),
        (b"GET  / HTTP/1.1\r\n", TargetNotOriginForm),
        (b"GET * HTTP/1.1\r\n", TargetNotOriginForm),
        (b"GET http://x/ HTTP/1.1\r\n", TargetNotOriginForm),
        (b"GET / HTTP/1.1 \r\n", InvalidRequestLine),
        (b"GET / http/1.1\r\n", InvalidRequestLine),
        (b"GET / HTTP/1\r\n", InvalidRequestLine),
        (b"GET / HTTP/1.10\r\n", InvalidRequestLine),
        (b"GET\t/ HTTP/1.1\r\n", InvalidRequestLine),
        (b" GET / HTTP/1.1\r\n", InvalidRequestLine),
        (b"\r\nGET / HTTP/1.1\r\n", InvalidRequestLine),
        (b"GET / HTTP/2.0\r\n\r\n", UnsupportedVersion),
        (b"GET / HTTP/1.2\r\n\r\n", UnsupportedVersion),
        (b"GET / HTTP/0.9\r\n\r\n", UnsupportedVersion),
        (b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", UnknownMethod),
        (b"get / HTTP/1.1\r\nHost: a\r\n\r\n", UnknownMethod),
        (b"PROPFIND", UnknownMethod),
    ];
    for (input, expected) in cases {
        assert_eq!(
            refusal(input),
            Some(*expected),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn accepts_content_on_other_methods_and_zero_on_get() {
    assert_eq!(
        status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"),
        200
    );
    assert_eq!(
        status(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
        200
    );
    assert_eq!(status(b"GET / HTTP/1.0\r\n\r\n"), 200);
}

#[test]
fn limits_the_target_and_the_head() {
    let target = |len: usize| {
        let mut input = b"GET /".to_vec();
        input.resize(4 + len, b'a');
        input.extend_from_slice(b" HTTP/1.0\r\n\r\n");
        input
    };
    assert_eq!(status(&target(TARGET_LIMIT)), 200);
    assert_eq!(status(&target(TARGET_LIMIT + 1)), 414);
    // Refused as soon as it is too long, without waiting for its end.
    assert_eq!(
        status(&target(TARGET_LIMIT + 1)[..4 + TARGET_LIMIT + 1]),
        414
    );

    let head = |len: usize| {
        let mut input = b"GET / HTTP/1.0\r\nX: ".to_vec();
        input.resize(len - 4, b'a');
        input.extend_from_slice(b"\r\n\r\n");
        input
    };
    assert_eq!(status(&head(HEAD_LIMIT)), 200);
    assert_eq!(status(&head(HEAD_LIMIT + 1)), 431);
    assert_eq!(status(&head(64 * 1024)), 431);
    assert_eq!(status(&head(HEAD_LIMIT + 1)[..HEAD_LIMIT - 1]), 0);
}

#[test]
fn names_the_request_line_once_it_is_whole() {
    let line = |input: &'static [u8]| match http::parse(input) {
        Parse::Refused(_, line) => line.map(|l| [l.method, l.target, l.version]),
        _ => panic!("not refused"),
    };
    assert_eq!(
        line(b"GET / HTTP/2.0\r\n"),
        Some([&b"GET"[..], b"/", b"HTTP/2.0"])
    );
    assert_eq!(line(b"GET / HTTP/1.1\r\n\r\n").unwrap()[0], b"GET");
    assert_eq!(line(b"GET / HTTP/1.1\n"), None);
}

// ---------------------------------------------------------------- properties

/// xorshift64* (Vigna, 2016): tiny, fast, and the same sequence from the
/// same seed on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Bytes that sit at the edges of the grammar.
const EDGY: &[u8] = b"\r\n\0\t :/?%\x7f\x80\xff\x01aZ9(";

fn generate(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(20) {
        // Pure noise over a small alphabet, so that it sometimes lines up.
        let alphabet: &[u8] = b"GET /HTP1.0\r\n:hos";
        return (0..rng.below(64)).map(|_| rng.pick(alphabet)).collect();
    }
    // Half the time a well-formed request, left whole or mutated once; the
    // rest pieced together from good and bad parts and mutated more.
    let well_formed = rng.chance(2);
    let mut out = Vec::new();
    let method: &[u8] = if well_formed {
        rng.pick(&[&b"GET"[..], b"HEAD", b"POST", b"OPTIONS"])
    } else {
        rng.pick(&[
            &b"GET"[..],
            b"GET",
            b"GET",
            b"HEAD",
            b"POST",
            b"PUT",
            b"DELETE",
            b"OPTIONS",
            b"TRACE",
            b"CONNECT",
            b"get",
            b"BREW",
            b"PATCH",
            b"",
            b"PROPFIND",
            b"G(T",
        ])
    };
    out.extend_from_slice(method);
    out.push(b' ');
    match rng.below(100) {
        0..4 => out.extend_from_slice(b"*"),
        4..8 => out.extend_from_slice(b"http://example.com/"),
        // Around the limit; rare, since long inputs make the test slow.
        8 => out.resize(out.len() + TARGET_LIMIT - 1 + rng.below(4), b'/'),
        _ => {
            out.push(b'/');
            let chars: &[u8] = b"abc/?=&%-._~\"{";
            for _ in 0..rng.below(12) {
                out.push(rng.pick(chars));
            }
        }
    }
    out.push(b' ');
    let version: &[u8] = if well_formed {
        rng.pick(&[&b"HTTP/1.1"[..], b"HTTP/1.0"])
    } else {
        rng.pick(&[
            &b"HTTP/1.1"[..],
            b"HTTP/1.1",
            b"HTTP/1.0",
            b"HTTP/2.0",
            b"HTTP/1.2",
            b"HTTP/0.9",
            b"http/1.1",
            b"HTTP/1",
            b"HTTP/1.10",
            b"",
        ])
    };
    out.extend_from_slice(version);
    out.extend_from_slice(b"\r\n");
    if well_formed {
        out.extend_from_slice(b"Host: localhost\r\n");
    }
    for _ in 0..rng.below(6) {
        let name: &[u8] = rng.pick(&[
            &b"Host"[..],
            b"Host",
            b"host",
            b"HOST",
            b"Content-Length",
            b"content-length",
            b"User-Agent",
            b"Accept",
            b"X-A",
            b"",
            b"Ho st",
        ]);
        out.extend_from_slice(name);
        out.push(b':');
        let ows: &[u8] = rng.pick(&[&b""[..], b" ", b" ", b"\t", b"  \t"]);
        out.extend_from_slice(ows);
        let value: &[u8] = rng.pick(&[
            &b"localhost"[..],
            b"localhost:8080",
            b"0",
            b"5",
            b"05",
            b"",
            b"abc",
            b"1, 1",
            b"99999999999999999999",
            b"18446744073709551615",
            b"a b\tc",
            b"\x80\xfe",
        ]);
        out.extend_from_slice(value);
        out.extend_from_slice(rng.pick(&[&b""[..], b" ", b"\t"]));
        out.extend_from_slice(b"\r\n");
    }
    if rng.chance(200) {
        // A field large enough to reach the head limit.
        out.extend_from_slice(b"X-Big: ");
        out.resize(out.len() + HEAD_LIMIT - 64 + rng.below(128), b'b');
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if rng.chance(4) {
        out.extend_from_slice(b"GARBAGE \0\r\n\r\n");
    }
    let mutations = if well_formed {
        rng.below(3) / 2
    } else {
        rng.below(4)
    };
    for _ in 0..mutations {
        mutate(rng, &mut out);
    }
    out
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(rng.pick(EDGY));
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(6) {
        0 => bytes[at] = rng.pick(EDGY),
        1 => bytes.insert(at, rng.pick(EDGY)),
        2 => {
            bytes.remove(at);
        }
        3 => bytes.truncate(at),
        4 => {
            // Turn one CRLF into a bare LF.
            if let Some(i) = bytes.windows(2).skip(at).position(|w| w == b"\r\n") {
                bytes.remove(at + i);
            }
        }
        _ => {
            let end = (at + 1 + rng.below(16)).min(bytes.len());
            let piece = bytes[at..end].to_vec();
            bytes.splice(at..at, piece);
        }
    }
}

/// What a request should get, decided the plain way: find the end of the
/// head, split it into lines at CRLF, and check each part against the
/// grammar, in the order the parts come.
#[derive(Debug, PartialEq)]
enum Expected {
    /// The head does not end within the limit: the parser may refuse it
    /// early, or wait, but never accept it.
    Unfinished,
    Status(u16),
    Accepted {
        line: [Vec<u8>; 3],
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    },
}

fn reference(input: &[u8]) -> Expected {
    let window = &input[..input.len().min(HEAD_LIMIT)];
    let Some(end) = window.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Expected::Unfinished;
    };
    let mut lines = split_crlf(&window[..end]);
    let fields = lines.split_off(1);
    let request_line = &lines[0];

    let is_tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    let method_len = request_line.iter().take_while(|b| is_tchar(b)).count();
    if method_len > 7 {
        return Expected::Status(501);
    }
    let (method, rest) = request_line.split_at(method_len);
    if method.is_empty() || !rest.starts_with(b" ") {
        return Expected::Status(400);
    }
    let rest = &rest[1..];
    let target_len = rest.iter().take_while(|b| b.is_ascii_graphic()).count();
    let (target, rest) = rest.split_at(target_len);
    if !target.starts_with(b"/") {
        return Expected::Status(400);
    }
    if target.len() > TARGET_LIMIT {
        return Expected::Status(414);
    }
    let version = match rest {
        [b' ', b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            &rest[1..]
        }
        _ => return Expected::Status(400),
    };
    if version != b"HTTP/1.0" && version != b"HTTP/1.1" {
        return Expected::Status(505);
    }
    let known = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
    ];
    if !known.iter().any(|m| m.as_bytes() == method) {
        return Expected::Status(501);
    }

    let mut headers = Vec::new();
    for field in &fields {
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            return Expected::Status(400);
        };
        let (name, value) = (&field[..colon], &field[colon + 1..]);
        let value_ok = |b: &u8| b.is_ascii_graphic() || *b >= 0x80 || *b == b' ' || *b == b'\t';
        if name.is_empty() || !name.iter().all(is_tchar) || !value.iter().all(value_ok) {
            return Expected::Status(400);
        }
        let value = value.trim_ascii();
        headers.push((name.to_vec(), value.to_vec()));
    }
    let named = |wanted: &str| {
        headers
            .iter()
            .filter(|(name, _)| String::from_utf8_lossy(name).to_lowercase() == wanted)
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
            .collect::<Vec<_>>()
    };
    let hosts = named("host");
    if (hosts.is_empty() && version == b"HTTP/1.1") || hosts.len() > 1 {
        return Expected::Status(400);
    }
    let lengths = named("content-length");
    let length = match lengths.as_slice() {
        [] => 0,
        [one] if !one.is_empty() && one.bytes().all(|b| b.is_ascii_digit()) => {
            match one.parse::<u64>() {
                Ok(n) => n,
                Err(_) => return Expected::Status(400),
            }
        }
        _ => return Expected::Status(400),
    };
    if length > 0 && (method == b"GET" || method == b"HEAD") {
        return Expected::Status(413);
    }
    Expected::Accepted {
        line: [method.to_vec(), target.to_vec(), version.to_vec()],
        headers,
    }
}

fn split_crlf(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = vec![Vec::new()];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\r\n") {
            lines.push(Vec::new());
            i += 2;
        } else {
            lines.last_mut().unwrap().push(bytes[i]);
            i += 1;
        }
    }
    lines
}

/// The parser's answer in the reference's terms.
fn observed(input: &[u8], parsed: &Parse) -> Expected {
    match parsed {
        Parse::Incomplete => Expected::Unfinished,
        Parse::Refused(refusal, _) => Expected::Status(refusal.status().code()),
        Parse::Request(request) => {
            let line = [
                request.line.method,
                request.line.target,
                request.line.version,
            ];
            let mut slices: Vec<&[u8]> = line.to_vec();
            let headers: Vec<_> = request.headers().collect();
            for (name, value) in &headers {
                slices.push(name);
                slices.push(value);
            }
            // Every slice handed out lies inside the input.
            let range = input.as_ptr_range();
            for slice in slices {
                let inner = slice.as_ptr_range();
                assert!(range.start <= inner.start && inner.end <= range.end);
            }
            Expected::Accepted {
                line: line.map(<[u8]>::to_vec),
                headers: headers
                    .into_iter()
                    .map(|(n, v)| (n.to_vec(), v.to_vec()))
                    .collect(),
            }
        }
    }
}

fn check(rng: &mut Rng, input: &[u8], tally: &mut [usize; 4]) {
    let parsed = http::parse(input);
    let got = observed(input, &parsed);
    match reference(input) {
        Expected::Unfinished => {
            // Never accepted; refused early or left waiting, but not left
            // waiting once the buffer is full.
            assert!(
                !matches!(got, Expected::Accepted { .. }),
                "accepted an unfinished head: {:?}",
                String::from_utf8_lossy(input)
            );
            if input.len() >= HEAD_LIMIT {
                assert!(matches!(got, Expected::Status(_)), "{got:?}");
            }
            tally[0] += 1;
        }
        expected => {
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(input));
            tally[if matches!(expected, Expected::Accepted { .. }) {
                1
            } else {
                2
            }] += 1;
        }
    }
    // The same bytes arriving in pieces: every prefix is either "not yet"
    // or the very same answer.
    let cuts: Vec<usize> = (0..4).map(|_| rng.below(input.len() + 1)).collect();
    for cut in cuts {
        let early = http::parse(&input[..cut]);
        assert!(
            early == Parse::Incomplete || early == parsed,
            "prefix {cut} of {:?} gave {early:?}, the whole {parsed:?}",
            String::from_utf8_lossy(input)
        );
        tally[3] += 1;
    }
    // Bytes after a complete head change nothing.
    if let Parse::Request(_) = parsed {
        let mut longer = input.to_vec();
        longer.extend_from_slice(b"\r\nX\0\n");
        assert_eq!(http::parse(&longer), parsed);
    }
}

#[test]
fn agrees_with_the_reference_on_generated_requests() {
    let mut rng = Rng(0x5eed_f00d_cafe_0005);
    let mut tally = [0; 4];
    for _ in 0..300_000 {
        let input = generate(&mut rng);
        check(&mut rng, &input, &mut tally);
    }
    let [unfinished, accepted, refused, prefixes] = tally;
    println!(
        "unfinished {unfinished}, accepted {accepted}, refused {refused}, prefixes {prefixes}"
    );
    // The generator must reach every kind of answer often enough to matter.
    assert!(accepted > 20_000 && refused > 100_000 && unfinished > 10_000);
}
