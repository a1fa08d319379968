//! Stage 05 reads a request head however it arrives, answers a good one
//! with an echo of what it parsed and a bad one with the status that says
//! why, times out a client that stalls, and survives all of it: no worker
//! dies, no later client waits, no descriptor or process is left behind.

use workbook_tests::scenarios::{self, Case, case};
use workbook_tests::{Server, runs_report};

const STAGE: &str = "stage05_parse";

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
    insta::assert_snapshot!(scenarios::answers(STAGE, &corpus()));
}

#[test]
fn reads_a_request_that_arrives_one_byte_at_a_time() {
    let request = b"GET /slow HTTP/1.1\r\nHost: x\r\nUser-Agent: one byte at a time\r\n\r\n";
    insta::assert_snapshot!(scenarios::reads_a_request_that_arrives_one_byte_at_a_time(
        STAGE, request
    ));
}

#[test]
fn refuses_a_request_cut_short() {
    insta::assert_snapshot!(scenarios::refuses_a_request_cut_short(STAGE));
}

#[test]
fn times_out_a_client_that_never_finishes() {
    insta::assert_snapshot!(scenarios::times_out_a_client_that_never_finishes(STAGE));
}

#[test]
fn refuses_64_kib_of_header_and_serves_the_next_client() {
    insta::assert_snapshot!(scenarios::refuses_64_kib_of_header_and_serves_the_next_client(STAGE));
}

#[test]
fn ends_the_connection_cleanly_with_the_request_unread() {
    let server = Server::start(STAGE, &["0"]);
    assert_eq!(
        scenarios::ends_the_connection_cleanly_with_the_request_unread(&server),
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
    let long_target = format!("GET /{} HTTP/1.0\r\n\r\n", "b".repeat(300));
    insta::assert_snapshot!(scenarios::log_of(
        STAGE,
        &[
            b"GET /path?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\nHost: x\n\n",
            long_target.as_bytes(),
            b"",
        ]
    ));
}

#[test]
fn rejects_bad_arguments_with_usage_and_status_2() {
    let runs: &[&[&str]] = &[&["0", "0"], &["0", "abc"], &["0", "3601"], &["0", "1", "x"]];
    insta::assert_snapshot!(runs_report(STAGE, runs));
}

/// After every kind of client, nothing is left behind (see the scenario).
#[cfg(target_os = "linux")]
#[test]
fn leaves_no_descriptor_zombie_or_process_behind() {
    use std::io::Write;
    use workbook_tests::{answer, connect, exchange, reset_on_close};
    let server = Server::start(STAGE, &["0", "1"]);
    scenarios::leaves_no_descriptor_zombie_or_process_behind(server, |port| {
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
    });
}

/// Started with standard input, output or error closed, it fills the gap
/// with /dev/null and runs as it would with /dev/null there: its socket
/// never becomes one of the three.
#[test]
fn runs_with_each_standard_descriptor_closed() {
    workbook_tests::with_each_standard_descriptor_closed(STAGE, &[], true);
}
