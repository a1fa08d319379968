//! Stage 05 reads a request head however it arrives, answers a good one
//! with an echo of what it parsed and a bad one with the status that says
//! why, times out a client that stalls, and survives all of it: no worker
//! dies, no later client waits, no descriptor or process is left behind.

use std::io::Write;
use std::net::Shutdown;
use workbook_tests::{
    Server, answer, answer_ending_cleanly, assert_content_length_matches, connect, exchange,
    redact, reset_on_close, runs_report, send_byte_by_byte, send_cut_short, shown, shown_request,
};

const STAGE: &str = "stage05_parse";

/// A raw request and a name for it in the snapshot.
struct Case {
    name: &'static str,
    request: Vec<u8>,
}

fn case(name: &'static str, request: impl AsRef<[u8]>) -> Case {
    Case {
        name,
        request: request.as_ref().to_vec(),
    }
}

/// Every request of the corpus, well-formed ones first.
fn corpus() -> Vec<Case> {
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(5000));
    vec![
        case("a minimal request", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        case(
            "what curl sends",
            "GET /index.html?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
             User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
        ),
        case("HTTP/1.0 needs no Host", "HEAD /x HTTP/1.0\r\n\r\n"),
        case(
            "whitespace around values is dropped, inside kept",
            b"GET / HTTP/1.1\r\nHost:x\r\nX-Spaces: \t a  b \t\r\nX-Empty:\r\nX-Latin1: caf\xe9\r\n\r\n",
        ),
        case(
            "content on POST is allowed, and left unread",
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        ),
        case(
            "pipelined garbage after the head is ignored",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\0\xff\r\n\r\n",
        ),
        case("bare LF ending every line", "GET / HTTP/1.1\nHost: x\n\n"),
        case("bare LF ending a field", "GET / HTTP/1.1\r\nHost: x\n\r\n"),
        case("bare CR inside a value", "GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"),
        case("whitespace before a colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
        case(
            "obsolete line folding",
            "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
        ),
        case(
            "whitespace before the first field",
            "GET / HTTP/1.1\r\n Host: x\r\n\r\n",
        ),
        case("NUL in a value", b"GET / HTTP/1.1\r\nHost: x\0\r\n\r\n"),
        case("control character in the target", b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n"),
        case("field without a colon", "GET / HTTP/1.1\r\nHost x\r\nNoColon\r\n\r\n"),
        case("empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: y\r\n\r\n"),
        case("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n"),
        case("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"),
        case(
            "non-numeric Content-Length",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\n",
        ),
        case(
            "two Content-Length fields",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
        ),
        case(
            "content on GET",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
        ),
        case("HTTP/0.9-style request line", "GET /\r\n\r\n"),
        case("target not in origin-form", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
        case("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
        case("not HTTP at all", "hello\r\n\r\n"),
        case("only an empty line", "\r\n\r\n"),
        case("target longer than 4 KiB", long_target),
        case("unknown method", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"),
        case("methods are case-sensitive", "get / HTTP/1.1\r\nHost: x\r\n\r\n"),
        case("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
        case("HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n"),
        case("lowercase protocol name", "GET / http/1.1\r\nHost: x\r\n\r\n"),
    ]
}

#[test]
fn answers_each_request_of_the_corpus() {
    let server = Server::start(STAGE, &["0"]);
    let mut report = String::new();
    for case in corpus() {
        let response = exchange(server.port, &case.request);
        assert!(!response.is_empty(), "no answer to {:?}", case.name);
        assert_content_length_matches(&response);
        let request = shown_request(&case.request);
        report += &format!("## {}\n{request}--\n{}\n", case.name, shown(&response));
    }
    let logged = server.stop_cleanly();
    assert_eq!(logged.len(), corpus().len(), "one log line per request");
    insta::assert_snapshot!(report);
}

#[test]
fn reads_a_request_that_arrives_one_byte_at_a_time() {
    let server = Server::start(STAGE, &["0"]);
    let request = b"GET /slow HTTP/1.1\r\nHost: x\r\nUser-Agent: one byte at a time\r\n\r\n";
    let whole = exchange(server.port, request);
    assert_eq!(
        shown(&send_byte_by_byte(server.port, request)),
        shown(&whole)
    );
    insta::assert_snapshot!(shown(&whole));
    server.stop_cleanly();
}

#[test]
fn refuses_a_request_cut_short() {
    let server = Server::start(STAGE, &["0"]);
    // End of file before the empty line that ends the head.
    let response = send_cut_short(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n");
    insta::assert_snapshot!(shown(&response));
    server.stop_cleanly();
}

#[test]
fn times_out_a_client_that_never_finishes() {
    // A timeout of one second instead of ten, so that the test is quick.
    let server = Server::start(STAGE, &["0", "1"]);
    let mut unfinished = connect(server.port);
    unfinished
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let silent = connect(server.port);
    // Both wait in read; meanwhile other clients are served.
    let expected = exchange(server.port, b"GET / HTTP/1.0\r\n\r\n");
    assert!(expected.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let unfinished = answer(unfinished);
    assert_eq!(shown(&answer(silent)), shown(&unfinished));
    insta::assert_snapshot!(shown(&unfinished));
    // And the workers that timed out serve again.
    for _ in 0..20 {
        assert_eq!(exchange(server.port, b"GET / HTTP/1.0\r\n\r\n"), expected);
    }
    server.stop_cleanly();
}

#[test]
fn refuses_64_kib_of_header_and_serves_the_next_client() {
    let server = Server::start(STAGE, &["0"]);
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    while request.len() < 64 * 1024 {
        request.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let response = exchange(server.port, &request);
    insta::assert_snapshot!(shown(&response));
    let next = exchange(server.port, b"GET / HTTP/1.0\r\n\r\n");
    assert!(next.starts_with(b"HTTP/1.1 200 OK\r\n"), "{}", shown(&next));
    server.stop_cleanly();
}

/// Requests the server answers before reading all of them: a head too
/// large, content on a GET, a POST body it ignores, each 64 KiB. Had the
/// worker closed with the rest unread, the kernel would have reset the
/// connection, and a client could lose its answer; lingering, the worker
/// ends it with FIN, and the client reads the whole answer and then a
/// clean end of file.
#[test]
fn ends_the_connection_cleanly_with_the_request_unread() {
    let server = Server::start(STAGE, &["0"]);
    let filler = "a".repeat(64 * 1024);
    let requests = [
        format!("GET / HTTP/1.1\r\nHost: x\r\nX-Filler: {filler}\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n{filler}"),
        format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n{filler}"),
    ];
    let mut statuses = Vec::new();
    for request in requests {
        let mut stream = connect(server.port);
        // All of it before reading, as a client sends a body before it
        // looks for an answer.
        stream.write_all(request.as_bytes()).unwrap();
        let response = answer_ending_cleanly(stream);
        assert_content_length_matches(&response);
        let status_line = response.split(|&b| b == b'\r').next().unwrap();
        statuses.push(String::from_utf8_lossy(status_line).into_owned());
    }
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 431 Request Header Fields Too Large",
            "HTTP/1.1 413 Content Too Large",
            "HTTP/1.1 200 OK",
        ]
    );
    server.stop_cleanly();
}

#[test]
fn logs_the_request_line_and_the_status() {
    let server = Server::start(STAGE, &["0"]);
    let long_target = format!("GET /{} HTTP/1.0\r\n\r\n", "b".repeat(300));
    let requests: [&[u8]; 6] = [
        b"GET /path?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\nHost: x\n\n",
        long_target.as_bytes(),
        b"",
    ];
    for request in requests {
        let mut stream = connect(server.port);
        stream.write_all(request).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        answer(stream);
    }
    let lines: Vec<String> = server.stop_cleanly().iter().map(|l| redact(l)).collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn rejects_bad_arguments_with_usage_and_status_2() {
    let runs: &[&[&str]] = &[&["0", "0"], &["0", "abc"], &["0", "3601"], &["0", "1", "x"]];
    insta::assert_snapshot!(runs_report(STAGE, runs));
}

/// After every kind of client, each worker holds what it held before (the
/// listening socket), no child is a zombie, and stopping the server leaves
/// no process. Reads /proc, so Linux only.
#[cfg(target_os = "linux")]
#[test]
fn leaves_no_descriptor_zombie_or_process_behind() {
    use workbook_tests::proc;
    // The workers and the watcher.
    const CHILDREN: usize = 16 + 1;
    let server = Server::start(STAGE, &["0", "1"]);
    let pool = proc::Pool::of(server.pid(), CHILDREN);

    let port = server.port;
    std::thread::scope(|scope| {
        for case in corpus() {
            scope.spawn(move || exchange(port, &case.request));
        }
        scope.spawn(move || exchange(port, &[b'x'; 64 * 1024]));
        scope.spawn(move || drop(connect(port)));
        // Resets the connection: the worker's read fails with ECONNRESET.
        scope.spawn(move || {
            let mut crashed = connect(port);
            crashed.write_all(b"GET / HT").unwrap();
            reset_on_close(&crashed);
        });
        // Left to time out.
        scope.spawn(move || answer(connect(port)));
    });

    pool.assert_unchanged();
    server.stop_cleanly();
    pool.assert_gone();
}

/// Started with standard input, output or error closed, it fills the gap
/// with /dev/null and runs as it would with /dev/null there: its socket
/// never becomes one of the three.
#[test]
fn runs_with_each_standard_descriptor_closed() {
    workbook_tests::with_each_standard_descriptor_closed(STAGE, &[], true);
}
